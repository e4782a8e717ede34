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
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import BatchResult, file_sha256
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv.forecast import (
    forecast,
    forecast_errors,
    store_forecast,
    year_accuracy,
)
from carbonpeak.services.energy.pv.registry import (
    import_pv_sites,
    import_roofs,
    import_weather_hourly,
    read_weather_file,
)

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
def potential_cmd(district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Roof potential per street and cohort: technical (usable area) and NEA pilot shares."""
    with _errors(), _workspace() as ws:
        res = fleet.potential(ws, ws.district(district))
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


@pv_app.command("progress")
def progress_cmd(year: Annotated[int | None, typer.Option(
        "--year", help="Up to this year (default: the last commissioning year)")] = None,
                 district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Capacity (DC and AC), new capacity since the base year and the roof shares per year."""
    with _errors(), _workspace() as ws:
        res = fleet.progress(ws, ws.district(district), year)
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
              title=f"{year} monitoring 运行监测 (flagged below {res['fault_ratio']:.0%} of "
              f"modelled 低于理论值{res['fault_ratio']:.0%}标记)")
    for r in res["rows"]:
        flags = [n for n, on in (("underperforming 低效", r["underperforming"]),
                                 ("data gap 缺数", r["data_gap"]),
                                 ("clipping? 削峰", r["clipping_suspected"])) if on]
        t.add_row(r["site_id"], r["month"], _f(r["measured_kwh"]), _f(r["modelled_kwh"]),
                  _f(r["performance_ratio"], 2), _f(r["specific_yield_kwh_kwp"], 1),
                  f"{r['coverage']:.0%}", ", ".join(flags))
    console.print(t)
    console.print(f"rule 规则 ({res['fault_rule_status']}): {res['fault_rule_source']}")
    if res["synthetic"]:
        console.print(SYNTHETIC_NOTE)


@pv_app.command("forecast")
def forecast_cmd(
    date: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD")],
    weather: Annotated[Path, typer.Option("--weather", help="Weather forecast: EPW, CSV or "
                                          ".xlsx in the hourly weather's format")],
    district: DistrictOpt = None, as_json: JsonOpt = False,
    store: Annotated[bool, typer.Option(
        "--store/--no-store", help="Store the forecast (default) so its accuracy is reported "
        "when the day is measured")] = True,
    issued_at: Annotated[str | None, typer.Option(
        "--issued-at", help="When the weather forecast was issued, UTC (YYYY-MM-DDTHH:MM); "
        "default now")] = None,
) -> None:
    """Day-ahead hourly generation per site and for the district; nMAE/nRMSE (normalised by
    capacity, NB/T 32011) against the meters when they have the day. Stored (audit-logged)
    unless --no-store; a stored day is not replaced once it has measurements."""
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
        issued = None
        if issued_at is not None:
            try:
                issued = dt.datetime.fromisoformat(issued_at)
            except ValueError as exc:
                raise InputValidationError([RowError("--issued-at", None, "issued_at",
                                                     issued_at, msg("pv.forecast.issued_at"))],
                                           ) from exc
        stored = store_forecast(ws, d, day, fc, weather_file=weather.name,
                                weather_sha256=file_sha256(weather),
                                issued_at=issued) if store else "not stored"
        errs = forecast_errors(ws, d, day, fc)
    if as_json:
        _print_json({"date": str(day), "hours": [t.strftime("%Y-%m-%dT%H:%M")
                                                 for t in fc.index],
                     "sites": {c: [round(float(v), 3) for v in fc[c]] for c in fc.columns
                               if c != "district"},
                     "district_kw": [round(float(v), 3) for v in fc["district"]],
                     "district_kwh": float(fc["district"].sum()), "errors": errs,
                     "stored": stored})
        return
    t = Table("hour 时", "district kW 全区", title=f"PV forecast 光伏日前预测 {day}")
    for ts, v in fc["district"].items():
        t.add_row(f"{dt.datetime.fromisoformat(str(ts)):%H:%M}", _f(float(v), 1))
    console.print(t)
    console.print(f"district 全区 {_f(float(fc['district'].sum()))} kWh from "
                  f"{len(fc.columns) - 1} sites ({stored})")
    if errs["district"]:
        e = errs["district"]
        console.print(f"errors 误差 ({e['sites']} metered sites, {e['hours']} h, capacity "
                      f"{_f(e['capacity_kw'])} kW): nMAE {e['nmae']:.1%}, "
                      f"nRMSE {e['nrmse']:.1%}")


@pv_app.command("forecasts")
def forecasts_cmd(year: YearOpt, district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """The year's stored forecasts and their accuracy once measured (nMAE, nRMSE of the AC
    capacity, NB/T 32011)."""
    with _errors(), _workspace() as ws:
        res = year_accuracy(ws, ws.district(district), year)
    if as_json:
        _print_json(res)
        return
    t = Table("day 日期", "kWh 预测", "sites 电站", "issued 发布 (UTC)", "day-ahead 日前",
              "nMAE", "nRMSE", title=f"{year} PV forecasts 光伏预测")
    for r in res["forecasts"]:
        e = r["errors"]["district"]
        t.add_row(r["date"], _f(r["total_kwh"]), str(r["sites"]), str(r["issued_at"]),
                  "yes 是" if r["day_ahead"] else "no 否", f"{e['nmae']:.1%}" if e else "—",
                  f"{e['nrmse']:.1%}" if e else "—")
    console.print(t)
    m = res["measured"]
    if m:
        console.print(f"{m['days']} measured days 已实测: nMAE {m['nmae']:.1%}, nRMSE "
                      f"{m['nrmse']:.1%} (limit 限值 {res['limit_nrmse']:.0%}, "
                      f"{res['limit_status']})")
