"""The energy-efficiency disclosure list (能效公示) as HTML and PDF.

中文：公共建筑能效公示（PDF / HTML）——标题、汇总、分类型名单、口径与数据覆盖说明、限额依据。

Every figure on the page comes from the
:class:`~carbonpeak.services.buildings.benchmarking.Benchmark`
given (the official account against a quota table, cut to the reader's scope); this module
only groups, counts and formats. The quota table's status is on the title page: the shipped
tables are ``unverified`` and the page says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from carbonpeak.domain.benchmarking import RATINGS
from carbonpeak.domain.units import CARRIERS
from carbonpeak.i18n import label_text, render
from carbonpeak.intake.formats.vocab import BUILDING_TYPES
from carbonpeak.publish import charts
from carbonpeak.publish.render import (
    Lang,
    html_to_pdf,
    number,
    percent,
    render_html,
    report_time,
    unit_label,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.benchmarking import Benchmark
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.registry.repositories.accounting import streets_of_district
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import QuotaClassSource, QuotaConvention

__all__ = [
    "EUI_DIGITS",
    "ReportNames",
    "disclosure_context",
    "disclosure_html",
    "disclosure_pdf",
    "report_names",
]

EUI_DIGITS = 2  # EUIs to 0.01 (a building 0.04 over its constraint shows it)
RATING_COLORS = {"meets_guide": "#2e7d32", "meets_constraint": "#7cb342",
                 "over_constraint": "#c62828", "no_quota": "#9e9e9e", "no_data": "#bdbdbd",
                 "incomplete_data": "#f9a825"}


@dataclass(frozen=True)
class ReportNames:
    """Names the benchmark does not carry: the district in English, the streets' English
    names (by Chinese name), and what the reader's scope is."""

    district_en: str = ""
    streets_en: dict[str, str] = field(default_factory=dict)
    scope_zh: str = "全区"
    scope_en: str = "whole district"


def report_names(ws: Workspace, district_id: str, scope: AccessScope | None = None) -> ReportNames:
    """The district's and streets' English names and the label of ``scope``."""
    with ws.registry.session() as s:
        d = s.get(District, district_id)
        streets = streets_of_district(s, district_id)
    zh, en = "全区", "whole district"
    if scope is not None and not scope.everything:
        if scope.street_id is not None:
            st = next((x for x in streets if x.id == scope.street_id), None)
            zh, en = (st.name_zh, st.name_en) if st else ("本街道", "own street")
        else:
            zh, en = "本单位建筑", "own buildings"
    return ReportNames(district_en=d.name_en if d else "",
                       streets_en={x.name_zh: x.name_en for x in streets},
                       scope_zh=zh, scope_en=en)


# -- the page's data ------------------------------------------------------------------------
def _has(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and not math.isfinite(v))


def _value(v: object) -> str:
    """A quota value or factor as published (as loaded, no rounding): 110, 12.5, 0.1229."""
    if not _has(v):
        return number(None)
    f = float(str(v))
    return number(f, 0) if f.is_integer() else repr(f)


def _annual(unit: object) -> str:
    """The unit of a yearly total of an EUI unit: kWh/(m2·a) → kWh/a."""
    return unit_label(unit).replace("/(m²·a)", "/a")


def _type_label(code: object, lang: Lang) -> str:
    code = str(code) if _has(code) else "other"
    if lang == "en":
        return code.replace("_", " ")
    return BUILDING_TYPES.get(code, (code,))[0]


def _carriers(codes: object, lang: Lang) -> str:
    if not _has(codes) or not str(codes):
        return ""
    codes = [c for c in str(codes).split(",") if c]
    if lang == "en":
        return ", ".join(c.replace("_", " ") for c in codes)
    return "、".join(CARRIERS[c].name_zh if c in CARRIERS else c for c in codes)


def _convention(code: object, lang: Lang) -> str:
    """A quota convention in the disclosure's short words (``disclosure.convention.*``)."""
    return render(f"disclosure.convention.{code}", lang) \
        if str(code) in tuple(QuotaConvention) else str(code)


def _row(r: dict[str, Any], no: int, lang: Lang, names: ReportNames) -> dict[str, Any]:
    rating = str(r["rating"])
    over = rating == "over_constraint"
    label = r["quota_label_en"] if lang == "en" else r["quota_label_zh"]
    street = r.get("street")
    if lang == "en" and _has(street):
        street = names.streets_en.get(str(street), street)
    rank = (f"{number(r['rank_in_type'], 0)}/{number(r['n_in_type'], 0)}"
            if _has(r["rank_in_type"]) else number(None))
    return {
        "no": no, "entity_id": r["entity_id"], "name": r["name"],
        "street": street if _has(street) else "",
        "floor_area": number(r["floor_area_m2"], 0),
        "eui_equal": number(r["eui_kgce_per_m2_equal"], EUI_DIGITS),
        "rank": rank, "percentile": percent(r["area_percentile_in_type"], 0),
        "quota_class": label if _has(label) else "",
        "class_source": render(f"disclosure.class_source.{r['class_source']}", lang)
        if r["class_source"] in tuple(QuotaClassSource) else "",
        "eui": number(r["eui"], EUI_DIGITS), "unit": unit_label(r["eui_unit"]),
        "constraint": _value(r["constraint_value"]), "guide": _value(r["guide_value"]),
        "rating": rating, "rating_label": label_text("quota_rating", rating, lang),
        "excess": percent(r["excess_fraction"]) if over else "",
        "reduction": (f"{number(r['reduction_required'], 0)} {_annual(r['eui_unit'])}"
                      if over else ""),
        "coverage": percent(r["coverage"], 0),
    }


def _summary(frame: pd.DataFrame, lang: Lang) -> dict[str, Any]:
    area = pd.to_numeric(frame["floor_area_m2"], errors="coerce")
    total_area = float(area.sum())
    counts = frame["rating"].value_counts()
    areas = area.groupby(frame["rating"]).sum()
    rows = [{"rating": code, "label": label_text("quota_rating", code, lang),
             "buildings": int(counts.get(code, 0)),
             "floor_area": number(float(areas.get(code, 0.0)), 0),
             "share": percent(float(areas.get(code, 0.0)) / total_area if total_area else None)}
            for code in RATINGS]
    over = frame[frame["rating"] == "over_constraint"]
    reductions = [{"total": number(float(v), 0), "unit": _annual(u),
                   "buildings": int((over["eui_unit"] == u).sum())}
                  for u, v in pd.to_numeric(over["reduction_required"]).groupby(
                      over["eui_unit"]).sum().items()]
    by_type = [{"label": _type_label(t, lang), "buildings": int(n)} for t, n in
               frame["building_type"].fillna("other").value_counts(sort=False).items()]
    return {"rows": rows, "buildings": len(frame), "floor_area": number(total_area, 0),
            "reductions": reductions, "by_type": by_type}


def _quota_rows(frame: pd.DataFrame, lang: Lang) -> list[dict[str, Any]]:
    used = frame[frame["quota_class"].notna()]
    out = []
    for cls, g in used.groupby("quota_class", sort=True):
        r = g.iloc[0]
        out.append({
            "quota_class": str(cls),
            "label": r["quota_label_en"] if lang == "en" else r["quota_label_zh"],
            "convention": _convention(r["convention"], lang),
            "factor": _value(r["electricity_kgce_per_kwh"]) if _has(
                r["electricity_kgce_per_kwh"]) else "",
            "excluded": _carriers(r["exclude_carriers"], lang),
            "constraint": _value(r["constraint_value"]), "guide": _value(r["guide_value"]),
            "unit": unit_label(r["eui_unit"]), "status": str(r["quota_status"]),
            "status_label": label_text("quota_status", r["quota_status"], lang),
            "source": str(r["quota_source"]), "buildings": len(g)})
    return out


def _chart(summary: dict[str, Any], lang: Lang) -> str:
    rows = summary["rows"]
    fig = charts.hbar([r["label"] for r in rows], [r["buildings"] for r in rows],
                      colors=[RATING_COLORS[r["rating"]] for r in rows],
                      xlabel="建筑数（栋）" if lang == "zh" else "buildings", width_mm=120)
    return charts.data_uri(charts.svg(fig))


def disclosure_context(bm: Benchmark, *, lang: Lang = "zh",
                       names: ReportNames | None = None) -> dict[str, Any]:
    """What the disclosure template shows, every figure formatted from ``bm``."""
    names = names or ReportNames()
    frame = bm.frame
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in bm.records():
        by_type.setdefault(str(r["building_type"]) if _has(r["building_type"]) else "other",
                           []).append(r)
    groups: list[dict[str, Any]] = []
    no = 0
    for t, recs in by_type.items():
        rows = []
        for r in recs:
            no += 1
            rows.append(_row(r, no, lang, names))
        groups.append({"type": t, "label": _type_label(t, lang), "rows": rows})
    statuses = sorted({str(x) for x in frame["quota_status"].dropna()})
    summary = _summary(frame, lang)
    counts = {r["rating"]: r["buildings"] for r in summary["rows"]}
    district = (names.district_en or bm.district_id) if lang == "en" else bm.district_name
    return {
        "district": district, "year": bm.year, "table_id": bm.table_id,
        "table_version": bm.table_version, "account_run_id": bm.account_run_id,
        "factor_set": bm.factor_set,
        "scope": names.scope_en if lang == "en" else names.scope_zh,
        "statuses": [{"code": s, "label": label_text("quota_status", s, lang)}
                     for s in statuses],
        "unverified": "unverified" in statuses,
        "summary": summary, "groups": groups, "quota_rows": _quota_rows(frame, lang),
        "conventions": sorted({str(c) for c in frame["convention"].dropna()}),
        "rated": counts["meets_guide"] + counts["meets_constraint"] + counts["over_constraint"],
        "counts": counts,
        "any_default": bool((frame["class_source"] == "default").any()),
        "chart": _chart(summary, lang) if len(frame) else "",
    }


def _key(context: dict[str, Any], lang: Lang) -> str:
    return "disclosure.html/" + lang + "/" + hashlib.sha256(json.dumps(
        context, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def disclosure_html(bm: Benchmark, *, lang: Lang = "zh", generated: dt.datetime | None = None,
                    names: ReportNames | None = None) -> str:
    """The disclosure list as one self-contained HTML document."""
    return render_html("disclosure.html", disclosure_context(bm, lang=lang, names=names),
                       lang=lang, generated=report_time(generated))


def disclosure_pdf(bm: Benchmark, out: Path | None = None, *, lang: Lang = "zh",
                   generated: dt.datetime | None = None,
                   names: ReportNames | None = None) -> bytes:
    """The disclosure list (能效公示) as PDF (A4 landscape). The same benchmark, language and
    ``generated`` time give the same bytes; written to ``out`` too when given."""
    when = report_time(generated)
    context = disclosure_context(bm, lang=lang, names=names)
    html = render_html("disclosure.html", context, lang=lang, generated=when)
    data = html_to_pdf(html, created=when, key=_key(context, lang))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data
