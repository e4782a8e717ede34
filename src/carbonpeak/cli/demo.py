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
from carbonpeak.cli.common import _errors, _fmt, _print_import, _progress, _workspace, app, console
from carbonpeak.cli.plan import LEVEL_STYLE, _status
from carbonpeak.config import Settings
from carbonpeak.demo.pv import demo_pv
from carbonpeak.demo.vpp import DemoVpp, demo_vpp
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import label_text
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
                task = prog.add_task("generating demo district", total=None)
                files = generate_demo(read_profile(profile), buildings=buildings, years=span,
                                      seed=seed, out_dir=files_dir)
                prog.remove_task(task)
                plan: list[tuple[str, Path]] = [("entities", files.entities),
                                                ("meters", files.meters),
                                                ("statistics", files.statistics),
                                                ("sector_statistics", files.sector_statistics)]
                plan += [("ledger", p) for p in files.ledger]
                plan += [("readings", p) for p in files.readings]
                task = prog.add_task("import", total=len(plan))
                for kind, path in plan:
                    prog.update(task, description=f"import {kind}: {path.name}")
                    _print_import(import_file(ws, kind, path, district=profile))
                    prog.advance(task)
            for n in files.notes:
                console.print(f"  [dim]demo dirt: {n}[/]")
            year = account_year or span[1]
            _confirm_demo_spikes(ws, profile)
            for line in demo_pv(ws, profile, year, files_dir, seed):  # before the account
                console.print(line)
            out_dir = out or settings.home / "out" / f"{profile}-{year}"
            with _progress() as prog:
                task = prog.add_task("account", total=None)
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

            console.print(f"\n[bold]驾驶舱 dashboard: http://127.0.0.1:{port}/[/]  "
                          "(Ctrl-C stops it)")
            _print_demo_users(users)
            uvicorn.run("carbonpeak.api.app:create_app", **uvicorn_options(
                settings, host="127.0.0.1", port=port, log_level="warning"))
        else:
            _print_demo_users(users)


def _print_vpp(v: DemoVpp) -> None:
    """The demo event's figures (docs/vpp.md)."""
    if not v.results:
        return
    t, r = v.results["total"], v.results
    failing = [x for x in r["resources"] if x["data"] == "ok" and not x["effective"]]
    console.print(
        f"  • 虚拟电厂 VPP: {v.resources} resources, event {v.event_id} {v.event_day} "
        f"{r['event']['start']}–{r['event']['end']} ({r['method']}): response "
        f"{_fmt(t['response_kw'])} kW of {_fmt(t['declared_kw'])} kW declared "
        f"({100 * (t['execution_ratio'] or 0):.0f}%), settlement {_fmt(t['amount_cny'])} CNY; "
        f"{len(failing)} below its declared kW; aggregators "
        + ", ".join(f"{a['aggregator']} {100 * (a['execution_ratio'] or 0):.0f}%"
                    for a in r["aggregators"]) + f" [dim]({v.seconds:.1f} s)[/]")


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
            ("energy audits 能源审计", import_audits(ws, demo_audits.audits, district=profile)),
            ("filings 义务报送", import_filings(ws, demo_audits.filings, district=profile))):
        if done.status == "duplicate":  # the demo ran before into this home
            console.print(f"  • {what}: {done.message}")
        else:
            console.print(f"  • {what}: {done.added} added, {done.updated} updated, "
                          f"{done.unchanged} unchanged")
    for n in demo_audits.notes:
        console.print(f"  [dim]demo audits: {n}[/]")
    from carbonpeak.demo.projects import demo_projects  # the project gate and certificates
    for line in demo_projects(ws, profile, year, files_dir / "projects"):
        console.print(f"  • {line}")


def _demo_supervision(ws: Workspace, profile: str, year: int, seed: int) -> None:
    """The demo's dispatch round (调度): departments and streets answer, one is late."""
    from carbonpeak.demo.supervision import demo_round

    res = demo_round(ws, profile, year, seed=seed)
    console.print(f"  • 调度 dispatch {res.period}: 暂无数据 targets {res.before} → {res.after} "
                  f"of {res.total} (late unit: {res.late_unit})")
    for code, why in res.owed:
        console.print(f"      {code}: {why}")
    from carbonpeak.errors import ConflictError
    from carbonpeak.services.access.users import create_user

    if profile == "huangpu":  # a department officer of 区建管委 (the catalogue's unit jgw)
        with contextlib.suppress(ConflictError):
            create_user(ws, "dept_jgw", Role.DEPARTMENT_OFFICER, district=profile, org="jgw",
                        display_name="演示 区建管委", password=DEMO_PASSWORD)
        console.print(f"  • 部门用户 department officer: dept_jgw (区建管委), password "
                      f"{DEMO_PASSWORD}")


def _demo_web(settings: Settings, profile: str, files_dir: Path) -> list[tuple[str, str, str]]:
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
        users: list[tuple[str, str, str]] = [
            ("admin", Role.DISTRICT_ADMIN, "区管理员"),
            ("analyst", Role.DISTRICT_ANALYST, "区分析员")]
        for st in streets[:2]:
            users.append((f"street_{st['code']}", Role.STREET_OFFICER, str(st["name_zh"])))
        if manager:
            users += [("manager", Role.ENTITY_MANAGER, manager),
                      ("feeder", Role.DATA_FEEDER, manager)]
        for name, role, what in users:
            with contextlib.suppress(ConflictError):  # the demo ran before into this home
                create_user(ws, name, role, district=profile,
                            street=what if role == Role.STREET_OFFICER else None,
                            entities=[what] if role in ENTITY_ROLES
                            else None, display_name=f"演示 {what}", password=DEMO_PASSWORD)
        return users
    finally:
        ws.close()


def _print_demo_users(users: list[tuple[str, str, str]]) -> None:
    t = Table("user 用户", "role 角色", "scope 范围", "password 口令",
              title="演示用户 demo users (demo only; change or remove them for real use)")
    for name, role, what in users:
        t.add_row(name, role, what, DEMO_PASSWORD)
    console.print(t)


def _account_progress(prog: Progress, task: Any, year: int) -> Callable[[str], None]:
    def show(step: str) -> None:
        prog.update(task, description=f"account {year}: {step}")
    return show


# users, tokens, serve, ingest mqtt; targets, budgets, warnings, lmdi, peak: registered on


def demo_plan(district: str, year: int) -> None:
    """The demo's plan part: budgets for ``year``, warnings as the year goes, targets, peak."""
    with _workspace() as ws:
        b = derive_district_budget(ws, year=year, district=district)
        console.print(f"  • 区能耗预算 district energy budget {year}: {_fmt(b.budget)} tce "
                      f"(intensity path of {b.basis['target']})")
        for level in ("streets", "key_units"):
            try:
                out = allocate_budgets(ws, year=year, level=level, method="mixed",
                                       district=district)
            except NotFoundError as exc:  # a one-year demo has no baseline year
                console.print(f"  • 预算分解 budgets of {level} not decomposed: {exc}")
                continue
            console.print(f"  • 预算分解 budgets decomposed to {len(out)} {level} "
                          "(mixed: ½ baseline share, ½ floor area × type benchmark)")
        notifier = build_notifier(ws.settings)
        for month in (6, 9, 12):  # the year as it went: each evaluation adds to the history
            wr = evaluate_warnings(ws, year=year, district=district, through_month=month,
                                   notifier=notifier)
        rows = wr.table
        worst = rows[rows["level"].isin([WarningLevel.RED, WarningLevel.YELLOW])].head(5)
        console.print(f"  • 预警 warnings {year} (evaluated after months 6, 9 and 12): "
                      f"{wr.counts()}")
        for _key, r in worst.iterrows():
            console.print(f"      [{LEVEL_STYLE.get(str(r['level']), 'dim')}]{r['level']}[/] "
                          f"{r['scope_name']}: {r['reason_zh']}")
        statuses = evaluate_targets(ws, district=district)
        counts: dict[str, int] = {}
        for st in statuses:
            counts[st.status] = counts.get(st.status, 0) + 1
        console.print(f"  • 规划目标 {len(statuses)} targets: " + "; ".join(
            f"{label_text('target_state', k, 'zh')} {v}" for k, v in sorted(counts.items())))
        for st in statuses:
            if st.metric in ("energy_per_gdp", "co2_peak_year"):
                console.print(f"      {st.code} {st.indicator_zh}: {_status(st.status)} — "
                              f"{st.reason_zh}")


def demo_retrofits(ws: Workspace, district: str, weather: Path, retrofits: Path,
                   year: int) -> list[dict[str, Any]]:
    """The demo's part: import its weather and projects, measure the savings, print the
    progress of ``year``; the measured rows."""
    for res in (import_weather(ws, weather, district=district),
                import_retrofits(ws, retrofits, district=district)):
        tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
               "no_change": "[yellow]no change[/]"}[res.status]
        console.print(f"{tag} {res.file} → batch {res.batch_id}: {'; '.join(res.messages)}")
    rows = [r for r in measure(ws, district) if "skipped" not in r]
    g = retrofit_progress(ws, district, year)
    console.print(
        f"  • 节能量测算 M&V: {len(rows)} completed project(s), "
        f"{sum(bool(r['mv_sufficient']) for r in rows)} with sufficient data; {year}: "
        f"改造面积 retrofitted {_fmt(g['retrofit_area_m2'])} m², 节能率≥15% (G14) "
        f"{_fmt(g['saving15_area_m2'])} m², 调适 commissioning {g['commissioning_this_year']}")
    return rows


def _confirm_demo_spikes(ws: Workspace, district: str) -> None:
    """The generated loads have a few spikes the intake holds: the demo confirms them (as its
    analyst would, audit-logged) so that its accounts become official."""
    from carbonpeak.services.accounting.held import decide_held, list_held

    held = [h["id"] for h in list_held(ws, district)]
    if held:
        decide_held(ws, district, held, "confirmed",
                    note="demo: generated data, confirmed by carbonpeak demo")
        console.print(f"  [dim]demo: {len(held)} held spike(s) confirmed "
                      "(carbonpeak held list --all)[/]")
