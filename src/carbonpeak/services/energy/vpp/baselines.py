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
    """kW per resource, day and interval of day from ``long`` (``resource_id``, ``ts`` local
    naive interval start, ``kwh``); NaN where no reading. Several readings of the same
    resource and interval (several meters) are summed. kW = kWh / (minutes / 60).

    Returns the cube and the resource order (``resources`` as given).
    """
    per_day = 1440 // interval_minutes
    out = np.full((len(resources), len(days), per_day), np.nan)
    if long.empty or not resources or not days:
        return out, list(resources)
    r_codes = pd.Categorical(long["resource_id"], categories=list(resources)).codes
    ts = pd.DatetimeIndex(long["ts"])
    day0 = pd.Timestamp(min(days))
    offsets = np.asarray((ts.normalize() - day0).days, dtype=np.int64)
    day_index = np.full(int(offsets.max(initial=0)) + 1 if offsets.size else 1, -1)
    for k, d in enumerate(days):
        off = (d - min(days)).days
        if 0 <= off < day_index.size:
            day_index[off] = k
    ok_off = (offsets >= 0) & (offsets < day_index.size)
    d_codes = np.where(ok_off, day_index[np.clip(offsets, 0, day_index.size - 1)], -1)
    minutes = np.asarray(ts.hour * 60 + ts.minute, dtype=np.int64)
    t_codes = minutes // interval_minutes
    keep = (r_codes >= 0) & (d_codes >= 0)
    flat = (r_codes[keep].astype(np.int64) * len(days) + d_codes[keep]) * per_day + t_codes[keep]
    kwh = np.asarray(long["kwh"], dtype=np.float64)[keep]
    sums = np.bincount(flat, weights=kwh, minlength=out.size)
    counts = np.bincount(flat, minlength=out.size)
    values = np.where(counts > 0, sums, np.nan) / (interval_minutes / 60.0)
    return values.reshape(out.shape), list(resources)
