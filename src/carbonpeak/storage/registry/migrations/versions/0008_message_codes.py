"""reasons and account notes stored as message code and parameters

Warnings, warning events and quota cases: 
the rendered ``reason_zh``/``reason_en`` columns become ``reason_code`` + ``reason_params``.
Old rows: a rendered reason this migration recognises (every text the code wrote) becomes its
code and parameters, checked by rendering them again from the catalogue; any other text is kept
as is in the ``legacy`` parameter (``plan.legacy`` / ``buildings.legacy``), both languages.
Account runs: the English notes of ``summary["notes"]`` become messages the same way
(``accounting.note.*``; others ``accounting.legacy``, the text in both languages). This is the
one place that reads the old texts; nothing renders through these patterns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:00:00
"""
from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

from carbonpeak.i18n import Message, msg, render

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_TABLES = {"warnings": "plan", "warning_events": "plan", "quota_cases": "buildings"}

# -- recognising the texts the code wrote before 0008 (English; the Chinese is checked) ------

_UNITS = {"tce": "tce", "kgce": "kgce", "tCO2": "tco2", "tco2": "tco2_lower", "kWh": "kwh",
          "MWh": "mwh", "10^4 kWh": "10k_kwh", "m3": "m3", "GJ": "gj"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_UNIT = r"(?P<unit>tce|kgce|tCO2|tco2|kWh|MWh|10\^4 kWh|m3|GJ)"
_BASIS = r"(?P<basis>projected|actual for the year)"
_PCT = r"(?P<sign>[+−]?)(?P<pct>[\d,]+) %"
_MAIN = re.compile(rf"{_BASIS} (?P<value>\S+) {_UNIT} against a budget of (?P<budget>\S+) "
                   rf"(?P=unit)(?:: {_PCT})?")
_MONTH = re.compile(r"; (?P<month>[A-Z][a-z]+) (?P<msign>[+−]?)(?P<mpct>[\d,]+) % against "
                    r"(?P=month) last year")
_RUN_RATE = "; run-rate projection (no usable prior-year months)"
_ELASTIC = re.compile(r" \(elastic budget: intensity (?P<i>\S+) ≤ target (?P<t>\S+) per m²\)$")


def _unit(text: str) -> Message:
    return msg(f"plan.unit.{_UNITS[text]}")


def _basis(text: str) -> Message:
    return msg("plan.warning.basis.actual" if text.startswith("actual")
               else "plan.warning.basis.projected")


def _warning(en: str) -> Message | None:  # noqa: PLR0911
    if en == "no budget set; no data this year":
        return msg("plan.warning.no_budget.no_data")
    m = re.fullmatch(rf"no budget set; {_BASIS} (?P<value>\S+) {_UNIT}", en)
    if m:
        return msg("plan.warning.no_budget.value", basis=_basis(m["basis"]), value=m["value"],
                   unit=_unit(m["unit"]))
    m = re.fullmatch(rf"no data this year; budget (?P<budget>\S+) {_UNIT}", en)
    if m:
        return msg("plan.warning.no_data", budget=m["budget"], unit=_unit(m["unit"]))
    elastic = _ELASTIC.search(en)
    if elastic:
        inner = _warning(en[:elastic.start()])
        return None if inner is None else msg("plan.warning.elastic", reason=inner,
                                              intensity=elastic["i"], target=elastic["t"])
    run_rate = en.endswith(_RUN_RATE)
    rest = en.removesuffix(_RUN_RATE)
    main = _MAIN.match(rest)
    if main is None:
        return None
    figures: dict[str, Any] = {"basis": _basis(main["basis"]), "value": main["value"],
                               "budget": main["budget"], "unit": _unit(main["unit"])}
    if main["pct"] is None:
        out = msg("plan.warning.against", **figures)
    else:
        pct = int(main["pct"].replace(",", ""))
        code = "over" if main["sign"] == "+" else "under" if main["sign"] == "−" else "even"
        out = msg(f"plan.warning.{code}", pct=pct, **figures)
    tail = rest[main.end():]
    if tail:
        month = _MONTH.fullmatch(tail)
        if month is None or month["month"] not in _MONTHS:
            return None
        pct = int(month["mpct"].replace(",", ""))
        code = "up" if month["msign"] == "+" else "down" if month["msign"] == "−" else "even"
        out = msg(f"plan.warning.month_{code}", reason=out, pct=pct,
                  month=msg(f"plan.month.{_MONTHS.index(month['month']) + 1}"))
    return msg("plan.warning.run_rate", reason=out) if run_rate else out


def _quota(en: str) -> Message | None:
    if m := re.fullmatch(r"(\d{4}) EUI over the constraint value", en):
        return msg("buildings.quota.case_opened", year=int(m[1]))
    if m := re.fullmatch(r"rectification notice issued, deadline (\S+)", en):
        return msg("buildings.quota.notified", deadline=m[1])
    if m := re.fullmatch(r"(\d{4}) figure meets the constraint", en):
        return msg("buildings.quota.closed", year=int(m[1]))
    if en == "rectification deadline not reached":
        return msg("buildings.quota.deadline_not_reached")
    if m := re.fullmatch(r"deadline passed; (\d{4}) figure still over the constraint", en):
        return msg("buildings.quota.still_over", year=int(m[1]))
    if en == "deadline passed; no complete later-year figure":
        return msg("buildings.quota.no_later_figure")
    return None


_ACCOUNT_NOTES: list[tuple[re.Pattern[str], str, dict[str, Any]]] = [
    (re.compile(r"factor set (?P<factor_set>\S+) was effective until (?P<date>\S+); it is applied "
                r"to (?P<year>\d{4}) as asked"), "accounting.note.effective_until", {"year": int}),
    (re.compile(r"factor set (?P<factor_set>\S+) is effective from (?P<date>\S+); it is applied to "
                r"(?P<year>\d{4}) as asked"), "accounting.note.effective_from", {"year": int}),
    (re.compile(r"restating (?P<year>\d{4}): run (?P<run>\d+) is kept, marked restated"),
     "accounting.note.restating", {"year": int, "run": int}),
    (re.compile(r"(?P<year>\d{4}) keeps factor set (?P<factor_set>\S+) of its official account "
                r"\(run (?P<run>\d+)\); v(?P<version>\d+) exists: use --restate to restate"),
     "accounting.note.keeps_factor_set", {"year": int, "run": int, "version": int}),
    (re.compile(r"this run supersedes run (?P<run>\d+) as the official (?P<year>\d{4}) account "
                r"\(same factor set; the inputs as they are now\)"),
     "accounting.note.supersedes", {"year": int, "run": int}),
    (re.compile(r"(?P<year>\d{4}) was officially accounted with (?P<kept>\S+) \(run (?P<run>\d+)\); "
                r"this run with (?P<latest>\S+) is recorded as a variant: use --restate to make "
                r"it official"), "accounting.note.variant", {"year": int, "run": int}),
    (re.compile(r"gap filling on: (?P<intervals>[\d,]+) interval\(s\) of (?P<meters>\d+) "
                r"meter\(s\) estimated by linear interpolation \(gaps <= (?P<hours>[\d.]+) h\); "
                r"they are in estimated_quantity, not in coverage"),
     "accounting.note.gap_filling",
     {"intervals": lambda v: int(v.replace(",", "")), "meters": int, "hours": float}),
    (re.compile(r"no GDP for (?P<year>\d{4}) in the district statistics: intensities not "
                r"computed"), "accounting.note.no_gdp", {"year": int}),
    (re.compile(r"(?P<share>[\d.]+)% of district energy \((?P<energy>[\d,]+) tce, statistics; "
                r"equal value\) is in this account"), "accounting.note.metered_share",
     {"share": lambda v: float(v) / 100, "energy": lambda v: float(v.replace(",", ""))}),
    (re.compile(r"(?P<n>\d+) entity-carrier-months have no data \(flagged 'missing', not counted "
                r"as zero\)"), "accounting.note.missing_months", {"n": int}),
    (re.compile(r"factor set (?P<factor_set>\S+) uses UNVERIFIED coefficients for: (?P<items>.+)"),
     "accounting.note.unverified", {}),
]


def account_note(en: str) -> dict[str, Any]:
    """The stored form of an old account note (English): its message when recognised and
    rendering the same text again, else the text kept in both languages."""
    for rx, code, types in _ACCOUNT_NOTES:
        m = rx.fullmatch(en)
        if m is None:
            continue
        params = {k: types[k](v) if k in types else v for k, v in m.groupdict().items()}
        note = msg(code, **params)
        try:
            if render(note, "en") == en:
                return note.to_dict()
        except (KeyError, ValueError):
            pass
    if m := re.fullmatch(r"run (\d+) was made (with|without) gap filling; this run is "
                         r"(with|without) it", en):
        note = msg("accounting.note.gap_filling_changed", run=int(m[1]),
                   before=msg(f"accounting.{m[2]}"), now=msg(f"accounting.{m[3]}"))
        return note.to_dict()
    return msg("accounting.legacy", legacy={"zh": en, "en": en}).to_dict()


def _account_notes(upgrade: bool) -> None:
    conn = op.get_bind()
    t = sa.table("account_runs", sa.column("id", sa.Integer()), sa.column("summary", sa.JSON()))
    for row_id, summary in conn.execute(sa.select(t.c.id, t.c.summary)).all():
        if isinstance(summary, str):  # SQLite without the JSON type's processing
            summary = json.loads(summary)
        if not isinstance(summary, dict) or not summary.get("notes"):
            continue
        if upgrade:
            notes = [account_note(n) if isinstance(n, str) else n for n in summary["notes"]]
        else:
            notes = [render(Message.from_dict(n), "en") if isinstance(n, dict) else n
                     for n in summary["notes"]]
        conn.execute(t.update().where(t.c.id == row_id).values(
            summary={**summary, "notes": notes}))


def as_message(area: str, zh: str, en: str) -> Message | None:
    """The message of an old rendered reason: recognised (and rendering both texts again: the
    Chinese of an elastic budget now names the figures, so only its English is compared), or
    the texts kept as they are (``<area>.legacy``); None for an empty reason."""
    if not zh and not en:
        return None
    try:
        m = (_warning if area == "plan" else _quota)(en)
        if m is not None and render(m, "en") == en and (
                render(m, "zh") == zh or m.code == "plan.warning.elastic"):
            return m
    except (KeyError, ValueError, IndexError):
        pass
    return msg(f"{area}.legacy", legacy={"zh": zh, "en": en})


def upgrade() -> None:
    _account_notes(upgrade=True)
    for table, area in _TABLES.items():
        # no table copy (SQLite's ALTER TABLE ADD/DROP COLUMN): warning_events refers to
        # warnings, whose copy SQLite would refuse to drop
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column('reason_code', sa.String(length=64),
                                       nullable=table == "quota_cases",
                                       server_default=None if table == "quota_cases" else ''))
            batch.add_column(sa.Column('reason_params', sa.JSON(), nullable=False,
                                       server_default='{}'))
        t = sa.table(table, sa.column('id', sa.Integer()), sa.column('reason_zh', sa.Text()),
                     sa.column('reason_en', sa.Text()),
                     sa.column('reason_code', sa.String(64)),
                     sa.column('reason_params', sa.JSON()))
        conn = op.get_bind()
        for row_id, zh, en in conn.execute(sa.select(t.c.id, t.c.reason_zh, t.c.reason_en)).all():
            m = as_message(area, zh or "", en or "")
            stored = m.to_dict() if m is not None else {"code": None, "params": {}}
            conn.execute(t.update().where(t.c.id == row_id).values(
                reason_code=stored["code"], reason_params=stored["params"]))
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column('reason_zh')
            batch.drop_column('reason_en')


def downgrade() -> None:
    _account_notes(upgrade=False)
    for table in _TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column('reason_zh', sa.Text(), nullable=False, server_default=''))
            batch.add_column(sa.Column('reason_en', sa.Text(), nullable=False, server_default=''))
        t = sa.table(table, sa.column('id', sa.Integer()), sa.column('reason_zh', sa.Text()),
                     sa.column('reason_en', sa.Text()),
                     sa.column('reason_code', sa.String(64)),
                     sa.column('reason_params', sa.JSON()))
        conn = op.get_bind()
        for row_id, code, params in conn.execute(
                sa.select(t.c.id, t.c.reason_code, t.c.reason_params)).all():
            m = Message.from_dict({"code": code, "params": params}) if code else None
            conn.execute(t.update().where(t.c.id == row_id).values(
                reason_zh=render(m, "zh") if m else "", reason_en=render(m, "en") if m else ""))
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column('reason_code')
            batch.drop_column('reason_params')
