"""Demand-response files (CSV, .xlsx, .xls; zh/en headers): resources, events, participants.

中文：需求响应文件读取与校验——可调节资源、响应事件、参与资源（中英文表头，逐格报错）。

* resources: ``resource_id, entity_id, kind, contracted_kw, automated, ven_id, meter_id,
  aggregator`` (+ ``frequency_regulation``);
* events: ``event_id, programme, date, start, end, target_kw`` (+ ``baseline_method``), start
  and end local times ``HH:MM`` of the district's time zone, end after start (same day);
* participants: ``event_id, resource_id, declared_kw`` (+ ``opt_status``).

The registry checks (the entity, meter, event and resource exist in the district) are the
service's (:mod:`carbonpeak.services.energy.vpp.registry`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.csvfiles import read_import_file
from carbonpeak.intake.formats.numbers import parse_number, refusal_code
from carbonpeak.intake.formats.parsing import parse_yes_no
from carbonpeak.intake.weather_files import nul_error, parse_date
from carbonpeak.vocabulary import DrBaselineMethod, DrOptStatus, DrProgramme, DrResourceKind

__all__ = ["EventSpec", "ParticipantSpec", "ResourceSpec", "event_from_fields",
           "participant_from_fields", "parse_time", "read_events_file",
           "read_participants_file", "read_resources_file", "read_ven_fingerprints"]

_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_FINGERPRINT = re.compile(r"^[0-9A-F]{2}(?::[0-9A-F]{2}){9}$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?::00)?$")
_KINDS: dict[str, tuple[str, ...]] = {
    DrResourceKind.HVAC: ("空调", "暖通空调", "中央空调", "空调负荷"),
    DrResourceKind.LIGHTING: ("照明", "照明负荷"),
    DrResourceKind.STORAGE: ("储能", "电池储能", "储能电站"),
    DrResourceKind.EV_CHARGING: ("充电桩", "电动汽车充电", "充电", "ev"),
    DrResourceKind.PROCESS: ("工艺", "生产工艺", "生产负荷", "工业负荷"),
    DrResourceKind.PV_CURTAILMENT: ("光伏", "光伏调节", "光伏出力调节", "pv"),
}
_PROGRAMMES: dict[str, tuple[str, ...]] = {
    DrProgramme.INVITATION: ("邀约", "日前邀约", "约定响应", "day_ahead", "day-ahead"),
    DrProgramme.REAL_TIME: ("实时", "实时响应", "自动响应", "自动需求响应", "automated"),
    DrProgramme.FREQUENCY_REGULATION: ("调频", "频率调节", "regulation"),
}
_OPTS: dict[str, tuple[str, ...]] = {
    DrOptStatus.PENDING: ("待确认", "未确认", ""),
    DrOptStatus.OPT_IN: ("参与", "确认参与", "是", "optin", "in", "yes"),
    DrOptStatus.OPT_OUT: ("不参与", "放弃", "放弃参与", "否", "optout", "out", "no"),
}


@dataclass(frozen=True)
class ResourceSpec:
    """One flexible resource as read."""

    resource_id: str
    entity_id: str
    kind: str
    contracted_kw: float
    automated: bool
    ven_id: str | None
    meter_id: str | None
    aggregator: str
    frequency_regulation: bool
    line: int | None = None

    def values(self) -> dict[str, Any]:
        """The stored fields."""
        return {"entity_id": self.entity_id, "kind": self.kind,
                "contracted_kw": self.contracted_kw, "automated": self.automated,
                "ven_id": self.ven_id, "meter_id": self.meter_id,
                "aggregator": self.aggregator,
                "frequency_regulation": self.frequency_regulation}


@dataclass(frozen=True)
class EventSpec:
    """One demand-response event as read (local times)."""

    event_id: str
    programme: str
    day: dt.date
    start: dt.time
    end: dt.time
    target_kw: float
    baseline_method: str | None
    line: int | None = None

    def values(self) -> dict[str, Any]:
        """The stored fields."""
        return {"programme": self.programme, "day": self.day, "start_time": self.start,
                "end_time": self.end, "target_kw": self.target_kw,
                "baseline_method": self.baseline_method}


@dataclass(frozen=True)
class ParticipantSpec:
    """One resource's participation in an event as read."""

    event_id: str
    resource_id: str
    declared_kw: float
    opt_status: str | None
    line: int | None = None


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).strip().lower())


def _choice(vocab: Mapping[str, tuple[str, ...]], text: str) -> str | None:
    key = _key(text)
    for code, aliases in vocab.items():
        if key == _key(code) or key in {_key(a) for a in aliases}:
            return code
    return None


def parse_time(text: str) -> dt.time | None:
    """``HH:MM`` (also full-width colon, ``HH:MM:00``) as a local time; ``24:00`` is refused.

    >>> parse_time("14:30")
    datetime.time(14, 30)
    """
    m = _TIME.match(unicodedata.normalize("NFKC", text).strip())
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    return dt.time(h, mi) if h < 24 and mi < 60 else None  # noqa: PLR2004


class _Row:
    """One row's cells and the errors found in it."""

    def __init__(self, row: Mapping[str, str], file: str, line: int | None,
                 sheet: str | None) -> None:
        self.row, self.file, self.line, self.sheet = row, file, line, sheet
        self.errors: list[RowError] = [nul_error(file, line, c, t, sheet)
                                       for c, t in row.items() if "\x00" in (t or "")]

    def cell(self, col: str) -> str:
        return unicodedata.normalize("NFKC", self.row.get(col) or "").strip()

    def bad(self, col: str, why: Message) -> None:
        self.errors.append(RowError(self.file, self.line, col, self.row.get(col, ""), why,
                                    self.sheet))

    def code(self, col: str) -> str:
        v = self.cell(col)
        if not v:
            self.bad(col, msg("intake.cell.required"))
        elif not _CODE.match(v):
            self.bad(col, msg("vpp.intake.code"))
        return v

    def kw(self, col: str, *, positive: bool = True) -> float:
        text = self.cell(col)
        if not text:
            self.bad(col, msg("intake.cell.required"))
            return 0.0
        v = parse_number(text)
        if v is None:
            self.bad(col, msg(refusal_code(text)))
            return 0.0
        if positive and not v > 0:
            self.bad(col, msg("vpp.intake.positive_kw"))
        return v

    def flag(self, col: str) -> bool:
        v = parse_yes_no(self.cell(col), yes=("自动",), no=("手动",))
        if v is None:
            self.bad(col, msg("vpp.intake.yes_no"))
        return bool(v)

    def choice(self, col: str, vocab: Mapping[str, tuple[str, ...]], code: str,
               *, required: bool = True) -> str | None:
        text = self.cell(col)
        if not text and not required:
            return None
        got = _choice(vocab, text) if text else None
        if got is None:
            self.bad(col, msg(code, allowed=", ".join(vocab)))
        return got


def _resource(r: _Row) -> ResourceSpec | None:
    rid, eid = r.code("resource_id"), r.code("entity_id")
    kind = r.choice("kind", _KINDS, "vpp.intake.kind")
    kw = r.kw("contracted_kw")
    automated = r.flag("automated")
    ven = r.cell("ven_id") or None
    if automated and ven is None:
        r.bad("ven_id", msg("vpp.intake.ven_required"))
    if ven is not None and len(ven) > 128:  # noqa: PLR2004
        r.bad("ven_id", msg("intake.cell.too_long", limit=128))
    meter = r.cell("meter_id") or None
    if meter is not None and not _CODE.match(meter):
        r.bad("meter_id", msg("vpp.intake.code"))
    agg = r.code("aggregator")
    freq = r.flag("frequency_regulation")
    if r.errors or kind is None:
        return None
    return ResourceSpec(rid, eid, kind, kw, automated, ven, meter, agg, freq, r.line)


def _event(r: _Row) -> EventSpec | None:
    eid = r.code("event_id")
    programme = r.choice("programme", _PROGRAMMES, "vpp.intake.programme")
    day = parse_date(r.cell("date")) if r.cell("date") else None
    if day is None:
        r.bad("date", msg("intake.weather.day"))
    start, end = parse_time(r.cell("start")), parse_time(r.cell("end"))
    for col, t in (("start", start), ("end", end)):
        if t is None:
            r.bad(col, msg("vpp.intake.time"))
    if start is not None and end is not None and end <= start:
        r.bad("end", msg("vpp.intake.end_before_start", start=start.strftime("%H:%M")))
    target = r.kw("target_kw")
    method = None
    if r.cell("baseline_method"):
        method = _choice(dict.fromkeys(DrBaselineMethod, ()), r.cell("baseline_method"))
        if method is None:
            r.bad("baseline_method", msg("vpp.intake.method",
                                         allowed=", ".join(DrBaselineMethod)))
    if r.errors or programme is None or day is None or start is None or end is None:
        return None
    return EventSpec(eid, programme, day, start, end, target, method, r.line)


def _participant(r: _Row) -> ParticipantSpec | None:
    eid, rid = r.code("event_id"), r.code("resource_id")
    kw = r.kw("declared_kw")
    opt = r.choice("opt_status", _OPTS, "vpp.intake.opt", required=False)
    if r.errors:
        return None
    return ParticipantSpec(eid, rid, kw, opt, r.line)


_T = TypeVar("_T")


def _read(path: Path, kind: str, check: Callable[[_Row], _T | None],
          key: Callable[[_T], tuple[str, ...]], key_col: str,
          rename: Mapping[str, str] | None) -> tuple[list[_T], list[Message]]:
    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                             msg("intake.file.not_found"))])
    pf = read_import_file(path, kind, rename=rename)
    notes = ([msg("intake.batch.ignored", columns=", ".join(pf.ignored_columns))]
             if pf.ignored_columns else [])
    specs: list[_T] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, ...], int] = {}
    for rec in pf.frame.to_dict("records"):
        line = int(rec["_line"])
        row = _Row({str(k): str(v) for k, v in rec.items() if k != "_line"}, name, line,
                   pf.sheet)
        spec = check(row)
        errors.extend(row.errors)
        if spec is None:
            continue
        k = key(spec)
        if k in seen:
            errors.append(RowError(name, line, key_col, "/".join(k),
                                   msg("vpp.intake.repeated", lines=seen[k]), pf.sheet))
        seen.setdefault(k, line)
        specs.append(spec)
    if not errors and not specs:
        errors.append(RowError(name, None, None, None, msg("intake.file.no_rows"), pf.sheet))
    if errors:
        raise InputValidationError(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    return specs, notes


def read_resources_file(path: Path, *, rename: Mapping[str, str] | None = None,
                        ) -> tuple[list[ResourceSpec], list[Message]]:
    """Every resource of the file and notes, or :class:`InputValidationError` naming every
    bad cell (a resource id given twice included)."""
    return _read(path, "dr_resources", _resource, lambda s: (s.resource_id,), "resource_id",
                 rename)


def read_events_file(path: Path, *, rename: Mapping[str, str] | None = None,
                     ) -> tuple[list[EventSpec], list[Message]]:
    """Every event of the file and notes (see :func:`read_resources_file`)."""
    return _read(path, "dr_events", _event, lambda s: (s.event_id,), "event_id", rename)


def read_participants_file(path: Path, *, rename: Mapping[str, str] | None = None,
                           ) -> tuple[list[ParticipantSpec], list[Message]]:
    """Every participation of the file and notes (see :func:`read_resources_file`)."""
    return _read(path, "dr_participants", _participant,
                 lambda s: (s.event_id, s.resource_id), "resource_id", rename)


def _one(fields: Mapping[str, object], source: str, check: Callable[[_Row], _T | None]) -> _T:
    row = _Row({k: "" if v is None else str(v) for k, v in fields.items()}, source, None, None)
    spec = check(row)
    if row.errors or spec is None:
        raise InputValidationError(sorted(row.errors, key=lambda e: e.column or ""))
    return spec


def event_from_fields(fields: Mapping[str, object], *, source: str = "request") -> EventSpec:
    """One event from named fields (the API's body, the page's form): the same checks and
    messages as a row of the events file; ``source`` names where the fields came from.

    Raises
    ------
    InputValidationError
        Every bad field, named.
    """
    return _one(fields, source, _event)


def participant_from_fields(fields: Mapping[str, object], *,
                            source: str = "request") -> ParticipantSpec:
    """One participation from named fields (see :func:`event_from_fields`)."""
    return _one(fields, source, _participant)


def read_ven_fingerprints(path: Path) -> dict[str, str]:
    """The VENs' certificate fingerprints (CSV ``ven_id, fingerprint``; UTF-8 or GB18030) for
    the signed VTN: fingerprint upper-cased, every bad line named.

    Raises
    ------
    InputValidationError
        A missing column, a bad id or fingerprint, a VEN given twice, no row.
    """
    import csv
    import io

    from carbonpeak.intake.formats.csvfiles import decode_text

    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                             msg("intake.file.not_found"))])
    text, _enc = decode_text(path.read_bytes(), name)
    reader = csv.DictReader(io.StringIO(text))
    cols = {(c or "").strip().lower() for c in reader.fieldnames or []}
    if not {"ven_id", "fingerprint"} <= cols:
        raise InputValidationError([RowError(name, 1, None, None,
                                             msg("vpp.intake.fingerprint_columns"))])
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    errors: list[RowError] = []
    for line, rec in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in rec.items()}
        ven, fp = row.get("ven_id", ""), row.get("fingerprint", "").upper()
        if not ven or len(ven) > 128:  # noqa: PLR2004 - the ven_id column's length
            errors.append(RowError(name, line, "ven_id", ven, msg("intake.cell.required")))
        if not _FINGERPRINT.match(fp):
            errors.append(RowError(name, line, "fingerprint", fp,
                                   msg("vpp.intake.fingerprint")))
        if ven in seen:
            errors.append(RowError(name, line, "ven_id", ven,
                                   msg("vpp.intake.repeated", lines=seen[ven])))
        seen.setdefault(ven, line)
        out[ven] = fp
    if not errors and not out:
        errors.append(RowError(name, None, None, None, msg("intake.file.no_rows")))
    if errors:
        raise InputValidationError(errors)
    return out
