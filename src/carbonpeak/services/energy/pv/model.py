"""Modelled PV yield: pvlib's PVWatts chain, vectorised over sites.

中文：光伏理论发电量模型（pvlib PVWatts 模型链，按站点向量化计算）。

The chain is the one of ``pvlib.modelchain.ModelChain.with_pvwatts`` (``PVWATTS_CONFIG``):

* solar position (``nrel_numpy``, with the air temperature) and relative air mass
  (Kasten-Young 1989) once for the weather;
* Erbs decomposition (:func:`pvlib.irradiance.erbs`) when the weather gives GHI only;
* per orientation group (tilt, azimuth, albedo, temperature model) once: Perez
  transposition, the angle of incidence and the physical IAM (on the beam; diffuse as is,
  FD = 1), SAPM cell temperature from the plane-of-array irradiance;
* per site, as numpy broadcasts over (hours × sites) blocks, not a Python loop per site:
  PVWatts DC (``gamma_pdc``, default −0.4 %/°C), the PVWatts v5 losses (default
  :func:`pvlib.pvsystem.pvwatts_losses`, 14.08 %), the PVWatts inverter of ``kw_ac``
  (DC input rating ``kw_ac / eta_inv_nom``, ``eta_inv_nom`` 0.96, ``eta_inv_ref`` 0.9637).

Every choice is a column of the sites frame, so a site may differ from the defaults.
Weather timestamps are the instants the values stand for (the middle of the hour for hourly
means); energy per step is the mean power times the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pvlib import iam, inverter, irradiance, pvsystem, temperature
from pvlib.location import Location

from carbonpeak.vocabulary import PvTempModel

__all__ = ["CHAIN_DEFAULTS", "SITE_COLUMNS", "YieldResult", "model_sites", "prepare_weather"]

#: the per-site choices of the chain and their defaults (a site row may override each)
CHAIN_DEFAULTS: dict[str, float | str] = {
    "gamma_pdc": -0.004,
    "losses_pct": float(pvsystem.pvwatts_losses()),  # 14.0757… (“14.08 %”)
    "eta_inv_nom": 0.96,
    "eta_inv_ref": 0.9637,
    "albedo": 0.25,
    "temp_model": PvTempModel.OPEN_RACK_GLASS_POLYMER.value,
}
#: the columns of a sites frame (``site_id`` … ``azimuth_deg`` required)
SITE_COLUMNS = ("site_id", "kwp_dc", "kw_ac", "tilt_deg", "azimuth_deg", *CHAIN_DEFAULTS)
#: sites per block of the (hours × sites) arrays (about 70 MB per float array over a year)
_BLOCK = 1000

FloatArray = npt.NDArray[np.float64]


@dataclass
class YieldResult:
    """Modelled output of the sites over the weather.

    ``monthly_ac_kwh`` and ``monthly_poa_kwh_m2``: month (``YYYY-MM``) × site; ``hourly_ac_kw``:
    time × site (only when asked for).
    """

    monthly_ac_kwh: pd.DataFrame
    monthly_poa_kwh_m2: pd.DataFrame
    hourly_ac_kw: pd.DataFrame | None = None
    hourly_poa_w_m2: pd.DataFrame | None = None

    @property
    def annual_ac_kwh(self) -> pd.Series:
        """AC energy over the whole weather period, per site."""
        return self.monthly_ac_kwh.sum(axis=0)

    @property
    def annual_poa_kwh_m2(self) -> pd.Series:
        """Plane-of-array irradiation over the whole weather period, per site."""
        return self.monthly_poa_kwh_m2.sum(axis=0)


def _with_defaults(sites: pd.DataFrame) -> pd.DataFrame:
    out = sites.copy()
    for col, default in CHAIN_DEFAULTS.items():
        if col not in out.columns:
            out[col] = default
        else:
            out[col] = out[col].where(out[col].notna() & (out[col] != ""), default)
    for col in ("kwp_dc", "kw_ac", "tilt_deg", "azimuth_deg", "gamma_pdc", "losses_pct",
                "eta_inv_nom", "eta_inv_ref", "albedo"):
        out[col] = pd.to_numeric(out[col]).astype("float64")
    return out.reset_index(drop=True)


def prepare_weather(weather: pd.DataFrame, location: Location) -> pd.DataFrame:
    """Solar position, air mass, extraterrestrial DNI, and DNI/DHI by Erbs when missing.

    ``weather``: tz-aware index; ``ghi``, optional ``dni``/``dhi``, ``temp_air``, optional
    ``wind_speed`` (0 m/s when missing, as pvlib's ModelChain assumes). Returns the weather
    with ``apparent_zenith``, ``zenith``, ``azimuth``, ``airmass``, ``dni_extra`` added.
    """
    w = weather.copy()
    if "wind_speed" not in w.columns:
        w["wind_speed"] = 0.0
    w["wind_speed"] = w["wind_speed"].fillna(0.0)
    pos = location.get_solarposition(w.index, temperature=w["temp_air"])
    w["apparent_zenith"], w["zenith"] = pos["apparent_zenith"], pos["zenith"]
    w["azimuth"] = pos["azimuth"]
    w["airmass"] = location.get_airmass(solar_position=pos,
                                        model="kastenyoung1989")["airmass_relative"]
    doy = pd.DatetimeIndex(w.index).day_of_year  # (pvlib's own .dayofyear is deprecated)
    w["dni_extra"] = np.asarray(irradiance.get_extra_radiation(doy), float)
    if "dni" not in w.columns or "dhi" not in w.columns or \
            w[["dni", "dhi"]].isna().any().any():
        parts = irradiance.erbs(w["ghi"], w["zenith"], doy)
        w["dni"], w["dhi"] = parts["dni"], parts["dhi"]
    return w


def _step_hours(index: pd.DatetimeIndex) -> float:
    if len(index) < 2:
        return 1.0
    return float(pd.Series(index).diff().median().total_seconds()) / 3600.0


def model_sites(sites: pd.DataFrame, weather: pd.DataFrame, location: Location, *,
                hourly: bool = False) -> YieldResult:
    """Modelled AC output of every site over ``weather`` (see the module's chain).

    ``sites``: one row per site with :data:`SITE_COLUMNS` (chain columns optional).
    ``weather``: as :func:`prepare_weather` takes it (or its output).
    """
    s = _with_defaults(sites)
    weather = weather.sort_index()
    w = weather if "dni_extra" in weather.columns else prepare_weather(weather, location)
    step = _step_hours(pd.DatetimeIndex(w.index))
    local = pd.DatetimeIndex(w.index)
    month = local.strftime("%Y-%m")
    months, first = np.unique(np.asarray(month), return_index=True)
    order = np.argsort(first)
    months, starts = months[order], np.sort(first)
    n_t, n_s = len(w), len(s)
    ac_month = np.zeros((len(months), n_s))
    poa_month = np.zeros((len(months), n_s))
    ac_hour = np.zeros((n_t, n_s)) if hourly else None
    poa_hour = np.zeros((n_t, n_s)) if hourly else None
    ghi, dni, dhi = (w[c].to_numpy(float) for c in ("ghi", "dni", "dhi"))
    temp_air, wind = w["temp_air"].to_numpy(float), w["wind_speed"].to_numpy(float)
    grouped = s.groupby(["tilt_deg", "azimuth_deg", "albedo", "temp_model"], sort=False)
    for key, found in grouped.indices.items():
        tilt, az, albedo, tmodel = cast("tuple[float, float, float, str]", key)
        idx = np.asarray(found, dtype=np.intp)
        ti = irradiance.get_total_irradiance(
            tilt, az, w["apparent_zenith"], w["azimuth"], dni, ghi, dhi,
            dni_extra=w["dni_extra"], airmass=w["airmass"], albedo=albedo, model="perez")
        poa_global = np.nan_to_num(np.asarray(ti["poa_global"], float))
        aoi = irradiance.aoi(tilt, az, w["apparent_zenith"], w["azimuth"])
        modifier = np.asarray(iam.physical(aoi), float)
        eff = np.nan_to_num(np.asarray(ti["poa_direct"], float) * modifier
                            + np.asarray(ti["poa_diffuse"], float))
        params = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][str(tmodel)]
        t_cell = np.asarray(temperature.sapm_cell(poa_global, temp_air, wind, **params), float)
        for lo in range(0, len(idx), _BLOCK):
            block = idx[lo:lo + _BLOCK]
            b = s.iloc[block]
            kwp = b["kwp_dc"].to_numpy()[None, :]
            pdc = np.asarray(pvsystem.pvwatts_dc(eff[:, None], t_cell[:, None], kwp,
                                                 b["gamma_pdc"].to_numpy()[None, :]), float)
            pdc *= (100.0 - b["losses_pct"].to_numpy()[None, :]) / 100.0
            eta_nom = b["eta_inv_nom"].to_numpy()[None, :]
            pac = np.asarray(inverter.pvwatts(pdc, b["kw_ac"].to_numpy()[None, :] / eta_nom,
                                              eta_nom, b["eta_inv_ref"].to_numpy()[None, :]),
                             float)
            ac_month[:, block] = np.add.reduceat(pac, starts, axis=0) * step
            poa_month[:, block] = (np.add.reduceat(poa_global, starts)[:, None]
                                   * step / 1000.0)
            if ac_hour is not None and poa_hour is not None:
                ac_hour[:, block] = pac
                poa_hour[:, block] = poa_global[:, None]
    cols = pd.Index(s["site_id"].astype(str), name="site_id")
    mi = pd.Index(months, name="month")
    return YieldResult(
        pd.DataFrame(ac_month, index=mi, columns=cols),
        pd.DataFrame(poa_month, index=mi, columns=cols),
        None if ac_hour is None else pd.DataFrame(ac_hour, index=w.index, columns=cols),
        None if poa_hour is None else pd.DataFrame(poa_hour, index=w.index, columns=cols))
