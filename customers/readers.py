"""Customer data files: the CSV and JSON lines readers, and row parsing.

Reading a file yields ``Record`` objects (one per non-blank data line,
malformed ones carrying an ``error``), and ``parse_row`` turns a record's
cells into a ``ParsedRow`` through the column table (``customers.columns``)
or raises ``RowError`` with a reason naming the column and the bad value.
Problems with the file as a whole raise ``ValidationError`` with a
``CustomerFileError`` code (``customers.errors``).
Nothing here writes to the database.

Files are UTF-8 (an optional BOM is skipped), either CSV with a header row or
JSON lines (one object per line, same keys). Every record is one physical
line: no column may hold a line break, so a malformed line is one rejected
row and never swallows the lines after it.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from django.core.exceptions import ValidationError

from customers.columns import (
    APP_COLUMN,
    APP_COLUMNS,
    COLUMNS,
    CUSTOMER_COLUMNS,
    IMPORT_COLUMNS,
    CellError,
)
from customers.errors import CustomerFileError
from customers.numbers import NumberError, json_loads
from customers.values import value_shown

# A row of ours is under 1 KB; a "line" of a megabyte is a binary file or a
# file without line breaks, not a row to report.
MAX_LINE_BYTES = 1 << 20


class RowError(ValueError):
    """A row is rejected; ``reason`` says why, naming columns and values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
            errors.append(f"app: unknown Store product ID {value_shown(app_cell)}")

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
    return CustomerFileError.NOT_TEXT.error(detail=detail)


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


def _check_names(names: list[str]) -> None:
    unknown = [n for n in names if n not in IMPORT_COLUMNS]
    if unknown:
        raise CustomerFileError.UNKNOWN_COLUMNS.error(
            unknown=", ".join(map(value_shown, unknown)),
            known=", ".join(IMPORT_COLUMNS),
        )


def _csv_header(text: str, *, every_row_has_app: bool) -> list[str]:
    try:
        names = next(csv.reader((text,), strict=True), [])
    except csv.Error:
        names = []
    names = [name.strip().lower() for name in names]
    if "email" not in names:
        raise CustomerFileError.NO_HEADER.error(found=value_shown(text))
    _check_names(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CustomerFileError.DUPLICATE_COLUMNS.error(columns=", ".join(duplicates))
    # With a default app every row has one, so the app columns are required
    # too: one clear error instead of every row rejected for the same reason.
    required = COLUMNS if every_row_has_app else CUSTOMER_COLUMNS
    missing = [c.name for c in required if c.required and c.name not in names]
    if missing:
        raise CustomerFileError.MISSING_COLUMNS.error(columns=", ".join(missing))
    return names


def csv_record(number: int, text: str, header: list[str]) -> Record:
    """Read one non-blank CSV data line as a record of the header's columns."""
    try:
        # One reader per line: an unbalanced quote stays in its own row
        # instead of swallowing the rest of the file.
        cells = next(csv.reader((text,), strict=True))
    except csv.Error as error:
        return Record(number, text, None, f"malformed CSV line: {error}")
    if len(cells) != len(header):
        return Record(
            number,
            text,
            None,
            f"{len(cells)} cells where the header names {len(header)} columns",
        )
    return Record(number, text, dict(zip(header, cells, strict=True)))


def _csv_records(
    lines: Iterator[tuple[int, str]], header: list[str]
) -> Iterator[Record]:
    for number, text in lines:
        if text.strip():
            yield csv_record(number, text, header)


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
        return None, f"unknown keys: {', '.join(map(value_shown, unknown))}"
    nested = [k for k, v in value.items() if isinstance(v, dict | list)]
    if nested:
        return None, f"{', '.join(nested)}: a list or object is not a value"
    return value, None


def json_record(number: int, text: str) -> Record:
    """Read one non-blank JSON lines data line as a record."""
    cells, error = _json_object(text)
    return Record(number, text, cells, error)


def _jsonl_records(lines: Iterator[tuple[int, str]]) -> Iterator[Record]:
    for number, text in lines:
        if text.strip():
            yield json_record(number, text)


def _check_first_json_line(text: str) -> None:
    try:
        # Only its keys matter here: numbers stay unconverted text, and a bad
        # one is that row's reason, not a file error.
        value = json.loads(text, parse_int=str, parse_float=str)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise CustomerFileError.NOT_JSONL.error(found=value_shown(text))
    _check_names(list(value))


def file_format(path: Path, first_line: str) -> Literal["csv", "jsonl"]:
    """Decide by extension; sniff other files by their first non-blank character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


@dataclass(frozen=True, slots=True)
class FileLines:
    """An opened customer data file whose header was checked.

    ``lines`` yields ``(line number, text)`` for every physical line after
    the CSV header (blank ones included), or for every line of a JSON lines
    file from its first non-blank one; it raises ``ValidationError`` if
    binary data turns up. ``header`` names the CSV columns in file order
    (None for JSON lines).
    """

    format: Literal["csv", "jsonl"]
    header: list[str] | None
    lines: Iterator[tuple[int, str]]


@contextmanager
def customer_file_lines(
    path: Path, *, every_row_has_app: bool = False
) -> Iterator[FileLines]:
    """Open a customer data file, check its header, and yield its lines.

    ``every_row_has_app`` (a default app was given) makes a CSV header without
    the required app columns a file error.

    Raise ``ValidationError`` before yielding when the file is missing, empty,
    binary, or its header (first JSON object) names unknown columns.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise CustomerFileError.FILE_MISSING.error() from None
    except IsADirectoryError:
        raise CustomerFileError.NOT_A_FILE.error() from None
    except OSError as error:
        raise CustomerFileError.FILE_UNREADABLE.error(reason=error.strerror) from None
    with handle:
        lines = _physical_lines(handle)
        first = next(((n, t) for n, t in lines if t.strip()), None)
        if first is None:
            raise CustomerFileError.FILE_EMPTY.error()
        if file_format(path, first[1]) == "csv":
            header = _csv_header(first[1], every_row_has_app=every_row_has_app)
            yield FileLines("csv", header, lines)
        else:
            _check_first_json_line(first[1])
            yield FileLines("jsonl", None, itertools.chain([first], lines))


def file_records(file: FileLines) -> Iterator[Record]:
    """The records of the non-blank data lines of an opened file."""
    if file.format == "csv":
        return _csv_records(file.lines, file.header)
    return _jsonl_records(file.lines)


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
    with customer_file_lines(path, every_row_has_app=every_row_has_app) as file:
        yield file_records(file)
