"""The customer-data column table: cell parsers and export formatting.

One table, ``COLUMNS``, names every fact a customer data file carries, in
export order, with the model field it fills and the parser that validates a
cell. The export (``customers.selectors.app_customer_export_rows``) and the
import (``customers.readers.parse_row``, used by
``customers.services.customer_import``) both read it, so an export imports
back unchanged.

Parsers take one non-empty cell and return the value to store, or raise
``CellError`` with a message naming the value. Nothing here reads files or
writes to the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django_countries import countries

from customers.models import (
    CENT,
    MAX_INTEGER,
    MAX_MONEY,
    AcquisitionType,
    AppCustomer,
    Customer,
    Gender,
    Platform,
)
from customers.numbers import (
    NumberError,
    decimal_from_text,
    int_from_text,
    number_check,
)
from customers.values import date_from_iso, value_shown

BOOLEAN_WORDS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}


class CellError(ValueError):
    """A cell's value is invalid; the message names the value, not the column."""


# Cell parsers. Each takes a non-empty cell, either trimmed text (CSV, or a
# JSON string) or another JSON scalar (number, boolean), and returns the
# Python value to store or raises CellError.


def _is_number(value: object) -> bool:
    """A JSON number (a bool is an int to Python, not to us)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


_EMAIL_MAX_LENGTH = Customer._meta.get_field("email").max_length


def parse_email(value: object) -> str:
    if not isinstance(value, str):
        raise CellError(f"{value_shown(value)} is not text")
    address = value.lower()
    try:
        validate_email(address)
    except ValidationError:
        raise CellError(f"{value_shown(value)} is not a valid e-mail address") from None
    if len(address) > _EMAIL_MAX_LENGTH:
        raise CellError(
            f"{value_shown(value)} is longer than {_EMAIL_MAX_LENGTH} characters"
        )
    return address


def parse_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[value.lower()]
    raise CellError(f"{value_shown(value)} is not a boolean (true/false, 1/0, yes/no)")


def parse_date(value: object) -> dt.date:
    day = date_from_iso(value)
    if day is None:
        raise CellError(f"{value_shown(value)} is not a date in YYYY-MM-DD form")
    return day


def parse_birth_date(value: object) -> dt.date:
    born = parse_date(value)
    if born > timezone.now().date():
        raise CellError(f"{value_shown(value)} is in the future")
    return born


def choice_parser(choices: list[str]) -> Callable[[object], str]:
    """Parse one of ``choices``, in any case, stored lower-case."""
    allowed = frozenset(choices)

    def parse_choice(value: object) -> str:
        text = value.lower() if isinstance(value, str) else None
        if text not in allowed:
            raise CellError(f"{value_shown(value)} is not one of {', '.join(choices)}")
        return text

    return parse_choice


@functools.cache
def country_codes() -> frozenset[str]:
    # Built on first use, not at import: django_countries reads its settings.
    return frozenset(code for code, _name in countries)


def parse_market(value: object) -> str:
    code = value.upper() if isinstance(value, str) else None
    if code not in country_codes():
        raise CellError(
            f"{value_shown(value)} is not an ISO 3166-1 alpha-2 country code"
        )
    return code


def integer_parser(low: int, high: int) -> Callable[[object], int]:
    """Parse a whole number from ``low`` to ``high``, as a JSON number or text."""

    def parse_integer(value: object) -> int:
        number = None
        if isinstance(value, int) and _is_number(value):
            number = value  # a JSON integer, its literal checked when read
        elif isinstance(value, str):
            with contextlib.suppress(NumberError):
                number = int_from_text(value)
        if number is None or not low <= number <= high:
            raise CellError(
                f"{value_shown(value)} is not a whole number from {low} to {high}"
            )
        return number

    return parse_integer


def _exact_number(value: object) -> Decimal | None:
    """A cell as an exact number, or None: text and JSON numbers are checked
    for shape and size (``customers.numbers``) before any conversion."""
    try:
        if isinstance(value, str):
            return decimal_from_text(value)
        if _is_number(value):
            number = number_check(value)
            return number if isinstance(number, Decimal) else Decimal(number)
    except NumberError:
        pass
    return None


def parse_money(value: object) -> Decimal:
    amount = _exact_number(value)
    if amount is None:
        raise CellError(f"{value_shown(value)} is not an amount like 12.50")
    if amount < 0:
        raise CellError(f"{value_shown(value)} is negative")
    if amount >= MAX_MONEY:
        raise CellError(f"{value_shown(value)} is not below {MAX_MONEY}")
    cents = amount.quantize(CENT)  # exact: below MAX_MONEY, 12 digits in all
    if cents != amount:
        raise CellError(f"{value_shown(value)} has more than 2 decimal places")
    return cents


def parse_churn_score(value: object) -> float:
    score = _exact_number(value)
    # The range is checked on the exact number: -1e-400 is negative, though
    # it is -0.0 as a float.
    if score is None or not 0 <= score <= 1:
        raise CellError(f"{value_shown(value)} is not a number from 0 to 1")
    return float(score)


def text_parser(max_length: int) -> Callable[[object], str]:
    """Parse text of at most ``max_length`` characters; JSON numbers as text."""

    def parse_text(value: object) -> str:
        if _is_number(value):
            value = str(value)
        if not isinstance(value, str):
            raise CellError(f"{value_shown(value)} is not text")
        if len(value) > max_length:
            raise CellError(
                f"{value_shown(value)} is longer than {max_length} characters"
            )
        return value

    return parse_text


def _max_length(model: type, field: str) -> int:
    return model._meta.get_field(field).max_length


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a customer data file: the model field it fills.

    ``owner`` is ``customer`` (store-wide facts, on ``Customer``) or ``app``
    (facts of one app, on ``AppCustomer``). ``default`` fills an empty cell or
    an absent column; ``required`` columns have no default (app columns are
    required only on rows that have an app).
    """

    name: str
    owner: Literal["customer", "app"]
    parse: Callable[[object], Any]
    default: object = None
    required: bool = False

    @property
    def field_path(self) -> str:
        """The ``values_list`` path from an ``AppCustomer`` row."""
        return f"customer__{self.name}" if self.owner == "customer" else self.name

    @property
    def missing_reason(self) -> str | None:
        """Why an empty cell rejects the row, or None if it takes the default."""
        if not self.required:
            return None
        if self.owner == "app":
            return "a value is required on a row with an app"
        return "a value is required"


COLUMNS: tuple[Column, ...] = (
    Column("email", "customer", parse_email, required=True),
    Column("authenticated", "customer", parse_boolean, required=True),
    Column("birth_date", "customer", parse_birth_date),
    Column("gender", "customer", choice_parser(Gender.values), required=True),
    Column("market", "customer", parse_market, required=True),
    Column(
        "store_purchase_count", "customer", integer_parser(0, MAX_INTEGER), default=0
    ),
    Column(
        "store_acquisition_count",
        "customer",
        integer_parser(0, MAX_INTEGER),
        default=0,
    ),
    Column("store_spend", "customer", parse_money, default=Decimal("0.00")),
    Column("acquired_on", "app", parse_date, required=True),
    Column(
        "acquisition_type",
        "app",
        choice_parser(AcquisitionType.values),
        required=True,
    ),
    Column("platform", "app", choice_parser(Platform.values), required=True),
    Column(
        "campaign_id",
        "app",
        text_parser(_max_length(AppCustomer, "campaign_id")),
        default="",
    ),
    Column(
        "referrer_domain",
        "app",
        text_parser(_max_length(AppCustomer, "referrer_domain")),
        default="",
    ),
    Column("store_page_viewed_on", "app", parse_date),
    Column("last_active_on", "app", parse_date),
    Column("sessions_30d", "app", integer_parser(0, MAX_INTEGER), default=0),
    Column("rating", "app", integer_parser(1, 5)),
    Column("churn_score", "app", parse_churn_score),
    Column("app_spend", "app", parse_money, default=Decimal("0.00")),
)
CUSTOMER_COLUMNS = tuple(c for c in COLUMNS if c.owner == "customer")
APP_COLUMNS = tuple(c for c in COLUMNS if c.owner == "app")

EXPORT_COLUMNS: list[str] = [c.name for c in COLUMNS]
EXPORT_FIELD_PATHS: dict[str, str] = {c.name: c.field_path for c in COLUMNS}

APP_COLUMN = "app"  # import only: the Store product ID of the row's app
IMPORT_COLUMNS = (*EXPORT_COLUMNS, APP_COLUMN)
# Model fields an import overwrites: a row replaces all stored facts.
CUSTOMER_FACT_FIELDS = [c.name for c in CUSTOMER_COLUMNS if c.name != "email"]
APP_FACT_FIELDS = [c.name for c in APP_COLUMNS]


def format_export_cell(value: object) -> str:
    """Write one stored value as the import reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def format_export_row(values: tuple) -> list[str]:
    return [format_export_cell(v) for v in values]
