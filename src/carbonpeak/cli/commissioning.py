"""CLI commands: commissioning candidates (调适) from stored interval data, with evidence.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    _errors,
    _workspace,
    app,
    console,
    heads,
    lang,
    lbl,
    say,
    t,
    t_or,
)
from carbonpeak.services.buildings.commissioning import commissioning, commissioning_workbook

__all__ = ["commissioning_cmd"]


def _short(code: str) -> str:
    """A finding's short name in the run's language (its code when it has none)."""
    return t_or("cli.commissioning.short." + code.removeprefix("commissioning."), code)


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
        source = t("cli.commissioning.unverified_defaults") \
            if c.thresholds_source == "unverified defaults" else c.thresholds_source
        nm = t("cli.commissioning.not_measured")
        table = Table("#", *heads("entity", "name", "type", "cover", "base_kw", "occupied_kw",
                                  "night_day", "weekend_ratio", "holiday_waste", "load_factor",
                                  "simultaneous_h", "cop", "avoidable", "findings"),
                      title=t("cli.commissioning.title", district=c.district_name, year=year,
                              n=len(c.items), source=source))
        for it in items:
            sim = it["simultaneous"]
            table.add_row(
                str(it["rank"]), it["entity_id"], str(it["name"]),
                lbl("building_type", str(it["building_type"])),
                _pct(it["coverage"]), _fmt(it["base_load_kw"], 1),
                _fmt(it["occupied_load_kw"], 1), _fmt(it["base_load_ratio"]),
                _fmt(it["weekend_ratio"]),
                f"{_fmt(it['holiday_waste_kwh'], 0)} ({_pct(it['holiday_waste_fraction'])})",
                _fmt(it["load_factor"]),
                _fmt(it["simultaneous_hours"], 0) if sim["status"] == "measured" else nm,
                _fmt(it["cop"]) if it["cop_status"]["status"] == "measured" else nm,
                _fmt(it["avoidable_kwh"], 0),
                ("、" if lang() == "zh" else ", ").join(_short(f["code"]) for f in it["findings"])
                + (" *" if it["caveats"] else ""))
        console.print(table)
        say("cli.commissioning.legend")
        for key in ("simultaneous", "cop_status"):
            reasons: dict[str, int] = {}
            for it in c.items:
                if it[key]["status"] != "measured":
                    why = it[key][f"reason_{lang()}"]
                    reasons[why] = reasons.get(why, 0) + 1
            measured = len(c.items) - sum(reasons.values())
            say("cli.commissioning.measured", what=t(f"cli.commissioning.{key}"),
                measured=measured, n=len(c.items), reasons="".join(
                    t("cli.commissioning.reason", n=n, why=why) for why, n in reasons.items()))
        for w in c.without_data:
            say("cli.text", "dim", text=f"  {w['entity_id']} {w['name']}: "
                f"{w[f'reason_{lang()}']}")
        for n in c.notes:
            say("cli.text", "dim", text="  " + t(n))
        if c.thresholds_source == "unverified defaults":
            say("cli.commissioning.unverified", "yellow")
        if xlsx is not None:
            commissioning_workbook(c, xlsx)
            say("cli.commissioning.xlsx", path=str(xlsx))
        if charts is not None:
            from carbonpeak.publish.commissioning_charts import evidence_png
            from carbonpeak.publish.fonts import cjk_font

            cjk_font()  # a clear error before any file is written
            charts.mkdir(parents=True, exist_ok=True)
            for it in items:
                path = charts / f"{it['rank']:03d}-{it['entity_id']}.png"
                path.write_bytes(evidence_png(c.evidence(it["entity_id"])))
            say("cli.commissioning.charts", n=len(items), path=str(charts))
