"""Reading a quota table (能耗限额标准) from CSV: every bad cell named, nothing half-read.

中文：读取能耗限额表（CSV）。每个错误单元格均指明行与列，有错误则整表拒收。

One file holds one table (one ``table_id``); each row is one quota class with its constraint
(约束值) and guide (引导值) values, the convention of its EUI (see
:mod:`carbonpeak.domain.benchmarking`), and its own source and status. The shipped tables are
``reference/quotas/*.csv``; a district admin loads a checked table with ``carbonpeak quotas
load`` (a new version of the table when its content changed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from carbonpeak.domain.benchmarking import CONVENTIONS
from carbonpeak.domain.units import CARRIERS
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.formats.numbers import parse_number
from carbonpeak.intake.formats.vocab import BUILDING_TYPES
from carbonpeak.vocabulary import QuotaStatus

#: the registry's column widths (QuotaRowRecord)
MAX_LENGTH = {"region": 64, "quota_class": 64, "label_zh": 256, "label_en": 256,
              "default_for": 32, "convention": 32, "exclude_carriers": 128, "unit": 32,
              "status": 16}
TABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

__all__ = ["COLUMNS", "STATUSES", "QuotaRowSpec", "QuotaTableSpec", "decode_text",
           "read_quota_file"]

COLUMNS = ("table_id", "region", "quota_class", "label_zh", "label_en", "default_for", "metric",
           "convention", "electricity_kgce_per_kwh", "exclude_carriers", "constraint_value",
           "guide_value", "unit", "status", "source", "note")
REQUIRED = ("table_id", "region", "quota_class", "label_zh", "convention",
            "electricity_kgce_per_kwh", "constraint_value", "unit", "status", "source")
STATUSES: tuple[QuotaStatus, ...] = tuple(QuotaStatus)


@dataclass(frozen=True)
class QuotaRowSpec:
    """One row of a quota table as read from its file."""

    region: str
    quota_class: str
    label_zh: str
    label_en: str
    default_for: str
    metric: str
    convention: str
    electricity_kgce_per_kwh: float
    exclude_carriers: str
    constraint_value: float
    guide_value: float | None
    unit: str
    status: str
    source: str
    note: str


@dataclass(frozen=True)
class QuotaTableSpec:
    """A whole quota table read from one file."""

    table_id: str
    origin: str
    rows: tuple[QuotaRowSpec, ...]

    @property
    def checksum(self) -> str:
        """SHA-256 of the rows' content (the file's layout and order of columns aside)."""
        body = json.dumps([asdict(r) for r in self.rows], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(f"{self.table_id}\n{body}".encode()).hexdigest()


def _number(text: str, name: str, err: list[RowError], where: tuple[str, int],
            *, required: bool) -> float | None:
    if text == "":
        if required:
            err.append(RowError(where[0], where[1], name, "", msg("intake.quota.required")))
        return None
    value = parse_number(text)
    if value is None:
        err.append(RowError(where[0], where[1], name, text, msg("intake.quota.not_number")))
        return None
    if not math.isfinite(value) or value <= 0:
        err.append(RowError(where[0], where[1], name, text, msg("intake.quota.positive")))
        return None
    return value


def decode_text(path: Path) -> str:
    """A small text file's content, UTF-8 (with or without BOM) or GB18030."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        err = RowError(path.name, None, None, None,
                       msg("intake.quota.encoding"))
        raise InputValidationError([err]) from None


def read_quota_file(path: Path) -> QuotaTableSpec:
    """Read and check a quota table; raise :class:`InputValidationError` with every problem.

    Checks: the header has every column; required cells are filled; numbers are positive;
    ``guide_value ≤ constraint_value``; ``convention`` is one we compute; ``status`` is
    verified/unverified/provisional; ``default_for`` is a building type; excluded carriers exist;
    one ``table_id`` per file; no class twice for the same region; no building type defaulted
    to two classes of one region.
    """
    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                                     msg("intake.file.not_found"))])
    reader = csv.DictReader(io.StringIO(decode_text(path)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputValidationError([RowError(name, 1, c, None, msg("intake.quota.column_missing"))
                                    for c in missing])
    errors: list[RowError] = []
    rows: list[QuotaRowSpec] = []
    table_ids: set[str] = set()
    seen: dict[tuple[str, str], int] = {}
    defaults: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(reader, start=2):
        r = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = (name, line)
        n_before = len(errors)
        for c in REQUIRED:
            if c not in ("electricity_kgce_per_kwh", "constraint_value") and not r[c]:
                errors.append(RowError(name, line, c, "", msg("intake.quota.required")))
        for c, most in MAX_LENGTH.items():
            if len(r[c]) > most:
                errors.append(RowError(name, line, c, r[c][:40] + "…",
                                       msg("intake.quota.too_long", limit=most)))
        if r["table_id"] and not TABLE_ID.fullmatch(r["table_id"]):
            errors.append(RowError(name, line, "table_id", r["table_id"][:40],
                                   msg("intake.quota.table_id")))
        elif r["table_id"]:
            table_ids.add(r["table_id"])
        coef = _number(r["electricity_kgce_per_kwh"], "electricity_kgce_per_kwh", errors, where,
                       required=True)
        limit = _number(r["constraint_value"], "constraint_value", errors, where, required=True)
        guide = _number(r["guide_value"], "guide_value", errors, where, required=False)
        if r["convention"] and r["convention"] not in CONVENTIONS:
            errors.append(RowError(name, line, "convention", r["convention"],
                                   msg("intake.quota.convention",
                                       conventions=", ".join(CONVENTIONS))))
        elif r["convention"] and r["unit"] and r["unit"] != CONVENTIONS[r["convention"]]:
            errors.append(RowError(name, line, "unit", r["unit"],
                                   msg("intake.quota.unit", convention=r["convention"],
                                       unit=CONVENTIONS[r["convention"]])))
        if r["status"] and r["status"] not in STATUSES:
            errors.append(RowError(name, line, "status", r["status"],
                                   msg("intake.quota.status",
                                       statuses=", ".join(STATUSES))))
        if r["default_for"] and r["default_for"] not in BUILDING_TYPES:
            errors.append(RowError(name, line, "default_for", r["default_for"],
                                   msg("intake.quota.building_type",
                                       types=", ".join(BUILDING_TYPES))))
        for c in filter(None, (x.strip() for x in r["exclude_carriers"].split(","))):
            if c not in CARRIERS:
                errors.append(RowError(name, line, "exclude_carriers", c,
                                       msg("intake.quota.carrier")))
        if limit is not None and guide is not None and guide > limit:
            errors.append(RowError(name, line, "guide_value", r["guide_value"],
                                   msg("intake.quota.guide_above")))
        key = (r["region"], r["quota_class"])
        if key in seen:
            errors.append(RowError(name, line, "quota_class", r["quota_class"],
                                   msg("intake.quota.repeat_class", line=seen[key])))
        seen.setdefault(key, line)
        if r["default_for"]:
            dkey = (r["region"], r["default_for"])
            if dkey in defaults:
                errors.append(RowError(name, line, "default_for", r["default_for"],
                                       msg("intake.quota.repeat_default",
                                           line=defaults[dkey])))
            defaults.setdefault(dkey, line)
        if len(errors) == n_before and coef is not None and limit is not None:
            rows.append(QuotaRowSpec(
                region=r["region"], quota_class=r["quota_class"], label_zh=r["label_zh"],
                label_en=r["label_en"], default_for=r["default_for"], metric=r["metric"],
                convention=r["convention"], electricity_kgce_per_kwh=coef,
                exclude_carriers=",".join(sorted(filter(None, (
                    x.strip() for x in r["exclude_carriers"].split(","))))),
                constraint_value=limit, guide_value=guide, unit=r["unit"], status=r["status"],
                source=r["source"], note=r["note"]))
    if len(table_ids) > 1:
        errors.append(RowError(name, None, "table_id", ", ".join(sorted(table_ids)),
                               msg("intake.quota.one_table")))
    if not errors and not rows:
        errors.append(RowError(name, None, None, None, msg("intake.file.no_rows")))
    if errors:
        raise InputValidationError(errors)
    return QuotaTableSpec(table_id=table_ids.pop(), origin=name, rows=tuple(rows))
