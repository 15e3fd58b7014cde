"""Money as the active language writes it, with CLDR's data (Babel).

``money_format(50)`` is ``$50.00`` in English and ``50,00 $US`` in French
(a no-break space before the currency, a narrow no-break space between
thousands: ``12 415,00 $US``). Templates use the ``money`` filter
(``{% load formats %}``); Python code that writes money into text (the
segment definition text, the admin) calls ``money_format``. Counts are
numbers, not money: templates write them with ``intcomma``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

# Every amount the Store reports (Store spend, spend in an app) is in US
# dollars: the segment rules label them "(USD)".
STORE_CURRENCY = "USD"


def babel_locale() -> Locale:
    """The Babel locale of the active language (English when unknown)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def money_format(amount: Decimal | int | float | str | None, currency: str = "") -> str:
    """``amount`` of ``currency`` (default ``STORE_CURRENCY``) for the active
    language; an empty string for no amount, the value as it is when it is
    not a number."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not value.is_finite():
        return str(amount)
    return format_currency(value, currency or STORE_CURRENCY, locale=babel_locale())
