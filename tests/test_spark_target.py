"""Where the account's Spark runs (``CARBONPEAK_SPARK_MASTER``, ``CARBONPEAK_SPARK_CONF``):
the target and settings each value gives, without starting Spark (tests/test_spark.py
starts the default one)."""

from __future__ import annotations

import pytest

from carbonpeak.config import Settings
from carbonpeak.errors import ConfigError
from carbonpeak.services.accounting.spark import DEFAULT_MASTER, spark_target

SQL = {"spark.sql.session.timeZone": "UTC", "spark.sql.timestampType": "TIMESTAMP_NTZ"}


def test_local_two_cores_is_the_default() -> None:
    t = spark_target(None)
    assert (t.kind, t.url, DEFAULT_MASTER) == ("local", "local[2]", "local[2]")
    assert t.conf["spark.sql.shuffle.partitions"] == "4"  # 2 x 2 cores
    assert SQL.items() <= t.conf.items()
    assert spark_target("  ").url == "local[2]"


def test_local_n_sets_its_shuffle_partitions() -> None:
    t = spark_target("local[3]")
    assert (t.kind, t.conf["spark.sql.shuffle.partitions"]) == ("local", "6")  # 2 x 3


@pytest.mark.parametrize(("master", "kind"), [
    ("spark://10.0.0.5:7077", "cluster"), ("yarn", "cluster"),
    ("k8s://https://10.0.0.1:6443", "cluster"), ("sc://spark-connect.lan:15002", "connect")])
def test_a_cluster_or_spark_connect_keeps_the_sql_settings(master: str, kind: str) -> None:
    t = spark_target(master, {"spark.executor.memory": "8g",
                              "spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.4.1"})
    assert (t.kind, t.url) == (kind, master)
    assert SQL.items() <= t.conf.items()
    assert t.conf["spark.executor.memory"] == "8g"
    assert "spark.ui.enabled" not in t.conf  # a cluster's own settings are its own


@pytest.mark.parametrize("master", ["local[two]", "http://spark:7077", "spark:7077", "sc://"])
def test_a_master_that_is_none_is_refused_naming_the_variable(master: str) -> None:
    with pytest.raises(ConfigError, match="CARBONPEAK_SPARK_MASTER"):
        spark_target(master)


def test_extra_settings_may_not_change_the_numbers() -> None:
    with pytest.raises(ConfigError, match="spark.sql.session.timeZone"):
        spark_target("yarn", {"spark.sql.session.timeZone": "Asia/Shanghai"})


def test_the_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_SPARK_MASTER", "spark://master.lan:7077")
    monkeypatch.setenv("CARBONPEAK_SPARK_CONF", '{"spark.executor.cores": "4"}')
    s = Settings()
    t = spark_target(s.spark_master, s.spark_conf)
    assert (t.kind, t.url, t.conf["spark.executor.cores"]) == (
        "cluster", "spark://master.lan:7077", "4")
