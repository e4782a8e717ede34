"""Retrofit and commissioning projects, daily weather, measured savings (M&V) and plan progress.

The M&V district (Huangpu, Asia/Shanghai), days ``k = 0 … 730`` from 2023-01-01 to 2024-12-31,
daily interval meters (1440 min, one reading at each local midnight):

* weather ``T_k = round(16 + 11·sin(2π(k − 105)/365) + 1.5·sin(2πk/7.3), 1)`` °C;
* R1 (office, 12,000 m²), meter RM1: ``U_k = 1000 + e1[k mod 5]`` kWh, ``e1 = (20, 10, 0, −10,
  −20)``, × 0.8 from 2024-03-01; its sub-meter RM1a reads 99,999 a day (must be ignored);
* R2 (8,000 m²), RM2 (multiplier 2, values halved): ``800 + 40·max(T − 22, 0) + e2``, ``e2 =
  (8, 4, 0, −4, −8)``, × 0.8 from 2024-03-01;
* R3 (5,000 m²), RM3 in MWh: ``1000 + e3``, ``e3 = (600, 300, 0, −300, −600)``, × 0.8 from
  2024-03-01 (too noisy for ASHRAE G14);
* R4 (hospital, 20,000 m²): a cumulative main meter only; R5: no meter; R6: an hourly meter
  (local-day test only).

Projects: P1 (R1), P2 (R2), P3 (R3) retrofits, works 2024-01-01 → completion 2024-03-01; P4 (R4)
retrofit completed 2022-06-30; C1 (R5) commissioning completed 2024-06-30; C2 (R2)
commissioning completed 2023-10-31; P6 (R3) planned for 2025.

P1 by hand. Baseline 2023-01-01 … 2023-12-31 = 365 days = 73 cycles of e1, so the mean is
1000 and e1 is uncorrelated with the weather: the intercept-only model, μ = 1000 kWh/day.
Reporting 2024-03-01 … 2024-12-31 = 306 days; 2024-03-01 is day 425 ≡ 0 (mod 5), 306 = 61·5 + 1
so Σe1 = e1[0] = 20. Adjusted baseline = 306 × 1000 = 306,000 kWh; reporting = 0.8 × (306,000 +
20) = 244,816 kWh; savings = 61,184 kWh; fractional savings = 61,184 / 306,000 = 0.1999477.
CV(RMSE) = sqrt(73 × (400 + 100 + 0 + 100 + 400) / (365 − 1)) / 1000 = sqrt(200.5495) / 1000 =
0.0141615; NMBE = 0.

P3 the same with e3: reporting = 0.8 × (306,000 + 600) = 245,280; savings = 60,720; fraction =
0.1984314; CV(RMSE) = sqrt(73 × 900,000 / 364) / 1000 = 424.846 / 1000 = 0.424846 > 0.25: not G14.

Progress at the end of 2024 (plan 2021–2030, targets HP-10/HP-11/HP-16 of the catalogue):
retrofitted area = P1 10,000 + P2 8,000 + P3 5,000 + P4 20,000 = 43,000 m² (P6 is planned);
≥ 15 % and G14 = P1 + P2 = 18,000 m²; ≥ 15 % failing G14 = P3 5,000 m²; not measured = P4
20,000 m²; commissioning 2023: C2 = 1, 2024: C1 = 1.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from carbonpeak.api import create_app
from carbonpeak.cli import app as cli_app
from carbonpeak.cli.demo import demo_retrofits
from carbonpeak.config import Settings
from carbonpeak.errors import InputValidationError, NotFoundError
from carbonpeak.i18n import render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.retrofit_files import ProjectSpec, read_retrofit_file, split_measures
from carbonpeak.intake.weather_files import parse_date, read_weather_file
from carbonpeak.reference import reference_dir
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.buildings import retrofits as retrofits_pipeline
from carbonpeak.services.buildings.retrofits import (
    building_areas,
    daily_usage,
    import_retrofits,
    list_projects,
    measure,
    metric_series,
    project_detail,
    retrofit_progress,
    save_project,
)
from carbonpeak.services.buildings.weather import import_weather, weather_days
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.storage.registry.models import (
    AuditLog,
    Entity,
    IngestBatch,
    MvResult,
    RetrofitProject,
    Street,
    WeatherDay,
)
from carbonpeak.storage.workspace import Workspace, audit
from tests.conftest import BACKENDS, STARTUP_WAIT_S, openapi_schema, registry_url, write

D0 = dt.date(2023, 1, 1)
N_DAYS = 731
END = dt.date(2024, 3, 1)
E1 = (20, 10, 0, -10, -20)
E2 = (8, 4, 0, -4, -8)
E3 = (600, 300, 0, -300, -600)

ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
E1,外滩集团,enterprise,外滩街道,,,31.238,121.487,,J66
R1,外滩一号楼,building,外滩街道,office,12000,31.238,121.487,E1,J66
R2,豫园大厦,building,豫园街道,office,8000,31.228,121.488,,L72
R3,外滩三号楼,building,外滩街道,office,5000,31.238,121.487,,L72
R4,豫园医院,public_institution,豫园街道,hospital,20000,31.228,121.488,,Q84
R5,外滩五号楼,building,外滩街道,office,6000,31.238,121.487,,L72
R6,豫园六号楼,building,豫园街道,office,3000,31.228,121.488,,L72
"""
METERS = """
meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes
RM1,R1,electricity,kWh,,interval,1,1440
RM1a,R1,electricity,kWh,hvac,interval,1,1440
RM2,R2,electricity,kWh,,interval,2,1440
RM3,R3,electricity,MWh,,interval,1,1440
RM4,R4,electricity,kWh,,cumulative,1,60
RM6,R6,electricity,kWh,,interval,1,60
"""
PROJECTS = """
code,entity_id,kind,name,measures,start_date,end_date,floor_area_m2,investment,claimed_savings_kwh,claimed_savings_fraction,status
P1,R1,retrofit,一号楼照明与空调改造,LED照明；冷机更换,2024-01-01,2024-03-01,10000,300,200000,20%,completed
P2,R2,retrofit,豫园大厦改造,冷机更换,2024-01-01,2024-03-01,8000,250,,0.2,completed
P3,R3,retrofit,三号楼改造,BA系统,2024-01-01,2024-03-01,5000,100,,,completed
P4,R4,retrofit,医院改造,保温,2022-01-01,2022-06-30,20000,500,,,completed
C1,R5,commissioning,五号楼调适,空调系统调适,2024-05-01,2024-06-30,6000,20,,,completed
C2,R2,commissioning,豫园大厦调适,,2023-09-01,2023-10-31,8000,10,,,completed
P6,R3,retrofit,三号楼二期,,2025-03-01,,5000,,,,planned
"""


def temp(k: int) -> float:
    return round(16 + 11 * math.sin(2 * math.pi * (k - 105) / 365)
                 + 1.5 * math.sin(2 * math.pi * k / 7.3), 1)


def _readings() -> str:
    lines = ["meter_id,ts,value"]
    for k in range(N_DAYS):
        day = D0 + dt.timedelta(days=k)
        ts, f, t = f"{day}T00:00:00", 0.8 if day >= END else 1.0, temp(k)
        lines += [f"RM1,{ts},{round((1000 + E1[k % 5]) * f, 6)}", f"RM1a,{ts},99999",
                  f"RM2,{ts},{round((800 + 40 * max(t - 22, 0) + E2[k % 5]) * f / 2, 6)}",
                  f"RM3,{ts},{round((1000 + E3[k % 5]) * f / 1000, 9)}"]
    # R6, hourly: 06-01 complete (24 × 10), 06-02 only 11 intervals (missing), 06-03 the 12
    # morning intervals and 23:00 local given in UTC (15:00Z), 06-04 00:00 local as 16:00Z
    lines += [f"RM6,2024-06-01T{h:02d}:00:00,10" for h in range(24)]
    lines += [f"RM6,2024-06-02T{h:02d}:00:00,10" for h in range(11)]
    lines += [f"RM6,2024-06-03T{h:02d}:00:00,10" for h in range(12)]
    lines += ["RM6,2024-06-03T15:00:00Z,5", "RM6,2024-06-03T16:00:00Z,7"]
    return "\n".join(lines) + "\n"


def _weather() -> str:
    return "date,temp_mean_c\n" + "".join(
        f"{D0 + dt.timedelta(days=k)},{temp(k):.1f}\n" for k in range(N_DAYS))


def build_district(ws: Workspace, folder: Path, *, targets: bool = True) -> None:
    """Entities, meters, readings, weather and projects of the M&V district."""
    folder.mkdir(parents=True, exist_ok=True)
    import_file(ws, "entities", write(folder, "entities.csv", ENTITIES))
    import_file(ws, "meters", write(folder, "meters.csv", METERS))
    (folder / "readings.csv").write_text(_readings(), encoding="utf-8")
    import_file(ws, "readings", folder / "readings.csv")
    (folder / "weather.csv").write_text(_weather(), encoding="utf-8")
    import_weather(ws, folder / "weather.csv")
    import_retrofits(ws, write(folder, "retrofits.csv", PROJECTS))
    if targets:
        import_file(ws, "targets", reference_dir() / "targets" / "huangpu.csv")


# -- files, no registry ------------------------------------------------------------------
def test_dates_and_measures_parse() -> None:
    assert parse_date("2024/3/1") == dt.date(2024, 3, 1)
    assert parse_date("2024年3月1日") == dt.date(2024, 3, 1)
    assert parse_date("20240301") == dt.date(2024, 3, 1)
    assert parse_date("2024-03-01 00:00:00") == dt.date(2024, 3, 1)
    assert parse_date("2023-02-29") is None
    assert parse_date("March 1") is None
    assert split_measures("LED照明；冷机更换、BA系统; 变频\n") == ("LED照明", "冷机更换",
                                                                  "BA系统", "变频")


def test_weather_file_chinese_headers_in_gb18030(tmp_path: Path) -> None:
    path = write(tmp_path, "气温.csv", """
    日期,日平均气温,站点
    2024-01-01,5.2,徐家汇
    2024/1/2,-1.5,徐家汇
    """, encoding="gb18030")
    wf = read_weather_file(path)
    assert wf.days == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert wf.temps_c == [5.2, -1.5]
    assert wf.stations == ["徐家汇", "徐家汇"]
    assert wf.converted_rows == 0


def test_weather_fahrenheit_is_converted(tmp_path: Path) -> None:
    # (50 − 32) × 5/9 = 10 °C; (59 − 32) × 5/9 = 15 °C; (23 − 32) × 5/9 = −5 °C
    wf = read_weather_file(write(tmp_path, "f.csv", """
    date,temp_mean (°F)
    2024-01-01,50
    2024-01-02,59
    2024-01-03,23
    """))
    assert wf.temps_c == pytest.approx([10.0, 15.0, -5.0])
    assert wf.converted_rows == 3
    assert any("°F" in render(n, "en") for n in wf.notes)
    # a unit column decides row by row: 77 °F = 25 °C, 10 ℃ stays
    wf = read_weather_file(write(tmp_path, "u.csv", """
    日期,日平均气温,单位
    2024-01-01,77,°F
    2024-01-02,10,℃
    """))
    assert wf.temps_c == pytest.approx([25.0, 10.0])


def test_bad_weather_file_names_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", """
    date,temp_mean_c,unit
    2024-01-01,5,
    2024-01-02,77,
    2024-02-30,5,
    2024-01-01,6,
    2024-01-05,abc,
    2024-01-06,5,K
    """)
    with pytest.raises(InputValidationError) as exc:
        read_weather_file(path)
    got = {(e.row, e.column) for e in exc.value.errors}
    assert got == {(3, "temp_mean_c"), (4, "date"), (2, "date"), (5, "date"),
                   (6, "temp_mean_c"), (7, "unit")}
    by_row = {e.row: e for e in exc.value.errors}
    assert "Fahrenheit" in by_row[3].message  # 77 °C is implausible: a hint to say °F
    assert all(e.file == "bad.csv" for e in exc.value.errors)
    assert "line" in by_row[2].message
    assert "5" in by_row[2].message
    # a header in °F and a unit column in °C contradict each other
    with pytest.raises(InputValidationError) as exc:
        read_weather_file(write(tmp_path, "c.csv", """
        date,temp_mean_f,unit
        2024-01-01,10,C
        """))
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "unit")]
    with pytest.raises(InputValidationError) as exc:
        read_weather_file(write(tmp_path, "nocol.csv", """
        date,humidity
        2024-01-01,50
        """))
    assert [e.column for e in exc.value.errors] == ["temp_mean_c"]


def test_weather_from_xlsx_with_a_title_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["黄浦区 2024 年日平均气温"])
    sh.append(["日期", "日平均气温（℃）"])
    sh.append([dt.datetime(2024, 1, 1), 4.5])
    sh.append([dt.datetime(2024, 1, 2), 6])
    wb.save(tmp_path / "w.xlsx")
    wf = read_weather_file(tmp_path / "w.xlsx")
    assert wf.days == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert wf.temps_c == [4.5, 6.0]
    assert wf.lines == [3, 4]


def test_retrofit_file_chinese_headers_gb18030(tmp_path: Path) -> None:
    path = write(tmp_path, "项目.csv", """
    项目编号,建筑编号,项目类型,项目名称,改造措施,开工日期,竣工日期,改造面积（m²）,投资（元）,申报节能量（万kWh）,申报节能率,状态
    P1,R1,节能改造,照明改造,LED照明；冷机更换、BA系统,2024年1月1日,2024/3/1,"10,000",3000000,20,18%,已完成
    C9,R5,调适,调适,,2024-05-01,,6000,,,0.05,实施中
    """, encoding="gb18030")
    specs, notes = read_retrofit_file(path)
    p1, c9 = specs
    assert (p1.kind, p1.status, p1.start_date, p1.end_date) == (
        "retrofit", "completed", dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    assert p1.measures == ("LED照明", "冷机更换", "BA系统")
    assert p1.floor_area_m2 == 10_000
    assert p1.investment_10k_cny == pytest.approx(300.0)  # 3,000,000 元 = 300 万元
    assert p1.claimed_savings_kwh == pytest.approx(200_000)  # 20 万kWh
    assert p1.claimed_savings_fraction == pytest.approx(0.18)
    assert (c9.kind, c9.status, c9.end_date, c9.claimed_savings_fraction) == (
        "commissioning", "in_progress", None, 0.05)
    assert len(notes) == 2  # both conversions are stated


def test_bad_retrofit_file_names_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", """
    code,entity_id,kind,name,start_date,end_date,floor_area_m2,claimed_savings_fraction,status
    B1,R1,retrofit,end before start,2024-03-01,2024-01-01,100,,completed
    B2,R1,retrofit,completed without end,2024-03-01,,100,,completed
    B3,R1,retrofit,negative area,2024-03-01,2024-04-01,-5,,completed
    B4,R1,rebuild,unknown kind,2024-03-01,2024-04-01,100,150%,done
    B1,R1,retrofit,same code,2024-03-01,2024-04-01,100,18,completed
    B6,R1,retrofit,bad date,2024-13-01,,100,,planned
    """)
    with pytest.raises(InputValidationError) as exc:
        read_retrofit_file(path)
    got = {(e.row, e.column) for e in exc.value.errors}
    assert got == {(2, "end_date"), (3, "end_date"), (4, "floor_area_m2"), (5, "kind"),
                   (5, "claimed_savings_fraction"), (6, "code"),
                   (6, "claimed_savings_fraction"), (7, "start_date")}


def test_units_in_headers_are_converted_or_refused(tmp_path: Path) -> None:
    specs, notes = read_retrofit_file(write(tmp_path, "万.csv", """
    项目编号,建筑编号,项目名称,开工日期,竣工日期,改造面积（万平方米）,投资（亿元）,申报节能率（%）
    P1,R1,照明改造,2024-01-01,2024-03-01,1.2,0.5,18
    """))
    # 1.2 万m² = 1.2 × 10⁴ = 12,000 m²; 0.5 亿元 = 0.5 × 10⁴ = 5,000 万元; 18 under (%) = 0.18
    assert specs[0].floor_area_m2 == pytest.approx(12_000)
    assert specs[0].investment_10k_cny == pytest.approx(5_000)
    assert specs[0].claimed_savings_fraction == pytest.approx(0.18)
    assert len(notes) == 3  # every conversion is stated
    specs, notes = read_retrofit_file(write(tmp_path, "m2.csv", """
    code,entity_id,name,start_date,floor_area_m2 (㎡),investment (千元),claimed_savings_kwh
    P1,R1,照明改造,2024-01-01,"1,000",3000,5
    P2,R1,照明改造,2024-01-01,500,25,
    """))
    # ㎡ as is; 3,000 千元 = 3,000 / 10 = 300 万元, 25 千元 = 2.5 万元
    assert [(s.floor_area_m2, s.investment_10k_cny) for s in specs] == [
        (1000.0, pytest.approx(300.0)), (500.0, pytest.approx(2.5))]
    assert len(notes) == 1
    specs, notes = read_retrofit_file(write(tmp_path, "plain.csv", """
    项目编号,建筑编号,项目名称,开工日期,改造面积（必填）,投资（万元）
    P1,R1,照明改造,2024-01-01,800,12
    """))
    assert (specs[0].floor_area_m2, specs[0].investment_10k_cny, notes) == (800.0, 12.0, [])
    with pytest.raises(InputValidationError) as exc:
        read_retrofit_file(write(tmp_path, "bad.csv", """
        项目编号,建筑编号,项目名称,开工日期,改造面积（公顷）,投资（美元）,申报节能量（tce）
        P1,R1,照明改造,2024-01-01,1.2,50000,3
        """))
    got = {(e.row, e.column, e.value) for e in exc.value.errors}
    assert got == {(1, "floor_area_m2", "改造面积（公顷）"),
                   (1, "investment_10k_cny", "投资（美元）"),
                   (1, "claimed_savings_kwh", "申报节能量（tce）")}
    assert all(e.file == "bad.csv" and "header" in e.message for e in exc.value.errors)


def test_a_nul_in_a_cell_is_a_row_error(tmp_path: Path) -> None:
    with pytest.raises(InputValidationError) as exc:
        read_retrofit_file(write(tmp_path, "nul.csv", """
        code,entity_id,name,measures,start_date,floor_area_m2,note
        P1,R1,照明\x00改造,LED,2024-01-01,100,
        P2,R1,照明改造,LED；冷机\x00,2024-01-01,100,
        P3,R1,照明改造,LED,2024-01-01,100,备\x00注
        """))
    assert {(e.row, e.column) for e in exc.value.errors} == {
        (2, "name"), (3, "measures"), (4, "note")}
    assert all(e.file == "nul.csv" and "NUL" in e.message and "\x00" not in (e.value or "")
               for e in exc.value.errors)
    with pytest.raises(InputValidationError) as exc:
        read_weather_file(write(tmp_path, "wnul.csv", """
        date,temp_mean_c,station
        2024-01-01,5,徐家\x00汇
        2024-01-02,6,徐家汇
        """))
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "station")]


def test_weather_dates_outside_1990_2100_refused(tmp_path: Path) -> None:
    with pytest.raises(InputValidationError) as exc:
        read_weather_file(write(tmp_path, "years.csv", """
        date,temp_mean_c
        0001-01-01,5
        1989-12-31,5
        1990-01-01,5
        2100-12-31,5
        2101-01-01,5
        9999-12-31,5
        """))
    assert [(e.row, e.column) for e in exc.value.errors] == [
        (2, "date"), (3, "date"), (6, "date"), (7, "date")]
    assert all("1990" in e.message for e in exc.value.errors)


# -- weather into the registry --------------------------------------------------------------
def test_weather_reimport_changes_nothing_and_changes_are_audited(ws: Workspace,
                                                                   tmp_path: Path) -> None:
    first = write(tmp_path, "w1.csv", """
    date,temp_mean_c
    2024-01-01,5.0
    2024-01-02,6.0
    2024-01-03,7.0
    """)
    r = import_weather(ws, first, station="徐家汇")
    assert (r.status, r.added, r.updated) == ("committed", 3, 0)
    with ws.registry.session() as s:
        n_audit = s.scalar(select(func.count()).select_from(AuditLog))
    again = import_weather(ws, first)
    assert (again.status, again.batch_id) == ("duplicate", r.batch_id)
    # the same values in another file: a batch that changes nothing
    same = write(tmp_path, "w2.csv", "date,temp_mean_c\n2024-01-02,6\n")
    assert import_weather(ws, same).status == "no_change"
    with ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(WeatherDay)) == 3
    changed = write(tmp_path, "w3.csv", "date,temp_mean_c\n2024-01-02,6.5\n2024-01-04,8\n")
    r3 = import_weather(ws, changed)
    assert (r3.added, r3.updated, r3.unchanged) == (1, 1, 0)
    days = {d["day"]: d for d in weather_days(ws, "huangpu")}
    assert days["2024-01-02"]["t_mean_c"] == 6.5
    assert days["2024-01-02"]["station"] == "徐家汇"  # kept: the new file names none
    with ws.registry.session() as s:
        upd = s.scalars(select(AuditLog).where(AuditLog.object_type == "weather_day")).all()
        assert n_audit is not None
        assert s.scalar(select(func.count()).select_from(AuditLog)) > n_audit
        batches = s.scalars(select(IngestBatch.status).where(IngestBatch.kind == "weather")
                            .order_by(IngestBatch.id)).all()
    assert [(a.object_id, a.details["t_mean_c"], a.details["previous_batch"]) for a in upd] == [
        ("huangpu/2024-01-02", [6.0, 6.5], r.batch_id)]
    assert batches == ["committed", "no_change", "committed"]


def test_refused_weather_file_stores_nothing(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputValidationError):
        import_weather(ws, write(tmp_path, "w.csv", "date,temp_mean_c\n2024-01-01,5\n"
                                 "2024-01-02,500\n"))
    with ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(WeatherDay)) == 0
        assert s.scalar(select(func.count()).select_from(IngestBatch)) == 0


@pytest.mark.contract
def test_nul_in_imported_files_is_refused_by_row(ws: Workspace, tmp_path: Path) -> None:
    # on PostgreSQL a NUL reached the database as a raw DataError before
    import_file(ws, "entities", write(tmp_path, "entities.csv", ENTITIES))
    with pytest.raises(InputValidationError) as exc:
        import_retrofits(ws, write(tmp_path, "p.csv", """
        code,entity_id,name,start_date,floor_area_m2
        P1,R1,照明\x00改造,2024-01-01,100
        """))
    assert [(e.file, e.row, e.column) for e in exc.value.errors] == [("p.csv", 2, "name")]
    with pytest.raises(InputValidationError) as exc:
        import_weather(ws, write(tmp_path, "w.csv", "date,temp_mean_c,station\n"
                                 "2024-01-01,5,徐家\x00汇\n"))
    assert [(e.file, e.row, e.column) for e in exc.value.errors] == [("w.csv", 2, "station")]
    with pytest.raises(InputValidationError) as exc:
        import_weather(ws, write(tmp_path, "w2.csv", "date,temp_mean_c\n2024-01-01,5\n"),
                       station="徐家\x00汇")
    assert [e.column for e in exc.value.errors] == ["station"]
    with ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(RetrofitProject)) == 0
        assert s.scalar(select(func.count()).select_from(WeatherDay)) == 0


# -- projects into the registry -------------------------------------------------------------
@pytest.mark.contract
def test_projects_registry_checks_and_idempotent_upsert(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, "entities", write(tmp_path, "entities.csv", ENTITIES))
    bad = write(tmp_path, "bad.csv", """
    code,entity_id,name,start_date,end_date,floor_area_m2,status
    X1,NOPE,unknown building,2024-01-01,2024-02-01,100,completed
    X2,E1,an enterprise,2024-01-01,2024-02-01,100,completed
    X3,R5,too large,2024-01-01,2024-02-01,6001,completed
    """)
    with pytest.raises(InputValidationError) as exc:
        import_retrofits(ws, bad)
    assert {(e.row, e.column) for e in exc.value.errors} == {
        (2, "entity_id"), (3, "entity_id"), (4, "floor_area_m2")}
    path = write(tmp_path, "retrofits.csv", PROJECTS)
    r = import_retrofits(ws, path)
    assert (r.status, r.added) == ("committed", 7)
    assert import_retrofits(ws, path).status == "duplicate"
    edited = write(tmp_path, "edited.csv", PROJECTS.replace(
        "P2,R2,retrofit,豫园大厦改造,冷机更换,2024-01-01,2024-03-01,8000,250",
        "P2,R2,retrofit,豫园大厦改造,冷机更换,2024-01-01,2024-03-01,7500,250"))
    r2 = import_retrofits(ws, edited)
    assert (r2.added, r2.updated, r2.unchanged) == (0, 1, 6)
    with ws.registry.session() as s:
        upd = s.scalars(select(AuditLog).where(AuditLog.object_type == "retrofit_project",
                                               AuditLog.action == "update")).all()
    assert [(a.object_id, a.details["changes"]) for a in upd] == [
        ("P2", {"floor_area_m2": [8000.0, 7500.0]})]
    rows = list_projects(ws, AccessScope("huangpu", everything=True))
    assert [p["code"] for p in rows] == ["C1", "C2", "P1", "P2", "P3", "P4", "P6"]
    p1 = next(p for p in rows if p["code"] == "P1")
    assert p1["measures"] == ["LED照明", "冷机更换"]
    assert p1["claimed_savings_fraction"] == pytest.approx(0.2)
    assert p1["mv_id"] is None


# -- the M&V district (one per backend) ---------------------------------------------------------
USERS = {
    "admin": ("district_admin", None, None),
    "analyst": ("district_analyst", None, None),
    "officer": ("street_officer", "waitan", None),      # 外滩: E1, R1, R3, R5
    "officer_yy": ("street_officer", "yuyuan", None),   # 豫园: R2, R4, R6
    "manager": ("entity_manager", None, ["E1"]),        # E1 and its building R1
    "feeder": ("data_feeder", None, ["R2"]),
}


@dataclass
class World:
    ws: Workspace
    client: TestClient
    tokens: dict[str, str]
    measured: list[dict[str, Any]]
    folder: Path

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = {} if user == "anonymous" else {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.request(method, path, json=body, headers=headers)

    def latest(self, code: str) -> dict[str, Any]:
        everything = AccessScope("huangpu", everything=True)
        return project_detail(self.ws, everything, code)["mv_results"][0]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("retrofits")
    with registry_url(request.param, tmp) as url:
        ws, _ = init_workspace(Settings(home=tmp / "home", database_url=url),
                               profiles=["huangpu"], actor="test", load_targets=False)
        try:
            build_district(ws, tmp / "in")
            measured = measure(ws, "huangpu")
            for name, (role, street, entities) in USERS.items():
                create_user(ws, name, role, street=street, entities=entities)
            tokens = {name: issue_token(ws, name).token for name in USERS}
            yield World(ws, TestClient(create_app(workspace=ws)), tokens, measured, tmp / "in")
        finally:
            ws.close()


def test_daily_usage_sums_local_days(world: World) -> None:
    # 06-01: 24 × 10 = 240; 06-02: 11 of 24 intervals (< half): missing; 06-03: 12 × 10 + 5
    # (15:00Z = 23:00 local) = 125 kWh from 13 of 24 intervals, filled with their mean
    # (CalTRACK 2.2.2.1): 24 × 125 / 13 = 230.769…; 06-04: only 00:00 local (16:00Z): missing
    u = daily_usage(world.ws, "huangpu", ["R6"], dt.date(2024, 6, 1), dt.date(2024, 6, 4))
    np.testing.assert_allclose(u.kwh[0], [240.0, np.nan, 24 * 125 / 13, np.nan], rtol=1e-12)
    assert u.meters == {"R6": ["RM6"]}
    # the sub-meter RM1a (99,999 a day) is not part of R1's day; RM2 × multiplier 2; RM3 MWh
    u = daily_usage(world.ws, "huangpu", ["R1", "R2", "R3", "R4", "R5"], D0, D0)
    assert u.kwh[:3, 0].tolist() == pytest.approx([1020.0, 800 + E2[0], 1600.0])
    assert u.meters["R1"] == ["RM1"]
    assert {e: i.code for e, i in u.problems.items()} == {
        "R4": "mv.usage.cumulative_meter", "R5": "mv.usage.no_meter"}


def test_savings_worked_by_hand(world: World) -> None:
    p1 = world.latest("P1")
    assert p1["sufficient"]
    assert p1["model_type"] == "intercept_only"
    assert (p1["reporting_start"], p1["reporting_end"], p1["n_reporting_days"]) == (
        "2024-03-01", "2024-12-31", 306)
    assert p1["adjusted_baseline_kwh"] == pytest.approx(306_000, rel=1e-9)
    assert p1["reporting_kwh"] == pytest.approx(244_816, rel=1e-9)
    assert p1["savings_kwh"] == pytest.approx(61_184, rel=1e-9)
    assert p1["fractional_savings"] == pytest.approx(61_184 / 306_000, rel=1e-9)
    assert p1["cv_rmse"] == pytest.approx(math.sqrt(73 * 1000 / 364) / 1000, rel=1e-9)
    assert abs(p1["nmbe"]) < 1e-12
    assert p1["meets_g14"]
    assert p1["fsu_68"] < 0.5
    p3 = world.latest("P3")
    assert p3["savings_kwh"] == pytest.approx(60_720, rel=1e-9)
    assert p3["fractional_savings"] == pytest.approx(60_720 / 306_000, rel=1e-9)
    assert p3["cv_rmse"] == pytest.approx(math.sqrt(73 * 900_000 / 364) / 1000, rel=1e-9)
    assert p3["sufficient"]
    assert not p3["meets_g14"]
    # P2: the cooling model at the generating balance point; 20 % less, the pattern aside
    p2 = world.latest("P2")
    model = p2["result"]["model"]
    assert (model["model_type"], model["cooling_balance_point_c"]) == ("cooling", 22.0)
    assert model["cooling_slope_kwh_per_degc_day"] == pytest.approx(40.0, rel=0.01)
    assert p2["fractional_savings"] == pytest.approx(0.2, abs=1e-3)
    assert p2["meets_g14"]


def test_results_store_their_inputs_and_a_monthly_chart(world: World) -> None:
    p1 = world.latest("P1")
    inputs = p1["inputs"]
    assert inputs["project"] == {"entity_id": "R1", "start_date": "2024-01-01",
                                 "end_date": "2024-03-01", "kind": "retrofit"}
    assert inputs["meters"] == ["RM1"]
    assert inputs["baseline"] == ["2023-01-01", "2023-12-31"]
    assert inputs["reporting"] == ["2024-03-01", "2024-12-31"]
    with world.ws.registry.session() as s:
        readings = s.scalars(select(IngestBatch.id).where(IngestBatch.kind == "readings")).all()
        weather = s.scalars(select(IngestBatch.id).where(IngestBatch.kind == "weather")).all()
    assert inputs["lake_batches"] == readings
    assert inputs["weather"]["batches"] == weather
    assert inputs["weather"]["n_days"] == 731
    monthly = {(m["period"], m["month"]): m for m in p1["result"]["monthly"]}
    assert len(monthly) == 12 + 10  # 2023 baseline, 2024-03 … 2024-12 reporting
    # March 2024: 31 days from phase 0 = 6 cycles + 1 day: Σe1 = 20; actual 0.8 × 31,020
    march = monthly[("reporting", "2024-03")]
    assert (march["n_valid_days"], march["baseline_kwh"]) == (31, pytest.approx(31_000))
    assert march["actual_kwh"] == pytest.approx(24_816)
    assert sum(m["actual_kwh"] for m in p1["result"]["monthly"]
               if m["period"] == "reporting") == pytest.approx(244_816)
    assert p1["result"]["claimed"] == {"savings_kwh": 200_000.0, "fraction": 0.2}


def test_insufficient_projects_get_a_result_with_the_reason(world: World) -> None:
    measured = {r["code"]: r for r in world.measured}
    assert set(measured) == {"P1", "P2", "P3", "P4", "C1", "C2", "P6"}
    assert "not completed" in measured["P6"]["skipped"]
    codes = {c: [x["code"] for x in world.latest(c)["result"]["reasons"]]
             for c in ("P4", "C1", "C2")}
    assert codes["P4"] == ["mv.usage.cumulative_meter"]
    assert codes["C1"] == ["mv.usage.no_meter"]
    # C2: baseline 2022-09-01 … 2023-08-31, no data before 2023: 122 days missing
    assert codes["C2"][0] == "mv.baseline.too_many_missing_days"
    assert {"mv.weather.missing", "mv.usage.missing"} <= set(codes["C2"])
    for c in ("P4", "C1", "C2"):
        r = world.latest(c)
        assert not r["sufficient"]
        assert not r["meets_g14"]
        assert r["savings_kwh"] is None
    with world.ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(MvResult)) >= 6


def test_as_of_limits_the_reporting_period(world: World) -> None:
    # 2024-03-01 … 2024-06-30 = 31 + 30 + 31 + 30 = 122 days = 24 cycles + 2: Σe1 = 20 + 10;
    # reporting 0.8 × (122,000 + 30) = 97,624; savings 122,000 − 97,624 = 24,376
    rows = measure(world.ws, "huangpu", codes=["P1"], as_of=dt.date(2024, 6, 30))
    assert [r["code"] for r in rows] == ["P1"]
    r = world.latest("P1")
    assert (r["reporting_end"], r["n_reporting_days"]) == ("2024-06-30", 122)
    assert r["savings_kwh"] == pytest.approx(24_376, rel=1e-9)
    assert r["inputs"]["as_of"] == "2024-06-30"
    with pytest.raises(NotFoundError):
        measure(world.ws, "huangpu", codes=["NOPE"])
    measure(world.ws, "huangpu", codes=["P1"])  # back to the full year for the tests below
    assert world.latest("P1")["n_reporting_days"] == 306


def test_reporting_ends_at_the_last_complete_day(world: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # measured on 2024-07-01 (district time) without as_of: that day's readings are still
    # arriving, so the reporting period ends on 2024-06-30: 122 days, Σe1 = 20 + 10, savings
    # 122,000 − 0.8 × (122,000 + 30) = 24,376 kWh (as with as_of = 2024-06-30)
    monkeypatch.setattr(retrofits_pipeline, "_today", lambda _d: dt.date(2024, 7, 1))
    measure(world.ws, "huangpu", codes=["P1"])
    r = world.latest("P1")
    assert (r["reporting_end"], r["n_reporting_days"]) == ("2024-06-30", 122)
    assert r["savings_kwh"] == pytest.approx(24_376, rel=1e-9)
    assert r["inputs"]["as_of"] is None
    monkeypatch.undo()
    measure(world.ws, "huangpu", codes=["P1"])  # back to the full year for the tests below
    assert world.latest("P1")["n_reporting_days"] == 306


def test_progress_summed_by_hand(world: World) -> None:
    g = retrofit_progress(world.ws, "huangpu", 2024)
    assert g["plan_start"] == 2021  # 十四五+十五五 2021-2030
    assert g["retrofit_area_m2"] == 43_000  # 10,000 + 8,000 + 5,000 + 20,000
    assert g["retrofit_target"]["target_value"] == 3_500_000  # HP-10, not typed in
    assert g["retrofit_progress_pct"] == pytest.approx(100 * 43_000 / 3_500_000)
    assert g["saving15_area_m2"] == 18_000  # P1 + P2
    assert g["saving15_target"]["code"] == "HP-11"
    assert g["saving15_progress_pct"] == pytest.approx(100 * 18_000 / 400_000)
    assert g["saving15_fails_g14_area_m2"] == 5_000  # P3
    assert g["not_measured_area_m2"] == 20_000  # P4
    assert g["below15_area_m2"] == 0
    assert g["commissioning"] == [{"year": 2021, "completed": 0}, {"year": 2022, "completed": 0},
                                  {"year": 2023, "completed": 1}, {"year": 2024, "completed": 1}]
    assert g["commissioning_target"]["target_value"] == 5  # HP-16
    g23 = retrofit_progress(world.ws, "huangpu", 2023)
    assert (g23["retrofit_area_m2"], g23["saving15_area_m2"], g23["commissioning_this_year"]) \
        == (20_000, 0, 1)
    # a street officer of 外滩 (its street: E1, R1, R3, R5) sees the totals and only its
    # street's projects; an entity manager of E1 (E1 and R1) only P1
    with world.ws.registry.session() as s:
        street = s.scalars(select(Street).where(Street.district_id == "huangpu",
                                                Street.code == "waitan")).one()
        on_street = frozenset(s.scalars(select(Entity.id).where(Entity.street_id == street.id)))
    assert on_street == {"E1", "R1", "R3", "R5"}
    officer = AccessScope("huangpu", everything=False, street_id=street.id, street_code="waitan",
                    entities=on_street)
    assert officer.kind == "street"
    g_off = retrofit_progress(world.ws, "huangpu", 2024, officer)
    assert (g_off["retrofit_area_m2"], g_off["saving15_area_m2"]) == (43_000, 18_000)
    assert [p["code"] for p in g_off["projects"]] == ["P1", "P3"]
    assert [p["code"] for p in g_off["commissioning_projects"]] == ["C1"]
    manager = AccessScope("huangpu", everything=False, entities=frozenset({"E1", "R1"}))
    assert manager.kind == "entities"
    g_man = retrofit_progress(world.ws, "huangpu", 2024, manager)
    assert g_man["retrofit_area_m2"] == 43_000
    assert [p["code"] for p in g_man["projects"]] == ["P1"]
    assert g_man["commissioning_projects"] == []


def test_targets_assessment_shows_the_progress(world: World) -> None:
    d = world.ws.district("huangpu")
    values, source = metric_series(world.ws, d, "retrofit_area_m2")
    assert values == [(2021, 0.0), (2022, 20_000.0), (2023, 20_000.0), (2024, 43_000.0)]
    assert source is not None
    assert "completed retrofits" in render(source, "en")
    assert render(source, "zh") == "登记项目：按年竣工的节能改造"
    by_code = {t.code: t for t in evaluate_targets(world.ws, district="huangpu",
                                                   codes=["HP-10", "HP-11", "HP-16"])}
    hp10 = by_code["HP-10"]
    assert (hp10.value, hp10.value_year, hp10.metric) == (43_000, 2024, "retrofit_area_m2")
    # linear path from 0 in 2020 to 3,500,000 in 2030: 2024 is at 1,400,000
    assert hp10.progress_pct == pytest.approx(100 * 43_000 / 3_500_000)
    assert hp10.status == "off_track"
    assert by_code["HP-11"].value == 18_000
    assert (by_code["HP-16"].value, by_code["HP-16"].status) == (1, "not_met")  # 1 < 5 a year


def test_building_areas_count_each_building_once() -> None:
    # A (registered 11,000 m²): 10,000 meets, 12,000 below, 15,000 not measured → counted
    #   min(15,000, 11,000) = 11,000: meets 10,000, below 11,000 − 10,000 = 1,000, the rest 0
    # B (no floor area, no cap): 5,000 fails G14, 3,000 meets → meets 3,000, fails 2,000
    # C (8,000): 8,000 not measured
    got = building_areas([("A", 10_000, "meets"), ("A", 12_000, "below"),
                          ("A", 15_000, "not_measured"), ("B", 5_000, "fails_g14"),
                          ("B", 3_000, "meets"), ("C", 8_000, "not_measured")],
                         {"A": 11_000, "B": None, "C": 8_000})
    assert got == {"meets": 13_000, "fails_g14": 2_000, "below": 1_000, "not_measured": 8_000}
    assert sum(got.values()) == 11_000 + 5_000 + 8_000


def _drop_projects(ws: Workspace, codes: list[str]) -> None:
    """Remove test projects and their results (audit-logged, so cached answers expire)."""
    with ws.registry.session() as s:
        for p in s.scalars(select(RetrofitProject).where(RetrofitProject.code.in_(codes))):
            for r in s.scalars(select(MvResult).where(MvResult.project_id == p.id)):
                s.delete(r)
            s.delete(p)
            audit(s, "test", "delete", "retrofit_project", p.code, {}, district="huangpu")


def test_a_building_counts_once_and_overlapping_baselines_are_flagged(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # R1 (12,000 m², P1 10,000 m²) gets P1b (12,000 m², the same works 2024-01-01 → 03-01 on
    # the same whole-building meter: the same measured saving, ≥ 15 % and G14) and P1c
    # (6,000 m², works 2024-06-01 → 07-01; its baseline 2023-06-02 … 2024-05-31 holds P1's and
    # P1b's works and reporting months).
    def spec(code: str, start: dt.date, end: dt.date, area: float) -> ProjectSpec:
        return ProjectSpec(code=code, entity_id="R1", kind="retrofit", name="一号楼二期",
                           measures=(), start_date=start, end_date=end, floor_area_m2=area,
                           investment_10k_cny=None, claimed_savings_kwh=None,
                           claimed_savings_fraction=None, status="completed")

    try:
        save_project(world.ws, "huangpu", spec("P1b", dt.date(2024, 1, 1), END, 12_000))
        save_project(world.ws, "huangpu", spec("P1c", dt.date(2024, 6, 1),
                                               dt.date(2024, 7, 1), 6_000))
        measure(world.ws, "huangpu", codes=["P1b", "P1c"])
        assert world.latest("P1b")["fractional_savings"] == pytest.approx(61_184 / 306_000)
        g = retrofit_progress(world.ws, "huangpu", 2024)
        # R1 once: max(10,000, 12,000, 6,000) = 12,000 ≤ its 12,000 m² (not 28,000):
        # 12,000 + 8,000 (R2) + 5,000 (R3) + 20,000 (R4) = 45,000
        assert g["retrofit_area_m2"] == 45_000
        assert g["retrofit_buildings"] == 4
        # ≥ 15 % with G14: R1 once with its best qualifying project (P1b 12,000) + P2 8,000
        assert g["saving15_area_m2"] == 20_000
        assert (g["saving15_fails_g14_area_m2"], g["below15_area_m2"],
                g["not_measured_area_m2"]) == (5_000, 0, 20_000)
        d = world.ws.district("huangpu")
        assert metric_series(world.ws, d, "retrofit_area_m2")[0][-1] == (2024, 45_000)
        assert metric_series(world.ws, d, "retrofit_area_saving15_m2")[0][-1] == (2024, 20_000)
        # the contaminated baseline is flagged, naming the projects in it
        warned = [w for w in world.latest("P1c")["result"]["warnings"]
                  if w["code"] == "mv.baseline.overlaps_project"]
        assert [w["data"]["project"] for w in warned] == ["P1", "P1b"]
        assert not [w for w in world.latest("P1b")["result"]["warnings"]
                    if w["code"] == "mv.baseline.overlaps_project"]
        # P2's baseline 2023 holds C2's commissioning (2023-09-01 → 10-31) on R2
        measure(world.ws, "huangpu", codes=["P2"])
        assert [w["data"]["project"] for w in world.latest("P2")["result"]["warnings"]
                if w["code"] == "mv.baseline.overlaps_project"] == ["C2"]
        items = {p["code"]: p for p in world.call("analyst", "GET",
                                                  "/api/v1/retrofits?limit=500").json()["items"]}
        assert items["P1c"]["mv_warning_codes"] == "mv.baseline.overlaps_project"
        assert items["P1b"]["mv_warning_codes"] is None
        api = world.call("analyst", "GET", "/api/v1/retrofits/progress?year=2024").json()
        assert (api["retrofit_area_m2"], api["saving15_area_m2"]) == (45_000, 20_000)
        monkeypatch.setenv("CARBONPEAK_HOME", str(world.ws.settings.home))
        monkeypatch.setenv("CARBONPEAK_DATABASE_URL", str(world.ws.settings.url))
        out = CliRunner().invoke(cli_app, ["mv", "show", "P1c"], catch_exceptions=False)
        assert out.exit_code == 0, out.output
        assert "与同一建筑其他项目" in out.output  # mv.baseline.overlaps_project, in Chinese
    finally:
        _drop_projects(world.ws, ["P1b", "P1c"])
    assert retrofit_progress(world.ws, "huangpu", 2024)["retrofit_area_m2"] == 43_000


# -- API -----------------------------------------------------------------------------------------
VISIBLE = {
    "admin": {"P1", "P2", "P3", "P4", "C1", "C2", "P6"},
    "analyst": {"P1", "P2", "P3", "P4", "C1", "C2", "P6"},
    "officer": {"P1", "P3", "C1", "P6"},
    "officer_yy": {"P2", "P4", "C2"},
    "manager": {"P1"},
    "feeder": {"P2", "C2"},
}


@pytest.mark.contract
@pytest.mark.parametrize("user", list(VISIBLE))
def test_each_role_sees_its_own_projects(world: World, user: str) -> None:
    r = world.call(user, "GET", "/api/v1/retrofits?limit=500")
    assert r.status_code == 200, r.text
    assert {p["code"] for p in r.json()["items"]} == VISIBLE[user]
    for code in ("P1", "P2", "C2"):
        detail = world.call(user, "GET", f"/api/v1/retrofits/{code}")
        assert detail.status_code == (200 if code in VISIBLE[user] else 404)
    assert world.call(user, "GET", "/api/v1/retrofits/GUESSED-1").status_code == 404


def test_list_and_detail_carry_the_measurement(world: World) -> None:
    items = {p["code"]: p for p in world.call("analyst", "GET", "/api/v1/retrofits")
             .json()["items"]}
    p1 = items["P1"]
    assert p1["mv_savings_kwh"] == pytest.approx(61_184)
    assert (p1["mv_meets_g14"], p1["mv_saving15"], p1["mv_current"]) == (True, True, True)
    assert items["P3"]["mv_saving15"] is False
    assert "cumulative" in items["P4"]["mv_reason"]
    # the same reason in Chinese, all Chinese (rendered from its code and numbers, not stored
    # as text): the meter id is the only Latin in it
    assert items["P4"]["mv_reason_zh"].startswith("电力总表")
    assert "累计读数表" in items["P4"]["mv_reason_zh"]
    p4 = world.call("analyst", "GET", "/api/v1/retrofits/P4").json()["mv_results"][0]["result"]
    (reason,) = p4["reasons"]
    assert set(reason) == {"code", "data", "message_zh", "message_en"}
    assert reason["code"] == "mv.usage.cumulative_meter"
    meter = reason["data"]["meter_id"]
    assert not re.search(r"[A-Za-z]", reason["message_zh"].replace(meter, ""))
    assert reason["message_en"] == items["P4"]["mv_reason"]
    assert items["P6"]["mv_id"] is None
    d = world.call("manager", "GET", "/api/v1/retrofits/P1").json()
    assert d["entity_name"] == "外滩一号楼"
    assert d["street"] == "外滩街道"
    assert len(d["mv_results"]) >= 1
    assert d["monthly"][0]["period"] == "baseline"
    anonymous = world.call("anonymous", "GET", "/api/v1/retrofits")
    assert anonymous.status_code == 401


def test_exports(world: World) -> None:
    r = world.call("officer", "GET", "/api/v1/retrofits?format=csv")
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("code,name,kind,entity_id")
    assert {line.split(",")[0] for line in text.splitlines()[1:]} == VISIBLE["officer"]
    r = world.call("analyst", "GET", "/api/v1/retrofits?format=xlsx&kind=commissioning")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert sorted(row[0].value for row in wb.active.iter_rows(min_row=2)
                  if row[0].value != "合计") == ["C1", "C2"]  # and the totals row


def test_progress_and_weather_through_the_api(world: World) -> None:
    g = world.call("officer_yy", "GET", "/api/v1/retrofits/progress?year=2024").json()
    assert (g["retrofit_area_m2"], g["saving15_area_m2"]) == (43_000, 18_000)
    assert [p["code"] for p in g["projects"]] == ["P2", "P4"]
    w = world.call("feeder", "GET", "/api/v1/weather?from=2024-01-01&to=2024-01-31").json()
    assert w["total"] == 31
    assert w["items"][0] == {"day": "2024-01-01", "t_mean_c": temp(365), "station": "",
                             "batch_id": w["items"][0]["batch_id"],
                             "source": w["items"][0]["source"]}
    assert w["summary"]["missing_days"] == 0
    bad = world.call("admin", "GET", "/api/v1/weather?from=2024-02-01&to=2024-01-01")
    assert bad.status_code == 422


@pytest.mark.contract
@pytest.mark.parametrize(("user", "status"), [
    ("admin", 200), ("analyst", 200), ("officer", 403), ("manager", 403), ("feeder", 403),
    ("anonymous", 401)])
def test_who_may_run_the_measurement(world: World, user: str, status: int) -> None:
    r = world.call(user, "POST", "/api/v1/mv/run", {"codes": ["P2"]})
    assert r.status_code == status, r.text
    if status == 200:
        assert [x["code"] for x in r.json()["measured"]] == ["P2"]


NEW = {"code": "N1", "entity_id": "R6", "kind": "commissioning", "name": "六号楼调适",
       "measures": ["空调系统调适"], "start_date": "2024-04-01", "end_date": "2024-05-01",
       "floor_area_m2": 3000, "status": "completed"}


@pytest.mark.contract
@pytest.mark.parametrize(("user", "body", "status"), [
    ("officer", NEW, 403),
    ("manager", NEW, 403),
    ("admin", {**NEW, "end_date": "2024-03-01"}, 422),            # end before start
    ("admin", {**NEW, "end_date": None}, 422),                    # completed without an end
    ("admin", {**NEW, "entity_id": "NOPE"}, 422),                 # unknown building
    ("admin", {**NEW, "entity_id": "E1"}, 422),                   # an enterprise
    ("admin", {**NEW, "floor_area_m2": -1}, 422),
    ("admin", {**NEW, "floor_area_m2": 3001}, 422),               # larger than the building
    ("admin", {**NEW, "kind": "rebuild"}, 422),
    ("admin", {**NEW, "surprise": 1}, 422),
    ("admin", {**NEW, "name": "六号楼\x00调适"}, 422),            # PostgreSQL text: no NUL
    ("admin", {**NEW, "note": "\x00"}, 422),
    ("admin", {**NEW, "measures": ["空调\x00调适"]}, 422),
    ("admin", {**NEW, "name": "楼" * 257}, 422),                  # over 256 characters
], ids=["officer", "manager", "end-before-start", "no-end", "unknown", "enterprise", "area",
        "area-too-large", "kind", "extra", "nul-name", "nul-note", "nul-measure", "long-name"])
def test_project_writes_refused(world: World, user: str, body: dict[str, Any],
                                status: int) -> None:
    assert world.call(user, "POST", "/api/v1/retrofits", body).status_code == status


def test_create_then_update_a_project(world: World) -> None:
    r = world.call("analyst", "POST", "/api/v1/retrofits", NEW)
    assert r.status_code == 201, r.text
    assert r.json()["result"] == "created"
    assert world.call("analyst", "POST", "/api/v1/retrofits", NEW).json()["result"] == \
        "unchanged"
    r = world.call("admin", "POST", "/api/v1/retrofits", {**NEW, "floor_area_m2": 2500})
    assert (r.status_code, r.json()["result"]) == (200, "updated")
    assert r.json()["project"]["floor_area_m2"] == 2500
    with world.ws.registry.session() as s:
        actors = s.scalars(select(AuditLog.actor).where(
            AuditLog.object_type == "retrofit_project", AuditLog.object_id == "N1")
            .order_by(AuditLog.id)).all()
    assert actors == ["user:analyst", "user:admin"]
    assert "N1" in {p["code"] for p in world.call("officer_yy", "GET", "/api/v1/retrofits")
                    .json()["items"]}


@pytest.mark.contract
def test_concurrent_creation_of_one_code_updates_or_conflicts(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    rivals: list[str] = []  # codes another request inserts, once each, meanwhile

    def another_request_inserts(code: str) -> None:
        with world.ws.registry.session() as other:
            other.add(RetrofitProject(
                district_id="huangpu", code=code, entity_id="R6", kind="retrofit",
                name="另一请求", measures=[], start_date=dt.date(2025, 1, 1),
                floor_area_m2=1000.0, status="planned", created_by="test", note=""))

    real_audit = retrofits_pipeline.audit

    def racing_audit(s: Any, actor: str, action: str, object_type: str, object_id: str,
                     *args: Any, **kwargs: Any) -> None:
        """Between this request's look-up (none found) and its commit, another request
        commits a project of the same code."""
        if action == "create" and object_type == "retrofit_project" and object_id in rivals:
            rivals.remove(object_id)
            another_request_inserts(object_id)
        real_audit(s, actor, action, object_type, object_id, *args, **kwargs)

    monkeypatch.setattr(retrofits_pipeline, "audit", racing_audit)
    body = {"code": "RACE1", "entity_id": "R6", "name": "六号楼改造", "start_date": "2025-01-01",
            "floor_area_m2": 1000}
    try:
        rivals.append("RACE1")
        r = world.call("analyst", "POST", "/api/v1/retrofits", body)
        # the insert loses (IntegrityError); the retry finds the other request's project and
        # updates its name
        assert (r.status_code, r.json()["result"]) == (200, "updated"), r.text
        assert r.json()["project"]["name"] == "六号楼改造"
        assert rivals == []
        # the other project vanishes before each look-up and comes back before each commit:
        # both tries lose, 409
        real_check = retrofits_pipeline._check_registry

        def vanishing(*args: Any, **kwargs: Any) -> Any:
            with world.ws.registry.session() as other:
                other.execute(delete(RetrofitProject).where(RetrofitProject.code == "RACE2"))
            return real_check(*args, **kwargs)

        monkeypatch.setattr(retrofits_pipeline, "_check_registry", vanishing)
        rivals.extend(["RACE2", "RACE2"])
        r = world.call("analyst", "POST", "/api/v1/retrofits", {**body, "code": "RACE2"})
        assert r.status_code == 409, r.text
        assert rivals == []
    finally:
        monkeypatch.undo()
        _drop_projects(world.ws, ["RACE1", "RACE2"])


def test_the_cli(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(world.ws.settings.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", str(world.ws.settings.url))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli_app, list(args), catch_exceptions=False)

    r = run("import", "weather", str(world.folder / "weather.csv"))
    assert r.exit_code == 0, r.output
    assert "已导入过" in r.output
    bad = write(tmp_path, "bad.csv", "日期,日平均气温\n2024-01-01,99\n")
    r = run("import", "weather", str(bad))
    assert r.exit_code == 1
    assert "temp_mean_c" in r.output
    r = run("weather", "show", "--from", "2024-01-01", "--to", "2024-03-31")
    assert r.exit_code == 0
    assert "2024-02" in r.output
    r = run("mv", "run", "--project", "P1")
    assert r.exit_code == 0, r.output
    assert "P1" in r.output
    r = run("retrofits", "show", "P1")
    assert r.exit_code == 0
    assert "仅截距" in r.output  # the model intercept_only
    assert "2024-03" in r.output
    r = run("retrofits", "progress", "--year", "2024")
    assert r.exit_code == 0, r.output
    assert "43,000" in r.output
    assert "18,000" in r.output
    r = run("retrofits", "list", "--kind", "commissioning")
    assert r.exit_code == 0
    assert "C1" in r.output
    assert "P1" not in r.output
    assert run("mv", "show", "NOPE").exit_code == 1


OPERATIONS = {"GET /api/v1/retrofits", "GET /api/v1/retrofits/progress",
              "GET /api/v1/retrofits/{code}", "POST /api/v1/retrofits", "POST /api/v1/mv/run",
              "GET /api/v1/weather"}


@pytest.mark.contract
def test_generated_requests_never_answer_500(world: World) -> None:
    """Generated parameters and bodies with an admin token (schemathesis + Hypothesis); last
    in the module, as its POSTs may add projects and results."""
    schema = openapi_schema(world.client.app)
    operations = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [o for o in operations if o.label in OPERATIONS]
    assert {o.label for o in operations} == OPERATIONS
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    seen: set[int] = set()
    for op in operations:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any, data: st.DataObject) -> None:
            if case.path_parameters and "code" in case.path_parameters and data.draw(
                    st.booleans()):
                case.path_parameters["code"] = data.draw(st.sampled_from(["P1", "C2", "P6"]))
            if isinstance(case.body, dict) and "entity_id" in case.body and data.draw(
                    st.booleans()):
                case.body["entity_id"] = "R6"
            response = case.call(timeout=STARTUP_WAIT_S, headers=headers)
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.path_parameters,
                                                case.query, case.body, response.text)

        check()
    assert any(c < 300 for c in seen)
    assert any(c >= 400 for c in seen)


# -- the demo -------------------------------------------------------------------------------
def test_demo_projects_drop_really_and_are_measured(tmp_path: Path) -> None:
    """The demo's completed retrofits lower their building's electricity from completion on;
    M&V finds each drop within 3 points (the rest is the building's drift, ±1.5 %/a, noise)."""
    from carbonpeak.demo.generator import (  # noqa: PLC0415 - internals of the demo
        _build_model,
        _Calendar,
        _demo_projects,
        generate_demo,
        load_profile,
    )

    profile = load_profile("huangpu")
    files = generate_demo(profile, buildings=12, years=(2023, 2024), seed=3,
                          out_dir=tmp_path / "demo")
    model = _build_model(profile, buildings=12, seed=3)
    truth = {p.code: p for p in _demo_projects(
        model, _Calendar(profile, (2023, 2024), model.entropy, model.lat0, model.lon0))}
    ws, _ = init_workspace(Settings(home=tmp_path / "home",
                                    database_url=f"sqlite:///{tmp_path / 'r.sqlite'}"),
                           profiles=["huangpu"], actor="test", load_targets=False)
    try:
        import_file(ws, "entities", files.entities)
        import_file(ws, "meters", files.meters)
        for path in files.readings:
            import_file(ws, "readings", path)
        measured = demo_retrofits(ws, "huangpu", files.weather, files.retrofits, 2024)
        assert len(measured) == 4
        with ws.registry.session() as s:
            assert s.scalar(select(func.count()).select_from(RetrofitProject)) == len(truth) == 5
        rows = {x["code"]: x for x in measure(ws, "huangpu")}
        kinds = sorted((p.kind, p.status) for p in truth.values())
        assert kinds == [("commissioning", "completed"), ("retrofit", "completed"),
                         ("retrofit", "completed"), ("retrofit", "completed"),
                         ("retrofit", "planned")]
        for code, p in truth.items():
            if p.status != "completed":
                assert "skipped" in rows[code]
                continue
            assert p.end is not None
            assert p.end.year == 2024
            assert rows[code]["mv_sufficient"], rows[code]
            assert rows[code]["mv_fractional_savings"] == pytest.approx(p.drop, abs=0.03), code
    finally:
        ws.close()
