"""CLI commands: commissioning candidates (调适) from stored interval data, with evidence.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import DistrictOpt, _errors, _workspace, app, console
from carbonpeak.i18n import render
from carbonpeak.services.buildings.commissioning import commissioning, commissioning_workbook

__all__ = ["commissioning_cmd"]


SHORT = {
    "commissioning.base_load_high": "夜间基础负荷高",
    "commissioning.weekend_ratio_high": "非工作日用电高",
    "commissioning.load_factor_low": "负荷率低",
    "commissioning.simultaneous_heating_cooling": "同时供冷供热",
    "commissioning.cop_low": "冷站能效低",
}


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _pct(v: Any) -> str:
    return "—" if v is None else f"{v:.0%}"


@app.command("commissioning")
def commissioning_cmd(
    year: Annotated[int, typer.Option(help="Year of the hourly data (local time)")],
    top: Annotated[int | None, typer.Option(min=1, help="Show (and draw) only the first N")]
    = None,
    xlsx: Annotated[Path | None, typer.Option(help="Write the ranked list as xlsx")] = None,
    charts: Annotated[Path | None, typer.Option(
        help="Write one evidence chart (PNG) per building listed into this folder")] = None,
    district: DistrictOpt = None,
) -> None:
    """Commissioning candidates 调适候选: night base load, non-working days, holiday waste,
    load factor, simultaneous heating/cooling and plant COP from hourly meters, ranked by
    avoidable energy, with the evidence per building."""
    with _errors(), _workspace() as ws:
        c = commissioning(ws, district, year)
        items = c.items[:top] if top else c.items
        t = Table("#", "entity", "name", "type", "cover", "base kW", "occ. kW", "夜/昼",
                  "非工/工作日", "节假日浪费 kWh", "负荷率", "冷热 h", "COP", "可避免 kWh",
                  "问题 findings",
                  title=f"{c.district_name} {year} 调适候选 commissioning candidates "
                  f"({len(c.items)} buildings; thresholds: {c.thresholds_source})")
        for it in items:
            sim = it["simultaneous"]
            t.add_row(
                str(it["rank"]), it["entity_id"], str(it["name"]), str(it["building_type"]),
                _pct(it["coverage"]), _fmt(it["base_load_kw"], 1),
                _fmt(it["occupied_load_kw"], 1), _fmt(it["base_load_ratio"]),
                _fmt(it["weekend_ratio"]),
                f"{_fmt(it['holiday_waste_kwh'], 0)} ({_pct(it['holiday_waste_fraction'])})",
                _fmt(it["load_factor"]),
                _fmt(it["simultaneous_hours"], 0) if sim["status"] == "measured" else "n/m",
                _fmt(it["cop"]) if it["cop_status"]["status"] == "measured" else "n/m",
                _fmt(it["avoidable_kwh"], 0),
                "、".join(SHORT.get(f["code"], f["code"]) for f in it["findings"])
                + (" *" if it["caveats"] else ""))
        console.print(t)
        console.print("夜/昼 night base load / occupied load; 非工/工作日 mean non-working day / "
                      "working day; 冷热 h hours of simultaneous heating and cooling; "
                      "* 24/7 or open-every-day type: a high ratio may be normal 全天候或每日营业"
                      "的建筑类型，比值高可能属正常")
        for key, what in (("simultaneous", "simultaneous heating/cooling 同时供冷供热"),
                          ("cop_status", "cooling plant COP 冷站能效")):
            reasons: dict[str, int] = {}
            for it in c.items:
                if it[key]["status"] != "measured":
                    why = f"{it[key]['reason_zh']} {it[key]['reason_en']}"
                    reasons[why] = reasons.get(why, 0) + 1
            measured = len(c.items) - sum(reasons.values())
            console.print(f"{what}: measured for {measured} of {len(c.items)}"
                          + "".join(f"; n/m {n}: {why}" for why, n in reasons.items()))
        for w in c.without_data:
            console.print(f"  [dim]{w['entity_id']} {w['name']}: {w['reason_zh']} "
                          f"{w['reason_en']}[/]")
        for n in c.notes:
            console.print(f"  [dim]{render(n, 'zh')}[/]")
        if c.thresholds_source == "unverified defaults":
            console.print("[yellow]thresholds are unverified defaults, not from a standard; "
                          "the district sets them 阈值为未经核实的默认值，由区里确定[/]")
        if xlsx is not None:
            commissioning_workbook(c, xlsx)
            console.print(f"ranked list 调适候选清单: {xlsx}")
        if charts is not None:
            from carbonpeak.publish.commissioning_charts import evidence_png
            from carbonpeak.publish.fonts import cjk_font

            cjk_font()  # a clear error before any file is written
            charts.mkdir(parents=True, exist_ok=True)
            for it in items:
                path = charts / f"{it['rank']:03d}-{it['entity_id']}.png"
                path.write_bytes(evidence_png(c.evidence(it["entity_id"])))
            console.print(f"{len(items)} evidence chart(s) 证据图: {charts}")
