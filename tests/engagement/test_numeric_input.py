"""Every numeric entry point of segments answers in bounded work.

The segment editor (amounts, whole numbers, day counts), the definition JSON
import and the rules validator each get hostile numbers (huge exponents,
100,000-digit strings, NaN, Infinity, -0, non-ASCII digits…) and must answer
with their clear error or the right value. Each call runs in a forked child
under a CPU-time limit (``cpu_bounded``): ``int(Decimal("1e1000000"))``
burned 53 s of CPU in the editor and ``1e999999999`` never finished, so the
old code fails here instead of hanging.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customers.models import MAX_INTEGER
from engagement.errors import ConditionError, DefinitionError
from engagement.forms.segments import ConditionForm
from engagement.models import Segment
from engagement.rules import MAX_DAYS, definition_parse_json
from engagement.rules import definition_validate as validate
from tests.engagement.test_rules_validation import cond, defn
from tests.engagement.test_segment_views import SPEND_ROW, editor_post
from tests.number_cases import HOSTILE_NUMBERS, number_texts, reference_number
from tests.profiles import examples

AMOUNT_ERROR = "Enter an amount such as 10 or 9.99."  # as the page shows it
CENT = Decimal("0.01")
JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")

BOUNDED = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# (attribute, operator, kind): one of each numeric kind the editor reads.
AMOUNT = ("store_spend", "gt", "amount")
WHOLE = ("sessions_30d", "gte", "whole")
DAYS = ("last_active_date", "in_last_days", "days")
KINDS = [AMOUNT, WHOLE, DAYS]
CATEGORIES = {
    "store_spend": "store_spend",
    "sessions_30d": "usage",
    "last_active_date": "usage",
}


def _in_range(kind: str, number: Decimal) -> bool:
    if kind == "amount":
        return 0 <= number < 10**10 and number == number.quantize(CENT)
    if kind == "whole":
        return number == number.to_integral_value() and 0 <= number <= MAX_INTEGER
    return number == number.to_integral_value() and 1 <= number <= MAX_DAYS


def _value_of(definition: dict[str, Any]) -> Any:
    return definition["any"][0]["all"][0]["value"]


def editor_row_answer(attribute: str, operator: str, text: str) -> tuple[str, Any]:
    """What the editor makes of one typed value: the row form (its error codes),
    then the rules (their messages)."""
    form = ConditionForm(
        {
            "block": "0",
            "category": CATEGORIES[attribute],
            "attribute": attribute,
            "operator": operator,
            "value": text,
        }
    )
    if not form.is_valid():
        return "error", [error.code for error in form.errors.as_data().get("value", [])]
    try:
        definition = validate(defn([form.cleaned_data["condition"]]))
    except ValidationError as error:
        return "error", error.messages
    return "value", _value_of(definition)


def check_editor_answer(kind: tuple[str, str, str], text: str) -> None:
    attribute, operator, name = kind
    outcome, answer = editor_row_answer(attribute, operator, text)
    # The editor trims what was typed (str.strip: any white space).
    expected = reference_number(text.strip(), whole=name != "amount")
    if "\x00" in text:
        assert (outcome, answer) == ("error", ["null_characters_not_allowed"])
    elif not text.strip():
        assert (outcome, answer) == ("error", [ConditionError.VALUE_MISSING])
    elif expected is None:
        code = (
            ConditionError.NOT_AMOUNT
            if name == "amount"
            else ConditionError.NOT_WHOLE_NUMBER
        )
        assert (outcome, answer) == ("error", [code])
    elif _in_range(name, expected):
        assert outcome == "value", answer
        assert Decimal(str(answer)) == expected
        assert type(answer) in (int, float)
    else:
        assert outcome == "error"
        [message] = answer
        assert message.startswith("OR statement 1, filter 1: ")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind[2])
@pytest.mark.parametrize(
    "text", HOSTILE_NUMBERS, ids=[repr(t[:14]) for t in HOSTILE_NUMBERS]
)
def test_the_editor_reads_hostile_numbers_in_bounded_work(cpu_bounded, kind, text):
    cpu_bounded(check_editor_answer, kind, text)


@BOUNDED
@given(kind=st.sampled_from(KINDS), text=number_texts)
def test_the_editor_reads_any_number_text_in_bounded_work(cpu_bounded, kind, text):
    cpu_bounded(check_editor_answer, kind, text)


def test_the_editor_reads_plain_numbers_as_typed():
    assert editor_row_answer(*AMOUNT[:2], " 12.50 ") == ("value", 12.5)
    assert editor_row_answer(*AMOUNT[:2], "1e3") == ("value", 1000)
    assert editor_row_answer(*AMOUNT[:2], "-0") == ("value", 0)
    assert editor_row_answer(*WHOLE[:2], "+7") == ("value", 7)
    assert editor_row_answer(*DAYS[:2], "30") == ("value", 30)
    # Arabic-Indic digits, which int() and Decimal() read as 12, are refused.
    assert editor_row_answer(*AMOUNT[:2], "١٢") == (
        "error",
        [ConditionError.NOT_AMOUNT],
    )
    assert editor_row_answer(*DAYS[:2], "١٢") == (
        "error",
        [ConditionError.NOT_WHOLE_NUMBER],
    )


def test_an_amount_with_more_than_two_decimals_is_refused_even_when_a_float_rounds_it():
    # float("0.999999999999999999") is 1.0: the editor reads the exact text.
    outcome, [message] = editor_row_answer(*AMOUNT[:2], "0.999999999999999999")
    assert outcome == "error"
    assert "at most 2 decimals" in message


# --------------------------------------------------------------------------
# The definition JSON import: json.loads' number hooks check the literal.


def json_with(attribute: str, operator: str, literal: str) -> str:
    """A definition file whose one filter has ``literal`` as its value."""
    return json.dumps(defn([cond(attribute, operator, 0)])).replace(
        '"value": 0', f'"value": {literal}'
    )


def json_import_answer(attribute: str, operator: str, literal: str) -> tuple:
    text = json_with(attribute, operator, literal)
    try:
        return "value", _value_of(definition_parse_json(text))
    except ValidationError as error:
        return "error", error.messages


def check_json_import_answer(kind: tuple[str, str, str], literal: str) -> None:
    attribute, operator, name = kind
    outcome, answer = json_import_answer(attribute, operator, literal)
    literal = literal.strip(" \t\n\r")  # white space JSON allows
    expected = reference_number(literal, json=True)
    if name == "days" and not JSON_INTEGER.fullmatch(literal):
        expected = None  # a day count is a JSON integer, not 30.0
    if expected is not None and _in_range(name, expected):
        assert outcome == "value", answer
        assert Decimal(str(answer)) == expected
    else:
        assert outcome == "error"
        assert answer and all(isinstance(m, str) and m for m in answer)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind[2])
@pytest.mark.parametrize(
    "literal", HOSTILE_NUMBERS, ids=[repr(t[:14]) for t in HOSTILE_NUMBERS]
)
def test_the_json_import_reads_hostile_numbers_in_bounded_work(
    cpu_bounded, kind, literal
):
    cpu_bounded(check_json_import_answer, kind, literal)


@BOUNDED
@given(kind=st.sampled_from(KINDS), literal=number_texts)
def test_the_json_import_reads_any_number_literal_in_bounded_work(
    cpu_bounded, kind, literal
):
    cpu_bounded(check_json_import_answer, kind, literal)


def test_a_json_number_too_long_to_read_is_named_in_the_message():
    with pytest.raises(ValidationError) as excinfo:
        definition_parse_json(json_with(*AMOUNT[:2], "1e1000000"))
    [error] = excinfo.value.error_list
    assert error.code == DefinitionError.BAD_NUMBER
    assert error.params == {
        "problem": '"1e1000000" is too large or too small (beyond 1e±400)'
    }


def test_json_amounts_are_read_exactly():
    assert json_import_answer(*AMOUNT[:2], "12.50") == ("value", 12.5)
    assert json_import_answer(*AMOUNT[:2], "-0") == ("value", 0)
    assert json_import_answer(*AMOUNT[:2], "1.500") == ("value", 1.5)
    outcome, [message] = json_import_answer(*AMOUNT[:2], "0.999999999999999999")
    assert outcome == "error"
    assert "at most 2 decimals" in message
    assert json_import_answer(*WHOLE[:2], "5.0") == ("value", 5)


# --------------------------------------------------------------------------
# The rules validator: Python numbers from JSON or any caller.

PYTHON_NUMBERS = [
    10**1_000_000,
    -(10**1_000_000),
    2**64,
    -1,
    0,
    -0.0,
    1e308,
    5e-324,
    float("inf"),
    float("-inf"),
    float("nan"),
    10.005,
    12.5,
    Decimal("1e1000000"),
    Decimal("1e999999999"),
    Decimal("-1e-999999999"),
    Decimal("1e-999999999"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-0"),
    Decimal("12.50"),
    Decimal("5.0"),
    Decimal("9" * 5000),
    True,
]


def python_number_answer(attribute: str, operator: str, value: Any) -> tuple:
    try:
        return "value", _value_of(validate(defn([cond(attribute, operator, value)])))
    except ValidationError as error:
        return "error", error.messages


def check_python_number_answer(kind: tuple[str, str, str], value: Any) -> None:
    attribute, operator, name = kind
    outcome, answer = python_number_answer(attribute, operator, value)
    expected = None
    if type(value) is int:
        expected = Decimal(value) if abs(value).bit_length() < 1400 else None
    elif isinstance(value, float | Decimal):
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        if exact.is_finite() and (exact.is_zero() or -400 <= exact.adjusted() <= 400):
            expected = exact
    if name == "days" and type(value) is not int:
        expected = None  # a day count is an int
    if expected is not None and _in_range(name, expected):
        assert outcome == "value", answer
        assert Decimal(str(answer)) == expected
        assert type(answer) in (int, float)
    else:
        assert outcome == "error", answer


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind[2])
@pytest.mark.parametrize(
    "value",
    PYTHON_NUMBERS,
    ids=[f"{type(v).__name__}-{i}" for i, v in enumerate(PYTHON_NUMBERS)],
)
def test_the_validator_checks_python_numbers_in_bounded_work(cpu_bounded, kind, value):
    cpu_bounded(check_python_number_answer, kind, value)


@BOUNDED
@given(
    kind=st.sampled_from(KINDS),
    value=st.integers()
    | st.floats()
    | st.decimals()
    | st.integers(min_value=0, max_value=10**6).map(lambda e: Decimal(f"1e{e}")),
)
@example(kind=AMOUNT, value=Decimal("1e999999999"))
def test_the_validator_checks_any_python_number_in_bounded_work(
    cpu_bounded, kind, value
):
    cpu_bounded(check_python_number_answer, kind, value)


# --------------------------------------------------------------------------
# Over HTTP: the live estimate (any member, a viewer too) and the editor's
# Save answer at once with the form's message. Transactional: the forked
# child opens its own database connection and must see the committed rows.

HUGE_AMOUNTS = ["1e1000000", "1e999999999"]
HTTP_ENTRY_POINTS = [
    # (URL name, who posts, status, what the answer says)
    (
        "engagement:segment_estimate",
        "viewer_client",
        200,
        "complete the conditions to see an estimate",
    ),
    ("engagement:segment_create", "editor_client", 400, AMOUNT_ERROR),
]


def _post(client: Client, url: str, data: dict) -> tuple[int, str]:
    response = client.post(url, data)
    return response.status_code, response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("url_name", "poster", "status", "says"), HTTP_ENTRY_POINTS)
@pytest.mark.parametrize("attribute", ["store_spend", "app_spend"])
@pytest.mark.parametrize("amount", HUGE_AMOUNTS)
def test_a_huge_amount_over_http_is_answered_at_once_with_the_form_message(
    request, cpu_bounded, app, url_name, poster, status, says, attribute, amount
):
    client = request.getfixturevalue(poster)
    row = {**SPEND_ROW, "attribute": attribute, "value": amount}
    answer = cpu_bounded(_post, client, reverse(url_name), editor_post(app, [row]))
    assert answer[0] == status
    assert says in answer[1]
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    "action",
    [
        "add_filter:²",
        "remove_filter:١",
        "add_filter:" + "9" * 5000,
        "refresh_row:²",
        "refresh_row:" + "9" * 5000,
    ],
)
def test_a_structural_action_with_odd_digits_changes_nothing(
    editor_client, app, action
):
    response = editor_client.post(
        reverse("engagement:segment_create"),
        editor_post(app, [SPEND_ROW], action=action),
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="condition-row') == 1
