"""Energy-audit records and key units' filings from files (CSV, .xlsx, .xls): every bad cell named.

中文：能源审计/节能诊断记录与重点用能单位报送记录的导入校验（CSV/Excel，UTF-8 或 GB18030，
中英文表头）。

A file is read by :func:`carbonpeak.intake.formats.csvfiles.read_import_file` (encodings,
spreadsheets,
header detection, row numbers as a spreadsheet shows them) under the kinds
``energy_audits`` and ``obligation_filings``, whose columns and Chinese aliases are defined
here. The parsers check what a row says on its own (required cells, dates, codes, lengths,
repeated keys, NUL characters); the pipeline checks the entities against the registry. Either
way the whole file is refused when one row is bad, each problem naming file, row and column.

Estimated savings are stored in tce (吨标准煤). A unit in the savings header is read:
``（吨标准煤）``/``(tce)`` as is, ``（万吨标准煤）``/``(万tce)`` × 10⁴,
``（千克标准煤）``/``(kgce)`` ÷ 1,000 (also per year: ``tce/a``, ``吨标准煤/年``); any other
unit (``万kWh``, ``tCO2``…) refuses the file naming the header: savings in electricity are
not tce until a conversion (equivalent or calorific value) is chosen, which is the auditor's,
not the platform's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carbonpeak.domain.audits import AUDIT_KINDS, OBLIGATIONS
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.formats import excel
from carbonpeak.intake.formats.csvfiles import ParsedFile, decode_text
from carbonpeak.intake.formats.numbers import parse_number, refusal_code
from carbonpeak.intake.formats.vocab import COLUMNS, canonical_column
from carbonpeak.vocabulary import AuditKind, Obligation

__all__ = [
    "AUDIT_COLUMNS",
    "FILING_COLUMNS",
    "MAX_YEAR",
    "MIN_YEAR",
    "check_audit",
    "check_filing",
    "parse_audits",
    "parse_date",
    "parse_filings",
    "raw_headers",
    "savings_scale",
    "split_measures",
]

# column -> (required, aliases): declared with the import contract's columns (vocab.COLUMNS)
AUDIT_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = COLUMNS["energy_audits"]
FILING_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = COLUMNS["obligation_filings"]

_KIND_ALIASES: dict[str, tuple[str, ...]] = {
    AuditKind.AUDIT: ("能源审计", "审计", "energy audit"),
    AuditKind.DIAGNOSIS: ("节能诊断", "诊断", "能效诊断", "energy diagnosis")}
_OBLIGATION_ALIASES: dict[str, tuple[str, ...]] = {
    Obligation.ENERGY_REPORT: ("能源利用状况报告", "能源利用状况", "能报"),
    Obligation.GHG_REPORT: ("温室气体排放报告", "碳排放报告"),
    Obligation.SAVING_PLAN: ("节能减碳工作方案", "节能计划", "节能工作方案"),
    Obligation.ENERGY_MANAGER: ("能源管理负责人备案", "能源管理负责人"),
}
_MEASURE_SEP = re.compile(r"[;；、\n\r]+")
_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
               re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
               re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
               re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"))
_YEAR = re.compile(r"^(\d{4})年?(?:度)?$")
#: text lengths: the registry's columns (a longer text would be refused by PostgreSQL) and,
#: for the unbounded texts, the API's limits
MAX_LEN = {"entity_id": 64, "auditor": 256, "report_ref": 128, "reference": 128,
           "findings": 20_000, "note": 2_000, "recommended_measures": 500}
MAX_MEASURES = 100
#: plausible years of an audit or a filing date
MIN_YEAR, MAX_YEAR = 1990, 2100
#: units of the savings header -> factor to tce (吨标准煤)
_SAVINGS_UNITS = {"tce": 1.0, "吨标准煤": 1.0, "吨标煤": 1.0, "t标准煤": 1.0,
                  "万tce": 1e4, "万吨标准煤": 1e4, "万吨标煤": 1e4,
                  "kgce": 1e-3, "千克标准煤": 1e-3, "公斤标准煤": 1e-3, "kg标准煤": 1e-3}
_NOTES = {"必填", "选填", "可选", "required", "optional"}  # a note in brackets, not a unit
_PER_YEAR = ("/a", "/年", "/yr", "/year", "每年")


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


def raw_headers(path: Path, kind: str) -> tuple[list[str], int, str | None]:
    """The header cells as written, their line and sheet (the shared reader keeps only the
    canonical names, without the unit a header names)."""
    fmt = excel.spreadsheet_format(path)
    if fmt is not None:
        table = excel.read_spreadsheet(path, kind, fmt)
        return table.headers, table.header_line, table.sheet
    text, _enc = decode_text(path.read_bytes(), path.name)
    return next(csv.reader(io.StringIO(text)), []), 1, None


def _savings_unit(header: str) -> str:
    """The unit in brackets at the end of a header (``预计节能量（万kWh）`` → ``万kwh``), ``""``
    when there is none."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower().strip("*")
    m = re.search(r"[(\[]([^)\]]*)[)\]]\*?$", key)
    unit = m.group(1) if m else ""
    return "" if unit in _NOTES else unit


def savings_scale(headers: Sequence[str], file: str, *, header_line: int = 1,
                  sheet: str | None = None) -> float:
    """The factor to tce of the estimated-savings column, read from its header's unit.

    ``tce``/``吨标准煤`` (or no unit): 1; ``万tce``/``万吨标准煤``: 10⁴; ``kgce``/``千克标准煤``:
    10⁻³; per year (``/a``, ``/年``) the same. Any other unit raises
    :class:`InputValidationError` naming the header.

    >>> savings_scale(["预计节能量（万吨标准煤）"], "a.csv"), savings_scale(["savings_tce"], "f")
    (10000.0, 1.0)
    """
    for h in headers:
        if not h or canonical_column("energy_audits", h) != "estimated_savings_tce":
            continue
        unit = _savings_unit(h)
        if not unit:
            return 1.0
        base = unit
        for suffix in _PER_YEAR:
            base = base.removesuffix(suffix)
        factor = _SAVINGS_UNITS.get(base)
        if factor is None:
            raise InputValidationError([RowError(
                file, header_line, "estimated_savings_tce", h,
                msg("intake.audit.savings_unit", unit=unit), sheet)])
        return factor
    return 1.0


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
        errors.append(RowError(where[0], where[1], col, "", msg("intake.cell.required")))
        return None
    day = parse_date(raw)
    if day is None:
        errors.append(RowError(where[0], where[1], col, raw,
                               msg("intake.cell.date", example="2023-06-01")))
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors.append(RowError(where[0], where[1], col, raw,
                               msg("intake.cell.date_in", first=MIN_YEAR, last=MAX_YEAR)))
        return None
    if day > today:
        errors.append(RowError(where[0], where[1], col, raw,
                               msg("intake.cell.future", today=today.isoformat())))
        return None
    return day


def _shown(text: str) -> str:
    """A cell as an error shows it: NUL written as ``\\x00``, at most 40 characters."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= 40 else text[:40] + "…"


def _nul_cells(cell: dict[str, Any], where: tuple[str, int | None],
               errors: list[RowError]) -> None:
    """Name every cell with a NUL character (PostgreSQL refuses it in text)."""
    for col, v in cell.items():
        texts = v if isinstance(v, list | tuple) else [v]
        bad = next((str(t) for t in texts if isinstance(t, str) and "\x00" in t), None)
        if bad is not None:
            errors.append(RowError(where[0], where[1], col, _shown(bad),
                                   msg("intake.cell.nul")))


def _text(raw: str, col: str, where: tuple[str, int | None], errors: list[RowError], *,
          required: bool) -> str:
    if required and not raw:
        errors.append(RowError(where[0], where[1], col, "", msg("intake.cell.required")))
    limit = MAX_LEN.get(col)
    if limit is not None and len(raw) > limit:
        errors.append(RowError(where[0], where[1], col, _shown(raw),
                               msg("intake.cell.longer_than", limit=limit)))
    return raw


def check_audit(row: dict[str, Any], where: tuple[str, int | None], today: dt.date, *,
                scale: float = 1.0) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One audit record from its cells (strings; ``recommended_measures`` may be a list and
    ``estimated_savings_tce`` a number): the clean record, or the problems of the row.

    Checks: no cell with a NUL character, entity, kind (audit | diagnosis, or 能源审计 /
    节能诊断), date (1990..2100, not in the future), auditor (not empty), lengths, estimated
    savings a number ≥ 0 (times ``scale``, the header unit's factor to tce).
    """
    errors: list[RowError] = []
    cell = {k: ("" if v is None else v.strip() if isinstance(v, str) else v)
            for k, v in row.items()}
    _nul_cells(cell, where, errors)
    eid = _text(str(cell.get("entity_id", "")), "entity_id", where, errors, required=True)
    raw_kind = str(cell.get("kind", ""))
    kind = _code(raw_kind, _KIND_ALIASES) if raw_kind else None
    if not raw_kind:
        errors.append(RowError(where[0], where[1], "kind", "", msg("intake.cell.required")))
    elif kind is None:
        errors.append(RowError(where[0], where[1], "kind", raw_kind, msg("intake.audit.kind")))
    day = _date(str(cell.get("audit_date", "")), "audit_date", where, today, errors)
    auditor = _text(str(cell.get("auditor", "")), "auditor", where, errors, required=True)
    report = _text(str(cell.get("report_ref", "")), "report_ref", where, errors,
                   required=False)
    findings = _text(str(cell.get("findings", "") or ""), "findings", where, errors,
                     required=False)
    measures = split_measures(cell.get("recommended_measures") or "")
    if len(measures) > MAX_MEASURES:
        errors.append(RowError(where[0], where[1], "recommended_measures", str(len(measures)),
                               msg("intake.audit.too_many_measures", limit=MAX_MEASURES)))
    for m in measures:
        _text(m, "recommended_measures", where, errors, required=False)
    savings = _savings(cell.get("estimated_savings_tce"), where, errors)
    if errors:
        return None, errors
    if savings is not None:
        savings *= scale
    return {"entity_id": eid, "kind": kind, "audit_date": day, "auditor": auditor,
            "report_ref": report, "findings": findings,
            "recommended_measures": measures, "estimated_savings_tce": savings,
            "_line": where[1]}, []


def _savings(raw: Any, where: tuple[str, int | None], errors: list[RowError]) -> float | None:
    if raw is None or raw == "":
        return None
    value = parse_number(raw)
    if value is None:
        errors.append(RowError(where[0], where[1], "estimated_savings_tce", str(raw),
                               msg(refusal_code(raw))))
        return None
    if not math.isfinite(value) or value < 0:
        errors.append(RowError(where[0], where[1], "estimated_savings_tce", str(raw),
                               msg("intake.cell.non_negative")))
        return None
    return value


def check_filing(row: dict[str, Any], where: tuple[str, int | None], today: dt.date,
                 allowed: Sequence[str]) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One filing from its cells: the clean record, or the problems of the row.

    Checks: no cell with a NUL character, entity, obligation (a code of ``allowed`` — the
    district's — or its Chinese name), year (1990 to next year), filing date (1990..2100, not
    in the future, and not before the obligation allows: a report on a year is filed after the
    year ends), lengths.
    """
    errors: list[RowError] = []
    cell = {k: ("" if v is None else str(v).strip()) for k, v in row.items()}
    _nul_cells(cell, where, errors)
    eid = _text(cell.get("entity_id", ""), "entity_id", where, errors, required=True)
    raw_ob = cell.get("obligation", "")
    code = _code(raw_ob, _OBLIGATION_ALIASES) if raw_ob else None
    if not raw_ob:
        errors.append(RowError(where[0], where[1], "obligation", "", msg("intake.cell.required")))
    elif code is None or code not in allowed:
        names = ", ".join(f"{c} ({OBLIGATIONS[c].label_zh})" for c in allowed)
        errors.append(RowError(where[0], where[1], "obligation", raw_ob,
                               msg("intake.cell.not_one_of", allowed=names)))
        code = None
    raw_year = cell.get("year", "")
    m = _YEAR.match(raw_year)
    year = int(m.group(1)) if m else None
    if not raw_year:
        errors.append(RowError(where[0], where[1], "year", "", msg("intake.cell.required")))
        year = None
    elif year is None or not 1990 <= year <= today.year + 1:
        errors.append(RowError(where[0], where[1], "year", raw_year,
                               msg("intake.cell.year", first=1990, last=today.year + 1)))
        year = None
    filed = _date(cell.get("filed_on", ""), "filed_on", where, today, errors)
    if code is not None and year is not None and filed is not None:
        earliest = OBLIGATIONS[code].earliest(year)
        if earliest is not None and filed < earliest:
            errors.append(RowError(
                where[0], where[1], "filed_on", filed.isoformat(),
                msg("intake.audit.filed_too_early", earliest=earliest.isoformat(),
                    obligation=code, year=year)))
    reference = _text(cell.get("reference", ""), "reference", where, errors, required=False)
    note = _text(cell.get("note", ""), "note", where, errors, required=False)
    if errors:
        return None, errors
    return {"entity_id": eid, "obligation": code, "year": year, "filed_on": filed,
            "reference": reference, "note": note, "_line": where[1]}, []


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
                                   msg("intake.cell.repeat", lines=first[k])))
        else:
            first[k] = r["_line"]


def parse_audits(pf: ParsedFile, *, today: dt.date,
                 scale: float = 1.0) -> list[dict[str, Any]]:
    """Validate an audits file: every row checked by :func:`check_audit`, no repeated
    (entity, date, kind); savings times ``scale`` (see :func:`savings_scale`).
    Raises :class:`InputValidationError` with every problem."""
    errors: list[RowError] = []
    recs: list[dict[str, Any]] = []
    for line, row in _rows(pf, AUDIT_COLUMNS):
        rec, errs = check_audit(row, (pf.name, line), today, scale=scale)
        errors.extend(errs)
        if rec is not None:
            recs.append(rec)
    _repeats(pf, recs, ("entity_id", "audit_date", "kind"), errors)
    if not errors and not recs:
        errors.append(RowError(pf.name, None, None, None, msg("intake.file.no_rows")))
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
        errors.append(RowError(pf.name, None, None, None, msg("intake.file.no_rows")))
    if errors:
        raise InputValidationError(errors)
    return recs


assert set(_KIND_ALIASES) == set(AUDIT_KINDS)  # noqa: S101 - one list of kinds
assert set(_OBLIGATION_ALIASES) == set(OBLIGATIONS)  # noqa: S101 - one list of obligations
