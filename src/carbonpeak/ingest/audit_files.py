"""Energy-audit records and key units' filings from files (CSV, .xlsx, .xls): every bad cell named.

中文：能源审计/节能诊断记录与重点用能单位报送记录的导入校验（CSV/Excel，UTF-8 或 GB18030，
中英文表头）。

A file is read by :func:`carbonpeak.ingest.csvfiles.read_import_file` (encodings, spreadsheets,
header detection, row numbers as a spreadsheet shows them) under the kinds
``energy_audits`` and ``obligation_filings``, whose columns and Chinese aliases are defined
here. The parsers check what a row says on its own (required cells, dates, codes, lengths,
repeated keys); the pipeline checks the entities against the registry. Either way the whole
file is refused when one row is bad, each problem naming file, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from carbonpeak.domain.audits import AUDIT_KINDS, OBLIGATIONS
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.ingest.csvfiles import ParsedFile
from carbonpeak.ingest.vocab import COLUMNS

__all__ = [
    "AUDIT_COLUMNS",
    "FILING_COLUMNS",
    "check_audit",
    "check_filing",
    "parse_audits",
    "parse_date",
    "parse_filings",
    "split_measures",
]

_ENTITY = ("主体编号", "用能主体编号", "单位编号", "建筑编号", "编号")
# column -> (required, aliases); registered with the import contract's columns (vocab.COLUMNS)
AUDIT_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "entity_id": (True, _ENTITY),
    "kind": (True, ("类型", "审计类型", "类别", "审计或诊断")),
    "audit_date": (True, ("审计日期", "诊断日期", "完成日期", "日期", "date")),
    "auditor": (True, ("审计机构", "诊断机构", "审计单位", "实施单位", "服务机构", "auditor_name")),
    "report_ref": (False, ("报告编号", "报告文号", "report")),
    "findings": (False, ("主要问题", "审计发现", "发现问题", "主要发现", "结论")),
    "recommended_measures": (False, ("建议措施", "节能措施", "改进建议", "措施", "measures")),
    "estimated_savings_tce": (False, ("预计节能量", "节能潜力", "savings_tce")),
}
FILING_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "entity_id": (True, _ENTITY),
    "obligation": (True, ("义务", "义务类型", "报送事项", "事项", "报送类型")),
    "year": (True, ("年度", "年份", "报告年度", "所属年度")),
    "filed_on": (True, ("报送日期", "提交日期", "备案日期", "日期", "date")),
    "reference": (False, ("回执编号", "文号", "报送编号", "备案编号")),
    "note": (False, ("备注", "说明")),
}
COLUMNS.setdefault("energy_audits", AUDIT_COLUMNS)
COLUMNS.setdefault("obligation_filings", FILING_COLUMNS)

_KIND_ALIASES = {"audit": ("能源审计", "审计", "energy audit"),
                 "diagnosis": ("节能诊断", "诊断", "能效诊断", "energy diagnosis")}
_OBLIGATION_ALIASES = {
    "energy_report": ("能源利用状况报告", "能源利用状况", "能报"),
    "ghg_report": ("温室气体排放报告", "碳排放报告"),
    "saving_plan": ("节能减碳工作方案", "节能计划", "节能工作方案"),
    "energy_manager": ("能源管理负责人备案", "能源管理负责人"),
}
_MEASURE_SEP = re.compile(r"[;；、\n\r]+")
_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
               re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
               re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
               re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"))
_YEAR = re.compile(r"^(\d{4})年?(?:度)?$")
#: registry column lengths (a longer text would be refused by PostgreSQL)
MAX_LEN = {"entity_id": 64, "auditor": 256, "report_ref": 128, "reference": 128}
MAX_MEASURES = 100


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _code(value: str, aliases: dict[str, tuple[str, ...]]) -> str | None:
    key = _norm(value)
    for code, names in aliases.items():
        if key == code or key in {_norm(n) for n in names}:
            return code
    return None


def parse_date(text: str) -> dt.date | None:
    """A date as people write it: ``2023-06-01``, ``2023/6/1``, ``2023.6.1``, ``2023年6月1日``.

    >>> parse_date("2023年6月1日")
    datetime.date(2023, 6, 1)
    """
    text = unicodedata.normalize("NFKC", text).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m is not None:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def split_measures(text: str | Sequence[str]) -> list[str]:
    """Recommended measures: a list, or one text separated by ``;``, ``；``, ``、`` or lines.

    >>> split_measures("冷机更换；LED照明、变频水泵")
    ['冷机更换', 'LED照明', '变频水泵']
    """
    parts = _MEASURE_SEP.split(text) if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p and p.strip()]


def _date(raw: str, col: str, where: tuple[str, int | None], today: dt.date,
          errors: list[RowError]) -> dt.date | None:
    if not raw:
        errors.append(RowError(where[0], where[1], col, "", "is required"))
        return None
    day = parse_date(raw)
    if day is None:
        errors.append(RowError(where[0], where[1], col, raw,
                               "must be a date YYYY-MM-DD, e.g. 2023-06-01"))
        return None
    if day > today:
        errors.append(RowError(where[0], where[1], col, raw,
                               f"is in the future (today is {today.isoformat()}) 日期晚于今天"))
        return None
    return day


def _text(raw: str, col: str, where: tuple[str, int | None], errors: list[RowError], *,
          required: bool) -> str:
    if required and not raw:
        errors.append(RowError(where[0], where[1], col, "", "is required"))
    limit = MAX_LEN.get(col)
    if limit is not None and len(raw) > limit:
        errors.append(RowError(where[0], where[1], col, raw[:40] + "…",
                               f"is longer than {limit} characters 超过 {limit} 个字符"))
    return raw


def check_audit(row: dict[str, Any], where: tuple[str, int | None],
                today: dt.date) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One audit record from its cells (strings; ``recommended_measures`` may be a list and
    ``estimated_savings_tce`` a number): the clean record, or the problems of the row.

    Checks: entity, kind (audit | diagnosis, or 能源审计 / 节能诊断), date (not in the future),
    auditor (not empty), lengths, estimated savings a number ≥ 0.
    """
    errors: list[RowError] = []
    cell = {k: ("" if v is None else v.strip() if isinstance(v, str) else v)
            for k, v in row.items()}
    eid = _text(str(cell.get("entity_id", "")), "entity_id", where, errors, required=True)
    raw_kind = str(cell.get("kind", ""))
    kind = _code(raw_kind, _KIND_ALIASES) if raw_kind else None
    if not raw_kind:
        errors.append(RowError(where[0], where[1], "kind", "", "is required"))
    elif kind is None:
        errors.append(RowError(where[0], where[1], "kind", raw_kind,
                               "is not one of: audit (能源审计), diagnosis (节能诊断)"))
    day = _date(str(cell.get("audit_date", "")), "audit_date", where, today, errors)
    auditor = _text(str(cell.get("auditor", "")), "auditor", where, errors, required=True)
    report = _text(str(cell.get("report_ref", "")), "report_ref", where, errors,
                   required=False)
    measures = split_measures(cell.get("recommended_measures") or "")
    if len(measures) > MAX_MEASURES:
        errors.append(RowError(where[0], where[1], "recommended_measures", str(len(measures)),
                               f"more than {MAX_MEASURES} measures 措施过多"))
    savings = _savings(cell.get("estimated_savings_tce"), where, errors)
    if errors:
        return None, errors
    return {"entity_id": eid, "kind": kind, "audit_date": day, "auditor": auditor,
            "report_ref": report, "findings": str(cell.get("findings", "") or ""),
            "recommended_measures": measures, "estimated_savings_tce": savings,
            "_line": where[1]}, []


def _savings(raw: Any, where: tuple[str, int | None], errors: list[RowError]) -> float | None:
    if raw is None or raw == "":
        return None
    text = str(raw).replace(",", "") if isinstance(raw, str) else raw
    try:
        value = float(text)
    except (TypeError, ValueError):
        errors.append(RowError(where[0], where[1], "estimated_savings_tce", str(raw),
                               "is not a number"))
        return None
    if not math.isfinite(value) or value < 0:
        errors.append(RowError(where[0], where[1], "estimated_savings_tce", str(raw),
                               "must be >= 0"))
        return None
    return value


def check_filing(row: dict[str, Any], where: tuple[str, int | None], today: dt.date,
                 allowed: Sequence[str]) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One filing from its cells: the clean record, or the problems of the row.

    Checks: entity, obligation (a code of ``allowed`` — the district's — or its Chinese name),
    year (1990 to next year), filing date (not in the future, and not before the obligation
    allows: a report on a year is filed after the year ends), lengths.
    """
    errors: list[RowError] = []
    cell = {k: ("" if v is None else str(v).strip()) for k, v in row.items()}
    eid = _text(cell.get("entity_id", ""), "entity_id", where, errors, required=True)
    raw_ob = cell.get("obligation", "")
    code = _code(raw_ob, _OBLIGATION_ALIASES) if raw_ob else None
    if not raw_ob:
        errors.append(RowError(where[0], where[1], "obligation", "", "is required"))
    elif code is None or code not in allowed:
        names = ", ".join(f"{c} ({OBLIGATIONS[c].label_zh})" for c in allowed)
        errors.append(RowError(where[0], where[1], "obligation", raw_ob,
                               f"is not one of: {names}"))
        code = None
    raw_year = cell.get("year", "")
    m = _YEAR.match(raw_year)
    year = int(m.group(1)) if m else None
    if not raw_year:
        errors.append(RowError(where[0], where[1], "year", "", "is required"))
        year = None
    elif year is None or not 1990 <= year <= today.year + 1:
        errors.append(RowError(where[0], where[1], "year", raw_year,
                               f"must be a year 1990..{today.year + 1} 年度无效"))
        year = None
    filed = _date(cell.get("filed_on", ""), "filed_on", where, today, errors)
    if code is not None and year is not None and filed is not None:
        earliest = OBLIGATIONS[code].earliest(year)
        if earliest is not None and filed < earliest:
            errors.append(RowError(
                where[0], where[1], "filed_on", filed.isoformat(),
                f"is before {earliest.isoformat()}: a {code} for {year} cannot be filed then "
                f"报送日期早于 {earliest.isoformat()}"))
    reference = _text(cell.get("reference", ""), "reference", where, errors, required=False)
    if errors:
        return None, errors
    return {"entity_id": eid, "obligation": code, "year": year, "filed_on": filed,
            "reference": reference, "note": cell.get("note", ""), "_line": where[1]}, []


def _rows(pf: ParsedFile, columns: dict[str, tuple[bool, tuple[str, ...]]]
          ) -> list[tuple[int, dict[str, Any]]]:
    cols = [c for c in columns if c in pf.frame.columns]
    return [(int(r["_line"]), {c: r[c] for c in cols}) for r in pf.frame.to_dict("records")]


def _repeats(pf: ParsedFile, recs: list[dict[str, Any]], key: tuple[str, ...],
             errors: list[RowError]) -> None:
    first: dict[tuple[Any, ...], int] = {}
    for r in recs:
        k = tuple(r[c] for c in key)
        if k in first:
            shown = ", ".join(f"{c}={v}" for c, v in zip(key, k, strict=True))
            errors.append(RowError(pf.name, r["_line"], key[0], shown,
                                   f"repeats a key of another row (lines {first[k]})"))
        else:
            first[k] = r["_line"]


def parse_audits(pf: ParsedFile, *, today: dt.date) -> list[dict[str, Any]]:
    """Validate an audits file: every row checked by :func:`check_audit`, no repeated
    (entity, date, kind). Raises :class:`InputValidationError` with every problem."""
    errors: list[RowError] = []
    recs: list[dict[str, Any]] = []
    for line, row in _rows(pf, AUDIT_COLUMNS):
        rec, errs = check_audit(row, (pf.name, line), today)
        errors.extend(errs)
        if rec is not None:
            recs.append(rec)
    _repeats(pf, recs, ("entity_id", "audit_date", "kind"), errors)
    if not errors and not recs:
        errors.append(RowError(pf.name, None, None, None, "no rows 文件没有数据行"))
    if errors:
        raise InputValidationError(errors)
    return recs


def parse_filings(pf: ParsedFile, *, today: dt.date,
                  allowed: Sequence[str]) -> list[dict[str, Any]]:
    """Validate a filings file: every row checked by :func:`check_filing`, no repeated
    (entity, obligation, year). Raises :class:`InputValidationError` with every problem."""
    errors: list[RowError] = []
    recs: list[dict[str, Any]] = []
    for line, row in _rows(pf, FILING_COLUMNS):
        rec, errs = check_filing(row, (pf.name, line), today, allowed)
        errors.extend(errs)
        if rec is not None:
            recs.append(rec)
    _repeats(pf, recs, ("entity_id", "obligation", "year"), errors)
    if not errors and not recs:
        errors.append(RowError(pf.name, None, None, None, "no rows 文件没有数据行"))
    if errors:
        raise InputValidationError(errors)
    return recs


assert set(_KIND_ALIASES) == set(AUDIT_KINDS)  # noqa: S101 - one list of kinds
assert set(_OBLIGATION_ALIASES) == set(OBLIGATIONS)  # noqa: S101 - one list of obligations
