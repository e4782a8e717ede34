"""A local SparkSession configured so Spark SQL gives the same numbers as DuckDB."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["local_session"]


def local_session(cores: int = 2) -> Any:
    """Start ``local[cores]`` Spark: UTC session time zone, timestamps without time zone.

    Requires the ``spark`` extra (pyspark) and Java 17.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("carbonpeak")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
