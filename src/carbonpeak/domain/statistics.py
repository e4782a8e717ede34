"""District statistics (统计口径): GDP at comparable prices, and which year a target is judged on.

中文：统计口径。地区生产总值按可比价：统计公报给出当年价GDP与按可比价计算的实际增长率，平台
以声明的基年价格逐年链接出可比价序列；强度指标只用可比价GDP并注明价格基年。强度与总量目标只以
统计数据与统计基期比较（同口径）；某年尚无统计数据时，以最近有统计数据的年份评估，或不评估，
并在目标状态中说明。

Conventions
-----------
* GDP in 10^4 CNY. ``real_growth_pct`` is the growth over the previous year at comparable
  prices in percent (``6.5`` is +6.5 %), as a 统计公报 prints it.
* The chained series is at the prices of ``base_year``: its value in the base year is that
  year's current-price GDP; every other year moves from its neighbour by the real growth rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from carbonpeak.i18n import Message, msg

__all__ = ["StatisticsYear", "chain_comparable_gdp", "statistics_year"]


def chain_comparable_gdp(current: Mapping[int, float], real_growth_pct: Mapping[int, float],
                         base_year: int) -> dict[int, float]:
    """GDP at the comparable prices of ``base_year``, chained from the real growth rates.

    ``G[base] = current[base]``; for later years ``G[y] = G[y − 1] · (1 + g[y] / 100)``; for
    earlier years ``G[y − 1] = G[y] / (1 + g[y] / 100)``. The chain stops at the first year
    without a growth rate (later, or earlier, years are then not in the result): a comparable
    price series is never patched with current prices.

    Parameters
    ----------
    current
        year -> current-price GDP (当年价) [10^4 CNY]; only the base year's is used.
    real_growth_pct
        year -> real growth over the previous year at comparable prices [%].
    base_year
        The price base year (价格基年).

    Returns
    -------
    dict
        year -> GDP at ``base_year`` prices [10^4 CNY], in year order; empty when the base
        year has no current-price GDP.

    Raises
    ------
    ValueError
        If a value is not finite, a GDP is not > 0 or a growth rate is ≤ −100 % (the message
        names the year).

    Examples
    --------
    >>> chain_comparable_gdp({2020: 1000.0, 2021: 1100.0}, {2021: 5.0, 2022: 4.0}, 2020)
    {2020: 1000.0, 2021: 1050.0, 2022: 1092.0}
    """
    for y, v in current.items():
        if not (math.isfinite(v) and v > 0):
            msg_ = f"current-price GDP of {y} must be a finite number > 0, got {v!r}"
            raise ValueError(msg_)
    for y, g in real_growth_pct.items():
        if not (math.isfinite(g) and g > -100.0):
            msg_ = f"real GDP growth of {y} must be a finite percentage > −100, got {g!r}"
            raise ValueError(msg_)
    if base_year not in current:
        return {}
    out = {base_year: float(current[base_year])}
    y = base_year
    while y + 1 in real_growth_pct:
        out[y + 1] = out[y] * (1.0 + real_growth_pct[y + 1] / 100.0)
        y += 1
    y = base_year
    while y in real_growth_pct:
        out[y - 1] = out[y] / (1.0 + real_growth_pct[y] / 100.0)
        y -= 1
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class StatisticsYear:
    """The year a statistics-based target is judged on, and why.

    Attributes
    ----------
    asked
        The year the assessment is for (``None``: the latest).
    used
        The year whose statistics are compared (``None``: not judged).
    basis
        A catalogue message saying which: judged on that year's statistics, on the last year
        that has statistics (the year asked has none), or not judged (no statistics at all).
    """

    asked: int | None
    used: int | None
    basis: Message


def statistics_year(available: Iterable[int], asked: int | None) -> StatisticsYear:
    """Like with like: the year whose statistics judge a target for ``asked``.

    An intensity (or total) target compares the district statistics with a statistics
    baseline; a metered-subset account is never put in their place. So a year without
    statistics is judged on the last year up to it that has them, and said so; with none, the
    target is not judged.

    Examples
    --------
    >>> statistics_year([2020, 2021, 2022], 2024).used
    2022
    >>> statistics_year([2020, 2021, 2022], 2024).basis.code
    'plan.status.basis.last_statistics'
    >>> statistics_year([2023], 2022).used is None
    True
    """
    years = sorted({int(y) for y in available if asked is None or int(y) <= asked})
    if not years:
        return StatisticsYear(asked, None, msg("plan.status.basis.no_statistics",
                                               year=asked if asked is not None else "—"))
    used = years[-1]
    if asked is None or used == asked:
        return StatisticsYear(asked, used, msg("plan.status.basis.statistics", year=used))
    return StatisticsYear(asked, used, msg("plan.status.basis.last_statistics", year=asked,
                                           used=used))
