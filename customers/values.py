"""How values are written and shown, shared by the importer and the rules.

The customer-data importer (``customers.columns``), the demo data
(``customers.demo``), the number checks (``customers.numbers``) and the
segment rules (``engagement.rules``) read dates, count ages and quote bad
values in messages the same way; each of those facts lives here, once. The
limits of stored numbers live beside the fields they come from, in
``customers.models`` (``MAX_INTEGER``, ``MAX_MONEY``, ``CENT``).

Nothing here reads the database or the settings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal

from django.utils.translation import gettext as _

# A date as the files, the definitions and the forms write it: ASCII digits
# only (``\d`` would also match Arabic-Indic digits).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The most characters of a bad value a message quotes.
SHOWN_CHARS = 40


def date_from_iso(value: object) -> dt.date | None:
    """Read a date written ``YYYY-MM-DD``; return None for anything else."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:  # 2025-02-30
        return None


def years_before(day: dt.date, years: int) -> dt.date:
    """Return the same calendar day ``years`` earlier; 29 February becomes the 28th.

    Someone born on ``years_before(today, n)`` or earlier is at least ``n``
    years old today: a 29 February birthday counts from 1 March in common
    years.
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def value_shown(value: object) -> str:
    """Quote a bad value for a message, cut short and cheap whatever it is.

    Values read as JSON writes them (``"text"``, ``12``, ``true``, ``null``,
    ``["a"]``), at most ``SHOWN_CHARS`` characters, invisible characters
    escaped (``"\\u200b"``). A whole number too long to show is named by its
    size, counted from its bits: printing a 100,000-digit number costs
    seconds. A list nested too deep to print is named by its type.
    """
    if isinstance(value, str):
        if len(value) > SHOWN_CHARS:
            value = value[: SHOWN_CHARS - 1] + "…"
        return "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
            for c in json.dumps(value, ensure_ascii=False)
        )
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(10**SHOWN_CHARS) < value < 10**SHOWN_CHARS:
            # Exact or one over: a number of n bits has n × log10(2) digits,
            # rounded either way.
            digits = math.ceil(value.bit_length() * math.log10(2))
            return _("a whole number of about %(digits)s digits") % {
                "digits": f"{digits:,}"
            }
        return str(value)
    try:
        text = str(value) if isinstance(value, Decimal) else json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            return type(value).__name__
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
