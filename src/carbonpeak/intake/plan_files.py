"""Plan inputs from files: target catalogues, target observations, budgets, sector statistics.

中文：规划目标清单、目标观测值、能耗/碳排放预算、分行业增加值的导入校验。

Each parser checks every row and raises one :class:`InputValidationError` listing all bad rows
(file, row, column, value, reason); it never drops a row silently. References to targets,
streets and entities are checked by the pipeline, which knows the registry.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.csvfiles import ParsedFile, _duplicates, _flag, _number, _opt
from carbonpeak.intake.formats.numbers import BAD_COMMAS, number_series
from carbonpeak.vocabulary import BudgetMetric, ScopeType, TargetKind

__all__ = [
    "BUDGET_METRICS",
    "COMPARATORS",
    "SCOPE_TYPES",
    "TARGET_KINDS",
    "TARGET_METRICS",
    "parse_budgets",
    "parse_observations",
    "parse_sector_statistics",
    "parse_targets",
    "period_baseline_year",
    "target_problems",
]

#: kinds of targets in the plans' catalogue (../shared/reference/targets.csv)
TARGET_KINDS: tuple[TargetKind, ...] = tuple(TargetKind)
COMPARATORS = (">=", "<=", "=", ">", "<")
SCOPE_TYPES: tuple[ScopeType, ...] = tuple(ScopeType)
#: what the account computes for a target (``metric`` column); ``gdp_share:<letter>`` too
TARGET_METRICS = {
    "energy_per_gdp": "tce (equal value) per 10^4 CNY GDP at comparable prices",
    "co2_per_gdp": "tCO2 per 10^4 CNY GDP at comparable prices",
    "energy_total": "district energy, tce (equal value)",
    "co2_total": "district CO2, t",
    "co2_peak_year": "projected peak year of district CO2 (plan scenario)",
    "key_unit_monitoring_coverage": "% of key units with online (interval) meter data",
    "public_institution_energy_per_m2": "public institutions' kgce (equivalent value) per m²",
    "building_electricity_share": "% electricity in buildings' energy (equivalent value)",
    "pv_generation_mwh": "on-site PV generation in the official account, MWh",
    "key_unit_rule": "a threshold the account applies as a key-unit rule",
    "retrofit_area_m2": "cumulative floor area of completed retrofits in the plan period, m²",
    "public_building_audits_min": "least number of energy audits/diagnoses within the audit "
                                  "interval over the public buildings the profile's rule "
                                  "covers (次 per interval)",
    "retrofit_area_saving15_m2": "cumulative retrofit floor area with measured savings ≥ 15 % "
                                 "(M&V sufficient, ASHRAE G14), m²",
    "commissioning_projects": "commissioning (调适) projects completed in the year",
    # rooftop PV (services.energy.pv.fleet.METRICS): from the PV asset registry and roofs
    "pv_capacity_mw_dc": "PV capacity in operation at year end, MWp (DC)",
    "pv_capacity_mw_ac": "PV capacity in operation at year end, MW (AC)",
    "pv_new_capacity_mw_dc": "PV capacity commissioned since the base year, MWp (DC)",
    "pv_new_capacity_mw_ac": "PV capacity commissioned since the base year, MW (AC)",
    "pv_roof_share_public_new": "% of new public-institution roofs with PV (count)",
    "pv_roof_share_public_existing": "% of existing public-institution roofs with PV (count)",
    "pv_roof_area_share_other_public_new": "% of new other public buildings' roof area "
                                           "covered by PV modules",
    "pv_roof_share_public_industrial_new": "% of new public-institution and factory roofs "
                                           "with PV (count)",
    "dr_buildings": "buildings with a registered demand-response resource",
    "dr_contracted_mw": "contracted demand-response capacity, MW (registry)",
    "dr_verified_mw": "verified demand-response capability from measured events, MW",
    "adr_verified_mw": "verified automated (ADR, VEN) capability from measured events, MW",
    "frequency_regulation_mw": "contracted capacity qualified for frequency regulation, MW",
    "dr_peak_share_pct": "verified demand-response capability, % of the metered peak load",
    "supervision_assessment": "yearly assessment (考核) issued for the year, 次/年 "
                              "(carbonpeak assess --issue)",
}
BUDGET_METRICS: tuple[BudgetMetric, ...] = tuple(BudgetMetric)
_GDP_SHARE = re.compile(r"^gdp_share:[A-T]$")
_YEAR = re.compile(r"^\d{4}$")
_PERIOD_START = re.compile(r"(\d{4})\s*-\s*\d{4}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FULLWIDTH_CMP = {"≥": ">=", "≤": "<=", "＝": "=", "＞": ">", "＜": "<", "==": "="}


def _year(pf: ParsedFile, col: str, errors: list[RowError], *, required: bool) -> pd.Series:
    return _number(pf, col, errors, required=required,
                   check=lambda v: (v == v.round()) & v.between(1990, 2100),
                   why=msg("intake.cell.year", first=1990, last=2100))


def _choice(pf: ParsedFile, col: str, allowed: tuple[str, ...], errors: list[RowError], *,
            default: str | None = None) -> pd.Series:
    raw = pf.frame[col].map(lambda v: _FULLWIDTH_CMP.get(v, v))
    if default is not None:
        raw = raw.where(raw != "", default)
    _flag(pf, ~raw.isin(allowed), col, errors, msg("intake.cell.not_one_of",
                                                    allowed=", ".join(allowed)))
    return raw


#: digits, separators and signs only: a number, or a badly written one ("1,5", "1_000")
_NUMBERISH = r"^[+-]?[\d.,_]*\d[\d.,_eE+-]*$"


def _is_metric(v: str) -> bool:
    return v == "" or v in TARGET_METRICS or bool(_GDP_SHARE.match(v))


def parse_targets(pf: ParsedFile, *, district: str) -> list[dict[str, Any]]:
    """Validate a target catalogue in the shape of ``reference/targets/<district>.csv``.

    ``target_value`` may be text when the plan gives no number (e.g. 市下达目标): it is kept as
    ``target_text`` and the value left empty. A ``district`` column, when filled, must name
    the district being loaded (a catalogue of another district is refused, row by row).
    """
    errors: list[RowError] = []
    f = pf.frame
    _flag(pf, f["id"] == "", "id", errors, msg("intake.cell.required"))
    _flag(pf, f["indicator_zh"] == "", "indicator_zh", errors, msg("intake.cell.required"))
    _flag(pf, (f["district"] != "") & (f["district"] != district), "district", errors,
          msg("intake.plan.other_district", district=district))
    kind = _choice(pf, "kind", TARGET_KINDS, errors)
    cmp_ = _choice(pf, "comparator", COMPARATORS, errors, default=">=")
    scope = _choice(pf, "scope_type", SCOPE_TYPES, errors, default="district")
    _flag(pf, (scope != "district") & (f["scope_id"] == ""), "scope_id", errors,
          msg("intake.plan.scope_id_target"))
    _flag(pf, ~f["metric"].map(_is_metric).astype(bool), "metric", errors,
          msg("intake.plan.metric", metrics=", ".join(TARGET_METRICS)))
    base_year = _year(pf, "baseline_year", errors, required=False)
    target_year = _year(pf, "target_year", errors, required=False)
    base_value = _number(pf, "baseline_value", errors, required=False)
    target_num = number_series(f["target_value"])
    # text is kept as text, but what looks like a number must be one ("1,5" is not 15)
    numberish = target_num.isna() & f["target_value"].str.strip().str.match(_NUMBERISH)
    commas = f["target_value"].str.strip().str.match(BAD_COMMAS)
    _flag(pf, numberish & commas, "target_value", errors, msg("intake.cell.comma_decimal"))
    _flag(pf, numberish & ~commas, "target_value", errors, msg("intake.cell.not_number"))
    _duplicates(pf, ["id", "scope_id"], errors)
    for i, line in enumerate(f["_line"].tolist()):
        tv = target_num.iloc[i]
        for col, why in target_problems(str(kind.iloc[i]), {
                "target_value": None if pd.isna(tv) else float(tv),
                "baseline_year": _int(base_year.iloc[i]),
                "target_year": _int(target_year.iloc[i])}, str(f["period"].iloc[i])):
            errors.append(RowError(pf.name, int(line), col, str(f[col].iloc[i]), why))
    if errors:
        raise InputValidationError(errors)
    out = []
    for i, row in enumerate(f.to_dict("records")):
        tv = target_num.iloc[i]
        out.append({
            "code": row["id"], "section": row["section"], "indicator_zh": row["indicator_zh"],
            "indicator_en": row["indicator_en"], "kind": kind.iloc[i],
            "metric": row["metric"] or None,
            "baseline_year": _int(base_year.iloc[i]), "baseline_value": _opt(base_value.iloc[i]),
            "target_year": _int(target_year.iloc[i]),
            "target_value": None if pd.isna(tv) else float(tv),
            "target_text": "" if not pd.isna(tv) else row["target_value"],
            "unit": row["unit"], "comparator": cmp_.iloc[i], "period": row["period"],
            "responsible_units": row["responsible_units_zh"], "quote": row["quote_zh"],
            "notes": row["notes"], "scope_type": scope.iloc[i], "scope_ref": row["scope_id"],
            "_line": int(row["_line"]),
        })
    return out


def period_baseline_year(period: str) -> int | None:
    """The year before a plan period starts (``十四五 2021-2025`` → 2020), or ``None``."""
    m = _PERIOD_START.search(period)
    return int(m.group(1)) - 1 if m else None


def target_problems(kind: str, v: dict[str, Any],
                    period: str = "") -> list[tuple[str, Message]]:
    """What makes a target impossible to assess: ``[(field, reason), ...]``.

    A reduction target needs a value below 100 % and a target year after its baseline year
    (given, or the year before its period starts: 十四五 2021-2025 → 2020).
    """
    out: list[tuple[str, Message]] = []
    if kind == "reduction_vs_baseline":
        if v.get("target_value") is not None and not v["target_value"] < 100:
            out.append(("target_value", msg("intake.plan.reduction_below_100")))
        by, ty = v.get("baseline_year"), v.get("target_year")
        if by is None:
            by = period_baseline_year(period)
        if by is not None and ty is not None and ty <= by:
            out.append(("target_year", msg("intake.plan.after_baseline", year=by)))
    return out


def parse_observations(pf: ParsedFile) -> list[dict[str, Any]]:
    """Validate target observations: target code, date (YYYY-MM-DD, or a year = 31 Dec),
    numeric value and a source (required: every number must say where it comes from)."""
    errors: list[RowError] = []
    f = pf.frame
    _flag(pf, f["target_id"] == "", "target_id", errors, msg("intake.cell.required"))
    _flag(pf, f["source"] == "", "source", errors, msg("intake.plan.source_required"))
    value = _number(pf, "value", errors, required=True)
    dates = []
    for line, raw in zip(f["_line"].tolist(), f["date"].tolist(), strict=True):
        d = _date(raw)
        if d is None:
            errors.append(RowError(pf.name, int(line), "date", raw,
                                   msg("intake.plan.date_or_year")))
        dates.append(d)
    keyed = f.assign(_d=[str(d) for d in dates])
    sub = ParsedFile(pf.name, keyed, pf.ignored_columns, pf.encoding, pf.present_columns,
                     pf.sheet)
    _duplicates(sub, ["target_id", "scope_id", "_d"], errors)
    if errors:
        raise InputValidationError(errors)
    return [{"code": r["target_id"], "scope_ref": r["scope_id"], "observed_on": d,
             "value": float(v), "source": r["source"], "_line": int(r["_line"])}
            for r, d, v in zip(f.to_dict("records"), dates, value.tolist(), strict=True)]


def parse_budgets(pf: ParsedFile) -> list[dict[str, Any]]:
    """Validate budgets: year, metric (energy_tce | tco2), scope (district, street, entity),
    scope id (street name/code or entity id; empty for the district), budget > 0 and an
    optional intensity target (for elastic totals)."""
    errors: list[RowError] = []
    f = pf.frame
    year = _year(pf, "year", errors, required=True)
    metric = _choice(pf, "metric", BUDGET_METRICS, errors)
    scope = _choice(pf, "scope_type", SCOPE_TYPES, errors)
    _flag(pf, (scope != "district") & (f["scope_id"] == ""), "scope_id", errors,
          msg("intake.plan.scope_id_budget"))
    budget = _number(pf, "budget", errors, required=True, check=lambda v: v > 0,
                     why=msg("intake.cell.positive"))
    intensity = _number(pf, "intensity_target", errors, required=False, check=lambda v: v > 0,
                        why=msg("intake.cell.positive"))
    _duplicates(pf, ["year", "metric", "scope_type", "scope_id"], errors)
    if errors:
        raise InputValidationError(errors)
    return [{"year": int(y), "metric": m, "scope_type": st, "scope_ref": r["scope_id"],
             "budget": float(b), "intensity_target": _opt(it), "_line": int(r["_line"])}
            for r, y, m, st, b, it in zip(f.to_dict("records"), year.tolist(), metric.tolist(),
                                          scope.tolist(), budget.tolist(), intensity.tolist(),
                                          strict=True)]


def parse_sector_statistics(pf: ParsedFile) -> list[dict[str, Any]]:
    """Validate value added by sector: year, GB/T 4754 section letter (A..T), 10^4 CNY ≥ 0."""
    errors: list[RowError] = []
    f = pf.frame
    year = _year(pf, "year", errors, required=True)
    sector = f["sector"].str.upper()
    _flag(pf, ~sector.str.fullmatch(r"[A-T]"), "sector", errors,
          msg("intake.plan.sector_letter"))
    va = _number(pf, "value_added_10k_cny", errors, required=True, check=lambda v: v >= 0,
                 why=msg("intake.cell.non_negative_10k_cny"))
    _duplicates(pf, ["year", "sector"], errors)
    if errors:
        raise InputValidationError(errors)
    return [{"year": int(y), "sector": s, "value_added_10k_cny": float(v),
             "_line": int(line)}
            for y, s, v, line in zip(year.tolist(), sector.tolist(), va.tolist(),
                                     f["_line"].tolist(), strict=True)]


def _int(v: object) -> int | None:
    return None if v is None or pd.isna(v) else int(v)  # type: ignore[call-overload]


def _date(raw: str) -> dt.date | None:
    if _YEAR.match(raw):
        return dt.date(int(raw), 12, 31)
    if _DATE.match(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    return None
