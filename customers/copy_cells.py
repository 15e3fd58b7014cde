"""Cells the COPY import takes as they are: a shape per column, in Python,
beside the SQL that reads a cell of that shape.

The PostgreSQL import (``customers.copy_import``) does not call ``parse_row``
on a CSV row whose every cell has the plain shape of a valid value: the row
goes to PostgreSQL as the file wrote it, and SQL turns each cell into the
value to store. Any other row (a quote, white space around a cell, a
10-digit count, 29 February, an accent in a campaign ID, a bad value...) is
read by ``parse_row`` as before, and its values travel as the text
``copy_cell`` writes.

Each ``CellRule`` holds, for one column of ``customers.columns.COLUMNS``:

- ``pattern``: a regular expression (ASCII, matched whole) of non-empty cell
  texts that the column's parser certainly accepts. It is a subset of what
  the parser accepts, chosen to be cheap to match and to need no other
  check: no white space at either end, no comma, double quote, backslash or
  tab (so the cell needs no CSV unquoting nor COPY escaping), numbers short
  enough to be in range;
- ``sql``: the SQL expression (``{}`` stands for the cell's text) that reads
  such a text, or the text ``copy_cell`` writes for a parsed value, as the
  very value the parser returns.

The rules exist twice, as ``pattern`` + ``sql`` here and as the parsers in
``customers.columns``: ``tests/customers/test_copy_cells.py`` checks that they
agree (every text a pattern matches is accepted by its parser, and SQL reads
it as the parser's value; SQL reads ``copy_cell`` of any parsed value back
as that value). Two rules of a row need the whole row and stay in Python
(``RowShapes``): a birth date is not in the future, and app facts come with
an app (the required ones filled) or not at all.

Why regular expressions in Python rather than validation in SQL: measured on
PostgreSQL 15, checking the e-mail addresses of 1M staged rows with a regular
expression took 16 s, the dates and numbers 4.5 s more, where Python matches
a whole line against one compiled expression in ~2 us (2 s for 1M lines,
on the other core while PostgreSQL reads the COPY).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from customers.columns import (
    APP_COLUMN,
    APP_COLUMNS,
    BOOLEAN_WORDS,
    COLUMNS,
    CUSTOMER_COLUMNS,
    country_codes,
)
from customers.models import (
    MAX_INTEGER,
    MAX_MONEY,
    AcquisitionType,
    AppCustomer,
    Customer,
    Gender,
    Platform,
)

# COPY's text-format NULL (as ``customers.bulk.NULL``).
NULL = r"\N"


@dataclass(frozen=True)
class CellRule:
    """A column's plain shape of a valid cell, and the SQL reading it.

    ``max_length`` bounds the cell's characters beside ``pattern``.
    """

    pattern: str
    sql: str
    max_length: int | None = None

    @property
    def cell_pattern(self) -> str:
        """``pattern`` with its length bound, for a cell within a CSV line."""
        if self.max_length is None:
            return self.pattern
        return rf"(?=[^,]{{1,{self.max_length}}}(?:,|\Z))(?:{self.pattern})"

    def matches(self, text: str) -> bool:
        """Whether ``text`` is a whole cell of the plain shape."""
        return re.fullmatch(self.cell_pattern, text, re.ASCII) is not None


def _trie(words: list[str]) -> str:
    """A pattern of exactly ``words``, as a tree of their common prefixes:
    Python's ``re`` tries alternatives one by one, and 249 country codes in
    a row cost a microsecond a line where the tree costs a few branches."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        by_first.setdefault(word[:1], []).append(word[1:])
    ends = by_first.pop("", None) is not None
    leaves = [re.escape(c) for c, rests in by_first.items() if rests == [""]]
    parts = [
        re.escape(c) + _trie(rests) for c, rests in by_first.items() if rests != [""]
    ]
    if len(leaves) > 1:
        parts.append("[" + "".join(leaves) + "]")
    else:
        parts += leaves
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    return f"(?:{body})?" if ends else body


def _alternatives(words: object) -> str:
    """Any of ``words``, in any ASCII case."""
    return "(?i:" + _trie([str(w).lower() for w in words]) + ")"


# A date as ``date_from_iso`` reads it, never a day past the month's end;
# years 0001 to 9999 (Python's dates, PostgreSQL's 'YYYY-MM-DD' alike).
_LEAP_YEAR = (
    r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])"
    r"|(?:0[48]|[2468][048]|[13579][26])00)"
)
_DATE = (
    r"(?:(?!0000)[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    rf"|{_LEAP_YEAR}-02-29)"
)
# Digits only, few enough to be in range whatever they say.
_DIGITS = len(str(MAX_INTEGER)) - 1
_COUNT = rf"[0-9]{{1,{_DIGITS}}}"
_MONEY_DIGITS = len(str(int(MAX_MONEY))) - 1
_MONEY = rf"[0-9]{{1,{_MONEY_DIGITS}}}(?:\.[0-9]{{1,2}})?"
# A dot-atom local part and a host name of ASCII labels: a subset of what
# Django's EmailValidator accepts.
_EMAIL_MAX = Customer._meta.get_field("email").max_length
_EMAIL = (
    r"(?i:[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
# Printable ASCII but the double quote, the comma and the backslash; spaces
# only inside.
_VISIBLE = r"[!#-+\--\[\]-~]"
_INSIDE = r"[ !#-+\--\[\]-~]"


def _text_rule(max_length: int) -> CellRule:
    return CellRule(rf"{_VISIBLE}(?:{_INSIDE}*{_VISIBLE})?", "{}", max_length)


def _max_length(model: type, field: str) -> int:
    return model._meta.get_field(field).max_length


_DATE_RULE = CellRule(_DATE, "{}::date")
_COUNT_RULE = CellRule(_COUNT, "{}::integer")
_MONEY_RULE = CellRule(_MONEY, "{}::numeric")


def _choice_rule(choices: list[str]) -> CellRule:
    return CellRule(_alternatives(choices), 'lower({} COLLATE "C")')


def _cell_rules() -> dict[str, CellRule]:
    return {
        "email": CellRule(_EMAIL, 'lower({} COLLATE "C")', _EMAIL_MAX),
        "authenticated": CellRule(_alternatives(BOOLEAN_WORDS), "{}::boolean"),
        "birth_date": _DATE_RULE,
        "gender": _choice_rule(Gender.values),
        "market": CellRule(_alternatives(country_codes()), 'upper({} COLLATE "C")'),
        "store_purchase_count": _COUNT_RULE,
        "store_acquisition_count": _COUNT_RULE,
        "store_spend": _MONEY_RULE,
        "acquired_on": _DATE_RULE,
        "acquisition_type": _choice_rule(AcquisitionType.values),
        "platform": _choice_rule(Platform.values),
        "campaign_id": _text_rule(_max_length(AppCustomer, "campaign_id")),
        "referrer_domain": _text_rule(_max_length(AppCustomer, "referrer_domain")),
        "store_page_viewed_on": _DATE_RULE,
        "last_active_on": _DATE_RULE,
        "sessions_30d": _COUNT_RULE,
        "rating": CellRule("[1-5]", "{}::smallint"),
        # Exact decimals from 0 to 1: float() of the Decimal and PostgreSQL's
        # float8 input both round correctly, to the same double.
        "churn_score": CellRule(
            r"(?:0(?:\.[0-9]{1,20})?|1(?:\.0{1,20})?)", "{}::double precision"
        ),
        "app_spend": _MONEY_RULE,
    }


@functools.cache
def cell_rules() -> dict[str, CellRule]:
    """The rule of every column, by name (built on first use: the country
    codes read the settings)."""
    return _cell_rules()


APP_CELL = r"[0-9A-Za-z]{12}"  # a Store product ID; known or not, Python says


def copy_cell(value: object) -> str:
    """Write a parsed value as COPY text that the column's ``sql`` reads back."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text of the same double
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def value_sql(name: str, text: str) -> tuple[str, list[object]]:
    """SQL reading the staged text ``text`` of column ``name`` as the value to
    store: its default when empty. Return the SQL and its parameters."""
    column = next(c for c in COLUMNS if c.name == name)
    read = cell_rules()[name].sql.format(f"nullif({text}, '')")
    if column.default is None:
        return read, []
    return f"coalesce({read}, %s)", [column.default]


class RowShapes:
    """Which CSV lines of one header are valid rows in their plain shape.

    ``app_id(text)`` returns the row's app id (None for a row without an
    app) when every cell of the line has its plain shape and the row-wide
    rules hold, else ``RowShapes.OTHER``: the line is for ``parse_row``. Then
    ``text.split(",")`` are exactly the cells ``csv.reader`` reads.
    """

    OTHER = object()

    def __init__(
        self,
        header: list[str],
        *,
        app_ids: dict[str, int],
        default_app_id: int | None,
        today: dt.date,
    ) -> None:
        self.app_ids = app_ids
        self.default_app_id = default_app_id
        self.today = today.isoformat()
        self.has_app_cell = APP_COLUMN in header
        self.has_birth_date = "birth_date" in header
        required_app = {c.name for c in APP_COLUMNS if c.required}
        # Rows with an app: the required app facts filled. Possible only if
        # the header names them (``parse_row`` rejects the rows otherwise).
        self.with_app = None
        if required_app <= set(header) and (
            self.has_app_cell or default_app_id is not None
        ):
            app_cell = (
                f"(?P<app>{APP_CELL}|)"
                if default_app_id is not None
                else f"(?P<app>{APP_CELL})"
            )
            self.with_app = self._compile(header, app_cell=app_cell, app_facts=True)
        # Rows without an app (none given, no default): no app facts.
        self.without_app = None
        if default_app_id is None:
            self.without_app = self._compile(
                header, app_cell="(?P<app>)", app_facts=False
            )

    @staticmethod
    def _compile(header: list[str], *, app_cell: str, app_facts: bool) -> re.Pattern:
        rules = cell_rules()
        required = {c.name for c in CUSTOMER_COLUMNS if c.required}
        if app_facts:
            required |= {c.name for c in APP_COLUMNS if c.required}
        app_names = {c.name for c in APP_COLUMNS}
        cells = []
        for name in header:
            if name == APP_COLUMN:
                cells.append(app_cell)
            elif name in app_names and not app_facts:
                cells.append("")
            elif name == "birth_date":
                cells.append(f"(?P<born>{rules[name].cell_pattern}|)")
            elif name in required:
                cells.append(f"(?:{rules[name].cell_pattern})")
            else:
                cells.append(f"(?:{rules[name].cell_pattern}|)")
        return re.compile(",".join(cells), re.ASCII)

    def app_id(self, text: str) -> object:
        match = None
        if self.with_app is not None:
            match = self.with_app.fullmatch(text)
        if match is not None:
            cell = match["app"] if self.has_app_cell else ""
            app_id = self.app_ids.get(cell.upper()) if cell else self.default_app_id
            if app_id is None:
                return self.OTHER  # an unknown app
        elif self.without_app is not None:
            match = self.without_app.fullmatch(text)
            if match is None:
                return self.OTHER
            app_id = None
        else:
            return self.OTHER
        if self.has_birth_date and match["born"] > self.today:
            return self.OTHER  # born in the future
        return app_id
