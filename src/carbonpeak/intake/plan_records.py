"""Plan inputs into the registry: target catalogues, observations, budgets, sector statistics.

中文：目标清单、目标观测值、预算与分行业增加值入库（批次、审计日志、重复提交不改变任何数据）。

Called by :func:`carbonpeak.intake.imports.import_file` for the kinds in
:data:`PLAN_KINDS`. Every insert and change is audit-logged with the batch; a row equal to
what is stored changes nothing, so re-sending a file is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake import plan_files
from carbonpeak.intake.batches import BatchResult, Tally, audited_upsert, close_batch, new_batch
from carbonpeak.storage.registry.models import (
    Budget,
    District,
    Entity,
    IngestBatch,
    SectorStatistics,
    Target,
    TargetObservation,
)
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import audit
from carbonpeak.vocabulary import PLAN_KINDS, BudgetMethod

if TYPE_CHECKING:
    from carbonpeak.intake.formats.csvfiles import ParsedFile
    from carbonpeak.storage.workspace import Workspace

__all__ = ["PLAN_KINDS", "import_plan_records", "resolve_scope"]


_TARGET_FIELDS = ("section", "indicator_zh", "indicator_en", "kind", "metric", "baseline_year",
                  "baseline_value", "target_year", "target_value", "target_text", "unit",
                  "comparator", "period", "responsible_units", "quote", "notes")


def resolve_scope(s: Session, district: District, scope_type: str, ref: str) -> str | None:
    """The stored scope id of a street (its code, from name/code/Chinese name) or an entity.

    Returns ``None`` when ``ref`` names nothing in the district; the district's own scope id is
    its code.
    """
    if scope_type == "district":
        return district.id
    if scope_type == "street":
        for st in repo.streets_of_district(s, district.id):
            if ref in (st.code, st.name_zh, st.name_en, st.name_zh.removesuffix("街道")):
                return st.code
        return None
    e = s.get(Entity, ref)
    return e.id if e is not None and e.district_id == district.id else None


def import_plan_records(ws: Workspace, district: District, kind: str, pf: ParsedFile,
                        digest: str, rejections: Sequence[RowError] = (), *,
                        on_batch: Callable[[Session, IngestBatch], None] | None = None,
                        dry_run: bool = False) -> BatchResult:
    """Validate ``pf`` as ``kind``, check its references, and store it as one batch.

    Raises
    ------
    InputValidationError
        Rows that fail validation or name an unknown target, street or entity; nothing is
        stored.
    """
    if kind == "targets":
        recs = plan_files.parse_targets(pf, district=district.id)
    elif kind == "observations":
        recs = plan_files.parse_observations(pf)
    elif kind == "budgets":
        recs = plan_files.parse_budgets(pf)
    else:
        recs = plan_files.parse_sector_statistics(pf)
    with ws.registry.session() as s:
        errors: list[RowError] = []
        if kind in ("targets", "budgets"):
            _resolve_scopes(s, district, pf.name, recs, errors)
        elif kind == "observations":
            _resolve_targets(s, district, pf.name, recs, errors)
        if errors:
            raise InputValidationError(errors)
        if dry_run:  # validated, nothing stored
            return BatchResult(kind, pf.name, None, "validated", rows_in=len(recs),
                               added=len(recs))
        batch = new_batch(s, ws, district.id, kind, pf.name, digest, rows_in=len(recs),
                          rejections=rejections)
        if on_batch is not None:
            on_batch(s, batch)
        counts = Tally()
        store = {"targets": _store_target, "observations": _store_observation,
                 "budgets": _store_budget, "sector_statistics": _store_sector}[kind]
        for rec in recs:
            store(s, ws.actor, district, batch, rec, counts)
        return close_batch(s, ws, batch, counts)


def _resolve_scopes(s: Session, d: District, name: str, recs: list[dict[str, Any]],
                    errors: list[RowError]) -> None:
    for r in recs:
        sid = resolve_scope(s, d, r["scope_type"], r["scope_ref"])
        if sid is None:
            errors.append(RowError(name, r["_line"], "scope_id", r["scope_ref"],
                                   msg("intake.plan.no_scope", district=d.id,
                                       scope_type=msg(f"intake.plan.scope.{r['scope_type']}"))))
        r["scope_id"] = sid


def _resolve_targets(s: Session, d: District, name: str, recs: list[dict[str, Any]],
                     errors: list[RowError]) -> None:
    targets = repo.targets_of_district(s, d.id)
    by_code: dict[str, list[Target]] = {}
    for t in targets:
        by_code.setdefault(t.code, []).append(t)
    for r in recs:
        found = by_code.get(r["code"], [])
        if r["scope_ref"]:
            found = [t for t in found if r["scope_ref"] == t.scope_id]
        if not found:
            errors.append(RowError(name, r["_line"], "target_id", r["code"],
                                   msg("intake.plan.no_target", district=d.id)))
        elif len(found) > 1:
            errors.append(RowError(name, r["_line"], "scope_id", r["scope_ref"],
                                   msg("intake.plan.several_scopes", code=r["code"])))
        else:
            r["target_id"] = found[0].id


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [getattr(obj, k), v] for k, v in values.items() if getattr(obj, k) != v}


def _store_target(s: Session, actor: str, d: District, batch: IngestBatch,
                  rec: dict[str, Any], counts: Tally) -> None:
    values = {k: rec[k] for k in _TARGET_FIELDS}
    values["source"] = f"{batch.source_name} line {rec['_line']} (batch {batch.id})"
    obj = repo.target_of_scope(s, d.id, rec["code"], rec["scope_type"], rec["scope_id"])
    key = f"{rec['code']}@{rec['scope_type']}:{rec['scope_id']}"
    if obj is None:
        s.add(Target(district_id=d.id, code=rec["code"], scope_type=rec["scope_type"],
                     scope_id=rec["scope_id"], **values))
        audit(s, actor, "create", "target", key, {k: v for k, v in values.items()
                                                  if k != "quote"} | {"batch": batch.id},
              district=d.id)
        counts.count("added")
        return
    changes = _changes(obj, {k: v for k, v in values.items() if k != "source"})
    if not changes:
        counts.count("unchanged")
        return
    for k, v in values.items():
        setattr(obj, k, v)
    audit(s, actor, "update", "target", key, {"changes": changes, "batch": batch.id}, district=d.id)
    counts.count("updated")


def _store_observation(s: Session, actor: str, d: District, batch: IngestBatch,
                       rec: dict[str, Any], counts: Tally) -> None:
    obj = repo.target_observation_of(s, rec["target_id"], rec["observed_on"])
    key = f"{rec['code']}@{rec['observed_on']}"
    values = {"value": rec["value"], "source": rec["source"]}
    counts.count(audited_upsert(
        s, actor, obj, values, object_type="target_observation", key=key, district_id=d.id,
        create=lambda: TargetObservation(target_id=rec["target_id"],
                                         observed_on=rec["observed_on"], batch_id=batch.id,
                                         actor=actor, **values),
        context={"batch": batch.id}, on_change={"batch_id": batch.id, "actor": actor}))


def _store_budget(s: Session, actor: str, d: District, batch: IngestBatch,
                  rec: dict[str, Any], counts: Tally) -> None:
    store_budget(s, actor, d.id, year=rec["year"], metric=rec["metric"],
                 scope_type=rec["scope_type"], scope_id=rec["scope_id"], budget=rec["budget"],
                 method=BudgetMethod.MANUAL, intensity_target=rec["intensity_target"],
                 basis={"file": batch.source_name, "line": rec["_line"], "batch": batch.id},
                 counts=counts)


def store_budget(s: Session, actor: str, district_id: str, *, year: int, metric: str,
                 scope_type: str, scope_id: str, budget: float, method: str,
                 intensity_target: float | None, basis: dict[str, Any],
                 counts: Tally | None = None) -> Budget:
    """Insert or update one budget; audit-log the change; leave an equal budget alone."""
    obj = repo.budget_of(s, district_id, year, metric, scope_type, scope_id)
    key = f"{year}/{metric}/{scope_type}:{scope_id}"
    values = {"budget": budget, "method": method, "intensity_target": intensity_target}
    made: list[Budget] = []

    def create() -> Budget:
        made.append(Budget(district_id=district_id, year=year, metric=metric,
                           scope_type=scope_type, scope_id=scope_id, basis=basis, actor=actor,
                           **values))
        return made[0]

    outcome = audited_upsert(s, actor, obj, values, create=create, object_type="budget",
                             key=key, district_id=district_id, context={"basis": basis},
                             on_change={"basis": basis, "actor": actor})
    if counts is not None:
        counts.count(outcome)
    stored = made[0] if made else obj
    assert stored is not None
    return stored


def _store_sector(s: Session, actor: str, d: District, batch: IngestBatch,
                  rec: dict[str, Any], counts: Tally) -> None:
    obj = repo.sector_statistics_of(s, d.id, rec["year"], rec["sector"])
    key = f"{rec['year']}/{rec['sector']}"
    counts.count(audited_upsert(
        s, actor, obj, {"value_added_10k_cny": rec["value_added_10k_cny"]},
        object_type="sector_statistics", key=key, district_id=d.id,
        create=lambda: SectorStatistics(district_id=d.id, year=rec["year"],
                                        sector=rec["sector"],
                                        value_added_10k_cny=rec["value_added_10k_cny"],
                                        batch_id=batch.id),
        context={"batch": batch.id}, on_change={"batch_id": batch.id}))
