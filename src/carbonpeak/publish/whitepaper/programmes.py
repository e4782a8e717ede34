"""The white paper's programme sections: retrofits and measured savings, energy audits, key
units' obligations and commissioning candidates (issue 6's programmes, in issue 7's report).

Each is an :class:`~carbonpeak.publish.whitepaper.sections.ExtraSection` whose build function reads
the programme's own pipeline (:mod:`~carbonpeak.services.buildings.retrofits`,
:mod:`~carbonpeak.services.buildings.audits`, :mod:`~carbonpeak.services.buildings.commissioning`)
for the
whole district: every figure comes from there, nothing is typed in. A programme without data
for the year raises :class:`~carbonpeak.errors.NotFoundError`, which the white paper prints as
"not available" with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import Message, Text, msg, render_both
from carbonpeak.i18n import label as i18n_label
from carbonpeak.intake.formats.vocab import BUILDING_TYPES
from carbonpeak.publish.whitepaper.projects import projects_sections
from carbonpeak.publish.whitepaper.pv import pv_section
from carbonpeak.publish.whitepaper.sections import NO, YES, ExtraSection
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.commissioning import split_candidates
from carbonpeak.services.figures import figures as stored_figures
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["TOP_CANDIDATES", "programme_sections", "split_candidates"]

#: commissioning candidates listed in the white paper (the CLI and API list all)
TOP_CANDIDATES = 10




def _both(code: str, /, **params: Any) -> tuple[str, str]:  # noqa: ANN401 - JSON values
    """A catalogue message ``(zh, en)``: the section's texts are rendered once for both
    editions."""
    return render_both(msg(code, **params))


def _label(code: str, /, **params: Any) -> dict[str, str]:  # noqa: ANN401 - JSON values
    """A figure's ``label_zh`` and ``label_en`` from a catalogue message."""
    zh, en = _both(code, **params)
    return {"label_zh": zh, "label_en": en}


def _type(code: Any) -> dict[str, str]:
    """A building type in both languages (the import vocabulary's Chinese name)."""
    c = str(code) if code else "other"
    return {"zh": BUILDING_TYPES.get(c, (c,))[0], "en": c.replace("_", " ")}


def _pct(v: Any) -> float | None:
    return None if v is None else 100.0 * float(v)


def _retrofits(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    from carbonpeak.services.buildings.retrofits import list_projects, retrofit_progress

    g = retrofit_progress(ws, d.id, year)
    projects = [p for p in list_projects(ws, AccessScope(district_id=d.id, everything=True))
                if p["status"] == "completed" and p["end_date"]
                and int(str(p["end_date"])[:4]) <= year]
    if not projects:
        raise NotFoundError(Message("whitepaper.programmes.no_projects", {"year": year}))
    area, a15 = g["retrofit_area_m2"], g["saving15_area_m2"]
    t10, t11 = g.get("retrofit_target") or {}, g.get("saving15_target") or {}
    t16 = g.get("commissioning_target") or {}
    figures = [
        {"label_zh": "累计节能改造面积", "label_en": "retrofitted floor area (cumulative)",
         "value": area, "unit": "m2", "digits": 0},
        {"label_zh": "实测节能率≥15%的改造面积", "label_en": "area with measured savings ≥ 15 %",
         "value": a15, "unit": "m2", "digits": 0},
        {**_label("whitepaper.prog.commissioning_done", year=year),
         "value": g["commissioning_this_year"], "unit": "", "digits": 0},
    ]
    if g.get("retrofit_progress_pct") is not None:
        figures.append({**_label("whitepaper.prog.target_share", code=t10.get("code", "")),
                        "value": g["retrofit_progress_pct"], "unit": "%", "digits": 1})
    if g.get("saving15_progress_pct") is not None:
        figures.append({**_label("whitepaper.prog.target_share", code=t11.get("code", "")),
                        "value": g["saving15_progress_pct"], "unit": "%", "digits": 1})
    rows = [{"code": p["code"], "building": p["entity_name"] or p["entity_id"],
             "kind": {"zh": "调适", "en": "commissioning"} if p["kind"] == "commissioning"
             else {"zh": "改造", "en": "retrofit"}, "end_date": str(p["end_date"]),
             "area": p["floor_area_m2"], "claimed": _pct(p["claimed_savings_fraction"]),
             "measured": _pct(p["mv_fractional_savings"]) if p["mv_sufficient"] else None,
             "savings_kwh": p["mv_savings_kwh"] if p["mv_sufficient"] else None,
             "g14": (YES if p["mv_meets_g14"] else NO) if p["mv_sufficient"]
             else {"zh": "数据不足", "en": "insufficient data"}}
            for p in projects]
    def share(t: dict[str, Any], pct: Any) -> Message | str:  # noqa: ANN401
        return msg("whitepaper.prog.retrofits.share", code=t["code"],
                   target=t["target_value"], pct=pct) if t and pct is not None else ""

    text_zh, text_en = _both(
        "whitepaper.prog.retrofits.text", year=year, area=area, a15=a15,
        share10=share(t10, g.get("retrofit_progress_pct")),
        share15=share(t11, g.get("saving15_progress_pct")),
        done=g["commissioning_this_year"],
        target16=msg("whitepaper.prog.retrofits.target16", code=t16["code"],
                     target=t16["target_value"]) if t16 else "")
    fails = _measured_failing_g14(g)
    notes = [_both("whitepaper.prog.retrofits.note_areas",
                   fails15=g["saving15_fails_g14_area_m2"], below=g["below15_area_m2"],
                   unmeasured=g["not_measured_area_m2"]),
             _both("whitepaper.prog.retrofits.note_g14", fails=fails)]
    notes_zh, notes_en = [z for z, _ in notes], [e for _, e in notes]
    return {"text_zh": text_zh, "text_en": text_en, "figures": figures,
            "table": {"columns": [
                {"key": "code", "label_zh": "项目编号", "label_en": "project"},
                {"key": "building", "label_zh": "建筑", "label_en": "building"},
                {"key": "kind", "label_zh": "类型", "label_en": "kind"},
                {"key": "end_date", "label_zh": "竣工日期", "label_en": "completed"},
                {"key": "area", "label_zh": "面积（m²）", "label_en": "area (m²)", "digits": 0},
                {"key": "claimed", "label_zh": "申报节能率（%）", "label_en": "claimed (%)",
                 "digits": 1},
                {"key": "measured", "label_zh": "实测节能率（%）", "label_en": "measured (%)",
                 "digits": 1},
                {"key": "savings_kwh", "label_zh": "实测节能量（kWh）",
                 "label_en": "measured savings (kWh)", "digits": 0},
                {"key": "g14", "label_zh": "符合G14", "label_en": "meets G14"}],
                "rows": rows},
            "notes_zh": notes_zh, "notes_en": notes_en}


def _measured_failing_g14(g: dict[str, Any]) -> float:
    """Retrofitted area measured (sufficient M&V) whose model fails ASHRAE G14, each building
    once (:func:`~carbonpeak.services.buildings.retrofits.building_areas`): the ``fails_g14``
    category
    holds only those saving ≥ 15 %, the ones below 15 % are counted under ``below``."""
    from carbonpeak.services.buildings.retrofits import building_areas

    items = [(str(p["entity_id"]), float(p["floor_area_m2"] or 0.0), "fails_g14")
             for p in g.get("projects", [])
             if p.get("category") in ("fails_g14", "below") and p.get("meets_g14") is False]
    return sum(building_areas(items, {}).values())


def _audits(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    from carbonpeak.services.buildings.audits import audit_schedule

    sch = audit_schedule(ws, d.id, dt.date(year, 12, 31))
    sm = dict(sch["summary"])
    if not sm["n_covered"]:
        msg = "no building is covered by the profile's audit rule 无审计规则覆盖的建筑"
        raise NotFoundError(msg)
    rule = sch["rule"]
    # the year-end counts are the figure catalogue's (the dashboard's too)
    fs = stored_figures(ws, year=year, district=d.id)
    sm["n_covered"] = int(fs.value("audits.covered") or 0)
    sm["n_within_interval"] = int(fs.value("audits.in_cycle") or 0)
    c = dict(sm["counts"]) | {"overdue": int(fs.value("audits.overdue") or 0),
                              "never_audited": int(fs.value("audits.never") or 0)}
    cov = float(fs.value("audits.coverage") or 0.0)
    figures = [
        {"label_zh": "规则覆盖的公共建筑", "label_en": "public buildings the rule covers",
         "value": sm["n_covered"], "unit": "", "digits": 0},
        {"label_zh": "周期内已审计比例", "label_en": "audited within the interval",
         "value": cov, "unit": "%", "digits": 1},
        {"label_zh": "逾期", "label_en": "overdue", "value": c.get("overdue", 0),
         "unit": "", "digits": 0},
        {"label_zh": "从未审计", "label_en": "never audited", "value": c.get("never_audited", 0),
         "unit": "", "digits": 0},
    ]
    rows = [{"street": r["street"], "n": r["n_covered"], "ok": r["counts"].get("ok", 0),
             "due": r["counts"].get("due_this_year", 0),
             "overdue": r["counts"].get("overdue", 0),
             "never": r["counts"].get("never_audited", 0),
             "coverage": 100.0 * float(r["coverage"])} for r in sm["by_street"]]
    interval = rule.get("interval_years")
    area = rule.get("min_floor_area_m2")
    text_zh, text_en = _both("whitepaper.prog.audits.text", interval=interval, area=area,
                             year=year, covered=sm["n_covered"], within=sm["n_within_interval"],
                             cov=cov, overdue=c.get("overdue", 0),
                             never=c.get("never_audited", 0))
    return {
        "text_zh": text_zh,
        "text_en": text_en,
        "figures": figures,
        "table": {"columns": [
            {"key": "street", "label_zh": "街道", "label_en": "street"},
            {"key": "n", "label_zh": "覆盖建筑", "label_en": "covered", "digits": 0},
            {"key": "ok", "label_zh": "周期内", "label_en": "ok", "digits": 0},
            {"key": "due", "label_zh": "本年到期", "label_en": "due this year", "digits": 0},
            {"key": "overdue", "label_zh": "逾期", "label_en": "overdue", "digits": 0},
            {"key": "never", "label_zh": "从未审计", "label_en": "never", "digits": 0},
            {"key": "coverage", "label_zh": "审计覆盖率（%）", "label_en": "coverage (%)",
             "digits": 1}], "rows": rows},
        **_rule_notes(rule)}




def _value_text(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _rule_notes(rule: dict[str, Any]) -> dict[str, list[str]]:
    """The audit rule's entries (value, source, status), one note each, and a warning first
    when any entry is unverified or a platform default."""
    entries: dict[str, dict[str, Any]] = rule.get("entries") or {}
    weak = [k for k, e in entries.items() if e.get("status") in ("unverified", "default")]
    notes: list[tuple[str, str]] = []
    if weak:
        # the profile's own names of the entries: its Chinese labels (which hold 、, so
        # joined by ；), the keys in English
        names = Text("；".join(str(entries[k].get("label_zh") or k) for k in weak),
                     ", ".join(weak))
        notes.append(_both("whitepaper.prog.rule.weak", n=len(weak), names=names))
    for key, e in entries.items():
        value = _value_text(e.get("value"))
        # the profile entry's texts as written in each language: the Chinese edition gives
        # the rule in words and its source's Chinese text (``source_zh``), never the
        # parameter's name; the English one its name and value too
        label = Text(str(e.get("label_zh") or key),
                     f"{e.get('label_en') or key} ({key} = {value})")
        source = Text(str(e.get("source_zh") or e.get("source", "")), str(e.get("source", "")))
        notes.append(_both("whitepaper.prog.rule.source", label=label, source=source,
                           status=i18n_label("rule_status", str(e.get("status", "")))))
    if not entries:
        notes.append(_both("whitepaper.prog.rule.none"))
    return {"notes_zh": [z for z, _ in notes], "notes_en": [n for _, n in notes]}


def _obligations(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    from carbonpeak.services.buildings.audits import obligations

    ob = obligations(ws, d.id, year)
    sm = ob["summary"]
    if not sm["n_units"]:
        raise NotFoundError(msg("whitepaper.prog.obligations.none", year=year))
    labels = {o["code"]: (o["label_zh"], o["label_en"]) for o in ob["obligations"]}
    labels.update({"monitoring": ("在线监测覆盖", "monitoring coverage"),
                   "audit": ("能源审计", "energy audit"), "quota": ("能耗限额", "energy quota")})
    rows = [{"item": {"zh": labels.get(k, (k, k))[0], "en": labels.get(k, (k, k))[1]},
             **{s: v.get(s, 0) for s in ("ok", "late", "overdue", "missing", "unknown",
                                          "not_applicable")}}
            for k, v in sm["by_item"].items()]
    text_zh, text_en = _both("whitepaper.prog.obligations.text", year=year, n=sm["n_units"],
                             problems=sm["units_with_problems"])
    return {
        "text_zh": text_zh,
        "text_en": text_en,
        "figures": [{"label_zh": "重点用能单位", "label_en": "key units",
                     "value": sm["n_units"], "unit": "", "digits": 0},
                    {"label_zh": "存在问题的单位", "label_en": "units with a problem",
                     "value": sm["units_with_problems"], "unit": "", "digits": 0}],
        "table": {"columns": [
            {"key": "item", "label_zh": "义务", "label_en": "obligation"},
            {"key": "ok", "label_zh": "按期", "label_en": "ok", "digits": 0},
            {"key": "late", "label_zh": "逾期履行", "label_en": "late", "digits": 0},
            {"key": "overdue", "label_zh": "逾期未履行", "label_en": "overdue", "digits": 0},
            {"key": "missing", "label_zh": "缺失", "label_en": "missing", "digits": 0},
            {"key": "unknown", "label_zh": "无法判断", "label_en": "unknown", "digits": 0},
            {"key": "not_applicable", "label_zh": "不适用", "label_en": "n/a", "digits": 0}],
            "rows": rows},
        "notes_zh": [], "notes_en": []}


def _commissioning(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    from carbonpeak.services.buildings.commissioning import commissioning

    c = commissioning(ws, d.id, year)
    if not c.items:
        raise NotFoundError(Message("whitepaper.programmes.no_hourly", {"year": year}))
    candidates, normal = split_candidates(c.items)
    # the count is the figure catalogue's (the dashboard's too)
    published = stored_figures(ws, year=year, district=d.id).value("commissioning.candidates")
    n_candidates = int(published) if published is not None else len(candidates)
    top = candidates[:TOP_CANDIDATES]
    total = sum(float(i["avoidable_kwh"] or 0.0) for i in candidates)
    rows = [{"rank": rank, "building": i["name"], "type": _type(i["building_type"]),
             "base": _pct(i["base_load_ratio"]), "weekend": _pct(i["weekend_ratio"]),
             "avoidable": i["avoidable_kwh"], "findings": i["n_findings"],
             "caveat": {"zh": "", "en": ""}}
            for rank, i in enumerate(top, start=1)]
    by_type: dict[str, int] = {}
    for i in normal:
        t = str(i["building_type"] or "other")
        by_type[t] = by_type.get(t, 0) + 1
    types = [msg("whitepaper.prog.commissioning.type_count",
                 type=Text(_type(t)["zh"], _type(t)["en"]), n=n)
             for t, n in sorted(by_type.items())]
    apart_zh, apart_en = _both("whitepaper.prog.commissioning.apart", n=len(normal),
                               types=types) if normal else ("", "")
    return {
        "text_zh": f"{year}年对{len(c.items)}栋具备逐时电表数据的建筑进行调适候选筛查"
                   f"（另有{len(c.without_data)}栋缺少数据），其中{n_candidates}栋为调适候选，"
                   f"按可避免电量排序，合计可避免电量约{total / 1e4:,.1f}万千瓦时"
                   + (f"；下表列出前{len(top)}栋" if top else "") + "。" + apart_zh,
        "text_en": f"In {year}, {len(c.items)} buildings with hourly electricity were screened "
                   f"for commissioning ({len(c.without_data)} more lack the data); "
                   f"{n_candidates} are candidates, ranked by avoidable energy, about "
                   f"{total / 1e3:,.0f} MWh in all"
                   + (f"; the first {len(top)} are listed" if top else "") + ". " + apart_en,
        "figures": [{"label_zh": "筛查建筑", "label_en": "buildings screened",
                     "value": len(c.items), "unit": "", "digits": 0},
                    {"label_zh": "调适候选", "label_en": "candidates",
                     "value": n_candidates, "unit": "", "digits": 0},
                    {"label_zh": "运行特征属正常（不列为候选）",
                     "label_en": "normal for their type (not candidates)",
                     "value": len(normal), "unit": "", "digits": 0},
                    {"label_zh": "可避免电量合计", "label_en": "avoidable energy, total",
                     "value": total, "unit": "kWh", "digits": 0}],
        "normal_for_type": [{"entity_id": i["entity_id"], "building": i["name"],
                             "type": _type(i["building_type"]),
                             "avoidable": i["avoidable_kwh"],
                             "caveat": {"zh": "；".join(x["zh"] for x in i["caveats"]),
                                        "en": "; ".join(x["en"] for x in i["caveats"])}}
                            for i in normal],
        "table": {"columns": [
            {"key": "rank", "label_zh": "排名", "label_en": "rank", "digits": 0},
            {"key": "building", "label_zh": "建筑", "label_en": "building"},
            {"key": "type", "label_zh": "类型", "label_en": "type"},
            {"key": "base", "label_zh": "夜间基础负荷比（%）", "label_en": "night base (%)",
             "digits": 0},
            {"key": "weekend", "label_zh": "非工作日比（%）", "label_en": "non-working (%)",
             "digits": 0},
            {"key": "avoidable", "label_zh": "可避免电量（kWh）", "label_en": "avoidable (kWh)",
             "digits": 0},
            {"key": "findings", "label_zh": "问题数", "label_en": "findings", "digits": 0},
            {"key": "caveat", "label_zh": "说明", "label_en": "caveat"}], "rows": rows},
        "notes_zh": ["筛查阈值为未经核实的平台默认值。",
                     *([apart_zh] if apart_zh else [])],
        "notes_en": ["The screening thresholds are unverified defaults (docs/commissioning.md).",
                     *([apart_en] if apart_en else [])]}


def programme_sections() -> dict[str, ExtraSection]:
    """The programme sections the white paper prints by default, in order."""
    return {
        "retrofits": ExtraSection("既有建筑节能改造与实测节能量",
                                  "Retrofits and measured savings", _retrofits),
        "audits": ExtraSection("公共建筑能源审计", "Energy audits of public buildings", _audits),
        "obligations": ExtraSection("重点用能单位义务履行", "Key units' obligations",
                                    _obligations),
        "commissioning": ExtraSection("建筑调适候选", "Commissioning candidates",
                                      _commissioning),
        "rooftop_pv": pv_section(),
        **projects_sections(),
    }
