"""Benchmarking, quota tables, disclosure and the quota workflow, on figures worked by hand.

The quota district (Huangpu: climate zone HSCW, Shanghai), monthly ledgers only, factor set
shanghai_local@v1: electricity 0.1229 / 0.3007 kgce/kWh (equivalent / equal: the 2023 and
2024 rows of the per-year series, the previous year's coal rate 300.7 gce/kWh), natural gas
1.33 kgce/m³, heat 0.03412 kgce/MJ.

2024 (2023 differs where noted):

=====  ======  ==========  =======================================  ===========================
id     type    area m²     a month                                  notes
=====  ======  ==========  =======================================  ===========================
O1     office  10,000      80,000 kWh (2023: 100,000) + 1,000 m³ gas 外滩
O2     office  20,000      100,000 kWh                              豫园
O3     office   5,000      50,000 kWh (both years)                  外滩
O4     office   8,000      50,000 kWh, January to June only         外滩, part year
H1     hotel   10,000      150,000 kWh + 100 GJ heat                assigned B_hotel_5star
P1     hospital 5,000      60,000 kWh                               no quota class
=====  ======  ==========  =======================================  ===========================

GB/T 51161 (kWh/(m²·a), other carriers at 0.1229 kgce/kWh, heat excluded), HSCW
B_commercial_office: constraint 110, guide 80 (default class of ``office``):

* O1 2024: (960,000 + 12,000 × 1.33 / 0.1229) / 10,000 = (960,000 + 129,861.676) / 10,000
  = 108.9862 → meets the constraint; 2023: 1,200,000 → 132.9862 → over, by 1 − 110 / 132.9862
  = 17.285 %, needs 22.9862 kWh/m² × 10,000 = 229,861.68 kWh less.
* O2: 1,200,000 / 20,000 = 60 → meets the guide.
* O3: 600,000 / 5,000 = 120 → over, by 1 − 110/120 = 8.333 %.
* O4: 6 of 12 months → incomplete data (not rated).
* H1 (B_hotel_5star: 240 / 180): 1,800,000 / 10,000 = 180, exactly the guide → meets the guide
  (the heat is excluded).
* P1: hospital has no class → no quota.

District distribution, offices with a full year, kgce/m² at equal value (0.3007): O2 360,840 /
20,000 = 18.042; O3 180,420 / 5,000 = 36.084; O1 (288,672 + 15,960) / 10,000 = 30.4632. Ranks O2 1,
O1 2, O3 3. Area below: O2 0; O1 20,000 / 35,000 = 0.571429; O3 30,000 / 35,000 = 0.857143.
"""

from __future__ import annotations

import datetime as dt
import io
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
from sqlalchemy import select

from carbonpeak.api.app import create_app
from carbonpeak.config import Settings
from carbonpeak.domain.benchmarking import (
    area_weighted_percentile,
    convention_eui,
    rank_within,
    rate,
    reduction_required,
    review_case,
)
from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError
from carbonpeak.i18n import render
from carbonpeak.intake.bootstrap import init_workspace, load_quota_table
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.quota_files import read_quota_file
from carbonpeak.reference import reference_dir
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.buildings import benchmarking as benchmarking_pipeline
from carbonpeak.services.buildings.benchmarking import (
    benchmark,
    classify,
    disclosure_workbook,
    list_cases,
    notify_cases,
    open_cases,
    review_cases,
)
from carbonpeak.storage.registry.models import AuditLog
from carbonpeak.storage.registry.models import District as DistrictRecord
from carbonpeak.storage.workspace import Workspace
from tests.conftest import BACKENDS, STARTUP_WAIT_S, openapi_schema, registry_url
from tests.one_language import CJK, english_words, workbook_texts

GAS_KWH = 12_000 * 1.33 / 0.1229  # 129,861.676 kWh-equivalent of a year's gas
O1_2024 = (960_000 + GAS_KWH) / 10_000  # 108.9862
O1_2023 = (1_200_000 + GAS_KWH) / 10_000  # 132.9862


# -- the domain, by hand -------------------------------------------------------------------
def test_convention_eui_by_hand() -> None:
    # kgce: (800,000 × 0.1229 + 20,000) / 10,000 = (98,320 + 20,000) / 10,000 = 11.832
    # kwh_electricity: (800,000 + 20,000 / 0.1229) / 10,000 = (800,000 + 162,733.93) / 10,000
    # an unknown convention, a zero area and a missing electricity give NaN
    out = convention_eui([8e5, 8e5, 8e5, 8e5, np.nan], [2e4, 2e4, 2e4, 2e4, 0.0],
                         [1e4, 1e4, 1e4, 0.0, 1e4],
                         convention=["kgce", "kwh_electricity", "other", "kgce", "kgce"],
                         electricity_kgce_per_kwh=0.1229)
    assert out[0] == pytest.approx(11.832)
    assert out[1] == pytest.approx(96.273393, rel=1e-7)
    assert np.isnan(out[2:]).all()
    # a missing other-carrier figure counts as none: 800,000 × 0.28232 / 10,000 = 22.5856
    assert convention_eui([8e5], [np.nan], [1e4], convention=["kgce"],
                          electricity_kgce_per_kwh=[0.28232])[0] == pytest.approx(22.5856)


def test_rating_boundaries_belong_to_the_better_rating() -> None:
    # equal to the guide meets the guide; equal to the constraint meets the constraint
    got = rate([80, 80.0001, 110, 110.0001, np.nan, 50, 50], [110] * 5 + [np.nan, 110],
               [80] * 7, coverage=[1, 1, 1, 1, 1, 1, 0.5])
    assert got.tolist() == ["meets_guide", "meets_constraint", "meets_constraint",
                            "over_constraint", "no_data", "no_quota", "incomplete_data"]
    # has_quota false wins over a figure
    assert rate([50], [110], [80], has_quota=[False]).tolist() == ["no_quota"]
    # a sum that lands on the limit with float noise is at the limit: 1.1 + 2.2 =
    # 3.3000000000000003 in binary floating point, compared at 6 decimals = 3.3
    assert 1.1 + 2.2 > 3.3
    assert rate([1.1 + 2.2, 3.300001], [3.3] * 2, [1.1 + 2.2 - 1e-12] * 2).tolist() == [
        "meets_guide", "over_constraint"]


def test_reduction_required_by_hand() -> None:
    # 132.9862 over 110 on 10,000 m²: 22.9862 kWh/m², 229,862 kWh, 17.285 %
    per_m2, total, frac = reduction_required([O1_2023, 60.0, np.nan], [110, 110, 110],
                                             [1e4, 2e4, 1e4])
    assert per_m2[0] == pytest.approx(O1_2023 - 110)
    assert total[0] == pytest.approx(229_861.676, rel=1e-7)
    assert frac[0] == pytest.approx(1 - 110 / O1_2023)
    assert frac[0] == pytest.approx(0.172846, abs=1e-6)  # 22.9862 / 132.9862
    assert (per_m2[1], total[1], frac[1]) == (0.0, 0.0, 0.0)
    assert np.isnan(frac[2])


def test_percentile_and_rank_with_ties_groups_and_gaps() -> None:
    values = [18.0, 30.396, 36.0, 11.25, 18.0, 5.0, np.nan]
    area = [20_000, 10_000, 5_000, 8_000, 1_000, 3_000, 9_000]
    group = ["office"] * 5 + ["hotel", "hotel"]
    pct = area_weighted_percentile(values, area, group)
    # offices (44,000 m²): 11.25 (8,000) < 18.0 (20,000 + 1,000 tied) < 30.396 < 36.0
    assert pct[:5] == pytest.approx([8_000 / 44_000, 29_000 / 44_000, 39_000 / 44_000, 0.0,
                                     8_000 / 44_000])
    assert pct[5] == 0.0
    assert np.isnan(pct[6])
    assert rank_within(values, group).tolist()[:6] == [2.0, 4.0, 5.0, 1.0, 2.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.floats(1, 1e5), st.sampled_from("abc")),
                min_size=1, max_size=30))
def test_percentile_matches_a_plain_loop(rows: list[tuple[float, float, str]]) -> None:
    v, w, g = (list(x) for x in zip(*rows, strict=True))
    got = area_weighted_percentile(v, w, g)
    for i, (vi, _, gi) in enumerate(rows):
        total = sum(wj for _, wj, gj in rows if gj == gi)
        below = sum(wj for vj, wj, gj in rows if gj == gi and vj < vi)
        assert got[i] == pytest.approx(below / total)
        assert rank_within(v, g)[i] == 1 + sum(1 for vj, _, gj in rows if gj == gi and vj < vi)


@pytest.mark.parametrize(("as_of", "rating", "want"), [
    (dt.date(2024, 5, 1), "meets_constraint", "closed"),
    (dt.date(2024, 5, 1), "meets_guide", "closed"),
    (dt.date(2024, 5, 1), "over_constraint", "notified"),
    (dt.date(2024, 6, 30), None, "notified"),           # the deadline day itself is in time
    (dt.date(2024, 7, 1), "over_constraint", "escalated"),
    (dt.date(2024, 7, 1), None, "escalated"),
])
def test_review_rule(as_of: dt.date, rating: str | None, want: str) -> None:
    d = review_case(deadline=dt.date(2024, 6, 30), review_date=as_of, later_rating=rating,
                    later_year=2024 if rating else None)
    assert d.status == want
    assert d.reason_zh
    assert d.reason_en


# -- quota files --------------------------------------------------------------------------
def test_shipped_tables_read_and_are_unverified() -> None:
    tables = {p.stem: read_quota_file(p) for p in (reference_dir() / "quotas").glob("*.csv")}
    assert set(tables) == {"gbt51161-2016", "db31-shanghai"}
    gb = tables["gbt51161-2016"]
    assert len(gb.rows) == 36
    assert {r.status for t in tables.values() for r in t.rows} == {"unverified"}
    office = next(r for r in gb.rows if r.region == "HSCW"
                  and r.quota_class == "B_commercial_office")
    assert (office.constraint_value, office.guide_value, office.default_for) == (110, 80,
                                                                                  "office")
    assert office.exclude_carriers == "heat"


HEADER = ("table_id,region,quota_class,label_zh,label_en,default_for,metric,convention,"
          "electricity_kgce_per_kwh,exclude_carriers,constraint_value,guide_value,unit,status,"
          "source,note\n")
GOOD = "t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,14,11,kgce/(m2·a),verified,src,\n"


@pytest.mark.parametrize(("body", "where"), [
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,abc,11,kgce/(m2·a),verified,src,\n",
     (2, "constraint_value")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,14,20,kgce/(m2·a),verified,src,\n",
     (2, "guide_value")),
    ("t1,HSCW,C1,办公,office,office,m,joules,0.1229,,14,11,kgce/(m2·a),verified,src,\n",
     (2, "convention")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,14,11,kWh/(m2·a),verified,src,\n",
     (2, "unit")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,14,11,kgce/(m2·a),checked,src,\n",
     (2, "status")),
    ("t1,HSCW,C1,办公,office,castle,m,kgce,0.1229,,14,11,kgce/(m2·a),verified,src,\n",
     (2, "default_for")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,coal,14,11,kgce/(m2·a),verified,src,\n",
     (2, "exclude_carriers")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,-1,,14,11,kgce/(m2·a),verified,src,\n",
     (2, "electricity_kgce_per_kwh")),
    ("t1,HSCW,C1,办公,office,office,m,kgce,0.1229,,14,11,kgce/(m2·a),verified,,\n",
     (2, "source")),
    (GOOD.replace(",办公,", "," + "办" * 257 + ",", 1), (2, "label_zh")),
    (GOOD.replace("t1,", "t 1/..,", 1), (2, "table_id")),
    (GOOD + GOOD, (3, "quota_class")),
    (GOOD + GOOD.replace(",C1,", ",C2,"), (3, "default_for")),
    (GOOD + GOOD.replace("t1,", "t2,", 1).replace(",C1,", ",C2,").replace(",office,m", ",,m"),
     (None, "table_id")),
])
def test_bad_quota_files_are_refused_naming_row_and_column(
        tmp_path: Path, body: str, where: tuple[int | None, str]) -> None:
    path = tmp_path / "q.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        read_quota_file(path)
    assert (where[0], where[1]) in {(e.row, e.column) for e in exc.value.errors}
    assert all(e.file == "q.csv" for e in exc.value.errors)


def test_quota_file_missing_column_encoding_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(HEADER.replace("guide_value,", "") + "x\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        read_quota_file(path)
    assert [(e.row, e.column) for e in exc.value.errors] == [(1, "guide_value")]
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(InputValidationError, match="no rows"):
        read_quota_file(path)
    path.write_bytes((HEADER + GOOD).encode("gb18030"))  # Excel on Chinese Windows
    assert read_quota_file(path).rows[0].label_zh == "办公"
    path.write_bytes(b"\xff\xfe\x00\xd8 not text")
    with pytest.raises(InputValidationError):
        read_quota_file(path)


# -- the quota district -------------------------------------------------------------------
ENTITIES = """entity_id,name,kind,street,building_type,floor_area_m2
O1,外滩办公一,building,外滩街道,office,10000
O2,豫园办公二,building,豫园街道,office,20000
O3,外滩办公三,building,外滩街道,office,5000
O4,外滩办公四,building,外滩街道,office,8000
H1,豫园酒店,building,豫园街道,hotel,10000
P1,豫园医院,public_institution,豫园街道,hospital,5000
G1,豫园商场,building,豫园街道,mall,30000
"""


def _ledger(year: int) -> str:
    lines = ["entity_id,period,carrier,quantity,unit"]
    for m in range(1, 13):
        p = f"{year}-{m:02d}"
        lines += [f"O1,{p},electricity,{80_000 if year == 2024 else 100_000},kWh",
                  f"O1,{p},natural_gas,1000,m3", f"O2,{p},electricity,100000,kWh",
                  f"O3,{p},electricity,50000,kWh", f"H1,{p},electricity,150000,kWh",
                  f"H1,{p},heat,100,GJ", f"P1,{p},electricity,60000,kWh"]
        if m <= 6:
            lines.append(f"O4,{p},electricity,50000,kWh")
        lines.append(f"G1,{p},natural_gas,1000,m3")
        if m <= 9:  # gas all year, electricity 9 months: mean coverage 0.875, least 0.75
            lines.append(f"G1,{p},electricity,200000,kWh")
    return "\n".join(lines) + "\n"


@dataclass
class District:
    ws: Workspace
    client: TestClient
    tokens: dict[str, str]
    folder: Path

    def get(self, user: str, path: str) -> object:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def post(self, user: str, path: str, body: object) -> object:
        return self.client.post(path, json=body,
                                headers={"Authorization": f"Bearer {self.tokens[user]}"})


USERS = {"admin": ("district_admin", None, None), "analyst": ("district_analyst", None, None),
         "officer": ("street_officer", "waitan", None), "manager": ("entity_manager", None,
                                                                    ["O2"])}


@pytest.fixture(scope="module", params=BACKENDS)
def district(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    tmp = tmp_path_factory.mktemp("quotas")
    with registry_url(request.param, tmp) as url:
        ws, notes = init_workspace(Settings(home=tmp / "home", database_url=url),
                                   profiles=["huangpu"], actor="test")
        assert any("quota table gbt51161-2016 v1 loaded (36 rows)" in render(n, "en")
                   for n in notes)
        try:
            (tmp / "entities.csv").write_text(ENTITIES, encoding="utf-8")
            import_file(ws, "entities", tmp / "entities.csv")
            for year in (2023, 2024):
                (tmp / f"ledger{year}.csv").write_text(_ledger(year), encoding="utf-8")
                import_file(ws, "ledger", tmp / f"ledger{year}.csv")
                run_account(ws, year=year)
            (tmp / "classes.csv").write_text(
                "entity_id,table_id,quota_class,source\nH1,gbt51161-2016,B_hotel_5star,"
                "评定文件 2024\n", encoding="utf-8")
            assert classify(ws, "huangpu", tmp / "classes.csv") == {
                "created": 1, "changed": 0, "unchanged": 0}
            for name, (role, street, entities) in USERS.items():
                create_user(ws, name, role, street=street, entities=entities)
            tokens = {n: issue_token(ws, n).token for n in USERS}
            yield District(ws, TestClient(create_app(workspace=ws)), tokens, tmp)
        finally:
            ws.close()


def _rows(d: District, year: int, table: str = "gbt51161-2016") -> dict[str, dict[str, object]]:
    bm = benchmark(d.ws, "huangpu", year, table_id=table)
    return {str(r["entity_id"]): r for r in bm.records()}


def test_benchmark_2024_by_hand(district: District) -> None:
    r = _rows(district, 2024)
    assert {k: v["rating"] for k, v in r.items()} == {
        "O1": "meets_constraint", "O2": "meets_guide", "O3": "over_constraint",
        "O4": "incomplete_data", "H1": "meets_guide", "P1": "no_quota",
        "G1": "incomplete_data"}  # the least-covered carrier decides, not the mean
    assert r["O1"]["eui"] == pytest.approx(O1_2024)
    assert r["O2"]["eui"] == pytest.approx(60.0)
    assert r["O3"]["eui"] == pytest.approx(120.0)
    assert r["O3"]["excess_fraction"] == pytest.approx(1 - 110 / 120)
    assert r["O3"]["reduction_required"] == pytest.approx(10 * 5_000)
    assert r["H1"]["eui"] == pytest.approx(180.0)  # heat excluded by the table
    assert (r["H1"]["quota_class"], r["H1"]["class_source"]) == ("B_hotel_5star", "assigned")
    assert (r["O1"]["quota_class"], r["O1"]["class_source"]) == ("B_commercial_office",
                                                                  "default")
    assert r["P1"]["quota_class"] is None
    assert {v["quota_status"] for k, v in r.items() if k != "P1"} == {"unverified"}
    # the district's distribution: full-year offices only, kgce/m² at equal value
    assert r["O2"]["eui_kgce_per_m2_equal"] == pytest.approx(18.042)  # 1,200,000 × 0.3007
    assert r["O1"]["eui_kgce_per_m2_equal"] == pytest.approx(30.4632)
    assert r["O3"]["eui_kgce_per_m2_equal"] == pytest.approx(36.084)
    assert [r[k]["rank_in_type"] for k in ("O2", "O1", "O3")] == [1, 2, 3]
    assert r["O1"]["area_percentile_in_type"] == pytest.approx(20_000 / 35_000)
    assert r["O3"]["area_percentile_in_type"] == pytest.approx(30_000 / 35_000)
    assert r["O4"]["area_percentile_in_type"] is None
    assert r["O4"]["rank_in_type"] is None
    assert r["G1"]["coverage"] == pytest.approx(0.75)
    assert r["G1"]["rank_in_type"] is None


def test_benchmark_against_the_shanghai_table_by_hand(district: District) -> None:
    # DB31/T 1341 office (kgce, 0.1229): O1 (960,000 × 0.1229 + 15,960) / 10,000 = 13.3944
    # → meets the constraint (14); O2 1,200,000 × 0.1229 / 20,000 = 7.374 → guide (11);
    # O3 600,000 × 0.1229 / 5,000 = 14.748 → over. Hotels and hospitals have no class there.
    r = _rows(district, 2024, "db31-shanghai")
    assert r["O1"]["eui"] == pytest.approx(13.3944)
    assert r["O2"]["eui"] == pytest.approx(7.374)
    assert r["O3"]["eui"] == pytest.approx(14.748)
    assert [r[k]["rating"] for k in ("O1", "O2", "O3", "H1", "P1")] == [
        "meets_constraint", "meets_guide", "over_constraint", "no_quota", "no_quota"]
    assert r["O1"]["eui_unit"] == "kgce/(m2·a)"


def test_benchmark_needs_an_account_and_a_table(district: District) -> None:
    with pytest.raises(NotFoundError, match="carbonpeak account --year 2022"):
        benchmark(district.ws, "huangpu", 2022)
    with pytest.raises(NotFoundError, match="no quota table 'nope'"):
        benchmark(district.ws, "huangpu", 2024, table_id="nope")


def test_classify_refuses_unknown_entities_tables_and_classes(district: District) -> None:
    path = district.folder / "bad-classes.csv"
    path.write_text("entity_id,table_id,quota_class\nZZ,gbt51161-2016,B_hotel_5star\n"
                    "O1,nope,X\nO2,gbt51161-2016,B_castle\nO3,gbt51161-2016,A_restaurant\n"
                    "O3,gbt51161-2016,A_restaurant\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        classify(district.ws, "huangpu", path)
    assert {(e.row, e.column) for e in exc.value.errors} == {
        (2, "entity_id"), (3, "table_id"), (4, "quota_class"), (6, "entity_id")}
    # refused whole: O3 was not classified
    assert _rows(district, 2024)["O3"]["class_source"] == "default"
    # re-sending the accepted file changes nothing, also saved by Excel as GB18030
    assert classify(district.ws, "huangpu", district.folder / "classes.csv") == {
        "created": 0, "changed": 0, "unchanged": 1}
    gb = district.folder / "classes-gb18030.csv"
    gb.write_bytes((district.folder / "classes.csv").read_text(encoding="utf-8")
                   .encode("gb18030"))
    assert classify(district.ws, "huangpu", gb) == {"created": 0, "changed": 0,
                                                     "unchanged": 1}


def test_a_checked_table_is_a_new_version_and_used(district: District,
                                                   tmp_path: Path) -> None:
    ws = district.ws
    src = (reference_dir() / "quotas" / "db31-shanghai.csv").read_text(encoding="utf-8")
    path = tmp_path / "db31-checked.csv"
    path.write_text(src.replace(",14,11,kgce/(m2·a),unverified,", ",15,11,kgce/(m2·a),verified,"),
                    encoding="utf-8")
    rec, created = load_quota_table(ws, read_quota_file(path))
    assert (created, rec.version) == (True, 2)
    again, created = load_quota_table(ws, read_quota_file(path))
    assert (created, again.version) == (False, 2)
    assert len(again.rows) == 6  # readable after the session (the CLI prints it)
    r = _rows(district, 2024, "db31-shanghai")
    assert (r["O3"]["constraint_value"], r["O3"]["quota_status"]) == (15.0, "verified")
    assert r["O3"]["rating"] == "meets_constraint"  # 14.748 ≤ 15
    assert r["O2"]["quota_status"] == "verified"
    with ws.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_type == "quota_table",
                                                 AuditLog.object_id == "db31-shanghai@v2")).one()
        assert entry.details["statuses"] == ["unverified", "verified"]


def test_disclosure_workbook_lists_every_building_and_the_status(district: District) -> None:
    bm = benchmark(district.ws, "huangpu", 2024)
    wb = openpyxl.load_workbook(io.BytesIO(disclosure_workbook(bm)))
    english = openpyxl.load_workbook(io.BytesIO(disclosure_workbook(bm, lang="en")))
    sh = wb["能效公示"]
    assert "2024" in str(sh["A1"].value)
    assert "unverified" in str(english["Disclosure"]["A2"].value)
    assert "未经核实" in str(sh["A2"].value)
    header = [c.value for c in sh[4]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sh.iter_rows(min_row=5)]
    assert len(rows) == 7
    o3 = next(x for x in rows if x["建筑名称"] == "外滩办公三")
    assert o3["评级"] == "超过约束值"
    assert o3["限额口径能耗"] == pytest.approx(120.0)
    counts = {r[0].value: r[1].value for r in wb["评级汇总"].iter_rows(min_row=2)}
    assert counts["超过约束值"] == 1


def test_the_disclosure_workbook_is_in_one_language_per_edition(district: District) -> None:
    """Issue 14: no English word in the Chinese edition (outside units, the quota table's id
    and the data's names), no Chinese character in the English one (outside names)."""
    bm = benchmark(district.ws, "huangpu", 2024)
    names = {"建筑名称", "Building", "街道", "Street", "限额类别"}
    zh = workbook_texts(openpyxl.load_workbook(io.BytesIO(disclosure_workbook(bm))), names)
    en = workbook_texts(openpyxl.load_workbook(io.BytesIO(disclosure_workbook(bm, lang="en"))),
                        names)
    ids = set(re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", f"{bm.table_id} {bm.factor_set}"))
    assert not {w for t in zh for w in english_words(t, ids)}
    assert not [t for t in en if CJK.search(t) and str(bm.district_name) not in t
                and str(bm.factor_set) not in t]
    assert "Class from" in en  # the same heading in each language
    assert "类别来源" in zh


@pytest.mark.contract  # its cases are read by the scope test on both databases
def test_quota_workflow_open_notify_close_escalate(district: District,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ws = district.ws
    opened = open_cases(ws, "huangpu", 2023)
    assert sorted(c.entity_id for c in opened) == ["O1", "O3"]
    o1 = next(c for c in opened if c.entity_id == "O1")
    assert o1.eui == pytest.approx(O1_2023)
    assert o1.excess_fraction == pytest.approx(1 - 110 / O1_2023)
    assert o1.reduction_required == pytest.approx(229_861.676, rel=1e-7)
    assert open_cases(ws, "huangpu", 2023) == []  # nothing opened twice
    # a second run that read before the first one wrote hits the unique key: a clear
    # conflict (409 in the API), not a 500, and nothing is opened twice
    with monkeypatch.context() as mp:
        mp.setattr(benchmarking_pipeline, "_cased", lambda *_a: set())
        with pytest.raises(ConflictError, match="run it again"):
            open_cases(ws, "huangpu", 2023)
    with pytest.raises(InputValidationError, match="deadline"):
        notify_cases(ws, "huangpu", year=2023, deadline=dt.date(2024, 3, 1),
                     notice_date=dt.date(2024, 3, 1))
    assert notify_cases(ws, "huangpu", year=2023, deadline=dt.date(2024, 6, 30),
                        notice_date=dt.date(2024, 3, 1), entity_ids=[]) == []  # nobody
    notified = notify_cases(ws, "huangpu", year=2023, deadline=dt.date(2024, 6, 30),
                            notice_date=dt.date(2024, 3, 1))
    # a review year without an account is refused, not read as "no figure" and escalated
    with pytest.raises(NotFoundError, match="2030"):
        review_cases(ws, "huangpu", review_year=2030, as_of=dt.date(2031, 1, 1))
    assert {c.notice_no for c in notified} == {f"QN-huangpu-2023-{c.id:05d}" for c in opened}
    # before the deadline: O1's 2024 figure meets the constraint, O3 is still over
    changed = review_cases(ws, "huangpu", review_year=2024, as_of=dt.date(2024, 5, 1))
    assert [(c.entity_id, before, c.status) for c, before in changed] == [
        ("O1", "notified", "closed")]
    changed = review_cases(ws, "huangpu", review_year=2024, as_of=dt.date(2024, 7, 1))
    assert [(c.entity_id, before, c.status) for c, before in changed] == [
        ("O3", "notified", "escalated")]
    assert review_cases(ws, "huangpu", review_year=2024, as_of=dt.date(2024, 8, 1)) == []
    assert {c.class_source for c in opened} == {"default"}

    everything = AccessScope(district_id="huangpu", everything=True)
    assert {c["entity_id"]: c["status"] for c in list_cases(ws, everything, year=2023)} == {
        "O1": "closed", "O3": "escalated"}
    with ws.registry.session() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).where(
            AuditLog.object_type == "quota_case").order_by(AuditLog.id))]
        assert actions.count("open") == 2
        assert actions.count("notify") == 2
        assert actions.count("review") == 2


def test_quota_management_threshold_of_the_profile(district: District) -> None:
    """Tianhe puts buildings using >= 5 GWh a year under quota management; here 1 GWh.

    2024 electricity: O1 80,000 × 12 = 960,000 kWh (< 1 GWh), O2 100,000 × 12 = 1.2 GWh,
    O3 50,000 × 12 = 600,000 kWh (over its constraint, 120 > 110 kWh/m², but not managed).
    """
    ws = district.ws
    with ws.registry.session() as s:
        d = s.get(DistrictRecord, "huangpu")
        assert d is not None
        before = dict(d.profile)
        d.profile = {**before, "quota_electricity_kwh": 1_000_000}
    try:
        r = _rows(district, 2024)
        assert {k: r[k]["quota_managed"] for k in ("O1", "O2", "O3")} == {
            "O1": False, "O2": True, "O3": False}
        assert r["O3"]["rating"] == "over_constraint"  # still rated, for information
        assert open_cases(ws, "huangpu", 2024) == []  # but no case: not under management
    finally:
        with ws.registry.session() as s:
            d = s.get(DistrictRecord, "huangpu")
            assert d is not None
            d.profile = before
    assert _rows(district, 2024)["O3"]["quota_managed"] is True


# -- the API, per role --------------------------------------------------------------------
@pytest.mark.parametrize(("user", "seen"), [
    ("admin", {"O1", "O2", "O3", "O4", "H1", "P1", "G1"}),
    ("analyst", {"O1", "O2", "O3", "O4", "H1", "P1", "G1"}),
    ("officer", {"O1", "O3", "O4"}),
    ("manager", {"O2"}),
])
@pytest.mark.contract
def test_benchmarking_api_is_scoped(district: District, user: str, seen: set[str]) -> None:
    r = district.get(user, "/api/v1/benchmarking?year=2024&limit=500")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {x["entity_id"] for x in body["items"]} == seen
    assert body["total"] == len(seen)
    assert body["quota_statuses"] in (["unverified"], [])
    o2 = next((x for x in body["items"] if x["entity_id"] == "O2"), None)
    if o2 is not None:  # the rank is within the whole district's offices
        assert (o2["rank_in_type"], o2["n_in_type"]) == (1, 3)  # O4 is part-year
    xlsx = district.get(user, "/api/v1/benchmarking/disclosure.xlsx?year=2024")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["能效公示"]
    assert sheet.max_row - 4 == len(seen)
    cases = district.get(user, "/api/v1/quota-cases?year=2023")  # O1 and O3 (workflow test)
    assert cases.status_code == 200
    assert {c["entity_id"] for c in cases.json()["items"]} == {"O1", "O3"} & seen


def test_benchmarking_api_filters_exports_and_validates(district: District) -> None:
    r = district.get("analyst", "/api/v1/benchmarking?year=2024&rating=over_constraint")
    assert [x["entity_id"] for x in r.json()["items"]] == ["O3"]
    assert r.json()["counts"] == {"over_constraint": 1}
    csv_ = district.get("analyst", "/api/v1/benchmarking?year=2024&format=csv&building_type=hotel")
    assert csv_.content.startswith(b"\xef\xbb\xbf")
    assert b"H1" in csv_.content
    assert b"O1" not in csv_.content
    assert district.get("analyst", "/api/v1/benchmarking?rating=splendid").status_code == 422
    assert district.get("analyst", "/api/v1/benchmarking?table=../x").status_code == 422
    assert district.get("analyst", "/api/v1/benchmarking?table=nope").status_code == 404
    assert district.get("analyst", "/api/v1/benchmarking?year=2020").status_code == 404
    tables = district.get("manager", "/api/v1/quota-tables").json()
    assert {t["table_id"] for t in tables["items"]} >= {"gbt51161-2016", "db31-shanghai"}
    one = district.get("officer", "/api/v1/quota-tables/gbt51161-2016").json()
    assert len(one["rows"]) == 36


@pytest.mark.parametrize(("user", "path", "body", "status"), [
    ("officer", "/api/v1/quota-cases/open", {"year": 2024}, 403),
    ("manager", "/api/v1/quota-cases/review", {"year": 2024}, 403),
    ("analyst", "/api/v1/quota-cases/notify", {"year": 2024, "deadline": "2030-01-01"}, 403),
    ("analyst", "/api/v1/quota-cases/open", {"year": 2024, "extra": 1}, 422),
    ("admin", "/api/v1/quota-cases/notify", {"year": 2024, "deadline": "not a date"}, 422),
    ("admin", "/api/v1/quota-cases/notify", {"year": 2024, "deadline": "2030-01-01",
                                             "entity_ids": []}, 422),
])
@pytest.mark.contract
def test_quota_case_actions_by_role(district: District, user: str, path: str, body: object,
                                   status: int) -> None:
    assert district.post(user, path, body).status_code == status


def test_quota_cases_through_the_api(district: District) -> None:
    r = district.post("analyst", "/api/v1/quota-cases/open", {"year": 2024})
    assert r.status_code == 200, r.text
    assert [c["entity_id"] for c in r.json()["opened"]] == ["O3"]
    r = district.post("admin", "/api/v1/quota-cases/notify",
                      {"year": 2024, "deadline": "2099-06-30", "notice_date": "2025-03-01"})
    assert [c["status"] for c in r.json()["notified"]] == ["notified"]
    listed = district.get("officer", "/api/v1/quota-cases?year=2024&status=notified").json()
    assert [c["entity_id"] for c in listed["items"]] == ["O3"]
    with district.ws.registry.session() as s:
        actors = {a.actor for a in s.scalars(select(AuditLog).where(
            AuditLog.object_type == "quota_case"))}
    assert {"user:analyst", "user:admin"} <= actors


NEW_OPERATIONS = {
    "GET /api/v1/quota-tables", "GET /api/v1/quota-tables/{table_id}",
    "GET /api/v1/benchmarking", "GET /api/v1/benchmarking/disclosure.xlsx",
    "GET /api/v1/quota-cases", "POST /api/v1/quota-cases/open",
    "POST /api/v1/quota-cases/notify", "POST /api/v1/quota-cases/review",
}


@pytest.mark.contract
def test_generated_requests_never_answer_500(district: District) -> None:
    """Generated parameters and bodies with an admin token (schemathesis + Hypothesis); run
    last in this module, as its POSTs open, notify and review cases."""
    schema = openapi_schema(district.client.app)
    operations = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [o for o in operations if o.label in NEW_OPERATIONS]
    assert {o.label for o in operations} == NEW_OPERATIONS
    headers = {"Authorization": f"Bearer {district.tokens['admin']}"}
    seen: set[int] = set()
    for op in operations:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any, data: st.DataObject) -> None:
            for where, key in ((case.path_parameters, "table_id"), (case.query, "table")):
                if where and key in where and data.draw(st.booleans()):
                    where[key] = data.draw(st.sampled_from(["gbt51161-2016", "db31-shanghai"]))
            if case.query and "year" in case.query and data.draw(st.booleans()):
                case.query["year"] = 2024
            if isinstance(case.body, dict) and "year" in case.body and data.draw(st.booleans()):
                case.body["year"] = 2024
            response = case.call(timeout=STARTUP_WAIT_S, headers=headers)
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.path_parameters,
                                                case.query, case.body, response.text)

        check()
    assert any(c < 300 for c in seen)
    assert any(c >= 400 for c in seen)
