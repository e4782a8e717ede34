"""The white paper's section on approved projects (节能审查) and dual control's deductions.

Every figure comes from the project register (:mod:`carbonpeak.services.projects.register`)
and the certificate ledger (:mod:`carbonpeak.services.accounting.certificates`); a district
with no project raises :class:`~carbonpeak.errors.NotFoundError` (printed as not available).
"""

from __future__ import annotations

from typing import Any

from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.i18n import render as i18n_render
from carbonpeak.publish.whitepaper.sections import NO, YES, ExtraSection, basis_notes
from carbonpeak.services.accounting.certificates import scope2_market
from carbonpeak.services.figures import figures, published_pipeline
from carbonpeak.services.projects.register import PIPELINE_STAGES, pipeline, project_rows
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["projects_sections"]

#: the deductions of dual control, by their labels (``label.deduction.*``)
_DEDUCTION = {code: (i18n_render(f"label.deduction.{code}", "zh"),
                     i18n_render(f"label.deduction.{code}", "en"))
              for code in ("new_renewables", "feedstock", "certificates")}


def _both(kind: str, code: str) -> dict[str, str]:
    return {lang: i18n_render(f"label.{kind}.{code}", lang) for lang in ("zh", "en")}


def _intensity_lines(rows: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """One line per project: its effect on the energy per unit GDP of its first full year
    (statistics basis) against the target path, or why it is not computed."""
    zh: list[str] = []
    en: list[str] = []
    for r in rows:
        it = r["intensity"]
        if it["without"] is None:
            for n in it["notes"]:
                if n["code"] == "projects.intensity.no_statistics":
                    m = i18n_msg("whitepaper.projects.intensity_missing", code=r["project_code"],
                                 reason=i18n_msg(n["code"], **n["params"]))
                    zh.append(i18n_render(m, "zh"))
                    en.append(i18n_render(m, "en"))
            continue
        path = "—" if it["path_value"] is None else f"{it['path_value']:.6f}"
        m = i18n_msg("whitepaper.projects.intensity", code=r["project_code"], year=it["year"],
                     without=f"{it['without']:.6f}", with_=f"{it['with_project']:.6f}",
                     change=f"{it['change_pct']:+.2f}", path=path,
                     basis=i18n_msg("projects.intensity.basis",
                                    base=it["gdp_price_base_year"] or "—"))
        # a year not yet published: computed on the latest statistics, and said so
        later = [i18n_msg(n["code"], **n["params"]) for n in it["notes"]
                 if n["code"] == "projects.intensity.latest_statistics"]
        zh.append(i18n_render(m, "zh") + "".join(f"（{i18n_render(x, 'zh')}）" for x in later))
        en.append(i18n_render(m, "en") + "".join(f" ({i18n_render(x, 'en')})" for x in later))
    return zh, en


def _projects(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    rows = project_rows(ws, district=d.id)
    if not rows:
        raise NotFoundError(i18n_msg("whitepaper.section.no_projects"))
    # the pipeline against the report year's budget, its totals as the catalogue publishes
    pl = pipeline(ws, district=d.id, year=year, store_warning=False)
    fs = figures(ws, year=year, district=d.id)
    pub = published_pipeline(ws, pl.to_dict())
    pipeline_tce, remaining, headroom = pub["pipeline_tce"], pub["remaining"], pub["headroom"]
    approved = [r for r in rows if r["stage"] in PIPELINE_STAGES]
    two_high = sum(1 for r in rows if r["two_high"])
    key: list[dict[str, Any]] = [
        {"label_zh": "登记项目", "label_en": "projects registered", "value": len(rows),
         "unit": "", "digits": 0},
        {"label_zh": "已批未投产项目用能（等价值）",
         "label_en": "approved, not operating (equal value)", "value": pipeline_tce,
         "unit": "tce", "digits": 1},
        {"label_zh": "两高项目", "label_en": "high-energy, high-emission projects",
         "value": two_high, "unit": "",
         "digits": 0}]
    if headroom is not None:
        key.append({"label_zh": f"{pl.year}年预算余量", "label_en": f"headroom {pl.year}",
                    "value": headroom, "unit": "tce", "digits": 1})
    table = {"columns": [
        {"key": "code", "label_zh": "编号", "label_en": "code"},
        {"key": "name", "label_zh": "名称", "label_en": "name"},
        {"key": "stage", "label_zh": "阶段", "label_en": "stage"},
        {"key": "level", "label_zh": "审查层级", "label_en": "review level"},
        {"key": "tce_equivalent", "label_zh": "当量值（吨标准煤）", "label_en": "tce equivalent",
         "digits": 1},
        {"key": "tce_equal", "label_zh": "等价值（吨标准煤）", "label_en": "tce equal value",
         "digits": 1},
        {"key": "two_high", "label_zh": "两高", "label_en": "high-energy, high-emission"}],
        "rows": [{"code": r["project_code"], "name": r["name"],
                  "stage": _both("project_stage", r["stage"]),
                  "level": _both("review_level", r["review_level"]),
                  "tce_equivalent": r["tce_equivalent"], "tce_equal": r["tce_equal"],
                  "two_high": YES if r["two_high"] else NO} for r in approved]}
    if remaining is not None and headroom is not None:
        text_zh = (f"已通过节能审查尚未投产的项目{len(approved)}个，设计年用能合计"
                   f"{pipeline_tce:,.1f}吨标准煤（等价值）；{pl.year}年能耗预算扣除基础用能后剩余"
                   f"{remaining:,.1f}吨标准煤，余量{headroom:,.1f}吨标准煤"
                   + ("，已超出，已发出预警。" if pl.exceeds else "。"))
        text_en = (f"{len(approved)} approved project(s) not yet operating are designed to use "
                   f"{pipeline_tce:,.1f} tce a year (equal value); {remaining:,.1f} tce "
                   f"remain of the {pl.year} energy budget after the base use, leaving "
                   f"{headroom:,.1f} tce" + (": exceeded, a warning was raised."
                                               if pl.exceeds else "."))
    else:
        text_zh = (f"已通过节能审查尚未投产的项目{len(approved)}个，设计年用能合计"
                   f"{pipeline_tce:,.1f}吨标准煤（等价值）；未设定能耗预算，无法计算余量。")
        text_en = (f"{len(approved)} approved project(s) not yet operating are designed to use "
                   f"{pipeline_tce:,.1f} tce a year (equal value); no energy budget is set, "
                   "so there is no headroom.")
    notes_zh = ["审查层级按项目年综合能源消费量（当量值；改建项目按增量）和年用电量确定，依据"
                "各省规定（来源与核实状态见项目详情）。"]
    notes_en = ["Review levels follow the province's thresholds on the project's annual energy "
                "at equivalent value (a rebuild: its increment) and electricity (sources and "
                "statuses in each project's detail)."]
    i_zh, i_en = _intensity_lines(approved)
    notes_zh += i_zh
    notes_en += i_en
    after = fs.get("energy.statistics.after_deductions")
    total = fs.get("energy.statistics")
    if after is not None and after.value is not None and total is not None:
        for code, (zh, en) in _DEDUCTION.items():
            f = fs.get(f"deductions.{code}")
            if f is None or f.value is None:
                continue
            p = f.provenance
            notes_zh.append(f"{year}年{zh}扣除{f.text()}吨标准煤（申报{p.get('claimed', 0.0):,.1f}"
                            f"吨标准煤{'，已按上限扣除' if p.get('capped') else ''}）。")
            notes_en.append(f"{year}: {en} deducted {f.text()} tce (claimed "
                            f"{p.get('claimed', 0.0):,.1f}{', capped' if p.get('capped') else ''}"
                            f"; {p.get('status', '')}).")
        notes_zh.append(f"扣除后{year}年能源消费总量{after.text()}吨标准煤（{after.label('zh')}），"
                        f"扣除前{total.text()}吨标准煤。")
        notes_en.append(f"{year} energy total after the deductions {after.text()} tce "
                        f"({after.label('en')}), before {total.text()} tce.")
    basis_zh, basis_en = basis_notes(fs, ("projects.pipeline",))
    if basis_zh:
        notes_zh.append(basis_zh)
        notes_en.append(basis_en)
    s2 = scope2_market(ws, district=d.id, year=year)
    if s2 is not None:
        notes_zh.append(f"{year}年外购电力{s2.purchased_mwh:,.1f}兆瓦时，其中绿证对应"
                        f"{s2.certified_mwh:,.1f}兆瓦时：位置法排放{s2.location_tco2:,.1f}吨二氧化碳，"
                        f"市场法排放{s2.market_tco2:,.1f}吨二氧化碳（未对应绿证的电量按电网排放因子）。")
        notes_en.append(f"{year}: {s2.purchased_mwh:,.1f} MWh bought, {s2.certified_mwh:,.1f} "
                        f"MWh certificate-backed: location-based {s2.location_tco2:,.1f} tCO2, "
                        f"market-based {s2.market_tco2:,.1f} tCO2 (uncertified MWh at the grid "
                        "factor).")
    return {"text_zh": text_zh, "text_en": text_en, "figures": key, "table": table,
            "notes_zh": notes_zh, "notes_en": notes_en}


def projects_sections() -> dict[str, ExtraSection]:
    """The project gate's white-paper section."""
    return {"projects": ExtraSection("固定资产投资项目节能审查与双控扣除",
                                     "Energy review of new projects and dual-control deductions",
                                     _projects, placement="programmes")}
