"""The white paper's demand-response chapter: the year's DR events with their verified response
and settlement, and the capability against the plan's targets.

中文：白皮书“需求响应”章节——当年响应事件的实测响应量、执行率与补偿，及响应能力。

Every figure comes from :mod:`carbonpeak.services.energy.vpp` for the whole district (the
white paper is the district's publication); a year without events raises
:class:`~carbonpeak.errors.NotFoundError` and the chapter says the work was not carried out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import label_text
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.publish.whitepaper.sections import basis_notes
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.capability import capability
from carbonpeak.services.energy.vpp.results import event_results
from carbonpeak.services.figures import METRIC_FIGURES, VPP_FIGURES, figures
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.registry.repositories.publish import dr_event_ids_of_days
from carbonpeak.storage.workspace import Workspace

__all__ = ["chapter_parts", "demand_response"]



def demand_response(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """The chapter's content for ``year``: events, their totals, capability metrics."""
    with ws.registry.session() as s:
        ids = dr_event_ids_of_days(s, d.id, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if not ids:
        raise NotFoundError(i18n_msg("whitepaper.section.no_dr_events", year=year))
    scope = AccessScope(d.id, everything=True)
    events = []
    for e in ids:
        r = event_results(ws, scope, e)
        t = r["total"]
        events.append({**r["event"], "method": r["method"], "method_status": r["method_status"],
                       "participants": t["resources"], "declared_kw": t["declared_kw"],
                       "response_kw": t["response_kw"], "execution_ratio": t["execution_ratio"],
                       "effective": t["effective"], "amount_cny": t["amount_cny"],
                       "rule_status": r["rule"]["status"]})
    metrics = {m["metric"]: m for m in capability(ws, d.id)["metrics"] if m["year"] == year}
    fs = figures(ws, year=year, district=d.id)  # the values as published (the targets')
    basis_zh, basis_en = basis_notes(fs, VPP_FIGURES)
    return {"available": True, "year": year, "events": events,
            "capability": {metric: fs.value(code) for metric, code in METRIC_FIGURES.items()
                           if code in VPP_FIGURES},
            "peak_kw": (metrics.get("dr_peak_share_pct") or {}).get("peak_kw"),
            "peak_basis": (metrics.get("dr_peak_share_pct") or {}).get("peak_basis"),
            "peak_source": (metrics.get("dr_peak_share_pct") or {}).get("peak_source"),
            "basis_zh": basis_zh, "basis_en": basis_en}


def _n(v: Any, digits: int = 0) -> str:  # noqa: ANN401
    return "—" if v is None else f"{float(v):,.{digits}f}"


def chapter_parts(sec: dict[str, Any], lang: str,
                  ) -> tuple[str, list[tuple[str, str, str]], list[tuple[str, bool]],
                             list[list[str]], str]:
    """The chapter's paragraph, key figures (label, value, unit), the events' table (head,
    rows) and its note, in ``lang`` (the document lays them out)."""
    en = lang == "en"
    ev, cap = sec["events"], sec["capability"]
    resp = sum(float(e["response_kw"]) for e in ev)
    text = (f"In {sec['year']}, {len(ev)} demand-response event(s) were called; the measured "
            f"response (baseline − metered load, mean over each window) totals "
            f"{_n(resp)} kW. Verified capability {_n(cap.get('dr_verified_mw'), 2)} MW "
            f"(automated {_n(cap.get('adr_verified_mw'), 2)} MW), contracted "
            f"{_n(cap.get('dr_contracted_mw'), 2)} MW."
            if en else
            f"{sec['year']}年共组织需求响应{len(ev)}次，实测响应负荷（基线负荷－计量负荷，"
            f"响应时段平均）合计{_n(resp)}千瓦；经实测验证的响应能力"
            f"{_n(cap.get('dr_verified_mw'), 2)}兆瓦（其中自动需求响应"
            f"{_n(cap.get('adr_verified_mw'), 2)}兆瓦），签约容量"
            f"{_n(cap.get('dr_contracted_mw'), 2)}兆瓦。")
    share = cap.get("dr_peak_share_pct")
    statistic = sec.get("peak_basis") == "statistic"
    facts = [("Verified capability" if en else "实测响应能力", _n(cap.get("dr_verified_mw"), 2),
              "MW"),
             ("Automated (ADR)" if en else "自动需求响应能力", _n(cap.get("adr_verified_mw"), 2),
              "MW"),
             ("Buildings with resources" if en else "参与楼宇", _n(cap.get("dr_buildings")), ""),
             (("Share of the peak load" if en else "占最大负荷比例") if statistic else
              ("Share of the metered peak" if en else "占计量尖峰负荷比例"), _n(share, 1), "%")]
    head = [("Event" if en else "事件", False), ("Date" if en else "日期", False),
            ("Programme" if en else "类型", False),
            ("Declared kW" if en else "申报（千瓦）", True),
            ("Response kW" if en else "实测响应（千瓦）", True),
            ("Execution" if en else "执行率", True),
            ("Settlement CNY" if en else "补偿（元）", True)]
    rows = [[e["event_id"], f"{e['date']} {e['start']}–{e['end']}",
             label_text("dr_programme", e["programme"], "en" if en else "zh"),
             _n(e["declared_kw"]), _n(e["response_kw"]),
             "—" if e["execution_ratio"] is None else f"{100 * e['execution_ratio']:.0f}%",
             _n(e["amount_cny"])] for e in ev]
    if statistic:
        src = sec.get("peak_source") or ""
        note = ("Baselines and settlement rules follow secondary sources or platform defaults "
                f"(unverified); the share is of the district's peak load as stated by: {src}."
                if en else "基线与补偿规则依据二手资料或平台默认值（未经核实）；"
                f"占比以全区最大负荷（统计口径）为分母，来源：{src}。")
    else:
        note = ("Baselines and settlement rules follow secondary sources or platform defaults "
                "(unverified); the share is of the metered entities' peak (largest 15-minute "
                "load of the summed meters), not the whole district's."
                if en else "基线与补偿规则依据二手资料或平台默认值（未经核实）；"
                "占比为计量单位的尖峰负荷口径（计量总表15分钟负荷合计最大值），非全区统计口径。")
    basis = sec.get("basis_en" if en else "basis_zh") or ""
    if basis:
        note = f"{note} {basis}" if en else f"{note}{basis}"
    return text, facts, head, rows, note
