#!/usr/bin/env python
"""Ingest benchmark: HTTP, MQTT and file import against a bare Parquet write of the same rows.

One run, on the same synthetic readings (``--meters`` hourly interval electricity meters of
the Huangpu profile; every batch carries new readings, never repeats):

1. **Baseline** - the rows of each HTTP batch as the lake stores them (meter_id, ts UTC,
   value, month, batch_id; sorted by meter_id, ts) written with ``pyarrow.parquet.write_table``
   with the lake's settings (zstd, 1 M-row row groups, fsync of the file and its folder, as in
   ``write_parquet_durably``), one file per batch -> rows/s.
2. **HTTP bulk ingest** - ``POST /api/v1/readings`` to a real ``carbonpeak serve`` process on
   loopback (uvicorn, 1 worker; SQLite registry in a temporary home), bodies pre-encoded,
   ``--batch-rows`` rows per request, with 1 client and with 8 concurrent clients (threads,
   one httpx client each, pulling batches from a shared queue), as JSON and as CSV ->
   readings/s, and the ratio to the baseline.
3. **MQTT** - ``--mqtt-messages`` QoS 1 messages published to Mosquitto on 127.0.0.1:1883
   (``carbonpeak/readings/{meter_id}``, payload ``{"ts", "value"}``) while a
   ``carbonpeak ingest mqtt`` process stores them; from the first publish until the registry
   counts every message in a stored batch -> messages/s.
4. **File import** - ``import_file(ws, "readings", path)`` of the rows of one HTTP run as a CSV
   file and (at most ``--xlsx-rows`` of them) as an .xlsx file (openpyxl write-only), each into
   a fresh home with the same entities and meters -> rows/s.
5. **Where the time goes** - in process, ``carbonpeak.intake.feeds.ingest_readings`` of one
   batch per format into a fresh home, with the time split into parse / validate / lake prepare
   (Parquet writes) / lake recover / registry and the rest, and a cProfile top list.

Results: a rich table on stdout, ``benchmarks/results/ingest.json`` (``--out``) and the section
"Data in (issue 3)" of ``docs/benchmarks.md``.

Rerun: ``.venv/bin/python benchmarks/bench_ingest.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOC = REPO / "docs" / "benchmarks.md"
DISTRICT = "huangpu"
UTC_OFFSET_H = 8  # Asia/Shanghai
MACHINE = "2 cores (AMD EPYC, KVM), 24 GiB RAM, Linux"
BEGIN, END = "<!-- bench_ingest:begin -->", "<!-- bench_ingest:end -->"
BROKER = ("127.0.0.1", 1883)
console = Console()


# -- synthetic data -------------------------------------------------------------------------
def meter_ids(n: int) -> list[str]:
    return [f"B{i // 4 + 1:04d}-E{i % 4}" for i in range(n)]


def write_registry_csvs(folder: Path, n_meters: int) -> tuple[Path, Path]:
    from carbonpeak.reference import read_profile

    streets = read_profile(DISTRICT)["streets"]
    folder.mkdir(parents=True, exist_ok=True)
    ent = ["entity_id,name,kind,street,building_type,floor_area_m2"]
    met = ["meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes"]
    subs = ("", "lighting_socket", "hvac", "power")
    for b in range((n_meters + 3) // 4):
        bid = f"B{b + 1:04d}"
        ent.append(f"{bid},Ingest building {b + 1},building,"
                   f"{streets[b % len(streets)]['name_zh']},office,20000")
    for i, m in enumerate(meter_ids(n_meters)):
        met.append(f"{m},{m.split('-')[0]},electricity,kWh,{subs[i % 4]},interval,1,60")
    entities, meters = folder / "entities.csv", folder / "meters.csv"
    entities.write_text("\n".join(ent) + "\n", encoding="utf-8")
    meters.write_text("\n".join(met) + "\n", encoding="utf-8")
    return entities, meters


class Batch:
    """``n_meters`` meters x ``hours`` consecutive hours from local hour ``start``."""

    def __init__(self, meters: list[str], start: int, hours: int, seed: int) -> None:
        self.meters, self.start, self.hours = meters, start, hours
        rng = np.random.default_rng([seed, start])
        self.values = rng.uniform(1.0, 500.0, size=len(meters) * hours).round(3)
        local = np.datetime64("2024-01-01T00", "h") + np.arange(start, start + hours)
        self.local = np.tile(local, len(meters))
        self.meter_col = np.repeat(np.array(meters, dtype=object), hours)

    @property
    def rows(self) -> int:
        return len(self.values)

    def ts_strings(self) -> np.ndarray:
        return np.datetime_as_string(self.local, unit="s")

    def json_body(self) -> bytes:
        import orjson

        ts = self.ts_strings().tolist()
        return orjson.dumps([{"meter_id": m, "ts": t, "value": v} for m, t, v in
                             zip(self.meter_col.tolist(), ts, self.values.tolist(), strict=True)])

    def csv_body(self) -> bytes:
        out = io.StringIO()
        out.write("meter_id,ts,value\n")
        for m, t, v in zip(self.meter_col.tolist(), self.ts_strings().tolist(),
                           self.values.tolist(), strict=True):
            out.write(f"{m},{t},{v!r}\n")
        return out.getvalue().encode()

    def lake_table(self, batch_id: int = 1) -> pa.Table:
        """The rows as the lake stores them (UTC, month, batch_id), sorted by key."""
        utc = (self.local - np.timedelta64(UTC_OFFSET_H, "h")).astype("M8[us]")
        month = np.datetime_as_string(self.local, unit="M")
        t = pa.table({
            "meter_id": pa.array(self.meter_col.tolist(), pa.string()),
            "ts": pa.array(utc, pa.timestamp("us")),
            "value": pa.array(self.values, pa.float64()),
            "month": pa.array(month.tolist(), pa.string()),
        })
        t = t.sort_by([("meter_id", "ascending"), ("ts", "ascending")])
        return t.append_column("batch_id", pa.repeat(pa.scalar(batch_id, pa.int64()),
                                                     t.num_rows))


def run_batches(args: argparse.Namespace, meters: list[str], window: int) -> list[Batch]:
    """The batches of one run: ``--rows`` rows in ``--batch-rows`` pieces, hour window
    ``window`` (runs never share an hour, so every batch is new readings)."""
    hours_per_batch = max(1, args.batch_rows // len(meters))
    n_batches = max(1, args.rows // (hours_per_batch * len(meters)))
    base = window * n_batches * hours_per_batch
    return [Batch(meters, base + k * hours_per_batch, hours_per_batch, args.seed)
            for k in range(n_batches)]


# -- helpers --------------------------------------------------------------------------------
def log(msg: str) -> None:
    console.log(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_home(home: Path, meters_csv: tuple[Path, Path]) -> Any:
    from carbonpeak.config import Settings
    from carbonpeak.intake.bootstrap import init_workspace
    from carbonpeak.intake.imports import import_file

    settings = Settings(home=home, database_url=None)
    ws, _ = init_workspace(settings, profiles=[DISTRICT], actor="bench")
    import_file(ws, "entities", meters_csv[0])
    import_file(ws, "meters", meters_csv[1])
    return ws


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def child_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def machine_busy() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4)) / os.sysconf(
        "SC_CLK_TCK")


# -- 1. baseline ----------------------------------------------------------------------------
def write_durably(table: pa.Table, path: Path) -> None:
    """The lake's own writer: zstd, 1 M-row row groups, fsync file and folder, rename."""
    from carbonpeak.storage.lake.store import write_parquet_durably

    write_parquet_durably(table, path)


def phase_baseline(batches: list[Batch], folder: Path) -> dict[str, Any]:
    tables = [b.lake_table(i + 1) for i, b in enumerate(batches)]
    rows = sum(t.num_rows for t in tables)
    per_batch = []
    for i, t in enumerate(tables):
        t0 = time.perf_counter()
        write_durably(t, folder / f"b{i:08d}.parquet")
        per_batch.append(time.perf_counter() - t0)
    whole = pa.concat_tables(tables)
    t0 = time.perf_counter()
    write_durably(whole, folder / "whole.parquet")
    whole_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in folder.glob("b*.parquet"))
    shutil.rmtree(folder)
    return {"rows": rows, "batches": len(tables), "seconds": sum(per_batch),
            "rows_per_s": rows / sum(per_batch), "whole_file_seconds": whole_s,
            "whole_file_rows_per_s": rows / whole_s, "bytes": size}


# -- 2. HTTP --------------------------------------------------------------------------------
class Server:
    def __init__(self, home: Path, url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "CARBONPEAK_HOME": str(home), "CARBONPEAK_DATABASE_URL": url,
                    "PYTHONPATH": str(REPO / "src")}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import httpx

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "carbonpeak", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        msg = "the server did not start"
        raise RuntimeError(msg)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def http_run(server: Server, token: str, bodies: list[tuple[bytes, int]], ctype: str,
             clients: int, label: str) -> dict[str, Any]:
    import httpx

    work: queue.Queue[tuple[int, bytes, int]] = queue.Queue()
    for i, (body, n) in enumerate(bodies):
        work.put((i, body, n))
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    with progress() as prog:
        task = prog.add_task(label, total=len(bodies))

        def client() -> None:
            with httpx.Client(base_url=server.url, timeout=600) as c:
                start.wait()
                while True:
                    try:
                        i, body, n = work.get_nowait()
                    except queue.Empty:
                        return
                    r = c.post("/api/v1/readings", content=body, headers={
                        "Authorization": f"Bearer {token}", "Content-Type": ctype,
                        "Idempotency-Key": f"{label.replace(' ', '-')}-{i}-{uuid.uuid4().hex[:6]}"})
                    with lock:
                        if r.status_code != 202 or r.json()["accepted"] != n:
                            errors.append(f"{r.status_code}: {r.text[:300]}")
                        else:
                            answers.append(r.json())
                    prog.advance(task)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        assert server.proc is not None
        c0, busy0 = child_cpu_s(server.proc.pid), machine_busy()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        c1, busy1 = child_cpu_s(server.proc.pid), machine_busy()
    rows = sum(n for _, n in bodies)
    if errors:
        raise RuntimeError(f"{label}: {len(errors)} request(s) failed; first: {errors[0]}")
    return {"rows": rows, "requests": len(bodies), "clients": clients, "format": ctype,
            "body_bytes": sum(len(b) for b, _ in bodies), "seconds": wall,
            "rows_per_s": rows / wall, "server_cpu_s": c1 - c0,
            "machine_cpu_share": (busy1 - busy0) / (wall * (os.cpu_count() or 1)),
            "statuses": sorted({a["status"] for a in answers})}


def lake_count(ws: Any) -> int:
    import duckdb

    files = [str(p) for p in ws.lake.live_files(DISTRICT, "readings")]
    if not files:
        return 0
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r}, "
                          "hive_partitioning=false)").fetchall()[0][0])


def phase_http(args: argparse.Namespace, work: Path, csvs: tuple[Path, Path],
               meters: list[str]) -> tuple[dict[str, Any], list[Batch]]:
    from carbonpeak.services.access.users import create_user, issue_token

    ws = open_home(work / "http", csvs)
    create_user(ws, "bench-admin", "district_admin")
    token = issue_token(ws, "bench-admin").token
    server = Server(ws.settings.home, ws.settings.url)
    server.start()
    runs: dict[str, Any] = {}
    first: list[Batch] = []
    try:
        window = 0
        for fmt, ctype in (("json", "application/json"), ("csv", "text/csv")):
            for clients in (1, 8):
                batches = run_batches(args, meters, window)
                window += 1
                if not first:
                    first = batches
                log(f"HTTP {fmt}, {clients} client(s): encoding {len(batches)} bodies")
                bodies = [(b.json_body() if fmt == "json" else b.csv_body(), b.rows)
                          for b in batches]
                before = lake_count(ws)
                res = http_run(server, token, bodies, ctype, clients,
                               f"HTTP {fmt} x{clients}")
                res["lake_rows_added"] = lake_count(ws) - before
                if res["lake_rows_added"] != res["rows"]:
                    raise RuntimeError(f"lake gained {res['lake_rows_added']} rows, "
                                       f"expected {res['rows']}")
                runs[f"{fmt}_{clients}"] = res
                log(f"HTTP {fmt} x{clients}: {res['rows']:,} rows in {res['seconds']:.2f} s "
                    f"= {res['rows_per_s']:,.0f} readings/s")
                del bodies
    finally:
        server.stop()
        ws.close()
    return runs, first


# -- 3. MQTT --------------------------------------------------------------------------------
def broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
        return True
    except OSError:
        return False


def phase_mqtt(args: argparse.Namespace, work: Path, csvs: tuple[Path, Path],
               meters: list[str]) -> dict[str, Any]:
    import orjson
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from sqlalchemy import func, select

    from carbonpeak.storage.registry.models import IngestBatch

    if not broker_up():
        return {"skipped": "no MQTT broker on 127.0.0.1:1883"}
    ws = open_home(work / "mqtt", csvs)
    n = args.mqtt_messages
    hours = -(-n // len(meters))
    local = np.datetime64("2024-06-01T00", "h") + np.arange(hours)
    ts = np.datetime_as_string(local, unit="s").tolist()
    items = [(f"carbonpeak/readings/{m}", orjson.dumps({"ts": t, "value": round(1 + k % 97 * 0.5,
                                                                                   3)}))
             for k, (t, m) in enumerate((t, m) for t in ts for m in meters)][:n]
    client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CARBONPEAK_HOME": str(ws.settings.home),
           "CARBONPEAK_DATABASE_URL": ws.settings.url, "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "carbonpeak", "ingest", "mqtt", "--client-id", client_id,
           "--batch-size", str(args.mqtt_batch_size), "--batch-seconds", "1.0"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)

    def stored() -> int:
        with ws.registry.session() as s:
            return int(s.scalar(select(func.coalesce(func.sum(IngestBatch.rows_in), 0)).where(
                IngestBatch.channel == "mqtt",
                IngestBatch.status.in_(["committed", "no_change", "rejected"]))) or 0)

    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:8]}",
                      protocol=mqtt.MQTTv5)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "MQTT ingest" not in line:
            raise RuntimeError(f"the ingester did not start: {line}")
        time.sleep(1.5)  # connected and subscribed
        pub.max_inflight_messages_set(1000)
        pub.connect(*BROKER)
        pub.loop_start()
        c0 = child_cpu_s(proc.pid)
        with progress() as prog:
            task = prog.add_task("MQTT stored", total=n)
            t0 = time.perf_counter()
            infos = [pub.publish(topic, payload, qos=1) for topic, payload in items]
            for info in infos:
                info.wait_for_publish(60)
            t_pub = time.perf_counter() - t0
            deadline = time.monotonic() + 600
            done = 0
            while done < n and time.monotonic() < deadline:
                done = stored()
                prog.update(task, completed=done)
                if done < n:
                    time.sleep(0.05)
            wall = time.perf_counter() - t0
        c1 = child_cpu_s(proc.pid)
    finally:
        pub.loop_stop()
        pub.disconnect()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        forget = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv5)
        forget.connect(*BROKER, clean_start=True)
        forget.disconnect()
    in_lake = lake_count(ws)
    with ws.registry.session() as s:
        n_batches = int(s.scalar(select(func.count()).select_from(IngestBatch).where(
            IngestBatch.channel == "mqtt")) or 0)
    ws.close()
    if done < n or in_lake != n:
        raise RuntimeError(f"MQTT: {done} of {n} messages stored, {in_lake} in the lake")
    return {"messages": n, "seconds": wall, "messages_per_s": n / wall,
            "publish_seconds": t_pub, "batches": n_batches, "lake_rows": in_lake,
            "batch_size": args.mqtt_batch_size, "ingester_cpu_s": c1 - c0}


# -- 4. file import -------------------------------------------------------------------------
def phase_files(args: argparse.Namespace, work: Path, csvs: tuple[Path, Path],
                batches: list[Batch]) -> dict[str, Any]:
    from carbonpeak.intake.imports import import_file

    out: dict[str, Any] = {}
    csv_path = work / "readings.csv"
    with csv_path.open("wb") as fh:
        fh.write(b"meter_id,ts,value\n")
        for b in batches:
            fh.write(b.csv_body().split(b"\n", 1)[1])
    rows = sum(b.rows for b in batches)
    xlsx_rows = min(rows, args.xlsx_rows)
    xlsx_path = work / "readings.xlsx"
    log(f"writing {xlsx_rows:,} rows to {xlsx_path.name} (openpyxl write-only)")
    t0 = time.perf_counter()
    write_xlsx(xlsx_path, batches, xlsx_rows)
    xlsx_write_s = time.perf_counter() - t0
    for fmt, path, n in (("csv", csv_path, rows), ("xlsx", xlsx_path, xlsx_rows)):
        ws = open_home(work / f"import-{fmt}", csvs)
        with progress() as prog:
            task = prog.add_task(f"import_file {fmt}", total=1)
            t0 = time.perf_counter()
            c0 = cpu_s()
            res = import_file(ws, "readings", path)
            sec = time.perf_counter() - t0
            cpu = cpu_s() - c0
            prog.advance(task)
        if res.status != "committed" or res.rows != n:
            raise RuntimeError(f"import {fmt}: {res.status}, {res.rows} rows; {res.messages}")
        out[fmt] = {"rows": n, "seconds": sec, "rows_per_s": n / sec, "cpu_s": cpu,
                    "file_bytes": path.stat().st_size}
        log(f"import_file {fmt}: {n:,} rows in {sec:.2f} s = {n / sec:,.0f} rows/s")
        ws.close()
    out["xlsx"]["write_seconds"] = xlsx_write_s
    return out


def write_xlsx(path: Path, batches: list[Batch], limit: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("readings")
    sheet.append(["meter_id", "ts", "value"])
    left = limit
    for b in batches:
        for m, t, v in zip(b.meter_col.tolist(), b.ts_strings().tolist(), b.values.tolist(),
                           strict=True):
            if left <= 0:
                break
            sheet.append([m, t, v])
            left -= 1
    wb.save(path)


# -- 5. where the time goes -----------------------------------------------------------------
@contextmanager
def timed_calls(targets: list[tuple[Any, str, str]], acc: dict[str, float]) -> Iterator[None]:
    """Wrap ``obj.attr`` so that its wall time adds up in ``acc[label]``."""
    saved = []
    for obj, attr, label in targets:
        orig = getattr(obj, attr)
        saved.append((obj, attr, orig))

        def wrap(*a: Any, _orig: Callable[..., Any] = orig, _label: str = label,
                 **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _orig(*a, **k)
            finally:
                acc[_label] = acc.get(_label, 0.0) + time.perf_counter() - t0

        setattr(obj, attr, wrap)
    try:
        yield
    finally:
        for obj, attr, orig in saved:
            setattr(obj, attr, orig)


def phase_profile(args: argparse.Namespace, work: Path, csvs: tuple[Path, Path],
                  meters: list[str]) -> dict[str, Any]:
    from carbonpeak.intake import feeds
    from carbonpeak.storage.lake.store import Lake
    from carbonpeak.storage.principals import Principal

    ws = open_home(work / "profile", csvs)
    p = Principal(0, "bench", "district_admin", DISTRICT)
    out: dict[str, Any] = {}
    for k, (fmt, ctype) in enumerate((("json", "application/json"), ("csv", "text/csv"))):
        chosen = run_batches(args, meters, 10 + k)
        bodies = [(b.json_body() if fmt == "json" else b.csv_body()) for b in chosen]
        acc: dict[str, float] = {}
        targets = [(feeds, "parse_body", "parse"), (feeds, "validate_readings", "validate"),
                   (feeds, "writable_meters", "meters lookup"),
                   (feeds, "write_lake_batch", "write_lake_batch"),
                   (Lake, "prepare", "lake prepare"), (Lake, "recover", "lake recover")]
        total = 0.0
        prof = cProfile.Profile()
        with timed_calls(targets, acc):
            for body in bodies:
                t0 = time.perf_counter()
                prof.enable()
                r = feeds.ingest_readings(ws, p, body, ctype)
                prof.disable()
                total += time.perf_counter() - t0
                assert r.status == "committed", r.messages
        rows = sum(b.rows for b in chosen)
        acc["registry and the rest of write_lake_batch"] = (
            acc.pop("write_lake_batch") - acc["lake prepare"] - acc["lake recover"])
        acc["other"] = total - sum(acc.values())
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(12)
        out[fmt] = {"rows": rows, "batches": len(bodies), "seconds": total,
                    "rows_per_s": rows / total,
                    "parts": dict(sorted(acc.items(), key=lambda kv: -kv[1])),
                    "cprofile_top": _top_lines(s.getvalue())}
        log(f"in-process ingest_readings {fmt}: {rows:,} rows in {total:.2f} s; "
            + ", ".join(f"{k2} {v:.2f}" for k2, v in out[fmt]["parts"].items()))
    ws.close()
    return out


def _top_lines(text: str) -> list[str]:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("ncalls"):
            return [re.sub(r"\s+", " ", x.strip()) for x in lines[i + 1:] if x.strip()]
    return []


# -- report ---------------------------------------------------------------------------------
def summary_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(what, rows, seconds, rows/s, ratio to the bare write) per measurement."""
    base = res["baseline"]["rows_per_s"]
    out = [("bare Parquet write (zstd, fsync), one file per batch", f"{res['baseline']['rows']:,}",
            f"{res['baseline']['seconds']:.2f}", f"{base:,.0f}", "1.00")]
    for key, label in (("json_1", "HTTP JSON, 1 client"), ("json_8", "HTTP JSON, 8 clients"),
                       ("csv_1", "HTTP CSV, 1 client"), ("csv_8", "HTTP CSV, 8 clients")):
        r = res["http"][key]
        out.append((label, f"{r['rows']:,}", f"{r['seconds']:.2f}", f"{r['rows_per_s']:,.0f}",
                    f"{r['rows_per_s'] / base:.2f}"))
    m = res["mqtt"]
    if "skipped" not in m:
        out.append((f"MQTT QoS 1, ingester batches of {m['batch_size']:,}",
                    f"{m['messages']:,}", f"{m['seconds']:.2f}", f"{m['messages_per_s']:,.0f}",
                    f"{m['messages_per_s'] / base:.3f}"))
    for fmt, label in (("csv", "import_file CSV"), ("xlsx", "import_file .xlsx")):
        r = res["files"][fmt]
        out.append((label, f"{r['rows']:,}", f"{r['seconds']:.2f}", f"{r['rows_per_s']:,.0f}",
                    f"{r['rows_per_s'] / base:.2f}"))
    return out


def print_table(res: dict[str, Any]) -> None:
    t = Table(title=f"Ingest benchmark, {res['rows']:,} rows per run, "
              f"{res['meters']} meters, batches of {res['batch_rows']:,}")
    for c in ("measured", "rows", "s", "rows/s", "x bare"):
        t.add_column(c, justify="left" if c == "measured" else "right")
    for row in summary_rows(res):
        t.add_row(*row)
    console.print(t)
    for fmt, prof in res["profile"].items():
        pt = Table(title=f"in-process ingest_readings, {fmt}: {prof['rows']:,} rows")
        pt.add_column("part")
        pt.add_column("s", justify="right")
        pt.add_column("share", justify="right")
        for k, v in prof["parts"].items():
            pt.add_row(k, f"{v:.3f}", f"{v / prof['seconds']:.0%}")
        console.print(pt)


def doc_section(res: dict[str, Any]) -> str:
    base = res["baseline"]
    best = max(res["http"][k]["rows_per_s"] for k in res["http"])
    aim = best / base["rows_per_s"]
    lines = [
        BEGIN,
        f"Run {res['date']}; machine: {MACHINE}; {res['meters']} hourly interval electricity "
        f"meters (Huangpu profile), {res['rows']:,} readings per run in batches of "
        f"{res['batch_rows']:,} (each batch new readings: meters x consecutive hours, no "
        "repeats), SQLite registry. Rerun:",
        "",
        "```sh",
        f".venv/bin/python benchmarks/bench_ingest.py --rows {res['rows']}",
        "```",
        "",
        "| measured | rows | s | rows/s | x bare write |",
        "|---|---:|---:|---:|---:|",
        *("| " + " | ".join(r) + " |" for r in summary_rows(res)),
        "",
        "What each line measures: *bare Parquet write* = `pyarrow.parquet.write_table` of the "
        "rows as the lake stores them (meter_id, ts UTC, value, month, batch_id, sorted), zstd, "
        "1 M-row row groups, fsync of file and folder, one file per batch (as "
        f"`write_parquet_durably`; one file of all {base['rows']:,} rows: "
        f"{base['whole_file_rows_per_s']:,.0f} rows/s). *HTTP* = `POST /api/v1/readings` to "
        "`carbonpeak serve` (uvicorn, 1 worker process) on loopback, bodies encoded beforehand, "
        "from the first request until the last answer (each answer comes after the batch is "
        "durable); 8 clients = 8 threads with their own connection pulling batches from one "
        "queue; the lake count is checked after each run. *MQTT* = QoS 1 publishes to "
        "Mosquitto until the registry counts every message in a stored batch (`carbonpeak "
        "ingest mqtt`, batches of up to "
        f"{res['mqtt'].get('batch_size', 0):,} messages or 1 s). *import_file* = "
        "`import_file(ws, \"readings\", path)` into a fresh home (read, validate, write)"
        + (f"; the .xlsx holds only the first {res['files']['xlsx']['rows']:,} rows "
           f"(openpyxl write-only took {res['files']['xlsx']['write_seconds']:.0f} s to write "
           "it; reading it dominates the import)"
           if res["files"]["xlsx"]["rows"] < res["rows"] else "") + ".",
        "",
        f"**Aim (HTTP bulk ingest >= 1/3 of the bare write rate): "
        f"{'met' if aim >= 1 / 3 else 'not met'}** - the best HTTP run reaches "
        f"{best:,.0f} readings/s, {aim:.2f}x the bare write rate "
        f"({base['rows_per_s']:,.0f} rows/s).",
        "",
        "Where the server's time goes (in process, `carbonpeak.intake.feeds.ingest_readings` "
        "into a fresh home, wall seconds):",
        "",
        "| format | rows | total s | " + " | ".join(res["profile"]["json"]["parts"]) + " |",
        "|---|---:|---:|" + "---:|" * len(res["profile"]["json"]["parts"]),
    ]
    for fmt, prof in res["profile"].items():
        cells = [fmt, f"{prof['rows']:,}", f"{prof['seconds']:.2f}"]
        parts = prof["parts"]
        cells += [f"{parts.get(k, 0.0):.2f} ({parts.get(k, 0.0) / prof['seconds']:.0%})"
                  for k in res["profile"]["json"]["parts"]]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(END)
    return "\n".join(lines)


def update_doc(res: dict[str, Any], path: Path = DOC) -> None:
    """Replace the generated block of the "Data in (issue 3)" section (or add the section)."""
    text = path.read_text(encoding="utf-8")
    block = doc_section(res)
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = (text.rstrip("\n") + "\n\n## Data in (issue 3) (`benchmarks/bench_ingest.py`)\n\n"
                + block + "\n")
    path.write_text(text, encoding="utf-8")


# -- main -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--rows", type=int, default=200_000, help="readings per run")
    p.add_argument("--meters", type=int, default=400, help="meters (4 per building)")
    p.add_argument("--batch-rows", type=int, default=20_000, help="rows per HTTP request")
    p.add_argument("--mqtt-messages", type=int, default=20_000)
    p.add_argument("--mqtt-batch-size", type=int, default=5000)
    p.add_argument("--xlsx-rows", type=int, default=100_000,
                   help="at most this many rows in the .xlsx import")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--only", nargs="*", default=None,
                   choices=["baseline", "http", "mqtt", "files", "profile"],
                   help="run only these phases (the doc is then not updated)")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "ingest.json")
    p.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    p.add_argument("--keep", action="store_true", help="keep the temporary homes")
    return p.parse_args(argv)


def versions() -> dict[str, str]:
    import duckdb
    import fastapi
    import uvicorn

    return {"duckdb": duckdb.__version__, "pyarrow": pa.__version__,
            "fastapi": fastapi.__version__, "uvicorn": uvicorn.__version__,
            "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    phases = set(args.only or ["baseline", "http", "mqtt", "files", "profile"])
    work = Path(tempfile.mkdtemp(prefix="carbonpeak-bench-ingest-"))
    meters = meter_ids(args.meters)
    csvs = write_registry_csvs(work / "registry", args.meters)
    res: dict[str, Any] = {
        "benchmark": "ingest", "date": dt.date.today().isoformat(), "rows": args.rows,
        "meters": args.meters, "batch_rows": args.batch_rows, "seed": args.seed,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
    }
    t0 = time.perf_counter()
    try:
        if "http" in phases:
            res["http"], first = phase_http(args, work, csvs, meters)
        else:
            first = run_batches(args, meters, 0)
        if "baseline" in phases:
            log("baseline: bare Parquet writes")
            res["baseline"] = phase_baseline(first, work / "bare")
            log(f"bare write: {res['baseline']['rows_per_s']:,.0f} rows/s")
        if "mqtt" in phases:
            log(f"MQTT: {args.mqtt_messages:,} messages")
            res["mqtt"] = phase_mqtt(args, work, csvs, meters)
            log(f"MQTT: {res['mqtt']}")
        if "files" in phases:
            res["files"] = phase_files(args, work, csvs, first)
        if "profile" in phases:
            res["profile"] = phase_profile(args, work, csvs, meters)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    res["driver_wall_s"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, default=str))
    complete = phases == {"baseline", "http", "mqtt", "files", "profile"}
    if complete:
        print_table(res)
        if not args.no_doc:
            update_doc(res)
    log(f"results: {args.out}" + ("" if args.no_doc or not complete else f"; {DOC}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
