"""customers.numbers: the one shape-and-size check every numeric input uses."""

from decimal import Decimal

import pytest

from customers.numbers import (
    NumberError,
    decimal_from_text,
    int_from_text,
    json_loads,
    number_check,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", Decimal("12")),
        ("9.99", Decimal("9.99")),
        ("-0.5", Decimal("-0.5")),
        ("+1e3", Decimal("1e3")),
        (".5", Decimal("0.5")),
        ("5.", Decimal("5")),
        ("1e400", Decimal("1e400")),
        ("1e-400", Decimal("1e-400")),
    ],
)
def test_decimal_text_is_read_exactly(text, number):
    assert decimal_from_text(text) == number


@pytest.mark.parametrize("text", ["-0", "-0.00", "-0e5", "+0"])
def test_negative_zero_reads_as_zero(text):
    number = decimal_from_text(text)
    assert number == 0
    assert not number.is_signed()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1e401", "is too large or too small (beyond 1e±400)"),
        ("1e-999999999", "is too large or too small (beyond 1e±400)"),
        ("1e99999999999999999999999999", "is too large or too small (beyond 1e±400)"),
        ("1" * 41, "is longer than 40 characters"),
        ("NaN", "is not a number written with the digits 0-9"),
        ("Infinity", "is not a number written with the digits 0-9"),
        ("١٢", "is not a number written with the digits 0-9"),
        ("1_000", "is not a number written with the digits 0-9"),
        (" 12", "is not a number written with the digits 0-9"),
        ("0x10", "is not a number written with the digits 0-9"),
    ],
)
def test_other_text_is_refused_before_conversion(text, problem):
    with pytest.raises(NumberError) as excinfo:
        decimal_from_text(text)
    assert excinfo.value.problem == problem


def test_whole_numbers_are_digits_with_a_sign():
    assert int_from_text("-0") == 0
    assert int_from_text("+42") == 42
    for text in ("4.0", "4e1", "١", "²", "9" * 41):
        with pytest.raises(NumberError):
            int_from_text(text)


def test_python_numbers_are_checked_without_conversion():
    assert number_check(12) == 12
    assert str(number_check(-0.0)) == "0.0"
    assert str(number_check(Decimal("-0.00"))) == "0.00"
    for value in (
        10**1_000_000,
        float("nan"),
        float("inf"),
        Decimal("1e999999999"),
        Decimal("sNaN"),
        True,
        "12",
        [1],
    ):
        with pytest.raises(NumberError):
            number_check(value)


def test_a_huge_integer_is_named_without_printing_it():
    with pytest.raises(NumberError) as excinfo:
        number_check(10**1_000_000)
    assert str(excinfo.value) == (
        "a whole number of about 1,000,001 digits is too large or too small "
        "(beyond 1e±400)"
    )


def test_json_numbers_are_checked_literals():
    assert json_loads('{"a": 1, "b": 0.1, "c": -0}') == {
        "a": 1,
        "b": Decimal("0.1"),
        "c": 0,
    }
    with pytest.raises(NumberError):
        json_loads('{"a": 1e1000000}')
    with pytest.raises(NumberError):
        json_loads("[" + "9" * 100_000 + "]")
