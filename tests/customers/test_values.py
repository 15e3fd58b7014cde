"""customers.values: dates, ages and bad values read and shown one way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from customers.values import SHOWN_CHARS, date_from_iso, value_shown, years_before


@pytest.mark.parametrize(
    "day, years, expected",
    [
        (dt.date(2026, 11, 28), 17, dt.date(2009, 11, 28)),
        (dt.date(2028, 2, 29), 1, dt.date(2027, 2, 28)),
        (dt.date(2028, 2, 29), 4, dt.date(2024, 2, 29)),
    ],
)
def test_years_before_is_the_same_calendar_day_or_28_february(day, years, expected):
    assert years_before(day, years) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-02-28", dt.date(2025, 2, 28)),
        ("2025-02-30", None),
        ("2025-2-28", None),
        ("20250228", None),
        (" 2025-02-28", None),
        ("٢٠٢٥-٠٢-٢٨", None),  # Arabic-Indic digits
        ("2025-02-28T00:00", None),
        (20250228, None),
        (None, None),
    ],
)
def test_date_from_iso_reads_only_yyyy_mm_dd_in_ascii_digits(text, expected):
    assert date_from_iso(text) == expected


@pytest.mark.parametrize(
    "value, shown",
    [
        ("abc", '"abc"'),
        ("it's", '"it\'s"'),
        ("Café", '"Café"'),
        ("a\u200bb", '"a\\u200bb"'),  # invisible characters are escaped
        ("a\nb", '"a\\nb"'),
        (True, "true"),
        (None, "null"),
        (12, "12"),
        (Decimal("9.99"), "9.99"),
        (1.5, "1.5"),
        (["rating"], '["rating"]'),
    ],
)
def test_value_shown_writes_values_as_json_does(value, shown):
    assert value_shown(value) == shown


def test_value_shown_cuts_long_values_short():
    shown = value_shown("x" * 10_000)
    assert shown == '"' + "x" * (SHOWN_CHARS - 1) + '…"'
    assert len(value_shown(list(range(10_000)))) == SHOWN_CHARS


def test_value_shown_names_what_it_cannot_print_cheaply():
    assert value_shown(10**100_000) == "a whole number of about 100,001 digits"
    assert value_shown(-(10**40)) == "a whole number of about 41 digits"
    assert value_shown(10**40 - 1) == "9" * 40
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    assert value_shown(nested) == "list"
    assert value_shown({1, 2}) == "{1, 2}"
