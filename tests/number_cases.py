"""Hostile number texts and the reference answer every numeric entry point owes.

Shared by the fuzz tests of the customer-data importer and of the segment
editor, definition import and rules validator: each entry point, given any
of these, answers with its clear error or the right value, in bounded work
(the tests run each call under a CPU-time limit, ``cpu_bounded``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from hypothesis import strategies as st

from customers.numbers import MAX_MAGNITUDE, MAX_NUMBER_CHARS

HOSTILE_NUMBERS = [
    "1e1000000",
    "1e999999999",
    "1E+999999999",
    "-1e-999999999",
    "1e-999999999",
    "1e9999999999999999999999999",
    "9" * 100_000,
    "0." + "9" * 100_000,
    "1" + "0" * 100_000 + ".5",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "-0",
    "-0.00",
    "+",
    "-",
    ".",
    "1e",
    "e5",
    "1e+",
    "0x10",
    "0b1",
    "1_000",
    "١٢",  # Arabic-Indic digits: int() and Decimal() read them as 12
    "۱۲",  # Extended Arabic-Indic
    "１２",  # fullwidth
    "१२",  # Devanagari
    "12\u00a0",
    " 12 ",
    "\t12\n",
    "1,5",
    "1.2.3",
    "--1",
    "",
    "12.50",
    "1e3",
    "9999999999.99",
    "10000000000",
    "0.005",
    "1.500",
]

_EXOTIC_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９"
_digits = st.text(alphabet="0123456789", min_size=1, max_size=60)
_exponent = st.just("") | st.builds(
    lambda letter, power: f"{letter}{power}",
    st.sampled_from(["e", "E", "e+", "e-"]),
    st.integers(min_value=0, max_value=10**12).map(str),
)
number_texts = (
    st.builds(
        lambda space, sign, whole, fraction, exponent: (
            f"{space}{sign}{whole}{fraction}{exponent}{space}"
        ),
        st.sampled_from(["", " ", "\t", "\n", "\u00a0"]),
        st.sampled_from(["", "+", "-"]),
        _digits | st.text(alphabet=_EXOTIC_DIGITS, min_size=1, max_size=4),
        st.just("") | _digits.map(lambda d: "." + d) | st.just("."),
        _exponent,
    )
    | st.sampled_from(HOSTILE_NUMBERS)
    | st.text(max_size=12)
)

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_PLAIN_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?", re.ASCII)


def reference_number(text: str, *, whole: bool = False, json: bool = False):
    """The number ``text`` means under the documented rules, or None.

    Rules: ASCII digits, at most 40 characters, a magnitude within ±400; a
    whole number is digits with an optional sign; JSON follows its own
    grammar (no ``+``, no leading zeros, digits on both sides of a point).
    """
    if len(text) > MAX_NUMBER_CHARS:
        return None
    pattern = _JSON_NUMBER if json else _PLAIN_WHOLE if whole else _PLAIN_NUMBER
    if not pattern.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # an exponent too large for Decimal itself
        return None
    if not number.is_zero() and not -MAX_MAGNITUDE <= number.adjusted() <= (
        MAX_MAGNITUDE
    ):
        return None
    return abs(number) if number.is_zero() else number
