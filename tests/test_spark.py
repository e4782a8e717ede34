"""The same account on PySpark (local mode, and through Spark Connect) gives the same numbers
as on DuckDB."""

from __future__ import annotations

import shutil
import socket

import pandas as pd
import pytest

from carbonpeak.services.accounting.account import run_account
from tests import reference_district
from tests.test_quality import _march, load_gappy

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: the port of the Spark Connect server the module's session serves (its JVM's plugin)
CONNECT_PORT = _free_port()


@pytest.fixture(scope="module")
def spark():
    from carbonpeak.services.accounting.spark import spark_session

    # CARBONPEAK_SPARK_MASTER unset: local[2]. On these few hundred rows Spark's time is its
    # planning and its tasks: adaptive re-planning, whole-stage code generation (compiling
    # each step's Java) and a task per shuffle partition took more than half of each
    # account's 30-50 s; here they are off and one partition, as a small job would set
    # them. None changes a result (the account's SQL settings stay as they are).
    session = spark_session(extra_conf={"spark.sql.adaptive.enabled": "false",
                                        "spark.sql.codegen.wholeStage": "false",
                                        "spark.sql.shuffle.partitions": "1",
                                        "spark.default.parallelism": "1",
                                        "spark.ui.showConsoleProgress": "false",
                                        # a Spark Connect server in the same JVM (pyspark
                                        # ships it): the Connect test needs no second JVM
                                        "spark.plugins":
                                            "org.apache.spark.sql.connect.SparkConnectPlugin",
                                        "spark.connect.grpc.binding.address": "127.0.0.1",
                                        "spark.connect.grpc.binding.port": str(CONNECT_PORT)})
    yield session
    session.stop()


def test_the_default_session_is_local_two_cores_in_utc(spark):
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def _frame(res, name, keys):
    df = res.tables[name].sort_values(keys).reset_index(drop=True)
    cols = [c for c in df.columns if c not in ("factor_set",)]
    return df[cols]


def test_spark_equals_duckdb(ws, tmp_path, spark, database_url):
    if "postgresql" in database_url:
        pytest.skip("the engine comparison does not depend on the registry database")
    reference_district.load(ws, tmp_path / "in")
    duck = run_account(ws, year=2024, engine="duckdb")
    sp = run_account(ws, year=2024, engine="spark", spark=spark)
    for name, keys in (("inventory_entity_month", ["entity_id", "month", "carrier"]),
                       ("inventory_street_year", ["street", "year", "carrier"]),
                       ("inventory_district_year", ["district", "year", "carrier"])):
        a, b = _frame(duck, name, keys), _frame(sp, name, keys)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-9)
    assert sp.totals["tco2"] == pytest.approx(duck.totals["tco2"], rel=1e-12)


def test_gap_filling_on_spark_matches_duckdb(ws, tmp_path, spark, database_url):
    """Gap filling (tests/test_quality.py's meter M: 11 of March's hours, 3 intervals to
    fill) on Spark equals DuckDB's; the same Spark session as the account above."""
    if "postgresql" in database_url:
        pytest.skip("the engine comparison does not depend on the registry database")
    load_gappy(ws, tmp_path)
    sp = run_account(ws, year=2024, fill_gaps=True, engine="spark", spark=spark)
    duck = run_account(ws, year=2024, fill_gaps=True)
    assert _march(sp).loc["A", "estimated_quantity"] == pytest.approx(96)
    assert sp.totals["tco2"] == pytest.approx(duck.totals["tco2"], rel=1e-12)


def test_spark_connect_gives_duckdbs_numbers(ws, tmp_path, spark, database_url, monkeypatch):
    """``CARBONPEAK_SPARK_MASTER=sc://host:port``: the account through a Spark Connect server
    (here the one the module's JVM serves) equals DuckDB's, table by table."""
    if "postgresql" in database_url:
        pytest.skip("the engine comparison does not depend on the registry database")
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
    from carbonpeak.services.accounting.spark import spark_session, spark_target

    url = f"sc://127.0.0.1:{CONNECT_PORT}"
    assert spark_target(url).kind == "connect"
    # pyspark marks the process as a Connect client; the module's classic session is not one
    monkeypatch.delenv("SPARK_CONNECT_MODE_ENABLED", raising=False)
    remote = spark_session(url)
    try:
        assert type(remote).__module__.startswith("pyspark.sql.connect")
        assert remote.conf.get("spark.sql.session.timeZone") == "UTC"
        reference_district.load(ws, tmp_path / "in")
        duck = run_account(ws, year=2024, engine="duckdb")
        sp = run_account(ws, year=2024, engine="spark", spark=remote)
    finally:
        remote.stop()
    for name, keys in (("inventory_entity_month", ["entity_id", "month", "carrier"]),
                       ("inventory_district_year", ["district", "year", "carrier"])):
        a, b = _frame(duck, name, keys), _frame(sp, name, keys)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-9)
    assert sp.totals["tco2"] == pytest.approx(duck.totals["tco2"], rel=1e-12)
    assert sp.engine == "spark"
