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

from carbonpeak.i18n import Lang, Message, label_text, render
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

    def unit_text(self, lang: Lang) -> str:
        """The unit in ``lang`` (``label.figure_unit.*``; a unit symbol as it is)."""
        return label_text("figure_unit", _UNIT_CODES.get(self.unit, self.unit), lang)


#: units whose symbol is not a code
_UNIT_CODES = {"tce/10^4 CNY": "tce_per_10k_cny", "tCO2/10^4 CNY": "tco2_per_10k_cny"}


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
    # rooftop PV (issue 18): the roof survey and the asset registry, at the end of the year;
    # the capacities and roof shares are the PV targets' values (HP-33, HP-37..39, TH-06/07/33)
    FigureDef("pv.potential", "MW", 3, _O, _END),
    FigureDef("pv.potential.pilot", "MW", 3, _O, _END),
    FigureDef("pv.capacity.dc", "MW", 3, _O, _END),
    FigureDef("pv.capacity.ac", "MW", 3, _O, _END),
    FigureDef("pv.new.dc", "MW", 3, _O, _END),
    FigureDef("pv.new.ac", "MW", 3, _O, _END),
    FigureDef("pv.roof_share.public_new", "%", 1, _O, _END),
    FigureDef("pv.roof_share.public_existing", "%", 1, _O, _END),
    FigureDef("pv.roof_area_share.other_public_new", "%", 1, _O, _END),
    FigureDef("pv.roof_share.public_industrial_new", "%", 1, _O, _END),
    FigureDef("pv.performance_ratio", "ratio", 2, _O, _END),
    # the virtual power plant (issue 19): the targets' values (HP-41..45, TH-12)
    FigureDef("vpp.buildings", "count", 0, _O, _END),
    FigureDef("vpp.contracted", "MW", 2, _O, _END),
    FigureDef("vpp.verified", "MW", 2, _O, _END),
    FigureDef("vpp.verified.automated", "MW", 2, _O, _END),
    FigureDef("vpp.frequency_regulation", "MW", 2, _O, _END),
    FigureDef("vpp.peak_share", "%", 1, _O, _END),
    # plan supervision (issue 17): tasks and the year's dispatch rounds on the as-of date
    FigureDef("supervision.tasks", "count", 0, _O, _END),
    FigureDef("supervision.tasks.completed", "count", 0, _O, _END),
    FigureDef("supervision.items.asked", "count", 0, _O, _END),
    FigureDef("supervision.items.overdue", "count", 0, _O, _END),
    FigureDef("supervision.items.on_time", "%", 1, _O, _END),
    FigureDef("supervision.assessment.units", "count", 0, _O, _END),
    # the project gate and the deductions of dual control (issue 20)
    FigureDef("projects.pipeline", "tce", 1, _O, _END),
    FigureDef("projects.budget.remaining", "tce", 1, _P, _PLAN),
    FigureDef("projects.headroom", "tce", 1, _P, _PLAN),
    FigureDef("deductions.new_renewables", "tce", 1, _M, _RUN),
    FigureDef("deductions.feedstock", "tce", 1, _O, _END),
    FigureDef("deductions.certificates", "tce", 1, _O, _END),
    FigureDef("energy.statistics.after_deductions", "tce", 0, _S, _STAT),
    # per street
    FigureDef("street.energy.metered", "tce", 0, _M, _RUN, _ST),
    FigureDef("street.coverage.intervals", "%", 1, _M, _RUN, _ST),
    FigureDef("street.budget", "tce", 0, _P, _PLAN, _ST),
    FigureDef("street.assessment.score", "points", 1, _O, _END, _ST),
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
