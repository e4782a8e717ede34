"""The intake kernel: one readings validator for files and feeds, row errors as catalogue codes
rendered in Chinese, and one idempotency rule for every kind of batch."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import catalogue, fields, render
from carbonpeak.intake.batches import BatchResult
from carbonpeak.intake.feeds import ingest_ledger, ingest_readings
from carbonpeak.intake.formats.csvfiles import parse_readings, read_import_file
from carbonpeak.intake.formats.feed_rows import MeterInfo, parse_body, validate_readings
from carbonpeak.intake.formats.messages import zh
from carbonpeak.intake.imports import import_file
from carbonpeak.services.buildings.audits import import_audits, import_filings
from carbonpeak.services.buildings.retrofits import import_retrofits
from carbonpeak.services.buildings.weather import import_weather
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import AuditLog, BatchRejection, IngestBatch
from carbonpeak.storage.workspace import Workspace
from tests.conftest import write

TZ = "Asia/Shanghai"


# -- one readings validator ----------------------------------------------------------------
# (ts, value) cells of one row, sent as a file and as a feed
READING_CASES = [
    ("1709251200", "5"),                       # Unix epoch seconds
    ("1709251200000", "5"),                    # epoch milliseconds (>= 10^12)
    ("1709251200.5", "5"),                     # epoch seconds with a fraction
    ("2024-03-01T08:00:00+08:00", "5"),        # ISO with offset
    ("2024-03-01T08:00:00+0800", "5"),
    ("2024-03-01T00:00:00Z", "5"),
    ("2024-03-01 08:00", "5"),                 # naive local time (Asia/Shanghai)
    ("2024-03-01T08:00:00.250", "5"),
    ("2024-03-01", "5"),                       # a date: local midnight
    ("2024-03-31T23:30:00", "5"),              # local month 2024-03 although UTC is March 31
    ("2024-03-01T08:00:00", "12,000.5"),       # thousands separators in their place
    ("2024-03-01T08:00:00", "1,5"),            # not a number
    ("2024-03-01T08:00:00", "abc"),
    ("2024-03-01T08:00:00", ""),
    ("2024-03-01T08:00:00", "nan"),
    ("2024-03-01T08:00:00", "inf"),
    ("2024-03-01T08:00:00", "-3.5e2"),
    ("yesterday", "5"),
    ("2024-13-01T00:00:00", "5"),
    ("", "5"),
    ("12345", "5"),                            # too few digits for epoch seconds
    ("2024-03-01T08:00:00", "１２３"),          # full-width digits (issue 16)
    ("２０２４-０３-０１ ０８:００", "5"),
    ("2024-03-01T08:00:00", "1,20"),           # commas out of place: refused
    ("2024-03-01T08:00:00", "3.5万"),          # a meter value is never scaled: refused
]


def _outcome(tables: dict[str, pa.Table] | None, errors: list[RowError], row_offset: int
             ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rows = [] if tables is None else sorted(
        (r["meter_id"], r["ts"], r["value"], r["month"])
        for t in tables.values() for r in t.to_pylist())
    errs = sorted((e.row - row_offset if e.row is not None else None, e.column, e.value, e.code)
                  for e in errors)
    return rows, errs


def _as_file(tmp_path: Path, body: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    path = tmp_path / "readings.csv"
    path.write_text(body, encoding="utf-8")
    pf = read_import_file(path, "readings")
    try:
        tables, _ = parse_readings(pf, meters={"M1": "interval", "C1": "cumulative"}, tz=TZ)
    except InputValidationError as exc:
        return _outcome(None, exc.errors, 1)  # a file's row 2 is a feed's row 1
    return _outcome(tables, [], 1)


def _as_feed(body: bytes, ctype: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    raw = parse_body(body, ctype, "feed")
    meters = {"M1": MeterInfo("interval", "electricity", "kWh"),
              "C1": MeterInfo("cumulative", "electricity", "kWh")}
    checked = validate_readings(raw, meters, tz=TZ, source="feed")
    return _outcome(checked.tables if not checked.errors else None, checked.errors, 0)


@pytest.mark.parametrize(("ts", "value"), READING_CASES)
def test_a_readings_row_sent_as_file_and_as_feed_gives_the_same_rows_and_errors(
        tmp_path, ts, value):
    body = f"meter_id,ts,value\nM1,{ts},\"{value}\"\nC1,2024-03-02T00:00:00,7\n"
    as_file = _as_file(tmp_path, body)
    as_feed = _as_feed(body.encode(), "text/csv")
    assert as_file == as_feed
    as_json = _as_feed(json.dumps([{"meter_id": "M1", "ts": ts, "value": value},
                                   {"meter_id": "C1", "ts": "2024-03-02T00:00:00",
                                    "value": 7}]).encode(), "application/json")
    assert as_json == as_feed
    rows, errors = as_feed
    assert bool(rows) != bool(errors)  # stored, or refused with a reason


def test_epoch_seconds_and_iso_name_the_same_instant(tmp_path):
    body = ("meter_id,ts,value\nM1,1709251200,1\nM1,2024-03-01T08:00:01+08:00,2\n"
            "M1,2024-03-01 08:00:02,3\n")
    rows, errors = _as_file(tmp_path, body)
    assert errors == []
    assert [str(r[1]) for r in rows] == ["2024-03-01 00:00:00", "2024-03-01 00:00:01",
                                         "2024-03-01 00:00:02"]
    assert _as_feed(body.encode(), "text/csv") == (rows, errors)


def test_repeats_are_judged_alike_in_files_and_feeds(tmp_path):
    body = ("meter_id,ts,value\nM1,2024-03-01T08:00,1\nM1,2024-03-01T08:00,1\n"
            "M1,2024-03-01T09:00,1\nM1,2024-03-01 09:00:00,2\n")
    as_file = _as_file(tmp_path, body)
    assert as_file == _as_feed(body.encode(), "text/csv")
    assert {e[3] for e in as_file[1]} == {"intake.readings.repeat_conflict"}


# -- one ledger parser for files and feeds ----------------------------------------------------
# (entity, period, carrier, quantity, unit) cells of one ledger row, written as people write them
LEDGER_CASES = [
    ("K1", "2024-03", "electricity", "1000", "kWh"),
    ("K1 测试大厦", "2024年3月", "电力", "1,200", "度"),
    ("测试大厦", "２０２４/０３", "天然气", "3.5万", "方"),
    ("K1", "2024.3", "柴油", "１２", "公升"),
    ("K1", "202403", "电", "0.8", "万千瓦时"),
    ("K1", "2024-03", "天燃气", "5", "方"),               # a typo: refused, suggested
    ("HP-X", "2024-03", "electricity", "5", "kWh"),       # unknown entity
    ("测试", "2024-03", "electricity", "5", "kWh"),
    ("K1", "2024年13月", "electricity", "5", "kWh"),
    ("K1", "2024-03", "electricity", "1,5", "kWh"),
    ("K1", "2024-03", "electricity", "3.5万", "万kWh"),   # not multiplied twice: refused
]


def _ledger_outcome(table: pa.Table | None, errors: list[RowError], row_offset: int
                    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rows = [] if table is None else sorted(
        (r["entity_id"], r["period"], r["carrier"], r["quantity"], r["unit"])
        for r in table.to_pylist())
    errs = sorted((e.row - row_offset if e.row is not None else None, e.column, e.value, e.code,
                   e.params.get("suggestion")) for e in errors)
    return rows, errs


@pytest.mark.parametrize("cells", LEDGER_CASES)
def test_a_ledger_row_sent_as_file_and_as_feed_gives_the_same_rows_and_errors(tmp_path, cells):
    from carbonpeak.intake.feeds import _ledger_frame  # noqa: PLC0415
    from carbonpeak.intake.formats.csvfiles import ParsedFile, parse_ledger  # noqa: PLC0415

    names = {"K1": "测试大厦", "K2": "测试公司"}
    header = ("主体编号", "月份", "能源品种", "数量", "单位")

    def parse(pf: ParsedFile, offset: int) -> Any:
        try:
            table = parse_ledger(pf, known_entities=set(names), entity_names=names)
        except InputValidationError as exc:
            return _ledger_outcome(None, exc.errors, offset)
        return _ledger_outcome(table, [], offset)

    path = tmp_path / "ledger.csv"
    path.write_text(",".join(header) + "\n" + ",".join(f'"{c}"' for c in cells) + "\n",
                    encoding="utf-8")
    as_file = parse(read_import_file(path, "ledger"), 1)
    body = json.dumps([dict(zip(header, cells, strict=True))]).encode()
    as_feed = parse(ParsedFile("feed", _ledger_frame(body, "application/json", "feed")), 0)
    assert as_file == as_feed
    rows, errors = as_feed
    assert bool(rows) != bool(errors)  # stored, or refused with a reason


# -- row errors as codes, rendered in Chinese -----------------------------------------------
#: Latin words a Chinese text may keep: formats, standards, units, and the codes of closed
#: lists a user types (carriers, kinds, statuses)
ALLOWED_LATIN = {
    "ISO", "UTF", "GB", "GBK", "CSV", "JSON", "GeoJSON", "FeatureCollection", "Polygon",
    "MultiPolygon", "Excel", "xlsx", "Unix", "YYYY", "MM", "DD", "T", "A", "L", "CT", "PT",
    "WGS", "m", "kWh", "MWh", "tce", "kgce", "tCO", "C", "F", "x", "application", "text",
    "csv", "json", "meter_id", "ts", "value", "entity_id", "period", "carrier", "quantity",
    "unit", "code", "name_zh", "gdp_share", "retrofit", "commissioning", "planned",
    "in_progress", "completed", "audit", "diagnosis", "temp_mean", "Z", "MB", "PMTiles",
}


def latin_words(text: str) -> set[str]:
    """Latin words of ``text`` (letters and underscores) not in :data:`ALLOWED_LATIN`."""
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]*", text) if w not in ALLOWED_LATIN}


def _sample(code: str, lang: str) -> str:
    template = catalogue()[code][lang]
    return render(code, lang, **dict.fromkeys(fields(template), "〈参数〉"))  # type: ignore[arg-type]


def test_every_intake_code_is_all_chinese_in_zh():
    codes = [c for c in catalogue() if c.startswith("intake.") and c != "intake.text"]
    assert len(codes) > 100
    leftovers = {c: latin_words(_sample(c, "zh")) for c in codes}
    assert {c: w for c, w in leftovers.items() if w} == {}


def test_parser_errors_carry_codes_and_render_in_zh_from_them(ws, tmp_path):
    bad = {
        "entities": "entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,"
                    "sector_code\nY1,,factory,火星,castle,-1,95,200,Y1,123\n"
                    "Y1,乙,building,,,abc,,,NOPE,\n",
        "meters": "meter_id,entity_id,carrier,unit,submeter,register,multiplier,"
                  "interval_minutes,rollover_at\nM1,NOPE,coal,kWh,x,monthly,0,1.5,-1\n"
                  "M2,NOPE,natural_gas,kWh,,interval,,,\nM3,NOPE,diesel,m³,,interval,,,\n"
                  "M4,NOPE,electricity,furlongs,,interval,,,\n",
        "ledger": "entity_id,period,carrier,quantity,unit\nNOPE,2024-13,electricity,-1,kWh\n"
                  "X1,2024-01,diesel,1,m³\n",
        "readings": "meter_id,ts,value\nNOPE,yesterday,x\n",
        "statistics": "year,gdp_10k_cny,population,energy_tce,co2_t\n1800,0,0,0,0\n",
    }
    seen: list[RowError] = []
    for kind, text in bad.items():
        with pytest.raises(InputValidationError) as exc:
            import_file(ws, kind, write(tmp_path, f"{kind}.csv", text))
        seen += exc.value.errors
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", write(tmp_path, "short.csv", "entity_id,name\nZ1,甲\n"))
    seen += exc.value.errors
    assert all(e.code.startswith("intake.") and e.code != "intake.text" for e in seen), \
        sorted({e.message for e in seen if e.code == "intake.text"})
    for e in seen:
        text = zh(e)
        assert text == render(e.msg, "zh")
        assert e.message == render(e.msg, "en")
        # what is left after the parameters the user typed (values, ids, lists of codes)
        stripped = text
        for v in e.params.values():
            stripped = stripped.replace(str(v) if not isinstance(v, (list, tuple)) else "", "")
        assert latin_words(stripped) <= {"kWh", "furlongs", "coal", "diesel"}, (e.code, text)


def test_row_errors_keep_their_code_through_json():
    from carbonpeak.i18n import msg

    e = RowError("a.csv", 3, "unit", "kg", msg("intake.unit.unknown", unit="kg", known="t"))
    assert RowError.from_dict(json.loads(json.dumps(e.to_dict()))) == e



def test_a_stored_rejection_gives_back_its_message_and_an_old_text_as_it_was():
    """Issue 14: rejections are stored as messages (code and parameters), so a replayed batch
    shows them in either language; a row refused before that keeps its English text as it
    was written (never matched back to a code)."""
    from carbonpeak.i18n import dumps, msg, render
    from carbonpeak.intake.batches import stored_reason

    m = msg("intake.unit.unknown", unit="kg", known="t")
    assert stored_reason(dumps(m)) == m
    assert render(stored_reason(dumps(m)), "zh") == render(m, "zh") != render(m, "en")
    old = stored_reason("is required")
    assert old.code == "intake.text"  # not intake.cell.required: no matching of English
    assert render(old, "zh") == render(old, "en") == "is required"


# -- re-sending a batch changes nothing, for every kind -----------------------------------------
ENTITIES = ("entity_id,name,kind,street,building_type,floor_area_m2\n"
            "K1,测试大厦,building,外滩街道,office,12000\nK2,测试公司,enterprise,,,\n")
METERS = ("meter_id,entity_id,carrier,unit,register\nKM1,K1,electricity,kWh,interval\n"
          "KM2,K1,electricity,kWh,cumulative\n")


def _file(kind: str, name: str, text: str) -> Callable[[Workspace, Path], BatchResult]:
    def send(ws: Workspace, folder: Path) -> BatchResult:
        path = folder / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        if kind == "energy_audits":
            return import_audits(ws, path, district="huangpu")
        if kind == "obligation_filings":
            return import_filings(ws, path, district="huangpu")
        if kind == "weather":
            return import_weather(ws, path, district="huangpu")
        if kind == "retrofits":
            return import_retrofits(ws, path, district="huangpu")
        return import_file(ws, kind, path)
    return send


ADMIN = Principal(0, "kernel-test", "district_admin", "huangpu")


def _feed(kind: str, body: str) -> Callable[[Workspace, Path], BatchResult]:
    def send(ws: Workspace, _folder: Path) -> BatchResult:
        ingest = ingest_readings if kind == "readings" else ingest_ledger
        return ingest(ws, ADMIN, body.encode(), "text/csv")
    return send


KINDS: dict[str, Callable[[Workspace, Path], BatchResult]] = {
    "entities": _file("entities", "e.csv", ENTITIES),
    "meters": _file("meters", "m.csv", METERS),
    "readings": _file("readings", "r.csv", "meter_id,ts,value\nKM1,2024-03-01T08:00,5\n"
                      "KM2,1709251200,100\n"),
    "ledger": _file("ledger", "l.csv", "entity_id,period,carrier,quantity,unit\n"
                    "K1,2024-03,electricity,1000,kWh\n"),
    "statistics": _file("statistics", "s.csv", "year,gdp_10k_cny,population\n2023,100,5\n"),
    "sector_statistics": _file("sector_statistics", "ss.csv",
                               "year,sector,value_added_10k_cny\n2023,L,50\n"),
    "budgets": _file("budgets", "b.csv", "year,metric,scope_type,scope_id,budget\n"
                     "2025,energy_tce,district,,1000\n"),
    "energy_audits": _file("energy_audits", "a.csv",
                           "entity_id,kind,audit_date,auditor\nK1,audit,2023-05-01,示例所\n"),
    "obligation_filings": _file("obligation_filings", "f.csv",
                                "entity_id,obligation,year,filed_on\n"
                                "K1,energy_report,2023,2024-03-20\n"),
    "weather": _file("weather", "w.csv", "date,temp_mean_c\n2024-01-01,5.5\n2024-01-02,6\n"),
    "retrofits": _file("retrofits", "p.csv", "code,entity_id,kind,name,start_date,floor_area_m2\n"
                       "KP1,K1,retrofit,照明改造,2024-01-01,1000\n"),
    "feed readings": _feed("readings", "meter_id,ts,value\nKM1,2024-03-02T08:00,5\n"),
    "feed ledger": _feed("ledger", "entity_id,period,carrier,quantity,unit\n"
                         "K1,2024-04,electricity,900,kWh\n"),
}


def _state(ws: Workspace) -> tuple[int, int, int]:
    with ws.registry.session() as s:
        return (int(s.scalar(select(func.count()).select_from(IngestBatch)) or 0),
                int(s.scalar(select(func.count()).select_from(AuditLog)) or 0),
                int(s.scalar(select(func.count()).select_from(BatchRejection)) or 0))


def _data(ws: Workspace) -> Any:
    lake = sorted((p.name, p.stat().st_size) for p in ws.settings.home.rglob("*.parquet")
                  if "quality" not in p.parts)
    with ws.registry.session() as s:
        written = sorted(s.execute(select(IngestBatch.id, IngestBatch.rows_written)).all())
    return lake, written


@pytest.mark.parametrize("kind", list(KINDS))
def test_resending_a_batch_changes_nothing(ws, tmp_path, kind):
    needs = {"entities": [], "meters": ["entities"]}.get(kind, ["entities", "meters"])
    for setup in needs:
        KINDS[setup](ws, tmp_path)
    first = KINDS[kind](ws, tmp_path)
    assert isinstance(first, BatchResult)
    assert first.status == "committed", first.messages
    before, data = _state(ws), _data(ws)
    again = KINDS[kind](ws, tmp_path)
    if kind.startswith("feed"):
        # a feed has no file: the same body again is a batch that changes nothing
        assert again.status == "no_change", again.messages
        assert again.rows == first.rows
        assert _state(ws)[2] == before[2]
    else:
        # the same bytes again: nothing at all is written
        assert again.status == "duplicate", again.messages
        assert again.batch_id == first.batch_id
        assert _state(ws) == before
        # the same rows in other bytes (a blank line more): a batch of no change
        path = tmp_path / kind_file(kind)
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        other = KINDS[kind](ws, tmp_path)
        assert other.status == "no_change", other.messages
        assert (other.added, other.updated) == (0, 0)
        assert other.unchanged == first.rows
    assert _data(ws)[0] == data[0]


def kind_file(kind: str) -> str:
    """The file name a kind's sender writes."""
    return {"entities": "e.csv", "meters": "m.csv", "readings": "r.csv", "ledger": "l.csv",
            "statistics": "s.csv", "sector_statistics": "ss.csv", "budgets": "b.csv",
            "energy_audits": "a.csv", "obligation_filings": "f.csv", "weather": "w.csv",
            "retrofits": "p.csv"}[kind]
