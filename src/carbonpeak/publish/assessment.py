"""The yearly assessment report (考核报告) as an xlsx workbook, in Chinese or English: the scores
and grades, each score's breakdown, the commendation and criticism lists (通报) and the
scheme with its source and status.

中文：年度考核报告（xlsx，中文或英文）：得分与等次、评分明细、通报名单、评分规则及其来源。
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from carbonpeak.i18n import catalogue, msg, render

__all__ = ["assessment_pdf", "assessment_xlsx"]

Lang = Literal["zh", "en"]


def _w(lang: Lang, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _bands(sc: Mapping[str, Any], lang: Lang) -> str:
    """The grade bands with the grades' names in the edition's language."""
    def name(code: str) -> str:
        key = f"supervision.grade.{code}"
        return render(msg(key), lang) if key in catalogue() else code
    return ("; " if lang == "en" else "；").join(f"≥{b[0]:g} {name(str(b[1]))}"
                                                 for b in sc["bands"])


def _source(sc: Mapping[str, Any], lang: Lang) -> str:
    return str(sc["source"] if lang == "en" else sc.get("source_zh") or sc["source"])


def assessment_xlsx(out: Mapping[str, Any], *, lang: Lang = "zh") -> bytes:
    """The workbook of :func:`carbonpeak.services.supervision.assessment.assess`'s answer."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _w(lang, "考核结果", "Scores")
    ws.append([_w(lang, f"{out['year']} 年度碳达峰工作考核", f"{out['year']} assessment"),
               out["district"]])
    ws["A1"].font = Font(bold=True)
    ws.append([_w(lang, "单位", "Unit"), _w(lang, "代码", "Code"), _w(lang, "得分", "Score"),
               _w(lang, "等次", "Grade"), _w(lang, "一票否决", "Veto"),
               _w(lang, "扣分", "Penalty"), _w(lang, "计分事项数", "Items scored")])
    for u in out["units"]:
        ws.append([u["unit_name"], u["unit"], u["score"],
                   u["grade_en"] if lang == "en" else u["grade_zh"],
                   _w(lang, "是", "yes") if u["vetoed"] else "", u["penalty"], len(u["items"])])
    items = wb.create_sheet(_w(lang, "评分明细", "Breakdown"))
    items.append([_w(lang, "单位", "Unit"), _w(lang, "类别", "Kind"), _w(lang, "编号", "Code"),
                  _w(lang, "权重", "Weight"), _w(lang, "得分", "Score"),
                  _w(lang, "依据", "Basis")])
    kinds = {"target": _w(lang, "目标", "target"), "task": _w(lang, "任务", "task")}
    for u in out["units"]:
        for i in u["items"]:
            items.append([u["unit_name"], kinds.get(i["kind"], i["kind"]), i["code"],
                          i["weight"], i["score"], i["note"]])
    names = {u["unit"]: u["unit_name"] for u in out["units"]}
    tb = wb.create_sheet(_w(lang, "通报", "Commendation and criticism"))
    tb.append([_w(lang, "通报表扬", "Commended"), _w(lang, "通报批评", "Criticised")])
    praise, blame = out["commended"], out["criticised"]
    for k in range(max(len(praise), len(blame))):
        tb.append([names.get(praise[k], praise[k]) if k < len(praise) else "",
                   names.get(blame[k], blame[k]) if k < len(blame) else ""])
    sc = out["scheme"]
    rule = wb.create_sheet(_w(lang, "评分规则", "Scheme"))
    rule.append([_w(lang, "等次线", "Grade bands"), _bands(sc, lang)])
    rule.append([_w(lang, "一票否决目标", "Veto targets"), ", ".join(sc["veto_targets"])])
    rule.append([_w(lang, "每项迟报或逾期扣分", "Penalty per late or overdue item"),
                 sc["late_penalty"]])
    rule.append([_w(lang, "来源", "Source"), _source(sc, lang)])
    rule.append([_w(lang, "核实状态", "Status"), sc["status"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def assessment_pdf(out: Mapping[str, Any], *, lang: Lang = "zh",
                   when: dt.datetime | None = None) -> bytes:
    """The report as a PDF (the package's report stylesheet and CJK font)."""
    from carbonpeak.publish.render import html_to_pdf, render_html, report_time

    created = report_time(when)
    sep = ", " if lang == "en" else "、"
    names = {u["unit"]: u["unit_name"] for u in out["units"]}
    sc = out["scheme"]
    ctx = {
        "district": out["district"], "year": out["year"],
        "bands": _bands(sc, lang),
        "veto": ", ".join(sc["veto_targets"]), "penalty": f"{sc['late_penalty']:g}",
        "source": _source(sc, lang), "status": sc["status"],
        "units": [{"name": u["unit_name"], "score": f"{u['score']:.1f}",
                   "grade": u["grade_en"] if lang == "en" else u["grade_zh"],
                   "vetoed": u["vetoed"], "penalty": f"{u['penalty']:g}",
                   "breakdown": "; ".join(f"{i['code']} {i['score']:g}×{i['weight']:g}"
                                          for i in u["items"])} for u in out["units"]],
        "commended": sep.join(names.get(c, c) for c in out["commended"]),
        "criticised": sep.join(names.get(c, c) for c in out["criticised"])}
    html = render_html("assessment.html", ctx, lang=lang, generated=created)
    return html_to_pdf(html, created=created)
