"""Reading and validating import files (CSV, .xlsx, .xls) into canonical frames.

中文：导入文件解析与校验。Spreadsheets are read by :mod:`carbonpeak.intake.formats.excel`.

Every reader returns the rows it accepts *and* a list of :class:`RowError` naming file, line,
column and value; the caller refuses the whole file when that list is not empty, so a file is
never half-imported. Line numbers are those a spreadsheet shows (header = line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from carbonpeak.domain.plausibility import ledger_problems
from carbonpeak.domain.units import normalise_unit, unit_factor
from carbonpeak.errors import InputValidationError, RowError, UnitError
from carbonpeak.i18n import Label, Message, msg
from carbonpeak.intake.formats import excel
from carbonpeak.intake.formats.numbers import number_series
from carbonpeak.intake.formats.parsing import (
    EntityDirectory,
    Refusal,
    carrier_labels,
    parse_amount,
    parse_choice,
    parse_period,
    parse_street,
    parse_year,
    scale_suffix,
)
from carbonpeak.intake.formats.readings import MeterInfo, ValidatedReadings, validate_readings
from carbonpeak.intake.formats.text import CONTROL_RE2, control_character, xlsx_value
from carbonpeak.intake.formats.vocab import COLUMNS, SUBMETERS, canonical_column

__all__ = [
    "ParsedFile",
    "decode_text",
    "ledger_remarks",
    "parse_entities",
    "parse_ledger",
    "parse_meters",
    "parse_readings",
    "parse_statistics",
    "read_import_file",
]

#: the longest remark (备注) a ledger row may carry
NOTE_LIMIT = 500
_SECTOR = re.compile(r"^[A-T](\d{2,4})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ParsedFile:
    """A file read into strings with canonical column names."""

    name: str
    frame: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    present_columns: set[str] = field(default_factory=set)
    sheet: str | None = None


def decode_text(raw: bytes, name: str) -> tuple[str, str]:
    """Text and encoding of ``raw``: UTF-8 (BOM or not), else GB18030/GBK; else refused."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    err = RowError(name, None, None, None, msg("intake.file.encoding"))
    raise InputValidationError([err])


def read_import_file(path: Path, kind: str, *,
                     rename: Mapping[str, str] | None = None) -> ParsedFile:
    """Read an import file of ``kind`` (entities, meters, readings, ledger, statistics).

    ``rename`` maps a header of the file to the contract's column the user chose for it
    (``""``: ignore it); the other headers are recognised by their aliases.

    CSV, or a spreadsheet (.xlsx, .xls; recognised by its magic bytes) whose rows then carry
    the spreadsheet's own row numbers and whose errors name the sheet.

    Raises
    ------
    InputValidationError
        The file is not text, cannot be parsed as CSV, or lacks required columns.
    """
    name = path.name
    fmt = excel.spreadsheet_format(path)
    if fmt is not None:
        table = excel.read_spreadsheet(path, kind, fmt)
        sheet_frame = pd.DataFrame(table.rows, columns=range(len(table.headers)), dtype=str)
        ignored_extra = [f"(column {c}, no header)" for c in table.unnamed]
        return _to_parsed(name, kind, table.headers, sheet_frame, table.lines, fmt,
                          header_line=table.header_line, sheet=table.sheet,
                          ignored=ignored_extra, rename=rename)
    text, enc = decode_text(path.read_bytes(), name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                engine="c", index_col=False,
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            _check_extra_fields(text, name)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputValidationError(
            [RowError(name, int(line.group(1)) if line else None, None, None,
                      msg("intake.file.bad_csv", detail=str(exc)))]
        ) from None
    headers = [str(c) for c in frame.columns]
    lines = list(range(2, len(frame) + 2))
    frame.columns = pd.RangeIndex(len(headers))
    return _to_parsed(name, kind, headers, frame, lines, enc, rename=rename)


def _to_parsed(name: str, kind: str, headers: list[str], frame: pd.DataFrame, lines: list[int],
               enc: str, *, header_line: int = 1, sheet: str | None = None,
               ignored: list[str] | None = None,
               rename: Mapping[str, str] | None = None) -> ParsedFile:
    """Canonical column names, required columns checked, cells stripped, blank rows dropped.

    ``frame`` has positional columns (0..n-1) matching ``headers``; ``lines`` numbers its rows.
    """
    mapping: dict[int, str] = {}
    ignored = list(ignored or [])
    errors: list[RowError] = []
    for pos, col in enumerate(headers):
        if not col:
            continue
        canon = (rename[col] or None) if rename and col in rename \
            else canonical_column(kind, col)
        if canon is None:
            ignored.append(col)
        elif canon in mapping.values():
            errors.append(RowError(name, header_line, col, None,
                                   msg("intake.file.duplicate_column", column=canon), sheet))
        else:
            mapping[pos] = canon
    frame = frame[list(mapping)]
    frame.columns = pd.Index(list(mapping.values()))
    present = set(frame.columns)
    for col, (required, aliases) in COLUMNS[kind].items():
        if required and col not in frame.columns:
            why = msg("intake.file.missing_column_or", column=col,
                      aliases=", ".join(aliases[:2])) if aliases \
                else msg("intake.file.missing_column", column=col)
            errors.append(RowError(name, header_line, col, None, why, sheet))
    if errors:
        raise InputValidationError(errors)
    for col in COLUMNS[kind]:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame.fillna("")
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    frame["_line"] = pd.Series(np.asarray(lines, dtype=np.int64), index=frame.index)
    blank = (frame.drop(columns="_line") == "").all(axis=1)
    pf = ParsedFile(name, frame[~blank].reset_index(drop=True), ignored, enc, present, sheet)
    bad = control_errors(pf)
    if bad:
        raise InputValidationError(bad)
    return pf


def control_errors(pf: ParsedFile) -> list[RowError]:
    """Every cell holding a control character (:mod:`carbonpeak.intake.formats.text`), named
    by row and column; the value is shown escaped (``<U+000B>``)."""
    errors: list[RowError] = []
    for col in pf.frame.columns:
        if col == "_line":
            continue
        values = pf.frame[col].astype(str)
        hit = values.str.contains(CONTROL_RE2, regex=True)
        if not bool(hit.any()):
            continue
        for line, v in zip(pf.frame.loc[hit, "_line"], values[hit], strict=True):
            char = control_character(v) or ""
            errors.append(RowError(pf.name, int(line), str(col), xlsx_value(v)[:200], msg(
                "intake.cell.control_character",
                char=f"NUL, {char}" if char == "U+0000" else char), pf.sheet))
    return sorted(errors, key=lambda e: (e.row or 0, e.column or ""))


def _check_extra_fields(text: str, name: str) -> None:
    """Rows longer than the header: fine when the extra fields are empty (a trailing comma)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    errors = [
        RowError(name, line, None, None,
                 msg("intake.file.extra_fields", fields=len(row), header=len(header)))
        for line, row in enumerate(rows, start=2)
        if len(row) > len(header) and any(v.strip() for v in row[len(header):])
    ]
    if errors:
        raise InputValidationError(errors)


# -- helpers ------------------------------------------------------------------------------
def _number(
    pf: ParsedFile, col: str, errors: list[RowError], *, required: bool,
    check: Callable[[pd.Series], pd.Series] | None = None,
    why: Message | None = None, form: str = "plain",
) -> pd.Series:
    """A number column (:mod:`~carbonpeak.intake.formats.parsing`): ``form`` ``"plain"`` (the
    one number rule, full-width digits too), ``"amount"`` (a trailing 万/亿 applied),
    ``"in_wan"`` (the column counts in 万: a 万 in a cell is refused, not applied twice) or
    ``"year"`` (``2025年`` too)."""
    raw = pf.frame[col]
    # the one number rule: "12,000.5" is a number, "1,5" is not
    values = number_series(raw)
    bad = values.isna() & (raw != "")
    if required:
        _flag(pf, raw == "", col, errors, msg("intake.cell.required"))
    if bool(bad.any()):
        values, bad = _parsed_numbers(pf, col, values, bad, errors, form)
    if check is not None and why is not None:
        _flag(pf, ~bad & values.notna() & ~check(values), col, errors, why)
    return values


def _parsed_numbers(pf: ParsedFile, col: str, values: pd.Series, bad: pd.Series,
                    errors: list[RowError], form: str) -> tuple[pd.Series, pd.Series]:
    """The cells the plain rule refused, read by the Chinese-friendly rules (each distinct
    text once); what these refuse too is flagged with its reason."""
    raw = pf.frame[col]
    read: dict[str, float | Refusal] = {}
    for text in raw[bad].unique().tolist():
        got: int | float | Refusal = parse_year(text) if form == "year" else parse_amount(
            text, scaled=form == "amount", unit_in_wan=form == "in_wan")
        read[text] = float(got) if isinstance(got, int) else got
    parsed = raw[bad].map(read)
    ok = parsed.map(lambda v: not isinstance(v, Refusal)).astype(bool)
    values = values.copy()
    values.loc[parsed.index[ok.to_numpy()]] = parsed[ok].astype("float64")
    for line, text, v in zip(pf.frame.loc[parsed.index, "_line"], raw[bad], parsed,
                             strict=True):
        if isinstance(v, Refusal):
            errors.append(RowError(pf.name, int(line), col, str(text), v.why))
    return values, bad & ~ok.reindex(bad.index, fill_value=False)


def _flag(pf: ParsedFile, mask: pd.Series, col: str, errors: list[RowError],
          why: Message) -> None:
    if not bool(mask.any()):
        return
    sub = pf.frame.loc[mask, ["_line", col]]
    errors.extend(
        RowError(pf.name, int(line), col, str(val), why)
        for line, val in zip(sub["_line"], sub[col], strict=True)
    )


def _vocab(pf: ParsedFile, col: str, vocab: str, errors: list[RowError], *, required: bool,
           allowed: str | list[Label]) -> pd.Series:
    raw = pf.frame[col]
    read = {v: parse_choice(vocab, v, allowed) for v in raw.unique().tolist() if v}
    mapped = raw.map(lambda v: None if not v or isinstance(read[v], Refusal) else read[v])
    if required:
        _flag(pf, raw == "", col, errors, msg("intake.cell.required"))
    for line, v in zip(pf.frame["_line"].tolist(), raw.tolist(), strict=True):
        got = read.get(v)
        if isinstance(got, Refusal):
            errors.append(RowError(pf.name, int(line), col, v, got.why))
    return mapped


def _references(pf: ParsedFile, col: str, known: Callable[[str], bool], errors: list[RowError],
                why: Message) -> None:
    raw = pf.frame[col]
    _flag(pf, (raw != "") & ~raw.map(known).astype(bool), col, errors, why)


def _duplicates(pf: ParsedFile, cols: list[str], errors: list[RowError], *,
                same_ok: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """Flag rows whose key repeats; returns a mask of exact repeats to drop (if allowed)."""
    keyed = pf.frame[cols]
    dup = keyed.duplicated(keep=False)
    if not bool(dup.any()):
        return pd.Series(False, index=pf.frame.index)
    if same_ok is not None:
        values = pd.DataFrame(same_ok)
        full = pd.concat([keyed, values], axis=1)
        conflicting = dup & ~full.duplicated(keep=False)
        conflict_keys = keyed[conflicting].drop_duplicates()
        merged = keyed.merge(conflict_keys.assign(_c=True), how="left", on=cols)["_c"]
        in_conflict = merged.fillna(False).to_numpy(dtype=bool)
        _flag_dups(pf, cols, pd.Series(in_conflict, index=pf.frame.index), errors,
                   "intake.cell.repeat_conflict")
        return pd.Series(full.duplicated(keep="first").to_numpy() & ~in_conflict,
                         index=pf.frame.index)
    _flag_dups(pf, cols, dup, errors, "intake.cell.repeat")
    return pd.Series(False, index=pf.frame.index)


def _flag_dups(pf: ParsedFile, cols: list[str], mask: pd.Series, errors: list[RowError],
               code: str) -> None:
    sub = pf.frame.loc[mask]
    lines_by_key = sub.groupby(cols, sort=False)["_line"].apply(list)
    for key, lines in lines_by_key.items():
        key_t = key if isinstance(key, tuple) else (key,)
        shown = ", ".join(f"{c}={v}" for c, v in zip(cols, key_t, strict=True))
        for line in lines:
            others = [str(x) for x in lines if x != line]
            errors.append(RowError(pf.name, int(line), cols[0], shown,
                                   msg(code, lines=", ".join(others))))


# -- entities -----------------------------------------------------------------------------
def parse_entities(pf: ParsedFile, *, streets: Mapping[str, int],
                   known_entities: set[str]) -> list[dict[str, Any]]:
    """Validate an entities file. ``streets`` maps any accepted street spelling to its id."""
    errors: list[RowError] = []
    f = pf.frame
    _flag(pf, f["entity_id"] == "", "entity_id", errors, msg("intake.cell.required"))
    _flag(pf, f["name"] == "", "name", errors, msg("intake.cell.required"))
    _duplicates(pf, ["entity_id"], errors)
    kind = _vocab(pf, "kind", "kind", errors, required=True,
                  allowed="building, enterprise, public_institution (建筑/企业/公共机构)")
    btype = _vocab(pf, "building_type", "building_type", errors, required=False,
                   allowed="office, hotel, mall, hospital, school, government, data_centre, "
                   "mixed, other")
    # required for new buildings; an update of a registered one may leave them out
    needs_place = kind.isin(["building", "public_institution"]) & ~f["entity_id"].isin(
        list(known_entities))
    _flag(pf, needs_place & (f["building_type"] == ""), "building_type", errors,
          msg("intake.cell.required_for_buildings"))
    _flag(pf, needs_place & (f["street"] == ""), "street", errors,
          msg("intake.cell.required_for_buildings"))
    street_ids = _streets(pf, streets, errors)
    area = _number(pf, "floor_area_m2", errors, required=False, check=lambda v: v > 0,
                   why=msg("intake.cell.positive_m2"), form="amount")
    lat = _number(pf, "lat", errors, required=False, check=lambda v: v.between(-90, 90),
                  why=msg("intake.cell.latitude"))
    lon = _number(pf, "lon", errors, required=False, check=lambda v: v.between(-180, 180),
                  why=msg("intake.cell.longitude"))
    in_file = set(f["entity_id"])
    _references(pf, "parent_id", lambda p: p in in_file or p in known_entities, errors,
                msg("intake.cell.unknown_parent"))
    _flag(pf, (f["parent_id"] != "") & (f["parent_id"] == f["entity_id"]), "parent_id", errors,
          msg("intake.cell.own_parent"))
    sector = f["sector_code"].str.upper()
    _flag(pf, (sector != "") & ~sector.str.match(_SECTOR), "sector_code", errors,
          msg("intake.cell.sector_code"))
    if errors:
        raise InputValidationError(errors)
    street_col = street_ids
    return [
        {"id": eid, "name": name, "kind": _text(k),
         "street_id": st,
         "building_type": _text(bt), "floor_area_m2": _opt(a), "lat": _opt(la), "lon": _opt(lo),
         "parent_id": parent or None, "sector_code": sec or None, "_line": int(line)}
        for eid, name, k, st, bt, a, la, lo, parent, sec, line in zip(
            f["entity_id"].tolist(), f["name"].tolist(), kind.tolist(), street_col,
            btype.tolist(), area.tolist(), lat.tolist(), lon.tolist(), f["parent_id"].tolist(),
            sector.tolist(), f["_line"].tolist(), strict=True)
    ]


def _streets(pf: ParsedFile, streets: Mapping[str, int],
             errors: list[RowError]) -> list[int | None]:
    """The street id of each row (None when blank); an unknown street is flagged with the
    nearest street of the district as a suggestion."""
    read = {v: parse_street(v, streets) for v in pf.frame["street"].unique().tolist() if v}
    out: list[int | None] = []
    for line, v in zip(pf.frame["_line"].tolist(), pf.frame["street"].tolist(), strict=True):
        got = read.get(v)
        if isinstance(got, Refusal):
            errors.append(RowError(pf.name, int(line), "street", v, got.why))
            got = None
        out.append(got)
    return out


def _entities(pf: ParsedFile, directory: EntityDirectory, errors: list[RowError]) -> pd.Series:
    """The entity code of each row's ``entity_id`` cell (a code, an exact name or the
    template's ``code 名称``); a cell naming none, or several, is flagged (with a suggestion)
    and kept as written."""
    raw = pf.frame["entity_id"]
    read = {v: directory.resolve(v) for v in raw.unique().tolist() if v}
    for line, v in zip(pf.frame["_line"].tolist(), raw.tolist(), strict=True):
        got = read.get(v)
        if isinstance(got, Refusal):
            errors.append(RowError(pf.name, int(line), "entity_id", v, got.why))
    return raw.map(lambda v: v if not isinstance(read.get(v), str) else read[v])


def entity_directory(known_entities: set[str],
                     entity_names: Mapping[str, str] | None) -> EntityDirectory:
    """The entities a file may name: ``known_entities``, with their names where given."""
    names = entity_names or {}
    return EntityDirectory({e: names.get(e, "") for e in sorted(known_entities)})


def _opt(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _text(v: object) -> str | None:
    """A code or text value, None for missing (None, NaN, empty)."""
    return v if isinstance(v, str) and v else None


# -- meters -------------------------------------------------------------------------------
def parse_meters(pf: ParsedFile, *, known_entities: set[str],
                 entity_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Validate a meters file. ``entity_names`` (code → name) lets a row name its entity by
    name or ``code 名称``, and names the suggestion for an unknown one."""
    errors: list[RowError] = []
    _flag(pf, pf.frame["entity_id"] == "", "entity_id", errors, msg("intake.cell.required"))
    entity = _entities(pf, entity_directory(known_entities, entity_names), errors)
    pf = replace(pf, frame=pf.frame.assign(entity_id=entity))
    f = pf.frame
    _flag(pf, f["meter_id"] == "", "meter_id", errors, msg("intake.cell.required"))
    _duplicates(pf, ["meter_id"], errors)
    carrier = _vocab(pf, "carrier", "carrier", errors, required=True, allowed=carrier_labels())
    sub = _vocab(pf, "submeter", "submeter", errors, required=False,
                 allowed="(blank = main meter), " + ", ".join(SUBMETERS))
    register = _vocab(pf, "register", "register", errors, required=True,
                      allowed="interval, cumulative (间隔/累计)")
    _flag(pf, f["unit"] == "", "unit", errors, msg("intake.cell.required"))
    _check_units(pf, f["unit"].tolist(), carrier.tolist(), errors)
    mult = _number(pf, "multiplier", errors, required=False, check=lambda v: v > 0,
                   why=msg("intake.cell.positive_ct_pt"))
    interval = _number(pf, "interval_minutes", errors, required=False,
                       check=lambda v: (v > 0) & (v == v.round()) & (v <= 44640),
                       why=msg("intake.cell.interval_minutes"))
    rollover = _number(pf, "rollover_at", errors, required=False, check=lambda v: v > 0,
                       why=msg("intake.cell.positive"))
    ceiling = _number(pf, "ceiling", errors, required=False, check=lambda v: v > 0,
                      why=msg("intake.cell.positive"))
    commissioned = _dates(pf, "commissioned_on", errors)
    if errors:
        raise InputValidationError(errors)
    return [
        {"id": mid, "entity_id": eid, "carrier": _text(c), "unit": normalise_unit(u),
         "submeter": _text(sm), "register": _text(rg),
         "multiplier": 1.0 if math.isnan(mu) else float(mu),
         "interval_minutes": 60 if math.isnan(iv) else int(iv), "rollover_at": _opt(ro),
         "ceiling": _opt(ce), "commissioned_on": co, "_line": int(line)}
        for mid, eid, c, u, sm, rg, mu, iv, ro, ce, co, line in zip(
            f["meter_id"].tolist(), f["entity_id"].tolist(), carrier.tolist(),
            f["unit"].tolist(), sub.tolist(), register.tolist(), mult.tolist(),
            interval.tolist(), rollover.tolist(), ceiling.tolist(), commissioned,
            f["_line"].tolist(), strict=True)
    ]


def _dates(pf: ParsedFile, col: str, errors: list[RowError]) -> list[dt.date | None]:
    """Optional ISO dates (YYYY-MM-DD) of ``col``; a bad one is a RowError naming its line."""
    out: list[dt.date | None] = []
    for raw, line in zip(pf.frame[col].tolist(), pf.frame["_line"].tolist(), strict=True):
        value: dt.date | None = None
        if raw:
            try:
                value = dt.date.fromisoformat(raw) if _DATE.match(raw) else None
            except ValueError:
                value = None
            if value is None:
                errors.append(RowError(pf.name, int(line), col, raw,
                                       msg("intake.cell.date", example="2023-06-01")))
        out.append(value)
    return out


def _check_units(pf: ParsedFile, units: list[str], carriers: list[Any],
                 errors: list[RowError]) -> None:
    """Name every row whose unit does not measure its carrier (checked once per pair)."""
    verdicts: dict[tuple[str, str], Message | None] = {}
    for unit, carrier, line in zip(units, carriers, pf.frame["_line"].tolist(), strict=True):
        if not unit or not isinstance(carrier, str):
            continue
        if (unit, carrier) not in verdicts:
            try:
                unit_factor(unit, carrier)
                verdicts[(unit, carrier)] = None
            except UnitError as exc:
                verdicts[(unit, carrier)] = exc.reason or msg("intake.text", text=str(exc))
        problem = verdicts[(unit, carrier)]
        if problem is not None:
            errors.append(RowError(pf.name, int(line), "unit", unit, problem))


# -- readings -----------------------------------------------------------------------------
def parse_readings(
    pf: ParsedFile, *, meters: Mapping[str, str], tz: str,
    screen: Callable[[ValidatedReadings], None] | None = None,
) -> tuple[dict[str, pa.Table], int]:
    """Validate a readings file against the registered ``meters`` (id → register type).

    The rows go through the validator pushed readings go through
    (:func:`~carbonpeak.intake.formats.readings.validate_readings`): the same time forms, the
    same number rule, the same errors; a file is then refused whole when any row is bad.
    ``screen`` (the plausibility checks,
    :func:`carbonpeak.intake.plausibility.screen_readings`) may refuse more rows first.

    Returns
    -------
    tables, collapsed
        ``{"readings": interval rows, "registers": cumulative rows}`` (columns meter_id, ts,
        value, month) and the number of exact duplicate rows collapsed into one.
    """
    f = pf.frame
    raw = pa.table({
        "meter_id": pa.array(f["meter_id"].tolist(), pa.string()),
        "ts": pa.array(f["ts"].tolist(), pa.string()),
        "value": pa.array(f["value"].tolist(), pa.string()),
        "unit": pa.nulls(len(f), pa.string()),
        "row": pa.array(f["_line"].tolist(), pa.int64()),
    })
    info = {m: MeterInfo(register, "", "") for m, register in meters.items()}
    checked = validate_readings(raw, info, tz=tz, source=pf.name,
                                unknown_meter=msg("intake.cell.unregistered_meter"))
    if screen is not None and not checked.errors:
        screen(checked)
    if checked.errors:
        raise InputValidationError(checked.errors)
    return checked.tables, checked.collapsed


# -- ledger -------------------------------------------------------------------------------
def parse_ledger(pf: ParsedFile, *, known_entities: set[str],
                 history: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
                 ceilings: Mapping[str, float] | None = None,
                 entity_names: Mapping[str, str] | None = None) -> pa.Table:
    """Validate a ledger (台账) file: monthly quantity per entity and carrier.

    A quantity beyond plausibility is refused (:func:`carbonpeak.domain.plausibility.
    ledger_problems`): above a month's ceiling of the carrier (``ceilings`` override the
    defaults), or 316× or more the entity's typical monthly quantity (the median of the
    ``history`` months, per entity and carrier in canonical unit, that the file does not
    give again; at least three).

    The cells are read by the Chinese-friendly rules of
    :mod:`~carbonpeak.intake.formats.parsing` (``2025年2月``, ``3.5万``, ``公升``, ``天然气``,
    ``HP-B0003 商务大厦``); ``entity_names`` (code → name) lets a row name its entity.
    """
    errors: list[RowError] = []
    _flag(pf, pf.frame["entity_id"] == "", "entity_id", errors, msg("intake.cell.required"))
    entity = _entities(pf, entity_directory(known_entities, entity_names), errors)
    pf = replace(pf, frame=pf.frame.assign(entity_id=entity))
    f = pf.frame
    period = _periods(pf, errors)
    carrier = _vocab(pf, "carrier", "carrier", errors, required=True, allowed=carrier_labels())
    _flag(pf, f["unit"] == "", "unit", errors, msg("intake.cell.required"))
    units = f["unit"].map(normalise_unit)
    in_wan = units.str.startswith("万")
    qty = _number(pf, "quantity", errors, required=True, check=lambda v: v >= 0,
                  why=msg("intake.cell.non_negative"), form="amount")
    scaled = f["quantity"].map(lambda q: scale_suffix(q)[1] != 1.0).astype(bool)
    for line, q in zip(f.loc[in_wan & scaled, "_line"], f.loc[in_wan & scaled, "quantity"],
                       strict=True):  # "3.5万" in 万kWh: refused, not multiplied twice
        why = parse_amount(q, unit_in_wan=True)
        if isinstance(why, Refusal):
            errors.append(RowError(pf.name, int(line), "quantity", q, why.why))
    qty = qty.where(~(in_wan & scaled))
    if "note" in f.columns:
        _flag(pf, f["note"].str.len() > NOTE_LIMIT, "note", errors,
              msg("intake.cell.longer_than", limit=NOTE_LIMIT))
    _check_units(pf, f["unit"].tolist(), carrier.tolist(), errors)
    _check_plausible(pf, qty, units, carrier, _typical(history or {}, f, period, carrier),
                     ceilings or {}, errors)
    tmp = ParsedFile(pf.name, f.assign(period=period, carrier=carrier.fillna("")))
    repeat = _duplicates(tmp, ["entity_id", "period", "carrier"], errors,
                         same_ok={"q": qty, "u": units})
    if errors:
        raise InputValidationError(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    keep = ~repeat
    return pa.table({
        "entity_id": pa.array(f["entity_id"][keep], pa.string()),
        "period": pa.array(period[keep], pa.string()),
        "carrier": pa.array(carrier[keep], pa.string()),
        "quantity": pa.array(qty[keep], pa.float64()),
        "unit": pa.array(units[keep], pa.string()),
        "line": pa.array(f["_line"][keep], pa.int32()),
        "month": pa.array(period[keep], pa.string()),
    })


def ledger_remarks(pf: ParsedFile, table: pa.Table) -> list[dict[str, str]]:
    """The remarks (``note``, 备注) of the ledger rows :func:`parse_ledger` kept in ``table``,
    matched by line: ``entity_id``, ``period``, ``carrier``, ``note`` of each row with one."""
    if "note" not in pf.frame.columns:
        return []
    notes = {int(line): str(n) for line, n in zip(pf.frame["_line"], pf.frame["note"],
                                                    strict=True) if n}
    return [{"entity_id": r["entity_id"], "period": r["period"], "carrier": r["carrier"],
             "note": notes[r["line"]]}
            for r in table.select(["entity_id", "period", "carrier", "line"]).to_pylist()
            if r["line"] in notes]


def _periods(pf: ParsedFile, errors: list[RowError]) -> pd.Series:
    """The ``YYYY-MM`` of each row's period cell (``""`` where it is refused)."""
    raw = pf.frame["period"]
    read = {v: parse_period(v) for v in raw.unique().tolist()}
    for line, v in zip(pf.frame["_line"].tolist(), raw.tolist(), strict=True):
        got = read[v]
        if isinstance(got, Refusal):
            errors.append(RowError(pf.name, int(line), "period", v, got.why))
    return raw.map(lambda v: read[v] if isinstance(read[v], str) else "")


def _typical(history: Mapping[tuple[str, str], Mapping[str, float]], f: pd.DataFrame,
             period: pd.Series, carrier: pd.Series) -> dict[tuple[str, str], float]:
    """Per (entity, carrier), the median live month the file does not replace (>= 3)."""
    given: dict[tuple[str, str], set[str]] = {}
    for e, p, c in zip(f["entity_id"].tolist(), period.tolist(), carrier.tolist(), strict=True):
        if isinstance(c, str):
            given.setdefault((e, c), set()).add(str(p))
    out = {}
    for key, months in history.items():
        left = [q for p, q in months.items() if p not in given.get(key, set())]
        if len(left) >= 3:  # noqa: PLR2004
            out[key] = float(np.median(left))
    return out


def _check_plausible(pf: ParsedFile, qty: pd.Series, units: pd.Series, carrier: pd.Series,
                     history: Mapping[tuple[str, str], float], ceilings: Mapping[str, float],
                     errors: list[RowError]) -> None:
    canonical: list[float] = []
    for q, u, c in zip(qty.tolist(), units.tolist(), carrier.tolist(), strict=True):
        try:
            canonical.append(float(q) * unit_factor(u, c) if isinstance(c, str) and u
                             else math.nan)
        except UnitError:
            canonical.append(math.nan)
    cars = [c if isinstance(c, str) else None for c in carrier.tolist()]
    lines = pf.frame["_line"].tolist()
    raw = pf.frame["quantity"].tolist()
    for i, why in ledger_problems(pf.frame["entity_id"].tolist(), cars, canonical, history,
                                  ceilings):
        errors.append(RowError(pf.name, int(lines[i]), "quantity", str(raw[i]), why))


# -- statistics ---------------------------------------------------------------------------
def parse_statistics(pf: ParsedFile) -> list[dict[str, Any]]:
    """Validate district statistics: year, GDP, population, total energy (tce, equal value)
    and CO2 (t) of the district's official statistics.

    GDP as the 统计公报 gives it: ``gdp_current_10k_cny`` (current prices) and
    ``gdp_real_growth_pct`` (real growth at comparable prices, %, e.g. ``6.5``); or
    ``gdp_10k_cny``, already at the comparable prices of the district's price base year."""
    errors: list[RowError] = []
    year = _number(pf, "year", errors, required=True,
                   check=lambda v: (v == v.round()) & v.between(1990, 2100),
                   why=msg("intake.cell.year", first=1990, last=2100), form="year")
    _duplicates(pf, ["year"], errors)
    gdp = _number(pf, "gdp_10k_cny", errors, required=False, check=lambda v: v > 0,
                  why=msg("intake.cell.positive_10k_cny"), form="in_wan")
    current = _number(pf, "gdp_current_10k_cny", errors, required=False,
                      check=lambda v: v > 0, why=msg("intake.cell.positive_10k_cny"),
                      form="in_wan")
    growth = _number(pf, "gdp_real_growth_pct", errors, required=False,
                     check=lambda v: v.between(-50, 50),
                     why=msg("intake.cell.growth_pct", low=-50, high=50))
    pop = _number(pf, "population", errors, required=False, check=lambda v: v > 0,
                  why=msg("intake.cell.positive"), form="amount")
    energy = _number(pf, "energy_tce", errors, required=False, check=lambda v: v > 0,
                     why=msg("intake.cell.positive_tce"), form="amount")
    co2 = _number(pf, "co2_t", errors, required=False, check=lambda v: v > 0,
                  why=msg("intake.cell.positive_tco2"), form="amount")
    if errors:
        raise InputValidationError(errors)
    return [
        {"year": int(y), "gdp_10k_cny": _opt(g), "gdp_current_10k_cny": _opt(gc),
         "gdp_real_growth_pct": _opt(gr), "population": _opt(p), "energy_tce": _opt(e),
         "co2_t": _opt(c), "_line": int(line)}
        for y, g, gc, gr, p, e, c, line in zip(
            year.tolist(), gdp.tolist(), current.tolist(), growth.tolist(), pop.tolist(),
            energy.tolist(), co2.tolist(), pf.frame["_line"].tolist(), strict=True)
    ]
