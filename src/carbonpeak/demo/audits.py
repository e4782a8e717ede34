"""Demo energy-audit records and key units' filings, deterministic from the entities and a seed.

中文：演示用能源审计记录与重点用能单位报送记录（由主体清单与随机种子确定性生成）。

:func:`generate_audit_files` writes ``audits.csv`` and ``filings.csv`` (the import contract of
``carbonpeak audits import`` and ``carbonpeak obligations import``) so that the demo shows
every case: buildings audited recently, due this year, overdue and never audited; filings on
time, late and missing. The auditors are fictitious (示例/演示/样例 in their names). Nothing
depends on the clock: every date is derived from ``as_of``, which the caller passes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.domain.audits import OBLIGATIONS, AuditRule, KeyUnitRules, add_years
from carbonpeak.i18n import Message, msg
from carbonpeak.storage.registry.repositories import demo as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["AUDIT_MIX", "DemoAuditFiles", "generate_audit_files", "read_entities_csv",
           "registry_entities"]

#: share of covered buildings in each audit situation (largest remainder, at least one each)
AUDIT_MIX = {"recent": 0.45, "due_this_year": 0.15, "overdue": 0.2, "never": 0.2}
#: share of (unit, obligation) slots of a past deadline in each filing situation
FILING_MIX = {"on_time": 0.6, "late": 0.2, "missing": 0.2}
AUDITORS = ("示例节能技术服务有限公司", "演示能源审计事务所", "样例建筑科学研究院",
            "示范绿色建筑咨询有限公司")
FINDINGS = {
    "office": "空调系统运行时间偏长；照明未分区控制",
    "hotel": "生活热水系统效率偏低；冷冻水大流量小温差",
    "mall": "营业前后空调提前开启时间过长；照明功率密度偏高",
    "hospital": "蒸汽系统管网损失大；空调全年连续运行",
    "school": "夜间与假期待机能耗高",
    "government": "办公设备待机能耗高；空调设定温度偏低",
    "mixed": "各业态分项计量不清，能耗无法分摊",
}
MEASURES = ("冷水机组更换为一级能效", "照明改造为LED", "空调水泵变频改造", "楼宇自控系统优化",
            "加装分项计量", "冷却塔风机变频", "围护结构节能改造", "生活热水改用空气源热泵")


@dataclass(frozen=True)
class DemoAuditFiles:
    """The files written and what they contain."""

    audits: Path
    filings: Path
    notes: list[Message] = field(default_factory=list)


def registry_entities(ws: Workspace, district: str) -> pd.DataFrame:
    """The district's entities as the generator wants them (with the key-unit flags the
    latest official account set)."""
    with ws.registry.session() as s:
        rows = repo.audit_entity_rows(s, district)
    return pd.DataFrame([tuple(r) for r in rows], columns=[
        "entity_id", "kind", "building_type", "floor_area_m2", "parent_id", "is_key_unit"])


def read_entities_csv(path: Path) -> pd.DataFrame:
    """The demo's ``entities.csv`` (no key-unit flags: the account sets them)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in ("building_type", "floor_area_m2", "parent_id"):
        if col not in df.columns:
            df[col] = ""
    area = pd.to_numeric(df["floor_area_m2"], errors="coerce").astype("float64")
    return pd.DataFrame({"entity_id": df["entity_id"], "kind": df["kind"],
                         "building_type": df["building_type"].where(df["building_type"] != "",
                                                                    None),
                         "floor_area_m2": area,
                         "parent_id": df["parent_id"].where(df["parent_id"] != "", None)})


def _split(n: int, shares: Mapping[str, float]) -> list[str]:
    """``n`` labels in the proportions of ``shares`` (largest remainder), each present when
    ``n`` allows."""
    raw = np.array(list(shares.values())) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - int(counts.sum())]:
        counts[i] += 1
    if n >= len(shares):
        for i in range(len(counts)):
            while counts[i] == 0:
                counts[int(np.argmax(counts))] -= 1
                counts[i] += 1
    return [k for k, c in zip(shares, counts, strict=True) for _ in range(int(c))]


def _key_units(entities: pd.DataFrame, profile: Mapping[str, Any]) -> tuple[list[str], Message]:
    flags = entities.get("is_key_unit")
    if flags is not None and bool(flags.fillna(False).astype(bool).any()):
        ids = entities.loc[flags.fillna(False).astype(bool), "entity_id"]
        return sorted(str(e) for e in ids), msg("demo.audits.why_flags")
    area_rules = [float(r["threshold"]) for r in profile.get("key_unit_rules", [])
                  if r.get("metric") == "floor_area_m2"]
    top = entities[entities["parent_id"].isna()]
    if area_rules:
        chosen = top[(top["kind"] == "enterprise") | (top["floor_area_m2"] >= min(area_rules))]
        why = msg("demo.audits.why_area", area=f"{min(area_rules):,.0f}")
    else:
        chosen = top.nlargest(max(1, len(top) // 4), "floor_area_m2")
        why = msg("demo.audits.why_largest")
    return sorted(str(e) for e in chosen["entity_id"]), why


def _audit_rows(entities: pd.DataFrame, rule: AuditRule, as_of: dt.date,
                rng: np.random.Generator) -> tuple[list[dict[str, Any]], dict[str, int]]:
    area = entities["floor_area_m2"].astype("float64")
    reasons = [rule.coverage_reason(str(k), t if isinstance(t, str) else None,
                                    None if np.isnan(a) else float(a))
               for k, t, a in zip(entities["kind"], entities["building_type"], area,
                                  strict=True)]
    ents = entities.assign(reason=reasons).sort_values("entity_id", kind="stable")
    covered = ents[ents["reason"] == "covered"].reset_index(drop=True)
    labels = _split(len(covered), AUDIT_MIX)
    order = rng.permutation(len(covered))
    interval = rule.interval_years
    rows: list[dict[str, Any]] = []
    made = dict.fromkeys(AUDIT_MIX, 0)
    for label, idx in zip(labels, order, strict=True):
        b = covered.iloc[int(idx)]
        year_end = dt.date(as_of.year, 12, 31)
        if label == "due_this_year" and year_end == as_of:
            label = "recent"  # no day left in the year to fall due on
        made[label] += 1
        if label == "never":
            continue
        if label == "recent":
            day = as_of - dt.timedelta(days=int(rng.integers(60, 365 * (interval - 1))))
        elif label == "due_this_year":
            due = as_of + dt.timedelta(days=int(rng.integers(1, (year_end - as_of).days + 1)))
            day = add_years(due, -interval)
        else:
            day = add_years(as_of, -interval) - dt.timedelta(days=int(rng.integers(30, 3 * 365)))
        rows.append(_audit(b, day, rng))
        if label == "recent" and rng.random() < 0.3:  # an earlier cycle too
            rows.append(_audit(b, add_years(day, -interval) - dt.timedelta(
                days=int(rng.integers(0, 200))), rng))
    small = ents[ents["reason"] == "below_threshold"]
    for _, b in small.head(2).iterrows():  # voluntary diagnoses of smaller buildings
        rows.append(_audit(b, as_of - dt.timedelta(days=int(rng.integers(30, 700))), rng,
                           kind="diagnosis"))
    return rows, made


def _audit(b: pd.Series, day: dt.date, rng: np.random.Generator,
           kind: str | None = None) -> dict[str, Any]:
    kind = kind or ("audit" if rng.random() < 0.7 else "diagnosis")
    n = int(rng.integers(2, 5))
    picks = [MEASURES[int(i)] for i in rng.choice(len(MEASURES), size=n, replace=False)]
    sep = "、" if rng.random() < 0.3 else "；"
    savings = float(b["floor_area_m2"]) * float(rng.uniform(0.5, 2.0)) / 1000.0
    return {"entity_id": b["entity_id"], "kind": kind, "audit_date": day.isoformat(),
            "auditor": AUDITORS[int(rng.integers(len(AUDITORS)))],
            "report_ref": f"{'SJ' if kind == 'audit' else 'ZD'}-{day.year}-"
                          f"{int(rng.integers(1, 1000)):03d}",
            "findings": FINDINGS.get(str(b["building_type"]), "用能管理制度不完善"),
            "recommended_measures": sep.join(picks),
            "estimated_savings_tce": f"{savings:.1f}"}


def _filing_rows(units: list[str], codes: Sequence[str], years: Sequence[int],
                 as_of: dt.date, rng: np.random.Generator
                 ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    slots = [(u, c, y) for y in years for u in units for c in codes
             if OBLIGATIONS[c].recurrence == "annual" or y == years[0]]
    past = [s for s in slots if OBLIGATIONS[s[1]].deadline(s[2]) < as_of]
    labels = dict(zip([past[int(i)] for i in rng.permutation(len(past))],
                      _split(len(past), FILING_MIX), strict=True))
    rows: list[dict[str, Any]] = []
    made = dict.fromkeys(FILING_MIX, 0)
    for u, c, y in slots:
        ob = OBLIGATIONS[c]
        deadline = ob.deadline(y)
        earliest = ob.earliest(y) or dt.date(y - 1, 1, 1)
        label = labels.get((u, c, y), "on_time" if rng.random() < 0.5 else "missing")
        if label == "on_time":
            day = max(earliest, deadline - dt.timedelta(days=int(rng.integers(1, 60))))
        elif label == "late":
            day = deadline + dt.timedelta(days=int(rng.integers(1, 90)))
        else:
            day = None
        if day is not None and day > as_of:
            day, label = None, "missing"
        made[label] += 1
        if day is None:
            continue
        rows.append({"entity_id": u, "obligation": c, "year": y, "filed_on": day.isoformat(),
                     "reference": f"{c.upper()}-{y}-{int(rng.integers(1, 10_000)):04d}",
                     "note": "演示数据 demo"})
    return rows, made


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def generate_audit_files(entities: pd.DataFrame, *, profile: Mapping[str, Any], seed: int,
                         as_of: dt.date, out_dir: Path,
                         years: Sequence[int] | None = None) -> DemoAuditFiles:
    """Write ``audits.csv`` and ``filings.csv`` into ``out_dir`` for ``entities``.

    ``entities``: ``entity_id, kind, building_type, floor_area_m2, parent_id`` and, from the
    registry, ``is_key_unit`` (without it the key units are guessed from the profile's
    floor-area rule). ``profile``: the district profile (its ``[buildings]`` rule and
    ``[key_units]`` obligations). Audits fall on or before ``as_of``; filings are for
    ``years`` (default the two years before ``as_of``'s), none after ``as_of``. The same
    arguments give the same bytes.
    """
    rule = AuditRule.from_profile(profile)
    codes = KeyUnitRules.from_profile(profile).obligations
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xA0D1]))
    audit_rows, made = _audit_rows(entities, rule, as_of, rng)
    audit_rows.sort(key=lambda r: (r["entity_id"], r["audit_date"], r["kind"]))
    units, why = _key_units(entities, profile)
    years = list(years or (as_of.year - 2, as_of.year - 1))
    filing_rows, filed = _filing_rows(units, codes, years, as_of, rng)
    filing_rows.sort(key=lambda r: (r["entity_id"], r["obligation"], r["year"]))
    audits = _write(out_dir / "audits.csv", ["entity_id", "kind", "audit_date", "auditor",
                                             "report_ref", "findings", "recommended_measures",
                                             "estimated_savings_tce"], audit_rows)
    filings = _write(out_dir / "filings.csv", ["entity_id", "obligation", "year", "filed_on",
                                               "reference", "note"], filing_rows)
    notes = [
        msg("demo.audits.made", as_of=str(as_of), n=sum(made.values()), records=len(audit_rows),
            counts=[msg("demo.counts", n=v, what=msg(f"demo.mix.{k}")) for k, v in made.items()]),
        msg("demo.audits.filed", years=", ".join(map(str, years)), units=len(units), why=why,
            counts=[msg("demo.counts", n=v, what=msg(f"demo.mix.{k}"))
                    for k, v in filed.items()]),
    ]
    return DemoAuditFiles(audits, filings, notes)
