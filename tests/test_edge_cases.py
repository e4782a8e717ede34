"""Edge cases found in review: each once produced a wrong number or a silent change."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from carbonpeak.errors import InputValidationError
from carbonpeak.i18n import stored_text
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import run_account
from carbonpeak.storage.registry.models import DistrictStatistics, Entity, Meter
from tests import reference_district
from tests.conftest import write

ONE = """
entity_id,name,kind,street,building_type,floor_area_m2
A,甲楼,building,外滩街道,office,10000
B,乙楼,building,外滩街道,office,10000
"""


def _setup(ws, tmp_path, meters: str, readings: str):
    import_file(ws, "entities", write(tmp_path, "e.csv", ONE))
    import_file(ws, "meters", write(tmp_path, "m.csv", meters))
    import_file(ws, "readings", write(tmp_path, "r.csv", readings))


def _year(res, entity, carrier="electricity"):
    ey = res.tables["inventory_entity_year"]
    return ey[(ey["entity_id"] == entity) & (ey["carrier"] == carrier)].iloc[0]


def test_cumulative_reads_across_the_year_boundary(ws, tmp_path):
    # read at 00:00 on the 1st of each month, 100 kWh a month, 2023-11 .. 2025-02:
    # December's consumption is the 2024-12-01 -> 2025-01-01 difference
    months = pd.date_range("2023-11-01", "2025-02-01", freq="MS")
    reads = "\n".join(f"M,{m:%Y-%m-%dT%H:%M:%S},{1000 + 100 * i}" for i, m in enumerate(months))
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register,interval_minutes\n"
           "M,A,electricity,kWh,cumulative,44640", "meter_id,ts,value\n" + reads)
    row = _year(run_account(ws, year=2024), "A")
    assert row["quantity"] == pytest.approx(1200)
    assert row["missing_months"] == 0
    assert row["coverage"] == pytest.approx(1.0)


def test_long_gap_between_reads_is_split_by_time(ws, tmp_path):
    # 2023-11-15 -> 2024-01-15 (61 days, 610 m3): January gets the 14 days to the 15th
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register,interval_minutes\n"
           "G,A,natural_gas,m3,cumulative,1440",
           "meter_id,ts,value\nG,2023-11-15T00:00:00,0\nG,2024-01-15T00:00:00,610")
    em = run_account(ws, year=2024).tables["inventory_entity_month"]
    jan = em[(em["carrier"] == "natural_gas") & (em["month"] == "2024-01")].iloc[0]
    assert jan["quantity"] == pytest.approx(610 * 14 / 61)
    assert jan["coverage"] == pytest.approx(14 / 31)


def test_one_dead_main_meter_is_flagged_not_silently_zero(ws, tmp_path):
    hours = pd.date_range("2024-03-01", "2024-03-02 23:00", freq="h")
    rows = [f"M1,{h:%Y-%m-%dT%H:%M:%S},1" for h in hours]
    rows += [f"M2,{h:%Y-%m-%dT%H:%M:%S},1" for h in hours[:24]]
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register\n"
           "M1,A,electricity,kWh,interval\nM2,A,electricity,kWh,interval\n"
           "M3,A,electricity,kWh,interval",
           "meter_id,ts,value\n" + "\n".join(rows))
    res = run_account(ws, year=2024)
    em = res.tables["inventory_entity_month"]
    march = em[(em["entity_id"] == "A") & (em["month"] == "2024-03")].iloc[0]
    assert march["flags"] == "meter_missing"  # M3 sent nothing in March
    assert march["quantity"] == pytest.approx(48 + 24)
    assert "meter_missing_months=1" in _year(res, "A")["flags"]


def test_replaced_register_with_full_scale_is_a_reset_not_a_rollover(ws, tmp_path):
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register,rollover_at\n"
           "M,A,electricity,kWh,cumulative,99999",
           "meter_id,ts,value\nM,2024-01-01T00:00:00,1900\nM,2024-01-01T01:00:00,2000\n"
           "M,2024-01-01T02:00:00,5\nM,2024-01-01T03:00:00,105\n"
           "M,2024-02-01T00:00:00,99990\nM,2024-02-01T01:00:00,10")
    # 1900->2000 = 100; 2000->5 is a replacement (reset, excluded); 5->105 = 100;
    # 105->99990 = 99,885 is a jump the quality checks of issue 3 will flag;
    # 99990->10 is a true rollover: full scale 99,999 wraps at 99,999 + 1 = 100,000, so
    # 10 + 100000 - 99990 = 20
    row = _year(run_account(ws, year=2024), "A")
    assert row["n_resets"] == 1
    assert row["n_rollovers"] == 1
    assert row["quantity"] == pytest.approx(100 + 100 + 99_885 + 20)


def test_register_with_one_decimal_wraps_at_full_scale_plus_a_tenth(ws, tmp_path):
    # rollover_at is the full-scale reading 99,999.9 (five digits and one decimal); the next
    # tenth shows 0.0, so the register wraps at 99,999.9 + 0.1 = 100,000.0:
    # 99,999.5 -> 0.3 consumed 0.3 + 100,000.0 - 99,999.5 = 0.8 (not 0.7, the modulus
    # 99,999.9 would give); 99,990.0 -> 99,999.5 = 9.5; the year is 9.5 + 0.8 = 10.3.
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register,rollover_at\n"
           "M,A,electricity,kWh,cumulative,99999.9",
           "meter_id,ts,value\nM,2024-03-01T00:00:00,99990.0\n"
           "M,2024-03-01T01:00:00,99999.5\nM,2024-03-01T02:00:00,0.3")
    row = _year(run_account(ws, year=2024), "A")
    assert row["n_rollovers"] == 1
    assert row["n_resets"] == 0
    assert row["quantity"] == pytest.approx(10.3)


def test_year_source_counts_ledger_and_meter_months(ws, tmp_path):
    _setup(ws, tmp_path, "meter_id,entity_id,carrier,unit,register\nM,A,electricity,kWh,interval",
           "meter_id,ts,value\nM,2024-02-01T00:00:00,5")
    import_file(ws, "ledger", write(tmp_path, "l.csv", "entity_id,period,carrier,quantity,unit\n"
                                    "A,2024-01,electricity,100,kWh"))
    assert _year(run_account(ws, year=2024), "A")["source"] == "ledger+meter"


def test_districts_do_not_leak_into_each_other(tmp_path, settings):
    ws, _ = init_workspace(settings, profiles=["huangpu", "tianhe"], actor="test")
    reference_district.load(ws, tmp_path / "in", district="huangpu")
    import_file(ws, "entities", write(tmp_path, "t.csv", """
        entity_id,name,kind,street,building_type
        T1,天河大厦,building,天河南街道,office
    """), district="tianhe")
    import_file(ws, "ledger", write(tmp_path, "tl.csv", """
        entity_id,period,carrier,quantity,unit
        T1,2024-01,electricity,999999,kWh
    """), district="tianhe")
    hp = run_account(ws, year=2024, district="huangpu")
    assert "T1" not in set(hp.tables["inventory_entity_year"]["entity_id"])
    th = run_account(ws, year=2024, district="tianhe")
    assert th.totals["tco2"] == pytest.approx(999_999 * 0.4419 / 1000)
    # an id of one district cannot be taken over by another
    with pytest.raises(InputValidationError, match="already registered in district huangpu"):
        import_file(ws, "entities", write(tmp_path, "steal.csv", """
            entity_id,name,kind,street,building_type
            B1,抢注,building,天河南街道,office
        """), district="tianhe")
    ws.close()


def test_partial_update_never_erases(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    import_file(ws, "entities", write(tmp_path, "rename.csv", """
        entity_id,name,kind
        B1,外滩一号楼(新),building
    """))
    import_file(ws, "statistics", write(tmp_path, "pop.csv", "year,population\n2024,510000"))
    with ws.registry.session() as s:
        b1 = s.get(Entity, "B1")
        assert b1.name == "外滩一号楼(新)"
        assert (b1.floor_area_m2, b1.parent_id, b1.sector_code) == (10000.0, "E1", "J66")
        st = s.scalars(select(DistrictStatistics)).one()
        assert (st.population, st.gdp_10k_cny, st.energy_tce) == (510000, 1_000_000, 100)


def test_multiplier_change_refused_once_a_meter_has_readings(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    with pytest.raises(InputValidationError, match="would rescale them all"):
        import_file(ws, "meters", write(tmp_path, "m2.csv", """
            meter_id,entity_id,carrier,unit,register,multiplier
            M1,B1,electricity,kWh,interval,200
        """))
    import_file(ws, "meters", write(tmp_path, "m3.csv", """
        meter_id,entity_id,carrier,unit,register,multiplier
        NEW,B1,electricity,kWh,interval,40
    """))
    import_file(ws, "meters", write(tmp_path, "m4.csv", """
        meter_id,entity_id,carrier,unit,register,multiplier
        NEW,B1,electricity,kWh,interval,80
    """))  # no readings yet: a typo can still be fixed
    with ws.registry.session() as s:
        assert s.get(Meter, "NEW").multiplier == 80
        assert s.get(Meter, "M1").multiplier == 2


def test_older_year_does_not_overwrite_key_unit_flags(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    run_account(ws, year=2024)
    run_account(ws, year=2023)
    with ws.registry.session() as s:
        b2 = s.get(Entity, "B2")
        assert b2.key_unit_year == 2024
        assert str(stored_text(b2.key_unit_rule, "zh")).startswith("2024年：")


@pytest.mark.parametrize(("ts", "ok"), [("2024-03-01T00:00:00+08", True),
                                        ("2024-03-01T00:00:00+0800", True),
                                        ("2024-03-01T00:00:00+08:00", True),
                                        ("2024-03-01 00:00", True),
                                        ("2024-02-30T00:00:00", False),
                                        ("2024-03-01T00:00:00+8", False)])
def test_timestamp_forms(ws, tmp_path, ts, ok):
    reference_district.load(ws, tmp_path / "in")
    path = write(tmp_path, "t.csv", f"meter_id,ts,value\nM1,{ts},1\nM1a,2024-03-01T00:00:00,1")
    if ok:
        assert import_file(ws, "readings", path).rows == 2
    else:
        with pytest.raises(InputValidationError) as exc:
            import_file(ws, "readings", path)
        assert [(e.row, e.column) for e in exc.value.errors] == [(2, "ts")]


def test_thousands_separators_only_in_place(ws, tmp_path):
    path = write(tmp_path, "e.csv", """
        entity_id,name,kind,street,building_type,floor_area_m2
        A,甲,building,外滩街道,office,"12,000"
        B,乙,building,外滩街道,office,"1,5"
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", path)
    assert [(e.row, e.column) for e in exc.value.errors] == [(3, "floor_area_m2")]


def test_trailing_comma_and_street_case(ws, tmp_path):
    path = write(tmp_path, "e.csv", """
        entity_id,name,kind,street,building_type
        A,甲,building,the bund,office,
    """)
    assert import_file(ws, "entities", path).added == 1
    extra = write(tmp_path, "e2.csv", """
        entity_id,name,kind,street,building_type
        C,丙,building,外滩街道,office,surprise
    """)
    with pytest.raises(InputValidationError, match="extra ones are not empty"):
        import_file(ws, "entities", extra)
