"""Rooftop PV: ``carbonpeak import roofs|pv-sites|weather-hourly`` and ``carbonpeak pv …``."""

from __future__ import annotations

import datetime as dt
import json
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
    import_app,
    option_date,
)
from carbonpeak.cli.metrics import print_published
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import BatchResult
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv.forecast import forecast, forecast_errors
from carbonpeak.services.energy.pv.registry import (
    import_pv_sites,
    import_roofs,
    import_weather_hourly,
    read_weather_file,
)
from carbonpeak.services.figures import PV_FIGURES, figures

pv_app = typer.Typer(help="Rooftop PV 屋顶光伏: modelled yield, potential, progress against the "
                     "plans' targets, monitoring and day-ahead forecasts.", no_args_is_help=True)
app.add_typer(pv_app, name="pv")

FileArg = Annotated[Path, typer.Argument(help="CSV or .xlsx file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
YearOpt = Annotated[int, typer.Option("--year", help="Calendar year")]

SYNTHETIC_NOTE = ("[yellow]weather: synthetic year 合成气象年[/] (pvlib clear sky scaled to "
                  "monthly means; a planning figure, not a measurement)")


def _done(r: BatchResult) -> None:
    tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
           "no_change": "[yellow]no change[/]"}.get(r.status, r.status)
    console.print(f"{tag} {r.file} → batch {r.batch_id}: {'; '.join(r.messages)}")


@import_app.command("roofs")
def import_roofs_cmd(file: FileArg, district: DistrictOpt = None) -> None:
    """Roof survey 屋顶普查: entity_id, roof_area_m2, usable_share (0-1), cohort (党政机关,
    其他公共机构, 学校医院, 商业, 工业, 居民), is_new (新建/既有), not_feasible_reason."""
    with _errors(), _workspace() as ws:
        _done(import_roofs(ws, file, district=district))


@import_app.command("pv-sites")
def import_pv_sites_cmd(file: FileArg, district: DistrictOpt = None) -> None:
    """PV sites 光伏电站台账: site_id, entity_id, kwp_dc, kw_ac, tilt_deg, azimuth_deg (180 =
    south), commissioned_on [, meter_id (its pv_generation meter), gamma_pdc, losses_pct,
    eta_inv_nom, albedo, temp_model]."""
    with _errors(), _workspace() as ws:
        _done(import_pv_sites(ws, file, district=district))


@import_app.command("weather-hourly")
def import_weather_hourly_cmd(
    file: Annotated[Path, typer.Argument(help="EPW, CSV or .xlsx file")],
    district: DistrictOpt = None,
) -> None:
    """Hourly weather 逐时气象: EPW (hour-ending stamps moved to mid-hour) or CSV with ts (local
    time, the middle of the hour), ghi_w_m2 [, dni_w_m2, dhi_w_m2], temp_air_c
    [, wind_speed_m_s]."""
    with _errors(), _workspace() as ws:
        _done(import_weather_hourly(ws, file, district=district))


def _print_json(data: Any) -> None:  # noqa: ANN401 - any JSON-able answer
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _f(v: float | None, digits: int = 0) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


@pv_app.command("expected")
def expected_cmd(year: YearOpt, district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Modelled AC energy and specific yield per site (PVWatts chain of pvlib)."""
    with _errors(), _workspace() as ws:
        res = fleet.expected(ws, ws.district(district), year)
    if as_json:
        _print_json(res)
        return
    t = Table("site 电站", "entity 建筑", "kWp", "kW AC", "kWh AC 理论发电量",
              "kWh/kWp 等效利用小时", "POA kWh/m²",
              title=f"{year} modelled yield 理论发电量 ({res['weather']})")
    for r in res["sites"]:
        t.add_row(r["site_id"], r["entity_id"], _f(r["kwp_dc"], 1), _f(r["kw_ac"], 1),
                  _f(r["ac_kwh"]), _f(r["specific_yield_kwh_kwp"]), _f(r["poa_kwh_m2"]))
    console.print(t)
    console.print(f"total 合计 {_f(res['total_ac_kwh'])} kWh, "
                  f"{_f(res['specific_yield_kwh_kwp'])} kWh/kWp")
    if res["synthetic"]:
        console.print(SYNTHETIC_NOTE)


@pv_app.command("potential")
def potential_cmd(district: DistrictOpt = None, as_json: JsonOpt = False,
                  year: Annotated[int | None, typer.Option(
                      "--year", help="Also the figure catalogue's PV figures of this year "
                      "(as published, with basis and as-of)")] = None) -> None:
    """Roof potential per street and cohort: technical (usable area) and NEA pilot shares."""
    with _errors(), _workspace() as ws:
        res = fleet.potential(ws, ws.district(district))
        fs = figures(ws, year=year, district=district) if year is not None else None
    if fs is not None:
        res["figures"] = fs.dicts(*PV_FIGURES)
    if as_json:
        _print_json(res)
        return
    t = Table("street 街道", "cohort 类别", "roofs 屋顶", "not feasible 不可行", "roof m²",
              "usable m² 可利用", "potential kWp 潜力", "pilot kWp 试点比例", "installed kWp 已装")
    for r in res["rows"]:
        t.add_row(r["street"], r["cohort"], str(r["roofs"]), str(r["not_feasible"]),
                  _f(r["roof_area_m2"]), _f(r["usable_area_m2"]), _f(r["potential_kwp"]),
                  _f(r["pilot_kwp"]), _f(r["installed_kwp"]))
    console.print(t)
    console.print(f"total 合计: potential {_f(res['total_potential_kwp'])} kWp, pilot shares "
                  f"{_f(res['total_pilot_kwp'])} kWp, installed {_f(res['total_installed_kwp'])}"
                  f" kWp (module efficiency {res['module_efficiency']:.0%}, "
                  f"{res['efficiency_status']}; pilot shares {res['pilot_status']})")
    if fs is not None:
        print_published(fs, PV_FIGURES)


@pv_app.command("progress")
def progress_cmd(year: Annotated[int | None, typer.Option(
        "--year", help="Up to this year (default: the last commissioning year)")] = None,
                 district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Capacity (DC and AC), new capacity since the base year and the roof shares per year."""
    with _errors(), _workspace() as ws:
        res = fleet.progress(ws, ws.district(district), year)
        fs = figures(ws, year=year, district=district) if year is not None else None
    if fs is not None:  # the year's values as published: the ones the targets use
        res["figures"] = fs.dicts(*PV_FIGURES)
    if as_json:
        _print_json(res)
        return
    t = Table("year 年", "kWp DC", "kW AC", f"new since {res['base_year']} kWp",
              "new kW AC", *(f"{g} count/area %" for g in fleet.GROUPS))
    for y in res["years"]:
        shares = [f"{_f(None if g['count_share'] is None else 100 * g['count_share'], 0)} / "
                  f"{_f(None if g['area_share'] is None else 100 * g['area_share'], 0)}"
                  for g in y["groups"].values()]
        t.add_row(str(y["year"]), _f(y["kwp_dc"], 1), _f(y["kw_ac"], 1),
                  _f(y["new_kwp_dc"], 1), _f(y["new_kw_ac"], 1), *shares)
    console.print(t)
    if fs is not None:
        print_published(fs, PV_FIGURES)


@pv_app.command("monitor")
def monitor_cmd(year: YearOpt, district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Measured (pv_generation meters) against modelled yield per site and month: PR,
    specific yield and the flags (underperformance, data gap, suspected clipping)."""
    with _errors(), _workspace() as ws:
        res = fleet.monitoring(ws, ws.district(district), year)
    if as_json:
        _print_json(res)
        return
    t = Table("site 电站", "month 月", "measured kWh 实测", "modelled kWh 理论", "PR",
              "kWh/kWp", "coverage 完整率", "flags 标记",
              title=f"{year} monitoring 运行监测 (PR < {res['pr_threshold']:.2f} flagged)")
    for r in res["rows"]:
        flags = [n for n, on in (("underperforming 低效", r["underperforming"]),
                                 ("data gap 缺数", r["data_gap"]),
                                 ("clipping? 削峰", r["clipping_suspected"])) if on]
        t.add_row(r["site_id"], r["month"], _f(r["measured_kwh"]), _f(r["modelled_kwh"]),
                  _f(r["performance_ratio"], 2), _f(r["specific_yield_kwh_kwp"], 1),
                  f"{r['coverage']:.0%}", ", ".join(flags))
    console.print(t)
    if res["synthetic"]:
        console.print(SYNTHETIC_NOTE)


@pv_app.command("forecast")
def forecast_cmd(
    date: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD")],
    weather: Annotated[Path, typer.Option("--weather", help="Weather forecast: EPW, CSV or "
                                          ".xlsx in the hourly weather's format")],
    district: DistrictOpt = None, as_json: JsonOpt = False,
) -> None:
    """Day-ahead hourly generation per site and for the district; nMAE/nRMSE (normalised by
    capacity, NB/T 32011) against the meters when they have the day."""
    with _errors(), _workspace() as ws:
        day = option_date(date, "--date")
        assert day is not None
        d = ws.district(district)
        w = read_weather_file(weather, d.timezone or "Asia/Shanghai")
        try:
            fc = forecast(ws, d, day, w)
        except ValueError as exc:
            raise InputValidationError([RowError(weather.name, None, "ts", str(day), msg(
                "pv.forecast.no_day", day=str(day)))]) from exc
        errs = forecast_errors(ws, d, day, fc)
    if as_json:
        _print_json({"date": str(day), "hours": [t.strftime("%Y-%m-%dT%H:%M")
                                                 for t in fc.index],
                     "sites": {c: [round(float(v), 3) for v in fc[c]] for c in fc.columns
                               if c != "district"},
                     "district_kw": [round(float(v), 3) for v in fc["district"]],
                     "district_kwh": float(fc["district"].sum()), "errors": errs})
        return
    t = Table("hour 时", "district kW 全区", title=f"PV forecast 光伏日前预测 {day}")
    for ts, v in fc["district"].items():
        t.add_row(f"{dt.datetime.fromisoformat(str(ts)):%H:%M}", _f(float(v), 1))
    console.print(t)
    console.print(f"district 全区 {_f(float(fc['district'].sum()))} kWh from "
                  f"{len(fc.columns) - 1} sites")
    if errs["district"]:
        e = errs["district"]
        console.print(f"errors 误差 ({e['sites']} metered sites, {e['hours']} h, capacity "
                      f"{_f(e['capacity_kw'])} kW): nMAE {e['nmae']:.1%}, "
                      f"nRMSE {e['nrmse']:.1%}")
