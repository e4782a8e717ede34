"""The account use case: load inputs, run the SQL steps, write the inventory, record the run.

中文：年度能耗与碳排放核算。

Factor sets and restatement: the first account of a year is *official* and records the factor
set version it used. Later runs of that year keep that version (even when a newer version or
another set was published) unless ``restate=True``: then the new run becomes official and the
old one is marked as restated by it; both stay recorded. A run with another set without
``restate`` is recorded as a variant (not official).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from carbonpeak.domain.accounting import (
    RuleConfigError,
    YearStatistics,
    account_totals,
    building_eui,
    key_unit_rules,
    key_unit_table,
)
from carbonpeak.domain.factors import CarrierFactors, FactorRow, resolve_factors
from carbonpeak.domain.plausibility import HELD_REGISTER_SPIKE
from carbonpeak.domain.units import CARRIERS, unit_factor_table
from carbonpeak.errors import ConfigError, HeldValuesPending, NotFoundError
from carbonpeak.i18n import Label, Message, render
from carbonpeak.i18n import msg as note
from carbonpeak.services.accounting import incremental
from carbonpeak.services.accounting.account_sql import (
    ROLLUP_LEVELS,
    account_steps,
    files_by_month,
    month_view,
)
from carbonpeak.services.accounting.engines import PipelineInputs, run_duckdb, run_spark
from carbonpeak.services.accounting.quality import FILL_METHOD, fill_interval_gaps, wrap_column
from carbonpeak.services.accounting.verifications import (
    VerificationIndex,
    current_verifications,
    derived_status,
    district_profile,
    factor_target,
    factor_values,
)
from carbonpeak.storage.lake.store import write_parquet_durably
from carbonpeak.storage.registry.models import (
    AccountRun,
    District,
    FactorSetRecord,
)
from carbonpeak.storage.registry.repositories import accounting as repo
from carbonpeak.storage.workspace import Workspace, audit, latest_factor_set
from carbonpeak.vocabulary import AccountEngine, FactorStatus, HeldStatus, VerifiedKind

__all__ = ["DEFAULT_MAX_GAP_HOURS", "AccountResult", "load_run_tables", "official_run",
           "run_account"]

NO_STREET = "(未分配街道)"
NONE = "(none)"
OUTPUTS = [
    "meter_month", "inventory_entity_month", "inventory_entity_year",
    *[f"inventory_{lvl}_{p}" for lvl in ROLLUP_LEVELS for p in ("month", "year")],
]
VALUE_COLUMNS = ["quantity", "unit", "tce_equivalent", "tce_equal", "tco2", "scope",
                 "coverage", "factor_set"]
Progress = Callable[[str], None]
DEFAULT_MAX_GAP_HOURS = 6.0


@dataclass
class AccountResult:
    """An account of one district and year."""

    run_id: int
    district: str
    district_name: str
    year: int
    factor_set: str
    official: bool
    engine: str
    #: the tables by name, as pandas (each converted from Arrow when first read: :class:`Frames`)
    tables: MutableMapping[str, pd.DataFrame]
    totals: dict[str, Any]
    factors_used: list[dict[str, Any]]
    messages: list[Message] = field(default_factory=list)
    input_batches: list[int] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: the months whose readings were scanned again (all, unless the incremental account
    #: reused the others' from the last run: services/accounting/incremental.py)
    recomputed_months: list[str] = field(default_factory=list)
    #: the months taken from the last run's cache (their inputs did not change)
    reused_months: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """The notes in English (as ``carbonpeak account`` prints them); the run stores
        :attr:`messages`, codes with parameters."""
        return [render(m, "en") for m in self.messages]


def run_account(
    ws: Workspace, *, year: int, district: str | None = None, factor_set: str | None = None,
    restate: bool = False, out_dir: Path | None = None, engine: str = AccountEngine.DUCKDB,
    spark: Any = None, progress: Progress | None = None, fill_gaps: bool = False,
    max_gap_hours: float = DEFAULT_MAX_GAP_HOURS,
) -> AccountResult:
    """Account ``year`` for the district; see the module docstring for factor-set rules.

    With ``fill_gaps`` the gaps of interval meters no longer than ``max_gap_hours`` are filled
    by linear interpolation (:func:`carbonpeak.services.accounting.quality.fill_interval_gaps`); the
    filled values are counted in ``estimated_quantity``, listed per meter in the manifest and
    recorded in the run summary. Without it nothing is filled.
    """
    t0 = time.perf_counter()
    d = ws.district(district)
    with ws.registry.session() as s:
        fs, official, previous, notes = _choose_factor_set(s, d, year, factor_set, restate)
        fs_label = f"{fs.set_id}@v{fs.version}"
        index = current_verifications(s)
        fs_rows = [_row(r, index) for r in fs.rows]
        fs_pk = fs.id
    inputs, carriers = _inputs(ws, d, year)
    factors = resolve_factors(fs_rows, year, carriers=carriers, set_id=fs_label)
    inputs.tables["factors"] = _factor_table(factors)
    gap_filling = _gap_filling(ws, inputs, fill_gaps, max_gap_hours, engine)
    notes.extend(_gap_filling_notes(gap_filling, previous))
    held = _live_held(ws, d.id, year, inputs.files)
    pending = [h for h in held if h["status"] == HeldStatus.HELD]
    _withhold(inputs, held)
    t1 = time.perf_counter()
    # the incremental account: only the months whose inputs changed are scanned again
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    snap = incremental.snapshot(inputs, months, ws.lake.root)
    cache_file = incremental.cache_path(ws.lake.root, d.id, year)
    reusable = engine == AccountEngine.DUCKDB and not fill_gaps and not held
    cached = incremental.read_cache(cache_file) if reusable else None
    recomputed = incremental.changed_months(snap, cached[1] if cached else None)
    reuse = cached is not None and len(recomputed) < len(months)
    run_inputs = incremental.restrict_inputs(inputs, recomputed) if reuse else inputs
    # DuckDB sums each month's files apart, grouped by the meter alone (account_steps)
    by_month = (files_by_month(run_inputs.files.get("readings", []), months)
                if engine == AccountEngine.DUCKDB and not fill_gaps else {})
    if by_month:
        run_inputs = PipelineInputs(
            files={**run_inputs.files, **{month_view(m): f for m, f in by_month.items()}},
            tables=run_inputs.tables)  # the same tables: _withhold below changes them
    # the scan leaves the withheld readings out only when there are some (the run again with
    # the rejected ones only, below, uses the same steps)
    run_steps = account_steps(year, fill_gaps=fill_gaps,
                              withheld=any(not h.get("register") for h in held),
                              reading_months=list(by_month))
    if reuse and cached is not None:
        run_steps = incremental.reuse_steps(run_steps, recomputed)
        kept = pc.invert(pc.is_in(cached[0]["month"], pa.array(recomputed, pa.string())))
        run_inputs.tables["meter_month_cache"] = cached[0].filter(kept)

    run_dir = _run_dir(d.id, year)

    def pipeline() -> dict[str, pa.Table]:
        if engine == AccountEngine.DUCKDB:
            temp = ws.settings.duckdb_temp_directory
            return run_duckdb(run_steps, run_inputs, OUTPUTS, progress=progress,
                              connect=ws.lake.connect,
                              memory_limit=ws.settings.duckdb_memory_limit,
                              temp_directory=str(temp) if temp else None)
        if engine == AccountEngine.SPARK:
            if spark is None:
                msg = "engine 'spark' needs a SparkSession (install the spark extra)"
                raise ConfigError(msg)
            # the executors write the tables into the run's folder; the driver reads them
            # (into memory) and the staging goes: the run keeps its finished tables
            staging = ws.lake.root / run_dir / "spark"
            try:
                return run_spark(run_steps, run_inputs, OUTPUTS, spark=spark,
                                 progress=progress,
                                 out_dir=staging / uuid.uuid4().hex[:8])
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        msg = f"unknown engine {engine!r}; use duckdb or spark"
        raise ValueError(msg)

    arrow = pipeline()
    # the cache is written by a thread while the tables are finished (waited for below)
    cache_job = _CACHE_WRITER.submit(incremental.write_cache, cache_file, arrow["meter_month"],
                                     snap) if reusable else None
    reused = [m for m in months if m not in recomputed]
    month_inputs = {"snapshot": snap, "recomputed": recomputed, "reused": reused}
    t2 = time.perf_counter()
    lake_batches = ws.lake.batches_in([f for fs in inputs.files.values() for f in fs])
    # the registry's entities as pandas, once: building EUI (each table set) and key units
    entity_frame = _frame(inputs.tables["entities"])
    finished = _finish_tables(arrow, inputs.tables["entities"], entity_frame, fs_label, year)
    tables = finished.frames
    if pending and official:
        # what counting them would change: the account again with only the rejected left out
        _withhold(inputs, [h for h in held if h["status"] == HeldStatus.REJECTED])
        with_held = _finish_tables(pipeline(), inputs.tables["entities"], entity_frame,
                                   fs_label, year).frames
        if _differs(tables, with_held):
            raise _held_pending(year, pending, tables, with_held)
        # e.g. sub-meters of an entity with a main meter, or months a ledger gives
        notes.append(note("accounting.note.held_no_effect", n=len(pending)))
    elif pending:
        notes.append(note("accounting.note.held_variant", n=len(pending)))
    if len(held) > len(pending):
        notes.append(note("accounting.note.held_rejected", n=len(held) - len(pending)))
    with _RunTables(ws, run_dir, finished.arrow) as stored:
        totals, more_notes = _totals(ws, d, year, finished)
        totals["gap_filling"] = gap_filling
        notes.extend(more_notes)
        factors_used = _factors_used(factors)
        unverified = sorted({(str(f["carrier"]), str(f["quantity"])) for f in factors_used
                             if f["status"] == FactorStatus.UNVERIFIED})
        if unverified:
            notes.append(note("accounting.note.unverified", factor_set=fs_label, items=[
                note("accounting.note.factor_item", carrier=Label("carrier", c),
                     quantity=Label("factor_quantity", q)) for c, q in unverified]))
        key_units = _key_units(ws, d, year, tables, entity_frame)
        tables["key_units"] = key_units
        tables_dir = stored.finish(tables)
        t_record = time.perf_counter()
        run_id, input_batches = _record_run(ws, d.id, year, fs_pk, official, previous, engine,
                                            out_dir, lake_batches, totals, key_units, notes,
                                            tables_dir, month_inputs)
        t_record = time.perf_counter() - t_record
    if cache_job is not None:
        cache_job.result()
    result = AccountResult(run_id, d.id, d.name_zh, year, fs_label, official, engine, tables,
                           totals, factors_used, notes, input_batches,
                           recomputed_months=recomputed,
                           reused_months=reused)
    if out_dir is not None:
        result.files = _write_outputs(result, out_dir)
    t3 = time.perf_counter()
    # "record": the registry record of the run, a part of "outputs"
    result.seconds = {"inputs": t1 - t0, "pipeline": t2 - t1, "outputs": t3 - t2,
                      "record": t_record, "total": t3 - t0}
    return result


def _live_held(ws: Workspace, district_id: str, year: int,
               files: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """The held and rejected values of the year that are still live reads (a later batch may
    have replaced one with another value: then it no longer counts, nor is it held): interval
    readings among the ``readings`` files, register reads (``register``: True) among the
    ``registers`` files."""
    with ws.registry.session() as s:
        rows = repo.live_held_candidates(s, district_id, year)
    registers = [r[:5] for r in rows if r[5] == HELD_REGISTER_SPIKE]
    intervals = [r[:5] for r in rows if r[5] != HELD_REGISTER_SPIKE]
    out = _live(ws, intervals, files.get("readings", [])) + [
        {**h, "register": True} for h in _live(ws, registers, files.get("registers", []))]
    return sorted(out, key=lambda h: int(h["id"]))


def _live(ws: Workspace, rows: Sequence[Any], files: Sequence[str]) -> list[dict[str, Any]]:
    """The held values of ``rows`` (id, meter, ts, value, status) that are live in ``files``."""
    if not rows or not files:
        return []
    held = pa.table({"id": pa.array([r[0] for r in rows], pa.int64()),
                     "meter_id": pa.array([r[1] for r in rows], pa.string()),
                     "ts": pa.array([r[2] for r in rows], pa.timestamp("us")),
                     "value": pa.array([r[3] for r in rows], pa.float64()),
                     "status": pa.array([r[4] for r in rows], pa.string())})
    con = ws.lake.connect()
    try:
        con.register("held", held)
        live = con.execute(
            "SELECT h.id, h.meter_id, h.ts, h.value, h.status FROM held h "
            "SEMI JOIN read_parquet(?, hive_partitioning=false) r "
            "ON r.meter_id = h.meter_id AND r.ts = h.ts AND r.value = h.value "
            "ORDER BY h.id", [list(files)]).fetchall()
    finally:
        con.close()
    return [{"id": int(i), "meter_id": str(m), "ts": t, "value": float(v), "status": str(st)}
            for i, m, t, v, st in live]


def _withheld(held: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.table({"meter_id": pa.array([h["meter_id"] for h in held], pa.string()),
                     "ts": pa.array([h["ts"] for h in held], pa.timestamp("us")),
                     "value": pa.array([h["value"] for h in held], pa.float64())})


def _withhold(inputs: PipelineInputs, held: Sequence[dict[str, Any]]) -> None:
    """Leave ``held`` out of the account: the interval readings (``withheld``) and the steps
    of cumulative registers ending at the register reads (``withheld_registers``)."""
    inputs.tables["withheld"] = _withheld([h for h in held if not h.get("register")])
    inputs.tables["withheld_registers"] = _withheld([h for h in held if h.get("register")])


def _differs(a: Mapping[str, pd.DataFrame], b: Mapping[str, pd.DataFrame]) -> bool:
    """Whether two accounts differ in any entity's monthly quantity of any carrier."""
    keys = ["entity_id", "carrier", "month"]
    x, y = (t["inventory_entity_month"][[*keys, "quantity"]].sort_values(keys)
            .reset_index(drop=True) for t in (a, b))
    if len(x) != len(y) or not x[keys].equals(y[keys]):
        return True
    qa, qb = x["quantity"].fillna(-1.0).to_numpy(), y["quantity"].fillna(-1.0).to_numpy()
    return not bool(np.allclose(qa, qb, rtol=1e-12, atol=1e-9))


def _held_pending(year: int, pending: list[dict[str, Any]],
                  without: Mapping[str, pd.DataFrame],
                  with_held: Mapping[str, pd.DataFrame]) -> HeldValuesPending:
    """The refusal of an official run while ``pending`` held values affect it."""
    def total(tables: Mapping[str, pd.DataFrame], col: str) -> float:
        dy = tables["inventory_district_year"]
        return float(dy.loc[dy["scope"].isin(["1", "2"]), col].sum())

    delta = {c: total(with_held, c) - total(without, c)
             for c in ("tce_equivalent", "tce_equal", "tco2")}
    items = "; ".join(f"#{h['id']} {h['meter_id']} {h['ts']:%Y-%m-%dT%H:%M}Z {h['value']:g}"
                      for h in pending[:10]) + ("; …" if len(pending) > 10 else "")
    reason = note("accounting.held.pending", year=year, n=len(pending), items=items,
                  delta_tce=delta["tce_equivalent"], delta_tco2=delta["tco2"])
    return HeldValuesPending(reason, [
        {**h, "ts": h["ts"].isoformat() + "Z"} for h in pending], delta)


def _row(r: Any, index: VerificationIndex) -> FactorRow:
    """A factor row, its status derived from the current verifications."""
    status = derived_status(index, VerifiedKind.FACTOR_ROW,
                            factor_target(r.origin_set, r.carrier, r.quantity, r.year_from),
                            r.status, factor_values(r))
    return FactorRow(carrier=r.carrier, quantity=r.quantity, value=r.value,
                     per_unit=r.per_unit, source=r.source, source_zh=r.source_zh, status=status,
                     year_from=r.year_from, year_to=r.year_to, data_year=r.data_year,
                     note=r.note, origin_set=r.origin_set)


# -- factor set choice --------------------------------------------------------------------
def _choose_factor_set(
    s: Session, d: District, year: int, requested: str | None, restate: bool,
) -> tuple[FactorSetRecord, bool, AccountRun | None, list[Message]]:
    notes: list[Message] = []
    previous = official_run(s, d.id, year)
    latest = latest_factor_set(s, requested or d.default_factor_set)
    notes.extend(_effective_note(latest, year))
    if restate or previous is None:
        if previous is not None:
            notes.append(note("accounting.note.restating", year=year, run=previous.id))
        return latest, True, previous, notes
    kept = s.get(FactorSetRecord, previous.factor_set_pk)
    assert kept is not None
    if requested is None or requested == kept.set_id:
        if latest.set_id == kept.set_id and latest.version != kept.version:
            notes.append(note("accounting.note.keeps_factor_set", year=year, run=previous.id,
                             factor_set=f"{kept.set_id}@v{kept.version}",
                             version=latest.version))
        notes.append(note("accounting.note.supersedes", run=previous.id, year=year))
        return kept, True, previous, notes
    notes.append(note("accounting.note.variant", year=year, run=previous.id,
                     kept=f"{kept.set_id}@v{kept.version}",
                     latest=f"{latest.set_id}@v{latest.version}"))
    return latest, False, None, notes


def _effective_note(fs: FactorSetRecord, year: int) -> list[Message]:
    """Say so when a set is used for a year outside its effective dates."""
    label = f"{fs.set_id}@v{fs.version}"
    if fs.effective_to is not None and year > fs.effective_to.year:
        return [note("accounting.note.effective_until", factor_set=label,
                    date=str(fs.effective_to), year=year)]
    if fs.effective_from is not None and year < fs.effective_from.year:
        return [note("accounting.note.effective_from", factor_set=label,
                    date=str(fs.effective_from), year=year)]
    return []


# -- inputs -------------------------------------------------------------------------------
def _months(year: int, tz: str) -> pa.Table:
    zone = ZoneInfo(tz)
    rows = []
    for m in range(1, 13):
        start = dt.datetime(year, m, 1, tzinfo=zone)
        end = dt.datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=zone)
        to_utc = [t.astimezone(dt.UTC).replace(tzinfo=None) for t in (start, end)]
        rows.append((f"{year}-{m:02d}", *to_utc, (to_utc[1] - to_utc[0]).total_seconds() / 60))
    cols = list(zip(*rows, strict=True))
    return pa.table({
        "month": pa.array(cols[0], pa.string()),
        "month_start": pa.array(cols[1], pa.timestamp("us")),
        "month_end": pa.array(cols[2], pa.timestamp("us")),
        "minutes": pa.array(cols[3], pa.float64()),
    })


def _inputs(ws: Workspace, d: District, year: int) -> tuple[PipelineInputs, set[str]]:
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    with ws.registry.session() as s:  # plain rows, not ORM objects: thousands of them
        streets = {st.id: st.name_zh for st in repo.streets_of_district(s, d.id)}
        ents = repo.account_entity_rows(s, d.id)
        meters = repo.account_meter_rows(s, d.id)
    # the rows transposed once into columns (by-name access to 20,000 rows × 10 fields took
    # a tenth of a second)
    (e_id, e_name, e_kind, e_street, e_type, e_sector, e_area, e_parent) = (
        zip(*ents, strict=True) if ents else ((),) * 8)
    entities = pa.table({
        "entity_id": pa.array(e_id, pa.string()),
        "name": pa.array(e_name, pa.string()),
        "kind": pa.array(e_kind, pa.string()),
        "street": pa.array([streets.get(st, NO_STREET) if st else NO_STREET
                            for st in e_street], pa.string()),
        "building_type": pa.array([t or NONE for t in e_type], pa.string()),
        "sector": pa.array([(c or "")[:1] or NONE for c in e_sector], pa.string()),
        "district": pa.repeat(pa.scalar(d.id, pa.string()), len(ents)),
        "floor_area_m2": pa.array(e_area, pa.float64()),
        "parent_id": pa.array(e_parent, pa.string()),
    })
    (m_id, m_entity, m_carrier, m_unit, m_sub, m_register, m_mult, m_interval, m_roll) = (
        zip(*meters, strict=True) if meters else ((),) * 9)
    meter_table = pa.table({
        "meter_id": pa.array(m_id, pa.string()),
        "entity_id": pa.array(m_entity, pa.string()),
        "carrier": pa.array(m_carrier, pa.string()),
        "unit": pa.array(m_unit, pa.string()),
        "submeter": pa.array(m_sub, pa.string()),
        "register": pa.array(m_register, pa.string()),
        "multiplier": pa.array(m_mult, pa.float64()),
        "interval_minutes": pa.array(m_interval, pa.int64()),
        "rollover_at": pa.array(m_roll, pa.float64()),
        "rollover_wrap": wrap_column(list(m_roll)),
    })
    uf = unit_factor_table()
    unit_factors = pa.table({"carrier": [r[0] for r in uf], "unit": [r[1] for r in uf],
                             "factor": pa.array([r[2] for r in uf], pa.float64())})
    # one statement, one snapshot: a batch is either wholly in the account or not at all.
    # Registers: every month, so the reads on either side of the year (however far) are seen.
    sets = ws.lake.live_file_sets(d.id, {"readings": months, "registers": None,
                                         "ledger": months})
    files = {k: [str(p) for p in v] for k, v in sets.items()}
    carriers = set(m_carrier)
    if files["ledger"]:
        con = ws.lake.connect()
        try:
            carriers |= {r[0] for r in con.execute(
                "SELECT DISTINCT carrier FROM read_parquet(?, hive_partitioning=false)",
                [files["ledger"]]).fetchall()}
        finally:
            con.close()
    tables = {"meters": meter_table, "entities": entities, "unit_factors": unit_factors,
              "months": _months(year, d.timezone)}
    return PipelineInputs(files=files, tables=tables), carriers


def _factor_table(factors: dict[str, CarrierFactors]) -> pa.Table:
    items = sorted(factors.values(), key=lambda f: f.carrier)
    return pa.table({
        "carrier": [f.carrier for f in items],
        "kgce_equivalent": pa.array([f.kgce_equivalent for f in items], pa.float64()),
        "kgce_equal": pa.array([f.kgce_equal for f in items], pa.float64()),
        "tco2": pa.array([f.tco2 for f in items], pa.float64()),
        "scope": [CARRIERS[f.carrier].scope for f in items],
    })


def _factors_used(factors: dict[str, CarrierFactors]) -> list[dict[str, Any]]:
    out = []
    for f in sorted(factors.values(), key=lambda x: x.carrier):
        for r in f.rows:
            out.append({
                "carrier": f.carrier, "quantity": r.quantity, "value": r.value,
                "per_unit": r.per_unit, "per_canonical_unit": r.per_canonical_unit(),
                "canonical_unit": CARRIERS[f.carrier].canonical_unit,
                "data_year": r.data_year, "status": r.status, "source": r.source,
                "origin_set": r.origin_set,
            })
    return out


# -- outputs ------------------------------------------------------------------------------
class Frames(MutableMapping[str, pd.DataFrame]):
    """An account's tables by name as pandas, each converted from its Arrow table when first
    read (:func:`_frame`) and kept: an account that is only stored and summed never converts
    ``meter_month`` (a row per meter and month) nor the roll-ups."""

    def __init__(self, arrow: Mapping[str, pa.Table]) -> None:
        self._items: dict[str, pa.Table | pd.DataFrame] = dict(arrow)

    def __getitem__(self, name: str) -> pd.DataFrame:
        item = self._items[name]
        if isinstance(item, pa.Table):
            item = self._items[name] = _frame(item)
        return item

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        self._items[name] = frame

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Frames({list(self._items)})"


@dataclass
class _Finished:
    """The account's tables: ``frames`` as the result gives them (pandas, converted when read),
    ``arrow`` the tables finished in Arrow (written to the lake as they are)."""

    frames: Frames
    arrow: dict[str, pa.Table]


def _finish_tables(arrow: dict[str, pa.Table], entities: pa.Table,
                   entity_frame: pd.DataFrame, fs_label: str, year: int) -> _Finished:
    """The output tables with their units, factor set, entity names and flags, inventory
    tables in the order keys, :data:`VALUE_COLUMNS`, the rest, sorted by their keys.

    Every table is finished in Arrow; pandas frames are made when read (:class:`Frames`), and
    none goes back from pandas to Arrow to be written.
    """
    finished: dict[str, pa.Table] = {}
    for name, table in arrow.items():
        t = _with_unit(table, fs_label) if "carrier" in table.column_names else table
        if name == "inventory_entity_month":
            t = t.append_column("flags", t.column("flag")).drop_columns(["flag"])
            t = t.append_column("name", _lookup(t.column("entity_id"), entities, "name")["name"])
        if name == "inventory_entity_year":
            t = _entity_year_labels(t, entities)
        if name.startswith("inventory_"):
            t = _with_estimated_share(_ordered(t))
        finished[name] = t
    out = Frames(finished)
    out["eui_building_year"] = building_eui(out["inventory_entity_year"], entity_frame,
                                            factor_set=fs_label, year=year)
    return _Finished(out, finished)


#: the year's counts an entity's ``flags`` name (column, label), in this order
_FLAG_COUNTS = (("missing_months", "missing_months"), ("partial_months", "partial_months"),
                ("meter_missing_months", "meter_missing_months"),
                ("n_resets", "register_resets"), ("n_rollovers", "register_rollovers"),
                ("n_negative", "negative_values"), ("intervals_filled", "estimated_intervals"))


def _entity_year_labels(t: pa.Table, entities: pa.Table) -> pa.Table:
    """``inventory_entity_year`` with its ``source`` (``ledger``, ``meter``, ``ledger+meter``
    or ``none``, from the months of each) instead of the two month counts, its ``flags``
    (``missing_months=2;register_resets=1``: the non-zero counts of :data:`_FLAG_COUNTS`) and
    the entity's name, street, building type and kind."""
    def count(col: str) -> pa.Array:
        return pc.cast(t.column(col), pa.int64()).combine_chunks()

    led = pc.greater(count("ledger_months"), 0)
    met = pc.greater(count("meter_months"), 0)
    source = pc.if_else(pc.and_(led, met), "ledger+meter", pc.if_else(
        led, "ledger", pc.if_else(met, "meter", "none")))
    parts = []  # "label=n;" of each non-zero count, else "" (nulls skipped by the join lose
    for col, label in _FLAG_COUNTS:  # rows in pyarrow 26: none are made)
        n = count(col)
        text = pc.binary_join_element_wise(f"{label}=", pc.cast(n, pa.string()), ";", "")
        parts.append(pc.if_else(pc.not_equal(n, 0), text, ""))
    flags = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), characters=";")
    t = t.drop_columns(["ledger_months", "meter_months"])
    t = t.append_column("source", source)
    t = t.append_column("flags", flags)
    attrs = _lookup(t.column("entity_id"), entities, "name", "street", "building_type",
                    "kind")
    for col, values in attrs.items():
        t = t.append_column(col, values)
    return t


def _frame(t: pa.Table) -> pd.DataFrame:
    """``t.to_pandas()``, faster for the integer sums DuckDB gives as ``decimal128(38, 0)``
    (HUGEINT): the same column of ``Decimal`` objects, made once per distinct value instead
    of once per row (Arrow's conversion of 240,000 such values takes about a second)."""
    ints: dict[str, np.ndarray] = {}
    for i, f in enumerate(t.schema):
        col = t.column(i)
        if pa.types.is_decimal(f.type) and f.type.scale == 0 and col.null_count == 0:
            try:
                ints[f.name] = pc.cast(col, pa.int64()).to_numpy()
            except pa.ArrowInvalid:  # beyond int64: Arrow's own conversion
                continue
            t = t.set_column(i, f.name, pa.nulls(t.num_rows, pa.int8()))
    df: pd.DataFrame = t.to_pandas()
    for name, values in ints.items():
        uniq, inverse = np.unique(values, return_inverse=True)
        objs = np.empty(len(uniq), dtype=object)
        objs[:] = [Decimal(int(v)) for v in uniq]
        df[name] = pd.Series(objs[inverse], index=df.index, dtype=object)
    return df


def _lookup(keys: pa.ChunkedArray, table: pa.Table,
            *columns: str) -> dict[str, pa.ChunkedArray]:
    """``table[column]`` of each key for each of ``columns``, the keys found once (by
    ``table.entity_id``; null where not found)."""
    idx = pc.index_in(pc.cast(keys, pa.string()),
                      value_set=pc.cast(table.column("entity_id").combine_chunks(), pa.string()))
    return {c: pc.take(table.column(c), idx) for c in columns}


def _with_unit(table: pa.Table, fs_label: str) -> pa.Table:
    """``unit`` (the carrier's canonical unit) after ``quantity``, ``factor_set`` last."""
    carriers = sorted(CARRIERS)
    units = pa.array([CARRIERS[c].canonical_unit for c in carriers], pa.string())
    unit = pc.take(units, pc.index_in(pc.cast(table.column("carrier"), pa.string()),
                                      value_set=pa.array(carriers, pa.string())))
    t = table.add_column(table.column_names.index("quantity") + 1, "unit", unit)
    return t.append_column("factor_set", pa.repeat(pa.scalar(fs_label, pa.string()),
                                                   t.num_rows))


def _ordered(t: pa.Table) -> pa.Table:
    """Keys (the first three columns), :data:`VALUE_COLUMNS`, the rest; sorted by the keys
    (stable, nulls last)."""
    keys = t.column_names[:3]  # entity_id|street|…, month|year, carrier
    rest = [c for c in t.column_names if c not in keys and c not in VALUE_COLUMNS]
    return t.select(keys + VALUE_COLUMNS + rest).sort_by([(k, "ascending") for k in keys])


def _with_estimated_share(t: pa.Table) -> pa.Table:
    """``estimated_share`` = estimated / quantity, null where the quantity is null or 0."""
    q = t.column("quantity")
    ok = pc.and_kleene(pc.is_valid(q), pc.not_equal(q, 0.0))
    share = pc.if_else(ok, pc.divide(t.column("estimated_quantity"), q),
                       pa.scalar(None, pa.float64()))
    return t.append_column("estimated_share", share)


def _gap_filling(ws: Workspace, inputs: PipelineInputs, fill: bool, max_gap_hours: float,
                 engine: str) -> dict[str, Any]:
    """Compute the estimated intervals (registered as input table ``filled``) and describe them."""
    if not fill:
        return {"enabled": False}
    if not max_gap_hours > 0:
        msg = f"max_gap_hours must be > 0; got {max_gap_hours}"
        raise ValueError(msg)
    filled = fill_interval_gaps(inputs.files.get("readings", []), inputs.tables["meters"],
                                inputs.tables["months"], max_gap_hours=max_gap_hours,
                                connect=ws.lake.connect)
    inputs.tables["filled"] = filled
    per_meter = filled.group_by("meter_id").aggregate([("value", "count")]).to_pylist()
    by_meter = {str(r["meter_id"]): int(r["value_count"]) for r in sorted(
        per_meter, key=lambda r: str(r["meter_id"]))}
    return {"enabled": True, "method": FILL_METHOD, "max_gap_hours": float(max_gap_hours),
            "intervals_filled": int(filled.num_rows), "meters": len(by_meter),
            "intervals_filled_by_meter": by_meter,
            "computed_on": "duckdb (before the pipeline; the estimated rows are an input "
                           f"table of the {engine} engine)"}


def _gap_filling_notes(gap: dict[str, Any], previous: AccountRun | None) -> list[Message]:
    notes = []
    if gap["enabled"]:
        notes.append(note("accounting.note.gap_filling", intervals=int(gap["intervals_filled"]),
                         meters=gap["meters"], hours=float(gap["max_gap_hours"])))
    if previous is not None:
        before = bool((previous.summary or {}).get("gap_filling", {}) and
                      previous.summary.get("gap_filling", {}).get("enabled"))
        if before != gap["enabled"]:
            notes.append(note("accounting.note.gap_filling_changed", run=previous.id,
                             before=note("accounting.with" if before else "accounting.without"),
                             now=note("accounting.with" if gap["enabled"]
                                     else "accounting.without")))
    return notes


#: the columns of ``inventory_entity_month`` the totals read (:func:`account_totals`)
_TOTALS_MONTH_COLUMNS = ["coverage", "flags", "intervals_expected", "intervals_received",
                         "intervals_filled"]


def _totals(ws: Workspace, d: District, year: int,
            finished: _Finished) -> tuple[dict[str, Any], list[Message]]:
    """The district totals of the account and their notes (:func:`account_totals`), with the
    district's statistics of the year. Of the entity-months (a row per entity, carrier and
    month) only the columns the totals read are converted to pandas."""
    with ws.registry.session() as s:
        stats = repo.statistics_of_year(s, d.id, year)
        given = YearStatistics(stats.gdp_10k_cny, stats.energy_tce) if stats else YearStatistics()
    months = _frame(finished.arrow["inventory_entity_month"].select(_TOTALS_MONTH_COLUMNS))
    return account_totals(finished.frames["inventory_district_year"], months,
                          finished.frames["inventory_entity_year"], given, year)


def _key_units(ws: Workspace, d: District, year: int, tables: Mapping[str, pd.DataFrame],
               entities: pd.DataFrame) -> pd.DataFrame:
    """The key-unit table (:func:`key_unit_table`) under the district's rules."""
    try:
        rules = key_unit_rules(district_profile(ws, d).get("key_unit_rules", []))
    except RuleConfigError as exc:
        why = note("accounting.key_unit.config.profile", district=d.id, error=exc.reason)
        raise ConfigError(render(why, "en"), why) from exc
    return key_unit_table(tables["inventory_entity_year"], entities, rules, year)


#: writes the incremental account's cache beside the rest of a run (one at a time)
_CACHE_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="account-cache")


def _run_dir(district_id: str, year: int) -> Path:
    """A fresh folder for a run's tables, under the lake root."""
    return Path("accounts") / f"district={district_id}" / f"year={year}" / uuid.uuid4().hex


class _RunTables:
    """Keep the run's tables in the lake (derived data), durable before the run is recorded.

    Targets, warnings and the trajectory read the official run's tables from here; the folder
    (:attr:`rel`) is named by a fresh id because the run id is only known at commit. A crash
    before the commit leaves an unreferenced folder and no run; an error in the account
    before :meth:`finish` removes the folder.

    The tables finished in Arrow are written as they are, by a thread that starts at once
    (``with _RunTables(…)``) while the account computes its totals and key units; the others
    are converted from pandas and written by :meth:`finish`, which waits for them all.
    """

    def __init__(self, ws: Workspace, rel: Path, arrow: Mapping[str, pa.Table]) -> None:
        self.rel = rel
        self.folder = ws.lake.root / self.rel
        self._arrow = dict(arrow)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="run-tables")
        self._pending: list[Future[int]] = []

    def __enter__(self) -> _RunTables:
        self._pending = [self._pool.submit(write_parquet_durably, t, self._path(n))
                         for n, t in self._arrow.items()]
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._pool.shutdown(wait=True)
        if exc_type is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def finish(self, tables: Mapping[str, pd.DataFrame]) -> str:
        """Write the tables not yet written (from pandas), wait for all; the folder under the
        lake root."""
        for name in tables:  # by name: reading a frame converts it (Frames)
            if name not in self._arrow:
                write_parquet_durably(pa.Table.from_pandas(tables[name], preserve_index=False),
                                      self._path(name))
        for f in self._pending:
            f.result()
        return self.rel.as_posix()


def load_run_tables(ws: Workspace, run: AccountRun,
                    names: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """The stored tables of an account run (all, or ``names``).

    Raises
    ------
    NotFoundError
        When the run was made before tables were stored: re-run the account of that year.
    """
    rel = (run.summary or {}).get("tables_dir")
    folder = ws.lake.root / rel if rel else None
    if folder is None or not folder.is_dir():
        msg = (f"account run {run.id} ({run.year}) has no stored tables; run "
               f"`carbonpeak account --year {run.year}` again")
        raise NotFoundError(msg)
    wanted = list(names) if names is not None else sorted(p.stem for p in folder.glob("*.parquet"))
    return {n: _frame(pq.read_table(folder / f"{n}.parquet")) for n in wanted}


def official_run(s: Session, district_id: str, year: int) -> AccountRun | None:
    """The current official account run of a district and year (None if never accounted)."""
    return repo.official_run(s, district_id, year)


def _record_run(ws: Workspace, district_id: str, year: int, fs_pk: int, official: bool,
                previous: AccountRun | None, engine: str, out_dir: Path | None,
                lake_batches: set[int], totals: dict[str, Any],
                key_units: pd.DataFrame, notes: list[Message],
                tables_dir: str, month_inputs: dict[str, Any]) -> tuple[int, list[int]]:
    with ws.registry.session() as s:
        registry_batches = repo.committed_registry_batch_ids(s, district_id)
        run = AccountRun(district_id=district_id, year=year, factor_set_pk=fs_pk,
                         official=official, engine=engine, actor=ws.actor,
                         out_dir=str(out_dir) if out_dir else None,
                         input_batches=sorted(set(lake_batches) | set(registry_batches)),
                         summary={"totals": totals, "notes": [n.to_dict() for n in notes],
                                  "gap_filling": totals.get("gap_filling"),
                                  "tables_dir": tables_dir,
                                  # each month's input snapshot, and which were recomputed
                                  "month_inputs": month_inputs},
                         restates_run_id=previous.id if previous else None)
        s.add(run)
        s.flush()
        if previous is not None:
            repo.mark_run_restated(s, previous.id, run.id)
        audit(s, ws.actor, "account", "account_run", str(run.id), {
            "year": year, "official": official, "restates": previous.id if previous else None},
              district=district_id)
        if official:
            _apply_key_units(s, ws.actor, year, key_units)
        return run.id, list(run.input_batches)


def _apply_key_units(s: Session, actor: str, year: int, key_units: pd.DataFrame) -> None:
    """Set each entity's key-unit flag from this year's account, audit-logging each change;
    an entity whose flag a newer year's account decided is left as it is."""
    flags = dict(zip(key_units["entity_id"], key_units["key_unit_rule"], strict=True))
    changes: list[tuple[str, bool, str | None, int]] = []
    for eid, district, is_key, old_rule, key_year in repo.entity_key_unit_states(s, list(flags)):
        if key_year is not None and key_year > year:
            continue  # a newer year's account already decided this entity's flag
        rule = flags.get(eid)
        rule = None if rule is None or (isinstance(rule, float) and pd.isna(rule)) else rule
        if bool(rule) != is_key or (rule and not _same_rule(rule, old_rule)):
            audit(s, actor, "update", "entity", eid, {"changes": {
                "is_key_unit": [is_key, bool(rule)], "key_unit_rule": [old_rule, rule]}},
                  district=district)
            changes.append((eid, bool(rule), rule, year))
    repo.set_entity_key_units(s, changes)


def _same_rule(new: str, old: str | None) -> bool:
    """Whether two stored key-unit rules (JSON messages) say the same, their numbers equal to
    1e-10 relative: a rule differs from the last run's only in the last digits of a parallel
    sum (a rule stored before the values were rounded, domain.accounting.classify_key_units,
    or a sum of 10^9 kWh, whose noise reaches its 12th digit)."""
    if old is None:
        return False
    try:
        return _close(json.loads(new), json.loads(old))
    except ValueError:
        return new == old


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _write_outputs(result: AccountResult, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in result.tables.items():
        path = out_dir / f"{name}.csv"
        df.to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    manifest = {
        "run_id": result.run_id, "district": result.district, "year": result.year,
        "factor_set": result.factor_set, "official": result.official,
        "engine": result.engine, "totals": result.totals, "notes": result.notes,
        "factors_used": result.factors_used,
        "gap_filling": result.totals.get("gap_filling"),
        "input_batches": result.input_batches,
        "files": [p.name for p in written],
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                    encoding="utf-8")
    return [*written, path]
