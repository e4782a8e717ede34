"""Physical plausibility of readings and ledger rows, and the robust spike rule.

中文：读数与台账的物理合理性（超过额定上限、负值、超过历史水平 316 倍即拒收）与
稳健尖峰规则（尖峰值暂不计入正式核算，待分析员确认或剔除）。

The same numbers serve the intake (which refuses the impossible and holds the suspicious)
and the data-quality checks (which flag them in stored data, ``services/accounting/quality``):

* **Ceiling**: one reading holds at most the meter's ``ceiling`` (its rated capacity over one
  interval, in the meter's unit), else the carrier's hourly ceiling
  (:data:`HOURLY_CEILINGS`, canonical unit per hour; settings may override it) times the
  interval's hours. A ledger row holds at most a month (744 hours) of it.
* **History**: a value of :data:`HISTORY_RATIO` (10^2.5 ≈ 316) or more times the meter's
  typical level (the median over days of the day's mean value) is refused: it is the factor
  at which a day is a unit mismatch (``QualityThresholds.unit_log10``).
* **Cumulative registers** (:func:`register_step_problem`): a register's use is the difference
  of two reads, so each step between neighbouring reads is checked: a drop that is neither a
  rollover (the account's rule) nor a meter replacement (a new read of at most
  :data:`REPLACEMENT_SHARE` of the previous) is refused; a step's use above the meter's ceiling
  for the time it spans, or at :data:`HISTORY_RATIO` or more times the meter's typical use per
  hour, is refused.
* **Spike** (robust rule): a value more than :data:`SPIKE_Z` robust standard deviations
  (1.4826 × MAD, or 1.2533 × mean absolute deviation when the MAD is 0) above the median and
  more than :data:`SPIKE_PEAK_RATIO` times the typical daily peak is suspicious. For an interval
  register the value is the reading; for a cumulative register it is a step's use per hour
  (its rate), against the median, scale and typical daily peak of the meter's step rates.
  A suspicious value is held (:data:`HELD_SPIKE`, :data:`HELD_REGISTER_SPIKE`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from carbonpeak.domain.accounting import register_wrap
from carbonpeak.domain.units import CARRIERS
from carbonpeak.i18n import Message, msg
from carbonpeak.vocabulary import EnergyCarrier

__all__ = [
    "HELD_REGISTER_SPIKE",
    "HELD_SPIKE",
    "HISTORY_RATIO",
    "HOURLY_CEILINGS",
    "LEDGER_HOURS",
    "MIN_HISTORY_DAYS",
    "REPLACEMENT_SHARE",
    "RegisterProblem",
    "RegisterStep",
    "SPIKE_PEAK_RATIO",
    "SPIKE_Z",
    "UNIT_LOG10",
    "hourly_ceiling",
    "is_spike",
    "ledger_ceiling",
    "ledger_problems",
    "reading_ceiling",
    "register_step_problem",
]

#: a day differing from the meter's typical day by 10**UNIT_LOG10 (≈ 316×) is a unit mismatch
UNIT_LOG10 = 2.5
#: a reading of this many times the meter's typical level or more is refused
HISTORY_RATIO = 10 ** UNIT_LOG10
#: robust standard deviations above the median that make a spike
SPIKE_Z = 10.0
#: … and times the typical daily peak
SPIKE_PEAK_RATIO = 5.0
#: days of history a typical level needs before the history rule applies
MIN_HISTORY_DAYS = 7
#: a register read that drops to at most this share of the previous read is a new meter (a
#: replacement or a reset: the account leaves that interval out); a smaller drop is refused
REPLACEMENT_SHARE = 0.1
#: hours of a ledger month at most (31 days)
LEDGER_HOURS = 744.0
#: the reason (a message code) of a held interval reading: the reading is left out
HELD_SPIKE = "intake.held.spike"
#: the reason of a held cumulative register read: the step ending at it (its use since the
#: read before) is left out, as for a reset (the time it spans is not covered)
HELD_REGISTER_SPIKE = "intake.held.register_spike"

#: the most one entity of a district can use in an hour, canonical unit of the carrier
#: (kWh, GJ, m³, t): a gigawatt of electricity, about 2.8 GW of heat, …
HOURLY_CEILINGS: dict[str, float] = {
    EnergyCarrier.ELECTRICITY: 1e6,
    EnergyCarrier.PV_GENERATION: 1e5,
    EnergyCarrier.HEAT: 1e4,
    EnergyCarrier.NATURAL_GAS: 1e5,
    EnergyCarrier.DIESEL: 100.0,
    EnergyCarrier.GASOLINE: 100.0,
    EnergyCarrier.KEROSENE: 100.0,
    EnergyCarrier.FUEL_OIL: 100.0,
    EnergyCarrier.LPG: 100.0,
}


def hourly_ceiling(carrier: str, overrides: Mapping[str, float] | None = None) -> float:
    """The carrier's hourly ceiling (canonical unit), ``overrides`` first; inf when unknown."""
    if overrides and carrier in overrides:
        return float(overrides[carrier])
    return HOURLY_CEILINGS.get(carrier, math.inf)


def reading_ceiling(*, carrier: str, to_canonical: float, multiplier: float,
                    interval_minutes: int, meter_ceiling: float | None,
                    overrides: Mapping[str, float] | None = None) -> float:
    """The most one raw reading of a meter may hold, in the meter's unit.

    ``to_canonical`` is the meter unit's factor to the carrier's canonical unit and
    ``multiplier`` the meter's CT×PT ratio (a raw value × both is canonical).

    >>> reading_ceiling(carrier="electricity", to_canonical=1.0, multiplier=1.0,
    ...                 interval_minutes=15, meter_ceiling=None)
    250000.0
    >>> reading_ceiling(carrier="electricity", to_canonical=1.0, multiplier=1.0,
    ...                 interval_minutes=60, meter_ceiling=500.0)
    500.0
    """
    if meter_ceiling is not None:
        return float(meter_ceiling)
    per_raw = to_canonical * (multiplier or 1.0)
    if per_raw <= 0:
        return math.inf
    return hourly_ceiling(carrier, overrides) * max(interval_minutes, 1) / 60.0 / per_raw


def is_spike(value: float, *, median: float, scale: float, peak: float | None,
             z: float = SPIKE_Z, peak_ratio: float = SPIKE_PEAK_RATIO) -> bool:
    """The robust spike rule for one value against its meter's median, scale and peak.

    >>> is_spike(1000.0, median=10.0, scale=1.0, peak=20.0)
    True
    >>> is_spike(60.0, median=10.0, scale=1.0, peak=20.0)
    False
    """
    return (peak is not None and scale > 0 and value - median > z * scale
            and value > peak_ratio * peak)


def ledger_ceiling(carrier: str, overrides: Mapping[str, float]) -> float:
    """The most an entity can use of ``carrier`` in a month (canonical unit)."""
    return hourly_ceiling(carrier, overrides) * LEDGER_HOURS


def ledger_problems(entities: Sequence[str], carriers: Sequence[str | None],
                    canonical: Sequence[float], history: Mapping[tuple[str, str], float],
                    overrides: Mapping[str, float]) -> list[tuple[int, Message]]:
    """Positions of ledger rows beyond plausibility, with their reasons."""
    out: list[tuple[int, Message]] = []
    for i, (e, c, q) in enumerate(zip(entities, carriers, canonical, strict=True)):
        if c is None or c not in CARRIERS or not math.isfinite(q):
            continue
        unit = CARRIERS[c].canonical_unit
        ceiling = ledger_ceiling(c, overrides)
        typical = history.get((e, c))
        if q > ceiling:
            out.append((i, msg("intake.ledger.above_ceiling", ceiling=f"{ceiling:.6g}", unit=unit)))
        elif typical is not None and q >= HISTORY_RATIO * typical:
            out.append((i, msg("intake.ledger.above_history", ratio=f"{HISTORY_RATIO:.3g}",
                               typical=f"{typical:.6g}", unit=unit)))
    return out


@dataclass(frozen=True)
class RegisterStep:
    """Two neighbouring reads of a cumulative register (raw values, the meter's unit).

    ``ceiling`` is the most one reading interval (``interval_minutes``) may hold
    (:func:`reading_ceiling`); ``typical_rate`` the meter's typical use per hour (``None``:
    too little history).
    """

    previous: float
    value: float
    hours: float
    ceiling: float
    interval_minutes: int
    rollover_at: float | None = None
    typical_rate: float | None = None


@dataclass(frozen=True)
class RegisterProblem:
    """Why a register step is implausible: ``use`` over the step (for ``backwards`` the drop)
    and the ``limit`` it broke (``backwards``: the largest drop that would be a replacement)."""

    reason: Literal["backwards", "above_ceiling", "above_history"]
    use: float
    limit: float


def register_step_problem(step: RegisterStep) -> RegisterProblem | None:
    """The plausibility of one step of a cumulative register; ``None`` when plausible.

    * a drop: a rollover (``rollover_at`` set, the previous read in its top 10 %, the new one in
      its bottom 10 %: the account's rule) uses ``value + wrap − previous``; a new read of at
      most :data:`REPLACEMENT_SHARE` of the previous is a replaced or reset meter (plausible:
      the account leaves the interval out); any other drop is ``backwards``;
    * the use is ``above_ceiling`` when over ``ceiling × hours × 60 ÷ interval_minutes``;
    * ``above_history`` when its rate per hour is :data:`HISTORY_RATIO` or more times
      ``typical_rate``.

    >>> register_step_problem(RegisterStep(110.0, 100.0, 1.0, 1e6, 60)).reason
    'backwards'
    >>> register_step_problem(RegisterStep(110.0, 5.0, 1.0, 1e6, 60)) is None
    True
    >>> register_step_problem(RegisterStep(9995.0, 5.0, 1.0, 1e6, 60, rollover_at=9999.0))
    """
    if step.hours <= 0 or not (math.isfinite(step.previous) and math.isfinite(step.value)):
        return None
    if step.value < step.previous:
        r = step.rollover_at
        if (r is not None and r > 0 and 0.9 * r <= step.previous <= r
                and step.value < 0.1 * r):
            use = step.value + register_wrap(r) - step.previous
        elif step.value <= REPLACEMENT_SHARE * step.previous:
            return None
        else:
            return RegisterProblem("backwards", step.previous - step.value,
                                   (1 - REPLACEMENT_SHARE) * step.previous)
    else:
        use = step.value - step.previous
    limit = step.ceiling * step.hours * 60.0 / max(step.interval_minutes, 1)
    if use > limit:
        return RegisterProblem("above_ceiling", use, limit)
    rate = use / step.hours
    if step.typical_rate is not None and step.typical_rate > 0 \
            and rate >= HISTORY_RATIO * step.typical_rate:
        return RegisterProblem("above_history", use, HISTORY_RATIO * step.typical_rate
                               * step.hours)
    return None
