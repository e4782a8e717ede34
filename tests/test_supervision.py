"""Plan supervision: the task catalogue, scope, dispatch rounds, timeliness and the assessment."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.domain.supervision.assessment import (
    Scheme,
    UnitItem,
    grade_of,
    score_units,
    tongbao,
)
from carbonpeak.domain.supervision.coverage import ResidentialArea, coverage_share
from carbonpeak.domain.supervision.tasks import parse_plan_tasks, split_units
from carbonpeak.domain.supervision.timeliness import (
    TimelinessRule,
    is_overdue,
    submitted_late,
    timeliness,
)
from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.supervision.catalogue_files import read_task_catalogue, section_key
from carbonpeak.intake.supervision.evidence import check_evidence
from carbonpeak.services.plan.targets import evaluate_targets, find_target
from carbonpeak.services.supervision.assessment import assess, owed_reasons
from carbonpeak.services.supervision.catalogue import (
    SupervisionScope,
    assign_task,
    get_task,
    list_tasks,
    load_catalogue,
)
from carbonpeak.services.supervision.coverage import record_coverage
from carbonpeak.services.supervision.rounds import (
    open_round,
    remind,
    review,
    round_board,
    round_items,
    submit,
)
from carbonpeak.storage.registry.models import AuditLog, TargetObservation
from carbonpeak.storage.workspace import Workspace

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOON = dt.datetime(2024, 12, 20, 12, 0)


def _xlsx() -> bytes:
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    tmp: Path = tmp_path_factory.mktemp("supervision")
    w, _ = init_workspace(Settings(home=tmp / "home"), profiles=["huangpu", "tianhe"],
                          actor="test")
    load_catalogue(w, district="huangpu")
    load_catalogue(w, district="tianhe")
    yield w
    w.close()


# -- the catalogue ---------------------------------------------------------------------------
def test_split_units_lead_first():
    assert split_units("区建管委、区规划资源局、区房管局，各街道") == (
        "区建管委", ("区规划资源局", "区房管局", "各街道"))
    assert split_units("区金融办牵头，相关部门按职责分工负责") == ("区金融办", ("相关部门",))
    assert split_units("") == ("", ())


def test_parser_on_a_small_plan():
    text = ("二、重点任务\n（一）建筑领域碳达峰行动\n导语。\n"
            "1.推进甲。到 2025 年完成 5 个。每年完成 2 家示范。\n续行文字。\n"
            "（责任单位：区建管委、区发展改革委）\n"
            "2.推进乙。“十五五”期间比例达到 50%。\n"
            "三、保障措施\n1.不是任务。\n")
    tasks = parse_plan_tasks(text, prefix="X")
    assert [t.code for t in tasks] == ["X-T01", "X-T02"]
    a, b = tasks
    assert a.section == "（一）建筑领域碳达峰行动 / 1"
    assert a.title == "推进甲"
    assert a.quote.endswith("续行文字。")  # the wrapped line belongs to it
    assert (a.lead, a.supporting) == ("区建管委", ("区发展改革委",))
    assert [(m.deadline_year, m.yearly) for m in a.milestones] == [(2025, False), (None, True)]
    assert (b.lead, b.supporting) == ("", ())
    assert [m.deadline_year for m in b.milestones] == [2030]  # 十五五 ends 2030


def test_shipped_catalogues():
    hp, th = read_task_catalogue("huangpu")["tasks"], read_task_catalogue("tianhe")["tasks"]
    assert (len(hp), len(th)) == (28, 26)
    t2 = next(t for t in hp if t["code"] == "HP-T02")
    assert t2["lead"] == "区建管委"
    assert len(t2["supporting"]) == 10
    assert t2["targets"] == ["HP-09", "HP-10", "HP-11", "HP-12"]
    assert all(not t["lead"] for t in th)  # Tianhe names no units
    assert next(t for t in th if t["code"] == "TH-T15")["targets"] == ["TH-38", "TH-39"]
    assert section_key("（五）城区绿色生态空间拓展行动 / 1") == ("五", 1)
    assert section_key("一、主要目标") is None


def test_load_is_idempotent_and_tianhe_starts_unassigned(ws: Workspace):
    assert load_catalogue(ws, district="huangpu") == {"organisations": 0, "tasks": 0}
    everyone = SupervisionScope("tianhe", everything=True)
    tasks = list_tasks(ws, everyone)
    assert len(tasks) == 26
    assert not any(t["assigned"] for t in tasks)
    assign_task(ws, "TH-T15", lead="jtj", supporting=["zjj"], district="tianhe")
    with ws.registry.session() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.object_type == "supervision_task",
                                               AuditLog.object_id == "TH-T15")).one()
    assert log.details["changes"]["lead_org"] == [None, "jtj"]
    with pytest.raises(InputValidationError):
        assign_task(ws, "TH-T16", lead="nobody", district="tianhe")


def test_a_department_sees_only_its_tasks(ws: Workspace):
    fgw = SupervisionScope("huangpu", everything=False, org_code="fgw")
    mine = {t["code"] for t in list_tasks(ws, fgw)}
    assert "HP-T02" in mine          # supports (配合)
    assert "HP-T04" in mine          # leads (牵头)
    assert "HP-T13" not in mine      # 区绿化市容局's, fgw not named
    with pytest.raises(NotFoundError):
        get_task(ws, fgw, "HP-T13")
    with pytest.raises(NotFoundError):  # another district's task is not found either
        get_task(ws, fgw, "TH-T01")
    street = SupervisionScope("huangpu", everything=False, street_code="waitan")
    assert {t["code"] for t in list_tasks(ws, street)} >= {"HP-T13", "HP-T14"}
    assert list_tasks(ws, SupervisionScope("huangpu", everything=False)) == []


# -- rules ------------------------------------------------------------------------------------
def test_timeliness_and_overdue():
    today = dt.date(2024, 12, 31)
    days = [0, 30, 31, 60, 61, 180, 181]
    got = [timeliness(today - dt.timedelta(days=d), today).value for d in days]
    assert got == ["fresh", "fresh", "acceptable", "acceptable", "late", "late", "stale"]
    assert timeliness(None, today) == "none"
    strict = TimelinessRule(fresh_days=7, acceptable_days=14, stale_after_days=30)
    assert timeliness(today - dt.timedelta(days=10), today, strict) == "acceptable"
    with pytest.raises(ValueError, match="thresholds"):
        TimelinessRule(fresh_days=90, acceptable_days=60)
    due = dt.date(2024, 12, 15)
    assert is_overdue("pending", due, dt.date(2024, 12, 16))
    assert not is_overdue("pending", due, due)  # due today is not yet overdue
    assert is_overdue("returned", due, dt.date(2025, 1, 1))
    assert not is_overdue("submitted", due, dt.date(2025, 1, 1))
    assert submitted_late(dt.date(2024, 12, 16), due)
    assert not submitted_late(due, due)


def test_scoring_case_worked_by_hand():
    """fgw leads target A (on track, weight 2), target B (at risk, weight 1) and task T
    (accepted at 70 %, weight 1), one submission late; penalty 2 per late item:
    (2×100 + 1×80 + 1×70) / 4 = 350 / 4 = 87.5; 87.5 − 2 = 85.5 → 完成 (80–94).
    jgw leads C (missed, the veto) and task U (100 %): (0 + 100) / 2 = 50 → vetoed → 未完成.
    lsr leads D (achieved) and E (qualitative, not scored): 100 → 超额完成 (≥ 95)."""
    scheme = Scheme(target_weights={"A": 2.0}, veto_targets=("C",))
    items = [UnitItem("fgw", "target", "A", state="on_track"),
             UnitItem("fgw", "target", "B", state="at_risk", late=1),
             UnitItem("fgw", "task", "T", completion_pct=70.0),
             UnitItem("jgw", "target", "C", state="missed"),
             UnitItem("jgw", "task", "U", completion_pct=100.0),
             UnitItem("lsr", "target", "D", state="achieved"),
             UnitItem("lsr", "target", "E", state="qualitative")]
    by = {u.unit: u for u in score_units(items, scheme)}
    assert (by["fgw"].score, by["fgw"].grade, by["fgw"].penalty) == (85.5, "completed", 2.0)
    assert (by["jgw"].score, by["jgw"].grade, by["jgw"].vetoed) == (50.0, "not_completed", True)
    assert (by["lsr"].score, by["lsr"].grade) == (100.0, "exceeded")
    assert [i.code for i in by["lsr"].items] == ["D"]
    assert tongbao(list(by.values())) == {"commended": ["lsr"], "criticised": ["jgw"]}
    assert [grade_of(x) for x in (95, 94.99, 80, 79.9, 60, 59.9)] == [
        "exceeded", "completed", "completed", "basically_completed", "basically_completed",
        "not_completed"]
    with pytest.raises(ValueError, match="bands"):
        Scheme(bands=((60.0, "a"), (95.0, "b"), (0.0, "c")))


def test_evidence_is_checked_by_content_and_size():
    assert check_evidence("a.pdf", PDF).kind == "pdf"
    assert check_evidence("表.xlsx", _xlsx()).kind == "xlsx"
    for name, data in (("fake.pdf", b"MZ\x90\x00 not a pdf"), ("empty.pdf", b""),
                       ("zip.xlsx", b"PK\x03\x04 broken")):
        with pytest.raises(InputValidationError) as exc:
            check_evidence(name, data)
        assert exc.value.errors[0].file == name
    with pytest.raises(InputValidationError):
        check_evidence("big.pdf", PDF, max_bytes=10)


# -- a round ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def round_id(ws: Workspace) -> int:
    r = open_round(ws, period="2024-Q4", opened_on=dt.date(2024, 12, 1),
                   due_on=dt.date(2024, 12, 15), tasks=["HP-T04", "HP-T13"],
                   targets=["HP-25", "HP-27", "HP-49"], district="huangpu")
    return int(r["id"])


def test_round_items_go_to_their_owners(ws: Workspace, round_id: int):
    rows = round_items(ws, SupervisionScope("huangpu", everything=True), round_id,
                       today=dt.date(2024, 12, 10))
    pairs = {(r["unit"], r["item"]) for r in rows}
    assert ("fgw", "task:HP-T04") in pairs
    assert ("jgw", "target:HP-25") in pairs          # HP-T12's lead
    assert ("lhsr", "target:HP-27") in pairs
    assert ("lhsr", "target:HP-49") in pairs
    assert ("street:waitan", "task:HP-T13") in pairs  # 各街道
    mine = round_items(ws, SupervisionScope("huangpu", everything=False, org_code="jgw"),
                       round_id, today=dt.date(2024, 12, 10))
    assert {r["item"] for r in mine} == {"target:HP-25"}
    with pytest.raises(ConflictError):
        open_round(ws, period="2024-Q4", opened_on=dt.date(2024, 12, 2),
                   due_on=dt.date(2025, 1, 1), district="huangpu")


def test_submit_accept_makes_an_observation_with_its_source(ws: Workspace, round_id: int):
    jgw = SupervisionScope("huangpu", everything=False, org_code="jgw")
    fgw = SupervisionScope("huangpu", everything=False, org_code="fgw")
    with pytest.raises(NotFoundError):  # another unit's item, as if it did not exist
        submit(ws, fgw, round_id, unit="jgw", item="target:HP-25", value=1.0)
    with pytest.raises(InputValidationError):
        submit(ws, jgw, round_id, unit="jgw", item="target:HP-25", value=float("nan"))
    row = submit(ws, jgw, round_id, unit="jgw", item="target:HP-25", value=420.0,
                 observed_on=dt.date(2024, 12, 1), narrative="新建公共充电桩",
                 evidence=[("台账.pdf", PDF)], now=NOON)
    assert row["status"] == "submitted"
    assert row["evidence"][0]["kind"] == "pdf"
    assert row["late"] is True  # sent on the 20th, due the 15th
    with pytest.raises(ConflictError):
        submit(ws, jgw, round_id, unit="jgw", item="target:HP-25", value=1.0)
    with pytest.raises(InputValidationError):
        review(ws, row["id"], accept=False, district="huangpu")  # a return needs a comment
    back = review(ws, row["id"], accept=False, comment="请附充电桩清单", district="huangpu")
    assert back["status"] == "returned"
    row = submit(ws, jgw, round_id, unit="jgw", item="target:HP-25", value=430.0,
                 observed_on=dt.date(2024, 12, 1), evidence=[("清单.xlsx", _xlsx())], now=NOON)
    done = review(ws, row["id"], accept=True, district="huangpu")
    assert [h["action"] for h in done["history"]] == ["submit", "return", "submit", "accept"]
    with ws.registry.session() as s:
        obs = s.scalars(select(TargetObservation).where(
            TargetObservation.target_id == find_target(ws, "HP-25",
                                                       district="huangpu"))).one()
    assert obs.value == 430.0
    # the source is kept as a message: its code and parameters (the unit's name in both
    # languages from the organisation list), rendered in each language where it is shown
    from carbonpeak.i18n import loads, stored_text
    kept = loads(obs.source)
    assert kept is not None
    assert kept.code == "supervision.source"
    assert stored_text(obs.source, "zh") == (
        f"调度 2024-Q4：区建管委 报送（第 {row['id']} 号，已审核通过）")
    assert stored_text(obs.source, "en") == (
        f"dispatch 2024-Q4: submitted by District Construction and Management Commission "
        f"(no. {row['id']}, accepted)")
    st = next(t for t in evaluate_targets(ws, district="huangpu", codes=["HP-25"]))
    assert st.value == 430.0
    assert "区建管委" in st.value_source_zh
    assert "District Construction and Management Commission" in st.value_source


def test_board_reminders_and_owed_reasons(ws: Workspace, round_id: int):
    lhsr = SupervisionScope("huangpu", everything=False, org_code="lhsr")
    fgw = SupervisionScope("huangpu", everything=False, org_code="fgw")
    submit(ws, fgw, round_id, unit="fgw", item="task:HP-T04", progress="in_progress",
           completion_pct=60.0, narrative="完成 3 家调适", now=dt.datetime(2024, 12, 10, 9))
    board = round_board(ws, round_id, district="huangpu", today=dt.date(2024, 12, 20))
    by = {u["unit"]: u for u in board["units"]}
    assert by["lhsr"]["overdue"] == 3
    assert "lhsr" in board["late_units"]
    assert by["fgw"]["overdue"] == 0
    assert "fgw" not in board["late_units"]
    sent: list[list[dict[str, object]]] = []

    class Recorder:
        def send(self, events: list[dict[str, object]]) -> bool:
            sent.append(events)
            return True

    events = remind(ws, round_id, Recorder(), district="huangpu",  # type: ignore[arg-type]
                    today=dt.date(2024, 12, 20))
    assert sent == [events]
    assert {e["scope_id"] for e in events} >= {"lhsr"}
    assert all(e["scope_id"] != "fgw" for e in events)
    statuses = evaluate_targets(ws, district="huangpu", codes=["HP-27", "HP-29"])
    why = owed_reasons(ws, statuses, district="huangpu", today=dt.date(2024, 12, 20))
    unit, m = why["HP-27"]
    from carbonpeak.i18n import render

    assert unit == "lhsr"
    assert "区绿化市容局" in render(m, "zh")
    assert "已逾期" in render(m, "zh")
    assert "not yet asked" in render(why["HP-29"][1], "en")
    lhsr_rows = round_items(ws, lhsr, round_id, today=dt.date(2024, 12, 20))
    assert all(r["overdue"] for r in lhsr_rows)


def test_assessment_of_the_year(ws: Workspace, round_id: int):
    out = assess(ws, year=2024, district="huangpu", today=dt.date(2024, 12, 20))
    by = {u["unit"]: u for u in out["units"]}
    # fgw's task HP-T04 was submitted but not accepted: 0 %, on time
    t04 = next(i for i in by["fgw"]["items"] if i["code"] == "HP-T04")
    assert t04["score"] == 0.0
    assert by["lhsr"]["penalty"] >= 3 * 2.0  # three items overdue
    assert out["scheme"]["veto_targets"] == ["HP-01"]
    assert out["scheme"]["status"] == "unverified"
    assert set(out["criticised"]) >= {"lhsr"}


def test_a_later_periods_target_with_earlier_values_has_not_started(ws: Workspace):
    """HP-43 (十五五, 100 MW by 2030, baseline year 2025): a 2024 value does not count toward
    its progress; the target says its period has not started rather than 暂无数据."""
    from carbonpeak.services.plan.targets import add_observation

    add_observation(ws, find_target(ws, "HP-43", district="huangpu"),
                    observed_on=dt.date(2024, 11, 30), value=60.0, source="test")
    st = evaluate_targets(ws, district="huangpu", codes=["HP-43"])[0]
    assert st.status == "period_not_started"
    assert (st.value, st.value_year) == (60.0, 2024)
    assert "2026" in st.reason_zh


# -- spatial coverage --------------------------------------------------------------------------
LON, LAT = 121.48, 31.23
DLAT = 100 / 111_320                                  # ≈ 100 m north
DLON = 100 / (111_320 * math.cos(math.radians(LAT)))  # ≈ 100 m east


def _square(x: float, y: float) -> dict[str, object]:
    """A ≈100 m square whose south-west corner is (x, y) hundreds of metres from the origin."""
    x0, y0 = LON + x * DLON, LAT + y * DLAT
    return {"type": "Polygon", "coordinates": [[
        [x0, y0], [x0 + DLON, y0], [x0 + DLON, y0 + DLAT], [x0, y0 + DLAT], [x0, y0]]]}


def test_coverage_worked_by_hand():
    """A (300 residents) has a park at its centre: its corners are 71 m away, inside 500 m;
    B (100 residents) is 2 km east: outside. By residents 300 / 400 = 75 %; by area (no
    residents given) 1 / 2 = 50 %. C is crossed north-south through its middle by a rail
    line buffered 25 m: the strip 50 m wide of a 100 m square, 50 %."""
    a, b = _square(0, 0), _square(20, 0)
    park = {"type": "Point", "coordinates": [LON + DLON / 2, LAT + DLAT / 2]}
    by_res = coverage_share([ResidentialArea(a, 300), ResidentialArea(b, 100)], [park], 500)
    assert by_res.weight == "residents"
    assert by_res.share_pct == pytest.approx(75.0, abs=0.01)
    by_area = coverage_share([ResidentialArea(a), ResidentialArea(b)], [park], 500)
    assert by_area.weight == "area_m2"
    assert by_area.share_pct == pytest.approx(50.0, abs=0.01)
    assert by_area.total == pytest.approx(2 * 100 * 100, rel=0.01)  # metres, not degrees
    line = {"type": "LineString", "coordinates": [[LON + DLON / 2, LAT - DLAT],
                                                  [LON + DLON / 2, LAT + 2 * DLAT]]}
    strip = coverage_share([ResidentialArea(a)], [line], 25)
    assert strip.share_pct == pytest.approx(50.0, abs=0.5)
    assert coverage_share([ResidentialArea(a)], [], 500).share_pct == 0.0
    with pytest.raises(ValueError, match="radius"):
        coverage_share([ResidentialArea(a)], [park], 0)


def test_coverage_is_recorded_as_the_targets_observation(ws: Workspace, tmp_path: Path):
    homes, parks = tmp_path / "居住区.geojson", tmp_path / "公园.geojson"
    homes.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"residents": 300}, "geometry": _square(0, 0)},
        {"type": "Feature", "properties": {"residents": 100}, "geometry": _square(20, 0)}]}),
        encoding="utf-8")
    parks.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "Point", "coordinates": [LON + DLON / 2, LAT + DLAT / 2]}}]}),
        encoding="utf-8")
    cov = record_coverage(ws, "HP-28", residential=homes, facilities=parks,
                          observed_on=dt.date(2024, 12, 31), district="huangpu")
    assert cov.radius_m == 500.0
    st = evaluate_targets(ws, district="huangpu", codes=["HP-28"])[0]
    assert st.value == 75.0
    assert "居住区.geojson" in st.value_source
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"residents": "many"}, "geometry": _square(0, 0)}]}),
        encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        record_coverage(ws, "HP-28", residential=bad, facilities=parks,
                        observed_on=dt.date(2024, 12, 31), district="huangpu")
    assert (exc.value.errors[0].file, exc.value.errors[0].row) == ("bad.geojson", 1)


def test_indicator_registry(ws: Workspace, round_id: int):
    from carbonpeak.services.supervision.indicators import indicator_registry

    test_submit_accept_makes_an_observation_with_its_source  # noqa: B018 - HP-25 observed there
    rows = {r["code"]: r for r in indicator_registry(ws, district="huangpu",
                                                      today=dt.date(2024, 12, 31))}
    assert rows["HP-01"]["kind"] == "computed"
    assert rows["HP-01"]["frequency"] == "yearly"
    hp25 = rows["HP-25"]
    assert (hp25["kind"], hp25["responsible"], hp25["frequency"]) == ("observed", "jgw",
                                                                      "quarterly")
    assert (hp25["last_observed_on"], hp25["timeliness"]) == ("2024-12-01", "fresh")
    assert rows["HP-28"]["method"] == "coverage"
    assert rows["HP-29"]["timeliness"] == "none"


def test_green_programmes_feed_the_per_street_target(ws: Workspace):
    """HP-54: every street at least one low-carbon community. Two of ten streets approved:
    the least over the streets is 0; once all ten are, 1."""
    from carbonpeak.services.supervision.programmes import (
        apply_programme,
        decide_programme,
        feed_targets,
        list_programmes,
    )
    from carbonpeak.storage.registry.models import Street

    with ws.registry.session() as s:
        streets = list(s.scalars(select(Street.code).where(Street.district_id == "huangpu")))
    ids = [apply_programme(ws, "low_carbon_community", f"{c} 低碳社区", street=c,
                           applied_on=dt.date(2024, 3, 1), district="huangpu")
           for c in streets]
    for i in ids[:2]:
        decide_programme(ws, i, approve=True, on=dt.date(2024, 6, 1), district="huangpu")
    decide_programme(ws, ids[2], approve=False, on=dt.date(2024, 6, 1), district="huangpu")
    got = list_programmes(ws, district="huangpu")
    assert got["counts"]["low_carbon_community"][f"street:{streets[0]}"]["approved"] == 1
    assert got["counts"]["low_carbon_community"][f"street:{streets[2]}"]["rejected"] == 1
    assert feed_targets(ws, observed_on=dt.date(2024, 6, 30), district="huangpu") == {
        "HP-54": 0.0}
    for i in ids[2:]:
        decide_programme(ws, i, approve=True, on=dt.date(2024, 9, 1), district="huangpu")
    assert feed_targets(ws, observed_on=dt.date(2024, 9, 30), district="huangpu") == {
        "HP-54": 1.0}
    with pytest.raises(InputValidationError):
        apply_programme(ws, "green_mall", "x", street="nowhere",
                        applied_on=dt.date(2024, 3, 1), district="huangpu")


def test_assessment_report_workbook(ws: Workspace, round_id: int):
    from carbonpeak.publish.assessment import assessment_xlsx

    out = assess(ws, year=2024, district="huangpu", today=dt.date(2024, 12, 20))
    cases: list[tuple[Literal["zh", "en"], str, str]] = [("zh", "考核结果", "grade_zh"),
                                                       ("en", "Scores", "grade_en")]
    for lang, sheet, grade in cases:
        wb = openpyxl.load_workbook(io.BytesIO(assessment_xlsx(out, lang=lang)))
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert rows[2][0] == out["units"][0]["unit_name"]
        assert rows[2][3] == out["units"][0][grade]
        assert len(rows) - 2 == len(out["units"])
    zh = openpyxl.load_workbook(io.BytesIO(assessment_xlsx(out, lang="zh")))
    scheme = dict(zh["评分规则"].iter_rows(values_only=True))
    assert scheme["核实状态"] == "unverified"


def test_cli(ws: Workspace, round_id: int, monkeypatch: pytest.MonkeyPatch):
    from typer.testing import CliRunner

    from carbonpeak.cli import app

    monkeypatch.setenv("CARBONPEAK_HOME", str(ws.settings.home))
    run = CliRunner().invoke
    got = run(app, ["tasks", "list", "--district", "huangpu", "--org", "fgw", "--json"])
    assert got.exit_code == 0, got.output
    codes = {t["code"] for t in json.loads(got.output)}
    assert "HP-T04" in codes
    assert "HP-T13" not in codes
    got = run(app, ["rounds", "status", str(round_id), "--district", "huangpu", "--json"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["period"] == "2024-Q4"
    got = run(app, ["assess", "--year", "2024", "--district", "huangpu", "--json"])
    assert got.exit_code == 0, got.output
    assert {u["unit"] for u in json.loads(got.output)["units"]} >= {"fgw", "lhsr"}
    got = run(app, ["tasks", "assign", "TH-T01", "--lead", "nobody", "--district", "tianhe"])
    assert got.exit_code != 0
    assert "nobody" in got.output


def test_assessment_report_pdf(ws: Workspace, round_id: int):
    from carbonpeak.publish.assessment import assessment_pdf

    out = assess(ws, year=2024, district="huangpu", today=dt.date(2024, 12, 20))
    when = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    pdf = assessment_pdf(out, lang="zh", when=when)
    assert pdf.startswith(b"%PDF-")
    assert pdf == assessment_pdf(out, lang="zh", when=when)  # the same input, the same bytes
