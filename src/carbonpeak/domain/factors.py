"""Conversion and emission factors: choosing the coefficient that applies.

中文：折标准煤系数与排放因子。

A factor set is a list of :class:`FactorRow`. Each row gives one published value as published
(``0.5703 tCO2/MWh``, ``21.6219 tCO2/10^4 Nm3``, ``1.4571 kgce/kg``), the accounting years it
applies to, and its source and status. :func:`resolve_factors` turns a set into one coefficient
per carrier and quantity *per canonical unit* for one accounting year, and fails loudly when a
carrier has no row or two rows that both apply.

Quantities
----------
``kgce_equivalent``
    Standard coal by the equivalent (calorific) value, 当量值 [kgce per unit].
``kgce_equal``
    Standard coal by the equal (primary-energy substitution) value, 等价值 [kgce per unit].
    For electricity this is the previous year's coal rate of thermal power generation (GB/T
    2589-2020), one row per accounting year; for other carriers the equal value is the
    equivalent value.
``tco2``
    CO2 emission factor [tCO2 per unit].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from carbonpeak.domain.units import CARRIERS, unit_factor
from carbonpeak.errors import FactorError, UnitError
from carbonpeak.vocabulary import EmissionScope, FactorQuantity, FactorStatus

__all__ = [
    "QUANTITIES",
    "STATUSES",
    "CarrierFactors",
    "FactorRow",
    "flatten_factor_rows",
    "resolve_factors",
    "validate_factor_rows",
    "with_origin",
]

Quantity = FactorQuantity
QUANTITIES: tuple[Quantity, ...] = tuple(FactorQuantity)
STATUSES: tuple[FactorStatus, ...] = tuple(FactorStatus)


@dataclass(frozen=True)
class FactorRow:
    """One published coefficient.

    Attributes
    ----------
    carrier
        Carrier code (see :data:`carbonpeak.domain.units.CARRIERS`).
    quantity
        ``kgce_equivalent``, ``kgce_equal`` or ``tco2``.
    value
        The number as published.
    per_unit
        The unit the number is given per (``kWh``, ``MWh``, ``10^4 m3``, ``kg``, ``t``,
        ``GJ``, ``MJ``).
    year_from, year_to
        First and last accounting year the row applies to, inclusive; ``None`` is open.
    data_year
        Year the published figure describes (MEE/NBS factors lag two years), if any.
    source
        Citation: document, number, date, where it was read.
    source_zh
        The same citation written in Chinese beside it (the document's own Chinese title;
        empty where none was written: the CLI then shows ``source``).
    status
        ``verified``, ``secondary``, ``unverified`` or ``user`` (see reference-data.md).
    origin_set
        The factor set the row was written in (differs from the set using it after includes).
    """

    carrier: str
    quantity: Quantity
    value: float
    per_unit: str
    source: str
    status: str
    year_from: int | None = None
    year_to: int | None = None
    data_year: int | None = None
    note: str = ""
    origin_set: str = ""
    source_zh: str = ""

    def applies_to(self, year: int) -> bool:
        """Whether the row covers accounting ``year``."""
        return (self.year_from is None or self.year_from <= year) and (
            self.year_to is None or year <= self.year_to
        )

    def per_canonical_unit(self) -> float:
        """The value per canonical unit of the carrier.

        >>> FactorRow("electricity", "tco2", 0.5703, "MWh", "s", "verified").per_canonical_unit()
        0.0005703
        """
        return self.value / unit_factor(self.per_unit, self.carrier)


@dataclass(frozen=True)
class CarrierFactors:
    """Coefficients for one carrier and year, per canonical unit, with the rows they came from."""

    carrier: str
    year: int
    kgce_equivalent: float
    kgce_equal: float
    tco2: float
    rows: tuple[FactorRow, ...]

    @property
    def statuses(self) -> set[str]:
        """Statuses of the rows used."""
        return {r.status for r in self.rows}


def validate_factor_rows(rows: Iterable[FactorRow], *, set_id: str) -> list[str]:
    """Return readable problems with ``rows`` (empty when they are fine)."""
    problems: list[str] = []
    for i, r in enumerate(rows, start=1):
        where = f"factor set {set_id} row {i} ({r.carrier}/{r.quantity})"
        if r.carrier not in CARRIERS:
            problems.append(f"{where}: unknown carrier {r.carrier!r}")
            continue
        if r.quantity not in QUANTITIES:
            problems.append(f"{where}: unknown quantity {r.quantity!r}")
        if r.status not in STATUSES:
            problems.append(f"{where}: status {r.status!r} is not one of {', '.join(STATUSES)}")
        if not (r.value >= 0):
            problems.append(f"{where}: value {r.value} must be a number >= 0")
        if not r.source.strip():
            problems.append(f"{where}: a source is required")
        if r.year_from is not None and r.year_to is not None and r.year_from > r.year_to:
            problems.append(f"{where}: year_from {r.year_from} is after year_to {r.year_to}")
        try:
            unit_factor(r.per_unit, r.carrier)
        except UnitError as exc:
            problems.append(f"{where}: per_unit: {exc}")
    return problems


def flatten_factor_rows(
    own: Sequence[FactorRow], included: Sequence[Sequence[FactorRow]]
) -> list[FactorRow]:
    """Merge a set's own rows over the rows of the sets it includes.

    Later includes override earlier ones, and the set's own rows override every include,
    per ``(carrier, quantity)``: a set that gives any electricity ``tco2`` row replaces all the
    electricity ``tco2`` rows of its includes (so year ranges never mix across sets).
    """
    merged: dict[tuple[str, str], list[FactorRow]] = {}
    for layer in [*included, own]:
        layer_keys: dict[tuple[str, str], list[FactorRow]] = {}
        for row in layer:
            layer_keys.setdefault((row.carrier, row.quantity), []).append(row)
        merged.update(layer_keys)
    return [row for rows in merged.values() for row in rows]


def resolve_factors(
    rows: Sequence[FactorRow], year: int, *, carriers: Iterable[str] | None = None, set_id: str = ""
) -> dict[str, CarrierFactors]:
    """Coefficients per carrier for accounting ``year``.

    Parameters
    ----------
    rows
        The flattened rows of a factor set.
    year
        Accounting year.
    carriers
        Carriers that must be resolvable; default every carrier the set has rows for.
    set_id
        Name used in error messages.

    Returns
    -------
    dict
        ``carrier -> CarrierFactors``; values are per canonical unit ([kgce/unit], [tCO2/unit]).

    Raises
    ------
    FactorError
        If a required carrier lacks a quantity for ``year``, or two rows apply at once.

    Notes
    -----
    On-site generation (``pv_generation``) needs no CO2 factor: it is reported apart and its
    ``tco2`` is 0 unless the set gives one.
    """
    wanted = sorted(set(carriers) if carriers is not None else {r.carrier for r in rows})
    out: dict[str, CarrierFactors] = {}
    problems: list[str] = []
    for carrier in wanted:
        chosen: dict[str, FactorRow] = {}
        for quantity in QUANTITIES:
            hits = [
                r for r in rows if r.carrier == carrier and r.quantity == quantity
                and r.applies_to(year)
            ]
            if len(hits) > 1:
                spans = "; ".join(f"{h.value} {h.per_unit} ({h.origin_set})" for h in hits)
                problems.append(f"{carrier}/{quantity}: {len(hits)} rows apply to {year}: {spans}")
            elif hits:
                chosen[quantity] = hits[0]
        if FactorQuantity.TCO2 not in chosen \
                and CARRIERS[carrier].scope == EmissionScope.GENERATION:
            chosen[FactorQuantity.TCO2] = FactorRow(
                carrier, FactorQuantity.TCO2, 0.0, CARRIERS[carrier].canonical_unit,
                "on-site generation is reported apart; no emissions attributed",
                FactorStatus.VERIFIED,
                origin_set="(rule)",
            )
        missing = [q for q in QUANTITIES if q not in chosen]
        if missing:
            problems.append(f"{carrier}: no {', '.join(missing)} factor applies to {year}")
            continue
        out[carrier] = CarrierFactors(
            carrier=carrier,
            year=year,
            kgce_equivalent=chosen[FactorQuantity.KGCE_EQUIVALENT].per_canonical_unit(),
            kgce_equal=chosen[FactorQuantity.KGCE_EQUAL].per_canonical_unit(),
            tco2=chosen[FactorQuantity.TCO2].per_canonical_unit(),
            rows=tuple(chosen[q] for q in QUANTITIES),
        )
    if problems:
        msg = f"factor set {set_id or '?'} cannot account {year}: " + "; ".join(problems)
        raise FactorError(msg)
    return out


def with_origin(rows: Iterable[FactorRow], set_id: str) -> list[FactorRow]:
    """Stamp rows with the set they were written in (keeps an existing stamp)."""
    return [r if r.origin_set else replace(r, origin_set=set_id) for r in rows]
