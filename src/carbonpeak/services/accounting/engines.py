"""Run the SQL steps of a pipeline on DuckDB (in-process, default) or Spark.

The steps are written once in DuckDB's dialect; for Spark each is transpiled by sqlglot.
DuckDB materialises each step as a temporary table, so the big scan of the readings happens
once however many roll-ups read the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot

from carbonpeak.errors import ConfigError
from carbonpeak.i18n import msg
from carbonpeak.services.accounting.account_sql import is_month_view
from carbonpeak.storage.lake.objects import hadoop_path

__all__ = ["EMPTY_SCHEMAS", "PipelineInputs", "run_duckdb", "run_spark", "to_spark_sql"]

logger = logging.getLogger(__name__)

EMPTY_SCHEMAS: dict[str, pa.Schema] = {
    "readings": pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")),
                           ("value", pa.float64()), ("month", pa.string()),
                           ("batch_id", pa.int64())]),
    "registers": pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")),
                            ("value", pa.float64()), ("month", pa.string()),
                            ("batch_id", pa.int64())]),
    "ledger": pa.schema([("entity_id", pa.string()), ("period", pa.string()),
                         ("carrier", pa.string()), ("quantity", pa.float64()),
                         ("unit", pa.string()), ("line", pa.int32()), ("month", pa.string()),
                         ("batch_id", pa.int64())]),
}


#: the account's withheld readings and register reads (none unless given)
WITHHELD_SCHEMA = pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")),
                             ("value", pa.float64())])


@dataclass
class PipelineInputs:
    """Inputs of a pipeline: Parquet file lists (lake) and small in-memory tables."""

    files: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)

    def all_tables(self) -> dict[str, pa.Table]:
        """The tables, with an empty ``withheld`` and ``withheld_registers`` when none was
        given."""
        return {"withheld": WITHHELD_SCHEMA.empty_table(),
                "withheld_registers": WITHHELD_SCHEMA.empty_table(), **self.tables}


Progress = Callable[[str], None]


def run_duckdb(
    steps: Sequence[tuple[str, str]], inputs: PipelineInputs, outputs: Sequence[str], *,
    threads: int = 2, progress: Progress | None = None,
    connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
    memory_limit: str | None = None, temp_directory: str | None = None,
) -> dict[str, pa.Table]:
    """Run ``steps`` on an in-memory DuckDB and return the ``outputs`` tables.

    ``connect`` opens the connection; the lake's (``Lake.connect``) reads its object store.
    ``memory_limit`` (``"6GB"``) caps DuckDB's memory: beyond it, aggregations and the
    materialised steps spill to ``temp_directory`` (``CARBONPEAK_DUCKDB_MEMORY_LIMIT``,
    ``CARBONPEAK_DUCKDB_TEMP_DIRECTORY``); None keeps DuckDB's defaults.
    """
    con = connect()
    try:
        con.execute(f"SET threads TO {int(threads)}")
        if memory_limit:
            con.execute("SET memory_limit = $v", {"v": memory_limit})
        if temp_directory:
            con.execute("SET temp_directory = $v", {"v": temp_directory})
        con.execute("SET TimeZone = 'UTC'")
        for name, files in inputs.files.items():
            if files:
                # a dataset's files are unified by column name (older files may lack a later
                # column). A month's interval readings (account_sql.month_view) are bound to
                # the first file's columns instead: the account reads only meter_id, ts and
                # value, which every readings file has (one lacking them is an error, never a
                # wrong column), and the scan takes 8 % less time
                rel = con.read_parquet(files, union_by_name=not is_month_view(name),
                                       hive_partitioning=False)
                rel.create_view(name)
            else:
                con.register(name, EMPTY_SCHEMAS[name].empty_table())
        for name, table in inputs.all_tables().items():
            con.register(name, table)
        for name, sql in steps:
            if progress:
                progress(name)
            con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in outputs}
    finally:
        con.close()


def to_spark_sql(sql: str) -> str:
    """Transpile one DuckDB SELECT to Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def run_spark(
    steps: Sequence[tuple[str, str]], inputs: PipelineInputs, outputs: Sequence[str], *,
    spark: Any, progress: Progress | None = None, out_dir: Path | None = None,
) -> dict[str, pa.Table]:
    """Run ``steps`` on a SparkSession (session time zone must be UTC, timestamps NTZ).

    With ``out_dir`` (the account gives a folder of the run in the lake) the executors write
    each output table there as Parquet (Spark's DataFrameWriter, ``<out_dir>/<name>/``), and
    the driver reads the files with Arrow: no table passes through the driver as rows. The
    folder must be one the executors can write and the driver read (on a cluster: the shared
    lake). Without it, the tables are collected to the driver (small inputs, tests).
    """
    for name, files in inputs.files.items():
        if files:
            # an object-store lake's s3:// paths as s3a:// (the cluster's hadoop-aws)
            df = _read_spark_parquet(spark, [hadoop_path(f) for f in files])
        else:
            df = spark.createDataFrame([], schema=_spark_schema(EMPTY_SCHEMAS[name]))
        df.createOrReplaceTempView(name)
    for name, table in inputs.all_tables().items():
        # rows, not pandas: PySpark does not support pandas 3 yet
        spark.createDataFrame(table.to_pylist(), schema=_spark_schema(table.schema)) \
            .createOrReplaceTempView(name)
    for name, sql in steps:
        if progress:
            progress(name)
        spark.sql(to_spark_sql(sql)).cache().createOrReplaceTempView(name)
    out = {}
    for name in outputs:
        df = spark.sql(f"SELECT * FROM {name}")
        if out_dir is not None:
            folder = out_dir / name
            df.write.mode("overwrite").parquet(str(folder))
            # Spark's part files in their order (names starting with _ or . are skipped)
            out[name] = pq.read_table(folder, partitioning=None)
            continue
        rows = [r.asDict() for r in df.collect()]
        out[name] = pa.Table.from_pylist(rows) if rows else pa.table(
            {c: pa.array([], pa.null()) for c in df.columns})
    return out


#: what Hadoop says when no filesystem serves s3a:// (hadoop-aws is not on the classpath)
_NO_S3A = ('No FileSystem for scheme "s3a"', "S3AFileSystem not found")


def _read_spark_parquet(spark: Any, paths: list[str]) -> Any:
    """``spark.read.parquet`` of ``paths``; without the hadoop-aws connector an s3a:// read
    is refused naming what the cluster needs (docs/scale.md)."""
    try:
        return spark.read.parquet(*paths)
    except Exception as exc:
        s3a = [p for p in paths if p.startswith("s3a://")]
        if s3a and any(m in str(exc) for m in _NO_S3A):
            raise ConfigError(msg("accounting.spark.no_s3a",
                                  path=s3a[0].rsplit("/", 3)[0])) from exc
        raise


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql import types as T  # noqa: N812

    mapping = {
        pa.string(): T.StringType(), pa.float64(): T.DoubleType(), pa.int64(): T.LongType(),
        pa.int32(): T.IntegerType(), pa.timestamp("us"): T.TimestampNTZType(),
        pa.bool_(): T.BooleanType(),
    }
    return T.StructType([T.StructField(f.name, mapping[f.type], True) for f in schema])
