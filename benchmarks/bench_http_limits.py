"""An oversized anonymous sign-in body against a served instance, with health probes meanwhile.

Issue 22 (High 1): ``POST /api/v1/auth/login`` with a 20 MB body. This script starts
``carbonpeak serve`` on a fresh home (one worker, loopback), sends the body from one thread
(``Content-Length`` announced, sent in 64 KiB pieces) while another thread asks
``GET /api/v1/health`` every 50 ms, and reports:

* the time until the sign-in request is answered (status and answer size);
* the server's peak memory (``VmHWM`` of the serving process) before and after;
* the health probes' latency while the body was in flight, and after it until at least ten
  were made (median and worst; a probe that got no answer within 60 s counts as infinite).

With ``--half-sent N`` it measures slow clients instead (issue 22, Medium 6): the server runs
with its file descriptors limited to 1,024 (as in the red-team pass), N connections each send
half a request head and then nothing, from ``--addresses K`` loopback addresses (127.1.x.y:
one attacker, or many under the per-client limit), while health probes come from 127.0.0.1
every 100 ms for ``--watch`` seconds. It reports the probes' latency and failures, how many of
the N connections the server closed and when, the server's open descriptors at most, and how
much its log grew.

Run it::

    .venv/bin/python benchmarks/bench_http_limits.py            # 20 MB
    .venv/bin/python benchmarks/bench_http_limits.py --mb 100
    .venv/bin/python benchmarks/bench_http_limits.py --half-sent 1100 --addresses 110

``PYTHONPATH`` decides which carbonpeak is measured (so the code before a change can be
measured from a copy of its ``src``). The figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

STARTUP_WAIT_S = 120.0
MIN_PROBES = 10  # the probes go on after the answer until this many were made


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (VmHWM, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _get(port: int, path: str, timeout: float = 60.0) -> tuple[int, float]:
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - t0


def _body(mb: int, shape: str) -> bytes:
    """A sign-in body of about ``mb`` MB: one long password, or many unknown fields (each
    refused on its own, so a server that validates it answers one error per field)."""
    if shape == "string":
        return json.dumps({"username": "admin", "password": "a" * (mb * 1_000_000)}).encode()
    fields = (f'"k{i:07d}":1' for i in range(mb * 1_000_000 // 12))
    return ('{"username":"admin","password":"x",' + ",".join(fields) + "}").encode()


def _post_big(port: int, body: bytes) -> dict[str, object]:
    """Send the sign-in body; the answer as soon as the server gives one."""
    head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    t0 = time.perf_counter()
    answer = bytearray()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
        def read() -> None:
            try:
                while chunk := s.recv(65536):
                    answer.extend(chunk)
            except OSError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        try:
            s.sendall(head)
            view = memoryview(body)
            for i in range(0, len(body), 65536):
                s.sendall(view[i:i + 65536])
                sent = i + len(view[i:i + 65536])
        except OSError:
            pass  # the server answered and closed before the whole body was sent
        reader.join()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return {"status": status, "seconds": round(time.perf_counter() - t0, 3),
            "answer_bytes": len(answer), "body_bytes": len(body), "sent_bytes": sent}


def _fd_limit_1024() -> None:
    """In the server's process: at most 1,024 open files, as in the red-team pass."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (EOF or reset waiting to be read)."""
    try:
        return sock.recv(4096) == b""  # the socket is non-blocking
    except (BlockingIOError, TimeoutError):
        return False
    except OSError:
        return True


def _half_sent(port: int, pid: int, log: Path, n: int, addresses: int,
               watch: float) -> dict[str, object]:
    """Open ``n`` connections that send half a head, then probe health for ``watch`` s."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 512)), hard))
    log_before = log.stat().st_size
    socks: list[socket.socket] = []
    failed_connect = 0
    t0 = time.perf_counter()
    for i in range(n):
        k = i % addresses
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind((f"127.1.{k // 250}.{k % 250 + 1}", 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            s.setblocking(False)  # _closed() must not wait
            socks.append(s)
        except OSError:
            failed_connect += 1
            s.close()
    opened_s = time.perf_counter() - t0
    probes: list[float] = []
    probe_failures = 0
    closed_at: dict[int, float] = {}
    fds_max = 0
    start = time.perf_counter()
    while time.perf_counter() - start < watch:
        try:
            status, secs = _get(port, "/api/v1/health", 5)
            if status == 200:
                probes.append(secs)
            else:
                probe_failures += 1
        except OSError:
            probe_failures += 1
        now = time.perf_counter() - start
        for j, s in enumerate(socks):
            if j not in closed_at and _closed(s):
                closed_at[j] = now
        with contextlib.suppress(OSError):
            fds_max = max(fds_max, len(os.listdir(f"/proc/{pid}/fd")))
        time.sleep(0.1)
    for s in socks:
        s.close()
    times = sorted(closed_at.values())
    return {
        "half_sent": n, "addresses": addresses, "connected": len(socks),
        "connect_failed": failed_connect, "seconds_to_open": round(opened_s, 2),
        "watch_s": watch, "closed_by_server": len(closed_at),
        "closed_at_s": {"first": round(times[0], 1) if times else None,
                        "last": round(times[-1], 1) if times else None},
        "server_fds_max": fds_max,
        "health_ok": len(probes), "health_failed": probe_failures,
        "health_ms_median": round(statistics.median(probes) * 1000, 1) if probes else None,
        "health_ms_worst": round(max(probes) * 1000, 1) if probes else None,
        "log_growth_bytes": log.stat().st_size - log_before,
        "log_lines_most_common": _most_common_lines(log, log_before),
    }


def _most_common_lines(log: Path, start: int, k: int = 3) -> list[tuple[str, int]]:
    """The ``k`` most frequent log lines written after byte ``start`` (first 100 characters)."""
    counts: dict[str, int] = {}
    with log.open("rb") as fh:
        fh.seek(start)
        for raw in fh:
            line = raw.decode("utf-8", "replace").strip()[:100]
            counts[line] = counts.get(line, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=20, help="size of the password field in MB")
    ap.add_argument("--shape", choices=("fields", "string"), default="fields",
                    help="many unknown fields (default) or one long password")
    ap.add_argument("--half-sent", type=int, default=0,
                    help="measure this many half-sent requests instead of a big sign-in")
    ap.add_argument("--addresses", type=int, default=1,
                    help="loopback addresses the half-sent requests come from")
    ap.add_argument("--watch", type=float, default=15.0,
                    help="seconds to probe health after the half-sent requests")
    args = ap.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        env["CARBONPEAK_HOME"] = str(Path(tmp) / "home")
        env.pop("CARBONPEAK_DATABASE_URL", None)
        subprocess.run([sys.executable, "-c", "from carbonpeak.cli import main; main()",
                        "init", "--profile", "huangpu"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = _free_port()
        log = Path(tmp) / "server.log"
        log_fh = log.open("wb")
        server = subprocess.Popen(
            [sys.executable, "-c", "from carbonpeak.cli import main; main()", "serve",
             "--port", str(port)], env=env, stdout=log_fh, stderr=subprocess.STDOUT,
            preexec_fn=_fd_limit_1024 if args.half_sent else None)  # noqa: PLW1509
        try:
            deadline = time.monotonic() + STARTUP_WAIT_S
            while True:
                try:
                    if _get(port, "/api/v1/health", 5)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            idle = [_get(port, "/api/v1/health")[1] for _ in range(20)]
            if args.half_sent:
                slow = _half_sent(port, server.pid, log, args.half_sent, args.addresses,
                                  args.watch)
                slow["health_ms_idle_median"] = round(statistics.median(idle) * 1000, 1)
                slow["server_alive_after"] = server.poll() is None
                print(json.dumps(slow, indent=2))
                return 0
            hwm_before = _vm(server.pid, "VmHWM")
            body = _body(args.mb, args.shape)  # built before the probes start
            probes: list[float] = []
            done = threading.Event()

            def probe() -> None:
                while not done.is_set() or len(probes) < MIN_PROBES:
                    try:
                        probes.append(_get(port, "/api/v1/health")[1])
                    except OSError:
                        probes.append(float("inf"))
                    time.sleep(0.05)

            prober = threading.Thread(target=probe)
            prober.start()
            result = _post_big(port, body)
            done.set()
            prober.join()
            hwm_after = _vm(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(30)
            log_fh.close()
    out = {
        "body_mb": args.mb, "shape": args.shape, "login": result,
        "server_peak_rss_mib": {"before": round(hwm_before / 1024, 1),
                                "after": round(hwm_after / 1024, 1)},
        "health_ms_idle_median": round(statistics.median(idle) * 1000, 1),
        "health_probes_during": len(probes),
        "health_ms_during_median": round(statistics.median(probes) * 1000, 1) if probes else None,
        "health_ms_during_worst": round(max(probes) * 1000, 1) if probes else None,
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
