"""The plain cell shapes and their SQL agree with the column parsers.

``customers.copy_cells`` states some of the parsers' rules a second time, as
regular expressions and SQL, for the PostgreSQL import: whatever a shape
matches, its parser accepts, and SQL reads it as the parser's value; SQL
reads the text ``copy_cell`` writes of any parsed value back as that value.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.columns import COLUMNS, EXPORT_COLUMNS, CellError, parse_date
from customers.copy_cells import RowShapes, cell_rules, copy_cell, value_sql
from customers.readers import RowError, parse_row
from tests.customers.test_import import ROW as IMPORT_ROW
from tests.number_cases import number_texts
from tests.profiles import examples

# A birth date in the future is the one cell rule the shapes leave to the
# whole row (``RowShapes``): cell by cell, a birth date is a date.
PARSERS = {c.name: c.parse for c in COLUMNS} | {"birth_date": parse_date}
RULES = cell_rules()
ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL is PostgreSQL's"
)
SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)


def plain_cells(name: str) -> st.SearchStrategy[str]:
    rule = RULES[name]
    cells = st.from_regex(re.compile(rule.pattern, re.ASCII), fullmatch=True)
    return cells.filter(rule.matches) if rule.max_length else cells


# Cells of any shape: what a file may hold, valid or not.
ANY_TEXT = (
    st.text(max_size=30)
    | number_texts
    | st.dates().map(dt.date.isoformat)
    | st.emails()
    | st.sampled_from(
        ["true", "YES", "0", "fr", "Male", "xbox", "2024-02-29", "2023-02-29"]
    )
    | st.sampled_from(["0000-01-01", "1.0", "0.5", "9999999999.99", "2147483647"])
)


def sql_values(name: str, texts: list[str]) -> list[object]:
    """What the import's SQL reads from each staged text of column ``name``."""
    sql, params = value_sql(name, "t.x")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM unnest(%s::text[]) WITH ORDINALITY t(x, n) ORDER BY n",
            [*params, texts],
        )
        return [row[0] for row in cursor.fetchall()]


def copied_values(name: str, values: list[object]) -> list[object]:
    """Send ``copy_cell`` of each value by COPY, as the import does; read it
    back with the import's SQL."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS copy_cells_check")
        cursor.execute("CREATE TEMP TABLE copy_cells_check (n integer, x text)")
        with (
            connection.connection.cursor() as raw,
            raw.copy("COPY copy_cells_check (n, x) FROM STDIN") as copy,
        ):
            for n, value in enumerate(values):
                copy.write(f"{n}\t{copy_cell(value)}\n")
        sql, params = value_sql(name, "t.x")
        cursor.execute(f"SELECT {sql} FROM copy_cells_check t ORDER BY n", params)
        read = [row[0] for row in cursor.fetchall()]
        cursor.execute("DROP TABLE copy_cells_check")
    return read


def test_every_column_has_a_rule():
    assert set(RULES) == {c.name for c in COLUMNS}


@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(data=st.data())
def test_a_cell_of_plain_shape_is_one_its_parser_accepts(name, data):
    text = data.draw(plain_cells(name) | ANY_TEXT)
    if RULES[name].matches(text):
        PARSERS[name](text)  # raises CellError if the shape says too much


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("email", "A@B.CD"),
        ("email", "a" * 240 + "@mail.example"),
        ("authenticated", "Yes"),
        ("market", "gb"),
        ("birth_date", "2000-02-29"),
        ("acquired_on", "0001-01-01"),
        ("acquired_on", "9999-12-31"),
        ("store_purchase_count", "999999999"),
        ("store_spend", "9999999999.99"),
        ("store_spend", "0000000001.5"),
        ("churn_score", "1.00000000000000000000"),
        ("churn_score", "0.99999999999999999999"),
        ("rating", "5"),
        ("campaign_id", "c" * 100),
        ("referrer_domain", "a b" + "d" * 250),
    ],
)
def test_plain_shapes_reach_the_limits_the_parsers_accept(name, text):
    assert RULES[name].matches(text)
    PARSERS[name](text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("email", " a@b.cd"),
        ("email", "élise@mail.example"),
        ("email", "a" * 250 + "@x.example"),
        ("authenticated", "on"),
        ("market", "XX"),
        ("birth_date", "2023-02-29"),
        ("birth_date", "1900-02-29"),
        ("acquired_on", "0000-01-01"),
        ("acquired_on", "2026-04-31"),
        ("store_purchase_count", "2147483647"),  # valid, but for parse_row
        ("store_purchase_count", "+1"),
        ("store_spend", "10000000000"),
        ("store_spend", "1.234"),
        ("store_spend", ".5"),
        ("churn_score", "1.01"),
        ("churn_score", "1e-5"),
        ("rating", "05"),
        ("campaign_id", "c" * 101),
        ("campaign_id", "tab\there"),
        ("campaign_id", "back\\slash"),
        ("campaign_id", "été"),
        ("campaign_id", "trailing "),
        ("gender", "\u212aale"),  # the Kelvin sign folds to k in Unicode
    ],
)
def test_other_shapes_are_left_to_the_parsers(name, text):
    assert not RULES[name].matches(text)


@ON_POSTGRESQL
@pytest.mark.django_db
@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(data=st.data())
def test_sql_reads_a_plain_cell_as_its_parser_does(name, data):
    texts = data.draw(st.lists(plain_cells(name), min_size=1, max_size=20))
    assert sql_values(name, texts) == [PARSERS[name](text) for text in texts]


@ON_POSTGRESQL
@pytest.mark.django_db
@pytest.mark.parametrize("name", list(RULES))
def test_sql_reads_an_empty_cell_as_the_default(name):
    column = next(c for c in COLUMNS if c.name == name)
    assert sql_values(name, ["", None]) == [column.default, column.default]


def parsed_values(name: str, texts: list[str]) -> list[object]:
    """The values the column's parser reads from the cells it accepts."""
    values = []
    for text in texts:
        if text.strip():
            with contextlib.suppress(CellError):
                values.append(PARSERS[name](text.strip()))
    return values


@ON_POSTGRESQL
@pytest.mark.django_db
@pytest.mark.parametrize("name", list(RULES))
@SETTINGS
@given(data=st.data())
def test_sql_reads_copy_cell_of_any_parsed_value_back(name, data):
    texts = data.draw(st.lists(plain_cells(name) | ANY_TEXT, max_size=20))
    # PostgreSQL text holds no NUL: no file line carries one (a file error),
    # and a JSON "\u0000" fails the import on either path alike.
    values = [v for v in parsed_values(name, texts) if "\x00" not in str(v)]
    assert copied_values(name, values) == values


@ON_POSTGRESQL
@pytest.mark.django_db
def test_copy_cell_escapes_what_copy_text_reads_specially():
    values = ["tab\there", "back\\slash", "line\rbreak", "\\N", "", "x\ny"]
    assert copied_values("campaign_id", values) == values


# Whole rows.

HEADER = [*EXPORT_COLUMNS, "app"]
ROW = {**IMPORT_ROW, "app": "9NBLGGH4NNS1"}
APP_IDS = {"9NBLGGH4NNS1": 7}
APP_FACTS = [c.name for c in COLUMNS if c.owner == "app"]


def shapes(*, default_app_id: int | None = None) -> RowShapes:
    return RowShapes(
        HEADER,
        app_ids=APP_IDS,
        default_app_id=default_app_id,
        today=timezone.now().date(),
    )


def line(row: dict) -> str:
    return ",".join(row.get(name, "") for name in HEADER)


def test_a_plain_row_with_an_app_is_read_here():
    assert shapes().app_id(line(ROW)) == 7
    assert shapes().app_id(line({**ROW, "app": "9nblggh4nns1"})) == 7


def test_a_plain_row_without_an_app_takes_the_default_or_has_none():
    assert shapes(default_app_id=3).app_id(line({**ROW, "app": ""})) == 3
    customer_only = {k: v for k, v in ROW.items() if k not in APP_FACTS}
    assert shapes().app_id(line({**customer_only, "app": ""})) is None


@pytest.mark.parametrize(
    "change",
    [
        {"app": "9NZZZZZZZZZZ"},  # unknown
        {"app": ""},  # app facts but no app
        {"acquired_on": ""},  # a required app fact missing
        {"birth_date": (timezone.now().date() + dt.timedelta(days=1)).isoformat()},
        {"email": "Alice@Mail.Example "},
        {"campaign_id": '"quoted"'},
    ],
)
def test_rows_that_need_the_whole_row_rules_go_to_parse_row(change):
    assert shapes().app_id(line({**ROW, **change})) is RowShapes.OTHER


def test_a_birth_date_of_today_is_plain():
    today = timezone.now().date().isoformat()
    assert shapes().app_id(line({**ROW, "birth_date": today})) == 7


@SETTINGS
@given(data=st.data())
def test_a_plain_row_is_one_parse_row_accepts_with_the_same_cells(data):
    with_app = data.draw(st.booleans())
    row = {}
    for column in COLUMNS:
        if column.owner == "app" and not with_app:
            row[column.name] = ""
        elif column.required and (with_app or column.owner == "customer"):
            row[column.name] = data.draw(plain_cells(column.name))
        else:
            row[column.name] = data.draw(st.just("") | plain_cells(column.name))
    row["app"] = data.draw(st.sampled_from(["9NBLGGH4NNS1", "9nblggh4nns1"]))
    if not with_app:
        row["app"] = ""
    text = line(row)
    app_id = shapes().app_id(text)
    if app_id is RowShapes.OTHER:
        return  # a birth date after today
    cells = next(csv.reader([text], strict=True))
    assert text.split(",") == cells
    try:
        parsed = parse_row(
            dict(zip(HEADER, cells, strict=True)), app_ids=APP_IDS, default_app_id=None
        )
    except RowError as error:
        pytest.fail(f"plain row rejected: {error.reason}")
    assert parsed.app_id == app_id == (7 if with_app else None)
    assert isinstance(parsed.customer_facts["store_spend"], Decimal)
