"""The city roll-ups: the district comparison and the city totals, from the figure catalogue.

中文：市级汇总——各区对比与全市合计，取自口径目录的存储值；核算口径与统计口径各自相加，绝不混合。

Every number here is a district's stored catalogue figure (:mod:`carbonpeak.services.figures`),
so the city reads the same value the district publishes. Like with like:

* the comparison lists, per district, the catalogue's district figures of :data:`COMPARED`
  (the metered account's energy and CO2, the statistics' energy, CO2 and energy intensity),
  each with its own basis, as-of and provenance (the account run, the statistics row);
* a city total adds one code over the districts (:data:`TOTALLED`: totals, never a ratio),
  so a metered total is a sum of metered totals and a statistics total a sum of statistics
  totals. It has a value only when every district of the city has one; otherwise it is None
  and names the districts missing (a partial sum would read as the city's figure).

Only a city analyst reads them, and only for its own city; another city, or a district not
in it, reads exactly like one that does not exist (:func:`city_of`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from carbonpeak.errors import AccessDenied, NotFoundError
from carbonpeak.i18n import Lang, Message, render
from carbonpeak.services.figures import Figure, definition, figures, format_value, year_end
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import City, District
from carbonpeak.storage.registry.repositories import city as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import CITY_ROLES, FigureBasis, ScopeType

__all__ = ["COMPARED", "TOTALLED", "CityTotal", "DistrictRow", "city_by_code",
           "city_districts", "city_of", "city_totals", "district_comparison",
           "sum_like_with_like"]

#: the district figures a comparison lists (catalogue codes, district subject)
COMPARED: tuple[str, ...] = ("energy.metered", "energy.metered.equivalent", "co2.metered",
                             "energy.statistics", "co2.statistics",
                             "intensity.energy_per_gdp")
#: the district figures a city total adds up (totals only: an intensity is not summed)
TOTALLED: tuple[str, ...] = ("energy.metered", "energy.metered.equivalent", "co2.metered",
                             "energy.statistics", "co2.statistics")


def sum_like_with_like(values: Mapping[str, float | None]) -> tuple[float | None, list[str]]:
    """The sum of one figure over districts (``district -> value``) and the districts
    without a value; the sum is None unless every district has one (no partial totals)."""
    missing = sorted(k for k, v in values.items() if v is None or not math.isfinite(v))
    if missing or not values:
        return None, missing
    return math.fsum(v for v in values.values() if v is not None), []


def city_of(ws: Workspace, p: Principal, city: str) -> City:
    """The city ``city`` when ``p`` may read it: a city analyst its own city.

    Raises
    ------
    AccessDenied
        The role reads no city (every district role: districts stay apart).
    NotFoundError
        Another city, or none by that code (the same answer for both).
    """
    if p.role not in CITY_ROLES:
        msg = f"role {p.role} may not read a city's roll-ups (needs city_analyst)"
        raise AccessDenied(msg)
    if city != p.city_id:
        msg = f"no city {city}"
        raise NotFoundError(msg)
    return city_by_code(ws, city)


def city_by_code(ws: Workspace, city: str) -> City:
    """The city ``city`` (the CLI, which holds the registry, reads any).

    Raises
    ------
    NotFoundError
        No city by that code.
    """
    with ws.registry.session() as s:
        found = s.get(City, city)
        if found is None:
            msg = f"no city {city}"
            raise NotFoundError(msg)
        s.expunge(found)
    return found


def city_districts(ws: Workspace, city: City) -> list[District]:
    """The districts of ``city``, by code."""
    with ws.registry.session() as s:
        out = repo.districts_of_city(s, city.id)
        s.expunge_all()
    return out


@dataclass(frozen=True)
class DistrictRow:
    """One district in the comparison: its catalogue figures of :data:`COMPARED`."""

    district_id: str
    name_zh: str
    name_en: str
    figures: list[Figure]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: each figure as the catalogue prints it (basis, as-of, provenance)."""
        return {"district": self.district_id, "name_zh": self.name_zh, "name_en": self.name_en,
                "figures": [f.to_dict() for f in self.figures]}


def _district_figures(ws: Workspace, d: District, year: int,
                      as_of: dt.date | None) -> list[Figure]:
    fs = figures(ws, year=year, district=d.id, as_of=as_of)
    by_code = {f.code: f for f in fs.items if f.subject_type == ScopeType.DISTRICT}
    return [by_code[c] for c in COMPARED if c in by_code]


def district_comparison(ws: Workspace, city: City, *, year: int,
                        as_of: dt.date | None = None) -> list[DistrictRow]:
    """Every district of ``city`` with its figures of :data:`COMPARED` for ``year``."""
    return [DistrictRow(d.id, d.name_zh, d.name_en, _district_figures(ws, d, year, as_of))
            for d in city_districts(ws, city)]


@dataclass(frozen=True)
class CityTotal:
    """One figure summed over the city's districts, on the figure's one basis."""

    code: str
    year: int
    as_of: dt.date
    value: float | None
    #: the districts without a value (then ``value`` is None)
    missing: list[str]
    #: each district's value and provenance (its account run or statistics row)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def basis(self) -> FigureBasis:
        """The basis of every part and so of the total."""
        return definition(self.code).basis

    def label(self, lang: Lang) -> str:
        """``核算口径 · 截至2024-12-31``: the total's basis and as-of line."""
        basis = render(Message(f"label.figure_basis.{self.basis}"), lang)
        when = render(Message("figure.as_of", {"date": self.as_of.isoformat()}), lang)
        return f"{basis} · {when}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (API, ``carbonpeak city totals --json``)."""
        d = definition(self.code)
        name = Message(f"city.total.{self.code}")
        basis = Message(f"label.figure_basis.{d.basis}")
        return {"code": self.code, "name_zh": render(name, "zh"), "name_en": render(name, "en"),
                "year": self.year, "value": self.value,
                "text": format_value(self.value, d.digits, d.unit), "unit": d.unit,
                "basis": str(d.basis), "basis_zh": render(basis, "zh"),
                "basis_en": render(basis, "en"), "as_of": self.as_of.isoformat(),
                "as_of_rule": str(d.as_of), "label_zh": self.label("zh"),
                "label_en": self.label("en"), "missing": self.missing, "parts": self.parts}


def city_totals(ws: Workspace, city: City, *, year: int,
                as_of: dt.date | None = None) -> list[CityTotal]:
    """The city totals of :data:`TOTALLED` for ``year``: each the sum of the districts' own
    catalogue values of that code (like with like), None when a district has none."""
    when = as_of or year_end(year)
    rows = district_comparison(ws, city, year=year, as_of=as_of)
    out: list[CityTotal] = []
    for code in TOTALLED:
        values: dict[str, float | None] = {}
        parts: dict[str, dict[str, Any]] = {}
        for r in rows:
            f = next((x for x in r.figures if x.code == code), None)
            values[r.district_id] = f.value if f is not None else None
            parts[r.district_id] = {"value": values[r.district_id],
                                    "provenance": f.provenance if f is not None else {}}
        total, missing = sum_like_with_like(values)
        out.append(CityTotal(code, year, when, total, missing, parts))
    return out
