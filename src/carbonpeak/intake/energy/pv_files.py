"""Rooftop PV files: the roof survey, the PV sites, hourly weather (CSV, .xlsx; EPW).

中文：屋顶普查、光伏电站台账与逐时气象文件的读取与校验（每个错误指明文件、行与列）。

Headers may be English or Chinese (:data:`~carbonpeak.intake.formats.vocab.COLUMNS` ``roofs``,
``pv_sites``, ``weather_hourly``). Every bad cell is named (file, row, column, value, a
catalogue reason) and nothing of a refused file is stored.

Hourly weather stamps are local time (the district's zone) and stand for the instant the
values describe: the middle of the hour for hourly means. An EPW file's stamps are hour-ending
(hour 1 = 00:00-01:00): hour 1 becomes 00:30 (:func:`read_epw_file`).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.csvfiles import (
    ParsedFile,
    _duplicates,
    _flag,
    _number,
    read_import_file,
)
from carbonpeak.intake.weather_files import nul_error, parse_date
from carbonpeak.vocabulary import PvTempModel, RoofCohort

__all__ = ["COHORT_SPELLINGS", "parse_pv_sites", "parse_roofs", "parse_weather_hourly",
           "read_epw_file", "read_pv_file"]

#: the cohort's spellings in a file (codes, Chinese names)
COHORT_SPELLINGS: dict[str, RoofCohort] = {
    **{c.value: c for c in RoofCohort},
    "党政机关": RoofCohort.GOVERNMENT, "机关": RoofCohort.GOVERNMENT,
    "政府": RoofCohort.GOVERNMENT,
    "其他公共机构": RoofCohort.PUBLIC_INSTITUTION, "公共机构": RoofCohort.PUBLIC_INSTITUTION,
    "事业单位": RoofCohort.PUBLIC_INSTITUTION,
    "学校医院": RoofCohort.SCHOOL_HOSPITAL, "学校": RoofCohort.SCHOOL_HOSPITAL,
    "医院": RoofCohort.SCHOOL_HOSPITAL, "学校和医院": RoofCohort.SCHOOL_HOSPITAL,
    "商业": RoofCohort.COMMERCIAL, "工商业": RoofCohort.COMMERCIAL,
    "工业": RoofCohort.INDUSTRIAL, "厂房": RoofCohort.INDUSTRIAL,
    "工业厂房": RoofCohort.INDUSTRIAL,
    "居民": RoofCohort.RESIDENTIAL, "住宅": RoofCohort.RESIDENTIAL,
    "居民住宅": RoofCohort.RESIDENTIAL,
}
_NEW = {"new": True, "新建": True, "是": True, "true": True, "1": True, "y": True, "yes": True,
        "existing": False, "既有": False, "否": False, "false": False, "0": False, "n": False,
        "no": False}
#: plausible ranges
MAX_SITE_KWP = 100_000.0  # a rooftop site above 100 MWp is a typo
DC_AC_RATIO = (0.5, 2.0)
MAX_GHI_W_M2 = 1_500.0  # above the solar constant (1,361 W/m²) with a margin for enhancement
TEMP_AIR_C = (-50.0, 50.0)
MAX_WIND_M_S = 60.0
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


def read_pv_file(path: Path, kind: str) -> ParsedFile:
    """Read a ``roofs``, ``pv_sites`` or ``weather_hourly`` CSV/xlsx (NUL cells refused)."""
    if not path.is_file():
        raise InputValidationError([RowError(path.name, None, None, None,
                                             msg("intake.file.not_found"))])
    pf = read_import_file(path, kind)
    if pf.frame.empty:
        raise InputValidationError([RowError(pf.name, None, None, None,
                                             msg("intake.file.no_rows"), pf.sheet)])
    errors: list[RowError] = []
    for col in pf.frame.columns:
        if col == "_line":
            continue
        cells = pf.frame[col].astype(str)
        has_nul = cells.str.contains("\x00", regex=False)
        errors.extend(nul_error(pf.name, int(line), str(col), v, pf.sheet) for line, v in
                      zip(pf.frame.loc[has_nul, "_line"], cells[has_nul], strict=True))
    _raise(pf, errors)
    return pf


def _raise(pf: ParsedFile, errors: list[RowError]) -> None:
    if errors:
        raise InputValidationError(sorted(
            [e if e.sheet else RowError(e.file, e.row, e.column, e.value, e.reason, pf.sheet)
             for e in errors], key=lambda e: (e.row or 0, e.column or "")))


def _range(pf: ParsedFile, col: str, errors: list[RowError], low: float, high: float, *,
           required: bool, low_open: bool = False) -> pd.Series:
    why = msg("pv.intake.range", low=f"{low:g}", high=f"{high:g}")

    def check(v: pd.Series) -> pd.Series:
        return ((v > low) if low_open else (v >= low)) & (v <= high)

    return _number(pf, col, errors, required=required, check=check, why=why)


def _mapped(pf: ParsedFile, col: str, spellings: dict[str, Any], errors: list[RowError],
            why: Message) -> pd.Series:
    raw = pf.frame[col].astype(str).str.strip()
    out = raw.str.lower().map(lambda v: spellings.get(v))
    _flag(pf, raw == "", col, errors, msg("intake.cell.required"))
    _flag(pf, (raw != "") & out.isna(), col, errors, why)
    return out


def _known(pf: ParsedFile, col: str, known: Callable[[str], bool], errors: list[RowError],
           why: Message) -> None:
    raw = pf.frame[col]
    _flag(pf, (raw != "") & ~raw.map(known).astype(bool), col, errors, why)


def parse_roofs(pf: ParsedFile, *, known_entities: set[str]) -> list[dict[str, Any]]:
    """Validate a roof survey: one row per building (``entity_id`` known and given once), the
    roof area (> 0 m²), the usable share (0…1), the cohort, new or existing; a usable share
    of 0 needs the reason the roof is not feasible."""
    errors: list[RowError] = []
    f = pf.frame
    _flag(pf, f["entity_id"] == "", "entity_id", errors, msg("intake.cell.required"))
    _known(pf, "entity_id", lambda e: e in known_entities, errors,
           msg("pv.intake.unknown_entity"))
    area = _range(pf, "roof_area_m2", errors, 0.0, 1e6, required=True, low_open=True)
    share = _range(pf, "usable_share", errors, 0.0, 1.0, required=True)
    cohort = _mapped(pf, "cohort", COHORT_SPELLINGS, errors, msg(
        "intake.cell.not_one_of", allowed=", ".join(c.value for c in RoofCohort)))
    is_new = _mapped(pf, "is_new", _NEW, errors, msg("pv.intake.new_or_existing"))
    _flag(pf, (share == 0) & (f["not_feasible_reason"] == ""), "not_feasible_reason", errors,
          msg("pv.intake.reason_required"))
    _duplicates(pf, ["entity_id"], errors)
    _raise(pf, errors)
    return [{"entity_id": e, "roof_area_m2": float(a), "usable_share": float(s),
             "cohort": str(c), "is_new": bool(n), "not_feasible_reason": r, "line": int(ln)}
            for e, a, s, c, n, r, ln in zip(f["entity_id"], area, share, cohort, is_new,
                                            f["not_feasible_reason"], f["_line"], strict=True)]


def parse_pv_sites(pf: ParsedFile, *, known_entities: set[str],
                   pv_meters: dict[str, str]) -> list[dict[str, Any]]:
    """Validate PV sites: ``site_id`` given once; the building known; DC kWp in (0, 100,000],
    AC kW > 0 with a DC/AC ratio in 0.5…2; tilt 0…90°, azimuth 0…360° (180 = south); the
    commissioning day; the meter, when given, a ``pv_generation`` meter of the same building
    (``pv_meters``: meter → entity); the optional model choices in range."""
    errors: list[RowError] = []
    f = pf.frame
    _flag(pf, f["site_id"] == "", "site_id", errors, msg("intake.cell.required"))
    _flag(pf, f["site_id"].str.len() > 64, "site_id", errors, msg("pv.intake.too_long", n=64))
    _flag(pf, f["entity_id"] == "", "entity_id", errors, msg("intake.cell.required"))
    _known(pf, "entity_id", lambda e: e in known_entities, errors,
           msg("pv.intake.unknown_entity"))
    kwp = _range(pf, "kwp_dc", errors, 0.0, MAX_SITE_KWP, required=True, low_open=True)
    kw_ac = _range(pf, "kw_ac", errors, 0.0, MAX_SITE_KWP, required=True, low_open=True)
    ratio = kwp / kw_ac
    _flag(pf, ratio.notna() & ~ratio.between(*DC_AC_RATIO), "kw_ac", errors,
          msg("pv.intake.dc_ac_ratio", low=DC_AC_RATIO[0], high=DC_AC_RATIO[1]))
    tilt = _range(pf, "tilt_deg", errors, 0.0, 90.0, required=True)
    az = _range(pf, "azimuth_deg", errors, 0.0, 360.0, required=True)
    days = [parse_date(v) for v in f["commissioned_on"].tolist()]
    _flag(pf, f["commissioned_on"] == "", "commissioned_on", errors, msg("intake.cell.required"))
    _flag(pf, pd.Series([d is None for d in days], index=f.index) & (f["commissioned_on"] != ""),
          "commissioned_on", errors, msg("intake.cell.date", example="2023-06-30"))
    _flag(pf, pd.Series([d is not None and not FIRST_DAY <= d <= LAST_DAY for d in days],
                        index=f.index, dtype=bool), "commissioned_on", errors,
          msg("intake.cell.date_in", first=FIRST_DAY.year, last=LAST_DAY.year))
    meter = f["meter_id"]
    _flag(pf, (meter != "") & ~meter.map(lambda m: m in pv_meters).astype(bool), "meter_id",
          errors, msg("pv.intake.not_pv_meter"))
    other = pd.Series([m in pv_meters and pv_meters[m] != e
                       for m, e in zip(meter, f["entity_id"], strict=True)], index=f.index)
    _flag(pf, other, "meter_id", errors, msg("pv.intake.meter_other_building"))
    gamma = _range(pf, "gamma_pdc", errors, -0.01, 0.0, required=False)
    losses = _range(pf, "losses_pct", errors, 0.0, 50.0, required=False)
    eta = _range(pf, "eta_inv_nom", errors, 0.8, 1.0, required=False)
    albedo = _range(pf, "albedo", errors, 0.0, 1.0, required=False)
    temp_model = _optional_choice(pf, "temp_model", [m.value for m in PvTempModel], errors)
    _duplicates(pf, ["site_id"], errors)
    _raise(pf, errors)

    def opt(v: float) -> float | None:
        return None if pd.isna(v) else float(v)

    return [{"site_id": f["site_id"].iloc[i], "entity_id": f["entity_id"].iloc[i],
             "kwp_dc": float(kwp.iloc[i]), "kw_ac": float(kw_ac.iloc[i]),
             "tilt_deg": float(tilt.iloc[i]), "azimuth_deg": float(az.iloc[i]),
             "commissioned_on": days[i], "meter_id": meter.iloc[i] or None,
             "gamma_pdc": opt(gamma.iloc[i]), "losses_pct": opt(losses.iloc[i]),
             "eta_inv_nom": opt(eta.iloc[i]), "albedo": opt(albedo.iloc[i]),
             "temp_model": temp_model.iloc[i] or None, "line": int(f["_line"].iloc[i])}
            for i in range(len(f))]


def _optional_choice(pf: ParsedFile, col: str, allowed: list[str],
                     errors: list[RowError]) -> pd.Series:
    raw = pf.frame[col].astype(str).str.strip().str.lower()
    _flag(pf, (raw != "") & ~raw.isin(allowed), col, errors,
          msg("intake.cell.not_one_of", allowed=", ".join(allowed)))
    return raw


def parse_weather_hourly(pf: ParsedFile) -> pd.DataFrame:
    """Validate hourly weather (CSV/xlsx): ``ts`` a local date and time (no offset), given
    once; GHI 0…1,500 W/m², DNI and DHI (both or neither) likewise; air temperature −50…50 °C;
    wind 0…60 m/s. Returns a frame indexed by the naive local ``ts``, columns ``ghi``, ``dni``,
    ``dhi``, ``temp_air``, ``wind_speed`` (NaN where not given)."""
    errors: list[RowError] = []
    f = pf.frame
    ts = pd.to_datetime(f["ts"].str.replace("T", " ", regex=False), errors="coerce",
                        format="mixed")
    with_offset = f["ts"].str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    _flag(pf, f["ts"] == "", "ts", errors, msg("intake.cell.required"))
    _flag(pf, ts.isna() & (f["ts"] != ""), "ts", errors, msg("pv.intake.timestamp"))
    _flag(pf, with_offset, "ts", errors, msg("pv.intake.local_time"))
    ghi = _range(pf, "ghi_w_m2", errors, 0.0, MAX_GHI_W_M2, required=True)
    dni = _range(pf, "dni_w_m2", errors, 0.0, MAX_GHI_W_M2, required=False)
    dhi = _range(pf, "dhi_w_m2", errors, 0.0, MAX_GHI_W_M2, required=False)
    _flag(pf, dni.isna() != dhi.isna(), "dhi_w_m2", errors, msg("pv.intake.dni_dhi_pair"))
    temp = _range(pf, "temp_air_c", errors, *TEMP_AIR_C, required=True)
    wind = _range(pf, "wind_speed_m_s", errors, 0.0, MAX_WIND_M_S, required=False)
    keyed = ParsedFile(pf.name, f.assign(_ts=[str(t) if not pd.isna(t) else f"?{i}"
                                              for i, t in enumerate(ts)]), sheet=pf.sheet)
    _duplicates(keyed, ["_ts"], errors)
    _raise(pf, errors)
    out = pd.DataFrame({"ghi": ghi.to_numpy(float), "dni": dni.to_numpy(float),
                        "dhi": dhi.to_numpy(float), "temp_air": temp.to_numpy(float),
                        "wind_speed": wind.to_numpy(float)},
                       index=pd.DatetimeIndex(ts.to_numpy(), name="ts"))
    return out.sort_index()


def read_epw_file(path: Path, tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Hourly weather from an EnergyPlus EPW file (read by :func:`pvlib.iotools.read_epw`),
    in the frame :func:`parse_weather_hourly` returns.

    EPW stamps are hour-ending in the file's standard time (hour 1 = 00:00-01:00); pvlib labels
    hour ``h`` with its start, ``h − 1``:00, so 30 minutes are added to reach the middle of
    the hour (01:00 hour-ending -> 00:30), which is then put in the district's local time
    ``tz``.
    """
    from pvlib.iotools import read_epw

    try:
        with warnings.catch_warnings():  # pvlib 0.16 reads DatetimeIndex.dayofyear (pandas 3)
            warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
            data, _meta = read_epw(str(path))
    except (ValueError, KeyError, IndexError, OSError) as exc:
        raise InputValidationError([RowError(path.name, None, None, None,
                                             msg("pv.intake.epw", error=str(exc)[:200]))],
                                   ) from exc
    idx = pd.DatetimeIndex(data.index) + pd.Timedelta(minutes=30)
    local = idx.tz_convert(tz).tz_localize(None)
    out = pd.DataFrame({"ghi": data["ghi"].to_numpy(float), "dni": data["dni"].to_numpy(float),
                        "dhi": data["dhi"].to_numpy(float),
                        "temp_air": data["temp_air"].to_numpy(float),
                        "wind_speed": data["wind_speed"].to_numpy(float)},
                       index=pd.DatetimeIndex(local, name="ts"))
    bad = ~out["ghi"].between(0, MAX_GHI_W_M2) | ~out["temp_air"].between(*TEMP_AIR_C)
    if bool(bad.any()):
        raise InputValidationError([RowError(path.name, int(i) + 9, "ghi/temp_air",
                                             str(out.index[i]), msg("pv.intake.epw_value"))
                                    for i in np.flatnonzero(bad.to_numpy())[:50]])
    return out.sort_index()
