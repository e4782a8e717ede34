"""Public-building benchmarking: EUI by a quota table's convention, ratings, rank, percentile.

中文：公共建筑能耗对标——按限额标准的口径计算单位面积能耗，评级、排名与区内分位。

Pure functions over arrays (one element per building); the pipeline
(:mod:`carbonpeak.services.buildings.benchmarking`) feeds them the official account.

Conventions (``convention`` of a quota row; each table says which energy counts and how
electricity and the other carriers are added up):

``kwh_electricity``
    kWh/(m²·a), electricity plus the other carriers converted to electricity:
    ``EUI = (E_kWh + Q_kgce / c) / A`` with ``c`` the row's ``electricity_kgce_per_kwh``.
``kgce``
    kgce/(m²·a), comprehensive energy: ``EUI = (E_kWh · c + Q_kgce) / A``; ``c`` = 0.1229 is
    electricity at equivalent value (当量值), ~0.28–0.30 at equal value (等价值).

``Q_kgce`` is the other purchased carriers (fuels, heat) at equivalent value, minus the carriers
the table excludes (e.g. heat for a non-heating indicator). On-site PV is not purchased energy
and is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carbonpeak.i18n import Message, msg, render
from carbonpeak.vocabulary import QuotaCaseStatus, QuotaConvention, QuotaRating

__all__ = [
    "CONVENTIONS",
    "RATINGS",
    "CaseDecision",
    "Convention",
    "area_weighted_percentile",
    "convention_eui",
    "rank_within",
    "rate",
    "reduction_required",
    "review_case",
]

FloatArray = npt.NDArray[np.float64]
Convention = QuotaConvention
CONVENTIONS: dict[str, str] = {QuotaConvention.KWH_ELECTRICITY: "kWh/(m2·a)",
                               QuotaConvention.KGCE: "kgce/(m2·a)"}

#: the ratings, best first (their words: the catalogue's ``label.quota_rating.*``)
RATINGS: tuple[QuotaRating, ...] = tuple(QuotaRating)


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def convention_eui(electricity_kwh: npt.ArrayLike, other_kgce: npt.ArrayLike,
                   floor_area_m2: npt.ArrayLike, *, convention: npt.ArrayLike,
                   electricity_kgce_per_kwh: npt.ArrayLike) -> FloatArray:
    """EUI of each building by its quota row's convention (see the module notes).

    NaN where the floor area is missing or not positive, where electricity is unknown, or
    where the convention is unknown. Missing ``other_kgce`` counts as 0 (no other carrier).

    Examples
    --------
    10,000 m², 800,000 kWh and 20,000 kgce of gas:

    >>> convention_eui([8e5], [2e4], [1e4], convention=["kgce"],
    ...                electricity_kgce_per_kwh=[0.1229]).round(4).tolist()
    [11.832]
    >>> convention_eui([8e5], [2e4], [1e4], convention=["kwh_electricity"],
    ...                electricity_kgce_per_kwh=[0.1229]).round(3).tolist()
    [96.273]
    """
    e = _f(electricity_kwh)
    q = np.nan_to_num(_f(other_kgce), nan=0.0)
    a = _f(floor_area_m2)
    c = _f(electricity_kgce_per_kwh)
    conv = np.asarray(convention, dtype=object)
    e, q, a, c, conv = np.broadcast_arrays(e, q, a, c, conv)
    area = np.where(a > 0, a, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        as_kwh = (e + q / np.where(c > 0, c, np.nan)) / area
        as_kgce = (e * c + q) / area
    return np.where(conv == QuotaConvention.KWH_ELECTRICITY.value, as_kwh,
                    np.where(conv == QuotaConvention.KGCE.value, as_kgce, np.nan)
                    ).astype(np.float64)


#: decimals at which an EUI is compared with its quota values
COMPARE_DECIMALS = 6


def rate(eui: npt.ArrayLike, constraint: npt.ArrayLike, guide: npt.ArrayLike,
         *, coverage: npt.ArrayLike | None = None, min_coverage: float = 0.9,
         has_quota: npt.ArrayLike | None = None) -> npt.NDArray[np.str_]:
    """Rating of each building against its quota row (codes of :data:`RATINGS`).

    ``eui ≤ guide`` → ``meets_guide``; ``≤ constraint`` → ``meets_constraint``; above →
    ``over_constraint``. Without a guide value the best rating is ``meets_constraint``.
    ``no_quota`` without a constraint (or ``has_quota`` false); ``no_data`` without an EUI;
    ``incomplete_data`` when ``coverage`` (share of the year the account saw) is below
    ``min_coverage``: a part-year figure is not compared with an annual quota.

    >>> rate([50, 70, 90, np.nan], [80, 80, 80, 80], [60, 60, 60, 60]).tolist()
    ['meets_guide', 'meets_constraint', 'over_constraint', 'no_data']
    >>> rate([70], [80], [np.nan]).tolist()
    ['meets_constraint']
    >>> rate([0.1 + 0.2], [0.3], [np.nan]).tolist()  # 0.30000000000000004 is at the limit
    ['meets_constraint']
    """
    v, lim, g = np.broadcast_arrays(_f(eui), _f(constraint), _f(guide))
    # compared at 1e-6 of the unit: floating-point noise in a sum never decides a rating
    v, lim, g = (np.round(x, COMPARE_DECIMALS) for x in (v, lim, g))
    out = np.full(v.shape, QuotaRating.NO_QUOTA.value, dtype="<U16")
    quota = np.isfinite(lim)
    if has_quota is not None:
        quota &= np.broadcast_to(np.asarray(has_quota, dtype=bool), v.shape)
    ok = quota & np.isfinite(v)
    out[ok & (v > lim)] = QuotaRating.OVER_CONSTRAINT.value
    out[ok & (v <= lim)] = QuotaRating.MEETS_CONSTRAINT.value
    out[ok & np.isfinite(g) & (v <= g)] = QuotaRating.MEETS_GUIDE.value
    out[quota & ~np.isfinite(v)] = QuotaRating.NO_DATA.value
    if coverage is not None:
        cov = np.broadcast_to(_f(coverage), v.shape)
        out[quota & np.isfinite(v) & ~(cov >= min_coverage)] = QuotaRating.INCOMPLETE_DATA.value
    return out


def reduction_required(eui: npt.ArrayLike, constraint: npt.ArrayLike,
                       floor_area_m2: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """What a building over its constraint must save to meet it.

    Returns ``(per_m2, total, fraction)``: ``eui − constraint`` (the EUI's unit), that times the
    floor area (kWh or kgce a year), and ``1 − constraint / eui``. Zero for buildings at or
    under the constraint, NaN where unknown.

    >>> [x.round(4).tolist() for x in reduction_required([100.0, 70.0], [80.0, 80.0],
    ...                                                  [2e4, 1e4])]
    [[20.0, 0.0], [400000.0, 0.0], [0.2, 0.0]]
    """
    v, lim, a = np.broadcast_arrays(_f(eui), _f(constraint), _f(floor_area_m2))
    per_m2 = np.maximum(v - lim, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(v > lim, 1.0 - lim / v, np.where(np.isfinite(v - lim), 0.0, np.nan))
    return per_m2, per_m2 * a, frac.astype(np.float64)


def area_weighted_percentile(values: npt.ArrayLike, weights: npt.ArrayLike,
                             groups: npt.ArrayLike) -> FloatArray:
    """Share of its group's floor area with a strictly lower value (0 = best in the group).

    Buildings without a value or a positive weight get NaN and do not count in the group's
    area. Vectorised: one sort per call.

    Examples
    --------
    Three offices of 1,000, 2,000 and 1,000 m² using 50, 60 and 70 kgce/m²; the group's
    area is 4,000 m²: 0 / 4000, 1000 / 4000, 3000 / 4000.

    >>> area_weighted_percentile([50, 60, 70], [1000, 2000, 1000], ["o", "o", "o"]).tolist()
    [0.0, 0.25, 0.75]
    """
    v = _f(values)
    w = _f(weights)
    g = np.asarray(groups, dtype=object).astype(str)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out
    order = idx[np.lexsort((v[idx], g[idx]))]
    gs, vs, ws = g[order], v[order], w[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    group_of = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, gs.size]))
    cum = np.cumsum(ws)
    before_group = np.r_[0.0, cum][starts][group_of]
    totals = np.add.reduceat(ws, starts)[group_of]
    # area strictly below: cumulative weight before the first building with the same value
    key_change = np.r_[True, (gs[1:] != gs[:-1]) | (vs[1:] != vs[:-1])]
    first_equal = np.maximum.accumulate(np.where(key_change, np.arange(gs.size), 0))
    below = np.r_[0.0, cum][first_equal] - before_group
    out[order] = below / totals
    return out


def rank_within(values: npt.ArrayLike, groups: npt.ArrayLike) -> FloatArray:
    """Rank 1 = lowest value within each group (ties share the lowest rank); NaN stays NaN.

    >>> rank_within([50, 70, 50, 10, np.nan], ["o", "o", "o", "h", "h"]).tolist()
    [1.0, 3.0, 1.0, 1.0, nan]
    """
    v = _f(values)
    g = np.asarray(groups, dtype=object).astype(str)
    out = np.full(v.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(v))
    if idx.size == 0:
        return out
    order = idx[np.lexsort((v[idx], g[idx]))]
    gs, vs = g[order], v[order]
    n = gs.size
    new_group = np.r_[True, gs[1:] != gs[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    key_change = new_group | np.r_[True, vs[1:] != vs[:-1]]
    first_equal = np.maximum.accumulate(np.where(key_change, np.arange(n), 0))
    out[order] = (first_equal - group_start + 1).astype(np.float64)
    return out


@dataclass(frozen=True)
class CaseDecision:
    """What a review does to a quota case: ``status`` and why (a catalogue message)."""

    status: QuotaCaseStatus
    reason: Message

    @property
    def reason_zh(self) -> str:
        """The reason in Chinese."""
        return render(self.reason, "zh")

    @property
    def reason_en(self) -> str:
        """The reason in English."""
        return render(self.reason, "en")


def review_case(*, deadline: dt.date, review_date: dt.date, later_rating: str | None,
                later_year: int | None) -> CaseDecision:
    """The quota workflow's rule for a building that was notified to rectify.

    * a later year's rating that meets the constraint (or the guide) closes the case;
    * a later year still over the constraint escalates it once the deadline has passed;
    * no later figure (or an incomplete one) escalates it once the deadline has passed;
    * otherwise the case stays ``notified``.

    >>> review_case(deadline=dt.date(2025, 6, 30), review_date=dt.date(2025, 7, 1),
    ...             later_rating="meets_constraint", later_year=2025).status
    'closed'
    >>> review_case(deadline=dt.date(2025, 6, 30), review_date=dt.date(2025, 7, 1),
    ...             later_rating=None, later_year=None).status
    'escalated'
    """
    if later_rating in (QuotaRating.MEETS_GUIDE, QuotaRating.MEETS_CONSTRAINT):
        return CaseDecision(QuotaCaseStatus.CLOSED, msg("buildings.quota.closed", year=later_year))
    if review_date <= deadline:
        return CaseDecision(QuotaCaseStatus.NOTIFIED, msg("buildings.quota.deadline_not_reached"))
    if later_rating == QuotaRating.OVER_CONSTRAINT:
        return CaseDecision(QuotaCaseStatus.ESCALATED,
                            msg("buildings.quota.still_over", year=later_year))
    return CaseDecision(QuotaCaseStatus.ESCALATED, msg("buildings.quota.no_later_figure"))
