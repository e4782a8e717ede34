"""Where a district's PV is and its default weather year (synthetic, marked as such).

中文：区县光伏的地理位置与默认气象年（合成数据，使用处均注明“合成”）。

The default year, used when no measured hourly weather of the year was imported: pvlib's
Ineichen clear sky (Linke turbidity from pvlib's bundled climatology) for the district's
location, every hour scaled so that each month's GHI equals a published monthly mean
(:data:`CLIMATES`), DNI and DHI then from Erbs; the air temperature a daily sine around the
month's mean normal. It has the right monthly totals and a plausible daily shape, but no
day-to-day clouds: it is a planning figure, never a measurement.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pvlib is imported when a location is built, not with the CLI or the API
    from pvlib.location import Location

__all__ = ["CLIMATES", "Climate", "district_climate", "synthetic_year"]


@dataclass(frozen=True)
class Climate:
    """A city's location and monthly normals (with source and status)."""

    city: str
    lat: float
    lon: float
    altitude_m: float
    tz: str
    #: mean daily GHI per month [kWh/m²/day], January … December
    ghi_kwh_m2_day: tuple[float, ...]
    #: mean air temperature per month [°C]
    temp_c: tuple[float, ...]
    source: str
    status: str

    @property
    def location(self) -> Location:
        """The pvlib location."""
        from pvlib.location import Location  # noqa: PLC0415 - pvlib only when modelling

        return Location(self.lat, self.lon, tz=self.tz, altitude=self.altitude_m)

    @property
    def annual_ghi_kwh_m2(self) -> float:
        """The year's GHI implied by the monthly means."""
        days = (31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        return float(sum(g * d for g, d in zip(self.ghi_kwh_m2_day, days, strict=True)))


_GHI_SOURCE = ("NASA POWER climatology, monthly all-sky surface shortwave downward irradiance "
               "(GHI) at the city's grid cell, long-term means; temperatures: CMA 1991-2020 "
               "climate normals. The figures were recalled, not re-read from the sources here: "
               "check them at power.larc.nasa.gov and data.cma.cn before publishing")
CLIMATES: dict[str, Climate] = {
    "上海市": Climate("上海市", 31.23, 121.48, 4.0, "Asia/Shanghai",
                    (2.4, 2.8, 3.3, 4.1, 4.5, 4.1, 5.0, 4.8, 3.9, 3.3, 2.6, 2.3),
                    (4.8, 6.6, 10.3, 15.7, 21.0, 24.8, 28.8, 28.6, 24.9, 19.8, 13.9, 7.6),
                    _GHI_SOURCE, "unverified"),
    "广州市": Climate("广州市", 23.13, 113.36, 20.0, "Asia/Shanghai",
                    (2.6, 2.4, 2.5, 2.9, 3.6, 3.8, 4.6, 4.4, 4.1, 4.0, 3.4, 3.0),
                    (13.9, 15.4, 18.4, 22.5, 25.9, 27.8, 29.0, 28.9, 27.6, 24.9, 20.5, 15.6),
                    _GHI_SOURCE, "unverified"),
}


def district_climate(profile: dict[str, Any] | None) -> Climate:
    """The climate of a district profile's city (``city_zh``), Shanghai's by default; the
    profile's ``[pv]`` ``lat``/``lon``/``altitude_m`` override the location."""
    p = profile or {}
    base = CLIMATES.get(str(p.get("city_zh", "")), CLIMATES["上海市"])
    pv = p.get("pv") or {}
    if any(k in pv for k in ("lat", "lon", "altitude_m")):
        return Climate(base.city, float(pv.get("lat", base.lat)), float(pv.get("lon", base.lon)),
                       float(pv.get("altitude_m", base.altitude_m)), base.tz,
                       base.ghi_kwh_m2_day, base.temp_c, base.source, base.status)
    return base


def synthetic_year(climate: Climate, year: int) -> pd.DataFrame:
    """The synthetic hourly year (mid-hour local stamps, tz-aware): ``ghi``, ``dni``, ``dhi``,
    ``temp_air``, ``wind_speed`` (1 m/s); ``attrs["synthetic"]`` is True."""
    from pvlib import clearsky, irradiance  # noqa: PLC0415 - pvlib only when modelling

    loc = climate.location
    times = pd.date_range(f"{year}-01-01 00:30", f"{year}-12-31 23:30", freq="h", tz=climate.tz)
    pos = loc.get_solarposition(times)
    doy = times.day_of_year
    with warnings.catch_warnings():  # pvlib 0.16 reads DatetimeIndex.dayofyear (pandas 3)
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
        linke = clearsky.lookup_linke_turbidity(times, climate.lat, climate.lon)
    am_rel = loc.get_airmass(solar_position=pos)["airmass_absolute"]
    cs = clearsky.ineichen(pos["apparent_zenith"], am_rel, linke, climate.altitude_m,
                           dni_extra=np.asarray(irradiance.get_extra_radiation(doy), float))
    ghi_cs = cs["ghi"].fillna(0.0).to_numpy(float)
    month = times.month.to_numpy()
    ghi = np.zeros_like(ghi_cs)
    for m in range(1, 13):
        sel = month == m
        days = int(sel.sum()) / 24
        want_wh = climate.ghi_kwh_m2_day[m - 1] * days * 1000.0
        have_wh = float(ghi_cs[sel].sum())
        ghi[sel] = ghi_cs[sel] * (want_wh / have_wh if have_wh > 0 else 0.0)
    parts = irradiance.erbs(ghi, pos["zenith"].to_numpy(float), doy)
    hour = times.hour.to_numpy() + 0.5
    temp = np.asarray(climate.temp_c, float)[month - 1] + 4.0 * np.sin(
        2 * np.pi * (hour - 9.0) / 24.0)  # coolest near dawn, warmest mid-afternoon
    out = pd.DataFrame({"ghi": ghi, "dni": np.asarray(parts["dni"], float),
                        "dhi": np.asarray(parts["dhi"], float), "temp_air": temp,
                        "wind_speed": 1.0}, index=times)
    out.attrs["synthetic"] = True
    return out
