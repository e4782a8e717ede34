"""The figure catalogue: every number the platform publishes, defined once.

中文：口径目录——平台发布的每个数字只定义一次：代码、中英文名称（消息目录）、单位、显示精度、
口径（核算口径、统计口径、台账记录、规划值）、统计期、截止日期规则和来源。

A :class:`FigureDef` says what a figure is; its value is computed once per district, year and
as-of date by :mod:`carbonpeak.services.figures.compute` and stored (``figure_values``).
Names are message codes ``figure.<code>`` (``catalogue/figures.json``), rendered at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from carbonpeak.i18n import Lang, Message, render
from carbonpeak.vocabulary import FigureAsOf, FigureBasis, ScopeType

__all__ = ["CATALOGUE", "FigureDef", "definition", "format_value", "round_value"]


@dataclass(frozen=True)
class FigureDef:
    """One figure of the catalogue.

    ``digits`` is the display precision every surface prints; ``subject`` what one value is
    about (the district, each street, each key unit); ``as_of`` what its date means.
    """

    code: str
    unit: str
    digits: int
    basis: FigureBasis
    as_of: FigureAsOf
    subject: ScopeType = ScopeType.DISTRICT

    @property
    def name(self) -> Message:
        """The figure's name (``figure.<code>`` in the message catalogue)."""
        return Message(f"figure.{self.code}")

    def name_text(self, lang: Lang) -> str:
        """The name in ``lang``."""
        return render(self.name, lang)


_M, _S, _O, _P = (FigureBasis.METERED_ACCOUNT, FigureBasis.STATISTICS, FigureBasis.OBSERVATION,
                  FigureBasis.PLAN_VALUE)
_RUN, _STAT, _END, _PLAN = (FigureAsOf.ACCOUNT_RUN, FigureAsOf.STATISTICS_ROW,
                            FigureAsOf.YEAR_END, FigureAsOf.PLAN)
_ST, _EN = ScopeType.STREET, ScopeType.ENTITY

#: the catalogue, in the order the figures are listed
CATALOGUE: tuple[FigureDef, ...] = (
    # the metered account of the year's official run (核算口径)
    FigureDef("energy.metered", "tce", 0, _M, _RUN),
    FigureDef("energy.metered.equivalent", "tce", 0, _M, _RUN),
    FigureDef("co2.metered", "tCO2", 0, _M, _RUN),
    FigureDef("pv.metered", "kWh", 0, _M, _RUN),
    FigureDef("coverage.intervals", "%", 1, _M, _RUN),
    FigureDef("key_units.count", "count", 0, _M, _RUN),
    # the district statistics (统计口径)
    FigureDef("energy.statistics", "tce", 0, _S, _STAT),
    FigureDef("co2.statistics", "tCO2", 0, _S, _STAT),
    FigureDef("intensity.energy_per_gdp", "tce/10^4 CNY", 4, _S, _STAT),
    FigureDef("intensity.energy_per_gdp.change", "%", 1, _S, _STAT),
    FigureDef("intensity.co2_per_gdp", "tCO2/10^4 CNY", 4, _S, _STAT),
    # plan values: budgets and the plan scenario's peak
    FigureDef("budget.district", "tce", 0, _P, _PLAN),
    FigureDef("budget.district.metered_share", "tce", 0, _P, _PLAN),
    FigureDef("peak.plan.year", "year", 0, _P, _PLAN),
    FigureDef("peak.plan.tco2", "tCO2", 0, _P, _PLAN),
    # programme counts from their records, at the end of the year unless asked otherwise
    FigureDef("audits.covered", "count", 0, _O, _END),
    FigureDef("audits.in_cycle", "count", 0, _O, _END),
    FigureDef("audits.coverage", "%", 1, _O, _END),
    FigureDef("audits.overdue", "count", 0, _O, _END),
    FigureDef("audits.never", "count", 0, _O, _END),
    FigureDef("commissioning.screened", "count", 0, _O, _RUN),
    FigureDef("commissioning.candidates", "count", 0, _O, _RUN),
    FigureDef("commissioning.normal_for_type", "count", 0, _O, _RUN),
    # per street
    FigureDef("street.energy.metered", "tce", 0, _M, _RUN, _ST),
    FigureDef("street.coverage.intervals", "%", 1, _M, _RUN, _ST),
    FigureDef("street.budget", "tce", 0, _P, _PLAN, _ST),
    # per key unit
    FigureDef("key_unit.energy.own", "tce", 1, _M, _RUN, _EN),
    FigureDef("key_unit.energy.consolidated", "tce", 1, _M, _RUN, _EN),
    FigureDef("key_unit.budget", "tce", 0, _P, _PLAN, _EN),
    FigureDef("key_unit.budget.elastic", "tce", 0, _P, _PLAN, _EN),
)

_BY_CODE = {f.code: f for f in CATALOGUE}


def definition(code: str) -> FigureDef:
    """The definition of ``code``.

    Raises
    ------
    KeyError
        Not a catalogue code.
    """
    return _BY_CODE[code]


def _quantized(value: float, digits: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def round_value(value: float | None, digits: int) -> float | None:
    """The value at the published precision (the number :func:`format_value` prints), for a
    spreadsheet cell; rounded the same way (half away from zero on the exact value)."""
    return None if value is None else float(_quantized(value, digits))


def format_value(value: float | None, digits: int, unit: str = "") -> str:
    """The printed form every surface uses: thousands separators and ``digits`` decimals
    (a year without separators); ``—`` for no value.

    Rounded half away from zero on the value's exact decimal expansion, as the dashboard's
    ``Intl.NumberFormat`` does (``1234.5`` prints ``1,235`` everywhere; Python's own format
    would round it to even)."""
    if value is None:
        return "—"
    exact = _quantized(value, digits)
    if unit == "year":
        return f"{exact:.0f}"
    return f"{exact:,.{digits}f}"
