"""Customer data files: the column registry, row validation and file reading.

One registry, ``COLUMNS``, names every fact a customer data file carries, in
export order, with the model field it fills and the parser that validates a
cell. The export (``customers.selectors.app_customer_export_rows``) and the
import (``customers.services.customer_import``) both read it, so an export
imports back unchanged.

Nothing here writes to the database: reading a file yields ``Record`` objects
(one per non-blank data line, malformed ones carrying an ``error``), and
``parse_row`` turns a record's cells into a ``ParsedRow`` or raises
``RowError`` with a reason naming the column and the bad value. Problems with
the file as a whole raise ``ValidationError`` with a ``code``.

Files are UTF-8 (an optional BOM is skipped), either CSV with a header row or
JSON lines (one object per line, same keys). Every record is one physical
line: no column may hold a line break, so a malformed line is one rejected
row and never swallows the lines after it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django_countries import countries

from customers.models import AcquisitionType, AppCustomer, Customer, Gender, Platform
from customers.numbers import (
    NumberError,
    decimal_from_text,
    int_from_text,
    json_loads,
    number_check,
)

# A row of ours is under 1 KB; a "line" of a megabyte is a binary file or a
# file without line breaks, not a row to report.
MAX_LINE_BYTES = 1 << 20
MAX_INTEGER = 2_147_483_647  # PostgreSQL integer, the type of the count fields
MAX_MONEY = Decimal(10) ** 10  # DecimalField(max_digits=12, decimal_places=2)
CENT = Decimal("0.01")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}


class CellError(ValueError):
    """A cell's value is invalid; the message names the value, not the column."""


class RowError(ValueError):
    """A row is rejected; ``reason`` says why, naming columns and values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Cell parsers. Each takes a non-empty cell, either trimmed text (CSV, or a
# JSON string) or another JSON scalar (number, boolean), and returns the
# Python value to store or raises CellError.


def _show(value: object) -> str:
    """Quote a bad value for a reason, cut short so a report stays readable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text) if isinstance(value, str) else text


def _is_number(value: object) -> bool:
    """A JSON number (a bool is an int to Python, not to us)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


_EMAIL_MAX_LENGTH = Customer._meta.get_field("email").max_length


def parse_email(value: object) -> str:
    if not isinstance(value, str):
        raise CellError(f"{_show(value)} is not text")
    address = value.lower()
    try:
        validate_email(address)
    except ValidationError:
        raise CellError(f"{_show(value)} is not a valid e-mail address") from None
    if len(address) > _EMAIL_MAX_LENGTH:
        raise CellError(f"{_show(value)} is longer than {_EMAIL_MAX_LENGTH} characters")
    return address


def parse_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    raise CellError(f"{_show(value)} is not a boolean (true/false, 1/0, yes/no)")


def parse_date(value: object) -> dt.date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CellError(f"{_show(value)} is not a date in YYYY-MM-DD form")


def parse_birth_date(value: object) -> dt.date:
    born = parse_date(value)
    if born > timezone.now().date():
        raise CellError(f"{_show(value)} is in the future")
    return born


def choice_parser(choices: list[str]) -> Callable[[object], str]:
    """Parse one of ``choices``, in any case, stored lower-case."""
    allowed = frozenset(choices)

    def parse_choice(value: object) -> str:
        text = value.lower() if isinstance(value, str) else None
        if text not in allowed:
            raise CellError(f"{_show(value)} is not one of {', '.join(choices)}")
        return text

    return parse_choice


@functools.cache
def _country_codes() -> frozenset[str]:
    # Built on first use, not at import: django_countries reads its settings.
    return frozenset(code for code, _name in countries)


def parse_market(value: object) -> str:
    code = value.upper() if isinstance(value, str) else None
    if code not in _country_codes():
        raise CellError(f"{_show(value)} is not an ISO 3166-1 alpha-2 country code")
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
                f"{_show(value)} is not a whole number from {low} to {high}"
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
        raise CellError(f"{_show(value)} is not an amount like 12.50")
    if amount < 0:
        raise CellError(f"{_show(value)} is negative")
    if amount >= MAX_MONEY:
        raise CellError(f"{_show(value)} is not below 10000000000")
    cents = amount.quantize(CENT)  # exact: below 10**10, 12 digits in all
    if cents != amount:
        raise CellError(f"{_show(value)} has more than 2 decimal places")
    return cents


def parse_churn_score(value: object) -> float:
    score = _exact_number(value)
    # The range is checked on the exact number: -1e-400 is negative, though
    # it is -0.0 as a float.
    if score is None or not 0 <= score <= 1:
        raise CellError(f"{_show(value)} is not a number from 0 to 1")
    return float(score)


def text_parser(max_length: int) -> Callable[[object], str]:
    """Parse text of at most ``max_length`` characters; JSON numbers as text."""

    def parse_text(value: object) -> str:
        if _is_number(value):
            value = str(value)
        if not isinstance(value, str):
            raise CellError(f"{_show(value)} is not text")
        if len(value) > max_length:
            raise CellError(f"{_show(value)} is longer than {max_length} characters")
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


# Rows.


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A valid row: a customer's facts and, if the row has an app, its facts."""

    email: str
    customer_facts: dict[str, Any]
    app_id: int | None
    app_facts: dict[str, Any] | None


# Plain tuples: the loop below runs 19 times a row, a million rows a file.
_CUSTOMER_PLAN = tuple(
    (c.name, c.parse, c.default, c.missing_reason) for c in CUSTOMER_COLUMNS
)
_APP_PLAN = tuple((c.name, c.parse, c.default, c.missing_reason) for c in APP_COLUMNS)


def _parse_cells(
    cells: Mapping[str, object], plan: tuple, errors: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parse, default, missing_reason in plan:
        raw = cells.get(name)
        if raw is None:
            if missing_reason is not None:
                errors.append(f"{name}: {missing_reason}")
            values[name] = default
            continue
        try:
            values[name] = parse(raw)
        except CellError as error:
            errors.append(f"{name}: {error}")
    return values


def _trimmed(cells: Mapping[str, object]) -> dict[str, object]:
    """Trim text cells; an empty cell becomes None, like JSON null."""
    out: dict[str, object] = {}
    for name, value in cells.items():
        if isinstance(value, str):
            value = value.strip() or None
        out[name] = value
    return out


def parse_row(
    cells: Mapping[str, object],
    *,
    app_ids: Mapping[str, int],
    default_app_id: int | None,
) -> ParsedRow:
    """Validate every cell of one row; raise ``RowError`` listing every problem.

    ``app_ids`` maps Store product IDs (upper-case) to app ids. The row's app
    is its ``app`` cell, else ``default_app_id``; a row without one is a
    customer-only row and must not carry app facts.
    """
    cells = _trimmed(cells)
    errors: list[str] = []
    customer = _parse_cells(cells, _CUSTOMER_PLAN, errors)

    app_id = default_app_id
    app_cell = cells.get(APP_COLUMN)
    if app_cell is not None:
        app_id = app_ids.get(app_cell.upper()) if isinstance(app_cell, str) else None
        if app_id is None:
            errors.append(f"app: unknown Store product ID {_show(app_cell)}")

    app = None
    if app_cell is not None or default_app_id is not None:
        app = _parse_cells(cells, _APP_PLAN, errors)
    else:
        given = [c.name for c in APP_COLUMNS if cells.get(c.name) is not None]
        if given:
            errors.append(
                f"app facts given but no app ({', '.join(given)}): "
                "fill the app column or pass --app"
            )

    if errors:
        raise RowError("; ".join(errors))
    email = customer.pop("email")
    return ParsedRow(email=email, customer_facts=customer, app_id=app_id, app_facts=app)


# Files.


@dataclass(frozen=True, slots=True)
class Record:
    """One non-blank data line: its cells, or why it cannot be read as a row."""

    line: int  # 1-based physical line number
    text: str  # the raw line, without its line break
    cells: dict[str, object] | None
    error: str | None = None


def _not_text(detail: str) -> ValidationError:
    return ValidationError(
        f"not a CSV or JSON lines file: {detail}; save it as UTF-8 text",
        code="not_text",
    )


def _physical_lines(handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)``; raise ``ValidationError`` on binary data.

    Lines are decoded one by one so a bad byte is reported with its line.
    """
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise _not_text(f"line {number} is longer than 1 MiB")
        if b"\x00" in raw:
            raise _not_text(f"line {number} holds NUL bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_text(f"line {number} is not UTF-8 text") from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text.rstrip("\r\n")


def _preview(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _check_names(names: list[str]) -> None:
    unknown = [n for n in names if n not in IMPORT_COLUMNS]
    if unknown:
        raise ValidationError(
            f"unknown columns: {', '.join(map(repr, unknown))}; "
            f"known columns are {', '.join(IMPORT_COLUMNS)}",
            code="unknown_columns",
        )


def _csv_header(text: str, *, every_row_has_app: bool) -> list[str]:
    try:
        names = next(csv.reader((text,), strict=True), [])
    except csv.Error:
        names = []
    names = [name.strip().lower() for name in names]
    if "email" not in names:
        raise ValidationError(
            "the first line must be a header naming the columns "
            f"(email, authenticated, ...); found {_preview(text)}",
            code="no_header",
        )
    _check_names(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(
            f"columns named twice in the header: {', '.join(duplicates)}",
            code="duplicate_columns",
        )
    # With a default app every row has one, so the app columns are required
    # too: one clear error instead of every row rejected for the same reason.
    required = COLUMNS if every_row_has_app else CUSTOMER_COLUMNS
    missing = [c.name for c in required if c.required and c.name not in names]
    if missing:
        raise ValidationError(
            f"required columns missing from the header: {', '.join(missing)}",
            code="missing_columns",
        )
    return names


def _csv_records(
    lines: Iterator[tuple[int, str]], header: list[str]
) -> Iterator[Record]:
    width = len(header)
    for number, text in lines:
        if not text.strip():
            continue
        try:
            # One reader per line: an unbalanced quote stays in its own row
            # instead of swallowing the rest of the file.
            cells = next(csv.reader((text,), strict=True))
        except csv.Error as error:
            yield Record(number, text, None, f"malformed CSV line: {error}")
            continue
        if len(cells) != width:
            yield Record(
                number,
                text,
                None,
                f"{len(cells)} cells where the header names {width} columns",
            )
            continue
        yield Record(number, text, dict(zip(header, cells, strict=True)))


def _json_object(text: str) -> tuple[dict | None, str | None]:
    try:
        # Decimal keeps money exact: 0.1 stays 0.1, not 0.1000000000000000055;
        # every number literal is checked before it is converted.
        value = json_loads(text)
    except NumberError as error:
        return None, f"a number cannot be read: {error}"
    except (ValueError, RecursionError) as error:
        return None, f"not valid JSON: {error}"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    unknown = [k for k in value if k not in IMPORT_COLUMNS]
    if unknown:
        return None, f"unknown keys: {', '.join(map(repr, unknown))}"
    nested = [k for k, v in value.items() if isinstance(v, dict | list)]
    if nested:
        return None, f"{', '.join(nested)}: a list or object is not a value"
    return value, None


def _jsonl_records(lines: Iterator[tuple[int, str]]) -> Iterator[Record]:
    for number, text in lines:
        if not text.strip():
            continue
        cells, error = _json_object(text)
        yield Record(number, text, cells, error)


def _check_first_json_line(text: str) -> None:
    try:
        # Only its keys matter here: numbers stay unconverted text, and a bad
        # one is that row's reason, not a file error.
        value = json.loads(text, parse_int=str, parse_float=str)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ValidationError(
            "not a JSON lines file: the first line is not a JSON object; "
            f"found {_preview(text)}",
            code="not_jsonl",
        )
    _check_names(list(value))


def file_format(path: Path, first_line: str) -> Literal["csv", "jsonl"]:
    """Decide by extension; sniff other files by their first non-blank character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


@contextmanager
def customer_file_records(
    path: Path, *, every_row_has_app: bool = False
) -> Iterator[Iterator[Record]]:
    """Open a customer data file, check its header, and yield its records.

    ``every_row_has_app`` (a default app was given) makes a CSV header without
    the required app columns a file error.

    Raise ``ValidationError`` before yielding when the file is missing, empty,
    binary, or its header (first JSON object) names unknown columns; the
    record iterator raises it later if binary data turns up further down.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ValidationError("no such file", code="file_missing") from None
    except IsADirectoryError:
        raise ValidationError(
            "this is a folder, not a file", code="file_missing"
        ) from None
    except OSError as error:
        raise ValidationError(
            f"cannot read the file: {error.strerror}", code="file_unreadable"
        ) from None
    with handle:
        lines = _physical_lines(handle)
        first = next(((n, t) for n, t in lines if t.strip()), None)
        if first is None:
            raise ValidationError(
                "the file is empty: expected a header line and rows",
                code="file_empty",
            )
        if file_format(path, first[1]) == "csv":
            header = _csv_header(first[1], every_row_has_app=every_row_has_app)
            yield _csv_records(lines, header)
        else:
            _check_first_json_line(first[1])
            yield _jsonl_records(itertools.chain([first], lines))
