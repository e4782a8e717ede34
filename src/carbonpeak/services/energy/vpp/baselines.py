"""Interval readings in long form → the ``(resources, days, intervals)`` kW cube of the domain.

中文：将长表间隔读数整理为“资源 × 日 × 时段”的负荷（kW）三维数组（向量化）。
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["cube"]


def cube(long: pd.DataFrame, resources: Sequence[str], days: Sequence[dt.date], *,
         interval_minutes: int) -> tuple[npt.NDArray[np.float64], list[str]]:
    """kW per resource, day and interval of day from ``long`` (``resource_id``, plain or
    categorical; ``ts`` local naive interval start; ``kwh``); NaN where no reading. Several
    readings of the same resource and interval (several meters) are summed.
    kW = kWh / (minutes / 60).

    Returns the cube and the resource order (``resources`` as given).
    """
    per_day = 1440 // interval_minutes
    out = np.full((len(resources), len(days), per_day), np.nan)
    if long.empty or not resources or not days:
        return out, list(resources)
    ids = long["resource_id"]
    wanted = pd.Index(list(resources))
    if isinstance(ids.dtype, pd.CategoricalDtype):  # codes: no string hashing per row
        cat = ids.cat
        remap = np.append(wanted.get_indexer(pd.Index(cat.categories)), -1)
        r_codes = remap[np.asarray(cat.codes, dtype=np.int64)]  # code −1 (NaN) → −1
    else:
        r_codes = wanted.get_indexer(pd.Index(ids))
    first = min(days)
    minutes = (np.asarray(long["ts"], dtype="datetime64[m]")
               - np.datetime64(first, "m")).astype(np.int64)
    offsets, minute_of_day = np.divmod(minutes, 1440)
    span = (max(days) - first).days + 1
    # day offset → day position (−1: not a day asked for); offsets outside the span → −1 too
    day_index = np.full(span + 2, -1, dtype=np.int64)
    for k, d in enumerate(days):
        day_index[(d - first).days + 1] = k
    d_codes = day_index[np.clip(offsets + 1, 0, span + 1)]
    flat = (r_codes * len(days) + d_codes) * per_day + minute_of_day // interval_minutes
    flat[(r_codes < 0) | (d_codes < 0)] = out.size  # one bin past the end, dropped
    kwh = np.asarray(long["kwh"], dtype=np.float64)
    sums = np.bincount(flat, weights=kwh, minlength=out.size + 1)[:-1]
    counts = np.bincount(flat, minlength=out.size + 1)[:-1]
    values = np.where(counts > 0, sums, np.nan) / (interval_minutes / 60.0)
    return values.reshape(out.shape), list(resources)
