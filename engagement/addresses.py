"""E-mail address lists of known user groups: parsing, checking, escaping.

Addresses come from a box (typed or pasted) or a .csv file; both read into
``ParsedAddresses`` (trimmed, lower-cased, de-duplicated, invalid ones kept
with their position), which ``addresses_check`` holds to the rules of
product.md §4. Export cells are escaped against spreadsheet formulas and the
importer unescapes them. Pure functions: no database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.formats import number_format

from engagement.errors import KnownUserGroupError

SEPARATORS = re.compile(r"[\s,;]+")
MAX_CSV_BYTES = 1024 * 1024
INVALID_SHOWN = 50
VALUE_SHOWN = 100  # characters of an invalid value quoted in its error
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The delimiter is sniffed from the first non-blank lines, at most this many
# characters of them: the sniffer's quote patterns take time growing with the
# square of the sample (a hostile line of `,"a` repeated: 32 KiB 3 s of CPU,
# 128 KiB 48 s), where 4 KiB of the worst we tried takes under 0.1 s.
SNIFF_LINES = 20
SNIFF_CHARS = 4 * 1024
DELIMITERS = ",;"


@dataclass(frozen=True)
class ParsedAddresses:
    """Addresses read from a box or a file, before the rules are applied."""

    addresses: list[str]  # normalised, unique, in first-seen order
    duplicates: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (position, raw)


def address_normalise(raw: str) -> str:
    """Trim and lower-case one address, as every list stores it."""
    return raw.strip().lower()


def _collect(items: Iterable[tuple[int, str]]) -> ParsedAddresses:
    seen: dict[str, None] = {}
    duplicates = 0
    invalid = []
    for position, raw in items:
        address = address_normalise(raw)
        try:
            validate_email(address)
        except ValidationError:
            invalid.append((position, raw.strip()))
            continue
        if address in seen:
            duplicates += 1
        else:
            seen[address] = None
    return ParsedAddresses(list(seen), duplicates, invalid)


def addresses_parse(text: str) -> ParsedAddresses:
    """Split a box of addresses on spaces, commas, semicolons and line breaks."""
    tokens = [token for token in SEPARATORS.split(text or "") if token]
    return _collect(enumerate(tokens, start=1))


def addresses_from_list(addresses: Iterable[str]) -> ParsedAddresses:
    """Read a list of addresses, one an item (positions count from 1)."""
    return _collect(enumerate(addresses, start=1))


def addresses_check(parsed: ParsedAddresses, *, rows: bool = False) -> list[str]:
    """Return the normalised addresses, or raise ``ValidationError`` listing
    every problem: invalid addresses (the first 50, each a sentence naming
    its position, "Address 5: …", or with ``rows`` the file row, "Row 5: …";
    then a count of the others), none at all, or more than the limit."""
    if parsed.invalid:
        code = (
            KnownUserGroupError.INVALID_ROW
            if rows
            else KnownUserGroupError.INVALID_ADDRESS
        )
        errors = [
            code.error(position=position, value=_shortened(value))
            for position, value in parsed.invalid[:INVALID_SHOWN]
        ]
        rest = len(parsed.invalid) - INVALID_SHOWN
        if rest > 0:
            errors.append(
                KnownUserGroupError.MORE_INVALID_ADDRESSES.error(
                    count=rest, shown=count_format(rest)
                )
            )
        raise ValidationError(errors)
    limit = settings.KNOWN_USER_GROUP_MAX_EMAILS
    if not parsed.addresses:
        raise KnownUserGroupError.NO_ADDRESSES.error()
    if len(parsed.addresses) > limit:
        raise KnownUserGroupError.TOO_MANY.error(
            limit=count_format(limit), count=count_format(len(parsed.addresses))
        )
    return parsed.addresses


def count_format(number: int) -> str:
    """A count as the active language writes it: 12,415 or 12 415."""
    return number_format(number, force_grouping=True)


def _shortened(value: str) -> str:
    """An invalid value as an error quotes it: at most 100 characters."""
    return value if len(value) <= VALUE_SHOWN else value[: VALUE_SHOWN - 1] + "…"


def addresses_from_csv(file: BinaryIO) -> ParsedAddresses:
    """Read the addresses of a CSV file (an upload, or any seekable binary file).

    At most ``MAX_CSV_BYTES`` are read: the one check of the file's size.
    UTF-8 with or without BOM, comma or semicolon separated, header optional
    (a column named ``email`` in any case, else the first column), blank
    lines skipped. A cell an export escaped against formulas (``'=…``) reads
    back as written. Positions are file rows. Raise ``ValidationError`` for
    a file that is too big, not text, or not CSV.
    """
    data = file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        size = file.seek(0, io.SEEK_END)  # the whole size, without reading it
        megabytes = number_format(round(size / 1024 / 1024, 1), decimal_pos=1)
        raise KnownUserGroupError.TOO_BIG.error(size=f"{megabytes} MB")
    if not data.strip():
        raise KnownUserGroupError.EMPTY.error()
    if b"\x00" in data:
        raise KnownUserGroupError.NOT_TEXT.error()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KnownUserGroupError.NOT_UTF8.error() from None
    try:
        rows = list(
            csv.reader(io.StringIO(text), delimiter=_delimiter(text), strict=True)
        )
    except csv.Error as exc:
        raise KnownUserGroupError.NOT_CSV.error(error=str(exc)) from None
    column = 0
    cells: list[tuple[int, str]] = []
    header_seen = False
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if not header_seen:
            header_seen = True
            names = [cell.strip().lower() for cell in row]
            if "email" in names:
                column = names.index("email")
                continue
        value = row[column] if column < len(row) else ""
        value = formula_unescape(value.strip())
        if value:
            cells.append((number, value))
    return _collect(cells)


def _delimiter(text: str) -> str:
    """Sniff the delimiter, comma or semicolon, from the first non-blank lines.

    The sniffer raises ``csv.Error`` when neither appears as often on each
    line: a one-column file, where nothing is to be split, or ragged rows.
    A comma then reads each line whole as one cell (quotes still unquoted),
    which is what a one-column file means.
    """
    lines = islice((line for line in text.splitlines() if line.strip()), SNIFF_LINES)
    sample = "\n".join(lines)
    if len(sample) > SNIFF_CHARS:
        sample = sample[:SNIFF_CHARS]
        if "\n" in sample:  # whole lines only: a cut line would skew the counts
            sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def formula_escape(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def formula_unescape(cell: str) -> str:
    """Undo ``formula_escape``: an escaped cell reads back as written."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell
