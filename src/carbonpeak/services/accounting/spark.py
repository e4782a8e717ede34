"""The Spark session of the account: where it runs, configured so Spark SQL gives the same
numbers as DuckDB (UTC session time zone, timestamps without time zone).

Where it runs is ``CARBONPEAK_SPARK_MASTER`` (:attr:`carbonpeak.config.Settings.spark_master`):

* unset, or ``local[n]``: Spark inside this process on ``n`` cores (``local[2]`` by default,
  the tests' and the demo's);
* ``spark://host:7077``, ``yarn``, ``k8s://https://…``, ``mesos://…``: a cluster, through its
  master (the driver stays in this process);
* ``sc://host:15002``: a Spark Connect server (needs ``pyspark[connect]``: grpcio).

``CARBONPEAK_SPARK_CONF`` (JSON, ``{"spark.…": "…"}``) adds configuration for a cluster: the
hadoop-aws connector and the S3 credentials for an ``s3a://`` lake, executor memory, … (see
docs/scale.md). Executors read the lake files at the paths the registry lists under the lake
root, so on a cluster the lake must be at the same path on every node (a shared mount).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from carbonpeak.errors import ConfigError

__all__ = ["DEFAULT_MASTER", "SparkTarget", "local_session", "spark_session", "spark_target"]

#: the default: two local cores (the tests, the demo, a laptop)
DEFAULT_MASTER = "local[2]"
_LOCAL = re.compile(r"^local(\[(\d+|\*)(,\d+)?\])?$")
_CLUSTER = re.compile(r"^(spark://\S+|yarn|k8s://\S+|mesos://\S+)$")
_CONNECT = re.compile(r"^sc://[^\s/]+(/\S*)?$")

#: what the account's SQL needs of every session, local or not (the same numbers as DuckDB)
_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


@dataclass(frozen=True)
class SparkTarget:
    """Where a session runs: ``kind`` is ``local``, ``cluster`` or ``connect``; ``url`` the
    master (``local[2]``, ``spark://…``) or the Spark Connect URL; ``conf`` every setting
    the session is built with."""

    kind: str
    url: str
    conf: dict[str, str] = field(default_factory=dict)


def spark_target(master: str | None = None, extra_conf: dict[str, str] | None = None,
                 *, cores: int = 2) -> SparkTarget:
    """Where the account's Spark runs, from ``CARBONPEAK_SPARK_MASTER`` (``master``; None:
    ``local[cores]``) and ``CARBONPEAK_SPARK_CONF`` (``extra_conf``, which may not change the
    SQL settings the numbers depend on).

    Raises
    ------
    ConfigError
        A master that is none of ``local[n]``, ``spark://``, ``yarn``, ``k8s://``,
        ``mesos://`` or ``sc://``; or extra settings that would change the SQL's semantics.
    """
    url = (master or "").strip() or f"local[{cores}]"
    extra = {str(k): str(v) for k, v in (extra_conf or {}).items()}
    clash = sorted(k for k in extra if k in _SQL_CONF and extra[k] != _SQL_CONF[k])
    if clash:
        msg = (f"CARBONPEAK_SPARK_CONF may not change {', '.join(clash)}: the account's SQL "
               "needs UTC and timestamps without time zone to equal DuckDB's numbers")
        raise ConfigError(msg)
    m = _LOCAL.match(url)
    if m:
        n = m.group(2)
        shuffle = str(2 * (int(n) if n and n != "*" else (os.cpu_count() or cores)))
        conf = {"spark.ui.enabled": "false", "spark.driver.memory": "2g",
                "spark.sql.shuffle.partitions": shuffle, **_SQL_CONF, **extra}
        return SparkTarget("local", url, conf)
    if _CLUSTER.match(url):
        return SparkTarget("cluster", url, {**_SQL_CONF, **extra})
    if _CONNECT.match(url):
        return SparkTarget("connect", url, {**_SQL_CONF, **extra})
    msg = (f"CARBONPEAK_SPARK_MASTER={url!r} is not a Spark master: use local[n], "
           "spark://host:port, yarn, k8s://…, mesos://… or a Spark Connect URL sc://host:port")
    raise ConfigError(msg)


def spark_session(master: str | None = None, extra_conf: dict[str, str] | None = None,
                  *, cores: int = 2) -> Any:
    """A Spark session where :func:`spark_target` says (``local[2]`` by default).

    Requires the ``spark`` extra (pyspark) and Java 17; a Spark Connect URL also needs
    ``pyspark[connect]``.
    """
    target = spark_target(master, extra_conf, cores=cores)
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    if target.kind == "local":
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder: Any
    if target.kind == "connect":
        try:
            # the Connect client's own session class: a client, whatever else the process runs
            from pyspark.sql.connect.session import SparkSession as ConnectSession

            builder = ConnectSession.builder.remote(target.url).appName("carbonpeak")
        except ImportError as exc:  # grpcio and friends: pyspark[connect]
            msg = f"a Spark Connect URL needs pyspark[connect] ({exc})"
            raise ConfigError(msg) from exc
    else:
        builder = SparkSession.builder.appName("carbonpeak").master(target.url)
    for key, value in target.conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def local_session(cores: int = 2) -> Any:
    """Start ``local[cores]`` Spark (the tests' session)."""
    return spark_session(f"local[{cores}]", cores=cores)
