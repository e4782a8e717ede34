"""Public-building benchmarking, quotas, disclosure and the quota workflow.

中文：公共建筑能耗对标、能耗限额、能效公示与超限额整改流程。

Figures come from the official account of the year (``eui_building_year`` and
``inventory_entity_year`` of the run): nothing is recomputed differently from ``carbonpeak
account``. A building's class in a quota table is the one the district assigned
(``carbonpeak quotas classify``), else the table's default class for its building type, marked
``default`` so that nobody mistakes an assumption for an assignment. Every row of the result
carries the quota row's status: the shipped tables are *unverified* until an admin loads a
checked one.

The district's own distribution (rank and floor-area-weighted percentile within building
type, on kgce/m² at equal value) is computed over all the district's buildings with a figure,
whatever the table, and then cut to the reader's scope.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbonpeak import i18n
from carbonpeak.domain.benchmarking import (
    area_weighted_percentile,
    convention_eui,
    rank_within,
    rate,
    reduction_required,
    review_case,
)
from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Lang, label, label_text, render
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.intake.quota_files import decode_text
from carbonpeak.services.access.disclosure import (
    SUPPRESSED,
    entity_respondents,
    min_entities,
    percentile_disclosed,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.accounting.verifications import (
    VerificationIndex,
    current_verifications,
    derived_status,
    quota_target,
    quota_values,
)
from carbonpeak.storage.registry.models import (
    AccountRun,
    District,
    EntityQuotaClass,
    QuotaCase,
    QuotaRowRecord,
    QuotaTableRecord,
)
from carbonpeak.storage.registry.repositories import buildings as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import QuotaCaseStatus, QuotaClassSource, QuotaStatus, VerifiedKind

__all__ = [
    "BENCHMARK_COLUMNS",
    "DEFAULT_TABLE",
    "Benchmark",
    "benchmark",
    "case_dict",
    "classify",
    "disclosure_workbook",
    "list_cases",
    "notify_cases",
    "open_cases",
    "quota_table",
    "quota_tables",
    "review_cases",
]

DEFAULT_TABLE = "gbt51161-2016"
PURCHASED = ("1", "2")
BENCHMARK_COLUMNS = [
    "entity_id", "name", "street", "building_type", "floor_area_m2", "coverage",
    "tce_equal", "electricity_kwh", "other_kgce", "eui_kgce_per_m2_equal",
    "rank_in_type", "n_in_type", "area_percentile_in_type", "suppressed",
    "quota_class", "quota_label_zh", "quota_label_en", "class_source", "convention", "eui",
    "eui_unit", "constraint_value", "guide_value", "rating", "rating_zh", "rating_en",
    "excess_fraction", "reduction_per_m2", "reduction_required", "quota_status",
    "quota_source", "quota_managed",
]


@dataclass
class Benchmark:
    """A district's buildings against one quota table in one year."""

    district_id: str
    district_name: str
    year: int
    table_id: str
    table_version: int
    account_run_id: int
    factor_set: str
    frame: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Buildings per rating."""
        return {str(k): int(v)
                for k, v in self.frame["rating"].value_counts().sort_index().items()}

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-safe dicts (NaN → None)."""
        df = self.frame[BENCHMARK_COLUMNS].astype(object)
        return [{str(k): (None if isinstance(v, float) and not np.isfinite(v) else v)
                 for k, v in r.items()} for r in df.where(df.notna(), None).to_dict("records")]


# -- quota tables ----------------------------------------------------------------------------
def _latest(s: Any, table_id: str, version: int | None = None) -> QuotaTableRecord:
    rec = repo.latest_quota_table(s, table_id, version=version)
    if rec is None:
        known = repo.quota_table_ids(s)
        msg = (f"no quota table {table_id!r}" + (f" version {version}" if version else "")
               + f"; loaded: {', '.join(known) or 'none (carbonpeak init loads the shipped ones)'}")
        raise NotFoundError(msg)
    return rec


def _row_dict(r: QuotaRowRecord, index: VerificationIndex) -> dict[str, Any]:
    """A quota row, its status derived from the current verifications."""
    out = {c: getattr(r, c) for c in (
        "region", "quota_class", "label_zh", "label_en", "default_for", "metric", "convention",
        "electricity_kgce_per_kwh", "exclude_carriers", "constraint_value", "guide_value",
        "unit", "status", "source", "note")}
    target = quota_target(r.table.table_id, r.region, r.quota_class)
    out["status"] = derived_status(index, VerifiedKind.QUOTA_ROW, target, r.status,
                                   quota_values(r))
    out["verification_target"] = target
    v = index.get((VerifiedKind.QUOTA_ROW.value, target))
    out["verification"] = v if out["status"] == "verified" and v is not None else None
    return out


def quota_tables(ws: Workspace) -> list[dict[str, Any]]:
    """The newest version of every loaded quota table, with its rows' statuses."""
    with ws.registry.session() as s:
        ids = repo.quota_table_ids(s)
        out = []
        index = current_verifications(s)
        for tid in ids:
            rec = _latest(s, tid)
            statuses: dict[str, int] = {}
            for r in rec.rows:
                st = _row_dict(r, index)["status"]
                statuses[st] = statuses.get(st, 0) + 1
            out.append({"table_id": tid, "version": rec.version, "rows": len(rec.rows),
                        "regions": sorted({r.region for r in rec.rows}),
                        "statuses": statuses, "origin": rec.origin,
                        "loaded_by": rec.loaded_by, "loaded_at": rec.loaded_at})
        return out


def quota_table(ws: Workspace, table_id: str, version: int | None = None) -> dict[str, Any]:
    """One quota table (newest version unless ``version``) with all its rows."""
    with ws.registry.session() as s:
        rec = _latest(s, table_id, version)
        index = current_verifications(s)
        return {"table_id": rec.table_id, "version": rec.version, "checksum": rec.checksum,
                "origin": rec.origin, "loaded_by": rec.loaded_by, "loaded_at": rec.loaded_at,
                "rows": [_row_dict(r, index) for r in rec.rows]}


def _regions(d: District) -> set[str]:
    return {x for x in (d.climate_zone, d.province, d.id) if x}


def _applicable_rows(rec: QuotaTableRecord, d: District,
                     index: VerificationIndex) -> pd.DataFrame:
    """The table's rows for the district: a class (and a type's default) from the most
    specific region that has it — the district itself, then its province, then its climate
    zone."""
    order = {x: i for i, x in enumerate((d.id, d.province, d.climate_zone)) if x}
    rows = pd.DataFrame([_row_dict(r, index) for r in rec.rows if r.region in order])
    if rows.empty:
        return rows
    rows["_rank"] = rows["region"].map(order)
    rows = rows.sort_values("_rank", kind="stable").drop_duplicates("quota_class")
    dup_default = rows["default_for"].ne("") & rows.duplicated("default_for")
    rows.loc[dup_default, "default_for"] = ""
    return rows.drop(columns="_rank").reset_index(drop=True)


def classify(ws: Workspace, district_id: str, path: Path) -> dict[str, int]:
    """Assign buildings to quota classes from a CSV (``entity_id,table_id,quota_class[,source]``).

    All or nothing: every unknown entity, table or class (for the district's region) is named
    by line and column. Re-sending the same file changes nothing; each change is audit-logged.
    """
    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                                     i18n_msg("intake.file.not_found"))])
    reader = csv.DictReader(io.StringIO(decode_text(path)))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("entity_id", "table_id", "quota_class") if c not in header]
    if missing:
        raise InputValidationError([RowError(name, 1, c, None,
                                             i18n_msg("intake.quota.column_missing"))
                                    for c in missing])
    errors: list[RowError] = []
    wanted: dict[tuple[str, str], tuple[str, str, int]] = {}
    with ws.registry.session() as s:
        d = s.get(District, district_id)
        if d is None:
            raise NotFoundError(district_id)
        regions = _regions(d)
        entities = repo.district_entity_ids(s, district_id)
        classes: dict[str, set[str]] = {}
        for line, raw in enumerate(reader, start=2):
            r = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            if r["entity_id"] not in entities:
                errors.append(RowError(name, line, "entity_id", r["entity_id"],
                                       i18n_msg("intake.quota.no_entity")))
            tid = r["table_id"]
            if tid not in classes:
                try:
                    rec = _latest(s, tid)
                    classes[tid] = {x.quota_class for x in rec.rows if x.region in regions}
                except NotFoundError:
                    classes[tid] = set()
                    errors.append(RowError(name, line, "table_id", tid,
                                           i18n_msg("intake.quota.no_table")))
                    continue
            if classes[tid] and r["quota_class"] not in classes[tid]:
                errors.append(RowError(name, line, "quota_class", r["quota_class"],
                                       i18n_msg("intake.quota.not_a_class", table=tid)))
            key = (r["entity_id"], tid)
            if key in wanted:
                errors.append(RowError(name, line, "entity_id", r["entity_id"],
                                       i18n_msg("intake.quota.classified_twice",
                                                line=wanted[key][2])))
            wanted.setdefault(key, (r["quota_class"], r.get("source", ""), line))
        if errors:
            raise InputValidationError(errors)
        counts = {"created": 0, "changed": 0, "unchanged": 0}
        existing = {(x.entity_id, x.table_id): x for x in repo.quota_classes_of(
            s, sorted({k[0] for k in wanted}))}
        for (eid, tid), (cls, source, _) in wanted.items():
            cur = existing.get((eid, tid))
            if cur is not None and cur.quota_class == cls and cur.source == source:
                counts["unchanged"] += 1
                continue
            before = None if cur is None else cur.quota_class
            if cur is None:
                s.add(EntityQuotaClass(entity_id=eid, table_id=tid, quota_class=cls,
                                       source=source, set_by=ws.actor))
                counts["created"] += 1
            else:
                cur.quota_class, cur.source, cur.set_by = cls, source, ws.actor
                cur.set_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                counts["changed"] += 1
            audit(s, ws.actor, "classify", "entity_quota_class", f"{eid}/{tid}",
                  {"quota_class": cls, "previous": before, "source": source, "file": name},
                  district=district_id)
        return counts


# -- the benchmark ---------------------------------------------------------------------------
def _account(ws: Workspace, district_id: str, year: int) -> tuple[AccountRun, dict[str, Any]]:
    with ws.registry.session() as s:
        run = official_run(s, district_id, year)
        if run is None:
            msg = (f"no official account of {district_id} for {year}; run "
                   f"`carbonpeak account --year {year}` first")
            raise NotFoundError(msg)
        s.expunge(run)
    return run, load_run_tables(ws, run, ["inventory_entity_year", "eui_building_year"])


def benchmark(ws: Workspace, district_id: str, year: int, *, table_id: str | None = None,
              scope: AccessScope | None = None, min_coverage: float = 0.9) -> Benchmark:
    """Every building of the district (within ``scope``) against a quota table in ``year``."""
    table_id = table_id or DEFAULT_TABLE
    run, tables = _account(ws, district_id, year)
    with ws.registry.session() as s:
        d = s.get(District, district_id)
        if d is None:
            raise NotFoundError(district_id)
        district_name = d.name_zh
        n_min = min_entities(d)
        # a district may put only its larger buildings under quota management (Tianhe:
        # >= 5 GWh of electricity a year); the others are rated for information only
        managed_from = (d.profile or {}).get("quota_electricity_kwh")
        rec = _latest(s, table_id)
        rows = _applicable_rows(rec, d, current_verifications(s))
        version = rec.version
        assigned: dict[str, str] = repo.assigned_quota_classes(s, district_id, table_id)
    b = tables["eui_building_year"].copy()
    inv = tables["inventory_entity_year"]
    purchased = inv[inv["scope"].isin(PURCHASED)]
    elec = purchased[purchased["carrier"] == "electricity"].groupby("entity_id")["quantity"].sum()
    b["electricity_kwh"] = b["entity_id"].map(elec)
    # a figure is a full year only when every purchased carrier is: the least-covered one
    # decides (the account's own coverage column is their mean)
    b["coverage"] = b["entity_id"].map(purchased.groupby("entity_id")["coverage"].min())
    # the district's own distribution: all buildings with a figure, then cut to the scope
    # (a part-year figure is left out of the distribution, as it is from the rating)
    full = (b["coverage"].to_numpy(dtype=float) >= min_coverage) & np.isfinite(
        b["electricity_kwh"].to_numpy(dtype=float))
    eq = np.where(full, b["eui_kgce_per_m2_equal"].to_numpy(dtype=float), np.nan)
    types = b["building_type"].fillna("other").to_numpy(dtype=object)
    b["rank_in_type"] = rank_within(eq, types)
    b["n_in_type"] = pd.Series(np.isfinite(eq), index=b.index).groupby(
        b["building_type"].fillna("other")).transform("sum")
    b["area_percentile_in_type"] = area_weighted_percentile(
        eq, b["floor_area_m2"].to_numpy(dtype=float), types)
    # quota class: assigned, else the table's default for the building type
    by_class = rows.set_index("quota_class") if len(rows) else pd.DataFrame()
    defaults = {r["default_for"]: r["quota_class"] for _, r in rows.iterrows()
                if r["default_for"]} if len(rows) else {}
    cls = b["entity_id"].map(assigned).astype(object)
    dflt = b["building_type"].map(defaults).astype(object)
    b["quota_class"] = cls.where(cls.notna(), dflt)
    b["class_source"] = pd.Series(None, index=b.index, dtype=object)
    b.loc[dflt.notna(), "class_source"] = QuotaClassSource.DEFAULT.value
    b.loc[cls.notna(), "class_source"] = QuotaClassSource.ASSIGNED.value

    def col(name: str) -> pd.Series:
        if by_class.empty or name not in by_class:
            return pd.Series(np.nan if name not in ("label_zh", "label_en", "convention",
                                                    "unit", "status", "source",
                                                    "exclude_carriers") else None,
                             index=b.index, dtype=object)
        return cast(pd.Series, b["quota_class"].map(by_class[name]))

    for name, out in (("label_zh", "quota_label_zh"), ("label_en", "quota_label_en"),
                      ("convention", "convention"), ("unit", "eui_unit"),
                      ("constraint_value", "constraint_value"), ("guide_value", "guide_value"),
                      ("status", "quota_status"), ("source", "quota_source"),
                      ("electricity_kgce_per_kwh", "electricity_kgce_per_kwh"),
                      ("exclude_carriers", "exclude_carriers")):
        b[out] = col(name)
    # other carriers at equivalent value, minus what each building's quota row excludes
    other = purchased[purchased["carrier"] != "electricity"]
    per_carrier = other.pivot_table(index="entity_id", columns="carrier",
                                    values="tce_equivalent", aggfunc="sum")
    kgce = np.zeros(len(b))
    for carrier in per_carrier.columns:
        vals = b["entity_id"].map(per_carrier[carrier]).fillna(0.0).to_numpy(dtype=float)
        excluded = b["exclude_carriers"].fillna("").map(
            lambda x, c=carrier: c in str(x).split(",")).to_numpy(dtype=bool)
        kgce += np.where(excluded, 0.0, vals * 1000.0)
    b["other_kgce"] = kgce
    b["eui"] = convention_eui(
        b["electricity_kwh"].to_numpy(dtype=float), kgce,
        b["floor_area_m2"].to_numpy(dtype=float),
        convention=b["convention"].fillna("").to_numpy(dtype=object),
        electricity_kgce_per_kwh=pd.to_numeric(b["electricity_kgce_per_kwh"]).to_numpy(
            dtype=float))
    lim = pd.to_numeric(b["constraint_value"]).to_numpy(dtype=float)
    guide = pd.to_numeric(b["guide_value"]).to_numpy(dtype=float)
    b["rating"] = rate(b["eui"].to_numpy(dtype=float), lim, guide,
                       coverage=b["coverage"].to_numpy(dtype=float), min_coverage=min_coverage)
    b["quota_managed"] = True if managed_from is None else (
        b["electricity_kwh"].fillna(0.0).to_numpy(dtype=float) >= float(managed_from))
    b["rating_zh"] = b["rating"].map(lambda r: label_text("quota_rating", r, "zh"))
    b["rating_en"] = b["rating"].map(lambda r: label_text("quota_rating", r, "en"))
    per_m2, total, frac = reduction_required(b["eui"].to_numpy(dtype=float), lim,
                                             b["floor_area_m2"].to_numpy(dtype=float))
    over = b["rating"].to_numpy() == "over_constraint"
    b["excess_fraction"] = np.where(over, frac, np.where(np.isfinite(frac), 0.0, np.nan))
    b["reduction_per_m2"] = np.where(over, per_m2, np.where(np.isfinite(per_m2), 0.0, np.nan))
    b["reduction_required"] = np.where(over, total, np.where(np.isfinite(total), 0.0, np.nan))
    b["suppressed"] = pd.Series(None, index=b.index, dtype=object)
    if scope is not None and not scope.everything:
        visible = _visible_ids(ws, scope)
        # small cells: a percentile that, with the viewer's own areas, gives the area of
        # fewer than N foreign buildings is not shown (services/access/disclosure.py)
        hide = hidden_percentiles(b["entity_id"].astype(str).to_numpy(dtype=object), eq,
                                  types, visible, n_min,
                                  entity_respondents(ws, district_id))
        b.loc[hide, "area_percentile_in_type"] = np.nan
        b.loc[hide, "suppressed"] = SUPPRESSED
        b = b[b["entity_id"].isin(visible)]
    b = b.sort_values(["building_type", "eui_kgce_per_m2_equal", "entity_id"],
                      na_position="last").reset_index(drop=True)
    return Benchmark(district_id=district_id, district_name=district_name, year=year,
                     table_id=table_id, table_version=version, account_run_id=run.id,
                     factor_set=str(b["factor_set"].iloc[0]) if len(b) else "", frame=b)


def hidden_percentiles(ids: npt.NDArray[np.object_], values: npt.NDArray[np.float64],
                       types: npt.NDArray[np.object_], own: set[str], n: int,
                       respondent: Mapping[str, str] | None = None,
                       ) -> npt.NDArray[np.bool_]:
    """Which rows' area percentiles a viewer owning ``own`` may not see: every own building
    of a type whose order has a run of 1..n-1 foreign buildings between (or beyond) the
    viewer's own (:func:`~carbonpeak.services.access.disclosure.percentile_disclosed`)."""
    hide = np.zeros(len(ids), dtype=bool)
    ok = np.isfinite(values)
    for t in set(types[ok].tolist()):
        rows = np.flatnonzero(ok & (types == t))
        order = [str(ids[i]) for i in rows[np.argsort(values[rows], kind="stable")]]
        if not percentile_disclosed(order, own, n, respondent):
            hide[rows] = True
    return hide


def _visible_ids(ws: Workspace, scope: AccessScope) -> set[str]:
    with ws.registry.session() as s:
        return set(repo.entity_ids_where(s, scope.entity_condition()))


# -- disclosure (能效公示) --------------------------------------------------------------------
#: the disclosure list's columns: heading code ``bench.col.<name>`` and the record's key
_DISCLOSURE: list[tuple[str, str | None]] = [
    ("no", None), ("name", "name"), ("street", "street"), ("building_type", "building_type"),
    ("floor_area_m2", "floor_area_m2"), ("tce_equal", "tce_equal"),
    ("eui_kgce_per_m2_equal", "eui_kgce_per_m2_equal"), ("rank_in_type", "rank_in_type"),
    ("n_in_type", "n_in_type"), ("area_percentile_in_type", "area_percentile_in_type"),
    ("quota_label", "quota_label"), ("class_source", "class_source"), ("eui", "eui"),
    ("eui_unit", "eui_unit"), ("constraint_value", "constraint_value"),
    ("guide_value", "guide_value"), ("rating", "rating"),
    ("excess_fraction", "excess_fraction"), ("quota_status", "quota_status"),
]
#: record keys whose value is a member of a closed list, shown by its label
_LABELLED = {"building_type": "building_type", "class_source": "quota_class_source",
             "rating": "quota_rating", "quota_status": "quota_status"}


def _disclosed(r: Mapping[str, Any], key: str, lang: Lang) -> Any:  # noqa: ANN401
    if key == "quota_label":
        return r.get(f"quota_label_{lang}")
    v = r.get(key)
    if key in _LABELLED and isinstance(v, str) and v:
        return render(i18n_msg("book.value", value=label(_LABELLED[key], v)), lang)
    return v


def disclosure_workbook(bm: Benchmark, out: Path | None = None, *, lang: Lang = "zh") -> bytes:
    """The disclosure list (能效公示) as xlsx: a title, the quota table's status, one row per
    building (by type, lowest EUI first), and a sheet with the rating counts; every title,
    note, heading and label in ``lang`` (the Chinese edition all Chinese)."""
    def t(code: str, /, **params: Any) -> str:  # noqa: ANN401
        return render(i18n_msg(code, **params), lang)

    wb = Workbook()
    sh = wb.active
    assert sh is not None  # noqa: S101 - a new workbook always has a sheet
    sh.title = t("bench.book.sheet")
    sh.append([t("bench.book.title", district=bm.district_name, year=bm.year)])
    sh["A1"].font = Font(bold=True, size=14)
    statuses = sorted({str(x) for x in bm.frame["quota_status"].dropna()})
    note = t("bench.book.table", table=bm.table_id, version=bm.table_version,
             statuses=[label("quota_status", x) for x in statuses] or "—")
    if QuotaStatus.UNVERIFIED in statuses:
        note += t("bench.book.unverified")
    sh.append([note])
    sh.append([t("bench.book.run", run=bm.account_run_id, factor_set=bm.factor_set)])
    sh.append([t(f"bench.col.{h}") for h, _ in _DISCLOSURE])
    for cell in sh[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    red = PatternFill("solid", fgColor="F8D7DA")
    for i, r in enumerate(bm.records(), start=1):
        vals: list[Any] = [i]
        for _, key in _DISCLOSURE[1:]:
            v = xlsx_value(_disclosed(r, key, lang)) if key else None
            if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                v = "'" + v
            vals.append(v)
        sh.append(vals)
        if r.get("rating") == "over_constraint":
            for cell in sh[sh.max_row]:
                cell.fill = red
    sh.freeze_panes = "C5"
    for letter, width in zip("ABCDEFGHIJKLMNOPQRS", (6, 28, 14, 12, 12, 12, 12, 8, 8, 10, 22,
                                                     10, 12, 12, 10, 10, 14, 10, 12),
                             strict=True):
        sh.column_dimensions[letter].width = width
    counts = wb.create_sheet(t("bench.book.ratings"))
    counts.append([t("bench.col.rating"), t("bench.col.buildings")])
    for code, n in bm.counts().items():
        counts.append([t("book.value", value=label("quota_rating", code)), n])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


# -- the quota workflow ----------------------------------------------------------------------
def case_dict(c: QuotaCase, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A case as JSON-safe dict."""
    return {"id": c.id, "entity_id": c.entity_id, "name": (names or {}).get(c.entity_id),
            "year": c.year, "table_id": c.table_id, "table_version": c.table_version,
            "quota_class": c.quota_class, "class_source": c.class_source, "eui": c.eui,
            "constraint_value": c.constraint_value,
            "unit": c.unit, "excess_fraction": c.excess_fraction,
            "reduction_required": c.reduction_required, "quota_status": c.quota_status,
            "status": c.status, "notice_no": c.notice_no, "notice_date": c.notice_date,
            "deadline": c.deadline, "reviewed_on": c.reviewed_on, "review_year": c.review_year,
            "review_rating": c.review_rating, "reason_zh": c.reason_zh,
            "reason_en": c.reason_en, "account_run_id": c.account_run_id}


def open_cases(ws: Workspace, district_id: str, year: int,
               table_id: str | None = None) -> list[QuotaCase]:
    """A case for every building over its constraint in ``year`` that has none yet
    (re-running opens nothing twice). Only buildings with a quota and a full year count, and
    only those under the district's quota management (``quota_electricity_kwh`` in its
    profile, e.g. Tianhe's 5 GWh a year; every building when the profile sets none)."""
    bm = benchmark(ws, district_id, year, table_id=table_id)
    over = bm.frame[(bm.frame["rating"] == "over_constraint") & bm.frame["quota_managed"]]
    created: list[QuotaCase] = []
    try:
        _open(ws, district_id, year, bm, over, created)
    except IntegrityError:  # another run opened the same cases between our read and write
        raise ConflictError(i18n_msg("error.quota.opening_elsewhere")) from None
    return created


def _cased(s: Session, district_id: str, year: int, table_id: str) -> set[str]:
    """Entities that already have a case of ``year`` in ``table_id``."""
    return repo.cased_entity_ids(s, district_id, year, table_id)


def _open(ws: Workspace, district_id: str, year: int, bm: Benchmark, over: pd.DataFrame,
          created: list[QuotaCase]) -> None:
    with ws.registry.session() as s:
        have = _cased(s, district_id, year, bm.table_id)
        streets = repo.entity_street_ids(s, district_id)
        for _, r in over.iterrows():
            if r["entity_id"] in have:
                continue
            c = QuotaCase(
                district_id=district_id, entity_id=r["entity_id"],
                street_id=streets.get(r["entity_id"]), table_id=bm.table_id,
                table_version=bm.table_version, quota_class=r["quota_class"], year=year,
                eui=float(r["eui"]), constraint_value=float(r["constraint_value"]),
                unit=str(r["eui_unit"]), excess_fraction=float(r["excess_fraction"]),
                reduction_required=float(r["reduction_required"]),
                quota_status=str(r["quota_status"]), class_source=str(r["class_source"]),
                account_run_id=bm.account_run_id,
                status=QuotaCaseStatus.OPEN, created_by=ws.actor,
                reason=i18n.msg("buildings.quota.case_opened", year=year))
            s.add(c)
            s.flush()
            audit(s, ws.actor, "open", "quota_case", str(c.id), {
                "entity_id": c.entity_id, "year": year, "table": f"{bm.table_id}"
                f"@v{bm.table_version}", "eui": c.eui, "constraint": c.constraint_value,
                "class_source": r["class_source"]}, district=district_id)
            created.append(c)
        for c in created:
            s.expunge(c)


def notify_cases(ws: Workspace, district_id: str, *, year: int, deadline: dt.date,
                 notice_date: dt.date | None = None,
                 entity_ids: list[str] | None = None) -> list[QuotaCase]:
    """Issue rectification notices (整改通知) for the open cases of ``year``: a notice number,
    the notice date and the deadline. Cases already notified are left as they are."""
    notice_date = notice_date or dt.date.today()
    if deadline <= notice_date:
        raise InputValidationError([RowError(
            "notice", None, "deadline", str(deadline),
            i18n_msg("intake.quota.deadline", deadline=str(deadline), notice=str(notice_date)))])
    with ws.registry.session() as s:
        # an empty selection of entity_ids notifies nobody
        cases = repo.open_cases_of_year(s, district_id, year, entity_ids=entity_ids)
        for c in cases:
            c.status = QuotaCaseStatus.NOTIFIED
            c.notice_no = f"QN-{district_id}-{year}-{c.id:05d}"
            c.notice_date, c.deadline = notice_date, deadline
            c.reason = i18n.msg("buildings.quota.notified", deadline=deadline.isoformat())
            audit(s, ws.actor, "notify", "quota_case", str(c.id), {
                "notice_no": c.notice_no, "notice_date": notice_date.isoformat(),
                "deadline": deadline.isoformat()}, district=district_id)
        s.flush()
        for c in cases:
            s.expunge(c)
    return cases


def review_cases(ws: Workspace, district_id: str, *, review_year: int,
                 as_of: dt.date | None = None) -> list[tuple[QuotaCase, str]]:
    """Review every notified case of a year before ``review_year`` against that year's figure:
    closed when it meets the constraint, escalated when the deadline has passed and it does
    not (or there is no complete figure), otherwise left notified. Returns (case, previous
    status) for each case whose status changed."""
    as_of = as_of or dt.date.today()
    with ws.registry.session() as s:
        cases = repo.notified_cases_before(s, district_id, review_year)
        tables = sorted({c.table_id for c in cases})
    ratings: dict[str, dict[str, str]] = {}
    for tid in tables:  # no account of the review year: refused, nothing escalated
        bm = benchmark(ws, district_id, review_year, table_id=tid)
        ratings[tid] = dict(zip(bm.frame["entity_id"], bm.frame["rating"], strict=True))
    changed: list[tuple[QuotaCase, str]] = []
    with ws.registry.session() as s:
        for c0 in cases:
            c = s.get(QuotaCase, c0.id, with_for_update=True)
            if c is None or c.status != QuotaCaseStatus.NOTIFIED:  # changed meanwhile
                continue
            rating = ratings[c.table_id].get(c.entity_id)
            rated = rating if rating in ("meets_guide", "meets_constraint",
                                         "over_constraint") else None
            assert c.deadline is not None  # noqa: S101 - notified cases have one
            d = review_case(deadline=c.deadline, review_date=as_of, later_rating=rated,
                            later_year=review_year if rated else None)
            if d.status == c.status:
                continue
            before = c.status
            c.status, c.reason = d.status, d.reason
            c.reviewed_on, c.review_year, c.review_rating = as_of, review_year, rating
            audit(s, ws.actor, "review", "quota_case", str(c.id), {
                "from": before, "to": d.status, "review_year": review_year, "rating": rating,
                "as_of": as_of.isoformat()}, district=district_id)
            s.flush()
            s.expunge(c)
            changed.append((c, before))
    return changed


def list_cases(ws: Workspace, scope: AccessScope, *, year: int | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
    """Quota cases within ``scope`` (a street officer: its street's; an entity role: its own)."""
    with ws.registry.session() as s:
        return [case_dict(c, {c.entity_id: n}) for c, n in repo.cases_in_scope(
            s, scope.district_id, scope.entity_condition(), year=year, status=status)]

