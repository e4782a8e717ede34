"""The account's DuckDB memory cap and spill folder (CARBONPEAK_DUCKDB_MEMORY_LIMIT,
CARBONPEAK_DUCKDB_TEMP_DIRECTORY): read from the environment and applied to the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from carbonpeak.config import Settings
from carbonpeak.services.accounting.engines import PipelineInputs, run_duckdb

SETTINGS_SQL = ("SELECT current_setting('memory_limit') AS mem, "
                "current_setting('temp_directory') AS tmp")


def test_run_duckdb_applies_memory_limit_and_temp_directory(tmp_path: Path) -> None:
    out = run_duckdb([("s", SETTINGS_SQL)], PipelineInputs(), ["s"], memory_limit="1GiB",
                     temp_directory=str(tmp_path / "spill"))
    assert out["s"].to_pylist() == [{"mem": "1.0 GiB", "tmp": str(tmp_path / "spill")}]


def test_run_duckdb_keeps_defaults_without_a_cap() -> None:
    out = run_duckdb([("s", SETTINGS_SQL)], PipelineInputs(), ["s"])
    assert out["s"].column("mem")[0].as_py() != "1.0 GiB"


def test_settings_read_the_knobs_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("CARBONPEAK_DUCKDB_MEMORY_LIMIT", "6GB")
    monkeypatch.setenv("CARBONPEAK_DUCKDB_TEMP_DIRECTORY", str(tmp_path))
    s = Settings(home=tmp_path)
    assert (s.duckdb_memory_limit, s.duckdb_temp_directory) == ("6GB", tmp_path)
    monkeypatch.setenv("CARBONPEAK_DUCKDB_MEMORY_LIMIT", "six gigabytes")
    with pytest.raises(ValidationError):
        Settings(home=tmp_path)
