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
    heads,
    import_app,
    lbl,
    option_date,
    print_import,
    say,
    t,
    yes_no,
)
from carbonpeak.cli.metrics import print_published
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import file_sha256
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
from carbonpeak.services.figures import PV_FIGURES, figures

pv_app = typer.Typer(help="Rooftop PV 屋顶光伏: modelled yield, potential, progress against the "
                     "plans' targets, monitoring and day-ahead forecasts.", no_args_is_help=True)
app.add_typer(pv_app, name="pv")

FileArg = Annotated[Path, typer.Argument(help="CSV or .xlsx file")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
YearOpt = Annotated[int, typer.Option("--year", help="Calendar year")]

_done = print_import


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
    table = Table(*heads("site", "building", "kwp", "kw_ac", "ac_kwh", "specific_yield", "poa"),
                  title=t("cli.pv.expected_title", year=year,
                          weather=t(f"cli.pv.weather.{res['weather']}")))
    for r in res["sites"]:
        table.add_row(r["site_id"], r["entity_id"], _f(r["kwp_dc"], 1), _f(r["kw_ac"], 1),
                      _f(r["ac_kwh"]), _f(r["specific_yield_kwh_kwp"]), _f(r["poa_kwh_m2"]))
    console.print(table)
    say("cli.pv.expected_total", kwh=_f(res["total_ac_kwh"]),
        yield_=_f(res["specific_yield_kwh_kwp"]))
    if res["synthetic"]:
        say("cli.pv.synthetic", "yellow")


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
    table = Table(*heads("street", "cohort", "roofs", "not_feasible", "roof_m2", "usable_m2",
                         "potential_kwp", "pilot_kwp", "installed_kwp"))
    for r in res["rows"]:
        table.add_row(r["street"], lbl("roof_cohort", r["cohort"]), str(r["roofs"]),
                      str(r["not_feasible"]), _f(r["roof_area_m2"]), _f(r["usable_area_m2"]),
                      _f(r["potential_kwp"]), _f(r["pilot_kwp"]), _f(r["installed_kwp"]))
    console.print(table)
    say("cli.pv.potential_total", potential=_f(res["total_potential_kwp"]),
        pilot=_f(res["total_pilot_kwp"]), installed=_f(res["total_installed_kwp"]),
        efficiency=f"{res['module_efficiency']:.0%}",
        efficiency_status=lbl("factor_status", res["efficiency_status"]),
        pilot_status=lbl("factor_status", res["pilot_status"]))
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
    table = Table(*heads("year", "kwp_dc", "kw_ac"), t("cli.pv.new_since", year=res["base_year"]),
                  *heads("new_kw_ac"), *(t("cli.pv.group_share", group=t(f"cli.pv.group.{g}"))
                                         for g in fleet.GROUPS))
    for y in res["years"]:
        shares = [f"{_f(None if g['count_share'] is None else 100 * g['count_share'], 0)} / "
                  f"{_f(None if g['area_share'] is None else 100 * g['area_share'], 0)}"
                  for g in y["groups"].values()]
        table.add_row(str(y["year"]), _f(y["kwp_dc"], 1), _f(y["kw_ac"], 1),
                      _f(y["new_kwp_dc"], 1), _f(y["new_kw_ac"], 1), *shares)
    console.print(table)
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
    table = Table(*heads("site", "month", "measured_kwh", "modelled_kwh", "pr",
                         "specific_yield", "completeness", "flags"),
                  title=t("cli.pv.monitor_title", year=year,
                          threshold=f"{res['fault_ratio']:.0%}"))
    for r in res["rows"]:
        flags = [t(f"cli.pv.{n}") for n, on in (("underperforming", r["underperforming"]),
                                                ("data_gap", r["data_gap"]),
                                                ("clipping", r["clipping_suspected"])) if on]
        table.add_row(r["site_id"], r["month"], _f(r["measured_kwh"]), _f(r["modelled_kwh"]),
                      _f(r["performance_ratio"], 2), _f(r["specific_yield_kwh_kwp"], 1),
                      f"{r['coverage']:.0%}", ", ".join(flags))
    console.print(table)
    say("cli.pv.fault_rule", status=lbl("factor_status", res["fault_rule_status"]),
        source=res["fault_rule_source"])
    if res["synthetic"]:
        say("cli.pv.synthetic", "yellow")


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
                                issued_at=issued) if store else "not_stored"
        errs = forecast_errors(ws, d, day, fc)
    if as_json:
        _print_json({"date": str(day), "hours": [h.strftime("%Y-%m-%dT%H:%M")
                                                 for h in fc.index],
                     "sites": {c: [round(float(v), 3) for v in fc[c]] for c in fc.columns
                               if c != "district"},
                     "district_kw": [round(float(v), 3) for v in fc["district"]],
                     "district_kwh": float(fc["district"].sum()), "errors": errs,
                     "stored": stored})
        return
    table = Table(*heads("hour", "district_kw"), title=t("cli.pv.forecast_title", day=day))
    for ts, v in fc["district"].items():
        table.add_row(f"{dt.datetime.fromisoformat(str(ts)):%H:%M}", _f(float(v), 1))
    console.print(table)
    say("cli.pv.forecast_total", kwh=_f(float(fc["district"].sum())), sites=len(fc.columns) - 1,
        stored=t(f"cli.pv.forecast_stored.{stored}"))
    if errs["district"]:
        e = errs["district"]
        say("cli.pv.forecast_errors", sites=e["sites"], hours=e["hours"],
            capacity=_f(e["capacity_kw"]), nmae=f"{e['nmae']:.1%}", nrmse=f"{e['nrmse']:.1%}")


@pv_app.command("forecasts")
def forecasts_cmd(year: YearOpt, district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """The year's stored forecasts and their accuracy once measured (nMAE, nRMSE of the AC
    capacity, NB/T 32011)."""
    with _errors(), _workspace() as ws:
        res = year_accuracy(ws, ws.district(district), year)
    if as_json:
        _print_json(res)
        return
    table = Table(*heads("day", "forecast_kwh", "sites", "issued_utc", "day_ahead", "nmae",
                         "nrmse"), title=t("cli.pv.forecasts_title", year=year))
    for r in res["forecasts"]:
        e = r["errors"]["district"]
        table.add_row(r["date"], _f(r["total_kwh"]), str(r["sites"]), str(r["issued_at"]),
                      yes_no(r["day_ahead"]), f"{e['nmae']:.1%}" if e else "—",
                      f"{e['nrmse']:.1%}" if e else "—")
    console.print(table)
    m = res["measured"]
    if m:
        say("cli.pv.forecasts_measured", days=m["days"], nmae=f"{m['nmae']:.1%}",
            nrmse=f"{m['nrmse']:.1%}", limit=f"{res['limit_nrmse']:.0%}",
            status=lbl("factor_status", res["limit_status"]))
