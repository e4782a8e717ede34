"""Energy carriers, their canonical units, and unit conversion: the one place it happens.

中文：能源品种、计量单位换算。

Every quantity that enters the account is converted here to its carrier's canonical unit
(electricity kWh, natural gas m³, heat GJ, liquid and solid fuels t). The pipelines do not
multiply by conversion constants of their own: they take :func:`unit_factor_table` and join it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from carbonpeak.errors import UnitError
from carbonpeak.i18n import label as _label
from carbonpeak.i18n import msg as _msg
from carbonpeak.vocabulary import EmissionScope, EnergyCarrier

__all__ = [
    "CARRIERS",
    "Carrier",
    "canonical_unit",
    "convert",
    "normalise_unit",
    "unit_factor",
    "unit_factor_table",
]

Dimension = Literal["electric_energy", "gas_volume", "heat_energy", "mass"]


@dataclass(frozen=True)
class Carrier:
    """An energy carrier (能源品种).

    Attributes
    ----------
    code
        Identifier used in files, columns and APIs.
    name_zh, name_en
        Display names.
    canonical_unit
        Unit every quantity of this carrier is stored and accounted in.
    dimension
        What the canonical unit measures; decides which units are accepted.
    scope
        ``"1"`` fuel burnt on site, ``"2"`` purchased electricity or heat,
        ``"generation"`` on-site generation reported apart (not purchased energy).
    density_t_per_m3
        Density for liquids delivered by volume (L), [t/m³]; ``None`` where a volume
        unit makes no sense for the carrier.
    density_source
        Where the density comes from.
    """

    code: str
    name_zh: str
    name_en: str
    canonical_unit: str
    dimension: Dimension
    scope: EmissionScope
    density_t_per_m3: float | None = None
    density_source: str | None = None


_DENSITY_SOURCE = (
    "typical density used in Chinese energy statistics practice (secondary; use the delivery "
    "note's density and report in t where known)"
)

CARRIERS: dict[str, Carrier] = {
    c.code: c
    for c in (
        Carrier(EnergyCarrier.ELECTRICITY, "电力", "Electricity", "kWh", "electric_energy",
                EmissionScope.SCOPE_2),
        Carrier(EnergyCarrier.HEAT, "热力", "Heat (steam, hot water)", "GJ", "heat_energy",
                EmissionScope.SCOPE_2),
        Carrier(EnergyCarrier.NATURAL_GAS, "天然气", "Natural gas", "m³", "gas_volume",
                EmissionScope.SCOPE_1),
        Carrier(EnergyCarrier.DIESEL, "柴油", "Diesel", "t", "mass", EmissionScope.SCOPE_1, 0.84,
                _DENSITY_SOURCE),
        Carrier(EnergyCarrier.GASOLINE, "汽油", "Gasoline", "t", "mass", EmissionScope.SCOPE_1,
                0.73, _DENSITY_SOURCE),
        Carrier(EnergyCarrier.KEROSENE, "煤油", "Kerosene", "t", "mass", EmissionScope.SCOPE_1,
                0.80, _DENSITY_SOURCE),
        Carrier(EnergyCarrier.FUEL_OIL, "燃料油", "Fuel oil", "t", "mass", EmissionScope.SCOPE_1,
                0.95, _DENSITY_SOURCE),
        Carrier(EnergyCarrier.LPG, "液化石油气", "LPG", "t", "mass", EmissionScope.SCOPE_1, 0.54,
                _DENSITY_SOURCE),
        Carrier(EnergyCarrier.PV_GENERATION, "光伏发电量", "On-site PV generation", "kWh",
                "electric_energy", EmissionScope.GENERATION),
    )
}

# Multipliers to the dimension's canonical unit. Keys are normalised spellings.
_UNITS: dict[str, tuple[Dimension, float]] = {
    "wh": ("electric_energy", 1e-3),
    "kwh": ("electric_energy", 1.0),
    "mwh": ("electric_energy", 1e3),
    "gwh": ("electric_energy", 1e6),
    "万kwh": ("electric_energy", 1e4),
    "m³": ("gas_volume", 1.0),
    "万m³": ("gas_volume", 1e4),
    "gj": ("heat_energy", 1.0),
    "mj": ("heat_energy", 1e-3),
    "t": ("mass", 1.0),
    "kg": ("mass", 1e-3),
    "万t": ("mass", 1e4),
}
_ALIASES: dict[str, str] = {
    "kw·h": "kwh",
    "kw.h": "kwh",
    "kw h": "kwh",
    "千瓦时": "kwh",
    "度": "kwh",
    "兆瓦时": "mwh",
    "万千瓦时": "万kwh",
    "万kw·h": "万kwh",
    "10^4kwh": "万kwh",
    "10^4 kwh": "万kwh",
    "m3": "m³",
    "nm3": "m³",
    "nm³": "m³",
    "立方米": "m³",
    "方": "m³",
    "万m3": "万m³",
    "万nm3": "万m³",
    "万nm³": "万m³",
    "万立方米": "万m³",
    "10^4m3": "万m³",
    "10^4 m3": "万m³",
    "10^4 nm3": "万m³",
    "吉焦": "gj",
    "兆焦": "mj",
    "吨": "t",
    "公斤": "kg",
    "千克": "kg",
    "万吨": "万t",
    "l": "l",
    "升": "l",
    "公升": "l",
    "立方": "m³",
}
# Volume units of liquids, in m³; converted to t through the carrier's density.
_LIQUID_VOLUME_M3 = {"l": 1e-3}
# Heat metered in kWh (thermal) is energy too: 1 kWh = 3.6 MJ.
_HEAT_FROM_ELECTRIC_UNITS = 3.6e-3


def normalise_unit(unit: str) -> str:
    """Return the normalised spelling of ``unit`` (NFKC, lower case, aliases resolved).

    >>> normalise_unit("万千瓦时")
    '万kwh'
    >>> normalise_unit(" Nm3 ")
    'm³'
    """
    key = unicodedata.normalize("NFKC", unit).strip().lower()
    key = key.replace("m^3", "m3").replace("³", "3")
    key = key.replace("m3", "m³")
    return _ALIASES.get(key, _ALIASES.get(key.replace("m³", "m3"), key))


def canonical_unit(carrier: str) -> str:
    """Canonical unit of ``carrier``.

    Raises
    ------
    UnitError
        If the carrier is unknown.
    """
    return _carrier(carrier).canonical_unit


def unit_factor(unit: str, carrier: str) -> float:
    """Multiplier that turns a quantity of ``carrier`` in ``unit`` into the canonical unit.

    Parameters
    ----------
    unit
        Unit as written in a file (``"万kWh"``, ``"m3"``, ``"L"`` …).
    carrier
        Carrier code, see :data:`CARRIERS`.

    Returns
    -------
    float
        ``quantity_canonical = quantity * unit_factor(unit, carrier)``.

    Raises
    ------
    UnitError
        If the unit is unknown or measures something else than the carrier.

    Examples
    --------
    >>> unit_factor("万kWh", "electricity")
    10000.0
    >>> round(unit_factor("L", "diesel"), 8)   # 1 L x 0.84 t/m³ = 0.00084 t
    0.00084
    """
    c = _carrier(carrier)
    key = normalise_unit(unit)
    if key in _LIQUID_VOLUME_M3:
        if c.density_t_per_m3 is None:
            msg = f"unit {unit!r} (a volume of liquid) is not valid for carrier {carrier!r}"
            raise UnitError(msg, _msg("intake.unit.liquid_volume", unit=unit,
                                      carrier=_label("carrier", c.code)))
        return _LIQUID_VOLUME_M3[key] * c.density_t_per_m3
    if key not in _UNITS:
        known = ", ".join(sorted(_display_units()))
        msg = f"unknown unit {unit!r}; known: {known}"
        raise UnitError(msg, _msg("intake.unit.unknown", unit=unit, known=known))
    dimension, factor = _UNITS[key]
    if dimension == c.dimension:
        return factor
    if c.dimension == "heat_energy" and dimension == "electric_energy":
        return factor * _HEAT_FROM_ELECTRIC_UNITS
    msg = (
        f"unit {unit!r} measures {dimension.replace('_', ' ')}, but carrier {carrier!r} "
        f"is accounted in {c.canonical_unit}"
    )
    # the carrier by its name in each language (its code is English in a Chinese reason)
    raise UnitError(msg, _msg("intake.unit.wrong_dimension", unit=unit,
                              carrier=_label("carrier", c.code),
                              dimension=_msg(f"intake.unit.dimension.{dimension}"),
                              canonical=c.canonical_unit))


def convert(quantity: float, unit: str, carrier: str, *, to: str | None = None) -> float:
    """Convert ``quantity`` of ``carrier`` from ``unit`` to ``to`` (default canonical).

    >>> convert(1.5, "MWh", "electricity")
    1500.0
    >>> convert(1500.0, "kWh", "electricity", to="万kWh")
    0.15
    """
    value = quantity * unit_factor(unit, carrier)
    if to is None:
        return value
    return value / unit_factor(to, carrier)


def unit_factor_table() -> list[tuple[str, str, float]]:
    """Every accepted ``(carrier, normalised unit, factor)``, for pipelines to join on."""
    rows: list[tuple[str, str, float]] = []
    keys = set(_UNITS) | set(_LIQUID_VOLUME_M3)
    for carrier in CARRIERS:
        for key in sorted(keys):
            try:
                rows.append((carrier, key, unit_factor(key, carrier)))
            except UnitError:
                continue
    return rows


def _carrier(carrier: str) -> Carrier:
    try:
        return CARRIERS[carrier]
    except KeyError:
        msg = f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}"
        raise UnitError(msg, _msg("intake.unit.unknown_carrier", carrier=carrier,
                                  known=", ".join(CARRIERS))) from None


def _display_units() -> set[str]:
    return set(_UNITS) | set(_LIQUID_VOLUME_M3)
