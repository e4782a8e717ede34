"""Additive LMDI-I: a hand-worked example, the Kaya special case, properties, zeros, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonpeak.domain.lmdi import EFFECTS, lmdi_additive, logarithmic_mean

COLS = ["value_added_10k_cny", "energy_tce", "tco2"]


def frame(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=COLS)


# --- logarithmic mean -------------------------------------------------------------------------

def test_logarithmic_mean_limits_and_values():
    assert logarithmic_mean(3.0, 3.0) == 3.0
    assert logarithmic_mean(5.0, 0.0) == 0.0
    assert logarithmic_mean(0.0, 5.0) == 0.0
    assert logarithmic_mean(0.0, 0.0) == 0.0
    # L(e, 1) = (e − 1) / (1 − 0) = 1.718281828459045
    assert logarithmic_mean(math.e, 1.0) == pytest.approx(1.718281828459045, rel=1e-12)
    # symmetric
    assert logarithmic_mean(2.0, 7.0) == logarithmic_mean(7.0, 2.0)
    # between the geometric and the arithmetic mean
    assert math.sqrt(14.0) < logarithmic_mean(2.0, 7.0) < 4.5


def test_logarithmic_mean_near_equal_keeps_precision():
    # L(a(1+h), a) = a(1 + h/2 − h²/12 + …): for h = 1e-10 the textbook form would lose ~6 digits.
    a, h = 123.456, 1e-10
    assert logarithmic_mean(a * (1 + h), a) == pytest.approx(a * (1 + h / 2), rel=1e-15)


def test_logarithmic_mean_arrays_broadcast():
    out = logarithmic_mean(np.array([1.0, 2.0, 0.0, 4.0]), np.array([1.0, 0.0, 3.0, 1.0]))
    assert isinstance(out, np.ndarray)
    # L(4, 1) = 3 / ln 4 = 3 / 1.3862943611198906 = 2.1640425613334453
    np.testing.assert_allclose(out, [1.0, 0.0, 0.0, 2.1640425613334453], rtol=1e-12)
    assert logarithmic_mean(np.array([2.0, 4.0]), 2.0).shape == (2,)


@pytest.mark.parametrize(("a", "b"), [(-1.0, 2.0), (1.0, float("nan")), (float("inf"), 1.0)])
def test_logarithmic_mean_rejects_bad_inputs(a, b):
    with pytest.raises(ValueError, match="logarithmic_mean"):
        logarithmic_mean(a, b)


# --- (a) worked example by hand ---------------------------------------------------------------

def test_worked_example_two_sectors_by_hand():
    #            base (0)                 target (T)
    #      Q_i    E_i    C_i          Q_i    E_i    C_i
    # A     50    100    250          120    180    450
    # B     50    200    400           80    320    480
    # Q    100                        200
    # C = 650 → 930, ΔC = +280 tCO2
    #
    # Factors            A: 0 → T                 B: 0 → T
    # Q                  100 → 200 (×2)           same
    # S_i = Q_i/Q        0.5 → 0.6 (×1.2)         0.5 → 0.4 (×0.8)
    # I_i = E_i/Q_i      2   → 1.5 (×0.75)        4   → 4   (×1)
    # F_i = C_i/E_i      2.5 → 2.5 (×1)           2   → 1.5 (×0.75)
    #
    # ln 2    =  0.6931471805599453      ln 1.8 = 0.5877866649021191
    # ln 1.2  =  0.1823215567939546      ln 0.8 = −0.2231435513142097
    # ln 0.75 = −0.2876820724517809
    # L_A = L(450, 250) = 200 / ln(450/250) = 200 / ln 1.8 = 340.2595056036273
    # L_B = L(480, 400) =  80 / ln(480/400) =  80 / ln 1.2 = 438.7851958197663
    #
    # activity      = (L_A + L_B)·ln 2 = 779.0447014233936 × 0.6931471805599453
    #               = 235.84991696787517 + 304.1427213539145   = 539.9926383217896
    # structure     = L_A·ln 1.2 + L_B·ln 0.8
    #               = 62.03664277559464 − 97.91208685932357    = −35.87544408372892
    # intensity     = L_A·ln 0.75 + L_B·ln 1 = L_A·ln 0.75     = −97.88655974346986
    # carbon_factor = L_A·ln 1 + L_B·ln 0.75 = L_B·ln 0.75     = −126.23063449459087
    # sum = 539.9926383217896 − 35.87544408372892 − 97.88655974346986 − 126.23063449459087
    #     = 280.0 (per sector: L_A·ln 1.8 = 200, L_B·ln 1.2 = 80)
    base = frame({"A": (50.0, 100.0, 250.0), "B": (50.0, 200.0, 400.0)})
    target = frame({"A": (120.0, 180.0, 450.0), "B": (80.0, 320.0, 480.0)})
    r = lmdi_additive(base, target, base_year=2020, target_year=2025)

    assert list(r.effects) == ["activity", "structure", "intensity", "carbon_factor"]
    expected = {"activity": 539.9926383217896, "structure": -35.87544408372892,
                "intensity": -97.88655974346986, "carbon_factor": -126.23063449459087}
    for name, value in expected.items():
        assert r.effects[name] == pytest.approx(value, rel=1e-9), name
    assert r.co2_base_tco2 == 650.0
    assert r.co2_target_tco2 == 930.0
    assert r.delta_tco2 == 280.0
    assert abs(r.residual_tco2) < 1e-9
    assert (r.base_year, r.target_year) == (2020, 2025)

    # per sector, by hand (same L and ln as above)
    a, b = r.by_sector.loc["A"], r.by_sector.loc["B"]
    assert a["activity"] == pytest.approx(235.84991696787517, rel=1e-9)
    assert b["activity"] == pytest.approx(304.1427213539145, rel=1e-9)
    assert a["structure"] == pytest.approx(62.03664277559464, rel=1e-9)
    assert b["structure"] == pytest.approx(-97.91208685932357, rel=1e-9)
    assert a["intensity"] == pytest.approx(-97.88655974346986, rel=1e-9)
    assert b["intensity"] == 0.0
    assert a["carbon_factor"] == 0.0
    assert b["carbon_factor"] == pytest.approx(-126.23063449459087, rel=1e-9)
    assert a["delta_tco2"] == 200.0
    assert b["delta_tco2"] == 80.0
    assert list(r.by_sector.columns) == [*EFFECTS, "delta_tco2"]
    assert r.notes == ()


def test_to_dict_is_json_safe():
    base = frame({"A": (50.0, 100.0, 250.0), "B": (50.0, 200.0, 400.0)})
    target = frame({"A": (120.0, 180.0, 450.0), "B": (80.0, 320.0, 480.0)})
    d = lmdi_additive(base, target, base_year=2020, target_year=2025).to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["delta_tco2"] == 280.0
    assert back["by_sector"]["A"]["delta_tco2"] == 200.0
    assert list(back["effects"]) == list(EFFECTS)
    assert back["notes"] == []


# --- (b) one sector: the three-factor Kaya form -----------------------------------------------

def test_one_sector_reduces_to_kaya():
    # C = Q · (E/Q) · (C/E); S = Q_i/Q = 1 in both years, so the structure effect is 0.
    # Q 100 → 150, I 2 → 1.6, F 2.5 → 2; C 500 → 480
    # L(480, 500) = −20 / ln(0.96) = −20 / −0.040821994520255166 = 489.93196523203557
    # activity      = 489.93196523203557 · ln 1.5 = 489.93196523203557 · 0.4054651081081644
    #               = 198.65031724845272
    # intensity     = 489.93196523203557 · ln 0.8 = 489.93196523203557 · −0.2231435513142097
    #               = −109.32515862422633
    # carbon_factor = 489.93196523203557 · ln 0.8 = −109.32515862422633
    # sum = 198.65031724845272 − 2 · 109.32515862422633 = −20.0 (ln 1.5 + 2 ln 0.8 = ln 0.96)
    r = lmdi_additive(frame({"X": (100.0, 200.0, 500.0)}), frame({"X": (150.0, 240.0, 480.0)}),
                      base_year=2015, target_year=2020)
    assert r.effects["structure"] == 0.0
    assert r.effects["activity"] == pytest.approx(198.65031724845272, rel=1e-9)
    assert r.effects["intensity"] == pytest.approx(-109.32515862422633, rel=1e-9)
    assert r.effects["carbon_factor"] == pytest.approx(-109.32515862422633, rel=1e-9)
    assert r.delta_tco2 == -20.0
    assert abs(r.residual_tco2) < 1e-9


# --- (c) properties ---------------------------------------------------------------------------

positive = st.floats(min_value=1e-2, max_value=1e6, allow_nan=False, allow_infinity=False)
sector_rows = st.lists(st.tuples(positive, positive, positive, positive, positive, positive),
                       min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(rows=sector_rows)
def test_effects_sum_to_delta_and_swap_negates(rows):
    codes = [f"S{i}" for i in range(len(rows))]
    base = pd.DataFrame([r[:3] for r in rows], index=codes, columns=COLS)
    target = pd.DataFrame([r[3:] for r in rows], index=codes, columns=COLS)
    fwd = lmdi_additive(base, target, base_year=0, target_year=1)
    back = lmdi_additive(target, base, base_year=1, target_year=0)
    scale = max(fwd.co2_base_tco2, fwd.co2_target_tco2)
    tol = 1e-6 * scale

    assert sum(fwd.effects.values()) == pytest.approx(fwd.delta_tco2, abs=tol)
    assert abs(fwd.residual_tco2) <= tol
    np.testing.assert_allclose(fwd.by_sector[list(EFFECTS)].sum(axis=1),
                               fwd.by_sector["delta_tco2"], rtol=0, atol=tol)
    for name in EFFECTS:
        assert back.effects[name] == pytest.approx(-fwd.effects[name], abs=tol)
    assert back.delta_tco2 == pytest.approx(-fwd.delta_tco2, abs=tol)


# --- (d) zero values --------------------------------------------------------------------------

BASE = {"A": (100.0, 200.0, 400.0)}
TARGET_A = (110.0, 210.0, 400.0)


def test_new_sector_goes_to_structure():
    # B is absent in the base year (no row): Q_B 0 → 50, so its whole ΔC_B = 90 is structure.
    r = lmdi_additive(frame(BASE), frame({"A": TARGET_A, "B": (50.0, 30.0, 90.0)}),
                      base_year=2020, target_year=2025)
    row = r.by_sector.loc["B"]
    assert row["structure"] == 90.0
    assert row["activity"] == row["intensity"] == row["carbon_factor"] == 0.0
    assert row["delta_tco2"] == 90.0
    assert abs(r.residual_tco2) < 1e-9
    assert any("2020: no row for sector(s) B" in n for n in r.notes)
    assert any("sector B" in n and "structure" in n for n in r.notes)


def test_closed_sector_goes_to_structure():
    r = lmdi_additive(frame({**BASE, "B": (50.0, 30.0, 90.0)}),
                      frame({"A": TARGET_A, "B": (0.0, 0.0, 0.0)}),
                      base_year=2020, target_year=2025)
    assert r.by_sector.loc["B", "structure"] == -90.0
    assert r.by_sector.loc["B", ["activity", "intensity", "carbon_factor"]].eq(0.0).all()
    assert abs(r.residual_tco2) < 1e-9


def test_energy_appearing_with_value_added_goes_to_intensity():
    # B had value added but no energy (and no CO2) in the base year.
    r = lmdi_additive(frame({**BASE, "B": (40.0, 0.0, 0.0)}),
                      frame({"A": TARGET_A, "B": (40.0, 10.0, 25.0)}),
                      base_year=2020, target_year=2025)
    row = r.by_sector.loc["B"]
    assert row["intensity"] == 25.0
    assert row["activity"] == row["structure"] == row["carbon_factor"] == 0.0
    assert any("intensity" in n for n in r.notes)


def test_carbon_appearing_with_energy_goes_to_carbon_factor():
    # B used zero-carbon energy in the base year (E > 0, C = 0), then emitted.
    r = lmdi_additive(frame({**BASE, "B": (40.0, 10.0, 0.0)}),
                      frame({"A": TARGET_A, "B": (40.0, 10.0, 25.0)}),
                      base_year=2020, target_year=2025)
    row = r.by_sector.loc["B"]
    assert row["carbon_factor"] == 25.0
    assert row["activity"] == row["structure"] == row["intensity"] == 0.0
    # and the reverse (decarbonised sector) gives the negative
    rev = lmdi_additive(frame({"A": TARGET_A, "B": (40.0, 10.0, 25.0)}),
                        frame({**BASE, "B": (40.0, 10.0, 0.0)}), base_year=2025, target_year=2030)
    assert rev.by_sector.loc["B", "carbon_factor"] == -25.0


def test_energy_without_value_added_but_no_co2_is_accepted():
    r = lmdi_additive(frame({**BASE, "B": (0.0, 5.0, 0.0)}),
                      frame({"A": TARGET_A, "B": (20.0, 10.0, 25.0)}),
                      base_year=2020, target_year=2025)
    assert r.by_sector.loc["B", "structure"] == 25.0


def test_sector_zero_in_both_years_contributes_nothing():
    r = lmdi_additive(frame({**BASE, "B": (10.0, 0.0, 0.0)}),
                      frame({"A": TARGET_A, "B": (12.0, 3.0, 0.0)}),
                      base_year=2020, target_year=2025)
    assert r.by_sector.loc["B"].eq(0.0).all()
    # B's value added still changes Q and the other sectors' structure shares
    assert r.effects["activity"] != 0.0


# --- (e) bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("column", "value"), [("energy_tce", -1.0), ("tco2", float("nan")),
                                               ("value_added_10k_cny", float("inf"))])
def test_bad_values_name_sector_and_column(column, value):
    base = frame({"A": (100.0, 200.0, 400.0), "B": (10.0, 10.0, 10.0)})
    base.loc["B", column] = value
    with pytest.raises(ValueError, match=rf"2020: sector B, column {column}"):
        lmdi_additive(base, frame(BASE), base_year=2020, target_year=2025)


def test_bad_target_value_names_target_year():
    target = frame({"A": (100.0, -200.0, 400.0)})
    with pytest.raises(ValueError, match=r"2025: sector A, column energy_tce"):
        lmdi_additive(frame(BASE), target, base_year=2020, target_year=2025)


def test_total_value_added_zero_raises():
    with pytest.raises(ValueError, match="total value_added_10k_cny is 0"):
        lmdi_additive(frame(BASE), frame({"A": (0.0, 0.0, 0.0)}), base_year=2020,
                      target_year=2025)


def test_energy_and_co2_without_value_added_raises():
    with pytest.raises(ValueError, match="sector B has energy_tce 5 but value_added_10k_cny 0"):
        lmdi_additive(frame({**BASE, "B": (0.0, 5.0, 12.0)}), frame(BASE), base_year=2020,
                      target_year=2025)


def test_co2_without_energy_raises():
    with pytest.raises(ValueError, match="sector B has tco2 12 but energy_tce 0"):
        lmdi_additive(frame(BASE), frame({**BASE, "B": (5.0, 0.0, 12.0)}), base_year=2020,
                      target_year=2025)


def test_missing_column_and_duplicate_sector_raise():
    with pytest.raises(ValueError, match="missing column"):
        lmdi_additive(frame(BASE).drop(columns="tco2"), frame(BASE), base_year=2020,
                      target_year=2025)
    dup = pd.DataFrame([BASE["A"], BASE["A"]], index=["A", "A"], columns=COLS)
    with pytest.raises(ValueError, match="repeated: A"):
        lmdi_additive(dup, frame(BASE), base_year=2020, target_year=2025)
