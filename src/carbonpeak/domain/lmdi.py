"""Additive LMDI-I: a change in CO2 split into activity, structure, intensity, carbon factor.

中文：对数平均迪氏指数分解（LMDI-I，加法形式）：经济规模效应、产业结构效应、能耗强度效应、
碳排放系数效应。

The district's CO2 is written as a product of four factors per sector ``i``::

    C = Σ_i Q · (Q_i / Q) · (E_i / Q_i) · (C_i / E_i) = Σ_i Q · S_i · I_i · F_i

with ``Q`` the district's total value added (GDP) [10^4 CNY, comparable prices], ``Q_i`` the
sector's value added [10^4 CNY], ``E_i`` its energy [tce] and ``C_i`` its CO2 [tCO2]. Between a
base year ``0`` and a target year ``T`` the change ``ΔC = C^T − C^0`` splits, without residual,
into [Ang 2005]::

    ΔC_X = Σ_i L(C_i^T, C_i^0) · ln(X_i^T / X_i^0),   L(a, b) = (a − b) / (ln a − ln b),
                                                      L(a, a) = a,

for ``X`` in activity (``Q``), structure (``S_i``), intensity (``I_i``) and carbon factor
(``F_i``). Zero values are handled by the analytical limits of Ang & Liu (2007), see
:func:`lmdi_additive`.

References
----------
Ang, B. W. (2005). The LMDI approach to decomposition analysis: a practical guide.
*Energy Policy* 33(7), 867-871.

Ang, B. W., Liu, N. (2007). Handling zero values in index decomposition analysis.
*Energy Policy* 35(1), 238-246.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from carbonpeak.i18n import Label, Message, render
from carbonpeak.i18n import msg as i18n_msg

__all__ = [
    "EFFECTS",
    "INPUT_COLUMNS",
    "UNCLASSIFIED",
    "LmdiResult",
    "lmdi_additive",
    "logarithmic_mean",
]

#: The four effects, in the order of the factors in ``C = Q · S_i · I_i · F_i``.
EFFECTS: tuple[str, ...] = ("activity", "structure", "intensity", "carbon_factor")
#: Columns each input frame must have (one row per sector code).
INPUT_COLUMNS: tuple[str, ...] = ("value_added_10k_cny", "energy_tce", "tco2")

#: The sector code of energy without a sector code (未分类): it has no value added of its own,
#: so it is decomposed against the district's total value added, with no structure effect
#: (see :func:`lmdi_additive`), and the result says so in a note.
UNCLASSIFIED = "unclassified"

_FloatArray = npt.NDArray[np.float64]


@overload
def logarithmic_mean(a: float, b: float) -> float: ...


@overload
def logarithmic_mean(a: npt.NDArray[Any], b: npt.NDArray[Any] | float) -> _FloatArray: ...


@overload
def logarithmic_mean(a: float, b: npt.NDArray[Any]) -> _FloatArray: ...


def logarithmic_mean(a: float | npt.NDArray[Any],
                     b: float | npt.NDArray[Any]) -> float | _FloatArray:
    """Logarithmic mean ``L(a, b) = (a − b) / (ln a − ln b)`` of non-negative numbers.

    Parameters
    ----------
    a, b
        Non-negative scalars or arrays (broadcast together), in any one unit.

    Returns
    -------
    float or numpy.ndarray
        ``L(a, b)`` in the unit of the inputs: a float when both inputs are scalars, else an
        array of the broadcast shape. ``L(a, a) = a`` and ``L(a, 0) = L(0, b) = 0`` (the limits).

    Raises
    ------
    ValueError
        If an input is negative or not finite.

    Notes
    -----
    Near ``a = b`` the quotient is evaluated as ``b · u / log1p(u)`` with ``u = a/b − 1``, which
    keeps full relative precision where the textbook form cancels.

    Examples
    --------
    >>> logarithmic_mean(2.0, 2.0)
    2.0
    >>> round(logarithmic_mean(450.0, 250.0), 6)
    340.259506
    >>> logarithmic_mean(np.array([1.0, 3.0]), 0.0).tolist()
    [0.0, 0.0]
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        msg = "logarithmic_mean: inputs must be finite"
        raise ValueError(msg)
    if np.any(x < 0) or np.any(y < 0):
        msg = "logarithmic_mean: inputs must be non-negative"
        raise ValueError(msg)
    x, y = np.broadcast_arrays(x, y)
    out = np.zeros(x.shape, dtype=np.float64)
    positive = (x > 0) & (y > 0)
    equal = positive & (x == y)
    out[equal] = x[equal]
    differ = positive & ~equal
    xd, yd = x[differ], y[differ]
    with np.errstate(over="ignore", under="ignore"):
        u = xd / yd - 1.0
    near = np.abs(u) < 0.5
    value = np.empty(xd.shape, dtype=np.float64)
    value[near] = yd[near] * u[near] / np.log1p(u[near])
    far = ~near
    value[far] = (xd[far] - yd[far]) / (np.log(xd[far]) - np.log(yd[far]))
    out[differ] = value
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        return float(out)
    return out


@dataclass(frozen=True)
class LmdiResult:
    """The decomposition of ``ΔC`` between two years.

    Attributes
    ----------
    base_year, target_year
        The years compared.
    co2_base_tco2, co2_target_tco2
        District CO2 in each year [tCO2].
    delta_tco2
        ``co2_target_tco2 − co2_base_tco2`` [tCO2].
    effects
        Effect name -> contribution [tCO2], keys ``activity`` (经济规模效应), ``structure``
        (产业结构效应), ``intensity`` (能耗强度效应), ``carbon_factor`` (碳排放系数效应), in
        that order.
    by_sector
        Indexed by sector code: one column per effect and ``delta_tco2`` [tCO2]. Every row sums
        (over the effects) to the sector's ``delta_tco2``.
    residual_tco2
        ``delta_tco2 − Σ effects``: zero by construction, up to rounding [tCO2].
    messages
        How zero values and missing sectors were treated, one message per case
        (``plan.lmdi.*``); :attr:`notes` gives them in English.
    """

    base_year: int
    target_year: int
    co2_base_tco2: float
    co2_target_tco2: float
    delta_tco2: float
    effects: dict[str, float]
    by_sector: pd.DataFrame
    residual_tco2: float
    messages: tuple[Message, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        """The :attr:`messages` in English."""
        return tuple(render(m, "en") for m in self.messages)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: plain ``int``, ``float``, ``str``, ``list`` and ``dict``.

        ``by_sector`` becomes ``{sector: {column: value}}`` with sector codes as strings; a
        note is rendered in English (``notes`` of the API).
        """
        columns = [str(c) for c in self.by_sector.columns]
        rows = self.by_sector.to_numpy(dtype="float64")
        by_sector = {str(sector): {c: float(v) for c, v in zip(columns, row, strict=True)}
                     for sector, row in zip(self.by_sector.index, rows, strict=True)}
        return {
            "base_year": int(self.base_year),
            "target_year": int(self.target_year),
            "co2_base_tco2": float(self.co2_base_tco2),
            "co2_target_tco2": float(self.co2_target_tco2),
            "delta_tco2": float(self.delta_tco2),
            "effects": {k: float(v) for k, v in self.effects.items()},
            "by_sector": by_sector,
            "residual_tco2": float(self.residual_tco2),
            "notes": list(self.notes),
        }


def lmdi_additive(base: pd.DataFrame, target: pd.DataFrame, *, base_year: int,
                  target_year: int) -> LmdiResult:
    """Additive LMDI-I decomposition of the CO2 change from ``base`` to ``target``.

    Parameters
    ----------
    base, target
        One row per sector, indexed by sector code, with columns ``value_added_10k_cny``
        [10^4 CNY, comparable prices], ``energy_tce`` [tce] and ``tco2`` [tCO2]. Other columns
        are ignored. A sector missing from one frame counts as a row of zeros in that year.
    base_year, target_year
        Labels of the two years (used in the result and in messages).

    Returns
    -------
    LmdiResult
        Effects for the district and per sector; ``residual_tco2`` is zero up to rounding.

    Raises
    ------
    ValueError
        If a column is missing, a sector code is repeated, a value is negative or not a finite
        number (the message names the sector, the column and the year), the district's total
        value added is zero in either year, a sector has energy and CO2 but no value added
        (its intensity ``E_i/Q_i`` is undefined), or CO2 but no energy (its carbon factor
        ``C_i/E_i`` is undefined).

    Notes
    -----
    **Sectors with CO2 in both years** get ``L(C_i^T, C_i^0) · ln(X^T/X^0)`` for each factor.
    Their four terms sum to ``C_i^T − C_i^0`` (up to rounding), since the four log-ratios sum to
    ``ln(C_i^T/C_i^0)`` and ``L(C_i^T, C_i^0) · ln(C_i^T/C_i^0) = C_i^T − C_i^0``. A factor that
    is unchanged contributes exactly 0.

    **Zero values** follow the analytical-limit strategy of Ang & Liu (2007): replace each zero
    by ``δ`` and let ``δ → 0``. A sector whose CO2 is zero in one year only contributes
    ``L(C, δ) · ln(X^T/X^0)``; ``L(C, δ) → 0`` like ``C / ln(1/δ)``, so every factor that is
    positive in both years contributes 0, and the factor that is ``δ`` in one year (its log-ratio
    grows like ``ln(1/δ)``) takes the sector's whole change ``ΔC_i``:

    - ``Q_i`` is 0 in that year (the sector appears or disappears): **structure** (``S_i``);
    - else ``Q_i > 0`` in both years but ``E_i`` is 0 in that year: **intensity** (``I_i``);
    - else ``E_i > 0`` in both years and only ``C_i`` is 0 (e.g. a sector that switched to
      zero-carbon energy): **carbon_factor** (``F_i``).

    A sector with ``Q_i = 0`` but energy and no CO2 in the zero-CO2 year is attributed to the
    structure effect as a whole (the strict limit would put ``+ΔC_i`` on structure and on the
    carbon factor and ``−ΔC_i`` on intensity; the net is the same). A sector with no CO2 in
    either year contributes nothing. Each such case is listed in ``notes``.

    Examples
    --------
    >>> cols = ["value_added_10k_cny", "energy_tce", "tco2"]
    >>> b = pd.DataFrame([[50.0, 100.0, 250.0], [50.0, 200.0, 400.0]], ["A", "B"], cols)
    >>> t = pd.DataFrame([[120.0, 180.0, 450.0], [80.0, 320.0, 480.0]], ["A", "B"], cols)
    >>> r = lmdi_additive(b, t, base_year=2020, target_year=2025)
    >>> {k: round(v, 3) for k, v in r.effects.items()}
    {'activity': 539.993, 'structure': -35.875, 'intensity': -97.887, 'carbon_factor': -126.231}
    >>> round(r.delta_tco2, 6), abs(r.residual_tco2) < 1e-9
    (280.0, True)
    """
    b = _checked(base, base_year)
    t = _checked(target, target_year)
    sectors = b.index.union(t.index, sort=False)
    notes: list[Message] = []
    for frame, year in ((b, base_year), (t, target_year)):
        missing = [str(s) for s in sectors if s not in frame.index]
        if missing:
            notes.append(i18n_msg("plan.lmdi.missing_sectors", year=year,
                             sectors=[Label("sector", s) for s in missing]))
    v0 = b.reindex(sectors).fillna(0.0).to_numpy(dtype="float64")
    v1 = t.reindex(sectors).fillna(0.0).to_numpy(dtype="float64")
    codes = [str(s) for s in sectors]
    other = np.array([c != UNCLASSIFIED for c in codes], dtype=bool)
    for values, year in ((v0, base_year), (v1, target_year)):
        _check_consistent(codes, values, year)
    q0, e0, c0 = v0.T
    q1, e1, c1 = v1.T
    total_q0, total_q1 = float(q0.sum()), float(q1.sum())
    for total, year in ((total_q0, base_year), (total_q1, target_year)):
        if total <= 0:
            msg = (f"LMDI {year}: total value_added_10k_cny is 0; the activity factor Q is "
                   "undefined")
            raise ValueError(msg)

    effects = np.zeros((len(codes), len(EFFECTS)), dtype=np.float64)
    both = (c0 > 0) & (c1 > 0) & other
    if both.any():
        weight = logarithmic_mean(c1[both], c0[both])
        qa, qb, ea, eb, ca, cb = q0[both], q1[both], e0[both], e1[both], c0[both], c1[both]
        # each factor's own ratio, so that an unchanged factor gives exactly 0
        logs = np.column_stack([
            np.full(qa.shape, np.log(total_q1 / total_q0)),
            np.log((qb / total_q1) / (qa / total_q0)),
            np.log((eb / qb) / (ea / qa)),
            np.log((cb / eb) / (ca / ea)),
        ])
        effects[both] = weight[:, None] * logs
    for i in np.flatnonzero(~other):
        effects[i] = _unclassified(q0=total_q0, q1=total_q1, e0=e0[i], e1=e1[i], c0=c0[i],
                                   c1=c1[i])
        notes.append(i18n_msg("plan.lmdi.unclassified", base_year=base_year,
                              target_year=target_year, e0=float(e0[i]), e1=float(e1[i]),
                              c0=float(c0[i]), c1=float(c1[i])))
    for i in np.flatnonzero(((c0 > 0) != (c1 > 0)) & other):
        zero_year, (q, e) = ((base_year, (q0[i], e0[i])) if c0[i] == 0
                             else (target_year, (q1[i], e1[i])))
        if q == 0:
            k, why = 1, "value_added_zero"
        elif e == 0:
            k, why = 2, "energy_zero"
        else:
            k, why = 3, "co2_zero"
        effects[i, k] = c1[i] - c0[i]
        notes.append(i18n_msg("plan.lmdi.zero_value", sector=Label("sector", codes[i]),
                         why=i18n_msg(f"plan.lmdi.why.{why}"), year=zero_year,
                         delta=float(c1[i] - c0[i]), effect=Label("lmdi_effect", EFFECTS[k])))

    delta_by_sector = c1 - c0
    by_sector = pd.DataFrame(np.column_stack([effects, delta_by_sector]),
                             index=pd.Index(sectors, name=b.index.name or "sector"),
                             columns=[*EFFECTS, "delta_tco2"])
    co2_0, co2_1 = float(c0.sum()), float(c1.sum())
    delta = co2_1 - co2_0
    totals = {name: float(effects[:, k].sum()) for k, name in enumerate(EFFECTS)}
    return LmdiResult(base_year=base_year, target_year=target_year, co2_base_tco2=co2_0,
                      co2_target_tco2=co2_1, delta_tco2=delta, effects=totals,
                      by_sector=by_sector, residual_tco2=delta - sum(totals.values()),
                      messages=tuple(notes))


def _unclassified(*, q0: float, q1: float, e0: float, e1: float, c0: float,
                  c1: float) -> _FloatArray:
    """The effects of the unclassified sector: ``C_u = Q · (E_u / Q) · (C_u / E_u)`` over the
    district's total value added ``Q`` (it has none of its own), so no structure effect.

    With CO2 in both years each factor's effect is ``L(C_u^T, C_u^0) · ln(X^T / X^0)``; they sum
    to ``ΔC_u`` exactly. CO2 in one year only: the whole change goes to the intensity effect
    (the energy appears or disappears, Ang & Liu 2007).
    """
    out = np.zeros(len(EFFECTS), dtype=np.float64)
    if c0 > 0 and c1 > 0:
        weight = float(logarithmic_mean(c1, c0))
        out[0] = weight * np.log(q1 / q0)
        out[2] = weight * np.log((e1 / q1) / (e0 / q0))
        out[3] = weight * np.log((c1 / e1) / (c0 / e0))
    else:
        out[2] = c1 - c0
    return out


def _checked(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The input columns as float64, after checking names, sector codes and values."""
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"LMDI {year}: missing column(s) {', '.join(missing)}"
        raise ValueError(msg)
    if not frame.index.is_unique:
        dupes = sorted({str(s) for s in frame.index[frame.index.duplicated()]})
        msg = f"LMDI {year}: sector code(s) repeated: {', '.join(dupes)}"
        raise ValueError(msg)
    values = frame[list(INPUT_COLUMNS)]
    try:
        values = values.astype("float64")
    except (TypeError, ValueError) as exc:
        msg = f"LMDI {year}: non-numeric value in {', '.join(INPUT_COLUMNS)}"
        raise ValueError(msg) from exc
    array = values.to_numpy(dtype="float64")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        msg = (f"LMDI {year}: sector {frame.index[row]}, column {INPUT_COLUMNS[col]} is "
               f"{array[row, col]!r}; values must be finite and non-negative")
        raise ValueError(msg)
    return values


def _check_consistent(codes: list[str], values: _FloatArray, year: int) -> None:
    """Reject sectors whose intensity or carbon factor is undefined in ``year``."""
    q, e, c = values.T
    for i in np.flatnonzero((q > 0) & np.array([k == UNCLASSIFIED for k in codes])):
        msg = (f"LMDI {year}: the {UNCLASSIFIED} sector has value_added_10k_cny {q[i]:g}; "
               "energy without a sector code has no value added of its own (give it 0)")
        raise ValueError(msg)
    for i in np.flatnonzero((c > 0) & (e == 0)):
        msg = (f"LMDI {year}: sector {codes[i]} has tco2 {c[i]:g} but energy_tce 0; "
               "its carbon factor C/E is undefined")
        raise ValueError(msg)
    for i in np.flatnonzero((e > 0) & (q == 0) & (c > 0)
                            & np.array([k != UNCLASSIFIED for k in codes])):
        msg = (f"LMDI {year}: sector {codes[i]} has energy_tce {e[i]:g} but "
               "value_added_10k_cny 0; its intensity E/Q is undefined and it cannot be "
               "decomposed")
        raise ValueError(msg)
