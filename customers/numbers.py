"""Numbers from text and JSON: shape and size are checked before conversion.

``int()``, ``float()`` and ``Decimal()`` read more than a person or a file
means by a number, and some conversions cost time in proportion to the
number's value rather than its text: ``int(Decimal("1e1000000"))`` builds a
million-digit integer (53 s of CPU), and for ``1e999999999`` it never ends.
They also read non-ASCII digits (Arabic-Indic ``١٢``), underscores
(``1_000``), surrounding white space and, for ``Decimal``, ``NaN`` and
``Infinity``.

Every numeric entry point (the segment editor, the definition JSON import,
the segment rules validator and the customer-data importer) goes through
this module first, so a number costs work in proportion to a few dozen
characters whatever it says:

- text: ASCII digits only, ``[+-]digits[.digits][e[+-]digits]``, at most
  ``MAX_NUMBER_CHARS`` characters and a magnitude (the power of ten of its
  first digit) within ±``MAX_MAGNITUDE``; no white space (callers trim), no
  ``NaN`` or ``Infinity``, no hex, no underscores;
- Python numbers (from JSON or another caller): finite and of the same
  magnitude, checked without converting them (a comparison,
  ``Decimal.adjusted()``).

Negative zero reads as zero. Callers turn ``NumberError`` into their own
message ("Enter an amount such as 10 or 9.99.", "… is not a whole number
from 0 to 2147483647") and then check their own range.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from customers.values import value_shown

# The longest number text read. Stored values need far less (money
# 9999999999.99 is 13 characters, any float's shortest repr at most 24).
MAX_NUMBER_CHARS = 40
# Magnitude bound (the exponent of a number's first digit). Every float is
# within ±324; every value we store is below 10**10. Within the bound, exact
# conversions cost microseconds (int() of 10**440 has 441 digits).
MAX_MAGNITUDE = 400

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_INT_LIMIT = 10 ** (MAX_MAGNITUDE + 1)


class NumberError(ValueError):
    """A number that is not read: its text or value, and why."""

    def __init__(self, value: object, problem: str) -> None:
        self.text = value_shown(value)
        self.problem = problem
        super().__init__(f"{self.text} {problem}")


def _check_text(text: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(text, str):
        raise NumberError(text, _("is not text"))
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError(
            text,
            _("is longer than %(max)s characters") % {"max": MAX_NUMBER_CHARS},
        )
    if not pattern.fullmatch(text):
        raise NumberError(text, what)
    return text


def _check_decimal(number: Decimal, shown: object) -> Decimal:
    if not number.is_finite():
        raise NumberError(shown, _("is not a finite number"))
    if number.is_zero():
        return abs(number)  # -0 and -0.00 are 0 and 0.00
    if not -MAX_MAGNITUDE <= number.adjusted() <= MAX_MAGNITUDE:
        raise NumberError(shown, _too_large())
    return number


def _too_large() -> str:
    return _("is too large or too small (beyond 1e±%(max)s)") % {"max": MAX_MAGNITUDE}


def decimal_from_text(text: str) -> Decimal:
    """Read a number written in decimal (``12``, ``9.99``, ``-0.5``, ``1e3``).

    Raise ``NumberError`` for anything else, before any costly conversion.
    """
    _check_text(text, _NUMBER, _("is not a number written with the digits 0-9"))
    try:
        number = Decimal(text)  # cheap: at most 40 characters
    except InvalidOperation:  # an exponent beyond what Decimal holds
        raise NumberError(text, _too_large()) from None
    return _check_decimal(number, text)


def int_from_text(text: str) -> int:
    """Read a whole number written with digits and an optional sign.

    Raise ``NumberError`` for anything else (``1.0``, ``1e3``, ``١٢``).
    """
    what = _("is not a whole number written with the digits 0-9")
    return int(_check_text(text, _WHOLE_NUMBER, what))


def number_check(value: object) -> int | float | Decimal:
    """Return a Python number if it is finite and of bounded magnitude.

    ``bool`` is not a number here. Nothing is converted: the check costs the
    same for ``10**1000000`` as for ``10``. Raise ``NumberError`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise NumberError(value, _("is not a number"))
    if isinstance(value, int):
        # Comparing ints compares their sizes first: constant time.
        if not -_INT_LIMIT < value < _INT_LIMIT:
            raise NumberError(value, _too_large())
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(value, _("is not a finite number"))
        return value + 0.0  # -0.0 is 0.0
    return _check_decimal(value, value)


def json_loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` whose number literals are checked before conversion.

    Whole numbers come back as ``int``, others as exact ``Decimal`` (``0.1``
    stays 0.1). A literal that fails the checks raises ``NumberError`` (a
    ``ValueError``, like every JSON error). ``NaN`` and ``Infinity`` follow
    ``parse_constant`` as in ``json.loads``.
    """
    return json.loads(
        text, parse_int=int_from_text, parse_float=decimal_from_text, **kwargs
    )
