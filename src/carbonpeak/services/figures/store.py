"""The stored values of the figure catalogue, read within a role's scope.

中文：口径数值的存储与读取——每个区、年份、截止日期只计算一次并存入登记库；输入变化后自动重算。

:func:`figures` returns the stored values of a district, year and as-of date. They are
computed when missing, when ``refresh`` is asked for, or when the inputs changed since they
were computed (a new account run, an import batch, a budget, warning or audited change:
:func:`inputs_version`). Every surface (CLI, API, dashboard, white paper, xlsx) reads them
here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from carbonpeak.i18n import Lang, Message, loads, render
from carbonpeak.services.access.disclosure import SUPPRESSED
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.figures.catalogue import CATALOGUE, FigureDef, definition, format_value
from carbonpeak.services.figures.compute import SCALED_BY_ACCOUNT, compute_figures
from carbonpeak.services.figures.programmes import (
    METRIC_FIGURES,
    PROJECT_FIGURES,
    VPP_FIGURES,
    programme_figures,
)
from carbonpeak.services.plan.indicators import suppressed_years, withheld_totals
from carbonpeak.storage.registry.models import (
    FigureValue,
    utcnow,
)
from carbonpeak.storage.registry.repositories import figures as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import FigureBasis, ScopeType

__all__ = ["Figure", "FigureSet", "figures", "inputs_version", "provenance_value",
           "published_pipeline", "year_end"]

# audit entries about users and tokens change no figure
_NOT_DATA = ("user", "api_token")
_ORDER = {f.code: i for i, f in enumerate(CATALOGUE)}
#: the stored provenance's form: values stored before its notes were messages are computed
#: again
_FORMAT = "p2"


def provenance_value(value: Any, lang: Lang) -> Any:  # noqa: ANN401 - a JSON value
    """A provenance value in ``lang``: a stored message rendered, a list of them each
    rendered, anything else as it is."""
    m = loads(value)
    if m is not None:
        return render(m, lang)
    if isinstance(value, list):
        return [provenance_value(v, lang) for v in value]
    return value


def year_end(year: int) -> dt.date:
    """The default as-of date of a year's figures: 31 December."""
    return dt.date(year, 12, 31)


def inputs_version(ws: Workspace, district_id: str) -> str:
    """A string that changes whenever an input of a figure may have changed."""
    with ws.registry.session() as s:
        row = repo.inputs_row(s, district_id, _NOT_DATA)
    return (f"{_FORMAT}-r{row[0]}-b{row[1]}-a{row[2]}-w{row[3]}-u{stamp(row[4])}"
            f"-e{stamp(row[5])}")


def stamp(v: object) -> str:
    """A timestamp's ISO text, ``-`` for none."""
    return v.isoformat() if isinstance(v, dt.datetime) else "-"


@dataclass(frozen=True)
class Figure:
    """One stored value with its definition."""

    definition: FigureDef
    value: float | None
    subject_type: str
    subject_id: str
    street_id: int | None
    period: str
    as_of: dt.date
    provenance: dict[str, Any]
    computed_at: dt.datetime

    @property
    def code(self) -> str:
        """The catalogue code."""
        return self.definition.code

    @property
    def basis(self) -> FigureBasis:
        """The figure's basis (口径)."""
        return self.definition.basis

    def text(self) -> str:
        """The value as every surface prints it (the catalogue's precision)."""
        return format_value(self.value, self.definition.digits, self.definition.unit)

    def label(self, lang: Lang) -> str:
        """``核算口径 · 截至2024-12-31`` — the basis and as-of, for a card or table header."""
        basis = render(Message(f"label.figure_basis.{self.basis}"), lang)
        when = render(Message("figure.as_of", {"date": self.as_of.isoformat()}), lang)
        run = self.provenance.get("account_run")
        extra = ""
        if self.basis == FigureBasis.METERED_ACCOUNT and run is not None:
            extra = " · " + render(Message("figure.run", {"run": run}), lang)
        return f"{basis} · {when}{extra}"

    def provenance_in(self, lang: Lang) -> dict[str, Any]:
        """The provenance with its sources, rules and notes (stored as messages) in ``lang``;
        a ``<key>_zh`` value stands for ``<key>`` in Chinese and is left out."""
        p = self.provenance
        return {k: provenance_value(p.get(f"{k}_zh") or v if lang == "zh" else v, lang)
                for k, v in p.items() if not (k.endswith("_zh") and k[:-3] in p)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (API, ``carbonpeak metrics --json``)."""
        d = self.definition
        return {"code": d.code, "name_zh": d.name_text("zh"), "name_en": d.name_text("en"),
                "subject_type": self.subject_type, "subject_id": self.subject_id,
                "subject_name": self.provenance.get("subject_name"),
                "value": self.value, "text": self.text(), "unit": d.unit, "digits": d.digits,
                "basis": str(d.basis), "basis_zh": render(
                    Message(f"label.figure_basis.{d.basis}"), "zh"),
                "basis_en": render(Message(f"label.figure_basis.{d.basis}"), "en"),
                "period": self.period, "as_of": self.as_of.isoformat(),
                "as_of_rule": str(d.as_of), "label_zh": self.label("zh"),
                "label_en": self.label("en"), "provenance": self.provenance}


@dataclass(frozen=True)
class FigureSet:
    """The figures of a district, year and as-of date, within a scope."""

    district_id: str
    year: int
    as_of: dt.date
    inputs: str
    items: list[Figure]

    def get(self, code: str, subject_id: str | None = None) -> Figure | None:
        """The figure ``code`` (of the district, or of ``subject_id``); None if absent."""
        for f in self.items:
            if f.code == code and (subject_id is None or f.subject_id == subject_id):
                return f
        return None

    def value(self, code: str, subject_id: str | None = None) -> float | None:
        """The value of ``code`` (None if absent or without a value)."""
        f = self.get(code, subject_id)
        return f.value if f is not None else None

    def by_subject(self, code: str) -> dict[str, Figure]:
        """Every figure ``code`` by subject id (streets, key units)."""
        return {f.subject_id: f for f in self.items if f.code == code}

    def dicts(self, *codes: str) -> list[dict[str, Any]]:
        """The JSON form of the figures ``codes`` (all their subjects), in catalogue order:
        what a programme's own route or command publishes beside its detail."""
        return [f.to_dict() for f in self.items if f.code in codes]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"district": self.district_id, "year": self.year,
                "as_of": self.as_of.isoformat(), "inputs": self.inputs,
                "items": [f.to_dict() for f in self.items]}


#: district figures a street officer reads that are computed from the metered account: shown
#: only when the account has no small cell for the viewer (the district's account minus the
#: viewer's own would be fewer than N entities'; see services/access/disclosure.py)
ACCOUNT_DERIVED = frozenset({"budget.district.metered_share", "peak.plan.year",
                             "peak.plan.tco2"})


#: district figures of the programmes that only the district's analysts read, as their own
#: pages and routes (PV totals, the VPP's capability, supervision, the pipeline, dual
#: control's deductions): never a street officer, even the plan values among them
ANALYSTS_ONLY = frozenset(f.code for f in CATALOGUE if f.subject == ScopeType.DISTRICT and (
    f.code.split(".", 1)[0] in ("pv", "vpp", "supervision", "projects", "deductions")
    or f.code == "energy.statistics.after_deductions") and f.code != "pv.metered")


def _visible(scope: AccessScope | None, row: FigureValue) -> bool:
    """District figures are district-wide (every role that sees the district's plan sees the
    statistics and plan values; the metered totals, programme counts and the programmes'
    figures (:data:`ANALYSTS_ONLY`) only the district's own roles); a street's figures its
    street; a key unit's its street and its own roles."""
    if scope is None or scope.everything:
        return True
    if row.subject_type == ScopeType.DISTRICT:
        return scope.street_id is not None and row.code not in ANALYSTS_ONLY and definition(
            row.code).basis in (FigureBasis.STATISTICS, FigureBasis.PLAN_VALUE)
    if scope.street_id is not None:
        return row.street_id == scope.street_id
    return row.subject_type == ScopeType.ENTITY and row.subject_id in scope.entities


def _store(ws: Workspace, district_id: str, year: int, as_of: dt.date, inputs: str) -> None:
    d = ws.district(district_id)
    computed = compute_figures(ws, d, year, as_of)
    more = programme_figures(ws, d, year, as_of, computed)
    for c in more:
        definition(c.code)  # every value is of a catalogue figure
        if c.subject_type == ScopeType.DISTRICT:
            c.subject_id = d.id
    computed += more
    now = utcnow()
    with ws.registry.session() as s:
        repo.delete_figure_values(s, district_id, year, as_of)
        for c in computed:
            fd = definition(c.code)
            s.add(FigureValue(district_id=district_id, year=year, as_of=as_of, code=c.code,
                              subject_type=str(c.subject_type), subject_id=c.subject_id,
                              street_id=c.street_id, value=c.value, unit=fd.unit,
                              basis=str(fd.basis), period=c.period, provenance=c.provenance,
                              inputs=inputs, computed_at=now))


def figures(ws: Workspace, *, year: int, district: str | None = None,
            as_of: dt.date | None = None, refresh: bool = False,
            scope: AccessScope | None = None) -> FigureSet:
    """The catalogue's stored values of ``year`` on ``as_of`` (default 31 December of the
    year), computed first when missing, stale or asked to (``refresh``); only those
    ``scope`` may read (None: all)."""
    district_id = ws.district(district).id
    when = as_of or year_end(year)
    inputs = inputs_version(ws, district_id)
    with ws.registry.session() as s:
        stored = repo.stored_inputs(s, district_id, year, when)
    if refresh or stored != inputs:
        # another writer storing the same values at the same time wins
        with contextlib.suppress(IntegrityError):
            _store(ws, district_id, year, when, inputs)
    with ws.registry.session() as s:
        rows = repo.figure_values(s, district_id, year, when)
        s.expunge_all()
    items = [Figure(definition(r.code), r.value, r.subject_type, r.subject_id, r.street_id,
                    r.period, r.as_of, dict(r.provenance or {}), r.computed_at)
             for r in rows if r.code in _ORDER and _visible(scope, r)]
    items.sort(key=lambda f: (_ORDER[f.code], f.subject_id))
    if scope is not None and not scope.everything and any(f.code in ACCOUNT_DERIVED
                                                          for f in items):
        hidden = suppressed_years(ws, ws.district(district_id), scope)
        if any(y <= year for y in hidden):
            items = [dataclasses.replace(f, value=None, provenance={"suppressed": SUPPRESSED})
                     if f.code in ACCOUNT_DERIVED else f for f in items]
    if scope is not None and not scope.everything and any(
            SCALED_BY_ACCOUNT in f.provenance for f in items) \
            and year in withheld_totals(ws, ws.district(district_id), scope):
        # the statistics' energy × the account's CO2 per tce of a year whose account is
        # withheld from the viewer: with its own figures, one equation in the two unknowns
        # of the foreign respondents' energy and CO2
        items = [dataclasses.replace(f, value=None, provenance={"suppressed": SUPPRESSED})
                 if SCALED_BY_ACCOUNT in f.provenance else f for f in items]
    return FigureSet(district_id, year, when, inputs, items)


def published_pipeline(ws: Workspace, out: dict[str, Any]) -> dict[str, Any]:
    """A pipeline's answer (:meth:`~carbonpeak.services.projects.register.Pipeline.to_dict`)
    with its totals as the figure catalogue publishes them for its year (one figure, one
    definition) and the figures themselves (``figures``: basis, as-of): the API's and the
    CLI's answer."""
    fs = figures(ws, year=int(out["year"]), district=str(out["district"]))
    for key, code in (("pipeline_tce", "projects.pipeline"),
                      ("remaining", "projects.budget.remaining"),
                      ("headroom", "projects.headroom")):
        f = fs.get(code)
        if f is not None and (f.value is not None or key != "pipeline_tce"):
            out[key] = f.value
    out["figures"] = fs.dicts(*PROJECT_FIGURES)
    return out


def published_capability(ws: Workspace, out: dict[str, Any], *, district: str,
                         year: int) -> FigureSet:
    """A VPP capability answer (:func:`~carbonpeak.services.energy.vpp.capability
    .capability`) with ``year``'s metric values as the figure catalogue publishes them (the
    targets' values) and the figures themselves (``figures``: basis, as-of): the API's and
    the CLI's answer. Returns the figure set, for a surface that prints it."""
    fs = figures(ws, year=year, district=district)
    for m in out["metrics"]:
        f = fs.get(METRIC_FIGURES[m["metric"]])
        if m["year"] == year and f is not None:
            m["value"] = f.value
    out["figures"] = fs.dicts(*VPP_FIGURES)
    return fs
