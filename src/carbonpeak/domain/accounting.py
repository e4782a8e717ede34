"""Accounting rules that are not SQL: consolidation, intensities, key-unit thresholds, and
the account's results computed from the SQL steps' tables (building EUI, district totals, the
key-unit table).

中文：合并口径（企业及其所属建筑）、单位面积能耗、单位GDP能耗、重点用能单位判定、核算总量。
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from carbonpeak.i18n import Label, Message, Text, dumps, msg, render

__all__ = [
    "KEY_UNIT_METRICS",
    "KWH_PER_KGCE",
    "NATIONAL_KEY_UNIT_RULES",
    "PURCHASED_SCOPES",
    "KeyUnitRule",
    "RuleConfigError",
    "YearStatistics",
    "account_totals",
    "accountable_key_units",
    "building_eui",
    "classify_key_units",
    "consolidate",
    "energy_use_intensity",
    "intensity_per_gdp",
    "interval_coverage",
    "key_unit_rules",
    "key_unit_table",
    "register_wrap",
]

#: 1 kgce = 29.3076 MJ (GB/T 2589) and 1 kWh = 3.6 MJ, so 1 kgce = 8.141 kWh of energy.
KWH_PER_KGCE = 29.3076 / 3.6


def consolidate(values: pd.DataFrame, parent_of: Mapping[str, str | None],
                columns: Sequence[str]) -> pd.DataFrame:
    """Sum ``columns`` of every entity with those of all its descendants.

    Parameters
    ----------
    values
        One row per entity, indexed by entity id (entities without a row count as 0).
    parent_of
        entity id -> parent id (``None`` for top-level entities).
    columns
        Additive columns to consolidate.

    Returns
    -------
    pandas.DataFrame
        Indexed by every entity in ``parent_of``: the entity's own values plus its
        descendants' (合并口径). Each descendant is counted once per ancestor, never twice
        within one entity's total.

    Examples
    --------
    >>> v = pd.DataFrame({"tce": [1.0, 2.0, 4.0]}, index=["E", "B1", "B2"])
    >>> consolidate(v, {"E": None, "B1": "E", "B2": "B1"}, ["tce"])["tce"].to_dict()
    {'E': 7.0, 'B1': 6.0, 'B2': 4.0}
    """
    ids = list(parent_of)
    pos = {e: i for i, e in enumerate(ids)}
    own = values.reindex(ids)[list(columns)].fillna(0.0).to_numpy(dtype="float64")
    total = own.copy()
    for entity in ids:
        seen = {entity}
        parent = _parent(parent_of.get(entity))
        while parent is not None and parent in pos and parent not in seen:
            total[pos[parent]] += own[pos[entity]]
            seen.add(parent)
            parent = _parent(parent_of.get(parent))
    return pd.DataFrame(total, index=pd.Index(ids, name=values.index.name), columns=list(columns))


def _parent(value: object) -> str | None:
    """A parent id, or None for missing values (None, NaN, empty)."""
    return value if isinstance(value, str) and value else None


def register_wrap(full_scale: float) -> float:
    """The value at which a cumulative register wraps to zero: its full scale plus one unit of
    its last digit.

    ``rollover_at`` is the register's full-scale reading, the largest value it can show
    (99,999.9 on a register with five digits and one decimal). The next unit of the last digit
    shows 0, so the register wraps at 100,000.0, and an interval from 99,999.5 to 0.3 consumed
    ``0.3 + 100,000.0 − 99,999.5 = 0.8``. The last digit is read from the number as written
    (the shortest decimal of the float): a whole number's last digit is the units (99,999 wraps
    at 100,000), 99,999.9 wraps at 100,000.0, 9,999.99 at 10,000.00.

    Examples
    --------
    >>> register_wrap(99_999.9), register_wrap(99_999.0), register_wrap(9_999.99)
    (100000.0, 100000.0, 10000.0)
    """
    if not (math.isfinite(full_scale) and full_scale > 0):
        msg = f"a register's full scale must be a finite number > 0, got {full_scale!r}"
        raise ValueError(msg)
    written = Decimal(repr(float(full_scale)))
    step = Decimal(1) if written == written.to_integral_value() \
        else Decimal(1).scaleb(written.normalize().as_tuple().exponent)  # type: ignore[arg-type]
    return float(written + step)


def energy_use_intensity(energy: pd.Series, floor_area_m2: pd.Series) -> pd.Series:
    """Energy per floor area, NaN where the area is unknown or not positive.

    ``energy`` in kWh gives [kWh/m²·a]; in kgce gives [kgce/m²·a].

    >>> energy_use_intensity(pd.Series([1.0e6, 5.0]), pd.Series([1.0e4, 0.0])).tolist()
    [100.0, nan]
    """
    area = floor_area_m2.astype("float64")
    return (energy.astype("float64") / area.where(area > 0)).astype("float64")


def intensity_per_gdp(total: float, gdp_10k_cny: float | None) -> float | None:
    """``total`` per 10^4 CNY of GDP (comparable prices); ``None`` without GDP.

    >>> intensity_per_gdp(1200.0, 4.0e4)
    0.03
    """
    if gdp_10k_cny is None or not np.isfinite(gdp_10k_cny) or gdp_10k_cny <= 0:
        return None
    return total / gdp_10k_cny


@dataclass(frozen=True)
class KeyUnitRule:
    """A threshold that makes an entity a key energy-using unit (重点用能单位).

    ``metric`` is a column of the consolidated metrics: ``energy_tce_equivalent``,
    ``energy_tce_equal``, ``electricity_kwh`` or ``floor_area_m2``.
    """

    metric: str
    threshold: float
    label_zh: str
    label_en: str
    source: str = ""
    status: str = "unverified"


def classify_key_units(metrics: pd.DataFrame, rules: Sequence[KeyUnitRule],
                       year: int) -> dict[str, Message | None]:
    """Why each entity that meets at least one rule is a key unit (``None`` for the others):
    a message ``accounting.key_unit.rule`` of the year and the rules it meets, each with its
    metric, value and threshold (rendered at the edge, in either language).

    >>> from carbonpeak.i18n import render
    >>> m = pd.DataFrame({"energy_tce_equivalent": [3500.0, 10.0]}, index=["A", "B"])
    >>> r = KeyUnitRule("energy_tce_equivalent", 3000, "年综合能耗≥3000吨标准煤", "≥3000 tce")
    >>> render(classify_key_units(m, [r], 2024)["A"], "zh")
    '2024年：年综合能耗≥3000吨标准煤（年综合能耗（当量值）3,500，门槛3,000吨标准煤）'
    >>> render(classify_key_units(m, [r], 2024)["A"], "en")
    '2024: ≥3000 tce (energy, equivalent value = 3,500 ≥ 3,000 tce)'
    """
    entities = [str(e) for e in metrics.index.tolist()]
    hits: dict[str, list[Message]] = {e: [] for e in entities}
    for rule in rules:
        if rule.metric not in metrics.columns:
            continue
        values = metrics[rule.metric].astype("float64").to_numpy()
        for i in np.flatnonzero(values >= rule.threshold):  # NaN never meets a rule
            # to 12 significant digits: the last digits of a parallel sum vary from run to
            # run, and the stored rule would change (and be audit-logged) at every account
            v = float(f"{float(values[i]):.12g}")
            hits[entities[i]].append(msg(
                "accounting.key_unit.hit", label=Text(rule.label_zh, rule.label_en),
                metric=Label("key_unit_metric", rule.metric), value=v,
                threshold=float(rule.threshold),
                unit=Label("key_unit_metric_unit", rule.metric)))
    return {e: msg("accounting.key_unit.rule", year=year, hits=h) if h else None
            for e, h in hits.items()}


#: The national definition of a key energy-using unit (重点用能单位), which applies unless the
#: district configures its own rules: 《重点用能单位节能管理办法》 (NDRC and six ministries,
#: Order No. 15, in force 2018-05-01) Art. 2 (1): annual comprehensive energy consumption of
#: 10,000 tce or more. Art. 2 (2), units of 5,000-10,000 tce, applies only to the units a
#: province's energy-saving department designates: a district adds that list as its own rule.
NATIONAL_KEY_UNIT_RULES: tuple[KeyUnitRule, ...] = (
    KeyUnitRule("energy_tce_equivalent", 10_000.0, "年综合能源消费量≥1万吨标准煤",
                "annual comprehensive energy consumption >= 10,000 tce",
                "重点用能单位节能管理办法（国家发展改革委等七部门令第15号，2018年）第二条第一项",
                "verified"),
)


class RuleConfigError(ValueError):
    """A configured rule cannot be applied; ``reason`` says why as a catalogue message (the
    exception's text is its English rendering)."""

    def __init__(self, reason: Message) -> None:
        super().__init__(render(reason, "en"))
        self.reason = reason


def key_unit_rules(configured: Sequence[Mapping[str, object]]) -> list[KeyUnitRule]:
    """The key-unit rules a district applies: its own (each citing a source and stating a
    status), or the national definition (:data:`NATIONAL_KEY_UNIT_RULES`) when it has none.

    Raises
    ------
    RuleConfigError
        If a configured rule has no source, an unknown status or a threshold that is not a
        number > 0 (the message names the rule by its position and label).

    Examples
    --------
    >>> [r.threshold for r in key_unit_rules([])]
    [10000.0]
    """
    if not configured:
        return list(NATIONAL_KEY_UNIT_RULES)
    rules: list[KeyUnitRule] = []
    for i, r in enumerate(configured, start=1):
        rule = Text(str(r.get("label_zh") or r.get("metric")),
                    str(r.get("label_en") or r.get("metric")))
        source, status = str(r.get("source") or "").strip(), str(r.get("status") or "")
        if not source:
            raise RuleConfigError(msg("accounting.key_unit.config.source", n=i, rule=rule))
        if status not in ("verified", "secondary", "unverified", "default"):
            raise RuleConfigError(msg("accounting.key_unit.config.status", n=i, rule=rule,
                                      status=repr(status)))
        threshold = r.get("threshold")
        if not isinstance(threshold, int | float) or not threshold > 0:
            raise RuleConfigError(msg("accounting.key_unit.config.threshold", n=i, rule=rule,
                                      threshold=repr(threshold)))
        rules.append(KeyUnitRule(str(r.get("metric", "")), float(threshold),
                                 str(r.get("label_zh", "")), str(r.get("label_en", "")),
                                 source, status))
    return rules


#: a key unit's flag: its rule message, or any other mark of why it is one
_Flag = TypeVar("_Flag")


def accountable_key_units(flags: Mapping[str, _Flag | None],
                          parent_of: Mapping[str, str | None]) -> dict[str, _Flag | None]:
    """The key-unit flags of the accountable units only.

    The rules are applied to consolidated figures (合并口径), so a key-unit enterprise already
    answers for its buildings. A building consolidated under a key unit (its parent, or any
    ancestor) is not counted again as a key unit, even when it meets a rule itself: its flag
    becomes ``None``. A unit whose ancestors are not key units keeps its own flag.

    Examples
    --------
    >>> accountable_key_units({"E": "r", "B1": "r", "B2": None, "C": "r"},
    ...                       {"E": None, "B1": "E", "B2": "E", "C": None})
    {'E': 'r', 'B1': None, 'B2': None, 'C': 'r'}
    """
    out: dict[str, _Flag | None] = {}
    for entity, flag in flags.items():
        seen = {entity}
        parent = _parent(parent_of.get(entity))
        while flag is not None and parent is not None and parent not in seen:
            if flags.get(parent) is not None:
                flag = None
            seen.add(parent)
            parent = _parent(parent_of.get(parent))
        out[entity] = flag
    return out


# ---------------------------------------------------------------------------------------------
# The account's results: building EUI, district totals, key units (from the SQL steps' tables)
# ---------------------------------------------------------------------------------------------

#: the emission scopes the account totals count: direct use (1) and purchased energy (2);
#: on-site PV generation (``generation``) is reported apart
PURCHASED_SCOPES = ("1", "2")


def building_eui(entity_year: pd.DataFrame, entities: pd.DataFrame, *, factor_set: str,
                 year: int) -> pd.DataFrame:
    """The energy use intensities of the buildings and public institutions with a floor area.

    ``entity_year`` is the account's ``inventory_entity_year`` (one row per entity, carrier and
    scope: ``quantity``, ``tce_equivalent``, ``tce_equal``, ``tco2``, ``coverage``); ``entities``
    the registry's entities (``entity_id``, ``name``, ``kind``, ``building_type``, ``street``,
    ``floor_area_m2``). Over scopes 1 and 2:

    * ``site_energy_kwh`` = tce (equivalent value) · 1000 · :data:`KWH_PER_KGCE`;
    * ``eui_kwh_per_m2`` = site energy / floor area, ``electricity_kwh_per_m2`` = electricity
      kWh / floor area, ``eui_kgce_per_m2_equivalent|equal`` = tce · 1000 / floor area,
      ``tco2_per_m2`` = tCO2 / floor area (:func:`energy_use_intensity`: NaN for an area ≤ 0).

    One row per building, with ``year`` first and ``factor_set`` last.
    """
    purchased = entity_year[entity_year["scope"].isin(PURCHASED_SCOPES)]
    g = purchased.groupby("entity_id").agg(
        tce_equivalent=("tce_equivalent", "sum"), tce_equal=("tce_equal", "sum"),
        tco2=("tco2", "sum"), coverage=("coverage", "mean"))
    elec = purchased[purchased["carrier"] == "electricity"].set_index("entity_id")["quantity"]
    b = entities[entities["kind"].isin(["building", "public_institution"])
                 & entities["floor_area_m2"].notna()].set_index("entity_id")
    df = b[["name", "kind", "building_type", "street", "floor_area_m2"]].join(g, how="left")
    df["electricity_kwh"] = elec.reindex(df.index)
    area = df["floor_area_m2"]
    df["site_energy_kwh"] = df["tce_equivalent"] * 1000.0 * KWH_PER_KGCE
    df["eui_kwh_per_m2"] = energy_use_intensity(df["site_energy_kwh"], area)
    df["electricity_kwh_per_m2"] = energy_use_intensity(df["electricity_kwh"], area)
    df["eui_kgce_per_m2_equivalent"] = energy_use_intensity(df["tce_equivalent"] * 1000, area)
    df["eui_kgce_per_m2_equal"] = energy_use_intensity(df["tce_equal"] * 1000, area)
    df["tco2_per_m2"] = energy_use_intensity(df["tco2"], area)
    df.insert(0, "year", year)
    df["factor_set"] = factor_set
    return df.reset_index().rename(columns={"index": "entity_id"})


@dataclass(frozen=True)
class YearStatistics:
    """The district's statistics of the accounted year (``None`` where not given): GDP in
    10^4 CNY at comparable prices and total energy in tce (equal value)."""

    gdp_10k_cny: float | None = None
    energy_tce: float | None = None


def interval_coverage(entity_month: pd.DataFrame) -> dict[str, float | int | None]:
    """The share of the expected interval readings received, over every entity-month:
    ``received / expected``, at most 1 (``None`` when none were expected)."""
    n = len(entity_month)
    expected = float(entity_month["intervals_expected"].sum()) if n else 0.0
    received = int(entity_month["intervals_received"].sum()) if n else 0
    return {"intervals_expected": expected, "intervals_received": received,
            "interval_coverage": min(1.0, received / expected) if expected else None,
            "intervals_filled": int(entity_month["intervals_filled"].sum()) if n else 0}


def account_totals(district_year: pd.DataFrame, entity_month: pd.DataFrame,
                   entity_year: pd.DataFrame, stats: YearStatistics,
                   year: int) -> tuple[dict[str, Any], list[Message]]:
    """The account's district totals and the notes they call for.

    Energy (tce, equivalent and equal value) and tCO2 add scopes 1 and 2 of
    ``inventory_district_year``; PV generation is its ``generation`` scope's kWh. The coverage
    is the mean of the entity-months'; ``metered_share`` = the account's tce (equal value) /
    the statistics' total energy. Like with like: the metered units' total is never divided by
    the district's GDP (energy per GDP is the statistics').

    Notes: no GDP for the year; the metered share (with the statistics' energy); the number of
    entity-months without data.
    """
    purchased = district_year[district_year["scope"].isin(PURCHASED_SCOPES)]
    pv = district_year[district_year["scope"] == "generation"]
    totals: dict[str, Any] = {
        "tce_equivalent": float(purchased["tce_equivalent"].sum()),
        "tce_equal": float(purchased["tce_equal"].sum()),
        "tco2": float(purchased["tco2"].sum()),
        "tco2_scope1": float(purchased.loc[purchased["scope"] == "1", "tco2"].sum()),
        "tco2_scope2": float(purchased.loc[purchased["scope"] == "2", "tco2"].sum()),
        "pv_generation_kwh": float(pv["quantity"].sum()) if len(pv) else 0.0,
        "coverage": float(entity_month["coverage"].mean()) if len(entity_month) else 0.0,
        "missing_entity_months": int((entity_month["flags"] == "missing").sum()),
        **interval_coverage(entity_month),
        "entities": int(entity_year["entity_id"].nunique()),
    }
    gdp, energy = stats.gdp_10k_cny, stats.energy_tce
    totals["gdp_10k_cny"] = gdp
    totals["statistics_energy_tce"] = energy
    share = totals["tce_equal"] / energy if energy else None
    totals["metered_share"] = share
    notes: list[Message] = []
    if gdp is None:
        notes.append(msg("accounting.note.no_gdp", year=year))
    if energy:
        notes.append(msg("accounting.note.metered_share", share=float(totals["metered_share"]),
                         energy=float(energy)))
    if totals["missing_entity_months"]:
        notes.append(msg("accounting.note.missing_months", n=int(totals["missing_entity_months"])))
    return totals, notes


#: the consolidated metrics a key-unit rule may name
KEY_UNIT_METRICS = ("energy_tce_equivalent", "energy_tce_equal", "tco2", "electricity_kwh",
                    "floor_area_m2")


def key_unit_table(entity_year: pd.DataFrame, entities: pd.DataFrame,
                   rules: Sequence[KeyUnitRule], year: int) -> pd.DataFrame:
    """Every entity's consolidated metrics (合并口径) and whether it is an accountable key unit.

    The entity's own scope 1 and 2 energy (tce, equivalent and equal value), tCO2 and
    electricity (kWh) from ``inventory_entity_year``, and its floor area, are consolidated with
    its descendants' (:func:`consolidate`); the rules are applied to those
    (:func:`classify_key_units`), and a unit under a key unit is not one again
    (:func:`accountable_key_units`). ``key_unit_rule`` is the rule message as JSON text
    (rendered at the edge), ``None`` for the others; ``is_key_unit`` says whether it has one;
    ``n_children`` counts the direct children.
    """
    purchased = entity_year[entity_year["scope"].isin(PURCHASED_SCOPES)]
    own = purchased.groupby("entity_id").agg(
        energy_tce_equivalent=("tce_equivalent", "sum"), energy_tce_equal=("tce_equal", "sum"),
        tco2=("tco2", "sum"))
    own["electricity_kwh"] = purchased[purchased["carrier"] == "electricity"].groupby(
        "entity_id")["quantity"].sum()
    own = own.join(entities.set_index("entity_id")["floor_area_m2"], how="outer")
    parents = dict(zip(entities["entity_id"], entities["parent_id"].where(
        entities["parent_id"].notna(), None), strict=True))
    cons = consolidate(own, parents, KEY_UNIT_METRICS)
    flags = accountable_key_units(classify_key_units(cons, rules, year), parents)
    stored: dict[str, str | None] = {e: None if m is None else dumps(m)
                                     for e, m in flags.items()}
    cons["key_unit_rule"] = pd.Series(stored, dtype=object)
    cons["is_key_unit"] = cons["key_unit_rule"].notna()
    cons["n_children"] = pd.Series(parents).dropna().value_counts().reindex(cons.index)\
        .fillna(0).astype(int)
    cons.insert(0, "year", year)
    return cons.reset_index().rename(columns={"index": "entity_id"})
