"""Unit conversion: the one place quantities become canonical."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonpeak.domain.units import CARRIERS, convert, normalise_unit, unit_factor
from carbonpeak.errors import UnitError


@pytest.mark.parametrize(
    ("quantity", "unit", "carrier", "expected"),
    [
        (1.0, "kWh", "electricity", 1.0),
        (2.5, "MWh", "electricity", 2_500.0),
        (1.2, "万kWh", "electricity", 12_000.0),  # 1 万kWh = 10^4 kWh
        (1.2, "万千瓦时", "electricity", 12_000.0),
        (3.0, "度", "electricity", 3.0),
        (0.5, "GWh", "electricity", 500_000.0),
        (10.0, "m3", "natural_gas", 10.0),
        (10.0, "Nm³", "natural_gas", 10.0),
        (0.3, "万m³", "natural_gas", 3_000.0),
        (7.0, "GJ", "heat", 7.0),
        (500.0, "MJ", "heat", 0.5),
        (1000.0, "kWh", "heat", 3.6),  # 1,000 kWh thermal x 3.6 MJ/kWh = 3.6 GJ
        (2.0, "t", "diesel", 2.0),
        (500.0, "kg", "lpg", 0.5),
        (1000.0, "L", "diesel", 0.84),  # 1 m3 x 0.84 t/m3
        (1000.0, "升", "gasoline", 0.73),
    ],
    ids=lambda v: str(v),
)
def test_conversions_by_hand(quantity, unit, carrier, expected):
    assert convert(quantity, unit, carrier) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("unit", "carrier", "why"),
    [("m3", "electricity", "measures gas volume"), ("kWh", "diesel", "measures electric"),
     ("L", "electricity", "volume of liquid"), ("furlong", "electricity", "unknown unit"),
     ("L", "natural_gas", "volume of liquid")],
    ids=lambda v: str(v),
)
def test_wrong_units_are_refused(unit, carrier, why):
    with pytest.raises(UnitError, match=why):
        unit_factor(unit, carrier)


def test_unknown_carrier():
    with pytest.raises(UnitError, match="unknown carrier 'coal_gas'"):
        unit_factor("kWh", "coal_gas")


def test_normalise_unit_spellings():
    assert normalise_unit(" KWH ") == "kwh"
    assert normalise_unit("ｋＷｈ") == "kwh"  # full-width, NFKC
    assert normalise_unit("10^4 m3") == "万m³"


UNITS = {"electricity": ["kWh", "MWh", "万kWh", "GWh"], "natural_gas": ["m3", "万m³"],
         "heat": ["GJ", "MJ"], "diesel": ["t", "kg", "L"]}


@given(
    st.sampled_from(sorted(UNITS)).flatmap(
        lambda c: st.tuples(st.just(c), st.sampled_from(UNITS[c]), st.sampled_from(UNITS[c]))),
    st.floats(min_value=0, max_value=1e12, allow_nan=False),
)
def test_unit_round_trip(case, quantity):
    carrier, a, b = case
    there = convert(quantity, a, carrier, to=b)
    assert convert(there, b, carrier, to=a) == pytest.approx(quantity, rel=1e-12, abs=1e-12)


def test_every_carrier_has_its_canonical_unit_factor_one():
    for code, c in CARRIERS.items():
        assert unit_factor(c.canonical_unit, code) == 1.0
