"""Report-ready xlsx of the API's tables (报表导出): headers in the reader's language with
units, numbers rounded as the dashboard shows them (and an Excel number format that shows
them so), codes of the closed lists as their labels, a totals row, and a sheet 说明 / About
with the basis (口径), as-of date, account run and factor set.

中文：列表接口的报表版 Excel——中文（或英文）表头带单位，数值按驾驶舱的小数位取整并设置单元格
格式，代码显示为名称，可加总的列有合计行，另附“说明”页（口径、截至日期、核算批次、因子集）。

Each table's columns are declared once, in :data:`TABLES`: a column's key in the API's rows,
its header (``export.col.<key>`` in the message catalogue, unit included), and its kind:

* ``text`` — as it is (``pair=True``: the row's ``<key>_zh`` or ``<key>_en``);
* ``label`` — a code of a closed list (``vocab``), written as ``label.<vocab>.<code>``;
* ``number`` — rounded to ``digits`` (None: by size, as the dashboard's ``num()``: 0
  decimals from 100, 1 from 1, else 3) half away from zero, with the matching format;
* ``int`` — a whole number without separators (a year, an id);
* ``ratio`` — a fraction shown as a percentage with ``digits`` decimals (``0.0%``);
* ``date`` / ``datetime`` — an Excel date (a UTC timestamp in Beijing time);
* ``bool`` — 是/否 (Yes/No); ``list`` — items joined; ``json`` — compact JSON text.

A missing value (None: no data, or a cell left out for a role that may not see it) stays an
empty cell, never 0. The rows are the ones the API answers for the caller, so an export has
exactly the caller's scope. The machine-readable CSV (``format=csv``) keeps the API's field
names and raw values; only xlsx is the report.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from carbonpeak.i18n import Lang, Message, catalogue, render
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.publish.render import report_time
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import official_run
from carbonpeak.services.figures import round_value, year_end
from carbonpeak.storage.registry.models import FactorSetRecord, Street
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import FigureBasis

__all__ = ["TABLES", "About", "Col", "Sheet", "Table", "account_about", "cell_value",
           "entity_page_sheets", "header", "number_format", "report_workbook",
           "scope_text"]

Kind = Literal["text", "label", "number", "int", "ratio", "date", "datetime", "bool", "list",
               "json"]
BEIJING = ZoneInfo("Asia/Shanghai")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TOTAL_FILL = PatternFill("solid", fgColor="EEF2F7")
_HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")


@dataclass(frozen=True)
class Col:
    """One column of a report table (see the module's description of the kinds)."""

    key: str
    kind: Kind = "text"
    digits: int | None = 0
    vocab: str | None = None
    pair: bool = False
    total: bool = False
    width: int | None = None
    source: Mapping[str, str] | None = None  # the row key per language (instead of pair)
    field: str | None = None  # the row key when it is not ``key`` (the header's code)
    sizes: tuple[int, int, int] = (0, 1, 3)  # digits by size (digits=None): ≥100, ≥1, less

    def name(self, lang: Lang) -> str:
        """The key of the column's value in a row, in ``lang``."""
        if self.source is not None:
            return self.source[lang]
        if self.pair:
            return f"{self.field or self.key}_{lang}"
        return self.field or self.key

    def raw(self, row: Mapping[str, Any], lang: Lang) -> Any:  # noqa: ANN401 - a row's cell
        """The row's value of this column in ``lang`` (None for a NaN)."""
        key = self.name(lang)
        if self.source is not None and key not in row:  # a row without the language's own
            key = self.source["zh"]
        v = row.get(key)
        return None if isinstance(v, float) and math.isnan(v) else v


@dataclass(frozen=True)
class Table:
    """A report table: its title (``export.table.<name>``), its columns and the basis of
    its figures (None where it publishes none: registry lists, logs)."""

    name: str
    columns: tuple[Col, ...]
    basis: tuple[FigureBasis, ...] = ()

    @property
    def title(self) -> Message:
        """The table's title (``export.table.<name>``, hyphens as underscores)."""
        return Message(f"export.table.{self.name.replace('-', '_')}")


@dataclass(frozen=True)
class Sheet:
    """A table and its rows (one sheet of the workbook)."""

    table: Table
    rows: Sequence[Mapping[str, Any]]


@dataclass
class About:
    """What the sheet 说明 / About says: where the rows come from."""

    district: str
    scope: str
    year: int | None = None
    as_of: str | None = None
    account_run_id: int | None = None
    factor_set: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    extra: list[tuple[str, Any]] = field(default_factory=list)  # (label code, value)


# -- the columns, declared once -------------------------------------------------------------
def _n(key: str, digits: int | None = 0, *, total: bool = False) -> Col:
    return Col(key, "number", digits, total=total)


def _l(key: str, vocab: str, field: str | None = None) -> Col:
    return Col(key, "label", vocab=vocab, field=field)


ENTITY_ID, NAME = Col("entity_id", width=12), Col("name", width=28)
#: a street's name: the English edition reads ``street_en`` (the export adds it from the
#: registry's English names, :func:`carbonpeak.api.exports.report_response`)
STREET = Col("street", source={"zh": "street", "en": "street_en"}, width=14)
STREET_NAME = Col("street_name", pair=True, width=14)
KIND = _l("kind", "entity_kind")
BUILDING_TYPE = _l("building_type", "building_type")
FLOOR_AREA = _n("floor_area_m2", 0, total=True)
TCE_EQUAL = _n("tce_equal", None, total=True)
TCE_EQUIVALENT = _n("tce_equivalent", None, total=True)
TCO2 = _n("tco2", None, total=True)
COVERAGE = Col("coverage", "ratio", 1)
WARNING_LEVEL = _l("warning_level", "warning_level")
CARRIER = _l("carrier", "carrier")
QTY = [_n("quantity", None), Col("unit", width=8), TCE_EQUAL, TCE_EQUIVALENT, TCO2,
       _l("scope", "emission_scope"), COVERAGE]

_M, _O, _P = ((FigureBasis.METERED_ACCOUNT,), (FigureBasis.OBSERVATION,),
              (FigureBasis.PLAN_VALUE,))
_MP = (FigureBasis.METERED_ACCOUNT, FigureBasis.PLAN_VALUE)

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("entities", (ENTITY_ID, NAME, KIND, STREET_NAME, BUILDING_TYPE, FLOOR_AREA,
                       Col("sector", width=8), Col("parent_id", width=12),
                       Col("is_key_unit", "bool"), Col("key_unit_rule", width=50))),
    Table("meters", (Col("meter_id", width=12), ENTITY_ID, CARRIER, Col("unit", width=8),
                     Col("submeter"), _l("register", "meter_register"),
                     _n("multiplier", None), _n("interval_minutes"),
                     Col("commissioned_on", "date"))),
    Table("readings", (Col("ts", "datetime", width=20), _n("value", 3),
                       Col("batch_id", "int"))),
    Table("inventory", (ENTITY_ID, NAME, STREET, Col("district"), Col("sector", width=8),
                        BUILDING_TYPE, Col("month", width=9), CARRIER, *QTY,
                        _n("n_entities"), _n("missing_months"), Col("source"),
                        Col("factor_set", width=18)), _M),
    Table("key-units", (ENTITY_ID, NAME, KIND, STREET_NAME, Col("sector", width=8),
                        BUILDING_TYPE, FLOOR_AREA, _n("n_children"),
                        Col("tce_equal_consolidated", "number", 1, total=True,
                            field="tce_equal"),
                        _n("tce_own", 1),
                        TCE_EQUIVALENT, TCO2, _n("budget_tce", 0, total=True),
                        _n("budget_elastic_tce", 0, total=True), WARNING_LEVEL,
                        Col("warning_ratio", "ratio", 1),
                        Col("warning_reason", pair=True, width=50),
                        Col("key_unit_rule", source={"zh": "key_unit_rule",
                                                     "en": "key_unit_rule_en"}, width=50)),
          _MP),
    Table("streets", (Col("street", source={"zh": "name_zh", "en": "name_en"}, width=16),
                      _n("n_entities", 0, total=True), _n("n_key_units", 0, total=True),
                      TCE_EQUAL, TCE_EQUIVALENT, TCO2, FLOOR_AREA,
                      _n("kgce_per_m2", 1), _n("tce_equal_last", None, total=True),
                      Col("change", "ratio", 1), WARNING_LEVEL), _M),
    Table("street-entities", (ENTITY_ID, NAME, KIND, BUILDING_TYPE, Col("sector", width=8),
                              FLOOR_AREA, Col("is_key_unit", "bool"), Col("parent_id", width=12),
                              _n("n_meters", 0, total=True), TCE_EQUAL, TCE_EQUIVALENT, TCO2,
                              _n("kgce_per_m2", 1)), _M),
    Table("benchmarking", (ENTITY_ID, NAME, STREET, BUILDING_TYPE, FLOOR_AREA, COVERAGE,
                           TCE_EQUAL, _n("electricity_kwh", 0, total=True),
                           _n("eui_kgce_per_m2_equal", 1), _n("rank_in_type"),
                           _n("n_in_type"), Col("quota_label", pair=True, width=20),
                           _n("eui", 1), Col("eui_unit"), _n("constraint_value", 1),
                           _n("guide_value", 1), _l("rating", "quota_rating"),
                           Col("excess_fraction", "ratio", 1),
                           _n("reduction_required", 0, total=True)),
          _M),
    Table("quota-cases", (Col("id", "int"), ENTITY_ID, NAME, STREET, BUILDING_TYPE,
                          Col("year", "int"),
                          _l("status", "quota_case_status"), _n("eui", 1),
                          _n("constraint_value", 1), _n("reduction_required", 0),
                          Col("opened_at", "datetime"), Col("due_on", "date")),
          _M),
    Table("retrofits", (Col("code"), NAME, _l("retrofit_kind", "retrofit_kind", "kind"),
                        ENTITY_ID, Col("entity_name", width=24), STREET,
                        Col("measures", "list", width=40), Col("start_date", "date"),
                        Col("end_date", "date"), FLOOR_AREA,
                        _n("investment_10k_cny", 1, total=True),
                        _n("claimed_savings_kwh", 0, total=True),
                        _l("status", "retrofit_status"),
                        _l("mv_model_type", "mv_model_type"),
                        _n("mv_savings_kwh", 0, total=True),
                        Col("mv_fractional_savings", "ratio", 1),
                        Col("mv_meets_g14", "bool")), _O),
    Table("audits", (ENTITY_ID, NAME, STREET, _l("audit_kind", "audit_kind", "kind"),
                     Col("audit_date", "date"), Col("auditor", width=24),
                     Col("report_ref"), Col("findings", width=40),
                     Col("recommended_measures", "list", width=40),
                     _n("estimated_savings_tce", None, total=True)), _O),
    Table("audit-schedule", (ENTITY_ID, NAME, STREET, KIND, BUILDING_TYPE, FLOOR_AREA,
                             Col("is_key_unit", "bool"), _n("n_audits"),
                             Col("last_audit_date", "date"), Col("next_due", "date"),
                             _l("schedule_status", "schedule_status", "status"),
                             _n("days_overdue")), _O),
    Table("obligations", (ENTITY_ID, NAME, STREET,
                          Col("obligation_item", pair=True, width=28, field="label"),
                          _l("check_status", "check_status", "status"), Col("deadline", "date"),
                          Col("evidence", width=60,
                              source={"zh": "evidence_zh", "en": "evidence"})),
          _O),
    Table("commissioning", (_n("rank"), ENTITY_ID, NAME, BUILDING_TYPE,
                            Col("street", field="street_name_zh", width=14), FLOOR_AREA,
                            _n("base_load_kw", 0), Col("base_load_ratio", "ratio", 0),
                            _n("avoidable_kwh", 0, total=True),
                            _n("avoidable_kwh_per_m2", 1), _n("load_factor", 2),
                            _n("score", 2), _n("n_findings", 0, total=True),
                            Col("findings", pair=True, width=60)),
          _M),
    Table("targets", (Col("code", width=8), Col("section", width=20),
                      Col("indicator", pair=True, width=36), Col("unit", width=10),
                      Col("comparator", width=6), Col("target_year", "int"),
                      Col("target_value", "number", None, sizes=(0, 2, 4)),
                      Col("value", "number", None, sizes=(0, 2, 4)), Col("value_year", "int"),
                      _n("progress_pct", 1), Col("status_text", pair=True, field="status"),
                      Col("reason", pair=True, width=50),
                      Col("responsible_units", width=30))),
    Table("budgets", (Col("year", "int"), _l("metric", "budget_metric"),
                      _l("scope_type", "scope_type"), Col("scope_id", width=14),
                      _n("budget", 0), _l("method", "budget_method"),
                      Col("updated_at", "datetime")), _P),
    Table("warnings", (Col("year", "int"), _l("metric", "budget_metric"),
                       _l("scope_type", "scope_type"), Col("scope_name", width=24),
                       Col("level_text", "label", vocab="warning_level", field="level"),
                       _n("projected", 0), _n("budget", 0), Col("ratio", "ratio", 1),
                       _n("months_elapsed"), Col("reason", pair=True, width=60)),
          _MP),
    Table("weather", (Col("day", "date"), _n("t_mean_c", 1), Col("station"),
                      Col("source", width=30))),
    Table("audit-log", (Col("id", "int"), Col("at", "datetime", width=20), Col("actor", width=18),
                        Col("action", width=14), Col("object_type", width=14),
                        Col("object_id", width=16), Col("details", "json", width=60))),
    # the entity page (its tables as sheets)
    Table("entity-monthly", (Col("month", width=9), CARRIER, *QTY,
                             Col("estimated_share", "ratio", 1), Col("remark", width=30)),
          _M),
    Table("entity-submeters", (Col("month", width=9), Col("meter_id", width=12), CARRIER,
                               Col("submeter", width=16), _n("quantity", None),
                               Col("unit", width=8), COVERAGE), _M),
    Table("entity-meters", (Col("meter_id", width=12), CARRIER, Col("unit", width=8),
                            Col("submeter"), _l("register", "meter_register"),
                            _n("interval_minutes"))),
    Table("entity-warnings", (Col("year", "int"), _l("metric", "budget_metric"),
                              Col("level_text", "label", vocab="warning_level",
                                  field="level"),
                              _n("projected", 0), _n("budget", 0), Col("ratio", "ratio", 1),
                              Col("reason", pair=True, width=60)),
          _MP),
)}


# -- cells ----------------------------------------------------------------------------------
def header(col: Col, lang: Lang) -> str:
    """The column's header in ``lang`` (with its unit)."""
    return render(Message(f"export.col.{col.key}"), lang)


def number_format(col: Col, value: float | None = None) -> str | None:
    """The Excel format that shows the column's (rounded) ``value`` as the dashboard does."""
    if col.kind == "ratio":
        return "0" + ("." + "0" * col.digits if col.digits else "") + "%"
    if col.kind == "date":
        return "yyyy-mm-dd"
    if col.kind == "int":
        return "0"
    if col.kind == "datetime":
        return "yyyy-mm-dd hh:mm:ss"
    if col.kind != "number":
        return None
    d = _digits(col, value)
    return "#,##0" + ("." + "0" * d if d else "")


def _digits(col: Col, value: float | None) -> int:
    if col.digits is not None:
        return col.digits
    a = abs(value or 0.0)
    big, mid, small = col.sizes  # the dashboard's num() (the targets page: 0, 2, 4)
    return big if a >= 100 or a == 0 else mid if a >= 1 else small


def _number(v: Any) -> float | None:  # noqa: ANN401 - a row's cell
    if v is None or isinstance(v, bool | str):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _label(vocab: str, code: Any, lang: Lang) -> str | None:  # noqa: ANN401
    if code is None or code == "":
        return None
    key = f"label.{vocab}.{code}"
    return render(Message(key), lang) if key in catalogue() else str(code)


def _when(v: Any, kind: Kind) -> dt.date | dt.datetime | None:  # noqa: ANN401
    if isinstance(v, dt.datetime):
        t = v
    elif isinstance(v, dt.date):
        return v
    elif isinstance(v, str) and v:
        try:
            t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        if kind == "date" and len(v) <= 10:
            return t.date()
    else:
        return None
    if kind == "date":
        return t.date()
    if t.tzinfo is None:  # the API's timestamps are UTC
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(BEIJING).replace(tzinfo=None)


def cell_value(col: Col, row: Mapping[str, Any], lang: Lang) -> Any:  # noqa: ANN401
    """The cell of ``row`` in column ``col`` as the report writes it (rounded, labelled)."""
    v = col.raw(row, lang)
    if col.kind == "number":
        f = _number(v)
        return None if f is None else round_value(f, _digits(col, f))
    if col.kind == "int":
        f = _number(v)
        return None if f is None else int(f)
    if col.kind == "ratio":
        f = _number(v)
        return None if f is None else round_value(f, (col.digits or 0) + 2)
    if col.kind == "label":
        return _label(col.vocab or "", v, lang)
    if col.kind in ("date", "datetime"):
        return _when(v, col.kind) if v is not None else None
    if col.kind == "bool":
        return None if v is None else render(Message(f"export.{'yes' if v else 'no'}"), lang)
    if col.kind == "list":
        if isinstance(v, list | tuple):
            return ("、" if lang == "zh" else "; ").join(str(x) for x in v)
        return v
    if col.kind == "json":
        return None if v is None else json.dumps(v, ensure_ascii=False,
                                                  separators=(",", ":"))
    return v


def _text(v: Any) -> Any:  # noqa: ANN401
    v = xlsx_value(v)  # control characters older data may hold
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v  # text, never a formula
    return v


def _width(col: Col, head: str, cells: Sequence[Any]) -> float:
    if col.width is not None:
        return max(col.width, min(_chars(head), 30) * 0.9)
    longest = max([_chars(head) * 0.9] + [_chars(c) for c in cells[:500]])
    return min(max(longest + 2, 8), 50)


def _chars(v: Any) -> float:  # noqa: ANN401 - a CJK character is about two columns wide
    s = v.isoformat() if isinstance(v, dt.date) else f"{v:,}" if isinstance(
        v, int | float) else str(v or "")
    return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in s)


def _sheet(wb: Workbook, sh: Sheet, lang: Lang, title: str) -> int:
    ws: Worksheet = wb.create_sheet(title[:31])
    # a column the rows do not have at all (the inventory's levels) is left out; one they
    # have without a value (no data, or left out for the caller's role) stays, empty
    cols = [c for c in sh.table.columns if not sh.rows
            or any(c.name(lang) in r for r in sh.rows)] or list(sh.table.columns)
    heads = [header(c, lang) for c in cols]
    ws.append(heads)
    for head in ws[1]:
        head.font = Font(bold=True)
        head.fill = _HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
    values = [[cell_value(c, r, lang) for c in cols] for r in sh.rows]
    for vals in values:
        ws.append([_text(v) for v in vals])
        for i, (c, v) in enumerate(zip(cols, vals, strict=True), start=1):
            fmt = number_format(c, v if isinstance(v, float | int) else None)
            if fmt is not None and v is not None:
                ws.cell(ws.max_row, i).number_format = fmt
    if any(c.total for c in cols) and values:
        total: list[Any] = []
        for c in cols:
            shown = [f for f in (_number(c.raw(r, lang)) for r in sh.rows) if f is not None]
            total.append(round_value(math.fsum(shown), _digits(c, math.fsum(shown)))
                         if c.total and shown else None)
        first_text = next((i for i, c in enumerate(cols) if not c.total), 0)
        if total[first_text] is None:
            total[first_text] = render(Message("export.total"), lang)
        ws.append(total)
        for i, c in enumerate(cols, start=1):
            cell = ws.cell(ws.max_row, i)
            cell.font = Font(bold=True)
            cell.fill = _TOTAL_FILL
            fmt = number_format(c, total[i - 1] if isinstance(total[i - 1], float) else None)
            if fmt is not None and c.kind == "number":
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    for i, c in enumerate(cols):
        ws.column_dimensions[get_column_letter(i + 1)].width = _width(
            c, heads[i], [v[i] for v in values])
    return len(values)


def _basis(tables: Sequence[Table], lang: Lang) -> str | None:
    bases = list(dict.fromkeys(b for t in tables for b in t.basis))
    if not bases:
        return None
    sep = "；" if lang == "zh" else "; "
    return sep.join(render(Message(f"label.figure_basis.{b}"), lang) for b in bases)


#: the filters whose values are codes of a closed list
_FILTER_VOCAB = {"building_type": "building_type", "carrier": "carrier",
                 "level": "warning_level", "rating": "quota_rating", "metric": "budget_metric"}


_FILTER_ALIAS = {"street_id": "street", "entity": "entity_id"}


def _filter_name(key: str, lang: Lang) -> str:
    """A query parameter's name as a column header where it filters one (``street_id``: the
    street), else as it is (the parameter the user can type)."""
    code = f"export.filter.{key}" if f"export.filter.{key}" in catalogue() else \
        f"export.col.{_FILTER_ALIAS.get(key, key)}"
    return render(Message(code), lang) if code in catalogue() else key


def report_workbook(sheets: Sequence[Sheet], about: About, lang: Lang = "zh",
                    generated: dt.datetime | None = None) -> bytes:
    """The workbook of ``sheets`` (a sheet per table, titled by the table) and 说明/About."""
    wb = Workbook()
    first = wb.active
    assert first is not None  # noqa: S101 - a new workbook always has a sheet
    wb.remove(first)
    n = 0
    for sh in sheets:
        n += _sheet(wb, sh, lang, render(sh.table.title, lang))
    when = report_time(generated)
    t = {k: render(Message(f"export.about.{k}"), lang) for k in (
        "title", "district", "scope", "year", "basis", "as_of", "run", "factor_set",
        "generated", "filters", "rows", "item", "value", "none")}
    title = "；".join(render(s.table.title, lang) for s in sheets) \
        if lang == "zh" else "; ".join(render(s.table.title, lang)
                                      for s in sheets)
    filters = ("；" if lang == "zh" else "; ").join(
        f"{_filter_name(k, lang)}={_label(_FILTER_VOCAB[k], v, lang) if k in _FILTER_VOCAB else v}"
        for k, v in about.filters.items() if v is not None) or t["none"]
    items: list[tuple[str, Any]] = [
        (t["title"], title), (t["district"], about.district), (t["scope"], about.scope),
        (t["year"], about.year), (t["basis"], _basis([s.table for s in sheets], lang)),
        (t["as_of"], about.as_of), (t["run"], about.account_run_id),
        (t["factor_set"], about.factor_set),
        (t["generated"], when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")),
        (t["filters"], filters), (t["rows"], n),
        *((render(Message(code), lang), v) for code, v in about.extra)]
    info = wb.create_sheet(render(Message("export.about.sheet"), lang))
    info.append([t["item"], t["value"]])
    for c in info[1]:
        c.font = Font(bold=True)
        c.fill = _HEAD_FILL
    for k, v in items:
        info.append([k, "—" if v is None or v == "" else _text(v)])
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 80
    info.freeze_panes = "A2"
    wb.properties.created = when.replace(tzinfo=None)
    wb.properties.creator = "carbonpeak"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def account_about(ws: Workspace, district_id: str, year: int | None, scope: str, *,
                  lang: Lang = "zh", filters: Mapping[str, Any] | None = None,
                  run_id: int | None = None) -> About:
    """The 说明 of a table of ``year``'s official account: district, run, factor set and
    as-of (31 December of the year, the figure catalogue's as-of of an account figure)."""
    d = ws.district(district_id)
    fs_label: str | None = None
    with ws.registry.session() as s:
        run = official_run(s, district_id, year) if year is not None else None
        if run is not None:
            run_id = run_id if run_id is not None else run.id
            fs = s.get(FactorSetRecord, run.factor_set_pk)
            fs_label = f"{fs.set_id}@v{fs.version}" if fs else None
    return About(district=d.name_zh if lang == "zh" else d.name_en, scope=scope, year=year,
                 as_of=year_end(year).isoformat() if year is not None and run_id is not None
                 else None,
                 account_run_id=run_id, factor_set=fs_label, filters=dict(filters or {}))


def scope_text(ws: Workspace, scope: AccessScope, lang: Lang) -> str:
    """The viewer's scope for 说明: the whole district, a street, or the entities."""
    if scope.everything:
        return render(Message("export.about.scope_district"), lang)
    if scope.street_id is not None:
        with ws.registry.session() as s:
            st = s.get(Street, scope.street_id)
            name = (st.name_zh if lang == "zh" else st.name_en) if st else str(scope.street_id)
        return render(Message("export.about.scope_street", {"street": name}), lang)
    sep = "、" if lang == "zh" else ", "
    return render(Message("export.about.scope_entities",
                          {"entities": sep.join(sorted(scope.entities))}), lang)


#: the entity page's own figures, as its cards show them (for 说明)
_ENTITY_FACTS = (ENTITY_ID, NAME, KIND, STREET_NAME, BUILDING_TYPE, FLOOR_AREA, TCE_EQUAL,
                 TCE_EQUIVALENT, TCO2, _n("eui_kgce_per_m2_equal", 1), COVERAGE)


def entity_page_sheets(page: Mapping[str, Any], lang: Lang,
                       ) -> tuple[list[Sheet], list[tuple[str, Any]]]:
    """The entity page's tables as sheets, and its facts (for 说明) as its cards show them."""
    e = page.get("entity") or {}
    facts: dict[str, Any] = {**e, **(page.get("totals") or {}), **(page.get("eui") or {}),
                             "coverage": (page.get("quality") or {}).get("coverage")}
    extra: list[tuple[str, Any]] = []
    for c in _ENTITY_FACTS:
        v = cell_value(c, facts, lang)
        if isinstance(v, float) and c.kind == "ratio":
            v = f"{v:.{(c.digits or 0)}%}"
        elif isinstance(v, float):
            v = f"{v:,.{_digits(c, v)}f}"
        extra.append((f"export.col.{c.key}", v))
    sheets = [Sheet(TABLES["entity-monthly"], page.get("monthly_by_carrier") or []),
              Sheet(TABLES["entity-submeters"], page.get("monthly_by_submeter") or []),
              Sheet(TABLES["entity-meters"], page.get("meters") or []),
              Sheet(TABLES["entity-warnings"], page.get("warnings") or [])]
    return sheets, extra
