"""Retrofit and commissioning projects from a file (CSV, .xlsx, .xls): every bad cell named.

中文：节能改造与建筑调适项目清单的读取与校验（中英文表头，UTF-8 或 GB18030）。

One row per project: ``code`` (项目编号), ``entity_id`` (the building, 建筑编号), ``kind``
(retrofit 节能改造 | commissioning 调适), ``name``, ``measures`` (separated by ``;`` ``；`` or
``、``), ``start_date`` (works begin, 开工日期: the M&V baseline is the 365 days before it),
``end_date`` (completion, 竣工日期: reporting starts), ``floor_area_m2`` (改造面积),
``investment_10k_cny`` (投资, 万元), ``claimed_savings_kwh`` (申报节能量), ``claimed_savings_
fraction`` (申报节能率: ``0.18`` or ``18%``) and ``status`` (planned 计划 | in_progress 实施中
| completed 已完成). The registry checks (the building exists in the district, the area is not
larger than the building's) are the pipeline's (:mod:`carbonpeak.services.buildings.retrofits`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats import excel
from carbonpeak.intake.formats.csvfiles import decode_text, read_import_file
from carbonpeak.intake.formats.numbers import parse_number, refusal_code
from carbonpeak.intake.formats.vocab import COLUMNS, canonical_column
from carbonpeak.intake.weather_files import FIRST_DAY, LAST_DAY, nul_error, parse_date
from carbonpeak.vocabulary import RetrofitKind, RetrofitStatus

__all__ = ["AREA_UNITS", "INVESTMENT_UNITS", "KINDS", "PROJECT_COLUMNS", "STATUSES",
           "ProjectSpec", "check_project", "parse_kind", "parse_status", "read_retrofit_file",
           "split_measures"]

KINDS: dict[str, tuple[str, ...]] = {
    RetrofitKind.RETROFIT: ("改造", "节能改造", "既有建筑节能改造", "建筑节能改造"),
    RetrofitKind.COMMISSIONING: ("调适", "建筑调适", "楼宇调适", "调试", "建筑楼宇调适",
                      "retro-commissioning", "recommissioning"),
}
STATUSES: dict[str, tuple[str, ...]] = {
    RetrofitStatus.PLANNED: ("计划", "拟实施", "规划", "未开工", "计划中"),
    RetrofitStatus.IN_PROGRESS: ("实施中", "在建", "施工中", "进行中", "in progress"),
    RetrofitStatus.COMPLETED: ("已完成", "完成", "竣工", "已竣工", "done"),
}
PROJECT_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = COLUMNS["retrofits"]
_SEPARATORS = re.compile(r"[;；、\n]+")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
#: a header's unit (NFKC, no spaces, lower case: ``m²`` and ``㎡`` are ``m2``) -> factor to m²
AREA_UNITS: dict[str, float] = {"m2": 1.0, "m^2": 1.0, "sqm": 1.0, "平方米": 1.0, "平米": 1.0,
                                "万m2": 1e4, "万m^2": 1e4, "万平方米": 1e4, "万平米": 1e4}
#: a header's unit -> factor to 10⁴ CNY (万元)
INVESTMENT_UNITS: dict[str, float] = {"元": 1e-4, "cny": 1e-4, "yuan": 1e-4, "rmb": 1e-4,
                                      "千元": 1e-1, "万元": 1.0, "万": 1.0, "10^4cny": 1.0,
                                      "10kcny": 1.0, "亿元": 1e4, "亿": 1e4}
#: a header's unit -> factor to kWh
SAVINGS_UNITS: dict[str, float] = {"kwh": 1.0, "千瓦时": 1.0, "度": 1.0, "万kwh": 1e4,
                                   "万千瓦时": 1e4, "万度": 1e4, "mwh": 1e3}
#: bracketed header text that is a note, not a unit (``改造面积（必填）``)
_HEADER_NOTES = frozenset({"必填", "选填", "可选", "required", "optional"})



@dataclass(frozen=True)
class ProjectSpec:
    """One project as read and checked (dates, numbers and codes typed)."""

    code: str
    entity_id: str
    kind: str
    name: str
    measures: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date | None
    floor_area_m2: float
    investment_10k_cny: float | None
    claimed_savings_kwh: float | None
    claimed_savings_fraction: float | None
    status: str
    note: str = ""
    line: int | None = None

    def values(self) -> dict[str, Any]:
        """The stored fields (not the line)."""
        return {"entity_id": self.entity_id, "kind": self.kind, "name": self.name,
                "measures": list(self.measures), "start_date": self.start_date,
                "end_date": self.end_date, "floor_area_m2": self.floor_area_m2,
                "investment_10k_cny": self.investment_10k_cny,
                "claimed_savings_kwh": self.claimed_savings_kwh,
                "claimed_savings_fraction": self.claimed_savings_fraction,
                "status": self.status, "note": self.note}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).strip().lower())


def _choice(vocab: Mapping[str, tuple[str, ...]], text: str) -> str | None:
    key = _key(text)
    for code, aliases in vocab.items():
        if key == _key(code) or key in {_key(a) for a in aliases}:
            return code
    return None


def parse_kind(text: str) -> str | None:
    """``retrofit`` or ``commissioning`` from the code or a Chinese name (empty: retrofit)."""
    return RetrofitKind.RETROFIT if not text.strip() else _choice(KINDS, text)


def parse_status(text: str) -> str | None:
    """``planned``, ``in_progress`` or ``completed`` from the code or a Chinese name."""
    return _choice(STATUSES, text) if text.strip() else None


def split_measures(text: str) -> tuple[str, ...]:
    """Measures separated by ``;``, ``；``, ``、`` or new lines, blanks dropped.

    >>> split_measures("LED照明改造；冷机更换、 BA系统")
    ('LED照明改造', '冷机更换', 'BA系统')
    """
    return tuple(m.strip() for m in _SEPARATORS.split(text) if m.strip())


def _num(text: str) -> float | None:
    """The one number rule (:mod:`carbonpeak.intake.formats.numbers`), full-width digits
    folded first."""
    return parse_number(unicodedata.normalize("NFKC", text))


def _fraction(text: str, *, percent: bool = False) -> float | None:
    """``0.18`` or ``18%`` (also ``18％``) as a fraction; ``None`` when it is neither.

    ``percent``: the header says %, so a bare number is a percentage (``18`` → 0.18).
    """
    t = unicodedata.normalize("NFKC", text).strip()
    if t.endswith("%"):
        v = _num(t[:-1])
        return None if v is None else v / 100.0
    v = _num(t)
    if percent:
        return None if v is None else v / 100.0
    return v if v is not None and v <= 1.0 else None


def check_project(row: Mapping[str, str], file: str, line: int | None, *,
                  scales: Mapping[str, float] | None = None,
                  sheet: str | None = None) -> tuple[ProjectSpec | None, list[RowError]]:
    """Check one project given as text cells; the spec, or ``None`` and every problem.

    ``scales`` multiplies numeric columns whose header named another unit (万m² → m²,
    元 → 万元, 万kWh → kWh); ``claimed_savings_fraction: 0.01`` reads bare numbers as %.
    A cell holding a NUL character (``\\x00``) is refused.
    """
    errors: list[RowError] = []
    scales = scales or {}

    def bad(col: str, why: Message) -> None:
        errors.append(RowError(file, line, col, row.get(col, ""), why, sheet))

    def cell(col: str) -> str:
        return (row.get(col) or "").strip()

    for col, text in row.items():
        if "\x00" in (text or ""):
            errors.append(nul_error(file, line, col, text, sheet))
    code, eid, name = cell("code"), cell("entity_id"), cell("name")
    for col, v in (("code", code), ("entity_id", eid), ("name", name)):
        if not v:
            bad(col, msg("intake.cell.required"))
    if code and not _CODE.match(code):
        bad("code", msg("intake.retrofit.code"))
    if len(name) > 256:
        bad("name", msg("intake.cell.too_long", limit=256))
    kind = parse_kind(cell("kind"))
    if kind is None:
        bad("kind", msg("intake.retrofit.kind"))
    status = parse_status(cell("status"))
    if cell("status") and status is None:
        bad("status", msg("intake.retrofit.status"))
    start = parse_date(cell("start_date")) if cell("start_date") else None
    if not cell("start_date"):
        bad("start_date", msg("intake.cell.required"))
    elif start is None:
        bad("start_date", msg("intake.weather.day"))
    end = parse_date(cell("end_date")) if cell("end_date") else None
    if cell("end_date") and end is None:
        bad("end_date", msg("intake.weather.day"))
    if status is None and not cell("status"):
        status = RetrofitStatus.COMPLETED if end is not None else RetrofitStatus.PLANNED
    numbers: dict[str, float | None] = {}
    for col, required in (("floor_area_m2", True), ("investment_10k_cny", False),
                          ("claimed_savings_kwh", False)):
        text = cell(col)
        if not text:
            if required:
                bad(col, msg("intake.cell.required"))
            numbers[col] = None
            continue
        num = _num(text)
        if num is None:
            bad(col, msg(refusal_code(text)))
        numbers[col] = None if num is None else num * scales.get(col, 1.0)
    frac = None
    if cell("claimed_savings_fraction"):
        frac = _fraction(cell("claimed_savings_fraction"),
                         percent=scales.get("claimed_savings_fraction") == 0.01)
        if frac is None:
            bad("claimed_savings_fraction", msg("intake.retrofit.fraction"))
    errors.extend(check_values(
        {"start_date": start, "end_date": end, "status": status, "kind": kind,
         "floor_area_m2": numbers["floor_area_m2"],
         "investment_10k_cny": numbers["investment_10k_cny"],
         "claimed_savings_kwh": numbers["claimed_savings_kwh"],
         "claimed_savings_fraction": frac}, file, line, sheet=sheet,
        cells={k: cell(k) for k in PROJECT_COLUMNS}))
    if errors:
        return None, errors
    area = numbers["floor_area_m2"]
    if start is None or kind is None or status is None or area is None:  # pragma: no cover
        problem = "a project without errors has its start date, kind, status and area"
        raise AssertionError(problem)
    return ProjectSpec(
        code=code, entity_id=eid, kind=kind, name=name,
        measures=split_measures(cell("measures")), start_date=start, end_date=end,
        floor_area_m2=area, investment_10k_cny=numbers["investment_10k_cny"],
        claimed_savings_kwh=numbers["claimed_savings_kwh"], claimed_savings_fraction=frac,
        status=status, note=cell("note"), line=line), []


def check_values(v: Mapping[str, Any], file: str, line: int | None, *,
                 sheet: str | None = None,
                 cells: Mapping[str, str] | None = None) -> list[RowError]:
    """The checks across fields of a typed project (file rows and API bodies alike).

    End before start, a completed project without an end date, a project not started whose
    dates say otherwise is fine (plans change); area > 0; investment and claimed savings ≥ 0;
    claimed fraction in [0, 1).
    """
    errors: list[RowError] = []
    cells = cells or {}

    def bad(col: str, why: Message) -> None:
        shown = cells.get(col)
        if shown is None:
            shown = "" if v.get(col) is None else str(v.get(col))
        errors.append(RowError(file, line, col, shown, why, sheet))

    start, end = v.get("start_date"), v.get("end_date")
    if start is not None and end is not None and end < start:
        bad("end_date", msg("intake.retrofit.end_before_start", start=str(start)))
    if v.get("status") == RetrofitStatus.COMPLETED and end is None and not cells.get("end_date"):
        bad("end_date", msg("intake.retrofit.end_required"))
    for col in ("start_date", "end_date"):
        d = v.get(col)
        if d is not None and not FIRST_DAY <= d <= LAST_DAY:
            bad(col, msg("intake.weather.day_range", first=FIRST_DAY.year, last=LAST_DAY.year))
    area = v.get("floor_area_m2")
    if area is not None and not area > 0:
        bad("floor_area_m2", msg("intake.cell.positive_m2"))
    elif area is not None and area > 1e8:
        bad("floor_area_m2", msg("intake.retrofit.area_too_large"))
    for col, code in (("investment_10k_cny", "intake.cell.non_negative_10k_cny"),
                      ("claimed_savings_kwh", "intake.cell.non_negative_kwh")):
        x = v.get(col)
        if x is not None and x < 0:
            bad(col, msg(code))
    frac = v.get("claimed_savings_fraction")
    if frac is not None and not 0.0 <= frac < 1.0:
        bad("claimed_savings_fraction", msg("intake.retrofit.fraction_range"))
    return errors


def _raw_headers(path: Path) -> list[str]:
    fmt = excel.spreadsheet_format(path)
    if fmt is not None:
        return excel.read_spreadsheet(path, "retrofits", fmt).headers
    text, _enc = decode_text(path.read_bytes(), path.name)
    return next(csv.reader(io.StringIO(text)), [])


def _header_unit(header: str) -> str:
    """The unit a header names in trailing brackets, as compared (NFKC, no spaces, lower
    case): ``改造面积（万m²）`` → ``万m2``; ``""`` when it names none or only a note
    (``必填``). The same brackets :func:`~carbonpeak.intake.formats.vocab.canonical_column`
    drops."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower().strip("*")
    m = re.search(r"[(\[]([^()\[\]]*)[)\]]$", key)
    unit = m.group(1).strip("*") if m else ""
    return "" if unit in _HEADER_NOTES else unit


def _scales(headers: list[str], file: str,
            ) -> tuple[dict[str, float], list[Message], list[RowError]]:
    """Unit factors a header's unit asks for; a unit that is not known for its column is
    refused, naming the header (a number must never be read in another unit than written).

    Floor area: m²/㎡/平方米 (× 1) or 万m²/万平方米 (× 10⁴); investment: 元 (÷ 10⁴), 千元
    (÷ 10), 万元 (× 1), 亿元 (× 10⁴); claimed savings: kWh, 万kWh (× 10⁴), MWh (× 10³), tce
    refused (no conversion is neutral); claimed fraction: % (bare numbers are percentages).
    """
    scales: dict[str, float] = {}
    notes: list[Message] = []
    errors: list[RowError] = []
    known: dict[str, tuple[dict[str, float], str, str]] = {
        "floor_area_m2": (AREA_UNITS, "intake.retrofit.header_unit.area",
                          "intake.batch.column_area"),
        "investment_10k_cny": (INVESTMENT_UNITS, "intake.retrofit.header_unit.investment",
                               "intake.batch.column_investment"),
        "claimed_savings_kwh": (SAVINGS_UNITS, "intake.retrofit.header_unit.savings",
                                "intake.batch.column_savings"),
        "claimed_savings_fraction": ({"%": 0.01}, "intake.retrofit.header_unit.fraction",
                                     "intake.batch.column_percent"),
    }
    for h in headers:
        col = canonical_column("retrofits", h) if h else None
        unit = _header_unit(h) if h else ""
        if col not in known or not unit:
            continue
        table, refuse, done = known[col]
        factor = table.get(unit)
        if factor is None:
            errors.append(RowError(file, 1, col, h, msg(refuse, header=h, unit=unit)))
        elif factor != 1.0:
            scales[col] = factor
            notes.append(msg(done, header=h))
    return scales, notes, errors


def read_retrofit_file(path: Path, *, rename: Mapping[str, str] | None = None,
                       ) -> tuple[list[ProjectSpec], list[Message]]:
    """Read and check a project list; every project and the notes (conversions, ignored
    columns), or :class:`InputValidationError` with every problem. ``rename`` maps the file's
    headers to the columns (a browser upload's column mapping).

    Checks besides each row's (:func:`check_project`): a code given twice in the file.
    """
    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                                     msg("intake.file.not_found"))])
    pf = read_import_file(path, "retrofits", rename=rename)
    scales, notes, errors = _scales(_raw_headers(path), name)
    if pf.ignored_columns:
        notes.append(msg("intake.batch.ignored", columns=", ".join(pf.ignored_columns)))
    specs: list[ProjectSpec] = []
    seen: dict[str, int] = {}
    for rec in pf.frame.to_dict("records"):
        line = int(rec["_line"])
        spec, errs = check_project({str(k): str(v) for k, v in rec.items() if k != "_line"}, name,
                                   line, scales=scales, sheet=pf.sheet)
        errors.extend(errs)
        code = str(rec["code"]).strip()
        if code and code in seen:
            errors.append(RowError(name, line, "code", code,
                                   msg("intake.retrofit.repeat_code", lines=seen[code]),
                                   pf.sheet))
        seen.setdefault(code, line)
        if spec is not None:
            specs.append(spec)
    if not errors and not specs:
        errors.append(RowError(name, None, None, None, msg("intake.file.no_rows"), pf.sheet))
    if errors:
        raise InputValidationError(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    return specs, notes
