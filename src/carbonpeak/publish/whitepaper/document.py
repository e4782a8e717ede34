"""The annual white paper (年度碳排放状况白皮书) as PDF and HTML, in Chinese or English.

中文：年度碳排放状况白皮书（PDF / HTML，中文版与英文版）——封面、概要、构成、趋势、双控、因素分解、
达峰展望、公共建筑、可再生能源、需求响应、规划目标、碳排放地图、方法与数据说明。

Every figure comes from :func:`carbonpeak.publish.whitepaper.content.white_paper` (the official
account run of the year and the pipelines built on it); this module only chooses words,
formats numbers, draws the charts and lays the chapters out. The sentences of the text are
built from the same figures as the tables. Totals are formatted as ``carbonpeak account``
prints them (thousands separated, one decimal: :data:`TOTAL_DIGITS`).

The document is a list of chapters, each a list of blocks (paragraph, table, figure, key
figures, note, statement of what is not available): the template
(``templates/whitepaper.html``) prints them in order. A programme section added through
``white_paper(sections=...)`` (:class:`~carbonpeak.publish.whitepaper.content.ExtraSection`) is
printed by ``templates/whitepaper/_extra.html`` in the chapter its placement names.

The same content, language and report time give the same bytes (charts are deterministic
SVG, the PDF's identifier is derived from the content, not the time).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from carbonpeak import __version__
from carbonpeak.domain.benchmarking import RATINGS
from carbonpeak.domain.lmdi import EFFECTS as LMDI_EFFECTS
from carbonpeak.i18n import Label, Message, label_text, render, render_both
from carbonpeak.publish import charts
from carbonpeak.publish.render import (
    Lang,
    html_to_pdf,
    number,
    render_html,
    report_time,
    stylesheet,
    unit_label,
)
from carbonpeak.publish.whitepaper.vpp import chapter_parts

__all__ = [
    "INTENSITY_DIGITS",
    "TOTAL_DIGITS",
    "report_filename",
    "whitepaper_context",
    "whitepaper_html",
    "whitepaper_pdf",
]

TOTAL_DIGITS = 1  # tce and tCO2, as `carbonpeak account` prints them
#: tce or tCO2 per 10^4 CNY: significant figures (0.006829), so that a change in percent
#: can be worked again from the printed values to the shown precision
INTENSITY_DIGITS = 4
BEIJING = dt.timezone(dt.timedelta(hours=8))
PCT_DIGITS = 1
EUI_DIGITS = 1

CARRIERS = {
    "electricity": ("电力", "electricity"), "natural_gas": ("天然气", "natural gas"),
    "heat": ("热力", "heat"), "diesel": ("柴油", "diesel"), "gasoline": ("汽油", "gasoline"),
    "kerosene": ("煤油", "kerosene"), "fuel_oil": ("燃料油", "fuel oil"),
    "lpg": ("液化石油气", "LPG"), "coal": ("煤炭", "coal"), "steam": ("蒸汽", "steam"),
    "pv_generation": ("光伏发电", "on-site PV"),
}
#: GB/T 4754-2017 sections by their full names (the catalogue's ``label.sector.*``)
SECTORS = {code: render_both(Message(f"label.sector.{code.lower()}"))
           for code in "ABCDEFGHIJKLMNOPQRST"} | {
    "(none)": render_both(Message("label.sector.none"))}
#: building types by their labels (``label.building_type.*``; not a building: an enterprise)
BUILDING_TYPES = {code: render_both(Message(f"label.building_type.{code}")) for code in (
    "office", "hotel", "mall", "hospital", "school", "government", "data_centre", "mixed",
    "other")} | {"(none)": render_both(Message("whitepaper.building_type.none"))}
SCENARIOS = {name: render_both(Message(f"label.scenario.{name}"))
             for name in ("bau", "plan", "enhanced")}
SCENARIO_COLORS = {"bau": "#d55e00", "plan": "#0072b2", "enhanced": "#009e73"}
#: the units the chapters print, by their labels in the catalogue
UNITS = {unit: render_both(Message(code)) for unit, code in (
    ("tce", "plan.unit.tce"), ("tCO2", "plan.unit.tco2"),
    ("tce/万元", "label.report_unit.tce_per_10k_cny"),
    ("tCO2/万元", "label.report_unit.tco2_per_10k_cny"),
    ("万元", "label.report_unit.10k_cny"))}
COMPARATORS = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}
DIGITS = {"tce": TOTAL_DIGITS, "tCO2": TOTAL_DIGITS, "万元": 0}
INTENSITY_UNITS = {"tce/万元", "tCO2/万元"}


# -- words and numbers ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Words:
    """The edition's language: ``w("中文", "English")`` picks one."""

    lang: Lang

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def pick(self, pair: tuple[str, str] | Sequence[str]) -> str:
        return str(pair[1] if self.lang == "en" else pair[0])

    def label(self, table: Mapping[str, tuple[str, str]], code: object) -> str:
        key = str(code)
        if key in table:
            return self.pick(table[key])
        return key.replace("_", " ") if self.lang == "en" else key

    def vocab(self, kind: str, code: object) -> str:
        """A member of a closed list in the edition's language (``label.<kind>.<code>``)."""
        return label_text(kind, code, self.lang)

    def say(self, code: str, **params: Any) -> str:  # noqa: ANN401 - message parameters
        """The catalogue's text of ``code`` with ``params`` in the edition's language."""
        return render(Message(code, params), self.lang)

    @property
    def sep(self) -> str:
        return ", " if self.lang == "en" else "、"


def _has(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and not math.isfinite(v))


def _num(v: object, digits: int = TOTAL_DIGITS) -> str:
    out = number(v, digits)
    return out[1:] if out.startswith("-") and not out.strip("-0.,") else out  # not "-0.0"


def _chg(pct: object) -> str:
    """A change in percent (the pipeline's ``*_pct``) with its sign: ``+0.3%``, ``−4.0%``."""
    if not _has(pct) or not isinstance(pct, (int, float)):
        return number(None)
    shown = f"{abs(pct):.{PCT_DIGITS}f}"
    if float(shown) == 0:
        return f"{shown}%"
    return ("+" if pct > 0 else "−") + shown + "%"


def _pct(fraction: object, digits: int = PCT_DIGITS) -> str:
    if not _has(fraction) or not isinstance(fraction, (int, float)):
        return number(None)
    return f"{fraction * 100:.{digits}f}%"


def _moved(w: _Words, pct: object) -> str:
    """``增长0.3%`` / ``下降4.0%`` / ``持平`` (up 0.3% / down 4.0% / unchanged)."""
    if not _has(pct) or not isinstance(pct, (int, float)):
        return w.say("whitepaper.moved.none")
    shown = f"{abs(pct):.{PCT_DIGITS}f}"
    if float(shown) == 0:
        return w.say("whitepaper.moved.flat")
    return w.say("whitepaper.moved.up" if pct > 0 else "whitepaper.moved.down", pct=shown)


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_BILINGUAL = re.compile(r"^(\S*[\u3000-\u9fff\uff00-\uffef]\S*)\s+(\S.*)$")


def _unit(w: _Words, unit: str) -> str:
    return w.pick(UNITS[unit]) if unit in UNITS else _unit_text(w, unit)


def _unit_text(w: _Words, unit: object) -> str:
    """A unit of the content in the edition's language: ``次/5年 times per 5 years`` is
    ``次/5年`` in Chinese and ``times per 5 years`` in English; ``m2``, ``%`` stay."""
    text = unit_label(unit)
    m = _BILINGUAL.match(text)
    if m:
        return w.pick((m.group(1), m.group(2)))
    return text


def _with_unit(value: str, unit: str) -> str:
    """``2.6%`` (no space before a percent sign), ``12 m²``."""
    if not unit:
        return value
    return f"{value}{unit}" if unit in ("%", "‰") or _CJK.match(unit) else f"{value} {unit}"


def _text(w: _Words, x: Mapping[str, Any], key: str) -> Any:
    """A text of the content in the edition's language: ``x[key + "_zh"]`` (or ``_en``) when
    the content has it, else ``x[key]``."""
    own = x.get(key + ("_en" if w.lang == "en" else "_zh"))
    return own if own else x.get(key)


def _part(w: _Words, text: str) -> str:
    """``English / 中文`` (a text in both languages) in the edition's language."""
    parts = [p.strip() for p in text.split(" / ")]
    if len(parts) == 2 and bool(_CJK.search(parts[0])) != bool(_CJK.search(parts[1])):
        zh, en = (parts[0], parts[1]) if _CJK.search(parts[0]) else (parts[1], parts[0])
        return w.pick((zh, en))
    return text


def _value(v: object) -> str:
    """A coefficient as published (no rounding, no trailing zeros)."""
    if not _has(v):
        return number(None)
    if isinstance(v, (int, float)):
        f = float(v)
        return f"{f:,.0f}" if f.is_integer() else f"{f:g}"
    return str(v)


def _sig(v: object, digits: int = INTENSITY_DIGITS, *, strip: bool = True) -> str:
    """A value to ``digits`` significant figures (at least whole numbers, thousands
    separated): ``0.006829``, ``13.5``, ``92,210``; ``strip``: no trailing zeros."""
    if not _has(v) or not isinstance(v, (int, float)):
        return number(None)
    f = float(v)
    if f == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(f))))
    out = f"{f:,.{decimals}f}"
    if strip and "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def _intensity(v: object) -> str:
    """tce or tCO2 per 10^4 CNY to :data:`INTENSITY_DIGITS` significant figures."""
    return _sig(v, INTENSITY_DIGITS, strip=False)


def _year(v: object) -> str:
    """A year: ``2024`` (never ``2,024``)."""
    if not _has(v) or not isinstance(v, (int, float)):
        return number(None)
    return str(round(float(v)))


def _local(when: object) -> dt.datetime:
    """A UTC time of the content (naive or aware) in Beijing time."""
    t = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(str(when))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(BEIJING)


def _clock(w: _Words, when: object, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``2025-03-01 16:00 北京时间`` / ``2025-03-01 16:00 UTC+8``."""
    return _local(when).strftime(fmt) + w(" 北京时间", " UTC+8")


def _delta(w: _Words, v: object, unit_zh: str = "吨", unit_en: str = " t") -> str:
    """``增加4,635.6吨`` / ``减少614.0吨`` (rose by / fell by)."""
    if not _has(v) or not isinstance(v, (int, float)):
        return w("无数据", "no data")
    shown = _num(abs(v))
    if float(shown.replace(",", "")) == 0:
        return w("基本不变", "unchanged")
    if v > 0:
        return w(f"增加{shown}{unit_zh}", f"rose by {shown}{unit_en}")
    return w(f"减少{shown}{unit_zh}", f"fell by {shown}{unit_en}")


def _from_to(w: _Words, a: object, b: object, text: Callable[[object], str], unit_zh: str,
             unit_en: str) -> str:
    """``由301,229.7吨降至300,677.0吨（下降0.2%）`` / ``fell from … to … (down 0.2%)``."""
    if not (isinstance(a, (int, float)) and isinstance(b, (int, float))) or not a:
        return w(f"由{text(a)}{unit_zh}变为{text(b)}{unit_zh}",
                 f"went from {text(a)}{unit_en} to {text(b)}{unit_en}")
    shown_a, shown_b = (float(text(x).replace(",", "")) for x in (a, b))
    # the change as worked from the printed values, so a reader gets the same figure
    moved = _moved(w, 100.0 * (shown_b - shown_a) / shown_a if shown_a else None)
    if b < a:
        return w(f"由{text(a)}{unit_zh}降至{text(b)}{unit_zh}（{moved}）",
                 f"fell from {text(a)}{unit_en} to {text(b)}{unit_en} ({moved})")
    if b > a:
        return w(f"由{text(a)}{unit_zh}升至{text(b)}{unit_zh}（{moved}）",
                 f"rose from {text(a)}{unit_en} to {text(b)}{unit_en} ({moved})")
    return w(f"保持{text(b)}{unit_zh}", f"stayed at {text(b)}{unit_en}")


# -- blocks ----------------------------------------------------------------------------------
def _p(text: str) -> dict[str, Any]:
    return {"kind": "p", "text": text}


def _h3(text: str) -> dict[str, Any]:
    return {"kind": "h3", "text": text}


def _note(text: str) -> dict[str, Any]:
    return {"kind": "note", "text": text}


def _warning(text: str) -> dict[str, Any]:
    return {"kind": "warning", "text": text}


def _unavailable(text: str) -> dict[str, Any]:
    return {"kind": "unavailable", "text": text}


def _facts(items: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """Key figures: (label, value, unit)."""
    return {"kind": "facts", "items": [{"label": a, "value": b, "unit": c} for a, b, c in items]}


def _figure(src: str | None, caption: str, *, size: str = "wide") -> dict[str, Any]:
    return {"kind": "figure", "src": src or "", "caption": caption, "size": size}


def _table(head: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]], *,
           foot: Sequence[str] | None = None, caption: str = "", cls: str = "",
           row_cls: Sequence[str] | None = None, empty: str = "",
           widths: Sequence[int] | None = None) -> dict[str, Any]:
    """A table: ``head`` (label, numeric?), rows of formatted cells, an optional total row;
    ``widths`` (percent of the text width per column) fixes the layout of wide tables."""
    cells = [[str(x) for x in r] for r in rows] + ([list(foot)] if foot else [])
    nowrap = [all(_short(r[i]) for r in cells if i < len(r)) for i in range(len(head))]
    return {"kind": "table", "caption": caption, "cls": cls, "empty": empty,
            "widths": list(widths or []),
            "head": [{"label": a, "num": b, "nw": nowrap[i] and _short(a)}
                     for i, (a, b) in enumerate(head)],
            "nowrap": nowrap,
            "rows": [{"cells": list(r), "cls": (row_cls[i] if row_cls else "")}
                     for i, r in enumerate(rows)],
            "foot": list(foot) if foot is not None else None}


def _short(text: str) -> bool:
    """A cell printed on one line: a single word of at most 12 columns (a CJK character is
    two), e.g. ``液化石油气``, ``未核实``, ``qualitative``, ``1,234,567.8``."""
    if any(ch.isspace() for ch in text.strip()):
        return False
    return sum(2 if _CJK.match(ch) else 1 for ch in text) <= 12


def _svg(draw: Callable[[], Any]) -> str:
    return charts.data_uri(charts.svg(draw()))


def _chapter(cid: str, title: str, blocks: list[dict[str, Any]], *,
             section: Mapping[str, Any] | None = None, w: _Words | None = None,
             ) -> dict[str, Any]:
    """A chapter; a section of the content that is not available prints its reason only."""
    if section is not None and w is not None and not section.get("available", True):
        blocks = [_unavailable(w.pick((section["reason_zh"], section["reason_en"])))]
    return {"id": cid, "title": title, "blocks": blocks, "extras": []}


# -- the chapters ------------------------------------------------------------------------------
def _formatter(unit: str) -> Callable[[object], str]:
    """How a value in ``unit`` is printed: totals with one decimal, intensities (per 10^4
    CNY) to four significant figures, 10^4 CNY whole."""
    if unit in INTENSITY_UNITS or "10^4 CNY" in unit:
        return _intensity
    return functools.partial(_num, digits=DIGITS.get(unit, TOTAL_DIGITS))


def _headline_rows(w: _Words, rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        fmt = _formatter(str(r["unit"]))
        label = w.pick((r["label_zh"], r["label_en"]))
        out.append([label[:1].upper() + label[1:], _unit(w, str(r["unit"])),
                    fmt(r["value"]), fmt(r["previous"]), _chg(r["change_vs_previous_pct"]),
                    fmt(r["baseline"]), _chg(r["change_vs_baseline_pct"])])
    return out


def _summary(c: Mapping[str, Any], w: _Words, district: str) -> dict[str, Any]:
    year = int(c["year"])
    s = c["summary"]
    tot = s["totals"]
    by_key = {r["key"]: r for r in s["headline"]}
    blocks: list[dict[str, Any]] = []
    entities = _num(tot.get("entities"), 0)
    blocks.append(_p(w.say(
        "whitepaper.summary.account", year=year, district=district, entities=entities,
        tce_equal=_num(tot["tce_equal"]), tce_equivalent=_num(tot["tce_equivalent"]),
        tco2=_num(tot["tco2"]), scope1=_num(tot["tco2_scope1"]),
        scope2=_num(tot["tco2_scope2"]))))
    prev = s.get("previous_year")
    e, co2 = by_key["tce_equal"], by_key["tco2"]
    if prev:
        blocks.append(_p(w.say(
            "whitepaper.summary.vs_previous", year=year, previous=year - 1,
            tco2=_num(co2["value"]), co2_moved=_moved(w, co2["change_vs_previous_pct"]),
            energy_moved=_moved(w, e["change_vs_previous_pct"]))))
    else:
        blocks.append(_p(w.say("whitepaper.summary.no_previous", previous=year - 1)))
    if s.get("baseline_year"):
        blocks.append(_p(w.say("whitepaper.summary.vs_baseline", baseline=s["baseline_year"],
                               co2_moved=_moved(w, co2["change_vs_baseline_pct"]))))
    stats = {r["key"]: r for r in s.get("statistics", [])}
    ep, cp = stats.get("energy_per_gdp"), stats.get("co2_per_gdp")
    if ep and ep["value"] is not None:
        blocks.append(_p(w.say(
            "whitepaper.summary.statistics", energy=_num(stats["energy_tce"]["value"]),
            co2=_num(stats["co2_t"]["value"]), intensity=_intensity(ep["value"]),
            vs_baseline=_moved(w, ep["change_vs_baseline_pct"]),
            vs_previous=_moved(w, ep["change_vs_previous_pct"]),
            co2_vs_baseline=_moved(w, cp["change_vs_baseline_pct"] if cp else None))))
    dual, targets = c["dual_control"], c["targets"]
    if dual.get("available") and dual["warnings"]:
        n = dual["warning_counts"]
        blocks.append(_p(w.say("whitepaper.summary.warnings", year=year,
                               n=len(dual["warnings"]), red=n.get("red", 0),
                               yellow=n.get("yellow", 0), green=n.get("green", 0))))
    if targets.get("available"):
        counts = targets["counts"]
        parts = w.sep.join(f"{_status(w, k)} {v}" for k, v in sorted(counts.items()))
        blocks.append(_p(w.say("whitepaper.summary.targets", n=len(targets["rows"]),
                               parts=parts)))

    head = [(w("指标", "Indicator"), False), (w("单位", "Unit"), False),
            (w(f"{year}年", str(year)), True), (w(f"{year - 1}年", str(year - 1)), True),
            (w("比上年", "vs previous year"), True), (w("2020年", "2020"), True),
            (w("比2020年", "vs 2020"), True)]
    blocks.append(_h3(w("核算范围内（正式核算）", "Within the account (official run)")))
    blocks.append(_table(head, _headline_rows(w, s["headline"]), cls="headline"))
    if not s.get("baseline_year"):
        blocks.append(_note(w("2020年无正式核算，核算口径与2020年的比较留空；全区统计口径的比较见下表。",
                              "2020 has no official account, so the account's comparison with "
                              "2020 is blank; the district statistics below compare with "
                              "2020.")))
    if s.get("statistics") and any(r["value"] is not None for r in s["statistics"]):
        blocks.append(_h3(w("全区（统计口径）", "District-wide (statistics)")))
        blocks.append(_table(head, _headline_rows(w, s["statistics"]), cls="headline"))
        key = "source_zh" if w.lang == "zh" else "source_en"
        sources = sorted({str(r.get(key) or r["source"]) for r in s["statistics"]
                          if r["source"]})
        blocks.append(_note(w.say("whitepaper.summary.sources",
                                  sources=("；" if w.lang == "zh" else "; ").join(sources))))
    return _chapter("summary", w("概要", "Summary"), blocks)


def _breakdown_table(w: _Words, rows: Sequence[Mapping[str, Any]], key: str, label: str,
                     names: Callable[[str], str]) -> dict[str, Any]:
    head = [(label, False), (w("当量值 tce", "tce (equivalent)"), True),
            (w("等价值 tce", "tce (equal)"), True), ("tCO2", True),
            (w("占比", "share of CO2"), True)]
    body = [[names(str(r[key])), _num(r["tce_equivalent"]), _num(r["tce_equal"]),
             _num(r["tco2"]), _chg(r["share_tco2_pct"]).lstrip("+")] for r in rows]
    return _table(head, body)


#: large physical quantities in the Chinese edition: kWh and m³ in 万 (10^4)
_TEN_THOUSANDS = {"kWh": "万kWh", "m³": "万m³", "m3": "万m³"}


def _quantity(w: _Words, value: object, unit: object) -> tuple[str, str]:
    """A physical quantity and its unit as printed: ``22,827.9`` ``万kWh`` in Chinese,
    ``228,279,398`` ``kWh`` in English (no decimals on kWh or m³)."""
    u = str(unit or "")
    if u in _TEN_THOUSANDS:
        if w.lang == "zh" and isinstance(value, (int, float)):
            return _num(value / 1e4, 1), _TEN_THOUSANDS[u]
        return _num(value, 0), unit_label(u)
    return _num(value), _unit_text(w, u)


def _breakdowns(c: Mapping[str, Any], w: _Words, streets_en: Mapping[str, str]) -> dict[str, Any]:
    b = c["breakdowns"]
    tot = c["summary"]["totals"]
    blocks: list[dict[str, Any]] = []
    carriers = b["by_carrier"]
    purchased = [r for r in carriers if str(r["scope"]) in ("1", "2")]
    top = max(purchased, key=lambda r: r["tco2"] or 0.0) if purchased else None
    if top and tot["tco2"]:
        blocks.append(_p(w(
            f"分能源品种看，{w.label(CARRIERS, top['carrier'])}排放二氧化碳{_num(top['tco2'])}吨，"
            f"占核算范围排放的{_pct(top['tco2'] / tot['tco2'])}。",
            f"By carrier, {w.label(CARRIERS, top['carrier'])} accounts for "
            f"{_num(top['tco2'])} tCO2, {_pct(top['tco2'] / tot['tco2'])} of the account's "
            "emissions.")))
    head = [(w("能源品种", "Carrier"), False), (w("实物量", "Quantity"), True),
            (w("单位", "Unit"), False), (w("当量值 tce", "tce (equivalent)"), True),
            (w("等价值 tce", "tce (equal)"), True), ("tCO2", True), (w("范围", "Scope"), False),
            (w("覆盖率", "Coverage"), True)]
    rows = [[w.label(CARRIERS, r["carrier"]), *_quantity(w, r["quantity"], r["unit"]),
             _num(r["tce_equivalent"]), _num(r["tce_equal"]), _num(r["tco2"]),
             w("光伏（单列）", "PV (apart)") if r["scope"] == "generation" else str(r["scope"]),
             _pct(r["coverage"])] for r in carriers]
    foot = [w("合计（不含光伏）", "Total (excl. PV)"), "", "", _num(tot["tce_equivalent"]),
            _num(tot["tce_equal"]), _num(tot["tco2"]), "1+2", _pct(tot["coverage"])]
    blocks.append(_h3(w("分能源品种", "By carrier")))
    blocks.append(_table(head, rows, foot=foot))
    if purchased:
        blocks.append(_figure(_svg(lambda: charts.hbar(
            [w.label(CARRIERS, r["carrier"]) for r in purchased],
            [float(r["tco2"] or 0.0) for r in purchased], xlabel="tCO2", width_mm=130)),
            w("图：分能源品种二氧化碳排放（吨）", "Figure: CO2 by carrier (t)"), size="medium"))

    def sector(code: str) -> str:
        name = w.label(SECTORS, code)
        return name if code == "(none)" else f"{code} {name}"

    for key, rows_, title_zh, title_en, col_zh, col_en, names in (
            ("sector", b["by_sector"], "分行业（国民经济行业分类门类）",
             "By sector (GB/T 4754 section)", "行业", "Sector", sector),
            ("building_type", b["by_building_type"], "分建筑类型", "By building type",
             "建筑类型", "Building type", lambda t: w.label(BUILDING_TYPES, t)),
            ("street", b["by_street"], "分街道", "By street", "街道", "Street",
             lambda s: streets_en.get(s, s) if w.lang == "en" else s)):
        blocks.append(_h3(w(title_zh, title_en)))
        if not rows_:
            blocks.append(_note(w("无数据", "No data")))
            continue
        first = rows_[0]
        blocks.append(_p(w(
            f"{names(str(first[key]))}排放最多，{_num(first['tco2'])}吨，占"
            f"{_chg(first['share_tco2_pct']).lstrip('+')}。",
            f"{names(str(first[key]))} emits most: {_num(first['tco2'])} t, "
            f"{_chg(first['share_tco2_pct']).lstrip('+')} of the total.")))
        blocks.append(_breakdown_table(w, rows_, key, w(col_zh, col_en), names))
        if key != "building_type":
            labels = [names(str(r[key])) for r in rows_]
            values = [float(r["tco2"] or 0.0) for r in rows_]
            blocks.append(_figure(_svg(functools.partial(charts.hbar, labels, values,
                                                         xlabel="tCO2", width_mm=150)),
                w(f"图：{title_zh.split('（')[0]}二氧化碳排放（吨）",
                  f"Figure: CO2 {title_en.split(' (')[0].lower()} (t)"), size="medium"))
    return _chapter("breakdowns", w("能耗与碳排放构成", "Energy and CO2 by carrier, "
                                    "sector, building type and street"), blocks)


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> list[float | None]:
    return [r.get(key) for r in rows]


def _trends(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["trends"]
    if not sec.get("available") or not sec["rows"]:
        return _chapter("trends", w("历年趋势", "Trends since the baseline"), [
            _unavailable(w.pick((sec.get("reason_zh", "暂无历年数据"),
                                 sec.get("reason_en", "no series"))))])
    rows = sec["rows"]
    years = [int(r["year"]) for r in rows]
    first, last = rows[0], rows[-1]
    t_ = functools.partial(_num, digits=TOTAL_DIGITS)
    co2 = _from_to(w, first["co2_t"], last["co2_t"], t_, "吨", " t")
    ep = _from_to(w, first["energy_per_gdp"], last["energy_per_gdp"], _intensity,
                  "吨标准煤/万元", " tce per 10,000 CNY")
    blocks = [_p(w(f"{years[0]}—{years[-1]}年，全区二氧化碳排放{co2}，单位GDP能耗{ep}。",
                   f"From {years[0]} to {years[-1]}, district CO2 {co2} and energy per GDP "
                   f"{ep}."))]
    head = [(w("年份", "Year"), False), (w("GDP 万元", "GDP 10,000 CNY"), True),
            (w("全区能耗 tce", "Energy tce"), True), (w("全区CO2 t", "CO2 t"), True),
            (w("单位GDP能耗", "Energy per GDP"), True), (w("单位GDP CO2", "CO2 per GDP"), True),
            (w("核算能耗 tce（等价值）", "Account energy tce (equal)"), True),
            (w("核算CO2 t", "Account CO2 t"), True), (w("光伏发电 kWh", "PV kWh"), True)]
    body = [[str(r["year"]), _num(r["gdp_10k_cny"], 0), _num(r["energy_tce"]),
             _num(r["co2_t"]), _intensity(r["energy_per_gdp"]),
             _intensity(r["co2_per_gdp"]), _num(r["account_tce_equal"]),
             _num(r["account_tco2"]), _num(r["pv_kwh"], 0)] for r in rows]
    blocks.append(_table(head, body, cls="small-table"))
    by_source: dict[tuple[tuple[str, str], tuple[str, str]], list[int]] = {}
    for r in rows:
        if r["energy_source"] or r["co2_source"]:
            key = ((str(r.get("energy_source_zh") or r["energy_source"] or "—"),
                    str(r.get("energy_source_en") or r["energy_source"] or "—")),
                   (str(r.get("co2_source_zh") or r["co2_source"] or "—"),
                    str(r.get("co2_source_en") or r["co2_source"] or "—")))
            by_source.setdefault(key, []).append(int(r["year"]))
    if by_source:
        blocks.append(_note(w("全区能耗与CO2来源：", "Sources of district energy and CO2: ")
                            + " | ".join(w(f"{_years(ys)}年：能耗{e[0]}；CO2 {c2[0]}",
                                           f"{_years(ys)}: energy {e[1]}; CO2 {c2[1]}")
                                         for (e, c2), ys in by_source.items())))
    paths = _paths(c)
    stat, acc = w("统计口径", "statistics"), w("核算范围", "account")

    def draw() -> Any:
        panels = [
            {"title": w("综合能耗（吨标准煤）", "Energy (tce)"), "series": [
                charts.Series(stat, years, _series(rows, "energy_tce"), charts.PALETTE[0]),
                charts.Series(acc, years, _series(rows, "account_tce_equal"), charts.PALETTE[1],
                              style="--")]},
            {"title": w("二氧化碳排放（吨）", "CO2 (t)"), "series": [
                charts.Series(stat, years, _series(rows, "co2_t"), charts.PALETTE[0]),
                charts.Series(acc, years, _series(rows, "account_tco2"), charts.PALETTE[1],
                              style="--")]}]
        for key, zh, en in (("energy_per_gdp", "单位GDP能耗（吨标准煤/万元）",
                             "Energy per GDP (tce per 10,000 CNY)"),
                            ("co2_per_gdp", "单位GDP二氧化碳排放（吨/万元）",
                             "CO2 per GDP (t per 10,000 CNY)")):
            series = [charts.Series(stat, years, _series(rows, key), charts.PALETTE[0])]
            for i, (code, path) in enumerate(paths.get(key, [])):
                series.append(charts.Series(
                    w(f"目标路径 {code}", f"target path {code}"), [p["year"] for p in path],
                    [p["value"] for p in path], charts.PALETTE[2 + i], style=":", marker=""))
            panels.append({"title": w(zh, en), "series": series})
        return charts.line_panels(panels)

    blocks.append(_figure(_svg(draw), w("图：历年综合能耗、二氧化碳排放与强度（含目标路径）",
                                        "Figure: energy, CO2 and intensities since the "
                                        "baseline, with the target paths")))
    return _chapter("trends", w("历年趋势", "Trends since the baseline"), blocks)


def _years(years: Sequence[int]) -> str:
    """``2020–2024`` for consecutive years, else ``2020, 2022``."""
    ys = sorted(years)
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


def _paths(c: Mapping[str, Any]) -> dict[str, list[tuple[str, list[dict[str, Any]]]]]:
    dual = c["dual_control"]
    out: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}
    if not dual.get("available"):
        return out
    for ind in dual["indicators"]:
        for t in ind["targets"]:
            if t.get("path"):
                out.setdefault(ind["indicator"], []).append((str(t["code"]), t["path"]))
    return out


def _effect(w: _Words, effect: object) -> str:
    """An LMDI effect in the white paper's words (``whitepaper.lmdi_effect.*``)."""
    return w.say(f"whitepaper.lmdi_effect.{effect}")


def _status(w: _Words, code: object) -> str:
    return label_text("target_state", code, w.lang)




def _dual(c: Mapping[str, Any], w: _Words, streets_en: Mapping[str, str]) -> dict[str, Any]:
    sec = c["dual_control"]
    title = w("能耗和碳排放双控", "Dual control")
    if not sec.get("available"):
        return _chapter("dual_control", title, [], section=sec, w=w)
    blocks: list[dict[str, Any]] = []
    ind_by = {i["indicator"]: i for i in sec["indicators"]}
    ep = ind_by.get("energy_per_gdp")
    if ep and ep["targets"]:
        t = ep["targets"][0]
        blocks.append(_p(w(f"单位GDP能耗：{t['reason_zh']}（目标{t['code']}）。",
                           f"Energy per GDP: {t['reason_en']} (target {t['code']}).")))
    head = [(w("指标", "Indicator"), False), (w("单位", "Unit"), False),
            (w("2020年基准", "2020 baseline"), True), (w("最新年份", "Latest year"), True),
            (w("最新值", "Latest value"), True), (w("较2020年", "vs 2020"), True),
            (w("目标", "Target"), False), (w("所需年均变化", "Required yearly change"), True),
            (w("预算使用", "Budget used"), True), (w("状态", "Status"), False)]
    rows = []
    for i in sec["indicators"]:
        fmt = _formatter(str(i["unit"]).replace("10^4 CNY", "万元"))
        targets = w.sep.join(
            f"{t['code']} {t['target_year'] or ''} "
            + (fmt(t["target_value"]) if t["target_value"] is not None
               else str(t["target_text"] or "—")) for t in i["targets"]) or "—"
        rates = w.sep.join(_chg(100.0 * t["required_annual_rate"]) for t in i["targets"]
                           if t["required_annual_rate"] is not None) or "—"
        budget = i.get("budget")
        rows.append([w.pick((i["name_zh"], i["name_en"])),
                     unit_label(str(i["unit"]).replace("10^4 CNY", w("万元", "10,000 CNY"))),
                     fmt(i["baseline_value"]), str(i["latest_year"] or "—"),
                     fmt(i["latest_value"]), _chg(i["change_vs_baseline_pct"]),
                     targets, rates,
                     f"{_num(budget['used_pct'], 1)}%" if budget else "—",
                     _status(w, i["status"])])
    blocks.append(_table(head, rows, cls="small-table"))
    if "energy_per_gdp" in _paths(c) and ep:  # drawn once, in the trends chapter
        blocks.append(_note(w("单位GDP能耗与目标路径的对比见“历年趋势”一章的图。",
                              "Energy per GDP against the target path: see the figure of "
                              "the trends chapter.")))
    for n in _text(w, sec, "notes") or []:
        blocks.append(_note(n))
    # warnings of the year
    blocks.append(_h3(w(f"{c['year']}年预警", f"Warnings of {c['year']}")))
    warnings = sec["warnings"]
    if warnings:
        n = sec["warning_counts"]
        blocks.append(_p(w(
            f"共{len(warnings)}条：红色{n.get('red', 0)}条、黄色{n.get('yellow', 0)}条、绿色"
            f"{n.get('green', 0)}条（按级别与超预算程度排序）。",
            f"{len(warnings)} warnings: {n.get('red', 0)} red, {n.get('yellow', 0)} yellow, "
            f"{n.get('green', 0)} green (by level, then by how far over budget).")))
        head = [(w("级别", "Level"), False), (w("范围", "Scope"), False),
                (w("名称", "Name"), False),
                (w("全年（实际或预计）", "Year (actual or projected)"), True),
                (w("预算", "Budget"), True), (w("全年/预算", "Ratio"), True),
                (w("原因", "Reason"), False)]
        rows = [[w.vocab("warning_level", x["level"]), w.vocab("scope_type", x["scope_type"]),
                 streets_en.get(str(x["scope_name"]), str(x["scope_name"]))
                 if w.lang == "en" else str(x["scope_name"]),
                 _num(x["projected"], 0), _num(x["budget"], 0), _pct(x["ratio"]),
                 w.pick((x["reason_zh"], x["reason_en"]))] for x in warnings]
        blocks.append(_table(head, rows, cls="small-table",
                             row_cls=[f"level-{x['level']}" for x in warnings],
                             widths=[7, 7, 20, 9, 9, 8, 40]))
        pub = {f["code"]: f for f in (c.get("figures") or {}).get("items", [])}
        whole, share = pub.get("budget.district"), pub.get("budget.district.metered_share")
        if whole and share and whole["value"] is not None and share["value"] is not None:
            blocks.append(_note(w(
                f"全区一行的预算为全区能耗预算{whole['text']}吨标准煤（{whole['label_zh']}）中"
                f"核算范围部分{share['text']}吨标准煤（按上年核算量占全区统计能耗的比例折算），"
                "与核算结果比较。",
                f"The district row's budget is the metered share, {share['text']} tce, of the "
                f"district energy budget of {whole['text']} tce ({whole['label_en']}), scaled by "
                "last year's account over the district statistics, and is compared with the "
                "account.")))
    else:
        blocks.append(_p(w(f"{c['year']}年未发布预警（尚未运行预警评估，或无预算）。",
                           f"No warnings were issued for {c['year']} (no evaluation was run, "
                           "or there are no budgets).")))
    # key units
    ku = c["key_units"]
    blocks.append(_h3(w("重点用能单位", "Key energy-using units")))
    if not ku.get("available"):
        blocks.append(_unavailable(w.pick((ku["reason_zh"], ku["reason_en"]))))
    else:
        tot = c["summary"]["totals"]
        share = ku["tco2"] / tot["tco2"] if ku["tco2"] is not None and tot["tco2"] else None
        blocks.append(_p(w(
            f"重点用能单位{ku['count']}家，综合能耗（等价值）{_num(ku['tce_equal'])}吨标准煤，"
            f"二氧化碳排放{_num(ku['tco2'])}吨，占核算范围排放的{_pct(share)}。",
            f"{ku['count']} key units use {_num(ku['tce_equal'])} tce (equal value) and emit "
            f"{_num(ku['tco2'])} tCO2, {_pct(share)} of the account's emissions.")))
        head = [(w("序号", "No."), True), (w("单位", "Unit"), False),
                (w("等价值 tce", "tce (equal)"), True), (w("当量值 tce", "tce (equivalent)"), True),
                ("tCO2", True), (w("用电 kWh", "Electricity kWh"), True),
                (w("建筑面积 m²", "Floor area m²"), True), (w("认定依据", "Rule"), False)]
        rows = [[str(k), f"{r['name']}（{r['entity_id']}）" if w.lang == "zh"
                 else f"{r['name']} ({r['entity_id']})", _num(r["energy_tce_equal"]),
                 _num(r["energy_tce_equivalent"]), _num(r["tco2"]), _num(r["electricity_kwh"], 0),
                 _num(r["floor_area_m2"], 0),
                 str(r.get(f"key_unit_rule_{w.lang}") or "")]
                for k, r in enumerate(ku["rows"], start=1)]
        # the unit's name on as few lines as its rule allows (a rule can be long)
        blocks.append(_table(head, rows, cls="small-table",
                             empty=w("无重点用能单位", "No key units"),
                             widths=[5, 21, 9, 9, 9, 11, 9, 27]))
    return _chapter("dual_control", title, blocks)


def _lmdi(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["lmdi"]
    title = w("变化原因：因素分解", "Why it moved: LMDI decomposition")
    if not sec.get("available"):
        return _chapter("lmdi", title, [], section=sec, w=w)
    effects = sec["effects"]
    by = {e["effect"]: e["tco2"] for e in effects}
    largest = max(effects, key=lambda e: abs(e["tco2"] or 0.0)) if effects else None
    t_ = functools.partial(_num, digits=TOTAL_DIGITS)
    moved = _from_to(w, sec["co2_base_tco2"], sec["co2_target_tco2"], t_, "吨", " t")
    parts = w.sep.join(f"{_effect(w, k)}{_delta(w, by.get(k))}"
                       if w.lang == "zh" else f"{_effect(w, k)} {_delta(w, by.get(k))}"
                       for k in LMDI_EFFECTS)
    blocks = [_p(w(
        f"{sec['base_year']}—{sec['target_year']}年，二氧化碳排放{moved}，"
        f"{_delta(w, sec['delta_tco2'])}。其中{parts}"
        + (f"；影响最大的是{_effect(w, largest['effect'])}。" if largest else "。"),
        f"From {sec['base_year']} to {sec['target_year']}, CO2 {moved}: it "
        f"{_delta(w, sec['delta_tco2'])}. Of this, {parts}"
        + (f"; the largest is {_effect(w, largest['effect'])}." if largest else "."))),
        _note(w("数据：", "Data: ") + str(_text(w, sec, "source")))]
    head = [(w("因素", "Effect"), False), ("tCO2", True)]
    delta = sec["delta_tco2"]
    rows = [[_effect(w, e["effect"]), _num(e["tco2"])] for e in effects]
    blocks.append(_table(head, rows, foot=[w("合计变化", "Total change"), _num(delta)],
                         cls="narrow"))
    blocks.append(_figure(_svg(lambda: charts.waterfall(
        [_effect(w, e["effect"]) for e in effects],
        [float(e["tco2"] or 0.0) for e in effects], total_label=w("合计变化", "total change"),
        ylabel="tCO2")), w("图：二氧化碳排放变化的因素分解（LMDI，吨）",
                          "Figure: LMDI decomposition of the change in CO2 (t)"), size="medium"))
    sectors = {k: v for k, v in sec["by_sector"].items()
               if any(abs(float(x or 0.0)) > 0 for x in v.values())}
    if sectors:
        head = [(w("行业", "Sector"), False), *[(_effect(w, e), True) for e in LMDI_EFFECTS],
                (w("变化量", "Change"), True)]
        rows = [[f"{code} {w.label(SECTORS, code)}",
                 *[_num(v.get(e)) for e in LMDI_EFFECTS], _num(v.get("delta_tco2"))]
                for code, v in sorted(sectors.items())]
        blocks.append(_h3(w("分行业", "By sector")))
        blocks.append(_table(head, rows, cls="small-table"))
    for n in _text(w, sec, "notes") or []:
        blocks.append(_note(n))
    return _chapter("lmdi", title, blocks)


def _peak_basis(c: Mapping[str, Any], w: _Words) -> list[dict[str, Any]]:
    """Why the peak is not the headline CO2: the scenario is the district's statistics, the
    headline the metered account (both from the figure catalogue)."""
    pub = {f["code"]: f for f in (c.get("figures") or {}).get("items", [])}
    peak, metered = pub.get("peak.plan.tco2"), pub.get("co2.metered")
    stats = pub.get("co2.statistics")
    if not (peak and metered and stats) or peak["value"] is None or stats["value"] is None:
        return []
    return [_note(w(
        f"规划情景峰值{peak['text']}吨以全区统计口径二氧化碳排放（本年{stats['text']}吨）为基础；"
        f"核算口径排放{metered['text']}吨仅覆盖核算范围内的用能主体，二者范围不同，不可直接比较。",
        f"The plan scenario's peak of {peak['text']} t builds on the district's statistics "
        f"({stats['text']} t this year); the metered account's {metered['text']} t covers the "
        "metered entities only: the two differ in scope and are not compared.")
    )]


def _peak(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["peak"]
    title = w("达峰展望", "Where it is going: the peak trajectory")
    if not sec.get("available"):
        return _chapter("peak", title, [], section=sec, w=w)
    deadline = sec["deadline_year"]
    sc = sec["scenarios"]
    blocks: list[dict[str, Any]] = []
    plan = sc.get("plan")
    c40 = sec["c40"]
    # first what the data confirm (the C40 test), then what the scenario projects: the
    # scenario's peak year is a projection, never a confirmed peak
    peaked = c40["status"] == "peaked" and c40.get("peak_year") is not None
    if peaked:
        blocks.append(_p(w.say("whitepaper.peak.c40_peaked", year=c40["peak_year"],
                               peak=_num(c40.get("peak_tco2")))))
    else:
        blocks.append(_p(w.say("whitepaper.peak.c40_not_confirmed",
                               status=Label("c40_status", str(c40["status"])))))
    if plan:
        draws = {"runs": sec["monte_carlo_runs"], "deadline": deadline,
                 "share": _pct(plan["share_peaked_by_deadline"], 0)}
        if not plan["peaked_within_horizon"]:
            blocks.append(_p(w.say("whitepaper.peak.scenario_no_peak", year=plan["peak_year"],
                                   **draws)))
        elif peaked and (plan["peak_year"] <= c40["peak_year"]
                         or (plan["peak_tco2"] or 0.0) <= (c40.get("peak_tco2") or 0.0)):
            blocks.append(_p(w.say("whitepaper.peak.scenario_keeps_peak",
                                   year=c40["peak_year"], **draws)))
        elif peaked:
            blocks.append(_p(w.say("whitepaper.peak.scenario_exceeds", year=plan["peak_year"],
                                   peak=_num(plan["peak_tco2"]), c40_year=c40["peak_year"],
                                   **draws)))
        else:
            blocks.append(_p(w.say("whitepaper.peak.scenario", year=plan["peak_year"],
                                   peak=_num(plan["peak_tco2"]), **draws)))
    head = [(w("情景", "Scenario"), False), (w("达峰年份", "Peak year"), True),
            (w("峰值 tCO2", "Peak tCO2"), True),
            (w(f"{deadline}年前达峰概率", f"Share peaked by {deadline}"), True),
            (w("达峰年份 P5/P50/P95", "Peak year P5/P50/P95"), True),
            (w("GDP年增速", "GDP growth"), True), (w("能耗强度年降幅", "Intensity decline"), True),
            (w("电网因子年降幅", "Grid factor decline"), True)]
    rows = []
    for name, s in sc.items():
        p = s.get("params", {})
        peak_year = str(s["peak_year"]) if s["peaked_within_horizon"] else w(
            f"{s['peak_year']}年前未达峰", f"not by {s['peak_year']}")
        rows.append([w.label(SCENARIOS, name), peak_year, _num(s["peak_tco2"]),
                     _pct(s["share_peaked_by_deadline"], 0),
                     "/".join(str(y) for y in s["peak_year_p5_p50_p95"]),
                     _pct(p.get("gdp_growth")), _pct(p.get("intensity_decline")),
                     _pct(p.get("grid_factor_decline"))])
    blocks.append(_table(head, rows, cls="small-table"))

    def draw() -> Any:
        hx = [int(h[0]) for h in sec["history"]]
        series = [charts.Series(w("历史（统计）", "history (statistics)"), hx,
                                [float(h[1]) for h in sec["history"]], "#333333")]
        for name, s in sc.items():
            xs = [r["year"] for r in s["projection"]]
            band = None
            if name == "plan" and s.get("bands"):
                bx = {b["year"]: b for b in s["bands"]}
                band = ([bx.get(x, {}).get("p5") for x in xs], [bx.get(x, {}).get("p95")
                                                                 for x in xs])
            series.append(charts.Series(w.label(SCENARIOS, name), xs,
                                        [r["tco2"] for r in s["projection"]],
                                        SCENARIO_COLORS.get(name, charts.PALETTE[4]),
                                        style="--", marker="", band=band))
        return charts.line_panels([{"title": w("二氧化碳排放（吨）", "CO2 (t)"),
                                    "series": series,
                                    "vline": (deadline, w(f"达峰期限 {deadline}",
                                                          f"deadline {deadline}"))}],
                                  columns=1, width_mm=150, panel_height_mm=70)

    blocks.append(_figure(_svg(draw), w("图：达峰路径（规划情景阴影为蒙特卡洛 P5—P95）",
                                        "Figure: peak trajectories (shaded: P5–P95 of the "
                                        "plan scenario's Monte Carlo draws)"), size="medium"))
    blocks.append(_h3(w("C40达峰判定", "C40 peak test")))
    blocks.append(_p(w(f"判定结果：{w.vocab('c40_status', c40['status'])}。",
                       f"Result: {w.vocab('c40_status', c40['status'])}.")))
    head = [(w("条件", "Criterion"), False), (w("是否满足", "Met"), False)]
    rows = [[w.pick((x["message_zh"], x["message_en"])), w("是", "yes") if x["passed"]
             else w("否", "no")] for x in c40["criteria"]]
    blocks.append(_table(head, rows, cls="narrow"))
    for n in _text(w, sec, "notes") or []:
        blocks.append(_note(n))
    blocks += _peak_basis(c, w)
    return _chapter("peak", title, blocks)


def _public_buildings(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["public_buildings"]
    title = w("公共建筑", "Public buildings")
    if not sec.get("available"):
        return _chapter("public_buildings", title, [], section=sec, w=w)
    ratings = sec["ratings"]
    over = ratings.get("over_constraint", {}).get("buildings", 0)
    blocks = [_p(w(
        f"纳入能耗对标的建筑{sec['buildings']}栋，建筑面积{_num(sec['floor_area_m2'], 0)}平方米；"
        f"按限额表{sec['table_id']} v{sec['table_version']}，全年数据完整并参与评级"
        f"{sec['rated']}栋，其中超过约束值{over}栋。",
        f"{sec['buildings']} buildings ({_num(sec['floor_area_m2'], 0)} m²) are benchmarked; "
        f"against quota table {sec['table_id']} v{sec['table_version']}, {sec['rated']} have a "
        f"full year and are rated, {over} of them over their constraint value."))]
    if "unverified" in sec["quota_statuses"]:
        blocks.append(_warning(w("所用限额值未经核实，尚未与标准原文核对，评级仅供参考。",
                                 "The quota values used are unverified (not checked against "
                                 "the standard's text): the ratings are for information only.")))
    types = sec["by_type"]
    blocks.append(_h3(w("单位面积能耗分布（kgce/m²，等价值）",
                        "Energy use intensity by building type (kgce/m², equal value)")))
    head = [(w("建筑类型", "Type"), False), (w("建筑数", "Buildings"), True),
            (w("全年完整", "Full year"), True), (w("建筑面积 m²", "Floor area m²"), True),
            (w("最小", "Min"), True), (w("下四分位", "P25"), True), (w("中位数", "Median"), True),
            (w("上四分位", "P75"), True), (w("最大", "Max"), True),
            (w("面积加权平均", "Area-weighted mean"), True)]
    rows = [[w.label(BUILDING_TYPES, t["building_type"]), str(t["buildings"]),
             str(t["with_full_year"]), _num(t["floor_area_m2"], 0),
             *[_num(t[k], EUI_DIGITS) for k in ("min", "p25", "median", "p75", "max",
                                                  "area_weighted_mean")]] for t in types]
    blocks.append(_table(head, rows, cls="small-table"))
    shown = [t for t in types if t["values"]]
    if shown:
        shown = sorted(shown, key=lambda t: -(t["median"] or 0.0))
        values = [v for t in shown for v in t["values"] if v > 0]
        log = bool(values) and max(values) > 8 * min(values)  # types an order apart
        blocks.append(_figure(_svg(lambda: charts.boxes(
            [w.label(BUILDING_TYPES, t["building_type"]) for t in shown],
            [t["values"] for t in shown], xlabel=w("单位面积能耗 kgce/m²（等价值）",
                                                   "kgce/m² (equal value)")
            + (w("，对数坐标", ", log scale") if log else ""), log=log, width_mm=150)),
            w("图：各类建筑单位面积能耗分布（箱体为四分位，点为单栋建筑）",
              "Figure: energy use intensity by building type (boxes: quartiles; dots: "
              "buildings)"), size="medium"))
    blocks.append(_h3(w("限额达标情况", "Quota compliance")))
    head = [(w("评级", "Rating"), False), (w("建筑数", "Buildings"), True),
            (w("建筑面积 m²", "Floor area m²"), True)]
    rows = [[label_text("quota_rating", r, w.lang), str(ratings[r]["buildings"]),
             _num(ratings[r]["floor_area_m2"], 0)] for r in RATINGS if r in ratings]
    blocks.append(_table(head, rows, cls="narrow",
                         foot=[w("合计", "Total"), str(sec["buildings"]),
                               _num(sec["floor_area_m2"], 0)]))
    if sec["over_constraint"]:
        head = [(w("建筑", "Building"), False), (w("限额类别", "Quota class"), False),
                (w("限额口径能耗", "EUI (quota convention)"), True),
                (w("约束值", "Constraint"), True),
                (w("单位", "Unit"), False), (w("需降低比例", "Reduction needed"), True),
                (w("需降低量（年）", "Reduction needed a year"), True)]
        rows = [[f"{r['name']}（{r['entity_id']}）" if w.lang == "zh"
                 else f"{r['name']} ({r['entity_id']})",
                 w.pick((str(r["quota_label_zh"] or ""), str(r["quota_label_en"] or ""))),
                 _num(r["eui"], 2), _value(r["constraint_value"]), unit_label(r["eui_unit"]),
                 _pct(r["excess_fraction"]),
                 _with_unit(_num(r["reduction_required"], 0),
                            unit_label(str(r["eui_unit"] or "").split("/")[0]))]
                for r in sec["over_constraint"]]
        blocks.append(_h3(w("超过约束值的建筑", "Buildings over their constraint value")))
        blocks.append(_note(w(
            "需降低比例＝（限额口径能耗－约束值）÷限额口径能耗；需降低量为按建筑面积折算的全年能耗降低量。",
            "Reduction needed = (EUI − constraint) ÷ EUI; the yearly reduction is that share "
            "of the building's energy use a year.")))
        blocks.append(_table(head, rows, cls="small-table"))
    return _chapter("public_buildings", title, blocks)


def _renewables(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["renewables"]
    title = w("可再生能源（光伏）", "Renewables (PV)")
    if not sec.get("available"):
        return _chapter("renewables", title, [], section=sec, w=w)
    kwh = sec["pv_generation_kwh"]
    blocks = [_p(w(
        f"{c['year']}年核算范围内{sec['pv_sites']}个单位的屋顶光伏发电"
        f"{_num((kwh or 0.0) / 1e4, 2)}万千瓦时（当量值{_num(sec.get('pv_tce_equivalent'))}"
        "吨标准煤），单列报告，不抵扣核算排放。",
        f"In {c['year']}, on-site PV at {sec['pv_sites']} sites generated "
        f"{_num(kwh, 0)} kWh ({_num(sec.get('pv_tce_equivalent'))} tce at equivalent value), "
        "reported apart and not netted from the account's emissions.")),
        _facts([(w("光伏发电量", "PV generation"), _num(kwh, 0), "kWh"),
                (w("光伏单位数", "PV sites"), str(sec["pv_sites"]), ""),
                (w("折标准煤（当量值）", "tce (equivalent)"), _num(sec.get("pv_tce_equivalent")),
                 "tce")])]
    fc = sec.get("forecast")
    if fc and not (fc.get("not_done") and _omit(c)):
        blocks.append(_h3(w("光伏发电预测", "PV generation forecast")))
        if fc.get("available"):
            blocks += _forecast_blocks(fc, w)
        else:
            blocks.append(_unavailable(w.pick((fc["reason_zh"], fc["reason_en"]))))
    return _chapter("renewables", title, blocks)


def _forecast_blocks(fc: Mapping[str, Any], w: _Words) -> list[dict[str, Any]]:
    """The stored forecasts of the year and their accuracy as issued (never recomputed)."""
    days = fc["days"]
    m = fc.get("measured")
    n_ahead = sum(1 for r in days if r["day_ahead"])
    text_zh = (f"本年度存储光伏发电功率预测{len(days)}天，其中{n_ahead}天在预测日之前发布"
               "（日前预测）")
    text_en = (f"{len(days)} day(s) of PV power forecasts were stored this year, {n_ahead} of "
               "them issued before the day (day-ahead)")
    if m:
        text_zh += (f"；已有实测的{m['days']}天，按开机容量归一化的平均绝对误差为"
                    f"{_pct(m['nmae'])}，均方根误差为{_pct(m['nrmse'])}。")
        text_en += (f"; over the {m['days']} measured day(s) the capacity-normalised mean "
                    f"absolute error (nMAE) was {_pct(m['nmae'])} and the root-mean-square "
                    f"error (nRMSE) {_pct(m['nrmse'])}.")
    else:
        text_zh += "；预测日尚无实测数据，准确率待实测后报告。"
        text_en += "; no forecast day is measured yet: the accuracy follows the measurements."
    head = [(w("预测日", "Day"), False), (w("预测发电量 kWh", "Forecast kWh"), True),
            (w("开机容量 kW", "Capacity kW"), True), (w("日前发布", "Day-ahead"), False),
            (w("平均绝对误差", "nMAE"), True), (w("均方根误差", "nRMSE"), True)]
    rows = [[r["date"], _num(r["total_kwh"], 0), _num(r["kw_ac"], 0),
             w("是", "yes") if r["day_ahead"] else w("否", "no"),
             _pct(r["errors"]["nmae"]) if r["errors"] else "—",
             _pct(r["errors"]["nrmse"]) if r["errors"] else "—"] for r in days]
    status_zh = render(f"label.factor_status.{fc['limit_status']}", "zh")
    note = w(f"误差按《光伏发电站功率预测系统技术要求》（NB/T 32011）以开机容量归一化，只计有实测的"
             f"小时；该标准日前预测均方根误差限值{_pct(fc['limit_nrmse'])}引自二手资料"
             f"（{status_zh}）。误差按预测存储时的结果计算，不重新预测。",
             f"Errors normalised by the capacity in operation as NB/T 32011 defines them, "
             f"over the measured hours; its day-ahead nRMSE limit of "
             f"{_pct(fc['limit_nrmse'])} is quoted from secondary sources "
             f"({fc['limit_status']}). Each forecast is graded as it was stored, never "
             "re-run.")
    return [_p(w(text_zh, text_en)), _table(head, rows, cls="small-table"), _note(note)]


def _omit(c: Mapping[str, Any]) -> bool:
    """The edition leaves out what was not done this year (profile: ``empty_chapters``)."""
    return (c.get("edition") or {}).get("empty_chapters") == "omit"


def _demand_response(c: Mapping[str, Any], w: _Words) -> dict[str, Any] | None:
    sec = c["demand_response"]
    if sec.get("not_done") and _omit(c):
        return None
    title = w("需求响应", "Demand response")
    if not sec.get("available"):
        return _chapter("demand_response", title, [], section=sec, w=w)
    text, facts, head, rows, note = chapter_parts(sec, w.lang)  # publish/whitepaper/vpp.py
    return _chapter("demand_response", title, [_p(text), _facts(facts),
                                               _table(head, rows, cls="small-table"),
                                               _note(note)])


def _achieved_reductions(c: Mapping[str, Any]) -> dict[str, float]:
    """The reduction on the baseline (percent, positive = down) reached by each target of a
    dual-control indicator (e.g. HP-01, energy per GDP down 13.5 % on 2020)."""
    dual = c["dual_control"]
    out: dict[str, float] = {}
    for ind in dual.get("indicators", []) if dual.get("available") else []:
        pct = ind.get("change_vs_baseline_pct")
        if isinstance(pct, (int, float)):
            for t in ind["targets"]:
                out[str(t["code"])] = -float(pct)
    return out


def _targets(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["targets"]
    title = w("规划量化目标", "Plan targets")
    if not sec.get("available"):
        return _chapter("targets", title, [], section=sec, w=w)
    rows_ = sec["rows"]
    counts = sec["counts"]
    parts = w.sep.join(f"{_status(w, k)} {v}" for k, v in sorted(counts.items()))
    blocks = [_p(w(f"实施方案中的目标共{len(rows_)}项（{parts}）；进度按{c['year']}年及以前的"
                   "观测值评估。",
                   f"The plan has {len(rows_)} targets ({parts}); progress is assessed on the "
                   f"observations up to {c['year']}."))]
    head = [(w("编号", "Code"), False), (w("指标", "Indicator"), False),
            (w("目标", "Target"), False), (w("现值", "Value"), True),
            (w("进度", "Progress"), True), (w("状态", "Status"), False),
            (w("说明", "Reason"), False), (w("数据来源", "Source of the value"), False),
            (w("责任单位", "Responsible units"), False)]
    reductions = _achieved_reductions(c)
    body, cls = [], []
    for r in rows_:
        unit = _unit_text(w, r["unit"])
        is_year = str(r.get("metric") or "").endswith("_year") or r["unit"] == "year"
        if is_year:
            unit = ""
        shown = _year if is_year else _sig
        target = (f"{COMPARATORS.get(r['comparator'], r['comparator'])} "
                  + _with_unit(shown(r["target_value"]), unit)
                  if r["target_value"] is not None else str(r["target_text"] or "—"))
        if r["target_year"]:
            target = w(f"{r['target_year']}年 ", f"{r['target_year']}: ") + target
        achieved = reductions.get(str(r["code"])) if r.get("kind") in (
            None, "reduction_vs_baseline") and r["unit"] == "%" else None
        if r["value"] is None:
            value = "—"
        elif achieved is not None:  # the reduction reached, not the raw intensity
            value = _moved(w, -achieved)
        else:
            value = _with_unit(shown(r["value"]), unit)
        if r["value"] is not None and r["value_year"]:
            value += f" ({r['value_year']})"
        body.append([str(r["code"]), w.pick((r["indicator_zh"], r["indicator_en"])), target,
                     value, f"{_num(r['progress_pct'], 0)}%" if r["progress_pct"] is not None
                     else "—", _status(w, r["status"]), w.pick((r["reason_zh"], r["reason_en"])),
                     w.pick((r.get("value_source_zh") or "", r.get("value_source") or ""))
                     if r["value"] is not None else "", str(r["responsible_units"] or "")])
        cls.append(f"status-{r['status']}")
    blocks.append(_table(head, body, cls="small-table targets", row_cls=cls,
                         widths=[6, 12, 11, 10, 6, 9, 19, 13, 14]))
    return _chapter("targets", title, blocks)


def _map(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    sec = c["map"]
    title = w("碳排放地图", "Carbon map")
    if not sec.get("available"):
        return _chapter("map", title, [], section=sec, w=w)
    feats = sec["features"]
    note = ""
    if sec["approximate"]:
        note = w("注：街道边界为示意边界，非官方边界。", "Note: street boundaries are approximate, "
                 "not official.")
    with_value = [f for f in feats if f["tco2"] is not None]
    blocks: list[dict[str, Any]] = [_p(w(
        f"图示{len(feats)}个街道{c['year']}年核算范围内的二氧化碳排放（吨），其中{len(with_value)}个街道有核算数据。",
        f"The map shows the account's {c['year']} CO2 emissions (t) of {len(feats)} streets, "
        f"{len(with_value)} of which have accounted entities."))]
    if note:  # said once, above the map, in the edition's language
        # a source that only says again what the note says is left out
        said = set(note)
        sources = w.sep.join(x for x in (_part(w, str(y)) for y in sec["boundary_sources"])
                             if not {ch for ch in x if ch.isalnum()} <= said)
        blocks.append(_warning(note + (w(f"边界来源：{sources}。", f" Boundaries: {sources}.")
                                       if sources else "")))
    blocks.append(_figure(_svg(lambda: charts.choropleth(
        [(w.pick((f["name_zh"], street_en(f["name_zh"], f["name_en"]))), f["geometry"],
          f["tco2"])
         for f in feats], legend="tCO2")),
        w("图：各街道二氧化碳排放（吨）", "Figure: CO2 by street (t)")))
    return _chapter("map", title, blocks)


#: a coefficient per a unit too small to read well, shown per a larger one (value × factor)
_PER_UNITS = {"MJ": ("GJ", 1000.0), "Wh": ("kWh", 1000.0)}


def _per_unit(w: _Words, value: object, per: str) -> tuple[str, str]:
    """A coefficient and its 'per' unit as printed: ``0.03412`` kgce/MJ → ``34.12`` kgce/GJ,
    ``10^4 m3`` → ``万m³`` (``10,000 m³``)."""
    if per in _PER_UNITS and isinstance(value, (int, float)):
        bigger, k = _PER_UNITS[per]
        return _value(float(f"{value * k:.12g}")), bigger
    if per.startswith("10^4 "):
        rest = unit_label(per[5:])
        return _value(value), w(f"万{rest}", f"10,000 {rest}")
    return _value(value), unit_label(per)


def _method(c: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    m = c["method"]
    fs = m["factor_set"]
    cov = m["coverage"]
    blocks: list[dict[str, Any]] = [_h3(w("口径", "Conventions")),
                                    _p(w.pick((m["conventions"]["zh"], m["conventions"]["en"])))]
    blocks.append(_h3(w("排放因子与折标系数", "Factors")))
    statuses = w.sep.join(f"{w.vocab('factor_status', k)} {v}"
                          for k, v in sorted(m["factor_statuses"].items()))
    blocks.append(_p(w.say("whitepaper.method.factor_set",
                           name=w.pick((fs.get("name_zh") or fs["set_id"],
                                        fs.get("name_en") or fs["set_id"])),
                           version=fs["version"], n=len(fs["rows"]), statuses=statuses)))
    if m["factor_statuses"].get("unverified"):
        blocks.append(_warning(w("部分系数未经核实，见下表“状态”列。",
                                 "Some coefficients are unverified: see the status column.")))
    head = [(w("能源品种", "Carrier"), False), (w("系数", "Quantity"), False),
            (w("数值", "Value"), True), (w("单位", "Per"), False), (w("状态", "Status"), False),
            (w("来源", "Source"), False)]
    unit_of = {"kgce_equivalent": "kgce", "kgce_equal": "kgce", "tco2": "tCO2"}
    rows = []
    for r in fs["rows"]:
        value, per = _per_unit(w, r["value"], str(r["per_unit"]))
        rows.append([w.label(CARRIERS, r["carrier"]), w.vocab("factor_quantity", r["quantity"]),
                     value, f"{unit_of.get(r['quantity'], '')}/{per}",
                     w.vocab("factor_status", r["status"]),
                     # the Chinese edition cites the set the row comes from by its Chinese
                     # title (with its document number); the English one the row's own source
                     str(r.get("source_zh") or r["source"]) if w.lang == "zh"
                     else str(r["source"])])
    blocks.append(_table(head, rows, cls="small-table factors", widths=[9, 17, 9, 12, 9, 44],
                         row_cls=[f"factor-{r['status']}" for r in fs["rows"]]))
    blocks.append(_h3(w("数据覆盖与质量", "Data coverage and quality")))
    share = cov.get("metered_share")
    blocks.append(_facts([
        (w("核算主体", "Entities"), _num(cov.get("entities"), 0), ""),
        (w("月度数据覆盖率", "Monthly coverage"), _pct(cov.get("coverage")), ""),
        (w("读数覆盖率", "Interval readings received"), _pct(cov.get("interval_coverage")), ""),
        (w("核算占全区能耗", "Account share of district energy"), _pct(share), ""),
        (w("缺数主体·品种·月", "Entity-carrier-months missing"),
         _num(cov.get("missing_entity_months"), 0), "")]))
    gap = m.get("gap_filling") or {}
    if gap.get("enabled"):
        blocks.append(_p(w(f"缺测插补：{gap.get('intervals_filled', 0)}个时段（标记为估算值）。",
                           f"Gap filling: {gap.get('intervals_filled', 0)} intervals filled "
                           "(marked estimated).")))
    else:
        blocks.append(_p(w("未进行缺测插补：缺失数据标记为缺失，不计为零。",
                           "No gap filling: missing data is flagged missing, not counted as "
                           "zero.")))
    for n in _text(w, m, "notes") or []:
        blocks.append(_note(n))
    blocks.append(_h3(w("输入数据批次", "Input batches")))
    engine = {"duckdb": "DuckDB"}.get(str(m["engine"]), str(m["engine"]))
    blocks.append(_p(w(f"本白皮书数字来自核算批次 {m['run_id']}（核算引擎 {engine}），其输入为以下"
                       f"{len(m['batches'])}个数据批次。",
                       f"The figures come from account run {m['run_id']} (accounting engine "
                       f"{engine}), whose inputs are these {len(m['batches'])} batches.")))
    # the Chinese edition names a batch by its number and kind (a file name is no Chinese)
    files = w.lang == "en"
    head = [(w("批次", "Batch"), True), (w("类型", "Kind"), False),
            *([("File", False)] if files else []),
            (w("提交时间（北京时间）", "Committed (UTC+8)"), False)]
    rows = [[str(b["id"]), w.vocab("batch_kind", b["kind"]),
             *([str(b["file"] or "")] if files else []),
             _local(b["committed_at"]).strftime("%Y-%m-%d %H:%M:%S") if b["committed_at"]
             else ""] for b in m["batches"]]
    blocks.append(_table(head, rows, cls="small-table"))
    blocks += _published_figures(c, w)
    blocks.append(_h3(w("软件版本", "Software")))
    blocks.append(_p(w.say("whitepaper.method.software", version=__version__)))
    return {"id": "method", "title": "", "blocks": blocks, "extras": []}


#: the figure catalogue's units as the white paper prints them
FIGURE_UNITS = {"tce": UNITS["tce"], "tCO2": UNITS["tCO2"],
                "tce/10^4 CNY": UNITS["tce/万元"], "tCO2/10^4 CNY": UNITS["tCO2/万元"],
                "kWh": ("千瓦时", "kWh"), "%": ("%", "%"), "count": ("", ""), "year": ("", ""),
                "MW": ("兆瓦", "MW"), "ratio": ("", ""), "points": ("分", "points")}


def _published_figures(c: Mapping[str, Any], w: _Words) -> list[dict[str, Any]]:
    """The district's published figures of the year (the figure catalogue), each with its
    basis and as-of: what this report prints, as every other surface prints it."""
    items = [f for f in (c.get("figures") or {}).get("items", [])
             if f["subject_type"] == "district"]
    if not items:
        return []
    head = [(w("指标", "Figure"), False), (w("数值", "Value"), True), (w("单位", "Unit"), False),
            (w("口径与截止日期", "Basis and as-of"), False), (w("统计期", "Period"), False)]
    rows = [[w.pick((f["name_zh"], f["name_en"])), str(f["text"]),
             w.pick(FIGURE_UNITS.get(str(f["unit"]), (str(f["unit"]), str(f["unit"])))),
             w.pick((f["label_zh"], f["label_en"])), str(f["period"]).replace("..", "–")]
            for f in items]
    return [_h3(w("本报告数字的口径（口径目录）", "The basis of this report's figures "
                  "(figure catalogue)")),
            _p(w("核算口径为核算范围内用能主体的计量数据，统计口径为全区统计数据，二者范围不同，不相互替代，"
                 "也不相互比较；规划值为预算与规划情景。",
                 "The metered account covers the metered entities; the statistics cover the "
                 "whole district. They differ in scope and are neither substituted for nor "
                 "compared with each other; plan values are budgets and the plan scenario.")),
            _table(head, rows, cls="small-table figures", widths=[34, 12, 12, 30, 12])]


# -- extra (programme) sections ----------------------------------------------------------------
def _extra(sec: Mapping[str, Any], w: _Words) -> dict[str, Any]:
    """A programme section in the generic shape (see ``ExtraSection``), formatted."""
    out: dict[str, Any] = {"title": w.pick((sec["title_zh"], sec["title_en"])),
                           "available": bool(sec.get("available")), "reason": "",
                           "text": "", "figures": [], "table": None, "notes": []}
    if not out["available"]:
        out["reason"] = w.pick((sec.get("reason_zh", ""), sec.get("reason_en", "")))
        return out
    out["text"] = w.pick((str(sec.get("text_zh", "")), str(sec.get("text_en", ""))))
    out["figures"] = [{"label": w.pick((f["label_zh"], f["label_en"])),
                       "value": _num(f["value"], int(f.get("digits", TOTAL_DIGITS)))
                       if isinstance(f.get("value"), (int, float)) or f.get("value") is None
                       else str(f["value"]), "unit": _unit_text(w, f.get("unit", ""))}
                      for f in sec.get("figures", [])]
    tbl = sec.get("table")
    if tbl:
        cols = tbl["columns"]

        def cell(col: Mapping[str, Any], v: object) -> str:
            if isinstance(v, Mapping) and "zh" in v:  # a text in both languages
                v = w.pick((str(v["zh"]), str(v.get("en", v["zh"]))))
            if col.get("digits") is not None and (isinstance(v, (int, float)) or v is None):
                return _num(v, int(col["digits"]))
            return "" if v is None else str(v)

        out["table"] = _table([(w.pick((x["label_zh"], x["label_en"])),
                                x.get("digits") is not None) for x in cols],
                              [[cell(x, r.get(x["key"])) for x in cols] for r in tbl["rows"]],
                              cls="small-table")
    out["notes"] = list(sec.get("notes_en" if w.lang == "en" else "notes_zh", []))
    return out


# -- the document ------------------------------------------------------------------------------
#: the contexts built last, by (digest of the content, language): the HTML and the PDF edition
#: of one content, or a second download of it, draw their charts once
_CONTEXTS: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_CONTEXTS_KEPT = 8
_CONTEXTS_LOCK = threading.Lock()


def whitepaper_context(content: Mapping[str, Any], *, lang: Lang = "zh") -> dict[str, Any]:
    """What the white paper template shows, every figure formatted from ``content`` (the
    result of :func:`~carbonpeak.publish.whitepaper.content.white_paper`).

    A function of the content and the language only (the time is the template's): the last
    few are kept, by a digest of the content, and the caller gets its own copy."""
    key = (hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest(), lang)
    with _CONTEXTS_LOCK:
        kept = _CONTEXTS.get(key)
        if kept is not None:
            _CONTEXTS.move_to_end(key)
    if kept is None:
        kept = _context(content, lang)
        with _CONTEXTS_LOCK:
            _CONTEXTS[key] = kept
            while len(_CONTEXTS) > _CONTEXTS_KEPT:
                _CONTEXTS.popitem(last=False)
    return copy.deepcopy(kept)


def street_en(name_zh: str, name_en: str | None) -> str:
    """A street in the English edition: ``The Bund (外滩街道)``; the Chinese alone without an
    English name."""
    if not name_en or name_en == name_zh:
        return name_zh
    return f"{name_en} ({name_zh})"


def _context(content: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    w = _Words(lang)
    d = content["district"]
    district = w.pick((d["name_zh"], d["name_en"] or d["id"]))
    # the English edition names a street in English with its Chinese name beside it ("The
    # Bund (外滩街道)"): the district's documents and signs give the Chinese
    streets_en = {s["name_zh"]: street_en(s["name_zh"], s["name_en"])
                  for s in d.get("streets", [])}
    chapters = [ch for ch in (
        _summary(content, w, district), _breakdowns(content, w, streets_en),
        _trends(content, w), _dual(content, w, streets_en), _lmdi(content, w),
        _peak(content, w), _public_buildings(content, w), _renewables(content, w),
        _demand_response(content, w), _targets(content, w), _map(content, w)) if ch is not None]
    by_id = {ch["id"]: ch for ch in chapters}
    programmes = _chapter("programmes", "", [])
    for key in content.get("extra_sections", []):
        sec = content[key]
        target = by_id["public_buildings"] if sec.get("placement") == "public_buildings" \
            else programmes
        target["extras"].append(_extra(sec, w))
    pb = by_id["public_buildings"]
    if not pb["extras"] and not _omit(content):
        pb["blocks"].append(_h3(w("能源审计、节能改造与实测节能量",
                                  "Energy audits, retrofits and measured savings")))
        pb["blocks"].append(_unavailable(w.say("whitepaper.not_done",
                                               what=Message("whitepaper.what.programmes"))))
    if programmes["extras"]:
        chapters.append(programmes)
    method = _method(content, w)
    chapters.append(method)
    numerals = "一二三四五六七八九十"
    for i, ch in enumerate(chapters, start=1):
        name = ch["title"] or {"programmes": w("专项工作", "Programmes"),
                               "method": w("方法与数据说明", "Method and data")}[ch["id"]]
        zh_no = numerals[i - 1] if i <= 10 else "十" + numerals[i - 11]
        ch["title"] = w(f"{zh_no}、{name}", f"{i}. {name}")
        # a short chapter (no table, figure or programme section) follows on the same page
        ch["flow"] = i > 1 and not ch["extras"] and not any(
            b["kind"] in ("table", "figure") for b in ch["blocks"])
    run = content["run"]
    statuses = content["method"]["factor_statuses"]
    fs = content["method"]["factor_set"]
    ed = content.get("edition") or {}
    return {
        "office": w.pick((ed.get("issuing_office_zh", ""),
                          ed.get("issuing_office_en") or ed.get("issuing_office_zh", ""))),
        "factor_set_name": w.pick((fs.get("name_zh") or run["factor_set"],
                                   fs.get("name_en") or run["factor_set"])),
        "district": district, "district_id": d["id"], "year": content["year"],
        "title": w(f"{district}{content['year']}年度碳排放状况白皮书",
                   f"{district}: carbon emissions white paper {content['year']}"),
        "run_id": run["id"], "factor_set": run["factor_set"],
        "factor_unverified": bool(statuses.get("unverified")),
        "run_created": _clock(w, run["created_at"], "%Y-%m-%d %H:%M:%S"),
        "as_of": content["as_of"],
        "engine": run["engine"], "chapters": chapters, "beijing": BEIJING,
        "clock": w("%Y-%m-%d %H:%M 北京时间", "%Y-%m-%d %H:%M UTC+8"),
        "extra_css": Markup(stylesheet("whitepaper.css")),  # noqa: S704 - our package file
    }


def _key(context: Mapping[str, Any], lang: Lang) -> str:
    return "whitepaper.html/" + lang + "/" + hashlib.sha256(json.dumps(
        context, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def report_filename(content: Mapping[str, Any], lang: Lang, ext: str) -> str:
    """``whitepaper-<district>-<year>-<lang>.<ext>``."""
    return f"whitepaper-{content['district']['id']}-{content['year']}-{lang}.{ext}"


def whitepaper_html(content: Mapping[str, Any], *, lang: Lang = "zh",
                    generated: dt.datetime | None = None) -> str:
    """The white paper as one self-contained HTML document (charts inline as SVG)."""
    return render_html("whitepaper.html", whitepaper_context(content, lang=lang), lang=lang,
                       generated=report_time(generated))


def whitepaper_pdf(content: Mapping[str, Any], out: Path | None = None, *, lang: Lang = "zh",
                   generated: dt.datetime | None = None, html: str | None = None) -> bytes:
    """The white paper as PDF (A4). The same content, language and ``generated`` time give
    the same bytes; the file identifier does not depend on the time. ``html`` reuses an HTML
    edition rendered for the same content, language and time."""
    when = report_time(generated)
    context = whitepaper_context(content, lang=lang)
    doc = html if html is not None else render_html("whitepaper.html", context, lang=lang,
                                                     generated=when)
    data = html_to_pdf(doc, created=when, key=_key(context, lang))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data
