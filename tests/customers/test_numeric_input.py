"""The customer-data importer reads every number in bounded work.

Money, churn scores and whole numbers, in CSV cells and JSON-lines literals,
get hostile numbers (huge exponents, 100,000-digit strings, NaN, Infinity,
-0, non-ASCII digits…); each row answers with its reason or the right value.
Each read runs in a forked child under a CPU-time limit (``cpu_bounded``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from customers.models import MAX_INTEGER
from customers.readers import RowError, customer_file_records, parse_row
from tests.customers.test_import import ROW, csv_text
from tests.number_cases import HOSTILE_NUMBERS, number_texts, reference_number
from tests.profiles import examples

CENT = Decimal("0.01")
JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
CSV_CONTROLS = set("\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
BOUNDED = settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# (column, kind): one column of each numeric kind.
COLUMNS = [
    ("store_spend", "money"),
    ("app_spend", "money"),
    ("churn_score", "score"),
    ("sessions_30d", "whole"),
    ("store_purchase_count", "whole"),
]


def import_answer(folder: str, fmt: str, column: str, cell: str) -> tuple[str, Any]:
    """Read one row whose ``column`` holds ``cell`` (a CSV cell or a JSON
    literal); return ("value", the parsed value) or ("error", the reason)."""
    path = Path(folder) / f"customers.{fmt}"
    if fmt == "csv":
        content = csv_text({**ROW, column: cell})
    else:
        other = json.dumps({k: v for k, v in ROW.items() if k != column})
        content = other[:-1] + f', "{column}": {cell}}}\n'
    path.write_text(content, encoding="utf-8")
    try:
        with customer_file_records(path, every_row_has_app=True) as records:
            [record, *more] = list(records)  # a line break makes more lines
            if record.error or more:
                return "error", record.error or more[0].error
            parsed = parse_row(record.cells, app_ids={}, default_app_id=1)
    except (RowError, ValidationError) as error:
        return "error", str(error)
    facts = {**parsed.customer_facts, **parsed.app_facts}
    return "value", facts[column]


REJECT = object()  # the row must be rejected with a reason
DEFAULTS = {"money": Decimal("0.00"), "score": None, "whole": 0}


def expected_value(fmt: str, kind: str, cell: str) -> Any:
    """What the importer must read, or ``REJECT``."""
    if "\n" in cell or "\x00" in cell:
        return REJECT  # a record is one line; a NUL makes the file binary
    if fmt == "csv":
        text = cell.strip()  # cells are trimmed; an empty one is the default
        if not text:
            return DEFAULTS[kind]
        number = reference_number(text, whole=kind == "whole")
    else:
        text = cell.strip(" \t\n\r")
        number = reference_number(text, json=True)
        if kind == "whole" and not JSON_INTEGER.fullmatch(text):
            number = None  # a JSON count is an integer literal, not 3.0
    if number is None:
        return REJECT
    if kind == "money":
        if 0 <= number < 10**10 and number == number.quantize(CENT):
            return number.quantize(CENT)
    elif kind == "score":
        if 0 <= number <= 1:
            return float(number)
    elif number == number.to_integral_value() and 0 <= number <= MAX_INTEGER:
        return int(number)
    return REJECT


def check_import_answer(folder: str, fmt: str, column: str, kind: str, cell: str):
    outcome, answer = import_answer(folder, fmt, column, cell)
    expected = expected_value(fmt, kind, cell)
    if expected is REJECT:
        assert outcome == "error", answer
        assert isinstance(answer, str) and answer
    else:
        assert outcome == "value", answer
        assert answer == expected
        assert str(answer) == str(expected)  # 0.00, never -0.00


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(("column", "kind"), COLUMNS)
@pytest.mark.parametrize(
    "cell", HOSTILE_NUMBERS, ids=[repr(t[:14]) for t in HOSTILE_NUMBERS]
)
def test_the_importer_reads_hostile_numbers_in_bounded_work(
    cpu_bounded, tmp_path, fmt, column, kind, cell
):
    cpu_bounded(check_import_answer, str(tmp_path), fmt, column, kind, cell)


@BOUNDED
@given(
    fmt=st.sampled_from(["csv", "jsonl"]),
    column=st.sampled_from(COLUMNS),
    cell=number_texts,
)
def test_the_importer_reads_any_number_in_bounded_work(
    cpu_bounded, tmp_path, fmt, column, cell
):
    # Other control characters split or quote CSV lines in ways of their own.
    assume(fmt == "jsonl" or not CSV_CONTROLS.intersection(cell))
    cpu_bounded(check_import_answer, str(tmp_path), fmt, *column, cell)


def test_a_json_number_too_long_to_read_rejects_its_row_with_the_reason(tmp_path):
    outcome, reason = import_answer(str(tmp_path), "jsonl", "store_spend", "1e1000000")
    assert outcome == "error"
    assert reason == (
        'a number cannot be read: "1e1000000" is too large or too small (beyond 1e±400)'
    )
    outcome, reason = import_answer(str(tmp_path), "jsonl", "rating", "9" * 100_000)
    assert reason == (
        'a number cannot be read: "' + "9" * 39 + '…" is longer than 40 characters'
    )


def test_negative_zero_and_tiny_negatives_are_read_for_what_they_are(tmp_path):
    folder = str(tmp_path)
    assert import_answer(folder, "csv", "store_spend", "-0") == (
        "value",
        Decimal("0.00"),
    )
    assert str(import_answer(folder, "jsonl", "app_spend", "-0.0")[1]) == "0.00"
    outcome, reason = import_answer(folder, "csv", "churn_score", "-1e-300")
    assert outcome == "error"
    assert 'churn_score: "-1e-300" is not a number from 0 to 1' in reason
    assert import_answer(folder, "csv", "rating", "١") == (
        "error",
        'rating: "١" is not a whole number from 1 to 5',
    )
