"""Import contract: Chinese headers, clear errors naming file/row/column, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from carbonpeak.errors import InputValidationError
from carbonpeak.i18n import render
from carbonpeak.intake.imports import import_file
from carbonpeak.storage.registry.models import AuditLog, Entity, IngestBatch, Meter
from tests import reference_district
from tests.conftest import write


def _errors(exc: pytest.ExceptionInfo[InputValidationError]) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in exc.value.errors}


def test_chinese_headers_and_values(ws, tmp_path):
    path = write(tmp_path, "主体.csv", """
        主体编号,名称,主体类型,所属街道,建筑类型,建筑面积（m²）,纬度,经度,上级单位,行业代码
        C1,测试大厦,建筑,外滩街道,办公,"12,000",31.2,121.4,,l72
    """)
    r = import_file(ws, "entities", path)
    assert r.added == 1
    with ws.registry.session() as s:
        e = s.get(Entity, "C1")
        assert (e.kind, e.building_type, e.floor_area_m2, e.sector_code) == \
            ("building", "office", 12_000.0, "L72")


def test_gbk_file_is_read(ws, tmp_path):
    path = write(tmp_path, "gbk.csv", """
        entity_id,name,kind,street,building_type
        G1,黄浦区政府,公共机构,外滩街道,政府
    """, encoding="gb18030")
    assert import_file(ws, "entities", path).added == 1


def test_every_bad_cell_is_named_and_nothing_is_stored(ws, tmp_path):
    path = write(tmp_path, "entities.csv", """
        entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
        X1,甲,building,外滩街道,office,-5,31.2,121.4,,
        X2,乙,factory,外滩街道,office,100,95,121.4,,
        X3,丙,building,火星街道,office,abc,31.2,121.4,NOPE,123
        X1,丁,building,外滩街道,office,100,31.2,121.4,,
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", path)
    found = _errors(exc)
    assert {(2, "floor_area_m2"), (3, "kind"), (3, "lat"), (4, "street"), (4, "floor_area_m2"),
            (4, "parent_id"), (4, "sector_code"), (2, "entity_id"), (5, "entity_id")} <= found
    assert all(e.file == "entities.csv" for e in exc.value.errors)
    message = str(exc.value)
    assert "entities.csv:4: column street = '火星街道'" in message
    with ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(Entity)) == 0
        assert s.scalar(select(func.count()).select_from(IngestBatch)) == 0


def test_missing_required_column(ws, tmp_path):
    path = write(tmp_path, "m.csv", "meter_id,entity_id,carrier\nM1,E1,electricity")
    with pytest.raises(InputValidationError, match="required column unit"):
        import_file(ws, "meters", path)


def test_wrong_unit_for_carrier_names_row(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "meters2.csv", """
        meter_id,entity_id,carrier,unit,submeter,register,multiplier
        N1,B1,electricity,m3,,interval,1
        N2,B1,natural_gas,万m³,,cumulative,0
        N3,NOBODY,heat,GJ,,interval,1
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "meters", path)
    assert {(2, "unit"), (3, "multiplier"), (4, "entity_id")} <= _errors(exc)


def test_meter_cannot_change_carrier(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "meters3.csv", """
        meter_id,entity_id,carrier,unit,submeter,register,multiplier
        M1,B1,natural_gas,m3,,interval,2
    """)
    with pytest.raises(InputValidationError, match="register a new meter id"):
        import_file(ws, "meters", path)


def test_readings_errors(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "r.csv", """
        meter_id,ts,value
        M1,2024-03-01T00:00:00,1
        M1,2024-03-01 01:00,x
        M9,2024-03-01T02:00:00,1
        M1,yesterday,1
        M1,2024-03-01T00:00:00,2
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "readings", path)
    found = _errors(exc)
    assert {(3, "value"), (4, "meter_id"), (5, "ts"), (2, "meter_id"), (6, "meter_id")} <= found
    assert any("different value" in e.message for e in exc.value.errors)


def test_exact_duplicate_rows_in_a_file_count_once(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "r.csv", """
        meter_id,ts,value
        M1,2024-03-01T00:00:00,1
        M1,2024-03-01T00:00:00,1
    """)
    r = import_file(ws, "readings", path)
    assert r.rows == 1
    assert any("1 exact duplicate" in render(m, "en") for m in r.messages)


def test_ledger_errors(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "l.csv", """
        entity_id,period,carrier,quantity,unit
        B1,2024-13,electricity,1,kWh
        B1,2024-05,electricity,-1,kWh
        B1,2024-06,diesel,1,kWh
        B1,2024-07,coal_gas,1,t
        B1,2024-08,electricity,1,kWh
        B1,2024-08,electricity,2,kWh
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "ledger", path)
    assert {(2, "period"), (3, "quantity"), (4, "unit"), (5, "carrier"), (6, "entity_id"),
            (7, "entity_id")} <= _errors(exc)


def test_parent_cycle_is_refused(ws, tmp_path):
    path = write(tmp_path, "e.csv", """
        entity_id,name,kind,street,building_type,parent_id
        P1,甲,enterprise,,,P2
        P2,乙,enterprise,,,P1
    """)
    with pytest.raises(InputValidationError, match="loops back"):
        import_file(ws, "entities", path)


def test_reimport_updates_and_audits(ws, tmp_path):
    files = reference_district.load(ws, tmp_path / "in")
    again = import_file(ws, "entities", files["entities"])
    assert again.status == "duplicate"
    text = files["entities"].read_text(encoding="utf-8").replace(",10000,", ",12000,")
    changed = tmp_path / "entities_v2.csv"
    changed.write_text(text, encoding="utf-8")
    r = import_file(ws, "entities", changed)
    assert (r.added, r.updated, r.unchanged) == (0, 1, 4)
    with ws.registry.session() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.object_type == "entity",
                                               AuditLog.action == "update")).one()
        assert log.object_id == "B1"
        assert log.details["changes"]["floor_area_m2"] == [10000.0, 12000.0]
        assert log.actor == "test"


def test_not_a_csv(ws, tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82garbage\x00\xff" * 10)
    with pytest.raises(InputValidationError, match="not UTF-8 or GB18030"):
        import_file(ws, "meters", path)


def test_meters_are_stored_canonically(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    with ws.registry.session() as s:
        m = s.get(Meter, "M3")
        assert (m.unit, m.register, m.interval_minutes) == ("m³", "cumulative", 1440)
        assert s.get(Meter, "M1a").submeter == "hvac"
        assert s.get(Meter, "M1").submeter is None


def test_import_of_missing_path_kind(ws, tmp_path: Path):
    with pytest.raises(ValueError, match="unknown import kind"):
        import_file(ws, "weather", tmp_path / "x.csv")
