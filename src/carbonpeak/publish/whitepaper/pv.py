"""The white paper's rooftop PV section: potential, capacity against the plans' targets, and
measured against modelled yield (issue 18).

中文：白皮书“屋顶光伏”一节——屋顶潜力、装机进度与实测/理论发电量对比。

Every figure comes from :mod:`carbonpeak.services.energy.pv.fleet` for the whole district;
a district without a roof survey or PV sites raises :class:`~carbonpeak.errors.NotFoundError`
(printed as not available, with the reason). A year modelled on the synthetic weather year
says so in its notes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.i18n import render
from carbonpeak.publish.whitepaper.sections import ExtraSection, basis_notes, published
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.figures import PV_FIGURES, figures
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["pv_section"]


def _build(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    pot = fleet.potential(ws, d)
    prog = {y["year"]: y for y in fleet.progress(ws, d, year)["years"]}
    if not pot["rows"] and not prog:
        raise NotFoundError(i18n_msg("whitepaper.section.no_pv"))
    fs = figures(ws, year=year, district=d.id)
    shown = tuple(c for c in PV_FIGURES if c != "pv.performance_ratio")
    figs = published(fs, shown)
    rows = []
    frame = pd.DataFrame(pot["rows"])
    if not frame.empty:
        for cohort, g in frame.groupby("cohort", sort=True):
            zh, en = (render(f"label.roof_cohort.{cohort}", lang) for lang in ("zh", "en"))
            rows.append({"cohort": {"zh": zh, "en": en}, "roofs": int(g["roofs"].sum()),
                         "potential": float(g["potential_kwp"].sum()),
                         "pilot": float(g["pilot_kwp"].sum()),
                         "installed": float(g["installed_kwp"].sum())})
    mon = fleet.monitoring(ws, d, year)
    eff_zh = render(f"label.factor_status.{pot['efficiency_status']}", "zh")
    pilot_zh = render(f"label.factor_status.{pot['pilot_status']}", "zh")
    basis_zh, basis_en = basis_notes(fs, shown)
    notes_zh = [f"组件效率取{100 * pot['module_efficiency']:.0f}%（{eff_zh}）；整县屋顶分布式光伏"
                f"开发试点比例依据国家能源局综合司2021年试点方案通知（{pilot_zh}）。"]
    notes_en = [f"module efficiency {pot['module_efficiency']:.0%} "
                f"({pot['efficiency_status']}); pilot shares: NEA 2021 pilot notice "
                f"({pot['pilot_status']})"]
    text_zh = text_en = ""
    if mon["rows"]:
        m = pd.DataFrame(mon["rows"])
        full = m[~m["data_gap"]]
        flagged = sorted(set(m.loc[m["underperforming"], "site_id"]))
        measured, modelled = float(full["measured_kwh"].sum()), float(full["modelled_kwh"].sum())
        ratio = measured / modelled if modelled > 0 else float("nan")
        published_pr = fs.value("pv.performance_ratio")  # the catalogue's (same rule)
        pr = published_pr if published_pr is not None else float("nan")
        n_sites = int(m["site_id"].nunique())
        text_zh = (f"{year}年{n_sites}个带计量的光伏电站实测发电量为理论值的{ratio:.0%}，月度性能比"
                   f"中位数{pr:.2f}；{len(flagged)}个电站出现实测发电量低于本站理论值"
                   f"{mon['fault_ratio']:.0%}的月份（理论值已计入逆变器限发）。")
        text_en = (f"In {year} the {n_sites} metered PV sites generated {ratio:.0%} of their "
                   f"modelled yield, median monthly performance ratio {pr:.2f}; {len(flagged)} "
                   f"site(s) had months below {mon['fault_ratio']:.0%} of their own modelled "
                   "yield (the model includes inverter clipping).")
        rule_zh = render(f"label.factor_status.{mon['fault_rule_status']}", "zh")
        notes_zh.append(f"低效判定：月实测发电量低于本站理论发电量的{mon['fault_ratio']:.0%}"
                        f"（理论值计入逆变器限发、组件温度与系统损失）；该阈值为平台设定，"
                        f"未经实测电站校准（{rule_zh}）。")
        notes_en.append(f"underperformance: a month's measured energy below "
                        f"{mon['fault_ratio']:.0%} of the site's modelled energy (the model "
                        "includes inverter clipping, cell temperature and system losses); a "
                        f"platform threshold not calibrated on measured fleets "
                        f"({mon['fault_rule_status']})")
        if mon["synthetic"]:
            notes_zh.append("理论发电量按合成气象年计算（非实测气象），仅供参考。")
            notes_en.append("Modelled on the synthetic weather year (not measured weather): "
                            "indicative only.")
    if basis_zh:
        notes_zh.append(basis_zh)
        notes_en.append(basis_en)
    return {"text_zh": text_zh, "text_en": text_en, "figures": figs,
            "table": {"columns": [
                {"key": "cohort", "label_zh": "屋顶类别", "label_en": "cohort"},
                {"key": "roofs", "label_zh": "屋顶数", "label_en": "roofs", "digits": 0},
                {"key": "potential", "label_zh": "技术潜力 kWp", "label_en": "potential kWp",
                 "digits": 0},
                {"key": "pilot", "label_zh": "试点比例 kWp", "label_en": "pilot shares kWp",
                 "digits": 0},
                {"key": "installed", "label_zh": "已装 kWp", "label_en": "installed kWp",
                 "digits": 0}], "rows": rows},
            "notes_zh": notes_zh, "notes_en": notes_en}


def pv_section() -> ExtraSection:
    """The rooftop PV section (a chapter of its own among the programmes)."""
    return ExtraSection("屋顶光伏", "Rooftop PV", _build, placement="programmes")
