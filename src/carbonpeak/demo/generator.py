"""Deterministic synthetic district energy data in the CSV import contract.

The generator builds a plausible district (buildings, enterprises, public institutions
and their meters) on the real streets of a district profile, simulates hourly
electricity (main and sub-meters), rooftop PV, daily natural-gas registers and monthly
ledgers, and writes them as the CSV files that ``carbonpeak import`` reads. A few
realistic data-quality problems ("dirt") are injected on purpose and listed in
:attr:`DemoFiles.notes`.

Everything is a pure function of ``(profile, buildings, years, seed)``: random numbers come
from :class:`numpy.random.SeedSequence` sub-streams, never from the wall clock or global
state, and the files are byte-identical between runs.

Modelling conventions
---------------------
* Local time is the profile's ``timezone`` (a fixed-offset zone such as Asia/Shanghai).
* The main electricity meter measures the building's whole consumption (load); a PV meter
  measures on-site generation separately (it is not netted off the main meter).
* Interval registers report the consumption of ``[ts, ts + interval)``; cumulative
  registers report the register value at ``ts``. Both are in the meter's unit divided by
  its ``multiplier`` (CT ratio).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tomllib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carbonpeak.i18n import Message
from carbonpeak.i18n import msg as i18n_msg

__all__ = [
    "AREA_RANGE_M2",
    "BUILDING_TYPES",
    "EUI_TARGET_KWH_M2",
    "SUBMETERS",
    "DemoFiles",
    "build_registry",
    "generate_demo",
    "iter_reading_tables",
    "load_profile",
]

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

BUILDING_TYPES: tuple[str, ...] = (
    "office",
    "hotel",
    "mall",
    "hospital",
    "school",
    "government",
    "data_centre",
    "mixed",
)
"""Building types, in the order used internally."""

TYPE_SHARE: dict[str, float] = {
    "office": 0.35,
    "mall": 0.12,
    "hotel": 0.12,
    "mixed": 0.10,
    "government": 0.10,
    "hospital": 0.08,
    "school": 0.08,
    "data_centre": 0.05,
}
"""Target share of each building type in the synthetic stock [-]."""

EUI_TARGET_KWH_M2: dict[str, float] = {
    "office": 105.0,
    "government": 85.0,
    "hotel": 190.0,
    "mall": 260.0,
    "hospital": 230.0,
    "school": 70.0,
    "data_centre": 2000.0,
    "mixed": 150.0,
}
"""Annual electricity use intensity of the main meter by type [kWh/m2/a], before PV."""

AREA_RANGE_M2: dict[str, tuple[float, float]] = {
    "office": (15_000.0, 120_000.0),
    "mall": (20_000.0, 150_000.0),
    "hotel": (15_000.0, 80_000.0),
    "hospital": (20_000.0, 120_000.0),
    "school": (10_000.0, 60_000.0),
    "government": (5_000.0, 40_000.0),
    "data_centre": (5_000.0, 30_000.0),
    "mixed": (20_000.0, 100_000.0),
}
"""Floor-area range by building type [m2]."""

SUBMETERS: tuple[str, ...] = ("lighting_socket", "hvac", "power", "special")
"""Electricity sub-meter kinds, in meter-id order."""

PUBLIC_TYPES = frozenset({"hospital", "school", "government"})

_SECTOR: dict[str, str] = {
    "hotel": "H61",
    "mall": "F52",
    "hospital": "Q84",
    "school": "P83",
    "government": "S92",
    "data_centre": "I65",
    "mixed": "K70",
}

_EUI_SPREAD = 0.18  # +-18 % uniform spread of the EUI between buildings of one type
_TREND_SPREAD = 0.015  # +-1.5 %/a drift of a building's consumption
_REF_YEAR = 2023  # year in which a building's EUI equals its drawn target
_MIN_BUILDINGS = 8

# Approximate conversion to tce (equal value) for the district statistics.
_TCE_PER_KWH = 0.0003
_TCE_PER_M3_GAS = 0.00133
_TCE_PER_T_DIESEL = 1.4571
_TCE_PER_T_GASOLINE = 1.4714
_TCE_PER_GJ_HEAT = 0.03412
_TCE_PER_T_LPG = 1.7143
_DIESEL_T_PER_L = 0.00085

# Random sub-stream tags (first element of the SeedSequence spawn key).
_TAG_REGISTRY = 1
_TAG_WEATHER = 2
_TAG_LOAD = 3
_TAG_SUB = 4
_TAG_PV = 5
_TAG_GAS = 6
_TAG_LEDGER = 7
_TAG_DIRT = 8
_TAG_STATS = 9
_TAG_RETROFIT = 10

_PREFIXES: dict[str, str] = {"huangpu": "HP", "tianhe": "TH"}

# Hour-of-day occupancy profiles [-] (index = local hour of the interval start).
_OFFICE_WORK = np.array(
    [0, 0, 0, 0, 0, 0, 0.05, 0.4, 1, 1, 1, 1, 0.9, 1, 1, 1, 1, 1, 1, 0.6, 0.3, 0.15, 0.05, 0]
)
_OFFICE_OFF = np.array([0.0] * 9 + [0.1] * 9 + [0.0] * 6)
_GOV_WORK = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.3, 1, 1, 1, 1, 0.85, 1, 1, 1, 1, 0.5, 0.2, 0.1, 0, 0, 0, 0]
)
_GOV_OFF = np.array([0.0] * 9 + [0.05] * 8 + [0.0] * 7)
_MALL_DAY = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0, 0.05, 0.4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.45, 0.1]
)
_HOTEL_DAY = np.array(
    [0.55, 0.5, 0.5, 0.5, 0.5, 0.55, 0.7, 0.9, 1, 0.85, 0.75, 0.7]
    + [0.75, 0.7, 0.7, 0.7, 0.75, 0.85, 1, 1, 1, 0.95, 0.85, 0.7]
)
_HOSPITAL_WORK = np.array([0.5] * 7 + [0.7] + [1.0] * 9 + [0.85, 0.8, 0.7] + [0.6] * 4)
_HOSPITAL_OFF = np.array([0.5] * 7 + [0.6] + [0.75] * 9 + [0.7, 0.7, 0.65] + [0.6] * 4)
_SCHOOL_WORK = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.4, 1, 1, 1, 1, 0.8, 1, 1, 1, 1, 0.5, 0.25, 0.25, 0.25, 0, 0, 0]
)
_SCHOOL_OFF = np.array([0.0] * 8 + [0.05] * 10 + [0.0] * 6)
_DC_DAY = 0.97 + 0.03 * np.sin(2 * np.pi * (np.arange(24) - 9) / 24)

# Hour-of-day HVAC operation profiles [-].
_HVAC_OFFICE_WORK = np.array([0.0] * 7 + [0.8] + [1.0] * 12 + [0.0] * 4)
_HVAC_OFFICE_OFF = np.array([0.0] * 9 + [0.1] * 9 + [0.0] * 6)
_HVAC_GOV_WORK = np.array([0.0] * 7 + [0.8] + [1.0] * 10 + [0.0] * 6)
_HVAC_GOV_OFF = np.array([0.0] * 9 + [0.05] * 8 + [0.0] * 7)
_HVAC_MALL = np.array([0.0] * 9 + [1.0] * 14 + [0.0])
_HVAC_HOTEL = np.array([0.6] * 8 + [1.0] * 16)
_HVAC_HOSPITAL = np.array([0.7] * 8 + [1.0] * 16)
_HVAC_SCHOOL_WORK = np.array([0.0] * 7 + [1.0] * 11 + [0.0] * 6)
_HVAC_SCHOOL_OFF = np.zeros(24)
_HVAC_ALWAYS = np.ones(24)

# Per type: (base fraction range [-], cooling coefficient [1/K], heating coefficient [1/K],
# hourly noise sd [-], daily noise sd [-]).
_LOAD_PARAMS: dict[str, tuple[tuple[float, float], float, float, float, float]] = {
    "office": ((0.25, 0.35), 0.070, 0.040, 0.04, 0.04),
    "government": ((0.25, 0.35), 0.060, 0.040, 0.04, 0.04),
    "hotel": ((0.40, 0.50), 0.050, 0.030, 0.04, 0.03),
    "mall": ((0.15, 0.25), 0.060, 0.020, 0.04, 0.04),
    "hospital": ((0.45, 0.55), 0.050, 0.035, 0.03, 0.03),
    "school": ((0.12, 0.20), 0.060, 0.040, 0.05, 0.04),
    "data_centre": ((0.90, 0.94), 0.0035, 0.000, 0.01, 0.01),
    "mixed": ((0.20, 0.30), 0.065, 0.030, 0.04, 0.04),
}

# Sub-meter split per type: (hvac share of base, hvac share of occupied load,
# lighting_socket share of base, lighting_socket share of occupied load) [-].
# power = p * (base + occupied), hvac additionally takes the whole weather load,
# special takes the rest.
_SUB_SPLIT: dict[str, tuple[float, float, float, float]] = {
    "office": (0.25, 0.20, 0.35, 0.50),
    "government": (0.25, 0.20, 0.35, 0.50),
    "hotel": (0.30, 0.20, 0.25, 0.35),
    "mall": (0.30, 0.25, 0.25, 0.40),
    "hospital": (0.30, 0.20, 0.25, 0.30),
    "school": (0.20, 0.20, 0.40, 0.55),
    "data_centre": (0.08, 0.05, 0.02, 0.05),
    "mixed": (0.28, 0.22, 0.30, 0.45),
}

# Natural gas: intensity range [m3/m2/a] and weather-dependent share [-].
_GAS_PARAMS: dict[str, tuple[tuple[float, float], float]] = {
    "hotel": ((10.0, 18.0), 0.25),
    "hospital": ((8.0, 14.0), 0.30),
    "mall": ((2.5, 5.0), 0.10),
    "mixed": ((2.0, 4.0), 0.20),
}

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Name word lists (Chinese).
_NAME_TEMPLATES: dict[str, tuple[str, ...]] = {
    "office": (
        "{p}国际大厦",
        "{p}商务中心",
        "{p}企业天地",
        "{p}时代大厦",
        "{p}世纪大厦",
        "{p}中心大厦",
        "{p}财富广场",
        "{p}科技园",
    ),
    "finance": ("{p}金融中心", "{p}金融大厦", "{p}银行大厦", "{p}证券大厦"),
    "mall": ("{p}商城", "{p}广场", "{p}购物中心", "{p}百货", "{p}商厦"),
    "hotel": ("{p}大酒店", "{p}宾馆", "{p}国际饭店", "{p}酒店", "{p}花园酒店"),
    "hospital": (
        "{d}人民医院",
        "{d}中心医院",
        "{d}中医医院",
        "{d}妇幼保健院",
        "{d}第二人民医院",
        "{d}精神卫生中心",
        "{d}眼耳鼻喉医院",
        "{d}口腔医院",
    ),
    "school": (
        "{p}中学",
        "{p}小学",
        "{p}实验学校",
        "{p}第一中学",
        "{p}外国语学校",
        "{d}职业技术学校",
    ),
    "government": (
        "{d}人民政府办公楼",
        "{d}行政服务中心",
        "{d}市场监督管理局",
        "{d}税务局",
        "{d}教育局",
        "{d}卫生健康委员会",
        "{d}图书馆",
        "{s}办事处",
    ),
    "data_centre": ("{p}数据中心", "{p}云计算中心", "{p}IDC机房", "{p}算力中心"),
    "mixed": ("{p}城市综合体", "{p}天地", "{p}中心", "{p}商业广场"),
}
_NAME_SUFFIXES = ("A座", "B座", "C座", "二期", "三期", "东楼", "西楼")
_ENTERPRISE_WORDS = (
    "申华",
    "东方",
    "金桥",
    "宏达",
    "联合",
    "恒信",
    "瑞丰",
    "锦华",
    "新世纪",
    "中汇",
    "海港",
    "华通",
    "远景",
    "汇丰源",
    "德润",
    "嘉禾",
)
_ENTERPRISE_SUFFIX: dict[str, str] = {
    "office": "置业有限公司",
    "mixed": "置业有限公司",
    "mall": "商业管理有限公司",
    "hotel": "酒店管理有限公司",
    "data_centre": "数据科技有限公司",
}


# --------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoFiles:
    """Files written by :func:`generate_demo`.

    Attributes
    ----------
    out_dir : Path
        Output directory.
    entities : Path
        ``entities.csv``.
    meters : Path
        ``meters.csv``.
    readings : list[Path]
        Reading files in import order, including one exact re-send and one overlapping
        correction batch.
    ledger : list[Path]
        Monthly ledger files, one per year.
    statistics : Path
        ``statistics.csv`` (district GDP, population, energy and CO2; the years before the
        metered ones are back-cast at ``intensity_decline_history`` a year).
    sector_statistics : Path
        ``sector_statistics.csv`` (value added by GB/T 4754 section, shares drifting a
        little from year to year).
    weather : Path
        ``weather.csv`` (daily mean air temperature).
    retrofits : Path
        ``retrofits.csv``: retrofit and commissioning projects (节能改造/调适). The completed
        ones end early in the last year and their building's electricity (main and
        sub-meters) really falls by the listed share from the completion day on, when the
        demo spans two years or more (a one-year demo has no baseline year: its projects are
        listed, the drop is not simulated).
    notes : list[Message]
        The data-quality problems injected on purpose, as catalogue messages.
    """

    out_dir: Path
    entities: Path
    meters: Path
    readings: list[Path]
    ledger: list[Path]
    statistics: Path
    sector_statistics: Path
    weather: Path
    retrofits: Path
    notes: list[Message]


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _entropy(profile: dict[str, Any], seed: int) -> tuple[int, int]:
    """Root entropy of a run: the seed and a stable hash of the profile code."""
    return int(seed), zlib.crc32(str(profile.get("code", "")).encode("utf-8"))


def _rng(entropy: Sequence[int], *keys: int) -> np.random.Generator:
    """Return an independent random generator for the sub-stream ``keys`` of ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(entropy=list(entropy), spawn_key=keys))


def load_profile(code: str) -> dict[str, Any]:
    """Load a district profile TOML by its code.

    Looks in ``carbonpeak/_reference/profiles`` (installed wheel), then for
    ``reference/profiles/<code>.toml`` in the directories above this module (source
    checkout).

    Parameters
    ----------
    code : str
        Profile code, e.g. ``"huangpu"`` or ``"tianhe"``.

    Returns
    -------
    dict[str, Any]
        The parsed profile.
    """
    if not re.fullmatch(r"[a-z0-9_]+", code):
        msg = f"invalid profile code {code!r}"
        raise ValueError(msg)
    here = Path(__file__).resolve()
    candidates = [here.parents[1] / "_reference" / "profiles" / f"{code}.toml"]
    candidates += [p / "reference" / "profiles" / f"{code}.toml" for p in here.parents]
    for path in candidates:
        if path.is_file():
            with path.open("rb") as fh:
                return tomllib.load(fh)
    msg = f"district profile {code!r} not found (looked for reference/profiles/{code}.toml)"
    raise FileNotFoundError(msg)


def _demo_param(profile: dict[str, Any], key: str) -> Any:
    """Return ``profile['demo'][key]`` or raise a clear error."""
    try:
        return profile["demo"][key]
    except (KeyError, TypeError):
        msg = f"profile {profile.get('code', '?')!r} lacks demo.{key}"
        raise ValueError(msg) from None


def _demo_param_or(profile: dict[str, Any], key: str, default: float) -> Any:
    """A ``[demo]`` parameter of the profile, or ``default`` when the profile has none."""
    return profile.get("demo", {}).get(key, default)


# GB/T 4754 sections of a central business district's economy and their shares of GDP in
# the first year (synthetic; finance J and commerce F lead, as in Huangpu and Tianhe).
_SECTOR_SHARES = {"J": 0.30, "F": 0.15, "L": 0.12, "M": 0.10, "I": 0.08, "K": 0.05,
                  "H": 0.05, "Q": 0.04, "P": 0.03, "S": 0.03, "C": 0.05}


def _sector_statistics(stat_rows: Sequence[tuple[str, ...]],
                       rng: np.random.Generator) -> pd.DataFrame:
    """Value added by section: the shares drift (J, I, M up; C, F, L down) with some noise."""
    trend = {"J": 0.004, "I": 0.003, "M": 0.002, "C": -0.004, "F": -0.003, "L": -0.002}
    rows = []
    for k, (year, gdp, *_rest) in enumerate(stat_rows):
        raw = np.array([max(v + trend.get(sec, 0.0) * k + rng.normal(0.0, 0.002), 0.001)
                        for sec, v in _SECTOR_SHARES.items()])
        shares = raw / raw.sum()
        rows += [(year, sec, f"{float(gdp) * sh:.0f}")
                 for sec, sh in zip(_SECTOR_SHARES, shares, strict=True)]
    return pd.DataFrame(rows, columns=["year", "sector", "value_added_10k_cny"])


def _streets(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the profile's streets (each with ``name_zh``, ``lat``, ``lon``)."""
    streets = profile.get("streets") or []
    if not streets:
        msg = f"profile {profile.get('code', '?')!r} has no streets"
        raise ValueError(msg)
    return list(streets)


def _prefix(profile: dict[str, Any]) -> str:
    """Return the entity/meter id prefix of a profile (huangpu -> HP)."""
    if "id_prefix" in profile:
        return str(profile["id_prefix"])
    code = str(profile.get("code", ""))
    if not code:
        msg = "profile has no code"
        raise ValueError(msg)
    return _PREFIXES.get(code, code[:2].upper())


def _check_args(buildings: int, years: tuple[int, int], seed: int) -> None:
    """Validate the common arguments."""
    if int(buildings) < _MIN_BUILDINGS:
        msg = f"buildings must be >= {_MIN_BUILDINGS}, got {buildings}"
        raise ValueError(msg)
    if seed < 0:
        msg = f"seed must be non-negative, got {seed}"
        raise ValueError(msg)
    first, last = years
    if not 1991 <= first <= last <= 2100:
        msg = f"years must be an ordered pair within 1991..2100, got {years}"
        raise ValueError(msg)


def _utc_offset(profile: dict[str, Any], years: tuple[int, int]) -> dt.timedelta:
    """Return the fixed UTC offset of the profile's time zone over ``years``."""
    tz_name = str(profile.get("timezone", "Asia/Shanghai"))
    try:
        tz = ZoneInfo(tz_name)
    except ZoneInfoNotFoundError:
        if tz_name == "Asia/Shanghai":
            return dt.timedelta(hours=8)
        raise
    offsets = set()
    for year in range(years[0], years[1] + 2):
        for month in (1, 7):
            off = dt.datetime(year, month, 1, tzinfo=tz).utcoffset()
            if off is not None:
                offsets.add(off)
    if len(offsets) != 1:
        msg = f"time zone {tz_name} is not a fixed offset; the demo needs one"
        raise ValueError(msg)
    return offsets.pop()


def _offset_suffix(offset: dt.timedelta) -> str:
    """Format a UTC offset as ``+08:00``."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _fmt3(values: np.ndarray) -> pa.Array:
    """Format numbers with exactly three decimals, fast (e.g. ``12.300``).

    Parameters
    ----------
    values : numpy.ndarray
        Values [any unit].

    Returns
    -------
    pyarrow.Array
        String array.
    """
    milli = np.rint(np.asarray(values, dtype=np.float64) * 1000.0).astype(np.int64)
    neg = milli < 0
    absm = np.abs(milli)
    whole = pa.array(absm // 1000).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(absm % 1000).cast(pa.string()), 3, "0")
    out = pc.binary_join_element_wise(whole, frac, ".")
    if neg.any():
        out = pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", out, ""), out)
    return out


def _largest_remainder(shares: Sequence[float], total: int) -> np.ndarray:
    """Integer allocation of ``total`` proportional to ``shares``."""
    raw = np.asarray(shares, dtype=np.float64) / float(sum(shares)) * total
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


# --------------------------------------------------------------------------------------
# Registry (entities and meters) and hidden model parameters
# --------------------------------------------------------------------------------------


@dataclass
class _Model:
    """Registry frames plus the hidden per-building parameters of the load model."""

    entropy: tuple[int, int]
    entities: pd.DataFrame
    meters: pd.DataFrame
    prefix: str
    lat0: float
    lon0: float
    heat_factor: float  # scaling of heating loads by climate zone [-]
    b_ids: list[str]
    types: list[str]
    type_idx: np.ndarray
    area: np.ndarray  # [m2]
    eui: np.ndarray  # [kWh/m2/a]
    bf: np.ndarray  # base fraction [-]
    cc: np.ndarray  # cooling coefficient [1/K]
    ch: np.ndarray  # heating coefficient [1/K]
    trend: np.ndarray  # consumption drift [1/a]
    sd_hour: np.ndarray
    sd_day: np.ndarray
    multiplier: np.ndarray  # CT ratio of the main meter [-] (1 without one)
    main_int_b: np.ndarray
    main_int_row: np.ndarray
    main_cum_b: np.ndarray
    main_cum_row: np.ndarray
    cum_r0: np.ndarray  # initial register of cumulative mains [kWh]
    sub_b: np.ndarray
    sub_rows: np.ndarray  # (n_sub, 4)
    sub_split: np.ndarray  # (n_sub, 5): a, c, e, d, p
    pv_b: np.ndarray
    pv_row: np.ndarray
    pv_cap: np.ndarray  # [kWp]
    pv_cf: np.ndarray  # capacity factor [-]
    gas_b: np.ndarray
    gas_row: np.ndarray  # -1 = ledger
    gas_intensity: np.ndarray  # [m3/m2/a]
    gas_heat_share: np.ndarray  # [-]
    gas_r0: np.ndarray  # [m3]
    gas_unit: list[str]
    ledger_b: np.ndarray  # buildings reporting electricity by ledger
    ledger_unit: list[str]
    diesel: list[tuple[int, str]]  # (building, unit)
    heat: list[tuple[int, float]]  # (building, GJ/m2/a)
    lpg: list[tuple[int, float]]  # (building, t/month)
    fleet: tuple[str, float]  # (enterprise id, gasoline t/month)

    @property
    def n(self) -> int:
        """Number of buildings."""
        return len(self.b_ids)

    @property
    def meter_ids(self) -> list[str]:
        """Meter ids in meters.csv order."""
        return list(self.meters["meter_id"])


def _allocate_types(n: int, rng: np.random.Generator) -> list[str]:
    """Draw the building types of ``n`` buildings following :data:`TYPE_SHARE`."""
    shares = [TYPE_SHARE[t] for t in BUILDING_TYPES]
    counts = _largest_remainder(shares, n)
    if n >= len(BUILDING_TYPES) * 2:
        for i in range(len(counts)):
            if counts[i] == 0:
                counts[i] = 1
                counts[int(np.argmax(counts))] -= 1
    types = [t for t, c in zip(BUILDING_TYPES, counts, strict=True) for _ in range(int(c))]
    return [types[i] for i in rng.permutation(len(types))]


def _draw_areas(types: list[str], rng: np.random.Generator) -> np.ndarray:
    """Draw right-skewed floor areas [m2] within each type's range."""
    lo = np.array([AREA_RANGE_M2[t][0] for t in types])
    hi = np.array([AREA_RANGE_M2[t][1] for t in types])
    log_lo, log_hi = np.log(lo), np.log(hi)
    median = log_lo + 0.4 * (log_hi - log_lo)
    sigma = (log_hi - log_lo) / 5.0
    area = np.exp(rng.normal(median, sigma))
    area = np.clip(area, lo, hi)
    # A handful of large buildings (key-unit candidates) above 50,000 m2.
    want = max(2, len(types) // 12)
    big = np.flatnonzero(area > 50_000)
    if big.size < want:
        cand = [i for i, t in enumerate(types) if t in ("office", "mall", "mixed", "hospital")]
        cand = [i for i in cand if area[i] <= 50_000]
        cand.sort(key=lambda i: -area[i])
        for i in cand[: want - big.size]:
            area[i] = rng.uniform(52_000, min(95_000, hi[i]))
    rounded: np.ndarray = np.round(area / 10.0) * 10.0
    return rounded


def _unique_name(name: str, used: set[str]) -> str:
    """Make ``name`` unique within ``used`` by appending a building suffix."""
    if name not in used:
        used.add(name)
        return name
    for suffix in _NAME_SUFFIXES:
        cand = f"{name}{suffix}"
        if cand not in used:
            used.add(cand)
            return cand
    k = 2
    while f"{name}{k}号楼" in used:
        k += 1
    cand = f"{name}{k}号楼"
    used.add(cand)
    return cand


def _build_model(profile: dict[str, Any], *, buildings: int, seed: int) -> _Model:
    """Draw the synthetic district: entities, meters and hidden load parameters."""
    streets = _streets(profile)
    prefix = _prefix(profile)
    n = int(buildings)
    entropy = _entropy(profile, seed)
    rng = _rng(entropy, _TAG_REGISTRY)
    district = str(profile.get("name_zh", ""))
    city = str(profile.get("city_zh", "")).removesuffix("市")
    warm_winter = str(profile.get("climate_zone", "")).upper() == "HSWW"
    heat_factor = 0.3 if warm_winter else 1.0

    types = _allocate_types(n, rng)
    type_idx = np.array([BUILDING_TYPES.index(t) for t in types], dtype=np.int64)
    street_idx = rng.permutation(np.arange(n) % len(streets))
    lat = np.array([float(streets[i]["lat"]) for i in street_idx]) + rng.uniform(-0.004, 0.004, n)
    lon = np.array([float(streets[i]["lon"]) for i in street_idx]) + rng.uniform(-0.004, 0.004, n)
    area = _draw_areas(types, rng)
    eui = np.array([EUI_TARGET_KWH_M2[t] for t in types]) * rng.uniform(
        1 - _EUI_SPREAD, 1 + _EUI_SPREAD, n
    )
    params = [_LOAD_PARAMS[t] for t in types]
    bf = np.array([rng.uniform(*p[0]) for p in params])
    cc = np.array([p[1] for p in params]) * rng.uniform(0.8, 1.2, n)
    ch = np.array([p[2] for p in params]) * rng.uniform(0.8, 1.2, n) * heat_factor
    sd_hour = np.array([p[3] for p in params])
    sd_day = np.array([p[4] for p in params])
    trend = rng.uniform(-_TREND_SPREAD, _TREND_SPREAD, n)
    sectors = [
        ("J66" if rng.random() < 0.4 else "L72") if t == "office" else _SECTOR[t] for t in types
    ]

    width_b = max(4, len(str(n)))
    b_ids = [f"{prefix}-B{i + 1:0{width_b}d}" for i in range(n)]

    # Names.
    used: set[str] = set()
    names: list[str] = []
    for i, t in enumerate(types):
        street = str(streets[street_idx[i]]["name_zh"])
        key = "finance" if sectors[i] == "J66" else t
        templates = _NAME_TEMPLATES[key]
        tpl = templates[int(rng.integers(len(templates)))]
        base = tpl.format(p=street.removesuffix("街道"), d=district, s=street)
        names.append(_unique_name(base, used))

    # Enterprises owning 2-4 non-public buildings each.
    eligible = [int(i) for i in rng.permutation(n) if types[int(i)] not in PUBLIC_TYPES]
    n_ent = max(2, round(n / 8))
    parent: list[str | None] = [None] * n
    ent_rows: list[dict[str, Any]] = []
    width_e = max(3, len(str(n_ent)))
    pos = 0
    for e in range(n_ent):
        remaining = len(eligible) - pos
        left_after = n_ent - e - 1
        if remaining < 2:
            break
        k = int(rng.integers(2, 5))
        k = max(2, min(k, remaining - 2 * left_after))
        owned = eligible[pos : pos + k]
        pos += k
        eid = f"{prefix}-E{e + 1:0{width_e}d}"
        hq = owned[0]
        for b in owned:
            parent[b] = eid
        word = _ENTERPRISE_WORDS[int(rng.integers(len(_ENTERPRISE_WORDS)))]
        name = _unique_name(f"{city}{word}{_ENTERPRISE_SUFFIX[types[hq]]}", used)
        ent_rows.append(
            {
                "entity_id": eid,
                "name": name,
                "kind": "enterprise",
                "street": str(streets[street_idx[hq]]["name_zh"]),
                "building_type": None,
                "floor_area_m2": np.nan,
                "lat": round(float(lat[hq]), 6),
                "lon": round(float(lon[hq]), 6),
                "parent_id": None,
                "sector_code": sectors[hq],
            }
        )
    b_rows = [
        {
            "entity_id": b_ids[i],
            "name": names[i],
            "kind": "public_institution" if types[i] in PUBLIC_TYPES else "building",
            "street": str(streets[street_idx[i]]["name_zh"]),
            "building_type": types[i],
            "floor_area_m2": float(area[i]),
            "lat": round(float(lat[i]), 6),
            "lon": round(float(lon[i]), 6),
            "parent_id": parent[i],
            "sector_code": sectors[i],
        }
        for i in range(n)
    ]
    entities = pd.DataFrame(ent_rows + b_rows)
    entities["floor_area_m2"] = entities["floor_area_m2"].astype("float64")

    # ---- meters -----------------------------------------------------------------------
    n_main = round(0.75 * n)
    ledger_weight = {
        "government": 2.0,
        "school": 2.0,
        "office": 1.0,
        "mixed": 1.0,
        "hotel": 0.7,
        "hospital": 0.7,
        "mall": 0.5,
        "data_centre": 0.0,
    }
    w = np.array([ledger_weight[t] for t in types])
    ledger_b = np.sort(rng.choice(n, size=n - n_main, replace=False, p=w / w.sum()))
    has_main = np.ones(n, dtype=bool)
    has_main[ledger_b] = False
    main_b = np.flatnonzero(has_main)
    sub_b = np.sort(rng.choice(main_b, size=round(0.5 * main_b.size), replace=False))
    has_sub = np.zeros(n, dtype=bool)
    has_sub[sub_b] = True
    no_sub = main_b[~has_sub[main_b]]
    n_cum = 2 if n >= 20 else 1
    cum_b = np.sort(rng.choice(no_sub, size=min(n_cum, max(0, no_sub.size - 2)), replace=False))
    is_cum = np.zeros(n, dtype=bool)
    is_cum[cum_b] = True
    multiplier = np.ones(n)
    big_main = main_b[area[main_b] >= 30_000]
    n_ct = min(big_main.size, max(1, round(0.2 * main_b.size)))
    ct_b = rng.choice(big_main, size=n_ct, replace=False) if n_ct else np.array([], dtype=int)
    multiplier[ct_b] = rng.choice([40.0, 80.0], size=n_ct)
    pv_cand = main_b[np.array([types[b] != "data_centre" for b in main_b], dtype=bool)]
    n_pv = min(pv_cand.size, max(1, round(0.15 * main_b.size)))
    pv_b = np.sort(rng.choice(pv_cand, size=n_pv, replace=False))
    pv_cap = np.round(rng.uniform(50, 400, n_pv) / 5.0) * 5.0
    lat_all = float(np.mean([float(s["lat"]) for s in streets]))
    cf_mid = 0.11 if lat_all >= 27.0 else 0.12
    pv_cf = rng.uniform(cf_mid - 0.01, cf_mid + 0.01, n_pv)

    gas_cand = [
        i
        for i, t in enumerate(types)
        if t in ("hotel", "hospital", "mixed") or (t == "mall" and rng.random() < 0.7)
    ]
    order = sorted(gas_cand, key=lambda i: (not has_main[i], rng.random()))
    gas_metered = set(order[: round(0.5 * len(gas_cand))])
    gas_b = np.array(gas_cand, dtype=np.int64)
    gas_intensity = np.array([rng.uniform(*_GAS_PARAMS[types[i]][0]) for i in gas_cand])
    gas_heat_share = np.array(
        [_GAS_PARAMS[types[i]][1] * (0.25 if warm_winter else 1.0) for i in gas_cand]
    )
    gas_r0 = np.round(rng.uniform(1e4, 3e5, gas_b.size), 1)
    gas_unit = ["万m³" if rng.random() < 0.5 else "m³" for _ in gas_cand]
    ledger_unit = ["万kWh" if rng.random() < 0.4 else "kWh" for _ in ledger_b]
    if len(ledger_unit) >= 2 and len(set(ledger_unit)) == 1:
        ledger_unit[-1] = "kWh" if ledger_unit[0] == "万kWh" else "万kWh"

    diesel_cand = [i for i, t in enumerate(types) if t in ("hospital", "data_centre", "hotel")]
    diesel_sel = sorted(
        rng.choice(diesel_cand, size=max(1, round(0.5 * len(diesel_cand))), replace=False)
        if diesel_cand
        else []
    )
    diesel = [(int(b), "L" if k % 2 == 0 else "t") for k, b in enumerate(diesel_sel)]
    heat_cand = [i for i, t in enumerate(types) if t == "hospital"] + [
        i for i, t in enumerate(types) if t == "hotel"
    ]
    heat = [(int(b), float(rng.uniform(0.08, 0.15))) for b in heat_cand[: 1 if n < 30 else 2]]
    schools = [i for i, t in enumerate(types) if t == "school"]
    lpg = [(schools[0], float(rng.uniform(0.3, 0.8)))] if schools else []
    fleet = (str(ent_rows[0]["entity_id"]), float(rng.uniform(1.0, 3.0)))

    cum_r0 = np.round(rng.uniform(2e4, 8e5, cum_b.size), 1)
    split = np.array([_SUB_SPLIT[types[b]] for b in sub_b]).reshape(-1, 4)
    p_power = np.array(
        [
            rng.uniform(0.03, 0.05) if types[b] == "data_centre" else rng.uniform(0.10, 0.15)
            for b in sub_b
        ]
    )
    sub_split = np.column_stack([split, p_power]) if sub_b.size else np.zeros((0, 5))

    rows: list[dict[str, Any]] = []
    width_m = max(5, len(str(n * 7)))
    main_row = np.full(n, -1)
    sub_rows = np.full((sub_b.size, 4), -1)
    sub_pos = {int(b): k for k, b in enumerate(sub_b)}
    pv_row = np.full(pv_b.size, -1)
    pv_pos = {int(b): k for k, b in enumerate(pv_b)}
    gas_row = np.full(gas_b.size, -1)
    gas_pos = {int(b): k for k, b in enumerate(gas_b)}

    def add(
        eid: str,
        carrier: str,
        unit: str,
        sub: str | None,
        register: str,
        mult: float,
        interval: int,
    ) -> int:
        rows.append(
            {
                "meter_id": f"{prefix}-M{len(rows) + 1:0{width_m}d}",
                "entity_id": eid,
                "carrier": carrier,
                "unit": unit,
                "submeter": sub,
                "register": register,
                "multiplier": int(mult),
                "interval_minutes": interval,
            }
        )
        return len(rows) - 1

    for b in range(n):
        eid = b_ids[b]
        if has_main[b]:
            reg = "cumulative" if is_cum[b] else "interval"
            main_row[b] = add(eid, "electricity", "kWh", None, reg, multiplier[b], 60)
        if b in sub_pos:
            for k, sub in enumerate(SUBMETERS):
                sub_rows[sub_pos[b], k] = add(eid, "electricity", "kWh", sub, "interval", 1, 60)
        if b in pv_pos:
            pv_row[pv_pos[b]] = add(eid, "pv_generation", "kWh", None, "interval", 1, 60)
        if b in gas_pos and b in gas_metered:
            gas_row[gas_pos[b]] = add(eid, "natural_gas", "m³", None, "cumulative", 1, 1440)
    meters = pd.DataFrame(rows)
    meters["multiplier"] = meters["multiplier"].astype("int64")
    meters["interval_minutes"] = meters["interval_minutes"].astype("int64")

    main_int_b = main_b[~is_cum[main_b]]
    return _Model(
        entropy=entropy,
        entities=entities,
        meters=meters,
        prefix=prefix,
        lat0=lat_all,
        lon0=float(np.mean([float(s["lon"]) for s in streets])),
        heat_factor=heat_factor,
        b_ids=b_ids,
        types=types,
        type_idx=type_idx,
        area=area,
        eui=eui,
        bf=bf,
        cc=cc,
        ch=ch,
        trend=trend,
        sd_hour=sd_hour,
        sd_day=sd_day,
        multiplier=multiplier,
        main_int_b=main_int_b,
        main_int_row=main_row[main_int_b],
        main_cum_b=cum_b,
        main_cum_row=main_row[cum_b],
        cum_r0=cum_r0,
        sub_b=sub_b,
        sub_rows=sub_rows,
        sub_split=sub_split,
        pv_b=pv_b,
        pv_row=pv_row,
        pv_cap=pv_cap,
        pv_cf=pv_cf,
        gas_b=gas_b,
        gas_row=gas_row,
        gas_intensity=gas_intensity,
        gas_heat_share=gas_heat_share,
        gas_r0=gas_r0,
        gas_unit=gas_unit,
        ledger_b=ledger_b,
        ledger_unit=ledger_unit,
        diesel=diesel,
        heat=heat,
        lpg=lpg,
        fleet=fleet,
    )


def build_registry(
    profile: dict[str, Any], *, buildings: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the synthetic district's registry.

    Parameters
    ----------
    profile : dict[str, Any]
        Parsed district profile (see :func:`load_profile`).
    buildings : int
        Number of buildings [-] (>= 8).
    seed : int
        Random seed [-].

    Returns
    -------
    tuple[pandas.DataFrame, pandas.DataFrame]
        ``(entities, meters)`` in the CSV contract columns. ``floor_area_m2`` [m2], ``lat``
        and ``lon`` [deg] are floats (NaN for enterprises' floor area).
    """
    _check_args(buildings, (2000, 2000), seed)
    model = _build_model(profile, buildings=buildings, seed=seed)
    return model.entities.copy(), model.meters.copy()


# --------------------------------------------------------------------------------------
# Calendar, weather and schedules
# --------------------------------------------------------------------------------------


def _seasonal_curve(monthly: Sequence[float], days: np.ndarray) -> np.ndarray:
    """Smooth annual temperature curve [degC] through 12 monthly normals.

    A least-squares fit of three harmonics to the normals placed at mid-month.
    """
    if len(monthly) != 12:
        msg = f"monthly_mean_temp_c must have 12 values, got {len(monthly)}"
        raise ValueError(msg)
    starts = np.cumsum((0, *_DAYS_IN_MONTH[:-1]))
    mid = (starts + np.asarray(_DAYS_IN_MONTH) / 2.0) / 365.0

    def design(x: np.ndarray) -> np.ndarray:
        cols = [np.ones_like(x)]
        for k in (1, 2, 3):
            cols += [np.cos(2 * np.pi * k * x), np.sin(2 * np.pi * k * x)]
        return np.column_stack(cols)

    coef, *_ = np.linalg.lstsq(design(mid), np.asarray(monthly, dtype=np.float64), rcond=None)
    year_start = days.astype("datetime64[Y]")
    y0 = year_start.astype("datetime64[D]")
    y1 = (year_start + 1).astype("datetime64[D]")
    doy = (days - y0).astype(np.int64)
    length = (y1 - y0).astype(np.int64)
    curve: np.ndarray = design((doy + 0.5) / length) @ coef
    return curve


def _hod_profiles(
    work: np.ndarray, off: np.ndarray, hvac_work: np.ndarray, hvac_off: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bundle working-day and non-working-day hour-of-day profiles."""
    return work, off, hvac_work, hvac_off


def _type_profiles() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Hour-of-day occupancy and HVAC profiles per type (work day, day off)."""
    prof = {
        "office": _hod_profiles(_OFFICE_WORK, _OFFICE_OFF, _HVAC_OFFICE_WORK, _HVAC_OFFICE_OFF),
        "government": _hod_profiles(_GOV_WORK, _GOV_OFF, _HVAC_GOV_WORK, _HVAC_GOV_OFF),
        "mall": _hod_profiles(_MALL_DAY, _MALL_DAY * 1.1, _HVAC_MALL, _HVAC_MALL),
        "hotel": _hod_profiles(_HOTEL_DAY, _HOTEL_DAY, _HVAC_HOTEL, _HVAC_HOTEL),
        "hospital": _hod_profiles(_HOSPITAL_WORK, _HOSPITAL_OFF, _HVAC_HOSPITAL, _HVAC_HOSPITAL),
        "school": _hod_profiles(_SCHOOL_WORK, _SCHOOL_OFF, _HVAC_SCHOOL_WORK, _HVAC_SCHOOL_OFF),
        "data_centre": _hod_profiles(_DC_DAY, _DC_DAY, _HVAC_ALWAYS, _HVAC_ALWAYS),
    }
    office, mall = prof["office"], prof["mall"]
    prof["mixed"] = (
        0.5 * office[0] + 0.5 * mall[0],
        0.5 * office[1] + 0.5 * mall[1],
        0.5 * office[2] + 0.5 * mall[2],
        0.5 * office[3] + 0.5 * mall[3],
    )
    return prof


@dataclass
class _YearCal:
    """Hourly calendar, weather and type schedules of one year (local time)."""

    year: int
    hours: np.ndarray  # datetime64[h], local clock
    days: np.ndarray  # datetime64[D]
    month_hour: np.ndarray  # (13,) first hour of each month, then year length [h]
    month_day: np.ndarray  # (13,) first day of each month, then year length [d]
    day_of_hour: np.ndarray
    temp: np.ndarray  # daily mean [degC]
    cool: np.ndarray  # hourly max(0, T_day - 22) [K]
    heat: np.ndarray  # hourly max(0, 12 - T_day) [K]
    sched: np.ndarray  # (n_types, H) occupancy schedule [-]
    hvac: np.ndarray  # (n_types, H) HVAC operation [-]
    sum_sched: np.ndarray  # (n_types,)
    sum_cool: np.ndarray
    sum_heat: np.ndarray
    solar: np.ndarray  # hourly clear-sky x cloudiness [-]
    solar_sum: float


class _Calendar:
    """Weather and calendars for a range of years."""

    def __init__(
        self,
        profile: dict[str, Any],
        years: tuple[int, int],
        entropy: Sequence[int],
        lat: float,
        lon: float,
    ) -> None:
        self.years = list(range(years[0], years[1] + 1))
        self.offset = _utc_offset(profile, years)
        start = np.datetime64(f"{years[0]}-01-01", "D")
        end = np.datetime64(f"{years[1] + 1}-01-01", "D")
        self.days = np.arange(start, end, dtype="datetime64[D]")
        rng = _rng(entropy, _TAG_WEATHER)
        normals = [float(x) for x in _demo_param(profile, "monthly_mean_temp_c")]
        sd = float(_demo_param(profile, "daily_temp_sd_c"))
        seasonal = _seasonal_curve(normals, self.days)
        phi = 0.75
        eps = rng.normal(0.0, sd * math.sqrt(1.0 - phi * phi), self.days.size)
        noise = np.empty(self.days.size)
        noise[0] = rng.normal(0.0, sd)
        for i in range(1, self.days.size):
            noise[i] = phi * noise[i - 1] + eps[i]
        self.temp = seasonal + noise
        self.cloud = rng.beta(2.4, 1.5, self.days.size)
        self.lat = lat
        self.lon = lon
        hol = holidays.country_holidays("CN", years=self.years)
        off_days = np.array(sorted(hol.keys()), dtype="datetime64[D]")
        makeup = np.array(
            sorted(d for d in getattr(hol, "weekend_workdays", ()) if d.year in self.years),
            dtype="datetime64[D]",
        )
        weekday = (self.days.astype(np.int64) + 3) % 7  # Monday = 0
        self.workday = ((weekday < 5) & ~np.isin(self.days, off_days)) | np.isin(self.days, makeup)
        months = self.days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dom = (self.days - self.days.astype("datetime64[M]").astype("datetime64[D]")).astype(
            np.int64
        ) + 1
        self.vacation = (
            ((months == 1) & (dom >= 20)) | ((months == 2) & (dom <= 20)) | np.isin(months, (7, 8))
        )
        self._profiles = _type_profiles()
        self._cache: dict[int, _YearCal] = {}

    def day_index(self, day: np.datetime64) -> int:
        """Index of a date in the multi-year daily arrays."""
        return int((day - self.days[0]).astype(np.int64))

    def year(self, year: int) -> _YearCal:
        """Calendar of one year (cached)."""
        if year not in self._cache:
            self._cache[year] = self._build_year(year)
        return self._cache[year]

    def _build_year(self, year: int) -> _YearCal:
        """Build the hourly calendar of one year."""
        d0 = np.datetime64(f"{year}-01-01", "D")
        d1 = np.datetime64(f"{year + 1}-01-01", "D")
        i0, i1 = self.day_index(d0), self.day_index(d1)
        days = self.days[i0:i1]
        h_start = d0.astype("datetime64[h]")
        hours = np.arange(h_start, d1.astype("datetime64[h]"), dtype="datetime64[h]")
        rel = (hours - h_start).astype(np.int64)
        day_of_hour = rel // 24
        hod = rel % 24
        months = np.arange(np.datetime64(f"{year}-01", "M"), np.datetime64(f"{year + 1}-02", "M"))
        month_day = (months.astype("datetime64[D]") - d0).astype(np.int64)
        month_hour = month_day * 24
        temp = self.temp[i0:i1]
        cool_d = np.maximum(0.0, temp - 22.0)
        heat_d = np.maximum(0.0, 12.0 - temp)
        work = self.workday[i0:i1][day_of_hour]
        vac = self.vacation[i0:i1][day_of_hour]
        sched = np.empty((len(BUILDING_TYPES), hours.size))
        hvac = np.empty_like(sched)
        for k, t in enumerate(BUILDING_TYPES):
            w_occ, o_occ, w_hv, o_hv = self._profiles[t]
            sched[k] = np.where(work, w_occ[hod], o_occ[hod])
            hvac[k] = np.where(work, w_hv[hod], o_hv[hod])
            if t == "school":
                factor = np.where(work & vac, 0.3, 1.0)
                sched[k] *= factor
                hvac[k] *= factor
        cool = cool_d[day_of_hour]
        heat = heat_d[day_of_hour]
        clear = self._clear_sky(hours, hod)
        solar = clear * self.cloud[i0:i1][day_of_hour]
        return _YearCal(
            year=year,
            hours=hours,
            days=days,
            month_hour=month_hour,
            month_day=month_day,
            day_of_hour=day_of_hour,
            temp=temp,
            cool=cool,
            heat=heat,
            sched=sched,
            hvac=hvac,
            sum_sched=sched.sum(axis=1),
            sum_cool=(hvac * cool).sum(axis=1),
            sum_heat=(hvac * heat).sum(axis=1),
            solar=solar,
            solar_sum=float(solar.sum()),
        )

    def _clear_sky(self, hours: np.ndarray, hod: np.ndarray) -> np.ndarray:
        """Relative clear-sky PV output [-] at the middle of each local hour."""
        doy = (hours.astype("datetime64[D]") - hours[0].astype("datetime64[D]")).astype(
            np.int64
        ) + 1
        b = 2 * np.pi * (doy - 81) / 364.0
        eot_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)
        tz_hours = self.offset.total_seconds() / 3600.0
        solar_time = hod + 0.5 + (self.lon - 15.0 * tz_hours) / 15.0 + eot_min / 60.0
        omega = np.radians(15.0 * (solar_time - 12.0))
        decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + doy) / 365.0)
        phi = np.radians(self.lat)
        cosz = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(omega)
        clear: np.ndarray = np.power(np.clip(cosz, 0.0, None), 1.2)
        return clear


# --------------------------------------------------------------------------------------
# Load model
# --------------------------------------------------------------------------------------


def _year_power(model: _Model, yc: _YearCal) -> np.ndarray:
    """Scale [kW] per building so the noise-free annual total hits EUI x area."""
    t = model.type_idx
    shape_sum = (
        model.bf * yc.hours.size
        + (1.0 - model.bf) * yc.sum_sched[t]
        + model.cc * yc.sum_cool[t]
        + model.ch * yc.sum_heat[t]
    )
    target = model.eui * model.area * (1.0 + model.trend) ** (yc.year - _REF_YEAR)
    power: np.ndarray = target / shape_sum
    return power


def _month_electricity(
    model: _Model, cal: _Calendar, year: int, month: int, retro: _Retrofits | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Hourly electricity of all buildings in one local month.

    With ``retro``, the buildings of completed projects keep their first year's power scale
    (drifting by their trend only, so their load follows the weather from year to year, as a
    baseline model expects) and their whole load (main and sub-meters) is multiplied by the
    project's factor from its completion on.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Main load (n_buildings, hours) [kWh] and sub-meters (n_sub, 4, hours) [kWh] in
        :data:`SUBMETERS` order.
    """
    yc = cal.year(year)
    h0, h1 = int(yc.month_hour[month - 1]), int(yc.month_hour[month])
    d0, d1 = int(yc.month_day[month - 1]), int(yc.month_day[month])
    t = model.type_idx
    power = _year_power(model, yc)[:, None]
    if retro is not None:
        for b, p0 in retro.base_power.items():
            power[b] = p0 * (1.0 + model.trend[b]) ** (year - retro.first_year)
    sched = yc.sched[:, h0:h1][t]
    hvac = yc.hvac[:, h0:h1][t]
    base = power * model.bf[:, None]
    occ = power * (1.0 - model.bf)[:, None] * sched
    weather = power * (model.cc[:, None] * yc.cool[h0:h1] + model.ch[:, None] * yc.heat[h0:h1])
    weather *= hvac
    rng = _rng(model.entropy, _TAG_LOAD, year, month)
    n, h = occ.shape
    day_noise = rng.normal(0.0, 1.0, (n, d1 - d0)) * model.sd_day[:, None]
    hour_noise = rng.normal(0.0, 1.0, (n, h)) * model.sd_hour[:, None]
    local_day = yc.day_of_hour[h0:h1] - d0
    noise = np.clip((1.0 + day_noise[:, local_day]) * (1.0 + hour_noise), 0.7, 1.3)
    for b, first_hour, factor in retro.drops if retro is not None else ():
        after = yc.hours[h0:h1] >= first_hour
        if after.any():
            noise[b, after] *= factor
    main = (base + occ + weather) * noise

    sb = model.sub_b
    if sb.size == 0:
        return main, np.zeros((0, 4, h))
    a, c, e, d, p = (model.sub_split[:, k][:, None] for k in range(5))
    b_s = np.broadcast_to(base[sb], (sb.size, h))
    o_s, w_s = occ[sb], weather[sb]
    pwr = p * (b_s + o_s)
    hv = w_s + a * b_s + c * o_s
    ls = e * b_s + d * o_s
    special = b_s + o_s + w_s - pwr - hv - ls
    subs = np.stack([ls, hv, pwr, special], axis=1) * noise[sb][:, None, :]
    srng = _rng(model.entropy, _TAG_SUB, year, month)
    subs *= 1.0 + srng.uniform(-0.004, 0.004, subs.shape)
    return main, subs


def _month_pv(model: _Model, cal: _Calendar, year: int, month: int) -> np.ndarray:
    """Hourly PV generation (n_pv, hours) [kWh] in one local month."""
    yc = cal.year(year)
    h0, h1 = int(yc.month_hour[month - 1]), int(yc.month_hour[month])
    if model.pv_b.size == 0 or yc.solar_sum <= 0:
        return np.zeros((model.pv_b.size, h1 - h0))
    k = model.pv_cf * yc.hours.size / yc.solar_sum
    rng = _rng(model.entropy, _TAG_PV, year, month)
    rel = k[:, None] * yc.solar[h0:h1] * (1.0 + rng.normal(0.0, 0.03, (model.pv_b.size, h1 - h0)))
    gen: np.ndarray = model.pv_cap[:, None] * np.clip(rel, 0.0, 0.9)
    return gen


def _gas_daily(model: _Model, cal: _Calendar) -> np.ndarray:
    """Daily natural gas (n_gas, n_days) [m3] over all years."""
    out = np.zeros((model.gas_b.size, cal.days.size))
    if model.gas_b.size == 0:
        return out
    rng = _rng(model.entropy, _TAG_GAS)
    noise = np.clip(rng.normal(1.0, 0.08, out.shape), 0.6, 1.4)
    area = model.area[model.gas_b]
    trend = model.trend[model.gas_b]
    hs = model.gas_heat_share[:, None]
    for year in cal.years:
        yc = cal.year(year)
        i0 = cal.day_index(yc.days[0])
        nd = yc.days.size
        hdd = np.maximum(0.0, 16.0 - yc.temp)
        shape = hdd / hdd.sum() if hdd.sum() > 0 else np.full(nd, 1.0 / nd)
        annual = model.gas_intensity * area * (1.0 + trend) ** (year - _REF_YEAR)
        out[:, i0 : i0 + nd] = annual[:, None] * ((1.0 - hs) / nd + hs * shape[None, :])
    return out * noise


# --------------------------------------------------------------------------------------
# Streaming benchmark tables
# --------------------------------------------------------------------------------------


def _interval_electricity_rows(model: _Model) -> np.ndarray:
    """Meter rows of the interval-register electricity meters, in meters.csv order."""
    rows = np.concatenate([model.main_int_row, model.sub_rows.ravel()]).astype(np.int64)
    return np.sort(rows)


def _assemble(
    model: _Model,
    rows: np.ndarray,
    main: np.ndarray,
    subs: np.ndarray,
    pv: np.ndarray | None,
) -> np.ndarray:
    """Stack per-meter hourly values [meter unit] in the order of ``rows``.

    Cumulative mains are left as NaN (filled by the caller).
    """
    n_meters = len(model.meters)
    pos = np.full(n_meters, -1, dtype=np.int64)
    pos[rows] = np.arange(rows.size)
    out = np.full((rows.size, main.shape[1]), np.nan)
    p = pos[model.main_int_row]
    keep = p >= 0
    b = model.main_int_b[keep]
    out[p[keep]] = main[b] / model.multiplier[b][:, None]
    if subs.shape[0]:
        p = pos[model.sub_rows.ravel()]
        keep = p >= 0
        out[p[keep]] = subs.reshape(-1, subs.shape[2])[keep]
    if pv is not None and pv.shape[0]:
        p = pos[model.pv_row]
        keep = p >= 0
        out[p[keep]] = pv[keep]
    return out


def iter_reading_tables(
    profile: dict[str, Any], *, buildings: int, years: tuple[int, int], seed: int
) -> Iterator[tuple[str, pa.Table]]:
    """Stream the interval electricity readings month by month (for benchmarks).

    Yields ``(month, table)`` with ``month`` as ``'YYYY-MM'`` (local months of the
    profile's time zone) and ``table`` with columns ``meter_id: string``,
    ``ts: timestamp('us')`` (naive UTC, start of the interval) and ``value: float64``
    (consumption in the interval [kWh] divided by the meter's multiplier, rounded to
    3 decimals), for the interval-register electricity meters only (main and
    sub-meters). Only one month is held in memory at a time. The registry is the same as
    :func:`generate_demo` with the same arguments and the values are the same as in its
    reading files, without the injected dirt.

    Parameters
    ----------
    profile : dict[str, Any]
        Parsed district profile.
    buildings : int
        Number of buildings [-] (>= 8).
    years : tuple[int, int]
        First and last year, inclusive.
    seed : int
        Random seed [-].

    Yields
    ------
    tuple[str, pyarrow.Table]
        Month label and its readings.
    """
    _check_args(buildings, years, seed)
    model = _build_model(profile, buildings=buildings, seed=seed)
    cal = _Calendar(profile, years, model.entropy, model.lat0, model.lon0)
    retro = _retrofits(model, _demo_projects(model, cal), cal)
    rows = _interval_electricity_rows(model)
    ids = pa.array(model.meters["meter_id"].to_numpy(dtype=object)[rows], type=pa.string())
    offset = np.timedelta64(int(cal.offset.total_seconds() // 60), "m")
    schema = pa.schema(
        [("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("value", pa.float64())]
    )
    for year in cal.years:
        yc = cal.year(year)
        for month in range(1, 13):
            h0, h1 = int(yc.month_hour[month - 1]), int(yc.month_hour[month])
            main, subs = _month_electricity(model, cal, year, month, retro)
            values = _assemble(model, rows, main, subs, None)
            del main, subs
            h = h1 - h0
            ts = (yc.hours[h0:h1].astype("datetime64[m]") - offset).astype("datetime64[us]")
            np.round(values, 3, out=values)
            table = pa.table(
                [
                    pc.take(ids, pa.array(np.repeat(np.arange(rows.size, dtype=np.int32), h))),
                    pa.array(np.tile(ts, rows.size), type=pa.timestamp("us")),
                    pa.array(values.ravel(), type=pa.float64()),
                ],
                schema=schema,
            )
            del values
            yield f"{year}-{month:02d}", table


# --------------------------------------------------------------------------------------
# Retrofit and commissioning projects
# --------------------------------------------------------------------------------------

# types whose daily use hardly depends on the weekday first: a daily baseline without calendar
# terms fits them (offices, schools and government buildings have strong weekday patterns)
_RETROFIT_PREFERENCE = ("hotel", "hospital", "mall", "data_centre", "mixed", "office",
                        "government", "school")
_RETROFIT_MEASURES = ("LED照明改造", "冷水机组更换", "空调水泵变频改造", "楼宇自控(BA)系统升级",
                      "外窗节能改造", "电梯能量回馈")
_COMMISSIONING_MEASURES = ("空调系统调适", "冷冻水供水温度优化", "新风量与运行时间表优化")


@dataclass
class _Project:
    """A synthetic project: its building, dates and the drop in electricity it causes."""

    code: str
    b: int
    kind: str  # retrofit | commissioning
    status: str  # completed | planned
    start: dt.date
    end: dt.date | None
    drop: float  # share of the building's electricity saved from ``end`` on [-]
    measures: tuple[str, ...]
    investment_10k_cny: float
    claimed_fraction: float | None


def _demo_projects(model: _Model, cal: _Calendar) -> list[_Project]:
    """Three retrofits completed early in the last year (drops 10-25 %), one commissioning
    (6 %) completed in its second quarter and one retrofit planned for the next year.

    Buildings are drawn among those with an interval main meter and no injected dirt,
    preferring types with little weekday variation; the third retrofit is an office when one
    is left (a daily baseline without calendar terms may then miss ASHRAE G14).
    """
    rng = _rng(model.entropy, _TAG_RETROFIT)
    dirt = _choose_dirt(model, cal)
    row_b = {int(r): int(b) for b, r in zip(model.main_int_b, model.main_int_row, strict=True)}
    skip = {row_b.get(dirt.gap_row), row_b.get(dirt.corr_row)}
    cand = [int(b) for b in model.main_int_b if int(b) not in skip]
    order = rng.permutation(len(cand))
    cand = [cand[i] for i in sorted(range(len(cand)), key=lambda i: (
        _RETROFIT_PREFERENCE.index(model.types[cand[i]]), int(order[i])))]
    picked = cand[:2]
    office = [b for b in cand[2:] if model.types[b] == "office"]
    picked += office[:1] or cand[2:3]
    rest = [b for b in cand if b not in picked]
    last = cal.years[-1]
    out: list[_Project] = []
    for k, b in enumerate(picked, start=1):
        start = dt.date(last, 1, int(rng.integers(6, 21)))
        end = start + dt.timedelta(days=int(rng.integers(35, 61)))
        # the first two save 16-25 % (they count toward the ≥ 15 % area), the third 10-25 %
        drop = round(float(rng.uniform(0.16 if k < 3 else 0.10, 0.25)), 2)
        n_meas = int(rng.integers(2, 4))
        meas = tuple(_RETROFIT_MEASURES[int(i)] for i in np.sort(
            rng.choice(len(_RETROFIT_MEASURES), size=n_meas, replace=False)))
        claim = round(min(max(drop + float(rng.normal(0.0, 0.03)), 0.05), 0.4), 2)
        invest = round(float(model.area[b] * rng.uniform(150.0, 400.0)) / 1e4, 1)
        out.append(_Project(f"{model.prefix}-R{k:02d}", b, "retrofit", "completed", start, end,
                            drop, meas, invest, claim))
    if rest:
        b = rest.pop(0)
        start = dt.date(last, 4, int(rng.integers(1, 16)))
        end = start + dt.timedelta(days=int(rng.integers(20, 41)))
        invest = round(float(model.area[b] * rng.uniform(5.0, 15.0)) / 1e4, 1)
        out.append(_Project(f"{model.prefix}-C01", b, "commissioning", "completed", start, end,
                            0.06, _COMMISSIONING_MEASURES, invest, 0.05))
    if rest:
        b = rest.pop(0)
        invest = round(float(model.area[b] * rng.uniform(150.0, 400.0)) / 1e4, 1)
        out.append(_Project(f"{model.prefix}-R{len(picked) + 1:02d}", b, "retrofit", "planned",
                            dt.date(last + 1, 3, 1), None, 0.0, _RETROFIT_MEASURES[:2], invest,
                            0.15))
    return out


@dataclass
class _Retrofits:
    """What completed projects change in the load model (see :func:`_month_electricity`)."""

    first_year: int
    base_power: dict[int, float]  # building -> power scale of the first year [kW]
    drops: list[tuple[int, np.datetime64, float]]  # (building, first local hour, factor)


def _retrofits(model: _Model, projects: Sequence[_Project],
               cal: _Calendar) -> _Retrofits | None:
    """The load changes of the completed projects, when the demo has a baseline year before
    its last one (``None`` in a one-year demo: nothing changes)."""
    done = [p for p in projects if p.end is not None and p.drop > 0]
    if len(cal.years) < 2 or not done:
        return None
    first = cal.years[0]
    p0 = _year_power(model, cal.year(first))
    return _Retrofits(first, {p.b: float(p0[p.b]) for p in done},
                      [(p.b, np.datetime64(p.end.isoformat(), "h"), 1.0 - p.drop)
                       for p in done if p.end is not None])


def _projects_text(model: _Model, projects: Sequence[_Project]) -> pd.DataFrame:
    """The projects in the import contract of ``carbonpeak retrofits import``."""
    rows = []
    for p in projects:
        name = str(model.entities.loc[model.entities["entity_id"] == model.b_ids[p.b],
                                      "name"].iloc[0])
        suffix = "节能改造" if p.kind == "retrofit" else "建筑调适"
        annual = float(model.eui[p.b] * model.area[p.b])
        claimed = (f"{round(annual * p.claimed_fraction, -3):.0f}"
                   if p.claimed_fraction is not None else "")
        rows.append({
            "code": p.code, "entity_id": model.b_ids[p.b], "kind": p.kind,
            "name": f"{name}{suffix}", "measures": "；".join(p.measures),
            "start_date": p.start.isoformat(), "end_date": p.end.isoformat() if p.end else "",
            "floor_area_m2": f"{model.area[p.b]:.0f}",
            "investment_10k_cny": f"{p.investment_10k_cny:.1f}",
            "claimed_savings_kwh": claimed,
            "claimed_savings_fraction": "" if p.claimed_fraction is None
            else f"{p.claimed_fraction:.2f}",
            "status": p.status})
    cols = ["code", "entity_id", "kind", "name", "measures", "start_date", "end_date",
            "floor_area_m2", "investment_10k_cny", "claimed_savings_kwh",
            "claimed_savings_fraction", "status"]
    return pd.DataFrame(rows, columns=cols).astype(object)


# --------------------------------------------------------------------------------------
# Demo files
# --------------------------------------------------------------------------------------


@dataclass
class _Dirt:
    """Data-quality problems to inject in the last year."""

    gap_row: int
    gap_hours: tuple[int, int]  # hour range within the last year
    corr_row: int
    corr_hours: tuple[int, int]
    reset_k: int  # index into model.main_cum_b, -1 = none
    reset_hour: int
    reset_value: float  # register value after the reset [meter unit]
    missing_b: int
    missing_month: int


def _choose_dirt(model: _Model, cal: _Calendar) -> _Dirt:
    """Pick where the dirt goes (deterministically)."""
    rng = _rng(model.entropy, _TAG_DIRT)
    sub_set = set(model.sub_b.tolist())
    plain = [
        int(r)
        for b, r in zip(model.main_int_b, model.main_int_row, strict=True)
        if int(b) not in sub_set
    ]
    if len(plain) < 2:
        plain = [int(r) for r in model.main_int_row]
    pick = rng.permutation(len(plain))
    gap_row, corr_row = plain[int(pick[0])], plain[int(pick[1 % len(plain)])]
    gap_day = int(rng.integers(60, 300))
    corr_day = int(rng.integers(60, 148))  # March-May, inside the first half-year
    reset_k = 0 if model.main_cum_b.size else -1
    reset_hour = int(rng.integers(90 * 24, 330 * 24))
    reset_value = round(float(rng.uniform(0.5, 20.0)), 3)
    missing_b = int(model.ledger_b[int(rng.integers(model.ledger_b.size))])
    missing_month = int(rng.integers(1, 13))
    return _Dirt(
        gap_row=gap_row,
        gap_hours=(gap_day * 24, gap_day * 24 + 72),
        corr_row=corr_row,
        corr_hours=(corr_day * 24, corr_day * 24 + 48),
        reset_k=reset_k,
        reset_hour=reset_hour,
        reset_value=reset_value,
        missing_b=missing_b,
        missing_month=missing_month,
    )


class _ReadingsWriter:
    """Streaming writer of a readings CSV (meter_id, ts, value)."""

    SCHEMA = pa.schema([("meter_id", pa.string()), ("ts", pa.string()), ("value", pa.string())])

    def __init__(self, path: Path) -> None:
        self._sink = pa.OSFile(str(path), "wb")
        self._sink.write(b"meter_id,ts,value\n")
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
        self._writer = pacsv.CSVWriter(self._sink, self.SCHEMA, write_options=opts)

    def __enter__(self) -> _ReadingsWriter:
        """Enter the context (the file is already open)."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the file."""
        self.close()

    def write(
        self,
        meter_id: pa.Array | pa.ChunkedArray,
        ts: pa.Array | pa.ChunkedArray,
        value: pa.Array | pa.ChunkedArray,
    ) -> None:
        """Append rows."""
        if len(meter_id):
            self._writer.write_table(pa.table([meter_id, ts, value], schema=self.SCHEMA))

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()
        self._sink.close()


def _ts_strings(local: np.ndarray, suffix: str = "") -> pa.Array:
    """ISO 8601 strings (seconds) of local datetimes, with an optional offset suffix."""
    text = np.datetime_as_string(local.astype("datetime64[s]"), unit="s")
    arr = pa.array(text.tolist(), type=pa.string())
    if suffix:
        arr = pc.binary_join_element_wise(arr, suffix, "")
    return arr


def _matrix_rows(
    ids: pa.Array, ts: pa.Array, values: np.ndarray, keep: np.ndarray | None = None
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Flatten a (meters, times) matrix into meter-major CSV columns."""
    n, h = values.shape
    m_idx = np.repeat(np.arange(n, dtype=np.int32), h)
    t_idx = np.tile(np.arange(h, dtype=np.int32), n)
    flat = values.ravel()
    if keep is not None:
        k = keep.ravel()
        m_idx, t_idx, flat = m_idx[k], t_idx[k], flat[k]
    return pc.take(ids, pa.array(m_idx)), pc.take(ts, pa.array(t_idx)), _fmt3(flat)


def _fmt_num(value: float) -> str:
    """Three-decimal text."""
    return f"{value:.3f}"


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write a small frame as UTF-8 CSV with LF line ends."""
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _entities_text(entities: pd.DataFrame) -> pd.DataFrame:
    """Entities with the numbers formatted for the CSV."""
    out = entities.copy().astype(object)
    out["floor_area_m2"] = [
        "" if pd.isna(v) else f"{float(v):.0f}" for v in entities["floor_area_m2"]
    ]
    out["lat"] = [f"{float(v):.6f}" for v in entities["lat"]]
    out["lon"] = [f"{float(v):.6f}" for v in entities["lon"]]
    for col in ("building_type", "parent_id"):
        out[col] = ["" if pd.isna(v) else str(v) for v in entities[col]]
    return out


def _meters_text(meters: pd.DataFrame) -> pd.DataFrame:
    """Meters with blanks for main meters' submeter."""
    out = meters.copy().astype(object)
    out["submeter"] = ["" if pd.isna(v) else str(v) for v in meters["submeter"]]
    return out


def generate_demo(
    profile: dict[str, Any],
    *,
    buildings: int = 40,
    years: tuple[int, int] = (2023, 2024),
    seed: int = 7,
    out_dir: Path,
) -> DemoFiles:
    """Write a synthetic district's energy data in the CSV import contract.

    Parameters
    ----------
    profile : dict[str, Any]
        Parsed district profile (see :func:`load_profile`).
    buildings : int, optional
        Number of buildings [-] (>= 8); enterprises come on top (about one per eight).
    years : tuple[int, int], optional
        First and last year, inclusive.
    seed : int, optional
        Random seed [-].
    out_dir : Path
        Output directory (created if missing; existing files are overwritten).

    Returns
    -------
    DemoFiles
        Paths of the files written, in import order, and the list of injected dirt.
    """
    _check_args(buildings, years, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = _build_model(profile, buildings=buildings, seed=seed)
    cal = _Calendar(profile, years, model.entropy, model.lat0, model.lon0)
    dirt = _choose_dirt(model, cal)
    projects = _demo_projects(model, cal)
    retro = _retrofits(model, projects, cal)
    last = cal.years[-1]
    offset_text = _offset_suffix(cal.offset)
    notes: list[Message] = []

    entities_path = out / "entities.csv"
    meters_path = out / "meters.csv"
    _write_frame(_entities_text(model.entities), entities_path)
    _write_frame(_meters_text(model.meters), meters_path)

    meter_ids = model.meters["meter_id"].to_numpy(dtype=object)
    hourly_rows = np.sort(
        np.concatenate(
            [model.main_int_row, model.main_cum_row, model.sub_rows.ravel(), model.pv_row]
        ).astype(np.int64)
    )
    hourly_ids = pa.array(meter_ids[hourly_rows].tolist(), type=pa.string())
    hpos = np.full(len(meter_ids), -1, dtype=np.int64)
    hpos[hourly_rows] = np.arange(hourly_rows.size)
    gas_k = np.flatnonzero(model.gas_row >= 0)
    gas_ids = pa.array(meter_ids[model.gas_row[gas_k]].tolist(), type=pa.string())

    gas = _gas_daily(model, cal)
    gas_cum = np.cumsum(gas, axis=1) - gas  # consumption before each day's 00:00 read
    gas_reads = model.gas_r0[gas_k][:, None] + gas_cum[gas_k]
    cum_offset = model.cum_r0.copy()  # register - consumption since start [kWh]
    cum_consumed = np.zeros(model.main_cum_b.size)

    elec_month: dict[tuple[int, int], np.ndarray] = {}
    corr_parts: list[pa.Table] = []
    readings: list[Path] = []
    corr_name = f"readings_{last}_correction.csv"

    for year in cal.years:
        yc = cal.year(year)
        for half in (1, 2):
            path = out / f"readings_{year}H{half}.csv"
            with _ReadingsWriter(path) as writer:
                for month in range(6 * half - 5, 6 * half + 1):
                    h0, h1 = int(yc.month_hour[month - 1]), int(yc.month_hour[month])
                    d0, d1 = int(yc.month_day[month - 1]), int(yc.month_day[month])
                    main, subs = _month_electricity(model, cal, year, month, retro)
                    pv = _month_pv(model, cal, year, month)
                    elec_month[(year, month)] = main.sum(axis=1)
                    values = _assemble(model, hourly_rows, main, subs, pv)
                    # Cumulative registers (reads at the start of each hour).
                    for k, b in enumerate(model.main_cum_b):
                        load = main[b]
                        before = cum_consumed[k] + np.concatenate(([0.0], np.cumsum(load)[:-1]))
                        reg = cum_offset[k] + before
                        if year == last and k == dirt.reset_k and h0 <= dirt.reset_hour < h1:
                            r = dirt.reset_hour - h0
                            new_offset = dirt.reset_value * model.multiplier[b] - before[r]
                            reg[r:] = new_offset + before[r:]
                            cum_offset[k] = new_offset
                            when = str(yc.hours[dirt.reset_hour])[:13].replace("T", " ")
                            notes.append(i18n_msg(
                                "demo.dirt.reset", meter=meter_ids[model.main_cum_row[k]],
                                when=when, value=f"{dirt.reset_value:.3f}"))
                        cum_consumed[k] += load.sum()
                        values[hpos[model.main_cum_row[k]]] = reg / model.multiplier[b]
                    keep = np.ones(values.shape, dtype=bool)
                    if year == last:
                        g0, g1 = max(dirt.gap_hours[0], h0), min(dirt.gap_hours[1], h1)
                        if g0 < g1:
                            keep[hpos[dirt.gap_row], g0 - h0 : g1 - h0] = False
                        c0, c1 = max(dirt.corr_hours[0], h0), min(dirt.corr_hours[1], h1)
                        if c0 < c1:
                            seg = values[hpos[dirt.corr_row], c0 - h0 : c1 - h0] * 1.05
                            ts_corr = _ts_strings(yc.hours[c0:c1], offset_text)
                            corr_ids = pa.array([meter_ids[dirt.corr_row]] * (c1 - c0), pa.string())
                            corr_parts.append(
                                pa.table(
                                    [corr_ids, ts_corr, _fmt3(seg)], schema=_ReadingsWriter.SCHEMA
                                )
                            )
                    ts = _ts_strings(yc.hours[h0:h1])
                    writer.write(*_matrix_rows(hourly_ids, ts, values, keep))
                    if gas_k.size:
                        i0 = cal.day_index(yc.days[d0])
                        day_ts = _ts_strings(yc.days[d0:d1].astype("datetime64[h]"))
                        writer.write(
                            *_matrix_rows(gas_ids, day_ts, gas_reads[:, i0 : i0 + d1 - d0])
                        )
                    del main, subs, pv, values, keep
            readings.append(path)
            if year == last and half == 1 and corr_parts:
                corr_path = out / corr_name
                corr = pa.concat_tables(corr_parts)
                with _ReadingsWriter(corr_path) as cw:
                    cw.write(*corr.columns)
                readings.append(corr_path)
            if year == last and half == 2:
                resend = out / f"readings_{year}H2_resend.csv"
                shutil.copyfile(path, resend)
                readings.append(resend)

    # ---- dirt notes --------------------------------------------------------------------
    yl = cal.year(last)
    g_start = str(yl.hours[dirt.gap_hours[0]])[:13].replace("T", " ")
    g_end = str(yl.hours[dirt.gap_hours[1] - 1])[:13].replace("T", " ")
    notes.insert(0, i18n_msg("demo.dirt.gap", meter=meter_ids[dirt.gap_row], start=g_start,
                        end=g_end))
    c_start = str(yl.hours[dirt.corr_hours[0]].astype("datetime64[D]"))
    c_end = str(yl.hours[dirt.corr_hours[1] - 1].astype("datetime64[D]"))
    notes.append(i18n_msg("demo.dirt.resend", file=f"readings_{last}H2.csv",
                     resend=f"readings_{last}H2_resend.csv"))
    notes.append(i18n_msg("demo.dirt.correction", file=corr_name, meter=meter_ids[dirt.corr_row],
                     start=c_start, end=c_end, offset=offset_text,
                     after=f"readings_{last}H1.csv"))
    notes.append(i18n_msg("demo.dirt.ledger", building=model.b_ids[dirt.missing_b],
                     month=f"{last}-{dirt.missing_month:02d}"))

    # ---- ledgers -----------------------------------------------------------------------
    ledger_paths: list[Path] = []
    energy_tce: dict[int, float] = {}
    for year in cal.years:
        yc = cal.year(year)
        lrng = _rng(model.entropy, _TAG_LEDGER, year)
        rows: list[tuple[str, str, str, str, str]] = []
        tce = _TCE_PER_KWH * sum(float(elec_month[(year, m)].sum()) for m in range(1, 13))
        for m in range(1, 13):
            period = f"{year}-{m:02d}"
            monthly = elec_month[(year, m)]
            for b, unit in zip(model.ledger_b, model.ledger_unit, strict=True):
                if year == last and int(b) == dirt.missing_b and m == dirt.missing_month:
                    continue
                q = monthly[b] / (1e4 if unit == "万kWh" else 1.0)
                rows.append((model.b_ids[b], period, "electricity", _fmt_num(q), unit))
        i0 = cal.day_index(yc.days[0])
        gas_year = gas[:, i0 : i0 + yc.days.size]
        tce += _TCE_PER_M3_GAS * float(gas_year.sum())
        hdd = np.maximum(0.0, 16.0 - yc.temp)
        hdd_month = np.add.reduceat(hdd, yc.month_day[:12])
        days_month = np.diff(yc.month_day)
        for k, b in enumerate(model.gas_b):
            if model.gas_row[k] >= 0:
                continue
            unit = model.gas_unit[k]
            per_month = np.add.reduceat(gas_year[k], yc.month_day[:12])
            for m in range(12):
                q = per_month[m] / (1e4 if unit == "万m³" else 1.0)
                rows.append(
                    (model.b_ids[b], f"{year}-{m + 1:02d}", "natural_gas", _fmt_num(q), unit)
                )
        for b, unit in model.diesel:
            k_months = int(lrng.integers(2, 5))
            months = np.sort(lrng.choice(12, size=k_months, replace=False)) + 1
            lo, hi = (800.0, 4000.0) if model.types[b] == "data_centre" else (150.0, 1500.0)
            litres = lrng.uniform(lo, hi, k_months)
            by_month = dict(zip(months.tolist(), litres.tolist(), strict=True))
            # a ledger states its zeros: a month without a row is "missing", not zero
            for m in range(1, 13):
                litre = by_month.get(m, 0.0)
                q = litre if unit == "L" else litre * _DIESEL_T_PER_L
                rows.append((model.b_ids[b], f"{year}-{m:02d}", "diesel", _fmt_num(q), unit))
            tce += _TCE_PER_T_DIESEL * float(litres.sum()) * _DIESEL_T_PER_L
        for b, gj_m2 in model.heat:
            annual = gj_m2 * model.area[b]
            share = hdd_month / hdd.sum() if hdd.sum() > 0 else days_month / days_month.sum()
            gj = annual * (0.4 * days_month / days_month.sum() + 0.6 * share)
            gj *= lrng.normal(1.0, 0.05, 12)
            for m in range(12):
                rows.append((model.b_ids[b], f"{year}-{m + 1:02d}", "heat", _fmt_num(gj[m]), "GJ"))
            tce += _TCE_PER_GJ_HEAT * float(gj.sum())
        for b, t_month in model.lpg:
            factor = np.where(np.isin(np.arange(1, 13), (2, 7, 8)), 0.3, 1.0)
            tons = t_month * factor * lrng.normal(1.0, 0.05, 12)
            for m in range(12):
                rows.append((model.b_ids[b], f"{year}-{m + 1:02d}", "lpg", _fmt_num(tons[m]), "t"))
            tce += _TCE_PER_T_LPG * float(tons.sum())
        fleet_id, t_month = model.fleet
        tons = t_month * np.clip(lrng.normal(1.0, 0.08, 12), 0.7, 1.3)
        for m in range(12):
            rows.append((fleet_id, f"{year}-{m + 1:02d}", "gasoline", _fmt_num(tons[m]), "t"))
        tce += _TCE_PER_T_GASOLINE * float(tons.sum())
        energy_tce[year] = tce
        rows.sort(key=lambda r: (r[1], r[0], r[2]))
        frame = pd.DataFrame(rows, columns=["entity_id", "period", "carrier", "quantity", "unit"])
        path = out / f"ledger_{year}.csv"
        _write_frame(frame.astype(object), path)
        ledger_paths.append(path)

    # ---- statistics and weather --------------------------------------------------------
    srng = _rng(model.entropy, _TAG_STATS)
    gdp0 = float(_demo_param(profile, "gdp_2020_10k_cny"))
    growth = float(_demo_param(profile, "gdp_growth"))
    pop0 = float(_demo_param(profile, "population"))
    share = float(_demo_param(profile, "metered_share"))
    if not 0 < share <= 1:
        msg = f"demo.metered_share must be in (0, 1], got {share}"
        raise ValueError(msg)
    drift = float(srng.uniform(-0.003, 0.003))
    first = min(energy_tce)
    hist_decline = float(_demo_param_or(profile, "intensity_decline_history", 0.03))
    co2_per_tce = float(_demo_param_or(profile, "co2_per_tce", 1.42))
    co2_decline = float(_demo_param_or(profile, "co2_per_tce_decline", 0.01))
    stat_rows = []
    for year in range(min(2020, cal.years[0]), last + 1):
        gdp = gdp0 * (1.0 + growth) ** (year - 2020)
        pop = pop0 * (1.0 + drift) ** (year - 2020)
        if year in energy_tce:
            tce = energy_tce[year] / share
        else:  # back-cast before the metered years: the district's intensity fell hist_decline/a
            gdp_first = gdp0 * (1.0 + growth) ** (first - 2020)
            tce = energy_tce[first] / share * gdp / gdp_first \
                * (1.0 + hist_decline) ** (first - year)
        co2 = tce * co2_per_tce * (1.0 + co2_decline) ** (last - year)
        stat_rows.append((str(year), f"{gdp:.0f}", f"{pop:.0f}", f"{tce:.1f}", f"{co2:.1f}"))
    stats_path = out / "statistics.csv"
    _write_frame(
        pd.DataFrame(stat_rows, columns=["year", "gdp_10k_cny", "population", "energy_tce",
                                         "co2_t"]).astype(object),
        stats_path,
    )
    sector_path = out / "sector_statistics.csv"
    _write_frame(_sector_statistics(stat_rows, srng).astype(object), sector_path)
    weather_path = out / "weather.csv"
    _write_frame(
        pd.DataFrame(
            {
                "date": [str(d) for d in cal.days],
                "temp_mean_c": [f"{t:.1f}" for t in cal.temp],
            }
        ).astype(object),
        weather_path,
    )
    retrofits_path = out / "retrofits.csv"
    _write_frame(_projects_text(model, projects), retrofits_path)

    return DemoFiles(
        out_dir=out,
        entities=entities_path,
        meters=meters_path,
        readings=readings,
        ledger=ledger_paths,
        statistics=stats_path,
        sector_statistics=sector_path,
        weather=weather_path,
        retrofits=retrofits_path,
        notes=notes,
    )
