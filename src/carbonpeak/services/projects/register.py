"""The project register (节能审查): imports, routing, impact on the budget, the pipeline.

中文：固定资产投资项目登记：导入、审查层级、对剩余能耗/碳排放预算的影响、已批未投产项目与余量预警、
投运后设计/验收/计量用能对照与超用能标记（节能监察）。

* **Imports** (:func:`import_projects`, :func:`import_project_energy`): upsert by (district,
  code) and (project, carrier); every insert and change is audit-logged, an equal row changes
  nothing (re-sending a file changes nothing).
* **Figures** (:func:`project_rows`): the designed energy at equivalent value (routing) and
  equal value (impact) and CO2 from the district's factor set for the project's first full
  year (default: next year); the review level from the province's table
  (:func:`carbonpeak.domain.projects.route`); the 两高 flag from the list; the share of the
  remaining budget of the first full year.
* **Intensity** (``intensity`` of each row, :func:`intensity_row`): the district's energy
  per unit GDP of the first full year without and with the project (its equal-value tce
  added to the energy, its value added to the GDP), on the statistics basis only (like with
  like: the metered account is never divided by the statistics GDP), against the path value
  of the district's ``energy_per_gdp`` target for that year; without the year's statistics a
  note (``projects.intensity.no_statistics``) and no figure.
* **Pipeline** (:func:`pipeline`): projects approved but not operating (stages
  ``energy_review`` — approved at review — ``construction`` and ``acceptance``) at their
  reviewed use (else designed); headroom = budget − base use − pipeline; when negative a
  warning is stored with the plan's warnings (scope ``district``/``projects_pipeline``).
* **Operation** (:func:`operation`): designed, reviewed, accepted and metered use side by
  side once the project is linked to its entity; metered use of the first full year (the
  official account's, tce equal value) above reviewed × (1 + margin) is flagged for 节能监察.

Who sees what: district admins and analysts every project; a ``project_developer`` only its
own organisation's (``developer == org_code``); every other role none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from carbonpeak.domain.projects import (
    DEFAULT_OVERUSE_MARGIN,
    EnergyLine,
    IntensityInputs,
    TwoHighSector,
    budget_impact,
    intensity_effect,
    intensity_path,
    over_reviewed_use,
    project_energy,
    route,
    routing_table,
    two_high,
)
from carbonpeak.domain.projects import TWO_HIGH_SECTORS as SHIPPED_TWO_HIGH
from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Message, loads, msg, render, stored_text
from carbonpeak.intake.batches import Tally, audited_upsert
from carbonpeak.intake.projects.files import read_energy_file, read_project_file
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.accounting.certificates import district_factors
from carbonpeak.services.plan.indicators import STATISTICS, district_series, finite
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import (
    District,
    EarlyWarning,
    Project,
    ProjectEnergyLine,
    WarningEvent,
    utcnow,
)
from carbonpeak.storage.registry.repositories import projects as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import (
    ANALYST_ROLES,
    BudgetMetric,
    ProjectStage,
    Role,
    ScopeType,
    TargetKind,
    WarningLevel,
)

__all__ = ["PIPELINE_STAGES", "PIPELINE_WARNING_SCOPE", "Pipeline", "ProjectView",
           "import_project_energy", "import_projects", "intensity_row", "operation",
           "pipeline",
           "project_rows", "project_view", "two_high_sectors"]

PIPELINE_STAGES = (ProjectStage.ENERGY_REVIEW, ProjectStage.CONSTRUCTION,
                   ProjectStage.ACCEPTANCE)
PIPELINE_WARNING_SCOPE = "projects_pipeline"


@dataclass(frozen=True)
class ProjectView:
    """Which projects a principal sees: all, or one developer's (``None``: none)."""

    everything: bool
    developer: str | None

    def sees(self, p: Project) -> bool:
        """Whether ``p`` is visible."""
        return self.everything or (self.developer is not None and p.developer == self.developer)


def project_view(p: Principal | None) -> ProjectView:
    """The CLI (no principal) and the analysts see every project; a developer its own."""
    if p is None or p.role in ANALYST_ROLES:
        return ProjectView(True, None)
    if p.role == Role.PROJECT_DEVELOPER and p.org_code:
        return ProjectView(False, p.org_code)
    return ProjectView(False, None)


def two_high_sectors(d: District) -> list[TwoHighSector]:
    """The district's 两高 list: the profile's ``two_high_sectors`` (prefix, label_zh, source,
    status), else the shipped one."""
    own = (d.profile or {}).get("two_high_sectors")
    if not own:
        return list(SHIPPED_TWO_HIGH)
    return [TwoHighSector(str(x["prefix"]), str(x.get("label_zh", "")), str(x["source"]),
                          str(x["status"])) for x in own]


# -- imports ------------------------------------------------------------------------------------
def _streets(s: Session, district_id: str) -> set[str]:
    return {n for st in repo.district_streets(s, district_id) for n in (st.name_zh, st.code)}


def import_projects(ws: Workspace, path: Path, *, district: str | None = None) -> Tally:
    """Import a project list; every bad cell named, nothing stored on an error; idempotent."""
    d = ws.district(district)
    specs = read_project_file(path)
    tally = Tally()
    with ws.registry.session() as s:
        streets = _streets(s, d.id)
        entities = repo.district_entity_ids(s, d.id)
        errors = [RowError(path.name, p.line, "street", p.street,
                           msg("intake.project.unknown_street"))
                  for p in specs if p.street and p.street not in streets]
        errors += [RowError(path.name, p.line, "entity_id", p.entity_id,
                            msg("intake.certificate.unknown_holder"))
                   for p in specs if p.entity_id and p.entity_id not in entities]
        if errors:
            raise InputValidationError(errors)
        existing = {p.code: p for p in repo.district_projects(s, d.id)}
        for p in specs:
            values = {"name": p.name, "street": p.street, "developer": p.developer,
                      "sector_code": p.sector_code, "kind": p.kind, "stage": p.stage,
                      "value_added_10k_cny": p.value_added_10k_cny,
                      "new_capacity": p.new_capacity,
                      "renewable_measures": list(p.renewable_measures),
                      "first_full_year": p.first_full_year,
                      "reviewed_tce_equal": p.reviewed_tce_equal,
                      "accepted_tce_equal": p.accepted_tce_equal, "entity_id": p.entity_id}
            tally.count(audited_upsert(
                s, ws.actor, existing.get(p.code), values,
                create=lambda p=p, values=values: Project(  # type: ignore[misc]
                    district_id=d.id, code=p.code, created_by=ws.actor, **values),
                object_type="project", key=p.code, district_id=d.id,
                context={"source": f"{path.name} line {p.line}"}, log=audit))
    return tally


def import_project_energy(ws: Workspace, path: Path, *, district: str | None = None) -> Tally:
    """Import designed energy rows (one per project and carrier); idempotent, audit-logged."""
    d = ws.district(district)
    specs = read_energy_file(path)
    tally = Tally()
    with ws.registry.session() as s:
        projects = {p.code: p for p in repo.district_projects(s, d.id)}
        errors = [RowError(path.name, e.line, "project_code", e.project_code,
                           msg("intake.project.unknown_project", code=e.project_code))
                  for e in specs if e.project_code not in projects]
        if errors:
            raise InputValidationError(errors)
        ids = [p.id for p in projects.values()]
        existing = {(ln.project_id, ln.carrier): ln
                    for ln in repo.energy_lines_of_projects(s, ids)}
        for e in specs:
            pid = projects[e.project_code].id
            values = {"annual_quantity": e.annual_quantity, "unit": e.unit,
                      "quantity": e.quantity, "existing_quantity": e.existing_quantity,
                      "feedstock": e.feedstock}
            tally.count(audited_upsert(
                s, ws.actor, existing.get((pid, e.carrier)), values,
                create=lambda pid=pid, e=e, values=values: ProjectEnergyLine(  # type: ignore[misc]
                    project_id=pid, carrier=e.carrier, created_by=ws.actor, **values),
                object_type="project_energy", key=f"{e.project_code}:{e.carrier}",
                district_id=d.id, context={"source": f"{path.name} line {e.line}"}, log=audit))
    return tally


# -- figures ------------------------------------------------------------------------------------
def _load(ws: Workspace, d: District, view: ProjectView
          ) -> list[tuple[Project, list[ProjectEnergyLine]]]:
    with ws.registry.session() as s:
        projects = [p for p in repo.district_projects_by_code(s, d.id) if view.sees(p)]
        lines: dict[int, list[ProjectEnergyLine]] = {}
        for ln in repo.energy_lines_of_projects(s, [p.id for p in projects]):
            lines.setdefault(ln.project_id, []).append(ln)
        s.expunge_all()
    return [(p, lines.get(p.id, [])) for p in projects]


def _default_year() -> int:
    return dt.datetime.now(dt.UTC).year + 1


@dataclass
class _Base:
    """The district's budgets and base use, per year asked."""

    budgets: dict[tuple[int, str], float]
    #: (year, value, source: its message, or an old plain text)
    energy: tuple[int, float, Message | str] | None
    co2: tuple[int, float, Message | str] | None
    #: year -> (energy tce, GDP 10^4 CNY comparable), statistics basis only
    statistics: dict[int, tuple[float, float]] = field(default_factory=dict)
    price_base_year: int | None = None
    #: the energy_per_gdp targets: (code, kind, baseline year, baseline, value, target year)
    targets: list[tuple[str, str, int, float | None, float, int]] = field(
        default_factory=list)


def _base(ws: Workspace, d: District) -> _Base:
    with ws.registry.session() as s:
        budgets = {(b.year, b.metric): b.budget for b in repo.district_budgets(s, d.id)}
        targets = [(t.code, t.kind, t.baseline_year or 2020, t.baseline_value,
                    float(t.target_value or 0.0), int(t.target_year or 0))
                   for t in repo.energy_per_gdp_targets(s, d.id)]
    series = district_series(ws, d)
    stats: dict[int, tuple[float, float]] = {}
    if not series.empty:
        for y, r in series.iterrows():
            e, g = finite(r["energy_tce"]), finite(r["gdp_10k_cny"])
            if r["energy_basis"] == STATISTICS and e is not None and g is not None and g > 0:
                stats[int(str(y))] = (e, g)

    def latest(col: str, src: str) -> tuple[int, float, Message | str] | None:
        if series.empty:
            return None
        vals = series[col].dropna()
        if vals.empty:
            return None
        y = vals.index[-1]
        source = series[src].get(y)
        return int(str(y)), float(vals.iloc[-1]), loads(source) or stored_text(source) or ""
    return _Base(budgets, latest("energy_tce", "energy_source"), latest("co2_t", "co2_source"),
                 stats, series.attrs.get("gdp_price_base_year"), targets)


def _path(base: _Base, year: int) -> tuple[str, float] | None:
    """The energy_per_gdp target's path value of ``year`` (the first target whose year is not
    before it, else the last): baseline stated, else the statistics' of the baseline year."""
    if not base.targets:
        return None
    code, kind, by, bv, value, ty = next((t for t in base.targets if t[5] >= year),
                                         base.targets[-1])
    if bv is None and by in base.statistics:
        e, g = base.statistics[by]
        bv = e / g
    if bv is None or bv <= 0 or ty <= by:
        return None
    if kind == TargetKind.REDUCTION_VS_BASELINE:
        if value >= 100:
            return None
        pv = intensity_path(baseline=bv, baseline_year=by, target_year=ty, year=year,
                            reduction_pct=value)
    else:
        pv = intensity_path(baseline=bv, baseline_year=by, target_year=ty, year=year,
                            target=value)
    return code, pv


def intensity_row(row: dict[str, Any], base: _Base) -> dict[str, Any]:
    """The project's effect on the district's energy per unit GDP in its first full year
    (statistics basis); a ``note`` (code and params) when it cannot be computed."""
    y = int(row["first_full_year"])
    out: dict[str, Any] = {"year": y, "basis": STATISTICS,
                           "gdp_price_base_year": base.price_base_year,
                           "statistics_year": None,
                           "district_tce": None, "district_gdp_10k_cny": None,
                           "project_tce_equal": row["tce_equal"],
                           "project_value_added_10k_cny": row["value_added_10k_cny"],
                           "without": None, "with_project": None, "change_pct": None,
                           "path_value": None, "target_code": None,
                           "without_vs_path_pct": None, "with_vs_path_pct": None, "notes": []}
    path = _path(base, y)
    if path is None:
        out["notes"].append({"code": "projects.intensity.no_target", "params": {"year": y}})
    else:
        out["target_code"], out["path_value"] = path
    # the year's statistics; for a year not yet published (a project under review), the
    # latest published year before it, said in a note (never the account basis instead)
    known = [k for k in base.statistics if k <= y]
    if not known:
        out["notes"].append({"code": "projects.intensity.no_statistics",
                             "params": {"year": y}})
        return out
    out["statistics_year"] = latest = max(known)
    if latest != y:
        out["notes"].append({"code": "projects.intensity.latest_statistics",
                             "params": {"year": y, "statistics_year": latest}})
    e, g = base.statistics[latest]
    eff = intensity_effect(IntensityInputs(
        y, e, g, float(row["tce_equal"]), float(row["value_added_10k_cny"] or 0.0),
        out["path_value"]))
    out.update(district_tce=e, district_gdp_10k_cny=g, without=eff.without,
               with_project=eff.with_project, change_pct=eff.change_pct,
               without_vs_path_pct=eff.without_vs_path_pct,
               with_vs_path_pct=eff.with_vs_path_pct)
    return out


def _figures(d: District, p: Project, lines: Sequence[ProjectEnergyLine],
             factors: dict[int, Any], ws: Workspace) -> dict[str, Any]:
    year = p.first_full_year or _default_year()
    if year not in factors:
        factors[year] = district_factors(ws, d, year, ["electricity", "natural_gas", "heat",
                                                       "diesel", "gasoline", "fuel_oil", "lpg",
                                                       "kerosene"])
    energy = project_energy([EnergyLine(ln.carrier, ln.quantity, ln.existing_quantity,
                                        ln.feedstock) for ln in lines], factors[year], p.kind)
    r = route(energy.counted_tce_equivalent, energy.counted_electricity_kwh,
              routing_table(d.province))
    th = two_high(p.sector_code, two_high_sectors(d))
    return {
        "project_code": p.code, "name": p.name, "street": p.street, "developer": p.developer,
        "sector_code": p.sector_code, "kind": p.kind, "stage": p.stage,
        "value_added_10k_cny": p.value_added_10k_cny, "new_capacity": p.new_capacity,
        "renewable_measures": list(p.renewable_measures or []),
        "first_full_year": year, "entity_id": p.entity_id,
        "tce_equivalent": energy.tce_equivalent, "tce_equal": energy.tce_equal,
        "tco2": energy.tco2, "electricity_kwh": energy.electricity_kwh,
        "counted_tce_equivalent": energy.counted_tce_equivalent,
        "reviewed_tce_equal": p.reviewed_tce_equal, "accepted_tce_equal": p.accepted_tce_equal,
        "review_level": str(r.level), "review_region": r.region,
        "review_rule_source": r.source, "review_rule_status": r.status,
        "two_high": th is not None, "two_high_sector": th.prefix if th else None,
        "two_high_source": th.source if th else None,
        "two_high_status": th.status if th else None,
        "carriers": [{"carrier": ln.carrier, "annual_quantity": ln.annual_quantity,
                      "unit": ln.unit, "existing_quantity": ln.existing_quantity,
                      "feedstock": ln.feedstock} for ln in lines],
    }


def _share(row: dict[str, Any], base: _Base) -> None:
    y = row["first_full_year"]
    for key, metric, col, fig in (("budget_share", BudgetMetric.ENERGY_TCE, "tce_equal",
                                   base.energy),
                                  ("co2_budget_share", BudgetMetric.TCO2, "tco2", base.co2)):
        b = base.budgets.get((y, metric))
        row[key] = None
        if b is None or fig is None:
            continue
        row[key] = budget_impact(row[col], b, fig[1], []).share


def project_rows(ws: Workspace, *, district: str | None = None,
                 principal: Principal | None = None) -> list[dict[str, Any]]:
    """Every visible project with its figures, review level, 两高 flag and budget shares
    (``budget_share``: of the remaining energy budget of its first full year, equal value)."""
    d = ws.district(district)
    view = project_view(principal)
    loaded = _load(ws, d, view)
    base = _base(ws, d) if loaded else _Base({}, None, None)
    factors: dict[int, Any] = {}
    out = []
    for p, lines in loaded:
        row = _figures(d, p, lines, factors, ws)
        _share(row, base)
        row["intensity"] = intensity_row(row, base)
        out.append(row)
    return out


def one_project(ws: Workspace, code: str, *, district: str | None = None,
                principal: Principal | None = None) -> dict[str, Any]:
    """One visible project (an unknown one and one not visible are the same: not found)."""
    for row in project_rows(ws, district=district, principal=principal):
        if row["project_code"] == code:
            return row
    msg_ = f"no project {code!r}"
    raise NotFoundError(msg_)


# -- the pipeline -------------------------------------------------------------------------------
@dataclass
class Pipeline:
    """Approved projects not yet operating against the remaining budget of ``year``."""

    district: str
    year: int
    budget: float | None
    base_use: float | None
    base_year: int | None
    remaining: float | None
    pipeline_tce: float
    headroom: float | None
    exceeds: bool
    projects: list[dict[str, Any]]
    warning: str | None = None
    messages: list[Message] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (the notes in English)."""
        out = asdict(self)
        del out["messages"]
        return {**out, "notes": [render(m, "en") for m in self.messages]}


def pipeline(ws: Workspace, *, district: str | None = None, year: int | None = None,
             store_warning: bool = True) -> Pipeline:
    """The pipeline's energy (reviewed use, else designed; tce equal value) against the
    headroom of ``year`` (default: the latest district energy budget's year); stores or
    clears the pipeline warning."""
    d = ws.district(district)
    rows = project_rows(ws, district=d.id)
    base = _base(ws, d)
    years = sorted(y for (y, m) in base.budgets if m == BudgetMetric.ENERGY_TCE)
    y = year or (years[-1] if years else _default_year())
    pipe = [r for r in rows if r["stage"] in PIPELINE_STAGES]
    uses = [r["reviewed_tce_equal"] if r["reviewed_tce_equal"] is not None else r["tce_equal"]
            for r in pipe]
    items = [{"project_code": r["project_code"], "name": r["name"], "stage": r["stage"],
              "review_level": r["review_level"], "tce_equal": u, "two_high": r["two_high"],
              "intensity": r["intensity"]}
             for r, u in zip(pipe, uses, strict=True)]
    notes: list[Message] = []
    budget = base.budgets.get((y, BudgetMetric.ENERGY_TCE))
    if budget is None:
        notes.append(msg("projects.note.no_budget", year=y))
    if base.energy is None:
        notes.append(msg("projects.note.no_base_use"))
    else:
        notes.append(msg("projects.note.base_use", year=base.energy[0],
                         value=round(base.energy[1], 1),
                         source=base.energy[2]))
    if budget is None or base.energy is None:
        return Pipeline(d.id, y, budget, base.energy[1] if base.energy else None,
                        base.energy[0] if base.energy else None, None, float(sum(uses)), None,
                        False, items, messages=notes)
    imp = budget_impact(0.0, budget, base.energy[1], uses)
    out = Pipeline(d.id, y, budget, base.energy[1], base.energy[0], imp.remaining,
                   imp.pipeline, imp.headroom_after_pipeline, imp.pipeline_exceeds_headroom,
                   items, messages=notes)
    if store_warning:
        out.warning = _store_warning(ws, d, out)
    return out


def _store_warning(ws: Workspace, d: District, pl: Pipeline) -> str | None:
    """Raise (red) or clear (green) the district's pipeline warning for the year; an event is
    recorded only when the level or figures change."""
    level = WarningLevel.RED if pl.exceeds else WarningLevel.GREEN
    assert pl.budget is not None
    assert pl.base_use is not None
    assert pl.remaining is not None
    projected = pl.base_use + pl.pipeline_tce
    vals: dict[str, Any] = {
        "level": str(level), "projected": projected, "budget": pl.budget,
        "ratio": projected / pl.budget if pl.budget else None, "months_elapsed": 0,
        "reason": msg("projects.warning.pipeline_over_headroom", year=pl.year,
                      pipeline=round(pl.pipeline_tce, 1), remaining=round(pl.remaining, 1)),
        "account_run_id": None}
    now = utcnow()
    with ws.registry.session() as s:
        w = repo.pipeline_warning(s, d.id, pl.year, PIPELINE_WARNING_SCOPE)

        if w is None and not pl.exceeds:
            return None
        previous = w.level if w is not None else None
        if w is not None and w.level == vals["level"] and w.projected is not None \
                and abs(w.projected - projected) < 1e-6 and w.budget == pl.budget:
            return str(w.level)
        if w is None:
            w = EarlyWarning(district_id=d.id, year=pl.year, metric=BudgetMetric.ENERGY_TCE,
                             scope_type=ScopeType.DISTRICT, scope_id=PIPELINE_WARNING_SCOPE,
                             scope_name="已批未投产项目", street_id=None, first_raised_at=now,
                             updated_at=now, **vals)
            s.add(w)
            s.flush()
        else:
            for k, v in vals.items():
                setattr(w, k, v)
            w.updated_at = now
        s.add(WarningEvent(warning_id=w.id, at=now, previous_level=previous, **{
            k: vals[k] for k in ("level", "projected", "budget", "ratio", "months_elapsed",
                                 "reason", "account_run_id")}))
        audit(s, ws.actor, "evaluate_pipeline", "warning", f"{pl.year}:{PIPELINE_WARNING_SCOPE}",
              {"level": vals["level"], "pipeline_tce": pl.pipeline_tce,
               "remaining_tce": pl.remaining, "headroom_tce": pl.headroom}, district=d.id)
    return str(level)


# -- acceptance and operation -------------------------------------------------------------
def operation(ws: Workspace, *, district: str | None = None,
              margin: float = DEFAULT_OVERUSE_MARGIN,
              principal: Principal | None = None) -> list[dict[str, Any]]:
    """Designed, reviewed, accepted and metered use (tce, equal value) of every visible
    project linked to an entity; ``over_reviewed`` when the metered use of the first full year
    exceeds reviewed × (1 + ``margin``). Metered use is the official account's (entity year,
    purchased energy); none without an official account of that year."""
    d = ws.district(district)
    out = []
    runs: dict[int, Any] = {}
    for row in project_rows(ws, district=d.id, principal=principal):
        if not row["entity_id"]:
            continue
        y = row["first_full_year"]
        if y not in runs:
            with ws.registry.session() as s:
                run = official_run(s, d.id, y)
                if run is not None:
                    s.expunge(run)
            runs[y] = load_run_tables(ws, run, ["inventory_entity_year"]) if run else None
        metered = None
        t = runs[y]
        if t is not None:
            ey = t["inventory_entity_year"]
            sel = ey[(ey["entity_id"] == row["entity_id"]) & ey["scope"].isin(["1", "2"])]
            metered = finite(float(sel["tce_equal"].sum())) if len(sel) else None
        reviewed = row["reviewed_tce_equal"] if row["reviewed_tce_equal"] is not None \
            else row["tce_equal"]
        out.append({"project_code": row["project_code"], "entity_id": row["entity_id"],
                    "year": y, "designed_tce_equal": row["tce_equal"],
                    "reviewed_tce_equal": reviewed,
                    "accepted_tce_equal": row["accepted_tce_equal"],
                    "metered_tce_equal": metered, "margin": margin,
                    "over_reviewed": bool(metered is not None
                                          and over_reviewed_use(metered, reviewed, margin))})
    return out
