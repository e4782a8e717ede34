"""``carbonpeak demo``: the demo district end to end, orchestrated in one place."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from carbonpeak.cli.accounting import print_summary
from carbonpeak.cli.common import (
    _errors,
    _fmt,
    _print_import,
    _progress,
    _workspace,
    app,
    console,
    error_text,
    heads,
    lang,
    lbl,
    pick,
    say,
    t,
)
from carbonpeak.cli.plan import LEVEL_STYLE, _status
from carbonpeak.config import Settings
from carbonpeak.demo.pv import demo_pv
from carbonpeak.demo.vpp import DemoVpp, demo_vpp
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import Text, render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.access.users import DEMO_PASSWORD
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.buildings.retrofits import import_retrofits, measure, retrofit_progress
from carbonpeak.services.buildings.weather import import_weather
from carbonpeak.services.figures import figures
from carbonpeak.services.plan.notify import build_notifier
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.services.plan.warnings import (
    allocate_budgets,
    derive_district_budget,
    evaluate_warnings,
)
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ENTITY_ROLES, Role, WarningLevel


@app.command()
def demo(
    profile: Annotated[str, typer.Option(help="huangpu or tianhe")] = "huangpu",
    buildings: Annotated[int, typer.Option(help="Number of buildings")] = 40,
    years: Annotated[str, typer.Option(help="Year range, e.g. 2023-2024")] = "2023-2024",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same district)")] = 7,
    account_year: Annotated[int | None, typer.Option(
        "--account", help="Year to account after import; default the last year")] = None,
    out: Annotated[Path | None, typer.Option(help="Inventory output folder")] = None,
    serve: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="End by serving the dashboard (Ctrl-C stops it)")] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard")] = 8000,
) -> None:
    """Generate a deterministic demo district, import it, run the account and the plan, then
    serve the dashboard at http://127.0.0.1:8000 with demo users."""
    from carbonpeak.demo.generator import generate_demo
    from carbonpeak.reference import read_profile

    with _errors():
        y0, _, y1 = years.partition("-")
        span = (int(y0), int(y1 or y0))
        settings = Settings()
        ws, _notes = init_workspace(settings, profiles=[profile])
        try:
            files_dir = settings.home / "demo-input" / f"{profile}-{buildings}-{seed}"
            with _progress() as prog:
                task = prog.add_task(t("cli.demo.generating"), total=None)
                files = generate_demo(read_profile(profile), buildings=buildings, years=span,
                                      seed=seed, out_dir=files_dir)
                prog.remove_task(task)
                plan: list[tuple[str, Path]] = [("entities", files.entities),
                                                ("meters", files.meters),
                                                ("statistics", files.statistics),
                                                ("sector_statistics", files.sector_statistics)]
                plan += [("ledger", p) for p in files.ledger]
                plan += [("readings", p) for p in files.readings]
                task = prog.add_task(t("cli.import.task", kind=""), total=len(plan))
                for kind, path in plan:
                    prog.update(task, description=t("cli.import.task_file", file=path.name,
                                                     kind=lbl("batch_kind", kind)))
                    _print_import(import_file(ws, kind, path, district=profile))
                    prog.advance(task)
            for n in files.notes:
                say("cli.bullet", "dim", text=t("cli.demo.dirt", text=n))
            year = account_year or span[1]
            _confirm_demo_spikes(ws, profile)
            for line in demo_pv(ws, profile, year, files_dir, seed):  # before the account
                say("cli.bullet", text=line)
            out_dir = out or settings.home / "out" / f"{profile}-{year}"
            with _progress() as prog:
                task = prog.add_task(t("cli.account.task"), total=None)
                # the year before too: its monthly profile spreads the budgets of warnings
                for y in [y for y in (year - 1, year) if y >= span[0]]:
                    res = run_account(ws, year=y, district=profile,
                                      out_dir=out_dir if y == year else None,
                                      progress=_account_progress(prog, task, y))
            print_summary(res, figures(ws, year=year, district=profile))
            _demo_programmes(ws, profile, files, files_dir, seed, year)
            # the VPP before the dispatch round: its capability metrics are the observations
            # of HP-41..45 and TH-12, so the round's "no data" line counts them as they are
            _print_vpp(demo_vpp(ws, profile, files_dir, year, seed))
            _demo_supervision(ws, profile, year, seed)
        finally:
            ws.close()
        demo_plan(profile, year)
        users = _demo_web(settings, profile, files_dir)
        if serve:
            import uvicorn

            from carbonpeak.api.server import uvicorn_options

            console.print("\n[bold]" + t("cli.demo.dashboard", port=port) + "[/]  "
                          + t("cli.demo.stop"), highlight=False)
            _print_demo_users(users)
            uvicorn.run("carbonpeak.api.app:create_app", **uvicorn_options(
                settings, host="127.0.0.1", port=port, log_level="warning"))
        else:
            _print_demo_users(users)


def _print_vpp(v: DemoVpp) -> None:
    """The demo event's figures (docs/vpp.md)."""
    if not v.results:
        return
    tot, r = v.results["total"], v.results
    failing = [x for x in r["resources"] if x["data"] == "ok" and not x["effective"]]
    console.print("  • " + t(
        "cli.demo.vpp", resources=v.resources, event=v.event_id, day=v.event_day,
        start=r["event"]["start"], end=r["event"]["end"],
        method=lbl("dr_baseline_method", r["method"]), response=_fmt(tot["response_kw"]),
        declared=_fmt(tot["declared_kw"]),
        ratio=f"{100 * (tot['execution_ratio'] or 0):.0f}%", amount=_fmt(tot["amount_cny"]),
        failing=len(failing), aggregators=", ".join(
            f"{a['aggregator']} {100 * (a['execution_ratio'] or 0):.0f}%"
            for a in r["aggregators"]))
        + f" [dim]{t('cli.demo.seconds', seconds=f'{v.seconds:.1f}')}[/]", highlight=False)


def _demo_programmes(ws: Workspace, profile: str, files: Any, files_dir: Path, seed: int,
                     year: int) -> None:
    """The demo's buildings programmes: weather, retrofit projects and their measured savings,
    energy audits and key units' filings (after the account, which flags the key units)."""
    from carbonpeak.demo.audits import generate_audit_files, registry_entities
    from carbonpeak.reference import read_profile
    from carbonpeak.services.buildings.audits import import_audits, import_filings

    demo_retrofits(ws, profile, files.weather, files.retrofits, year)
    # a fixed "as of" keeps the demo's files the same from day to day (never in the future:
    # an audit dated after today is refused)
    demo_audits = generate_audit_files(
        registry_entities(ws, profile), profile=read_profile(profile), seed=seed,
        as_of=min(dt.date(year + 1, 6, 30), dt.date.today()), years=(year - 1, year),
        out_dir=files_dir)
    for what, done in (
            ("cli.demo.audits", import_audits(ws, demo_audits.audits, district=profile)),
            ("cli.demo.filings", import_filings(ws, demo_audits.filings, district=profile))):
        # a duplicate (the demo ran before into this home) says so in its summary
        say("cli.bullet", text=t("cli.demo.done", what=t(what), summary=done.text(lang())))
    for n in demo_audits.notes:
        say("cli.bullet", "dim", text=t("cli.demo.audit_note", text=n))
    from carbonpeak.demo.projects import demo_projects  # the project gate and certificates
    for line in demo_projects(ws, profile, year, files_dir / "projects"):
        say("cli.bullet", text=line)


def _demo_supervision(ws: Workspace, profile: str, year: int, seed: int) -> None:
    """The demo's dispatch round (调度): departments and streets answer, one is late."""
    from carbonpeak.demo.supervision import demo_round
    from carbonpeak.services.supervision.catalogue import list_organisations

    res = demo_round(ws, profile, year, seed=seed)
    late = next((pick(o["name_zh"], o["name_en"]) for o in list_organisations(
        ws, district=profile) if o["code"] == res.late_unit), res.late_unit)
    say("cli.bullet", text=t("cli.demo.dispatch", period=res.period, before=res.before,
                             after=res.after, total=res.total, late=late))
    for code, why in res.owed:
        console.print("      " + t("cli.demo.owed", code=code, why=why), highlight=False)
    from carbonpeak.errors import ConflictError
    from carbonpeak.services.access.users import create_user

    if profile == "huangpu":  # a department officer of 区建管委 (the catalogue's unit jgw)
        with contextlib.suppress(ConflictError):
            create_user(ws, "dept_jgw", Role.DEPARTMENT_OFFICER, district=profile, org="jgw",
                        display_name="演示 区建管委", password=DEMO_PASSWORD)
        say("cli.bullet", text=t("cli.demo.officer", password=DEMO_PASSWORD))


def _demo_web(settings: Settings, profile: str,
              files_dir: Path) -> list[tuple[str, str, str, Text]]:
    """Approximate street polygons and one demo user per role (password DEMO_PASSWORD)."""
    import json

    from carbonpeak.errors import ConflictError
    from carbonpeak.intake.boundaries import approximate_boundaries, import_boundaries
    from carbonpeak.services.access.users import create_user
    from carbonpeak.storage.queries import district_streets, first_top_entity

    ws = Workspace.open(settings, actor="demo")
    try:
        rows = district_streets(ws, profile)
        streets = [{"code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
                    "lat": st.lat, "lon": st.lon, "id": st.id} for st in rows]
        # the entity manager: the first key unit of the first street (else its first entity)
        manager = first_top_entity(ws, profile, rows[0].id if rows else None)
        geo = approximate_boundaries(streets)
        path = files_dir / "street_boundaries.approximate.geojson"
        path.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
        import_boundaries(ws, path, district=profile, approximate=True,
                          note="demo: Voronoi cells around approximate street centroids, "
                               "NOT official boundaries / 示意边界，非官方")
        whole = Text(render("cli.demo.whole_district", "zh"),
                     render("cli.demo.whole_district", "en"))
        users: list[tuple[str, str, str, Text]] = [
            ("admin", Role.DISTRICT_ADMIN, "区管理员", whole),
            ("analyst", Role.DISTRICT_ANALYST, "区分析员", whole)]
        for st in streets[:2]:
            users.append((f"street_{st['code']}", Role.STREET_OFFICER, str(st["name_zh"]),
                          Text(str(st["name_zh"]), str(st["name_en"] or st["name_zh"]))))
        if manager:
            users += [("manager", Role.ENTITY_MANAGER, manager, Text(manager, manager)),
                      ("feeder", Role.DATA_FEEDER, manager, Text(manager, manager))]
        for name, role, what, _shown in users:
            with contextlib.suppress(ConflictError):  # the demo ran before into this home
                create_user(ws, name, role, district=profile,
                            street=what if role == Role.STREET_OFFICER else None,
                            entities=[what] if role in ENTITY_ROLES
                            else None, display_name=f"演示 {what}", password=DEMO_PASSWORD)
        return users
    finally:
        ws.close()


def _print_demo_users(users: list[tuple[str, str, str, Text]]) -> None:
    table = Table(*heads("user", "role", "scope_of", "password"), title=t("cli.demo.users"))
    for name, role, _what, shown in users:
        table.add_row(name, lbl("role", role), pick(shown.zh, shown.en), DEMO_PASSWORD)
    console.print(table)


def _account_progress(prog: Progress, task: Any, year: int) -> Callable[[str], None]:
    def show(step: str) -> None:
        prog.update(task, description=t("cli.account.step", year=year, step=step))
    return show


# users, tokens, serve, ingest mqtt; targets, budgets, warnings, lmdi, peak: registered on


def demo_plan(district: str, year: int) -> None:
    """The demo's plan part: budgets for ``year``, warnings as the year goes, targets, peak."""
    with _workspace() as ws:
        b = derive_district_budget(ws, year=year, district=district)
        say("cli.bullet", text=t("cli.demo.budget", year=year, budget=_fmt(b.budget),
                                 target=b.basis["target"]))
        for level in ("streets", "key_units"):
            try:
                out = allocate_budgets(ws, year=year, level=level, method="mixed",
                                       district=district)
            except NotFoundError as exc:  # a one-year demo has no baseline year
                say("cli.bullet", text=t("cli.demo.not_decomposed", level=t(f"cli.level.{level}"),
                                         why=error_text(exc)))
                continue
            say("cli.bullet", text=t("cli.demo.decomposed", n=len(out),
                                     level=t(f"cli.level.{level}")))
        notifier = build_notifier(ws.settings)
        for month in (6, 9, 12):  # the year as it went: each evaluation adds to the history
            wr = evaluate_warnings(ws, year=year, district=district, through_month=month,
                                   notifier=notifier)
        rows = wr.table
        worst = rows[rows["level"].isin([WarningLevel.RED, WarningLevel.YELLOW])].head(5)
        sep = "，" if lang() == "zh" else ", "
        say("cli.bullet", text=t("cli.demo.warnings", year=year, counts=sep.join(
            f"{lbl('warning_level', k)} {v}" for k, v in wr.counts().items())))
        for _key, r in worst.iterrows():
            console.print(f"      [{LEVEL_STYLE.get(str(r['level']), 'dim')}]"
                          f"{lbl('warning_level', str(r['level']))}[/] "
                          f"{r['scope_name']}: {r[f'reason_{lang()}']}", highlight=False)
        statuses = evaluate_targets(ws, district=district)
        counts: dict[str, int] = {}
        for st in statuses:
            counts[st.status] = counts.get(st.status, 0) + 1
        sep = "；" if lang() == "zh" else "; "
        say("cli.bullet", text=t("cli.demo.targets", n=len(statuses), counts=sep.join(
            f"{lbl('target_state', k)} {v}" for k, v in sorted(counts.items()))))
        for st in statuses:
            if st.metric in ("energy_per_gdp", "co2_peak_year"):
                console.print(f"      {st.code} {pick(st.indicator_zh, st.indicator_en)}: "
                              f"{_status(st.status)} — "
                              f"{st.reason_zh if lang() == 'zh' else st.reason_en}",
                              highlight=False)


def demo_retrofits(ws: Workspace, district: str, weather: Path, retrofits: Path,
                   year: int) -> list[dict[str, Any]]:
    """The demo's part: import its weather and projects, measure the savings, print the
    progress of ``year``; the measured rows."""
    for res in (import_weather(ws, weather, district=district),
                import_retrofits(ws, retrofits, district=district)):
        _print_import(res)
    rows = [r for r in measure(ws, district) if "skipped" not in r]
    g = retrofit_progress(ws, district, year)
    say("cli.bullet", text=t("cli.demo.mv", n=len(rows),
                             sufficient=sum(bool(r["mv_sufficient"]) for r in rows), year=year,
                             area=_fmt(g["retrofit_area_m2"]),
                             area15=_fmt(g["saving15_area_m2"]),
                             commissioning=g["commissioning_this_year"]))
    return rows


def _confirm_demo_spikes(ws: Workspace, district: str) -> None:
    """The generated loads have a few spikes the intake holds: the demo confirms them (as its
    analyst would, audit-logged) so that its accounts become official."""
    from carbonpeak.services.accounting.held import decide_held, list_held

    held = [h["id"] for h in list_held(ws, district)]
    if held:
        decide_held(ws, district, held, "confirmed",
                    note="demo: generated data, confirmed by carbonpeak demo")
        say("cli.bullet", "dim", text=t("cli.demo.spikes", n=len(held)))
