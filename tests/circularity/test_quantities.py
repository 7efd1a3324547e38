"""Quantities are stored as exact integer grams, whatever unit people type."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circularity.services.errors import InvalidInput
from circularity.services.quantities import format_mass, kilograms, to_grams


@pytest.mark.parametrize(
    ("quantity", "unit", "density", "grams"),
    [
        ("1", "kg", None, 1000),
        ("0.001", "kg", None, 1),
        ("9.2", "t", None, 9_200_000),
        ("1,250", "kg", None, 1_250_000),  # English grouping: one thousand two hundred and fifty
        ("1,250.5", "kg", None, 1_250_500),
        ("100,000", "t", None, 100_000_000_000),  # the most one batch can be
        ("2.5", "m3", "1200", 3_000_000),  # 2.5 m³ × 1200 kg/m³ = 3000 kg
        ("0.1", "m3", "650.5", 65_050),  # 0.1 × 650.5 = 65.05 kg
    ],
)
def test_conversions_are_exact(quantity, unit, density, grams):
    assert to_grams(quantity, unit, density) == grams


def test_no_float_drift_over_many_additions():
    # 0.1 t ten times is exactly 1 t; in binary floating point 0.1 * 10 summed drifts.
    assert sum(to_grams("0.1", "t") for _ in range(10)) == to_grams("1", "t")


@pytest.mark.parametrize(
    ("quantity", "unit", "density", "field"),
    [
        ("", "kg", None, "quantity"),
        ("abc", "kg", None, "quantity"),
        ("-3", "t", None, "quantity"),
        ("0", "t", None, "quantity"),
        ("nan", "t", None, "quantity"),
        ("Infinity", "t", None, "quantity"),
        ("1", "lb", None, "unit"),
        ("1", "m3", None, "density"),
        ("1", "m3", "-2", "density"),
        ("0.0001", "kg", None, "quantity"),
        ("1e12", "t", None, "quantity"),
        ("1e30", "t", None, "quantity"),
        ("9" * 30, "kg", None, "quantity"),
        ("100001", "t", None, "quantity"),  # beyond one batch: 100,000 t
        ("100000001", "kg", None, "quantity"),
        ("0,8", "t", None, "quantity"),  # in English a comma groups thousands: refused
        ("1_000", "kg", None, "quantity"),
        ("1 000", "kg", None, "quantity"),
        ("٣", "kg", None, "quantity"),
        ("1", "m3", "0.5", "density"),  # lighter than any bulk material
        ("1", "m3", "30000", "density"),  # denser than osmium
    ],
)
def test_bad_quantities_name_the_field(quantity, unit, density, field):
    with pytest.raises(InvalidInput) as error:
        to_grams(quantity, unit, density)
    assert error.value.field == field


@given(st.integers(min_value=1, max_value=10**11))
def test_kilograms_round_trip(grams):
    assert to_grams(kilograms(grams), "kg") == grams


def test_format_mass():
    assert format_mass(9_200_000) == "9.2 t"
    assert format_mass(1_234_567_000) == "1,234.567 t"
    assert format_mass(800) == "0.8 kg"
