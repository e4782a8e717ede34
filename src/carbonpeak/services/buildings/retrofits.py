"""Retrofit and commissioning projects, their measured savings (M&V) and the plan's progress.

中文：节能改造与建筑调适项目登记、节能量测量与验证（M&V）及规划进度（改造面积、节能率≥15%
的改造面积、每年调适数量）。

* **Projects** (:class:`~carbonpeak.storage.registry.models.RetrofitProject`) come from a file
  (:func:`import_retrofits`, one batch) or one at a time (:func:`save_project`); the natural key
  is (district, code); an equal project changes nothing, a change is audit-logged field by
  field.
* **Measured savings** (:func:`measure`): for each completed project, the building's daily
  electricity [kWh] is the sum of the interval readings of its main (non-sub-) electricity
  meters per local day of the district's time zone (× multiplier × unit factor); a meter day
  with less than half its intervals is missing (CalTRACK 2.2.2.1), and so is the building day;
  one with at least half is filled with the mean of its intervals present. Baseline = the 365
  days before ``start_date``; reporting = ``end_date`` … up to 364 days later, never beyond
  ``as_of`` (default: yesterday, the last complete day) or the last day with usage and
  weather. A baseline holding another project of the building (its works or reporting year)
  is flagged ``mv.baseline.overlaps_project``. Projects sharing the
  same dates are measured together by :func:`carbonpeak.domain.mv.measure_savings`
  (vectorised). Every project measured gets one
  :class:`~carbonpeak.storage.registry.models.MvResult`;
  one without daily data or weather gets a result with ``sufficient = False`` and its reasons.
* **Progress** (:func:`retrofit_progress`, :func:`metric_series`): completed retrofits' area
  within the plan period, each building counted once (:func:`building_areas`), the part whose
  current measurement is sufficient, meets ASHRAE G14 and saves ≥ 15 %, and completed
  commissioning projects per year; targets from the district's
  Target rows (``metric`` ``retrofit_area_m2``, ``retrofit_area_saving15_m2``,
  ``commissioning_projects``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbonpeak.domain.buildings.measurement import (
    BASELINE_DAYS,
    REPORTING_DAYS,
    ProjectDates,
    baseline_overlaps,
    last_reporting_day,
    project_result,
    reporting_period,
)
from carbonpeak.domain.units import unit_factor
from carbonpeak.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    RowError,
    UnitError,
)
from carbonpeak.i18n import Lang, Message
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.i18n import render as i18n_render
from carbonpeak.intake.batches import (
    BatchResult,
    Tally,
    audited_upsert,
    close_batch,
    file_sha256,
    find_duplicate,
    new_batch,
)
from carbonpeak.intake.retrofit_files import ProjectSpec, read_retrofit_file
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.weather import temperature_series
from carbonpeak.storage.registry.models import (
    District,
    MvResult,
    RetrofitProject,
    Target,
)
from carbonpeak.storage.registry.repositories import buildings as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import (
    EnergyCarrier,
    EntityKind,
    MeterRegister,
    RetrofitKind,
    RetrofitStatus,
)

if TYPE_CHECKING:  # the engine (scipy) is imported when a measurement runs, not with the CLI
    from carbonpeak.domain.mv import Issue, MvOptions, SavingsResult

__all__ = ["BASELINE_DAYS", "CATEGORIES", "LIST_COLUMNS", "PROGRESS_METRICS", "REPORTING_DAYS",
           "SAVING_THRESHOLD", "DailyUsage", "building_areas",
           "daily_usage", "import_retrofits", "list_projects", "measure", "metric_series",
           "project_detail", "retrofit_progress", "save_project"]

#: the plan's qualifying saving rate (黄浦：平均节能率 15% 及以上)
SAVING_THRESHOLD = 0.15
#: computed target metrics of this module -> their names (``label.progress_metric.*``)
PROGRESS_METRICS: dict[str, Message] = {
    m: Message(f"label.progress_metric.{m}")
    for m in ("retrofit_area_m2", "retrofit_area_saving15_m2", "commissioning_projects")}
_DEFAULT_PLAN_START = 2021  # 十四五 begins
_PERIOD_START = re.compile(r"(\d{4})\s*-\s*\d{4}")
_CARRIER = EnergyCarrier.ELECTRICITY
_MIN_DAY_SHARE = 0.5  # a day with more than half its intervals missing is missing
_BUILDING_KINDS = (EntityKind.BUILDING, EntityKind.PUBLIC_INSTITUTION)


# -- projects ------------------------------------------------------------------------------


def _check_registry(s: Session, district_id: str, specs: Sequence[ProjectSpec], file: str,
                    sheet: str | None = None) -> list[RowError]:
    """The building exists in the district (a building or public institution) and the
    retrofitted area is not larger than its registered floor area."""
    ids = sorted({p.entity_id for p in specs})
    ents = {e.id: e for e in repo.entities_by_ids(s, ids)} if ids else {}
    errors = []
    for p in specs:
        e = ents.get(p.entity_id)
        if e is None or e.district_id != district_id:
            errors.append(RowError(file, p.line, "entity_id", p.entity_id,
                                   i18n_msg("intake.retrofit.not_building_of",
                                       district=district_id), sheet))
        elif e.kind not in _BUILDING_KINDS:
            errors.append(RowError(file, p.line, "entity_id", p.entity_id,
                                   i18n_msg("intake.retrofit.not_a_building",
                                       kind=i18n_msg(f"intake.entity.kind.{e.kind}")), sheet))
        elif e.floor_area_m2 and p.floor_area_m2 > e.floor_area_m2 * (1 + 1e-9):
            errors.append(RowError(file, p.line, "floor_area_m2", f"{p.floor_area_m2:g}",
                                   i18n_msg("intake.retrofit.area_over_building",
                                       area=f"{e.floor_area_m2:g}"), sheet))
    return errors


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def _existing(s: Session, district_id: str, code: str) -> RetrofitProject | None:
    """The stored project of this natural key, if any."""
    return repo.retrofit_by_code(s, district_id, code)


def _store(s: Session, actor: str, district_id: str, spec: ProjectSpec, batch_id: int | None,
           source: str) -> str:
    """Insert or update one project; ``created``, ``updated`` or ``unchanged``."""
    values = spec.values()
    outcome = audited_upsert(
        s, actor, _existing(s, district_id, spec.code), values,
        create=lambda: RetrofitProject(district_id=district_id, code=spec.code,
                                       batch_id=batch_id, created_by=actor, **values),
        object_type="retrofit_project", key=spec.code, district_id=district_id,
        context={"batch": batch_id, "source": source}, same=_same,
        on_change={"batch_id": batch_id}, log=audit)
    return "created" if outcome == "added" else outcome


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def import_retrofits(ws: Workspace, path: Path, *, district: str | None = None,
                     dry_run: bool = False, rename: Mapping[str, str] | None = None,
                     writable: AbstractSet[str] | None = None,
                     unit_side: bool = False) -> BatchResult:
    """Import a project list (CSV, .xlsx, .xls) as one batch; upsert by (district, code).

    ``dry_run`` checks the file and the registry and stores nothing (status ``validated``);
    ``rename`` maps its headers to the columns (a browser upload); a project of an entity
    outside ``writable`` (when given) is refused by row.

    Raises
    ------
    InputValidationError
        Every bad cell (file, row, column); nothing was stored.
    """
    d = ws.district(district)
    if not path.is_file():
        raise InputValidationError([RowError(path.name, None, None, None,
                                             i18n_msg("intake.file.not_found"))])
    digest = file_sha256(path)
    duplicate = find_duplicate(ws, d.id, "retrofits", digest, path.name)
    if duplicate is not None:
        return duplicate
    del unit_side  # projects have no unit side (an argument so every uploader is called alike)
    specs, notes = read_retrofit_file(path, rename=rename)
    res = Tally()
    with ws.registry.session() as s:
        errors = _check_registry(s, d.id, specs, path.name)
        if writable is not None:
            errors += [RowError(path.name, p.line, "entity_id", p.entity_id,
                                i18n_msg("intake.upload.not_in_scope", entity=p.entity_id))
                       for p in specs if p.entity_id not in writable]
        if errors:
            raise InputValidationError(errors)
        if dry_run:
            return BatchResult("retrofits", path.name, None, "validated", rows_in=len(specs),
                               added=len(specs), messages=list(notes))
        batch = new_batch(s, ws, d.id, "retrofits", path.name, digest, rows_in=len(specs))
        for spec in specs:
            what = _store(s, ws.actor, d.id, spec, batch.id, f"{path.name} line {spec.line}")
            res.count("added" if what == "created" else "updated" if what == "updated"
                      else "unchanged")
        done = close_batch(s, ws, batch, res)
    return replace(done, messages=[res.summary(), *notes])


def save_project(ws: Workspace, district_id: str, spec: ProjectSpec, *,
                 source: str = "api") -> tuple[dict[str, Any], str]:
    """Create or update one project (checked like a file row); the project and what happened
    (``created``, ``updated``, ``unchanged``).

    Two requests creating the same new code at once: the one that loses the insert tries
    again once, and then updates (or leaves unchanged) the project the other one created.

    Raises
    ------
    ConflictError
        The second try failed too (the project keeps changing under the request).
    """
    for attempt in (1, 2):
        try:
            with ws.registry.session() as s:
                errors = _check_registry(s, district_id, [spec], "request")
                if errors:
                    raise InputValidationError(errors)
                what = _store(s, ws.actor, district_id, spec, None, source)
        except IntegrityError as exc:
            if attempt == 1:
                continue
            msg = (f"project {spec.code!r} was changed by another request at the same time; "
                   "try again 项目正被其他请求同时修改，请重试")
            raise ConflictError(msg) from exc
        return project_detail(ws, AccessScope(district_id, everything=True), spec.code), what
    raise AssertionError  # pragma: no cover - the loop returns or raises


# -- reading projects -----------------------------------------------------------------------
LIST_COLUMNS = (
    "code", "name", "kind", "entity_id", "entity_name", "street", "measures", "start_date",
    "end_date", "floor_area_m2", "investment_10k_cny", "claimed_savings_kwh",
    "claimed_savings_fraction", "status", "mv_id", "mv_computed_at", "mv_current",
    "mv_sufficient", "mv_reason", "mv_reason_zh", "mv_reason_codes", "mv_warning_codes",
    "mv_model_type",
    "mv_reporting_start",
    "mv_reporting_end",
    "mv_n_reporting_days", "mv_adjusted_baseline_kwh", "mv_reporting_kwh", "mv_savings_kwh",
    "mv_fractional_savings", "mv_fsu_68", "mv_cv_rmse", "mv_nmbe", "mv_meets_g14",
    "mv_saving15")


def _is_current(p: RetrofitProject, r: MvResult | None) -> bool:
    """Whether ``r`` measured the project as it now stands (same building and dates)."""
    if r is None:
        return False
    used = (r.inputs or {}).get("project", {})
    return bool(used.get("entity_id") == p.entity_id
                and used.get("start_date") == p.start_date.isoformat()
                and used.get("end_date") == (p.end_date.isoformat() if p.end_date else None))


def _reason(r: MvResult, key: str = "message", which: str = "reasons",
            lang: Lang = "en") -> str:
    """The result's reasons (or warnings): their codes (``key="code"``), or their sentences in
    ``lang`` rendered from the catalogue."""
    from carbonpeak.domain.mv import issue_text  # noqa: PLC0415 - scipy only when measuring

    reasons = (r.result or {}).get(which) or []
    texts = (str(x.get("code", "")) if key == "code" else issue_text(x, lang) for x in reasons)
    return ("；" if lang == "zh" and key != "code" else "; ").join(dict.fromkeys(texts))


def _shown(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored result with each reason and warning's sentence in both languages
    (``message_zh``, ``message_en``), rendered here from its code and numbers."""
    from carbonpeak.domain.mv import issue_text  # noqa: PLC0415 - scipy only when measuring

    if not result:
        return result
    out = dict(result)
    for which in ("reasons", "warnings"):
        if isinstance(out.get(which), list):
            out[which] = [{**x, "message_zh": issue_text(x, "zh"),
                           "message_en": issue_text(x, "en")} for x in out[which]]
    return out


def _project_row(p: RetrofitProject, name: str | None, street: str | None,
                 r: MvResult | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": p.code, "name": p.name, "kind": p.kind, "entity_id": p.entity_id,
        "entity_name": name, "street": street, "measures": list(p.measures or []),
        "start_date": p.start_date.isoformat(),
        "end_date": p.end_date.isoformat() if p.end_date else None,
        "floor_area_m2": p.floor_area_m2, "investment_10k_cny": p.investment_10k_cny,
        "claimed_savings_kwh": p.claimed_savings_kwh,
        "claimed_savings_fraction": p.claimed_savings_fraction, "status": p.status}
    row |= _mv_fields(p, r)
    return row


def _mv_fields(p: RetrofitProject, r: MvResult | None) -> dict[str, Any]:
    if r is None:
        return {k: None for k in LIST_COLUMNS if k.startswith("mv_")} | {
            "mv_current": False, "mv_sufficient": None, "mv_meets_g14": None,
            "mv_saving15": None}
    return {
        "mv_id": r.id, "mv_computed_at": r.computed_at.isoformat(timespec="seconds"),
        "mv_current": _is_current(p, r), "mv_sufficient": r.sufficient,
        "mv_reason": _reason(r) or None, "mv_reason_zh": _reason(r, lang="zh") or None,
        "mv_reason_codes": _reason(r, "code") or None,
        "mv_warning_codes": _reason(r, "code", "warnings") or None,
        "mv_model_type": r.model_type,
        "mv_reporting_start": r.reporting_start.isoformat() if r.reporting_start else None,
        "mv_reporting_end": r.reporting_end.isoformat() if r.reporting_end else None,
        "mv_n_reporting_days": r.n_reporting_days,
        "mv_adjusted_baseline_kwh": r.adjusted_baseline_kwh, "mv_reporting_kwh": r.reporting_kwh,
        "mv_savings_kwh": r.savings_kwh, "mv_fractional_savings": r.fractional_savings,
        "mv_fsu_68": r.fsu_68, "mv_cv_rmse": r.cv_rmse, "mv_nmbe": r.nmbe,
        "mv_meets_g14": r.meets_g14, "mv_saving15": _category(p, r) == "meets"}


def _latest_results(s: Session, project_ids: Sequence[int]) -> dict[int, MvResult]:
    if not project_ids:
        return {}
    return {r.project_id: r for r in repo.latest_mv_results(s, project_ids)}


def list_projects(ws: Workspace, scope: AccessScope, *, kind: str | None = None,
                  status: str | None = None) -> list[dict[str, Any]]:
    """Projects in ``scope`` (a street officer: its street's buildings; an entity role: its
    own), each with its latest M&V figures, by code."""
    with ws.registry.session() as s:
        rows = repo.retrofits_in_scope(s, scope.district_id, scope.entity_condition(),
                                       kind=kind, status=status)
        latest = _latest_results(s, [p.id for p, _n, _st in rows])
        return [_project_row(p, n, st, latest.get(p.id)) for p, n, st in rows]


def _result_dict(r: MvResult) -> dict[str, Any]:
    return {"id": r.id, "carrier": r.carrier, "sufficient": r.sufficient,
            "model_type": r.model_type,
            "reporting_start": r.reporting_start.isoformat() if r.reporting_start else None,
            "reporting_end": r.reporting_end.isoformat() if r.reporting_end else None,
            "n_reporting_days": r.n_reporting_days,
            "adjusted_baseline_kwh": r.adjusted_baseline_kwh, "reporting_kwh": r.reporting_kwh,
            "savings_kwh": r.savings_kwh, "fractional_savings": r.fractional_savings,
            "fsu_68": r.fsu_68, "fsu_90": r.fsu_90, "cv_rmse": r.cv_rmse, "nmbe": r.nmbe,
            "meets_g14": r.meets_g14, "computed_by": r.computed_by,
            "computed_at": r.computed_at.isoformat(timespec="seconds"),
            "result": _shown(r.result),
            "inputs": r.inputs}


def project_detail(ws: Workspace, scope: AccessScope, code: str) -> dict[str, Any]:
    """One project in scope with every M&V result (newest first) and the latest result's
    monthly baseline-vs-actual sums (for a chart).

    Raises
    ------
    NotFoundError
        No such project, or it is outside the scope (the same answer).
    """
    with ws.registry.session() as s:
        row = repo.retrofit_in_scope(s, scope.district_id, code, scope.entity_condition())
        if row is None:
            raise NotFoundError(i18n_msg("error.retrofit.no_project", code=code))
        p, name, street = row
        results = repo.mv_results_newest_first(s, p.id)
        out = _project_row(p, name, street, results[0] if results else None)
        out["note"] = p.note
        out["created_by"] = p.created_by
        out["mv_results"] = [_result_dict(r) for r in results]
        out["monthly"] = (results[0].result or {}).get("monthly", []) if results else []
        return out


# -- daily usage from the lake ---------------------------------------------------------------
@dataclass
class DailyUsage:
    """Daily electricity [kWh] of buildings on consecutive local days.

    ``kwh`` is (n_entities, n_days) with NaN for a missing day; ``meters`` lists each entity's
    main interval meters; ``problems`` the entities whose daily use cannot be built (no main
    electricity meter, a cumulative one, a unit not of energy) as an :class:`Issue`.
    """

    entity_ids: list[str]
    first: dt.date
    kwh: npt.NDArray[np.float64]
    meters: dict[str, list[str]]
    problems: dict[str, Issue]
    batches: list[int]

    @property
    def days(self) -> npt.NDArray[np.datetime64]:
        """The local calendar days of the columns."""
        start = np.datetime64(self.first.isoformat(), "D")
        return start + np.arange(self.kwh.shape[1])


def _months(first: dt.date, last: dt.date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def daily_usage(ws: Workspace, district_id: str, entity_ids: Sequence[str], first: dt.date,
                last: dt.date) -> DailyUsage:
    """Daily main electricity [kWh] of ``entity_ids`` on the local days ``first..last``.

    A building's day is the sum over its main (no ``submeter``) interval electricity meters of
    ``value × multiplier × unit factor`` of the intervals starting that local day, in the
    district's time zone; it is missing (NaN) when any of them has less than half of the day's
    intervals (CalTRACK 2.2.2.1). A meter day with some intervals missing (but at least half)
    is filled with the mean of those present: ``Σ value × expected / n`` with ``expected =
    1440 / interval_minutes`` (CalTRACK 2.2.2.1: the average of the non-missing values), so a
    partly read day is not under-counted.
    """
    from carbonpeak.domain.mv import Issue  # noqa: PLC0415 - scipy only when measuring

    d = ws.district(district_id)
    ids = list(dict.fromkeys(entity_ids))
    n_days = (last - first).days + 1
    kwh = np.full((len(ids), max(n_days, 0)), np.nan)
    problems: dict[str, Issue] = {}
    meters: dict[str, list[str]] = {e: [] for e in ids}
    with ws.registry.session() as s:
        rows = repo.whole_meters_of(s, ids, _CARRIER)
    table: dict[str, list[Any]] = {"meter_id": [], "entity_id": [], "factor": [], "need": [],
                                   "expected": []}
    for m in rows:
        if m.register != MeterRegister.INTERVAL:
            problems[m.entity_id] = Issue("mv.usage.cumulative_meter", {"meter_id": m.id})
            continue
        try:
            factor = m.multiplier * unit_factor(m.unit, _CARRIER)
        except UnitError:
            problems[m.entity_id] = Issue("mv.usage.unit", {"meter_id": m.id, "unit": m.unit})
            continue
        meters[m.entity_id].append(m.id)
        table["meter_id"].append(m.id)
        table["entity_id"].append(m.entity_id)
        table["factor"].append(float(factor))
        expected = 1440.0 / max(m.interval_minutes, 1)
        table["need"].append(_MIN_DAY_SHARE * expected)
        table["expected"].append(expected)
    for e in ids:
        if e not in problems and not meters[e]:
            problems[e] = Issue("mv.usage.no_meter")
    files = [str(p) for p in ws.lake.live_files(district_id, "readings", _months(first, last))]
    batches = sorted(ws.lake.batches_in(files)) if files else []
    if files and table["meter_id"] and n_days > 0:
        tz = ZoneInfo(d.timezone)
        t0 = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC).replace(tzinfo=None)
        t1 = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz).astimezone(
            dt.UTC).replace(tzinfo=None)
        con = ws.lake.connect()
        try:
            con.register("mv_meters", pa.table(table))
            res = con.execute("""
WITH per_meter AS (
  SELECT m.entity_id, m.meter_id, m.need, m.expected,
         CAST(timezone(?, timezone('UTC', r.ts)) AS DATE) AS day,
         SUM(r.value) * m.factor AS kwh, COUNT(*) AS n
  FROM read_parquet(?, hive_partitioning=false, union_by_name=true) r
  JOIN mv_meters m ON m.meter_id = r.meter_id
  WHERE r.ts >= ? AND r.ts < ?
  GROUP BY m.entity_id, m.meter_id, m.need, m.expected, m.factor, day)
SELECT entity_id, day, SUM(kwh * GREATEST(expected / n, 1.0)) AS kwh,
       COUNT(*) AS n_meters, BOOL_AND(n >= need) AS complete
FROM per_meter GROUP BY entity_id, day
""", [d.timezone, files, t0, t1]).fetchall()
        finally:
            con.close()
        row_of = {e: i for i, e in enumerate(ids)}
        for eid, day, value, n_meters, complete in res:
            k = (day - first).days
            if 0 <= k < n_days and complete and n_meters == len(meters[eid]):
                kwh[row_of[eid], k] = value
    for e in problems:
        kwh[ids.index(e)] = np.nan
    return DailyUsage(ids, first, kwh, meters, problems, batches)


# -- measurement ----------------------------------------------------------------------------
@dataclass
class _Job:
    project: RetrofitProject
    entity: str
    first: dt.date  # baseline start
    r_end: dt.date  # last reporting day
    problem: Issue | None = None


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _today(d: District) -> dt.date:
    """Today in the district's time zone (its readings of today are still arriving)."""
    return dt.datetime.now(ZoneInfo(d.timezone or "Asia/Shanghai")).date()


def _dates(p: RetrofitProject) -> ProjectDates:
    """A stored project's dates, for the domain."""
    return ProjectDates(p.code, p.entity_id, p.status, p.start_date, p.end_date)


def measure(ws: Workspace, district: str | None = None, codes: Sequence[str] | None = None,
            as_of: dt.date | None = None, *,
            progress: Callable[[int, int, str], None] | None = None,
            options: MvOptions | None = None) -> list[dict[str, Any]]:
    """Measure the savings of the district's completed projects (or ``codes``).

    Each completed project gets one new :class:`MvResult` (the latest is current); the
    returned rows are the list rows of the projects measured (see :func:`list_projects`), plus
    ``skipped`` rows for named projects that are not completed (nothing stored for them).
    ``progress(done, total, label)`` is called after each group of projects.

    Data after ``as_of`` is ignored; without ``as_of``, data of today (in the district's time
    zone, still arriving) is: a reporting period ends at the last complete day. A project
    whose baseline overlaps another project's works or reporting year on the same building
    gets the warning ``mv.baseline.overlaps_project``
    (:func:`~carbonpeak.domain.buildings.measurement.baseline_overlaps`). The periods and the
    stored result are the domain's (:mod:`carbonpeak.domain.buildings.measurement`).

    Raises
    ------
    NotFoundError
        A code in ``codes`` names no project of the district.
    """
    from carbonpeak.domain.mv import (  # noqa: PLC0415 - scipy only when measuring
        MvOptions,
        measure_savings,
    )

    d = ws.district(district)
    opt = options or MvOptions(zero_is_missing=True)  # CalTRACK 2.2.1.4: electricity
    with ws.registry.session() as s:
        projects = repo.retrofits_of_district(s, d.id, codes=list(codes) if codes else None)
        s.expunge_all()
    if codes:
        missing = sorted(set(codes) - {p.code for p in projects})
        if missing:
            raise NotFoundError(i18n_msg("error.retrofit.no_projects", codes=", ".join(missing),
                                         district=d.id))
    done = [p for p in projects if p.status == RetrofitStatus.COMPLETED and p.end_date is not None]
    skipped = [{"code": p.code, "status": p.status,
                "skipped": i18n_render(i18n_msg("mv.project.not_completed"), "en"),
                "skipped_zh": i18n_render(i18n_msg("mv.project.not_completed"), "zh")}
               for p in projects if p not in done]
    if not done:
        return skipped
    with ws.registry.session() as s:  # every project of the buildings, for the overlaps
        neighbours = repo.retrofits_of_entities(s, d.id, sorted({p.entity_id for p in done}))
        s.expunge_all()
    others = [_dates(o) for o in neighbours]
    # the last day that counts: as_of, else yesterday (today's readings are still arriving)
    limit = as_of if as_of is not None else _today(d) - dt.timedelta(days=1)
    jobs = [_Job(p, p.entity_id, *reporting_period(_dates(p), limit)) for p in done]
    first = min(j.first for j in jobs)
    last = max(j.r_end for j in jobs)
    usage = daily_usage(ws, d.id, [j.entity for j in jobs], first, last)
    temp, weather_batches = temperature_series(ws, d.id, first, last)
    all_days = usage.days
    late = all_days > np.datetime64(limit.isoformat())  # nothing after the limit counts
    if late.any():
        usage.kwh[:, late] = np.nan
        temp = np.where(late, np.nan, temp)
    row_of = {e: i for i, e in enumerate(usage.entity_ids)}
    for j in jobs:
        j.problem = usage.problems.get(j.entity)
        # the reporting period ends at the last day with usage and weather (≤ as_of)
        assert j.project.end_date is not None  # noqa: S101 - completed
        j.r_end = last_reporting_day(j.r_end, j.project.end_date, first,
                                     usage.kwh[row_of[j.entity]], temp)
    groups: dict[tuple[dt.date, dt.date, dt.date], list[_Job]] = {}
    for j in jobs:
        assert j.project.end_date is not None  # noqa: S101
        groups.setdefault((j.project.start_date, j.project.end_date, j.r_end), []).append(j)
    stored: list[tuple[RetrofitProject, dict[str, Any], dict[str, Any]]] = []
    n_done = 0
    for (start, end, r_end), group in sorted(groups.items()):
        g_first = start - dt.timedelta(days=BASELINE_DAYS)
        i0, i1 = (g_first - first).days, (r_end - first).days + 1
        days, t = all_days[i0:i1], temp[i0:i1]
        base_inputs = {
            "as_of": as_of.isoformat() if as_of else None,
            "baseline": [g_first.isoformat(), (start - dt.timedelta(days=1)).isoformat()],
            "reporting": [end.isoformat(), r_end.isoformat()],
            "lake_batches": usage.batches,
            "weather": {"first": g_first.isoformat(), "last": r_end.isoformat(),
                        "n_days": int(np.isfinite(t).sum()), "batches": weather_batches},
            "options": {"zero_is_missing": opt.zero_is_missing, "max_p_value": opt.max_p_value,
                        "max_cv_rmse": opt.max_cv_rmse, "max_abs_nmbe": opt.max_abs_nmbe,
                        "max_fsu_68": opt.max_fsu_68},
        }
        ok = [j for j in group if j.problem is None]
        results: list[SavingsResult] = []
        if ok:
            y = np.stack([usage.kwh[row_of[j.entity], i0:i1] for j in ok])
            results = measure_savings(y, t, days, intervention_date=start,
                                      reporting_start=end, reporting_end=r_end,
                                      building_ids=[j.project.code for j in ok], options=opt)
        by_code = {r.building_id: r for r in results}
        for j in group:
            p = j.project
            inputs = base_inputs | {
                "project": {"entity_id": p.entity_id, "start_date": p.start_date.isoformat(),
                            "end_date": end.isoformat(), "kind": p.kind},
                "meters": usage.meters.get(j.entity, [])}
            res = project_result(p.code, by_code.get(p.code), j.problem, days,
                                 usage.kwh[row_of[j.entity], i0:i1], t, start, end,
                                 opt.zero_is_missing)
            res["claimed"] = {"savings_kwh": p.claimed_savings_kwh,
                              "fraction": p.claimed_savings_fraction}
            res["warnings"] = list(res.get("warnings") or []) + [
                i.to_dict() for i in baseline_overlaps(_dates(p), others)]
            stored.append((p, res, inputs))
        n_done += len(group)
        if progress is not None:
            progress(n_done, len(jobs), f"{start}..{end}")
    rows = _store_results(ws, d.id, stored)
    return rows + skipped


def _store_results(ws: Workspace, district_id: str,
                   stored: list[tuple[RetrofitProject, dict[str, Any], dict[str, Any]]],
                   ) -> list[dict[str, Any]]:
    out = []
    with ws.registry.session() as s:
        for p, res, inputs in stored:
            model = res.get("model") or {}
            sufficient = bool(res.get("sufficiency") and res["sufficiency"]["passed"]
                              and res["n_reporting_days"] > 0)
            rec = MvResult(
                project_id=p.id, district_id=district_id, carrier=_CARRIER,
                sufficient=sufficient, model_type=model.get("model_type"),
                reporting_start=dt.date.fromisoformat(res["reporting_start"])
                if res.get("reporting_start") else None,
                reporting_end=dt.date.fromisoformat(res["reporting_end"])
                if res.get("reporting_end") else None,
                n_reporting_days=int(res.get("n_reporting_days") or 0),
                adjusted_baseline_kwh=_finite(res.get("adjusted_baseline_kwh")),
                reporting_kwh=_finite(res.get("reporting_kwh")),
                savings_kwh=_finite(res.get("savings_kwh")),
                fractional_savings=_finite(res.get("fractional_savings")),
                fsu_68=_finite(res.get("fsu_68")), fsu_90=_finite(res.get("fsu_90")),
                cv_rmse=_finite(model.get("cv_rmse")), nmbe=_finite(model.get("nmbe")),
                meets_g14=bool(res.get("meets_g14")) and sufficient,
                result=res, inputs=inputs, computed_by=ws.actor)
            s.add(rec)
            s.flush()
            audit(s, ws.actor, "measure", "mv_result", f"{p.code}#{rec.id}",
                  {"project": p.code, "sufficient": sufficient,
                   "savings_kwh": rec.savings_kwh, "fractional_savings": rec.fractional_savings,
                   "meets_g14": rec.meets_g14}, district=district_id)
            out.append(_project_row(p, None, None, rec))
    return out


# -- progress -------------------------------------------------------------------------------
def _category(p: RetrofitProject, r: MvResult | None) -> str:
    """How a project counts toward the ≥ 15 % area: ``meets`` (sufficient, G14, ≥ 15 %),
    ``fails_g14`` (≥ 15 % but the measurement does not meet G14), ``below`` (< 15 %),
    ``not_measured`` (no current, sufficient measurement)."""
    if r is None or not _is_current(p, r) or not r.sufficient or r.fractional_savings is None:
        return "not_measured"
    if r.fractional_savings < SAVING_THRESHOLD - 1e-12:
        return "below"
    return "meets" if r.meets_g14 else "fails_g14"


def _target(s: Session, district_id: str, metric: str) -> Target | None:
    return repo.active_district_target(s, district_id, metric)


def _plan_start(*targets: Target | None) -> int:
    for t in targets:
        if t is not None and (m := _PERIOD_START.search(t.period or "")):
            return int(m.group(1))
    return _DEFAULT_PLAN_START


def _completed(s: Session, district_id: str) -> list[tuple[RetrofitProject, MvResult | None]]:
    projects = repo.completed_retrofits(s, district_id)
    latest = _latest_results(s, [p.id for p in projects])
    return [(p, latest.get(p.id)) for p in projects]


def _floor_areas(s: Session, entity_ids: Sequence[str]) -> dict[str, float | None]:
    """The registered floor area [m²] of each building (``None`` when not given)."""
    ids = sorted(set(entity_ids))
    if not ids:
        return {}
    return repo.floor_areas(s, ids)


#: the categories of :func:`_category`, best first
CATEGORIES = ("meets", "fails_g14", "below", "not_measured")


def building_areas(items: Sequence[tuple[str, float, str]],
                   floor_area: Mapping[str, float | None]) -> dict[str, float]:
    """Retrofitted area per category, each building counted once.

    ``items`` are ``(entity_id, project area, category)`` of completed retrofits. Projects on
    the same building are measured on the same whole-building meter and all claim the same
    saving, so their areas are not added: a building counts the largest area of its
    projects, at most its registered floor area (``floor_area``; no cap when unknown), and
    that area goes to its best category first (a building's ≥ 15 % area is its best
    qualifying project's), the rest of it to the next categories in :data:`CATEGORIES` order.
    The categories add up to the total retrofitted area.

    >>> building_areas([("A", 10_000, "meets"), ("A", 12_000, "below")], {"A": 11_000})
    {'meets': 10000.0, 'fails_g14': 0.0, 'below': 1000.0, 'not_measured': 0.0}
    """
    best: dict[str, dict[str, float]] = {}
    for eid, area, cat in items:
        b = best.setdefault(eid, dict.fromkeys(CATEGORIES, 0.0))
        b[cat] = max(b[cat], float(area))
    out = dict.fromkeys(CATEGORIES, 0.0)
    for eid, b in best.items():
        cap = floor_area.get(eid) or math.inf
        counted = 0.0
        for cat in CATEGORIES:  # cumulative: the area up to this category
            reach = min(max(counted, b[cat]), cap)
            out[cat] += reach - counted
            counted = reach
    return out


def _target_info(t: Target | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"code": t.code, "target_value": t.target_value, "target_year": t.target_year,
            "unit": t.unit, "period": t.period, "indicator_zh": t.indicator_zh}


def retrofit_progress(ws: Workspace, district: str | None, year: int,
                      scope: AccessScope | None = None) -> dict[str, Any]:
    """The plan's retrofit figures at the end of ``year``.

    ``retrofit_area_m2``: completed retrofits with ``end_date`` in plan start…``year``, each
    building counted once (:func:`building_areas`: the largest of its projects' areas, at
    most its floor area); ``saving15_area_m2``: of those, the area whose current M&V result is
    sufficient, meets G14 and saves ≥ 15 %; ``saving15_fails_g14_area_m2``: ≥ 15 % but not
    meeting G14;
    ``commissioning``: completed commissioning projects per year. Targets come from the Target
    rows with those metrics (``None`` when the district has none). The totals are the
    district's; the project lists hold only the projects in ``scope``.
    """
    d = ws.district(district)
    with ws.registry.session() as s:
        t_area = _target(s, d.id, "retrofit_area_m2")
        t_15 = _target(s, d.id, "retrofit_area_saving15_m2")
        t_comm = _target(s, d.id, "commissioning_projects")
        start = _plan_start(t_area, t_15, t_comm)
        done = _completed(s, d.id)
        floor_area = _floor_areas(s, [p.entity_id for p, _r in done])
        visible = set(repo.entity_ids_where(
            s, (scope or AccessScope(d.id, everything=True)).entity_condition()))

        s.expunge_all()
    retro = [(p, r) for p, r in done if p.kind == RetrofitKind.RETROFIT and p.end_date is not None
             and start <= p.end_date.year <= year]
    cats = [_category(p, r) for p, r in retro]
    area = building_areas([(p.entity_id, p.floor_area_m2, c)
                           for (p, _r), c in zip(retro, cats, strict=True)], floor_area)
    listed = []
    for (p, r), cat in zip(retro, cats, strict=True):
        if p.entity_id in visible:
            listed.append({"code": p.code, "entity_id": p.entity_id, "name": p.name,
                           "end_date": p.end_date.isoformat() if p.end_date else None,
                           "floor_area_m2": p.floor_area_m2, "category": cat,
                           "fractional_savings": r.fractional_savings if r else None,
                           "meets_g14": r.meets_g14 if r else None,
                           "mv_warning_codes": (_reason(r, "code", "warnings") or None)
                           if r is not None and _is_current(p, r) else None})
    total = sum(area.values())
    comm_years = dict.fromkeys(range(start, year + 1), 0)
    comm_list = []
    for p, _r in done:
        if p.kind == RetrofitKind.COMMISSIONING and p.end_date is not None and \
                start <= p.end_date.year <= year:
            comm_years[p.end_date.year] += 1
            if p.entity_id in visible:
                comm_list.append({"code": p.code, "entity_id": p.entity_id, "name": p.name,
                                  "end_date": p.end_date.isoformat()})

    def share(v: float, t: Target | None) -> float | None:
        return 100.0 * v / t.target_value if t is not None and t.target_value else None

    return {
        "district_id": d.id, "year": year, "plan_start": start,
        "saving_threshold": SAVING_THRESHOLD,
        "retrofit_area_m2": total, "retrofit_buildings": len({p.entity_id for p, _r in retro}),
        "retrofit_target": _target_info(t_area),
        "retrofit_progress_pct": share(total, t_area),
        "saving15_area_m2": area["meets"], "saving15_target": _target_info(t_15),
        "saving15_progress_pct": share(area["meets"], t_15),
        "saving15_fails_g14_area_m2": area["fails_g14"], "below15_area_m2": area["below"],
        "not_measured_area_m2": area["not_measured"],
        "commissioning": [{"year": y, "completed": n} for y, n in comm_years.items()],
        "commissioning_this_year": comm_years.get(year, 0),
        "commissioning_target": _target_info(t_comm),
        "projects": listed, "commissioning_projects": comm_list,
    }


def metric_series(ws: Workspace, d: District, metric: str,
                  last_year: int | None = None) -> tuple[list[tuple[int, float]], Message | None]:
    """Yearly values of a progress metric (:data:`PROGRESS_METRICS`) for the targets
    assessment: from the plan start to the later of ``last_year`` and the last completion.

    Empty when the district has no completed project of the kind (no data, not zero). Areas
    count each building once (:func:`building_areas`).
    """
    with ws.registry.session() as s:
        t = _target(s, d.id, metric)
        start = _plan_start(t)
        done = _completed(s, d.id)
        floor_area = _floor_areas(s, [p.entity_id for p, _r in done])
        s.expunge_all()
    kind = (RetrofitKind.COMMISSIONING if metric == "commissioning_projects"
            else RetrofitKind.RETROFIT)
    mine = [(p, r) for p, r in done if p.kind == kind and p.end_date is not None]
    if not mine:
        return [], None
    last = max([p.end_date.year for p, _r in mine if p.end_date is not None]
               + ([last_year] if last_year is not None else []))
    out: list[tuple[int, float]] = []
    for y in range(start, last + 1):
        if metric == "commissioning_projects":
            v = float(sum(1 for p, _r in mine if p.end_date is not None and p.end_date.year == y))
        else:
            area = building_areas([(p.entity_id, p.floor_area_m2, _category(p, r))
                                   for p, r in mine if p.end_date is not None
                                   and start <= p.end_date.year <= y], floor_area)
            v = sum(area.values()) if metric == "retrofit_area_m2" else area["meets"]
        out.append((y, v))
    source = {"retrofit_area_m2": i18n_msg("plan.value_source.retrofit_area"),
              "retrofit_area_saving15_m2": i18n_msg("plan.value_source.retrofit_saving",
                                                    threshold=SAVING_THRESHOLD),
              "commissioning_projects": i18n_msg("plan.value_source.commissioning")}[metric]
    return out, source
