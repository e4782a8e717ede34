"""Demo projects for the energy-review gate (节能审查) and a certificate purchase.

中文：演示用固定资产投资项目（覆盖各审查层级，含一个两高项目、一个超审查用能项目）及一笔绿证购买。

:func:`demo_projects` writes ``projects.csv``, ``project_energy.csv`` and
``certificates.csv`` (the import contracts of ``carbonpeak projects import|energy`` and
``carbonpeak certificates import``), imports them, sets a demo budget for the pipeline's first
full year when the district has none (the latest energy total + 2 %: a demo figure, not a
plan's), and evaluates the pipeline (which raises its warning when it exceeds the headroom).
The developers are fictitious (演示 in their names). The project over its reviewed use is
linked to the entity with the largest metered use of ``year``: its reviewed use is set to
that use ÷ 1.25, so the account shows it 25 % over (flagged at the 10 % margin).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from carbonpeak.errors import ConflictError
from carbonpeak.i18n import Message, label, msg
from carbonpeak.services.access.users import DEMO_PASSWORD, create_user
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.accounting.certificates import import_certificates
from carbonpeak.services.plan.warnings import set_budget
from carbonpeak.services.projects.register import (
    import_project_energy,
    import_projects,
    operation,
    pipeline,
)
from carbonpeak.storage.registry.repositories import demo as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import Role, ScopeType

__all__ = ["DEMO_DEVELOPER", "demo_projects"]

#: the demo developer's organisation code (user ``developer`` acts for it)
DEMO_DEVELOPER = "DEMO-DEV-A"
_HEADER = ("project_code,name,street,developer,sector_code,kind,stage,value_added_10k_cny,"
           "first_full_year,reviewed_tce_equal,entity_id\n")


def demo_projects(ws: Workspace, district: str, year: int, out_dir: Path) -> list[Message]:
    """Write, import and evaluate the demo pipeline; lines to print."""
    d = ws.district(district)
    with ws.registry.session() as s:
        run = official_run(s, d.id, year)
        if run is not None:
            s.expunge(run)
        street = repo.first_street_name(s, d.id) or ""
    first = year + 2
    big, big_kwh, big_tce = "", 0.0, 0.0
    if run is not None:
        ey = load_run_tables(ws, run, ["inventory_entity_year"])["inventory_entity_year"]
        ey = ey[ey["scope"].isin(["1", "2"])]
        per = ey.groupby("entity_id")["tce_equal"].sum().sort_values(ascending=False)
        if len(per):
            big, big_tce = str(per.index[0]), float(per.iloc[0])
            el = ey[(ey["entity_id"] == big) & (ey["carrier"] == "electricity")]
            big_kwh = float(el["quantity"].sum())
    dev_b = "DEMO-DEV-B"
    rows = [
        f"D01,演示小型办公楼,{street},{DEMO_DEVELOPER},L7212,新建,设计审查,3000,{first},,",
        f"D02,演示数据中心,{street},{DEMO_DEVELOPER},I6531,新建,施工,60000,{first},,",
        f"D03,演示医院扩建,{street},{dev_b},Q8411,扩建,节能审查,20000,{first},,",
        f"D04,演示化工原料项目（两高）,,{dev_b},C2619,新建,施工,45000,{first},,",
    ]
    energy = ["D01,electricity,3000000,kWh,,", "D02,electricity,8000,MWh,,",
              "D03,electricity,3000,万kWh,,", "D03,natural_gas,150,万m3,,",
              "D04,electricity,2000,万kWh,,", "D04,natural_gas,900,万m3,,是"]
    if big and big_kwh > 0:
        reviewed = big_tce / 1.25
        rows.append(f"D05,演示已投运项目（超审查用能）,,{DEMO_DEVELOPER},K7040,新建,投运,10000,"
                    f"{year},{reviewed:.1f},{big}")
        energy.append(f"D05,electricity,{big_kwh / 1.25:.0f},kWh,,")
    out_dir.mkdir(parents=True, exist_ok=True)
    p_csv, e_csv, c_csv = (out_dir / n for n in ("projects.csv", "project_energy.csv",
                                                 "certificates.csv"))
    p_csv.write_text(_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    e_csv.write_text("project_code,carrier,annual_quantity,unit,existing_quantity,feedstock\n"
                     + "\n".join(energy) + "\n", encoding="utf-8")
    lines = [msg("demo.projects.imported",
                 summary=import_projects(ws, p_csv, district=d.id).summary()),
             msg("demo.projects.energy",
                 summary=import_project_energy(ws, e_csv, district=d.id).summary())]
    if big and big_kwh > 0:
        mwh = round(0.3 * big_kwh / 1000.0, 1)
        c_csv.write_text("serial,kind,vintage,mwh,holder,status,claim_year\n"
                         f"DEMO-GEC-{d.id}-{year}-0001,绿证,{year},{mwh},{big},已核销,{year}\n",
                         encoding="utf-8")
        done = import_certificates(ws, c_csv, district=d.id)
        lines.append(msg("demo.projects.certificates", summary=done.summary(),
                         mwh=f"{mwh:,.1f}", holder=big))
    with ws.registry.session() as s:
        has = repo.budget_of_district(s, d.id, first, "energy_tce",
                                      ScopeType.DISTRICT) is not None
    pl0 = pipeline(ws, district=d.id, year=first, store_warning=False)
    if not has and pl0.base_use is not None:
        set_budget(ws, year=first, metric="energy_tce", budget=round(pl0.base_use * 1.02, 1),
                   district=d.id)
    pl = pipeline(ws, district=d.id, year=first)
    lines.append(msg("demo.projects.pipeline", year=first, tce=f"{pl.pipeline_tce:,.1f}",
                     n=len(pl.projects), remaining=f"{pl.remaining or 0:,.1f}",
                     headroom=f"{pl.headroom or 0:,.1f}",
                     warning=label("warning_level", pl.warning) if pl.warning
                     else msg("common.none")))
    over = [o["project_code"] for o in operation(ws, district=d.id) if o["over_reviewed"]]
    lines.append(msg("demo.projects.over", codes=", ".join(over) if over
                     else msg("common.none")))
    with contextlib.suppress(ConflictError):  # the demo ran before into this home
        create_user(ws, "developer", Role.PROJECT_DEVELOPER, district=d.id,
                    org=DEMO_DEVELOPER, display_name="演示 建设单位", password=DEMO_PASSWORD)
    lines.append(msg("demo.projects.developer", org=DEMO_DEVELOPER))
    return lines
