"""Segment definitions are validated before anything reaches the ORM.

product.md §3: 1–20 OR statements of 1–20 filters, lists of 1–100 values,
1–3650 days; unknown attributes, operators or values of the wrong type are
rejected with a message naming the OR statement, the filter and the problem.
Whatever the input, validation returns a canonical definition or raises
``ValidationError``, never anything else.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.errors import DefinitionError
from engagement.rules import (
    ATTRIBUTES,
    MAX_BLOCKS,
    MAX_CONDITIONS,
    MAX_DAYS,
    MAX_LIST_VALUES,
    definition_parse_json,
    definition_validate,
)


def cond(attribute: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "value": value}


def defn(*blocks: list[dict]) -> dict[str, Any]:
    return {"version": 1, "any": [{"all": list(block)} for block in blocks]}


RATING_5 = cond("rating", "eq", 5)


def _id(value: Any) -> str:
    """A test id for any value, huge integers included."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "huge-int"
    return repr(value)[:30]


def errors_of(definition: Any) -> list[ValidationError]:
    with pytest.raises(ValidationError) as excinfo:
        definition_validate(definition)
    return excinfo.value.error_list


def messages_of(definition: Any) -> list[str]:
    return [e.message % (e.params or {}) for e in errors_of(definition)]


def codes_of(definition: Any) -> list[tuple[DefinitionError, dict | None]]:
    """The code and params of each error: what the message will say."""
    return [(e.code, e.params) for e in errors_of(definition)]


def test_a_valid_definition_comes_back_in_canonical_form():
    definition = defn(
        [cond("age_group", "is", "18-24"), cond("gender", "is", "male")],
        [cond("store_spend", "gt", 10)],
    )
    assert definition_validate(definition) == definition


def test_the_message_names_the_or_statement_and_the_filter():
    definition = defn([RATING_5], [cond("rating", "eq", 6)])
    [error] = errors_of(definition)
    assert error.code == DefinitionError.INVALID_CONDITION
    assert error.messages == ["OR statement 2, filter 1: rating must be 1–5"]
    assert (error.block, error.condition) == (1, 0)


def test_every_problem_is_reported_at_once():
    definition = defn(
        [RATING_5, cond("gender", "is", "robot"), cond("nope", "is", 1)],
        [cond("sessions_30d", "gt", -1)],
        [RATING_5],
    )
    definition["any"][2] = "not a block"
    errors = errors_of(definition)
    assert [e.code for e in errors] == [
        *[DefinitionError.INVALID_CONDITION] * 3,
        DefinitionError.INVALID_BLOCK,
    ]
    assert [(e.block, e.condition) for e in errors] == [
        (0, 1),
        (0, 2),
        (1, 0),
        (2, None),
    ]
    messages = [e.messages[0] for e in errors]
    assert messages[0].startswith("OR statement 1, filter 2: gender must be one of")
    assert messages[1] == 'OR statement 1, filter 3: unknown attribute "nope"'
    assert messages[2] == (
        "OR statement 2, filter 1: sessions in the last 30 days must be 0–2147483647"
    )
    assert messages[3].startswith("OR statement 3: ")


# --------------------------------------------------------------------------
# Limits


@pytest.mark.parametrize("count", [1, MAX_BLOCKS])
def test_one_to_twenty_or_statements_are_accepted(count):
    assert len(definition_validate(defn(*[[RATING_5]] * count))["any"]) == count


@pytest.mark.parametrize("count", [0, MAX_BLOCKS + 1])
def test_no_or_statement_or_more_than_twenty_are_rejected(count):
    assert codes_of(defn(*[[RATING_5]] * count)) == [
        (DefinitionError.INVALID_BLOCKS, {"max": 20})
    ]


@pytest.mark.parametrize("count", [1, MAX_CONDITIONS])
def test_one_to_twenty_filters_per_or_statement_are_accepted(count):
    validated = definition_validate(defn([RATING_5] * count))
    assert len(validated["any"][0]["all"]) == count


@pytest.mark.parametrize("count", [0, MAX_CONDITIONS + 1])
def test_an_or_statement_without_filters_or_with_more_than_twenty_is_rejected(count):
    [error] = errors_of(defn([RATING_5], [RATING_5] * count))
    assert error.code == DefinitionError.INVALID_BLOCK
    assert error.messages == ["OR statement 2: needs 1 to 20 filters"]
    assert (error.block, error.condition) == (1, None)


CAMPAIGNS = [f"campaign-{n}" for n in range(MAX_LIST_VALUES + 1)]


@pytest.mark.parametrize("count", [1, MAX_LIST_VALUES])
def test_lists_of_one_to_a_hundred_values_are_accepted(count):
    for operator in ("in", "not_in"):
        value = CAMPAIGNS[:count]
        validated = definition_validate(defn([cond("campaign_id", operator, value)]))
        assert validated["any"][0]["all"][0]["value"] == value


@pytest.mark.parametrize("count", [0, MAX_LIST_VALUES + 1])
def test_empty_lists_and_lists_over_a_hundred_values_are_rejected(count):
    for operator in ("in", "not_in"):
        definition = defn([cond("campaign_id", operator, CAMPAIGNS[:count])])
        assert messages_of(definition) == [
            f"OR statement 1, filter 1: {operator} needs a list of 1 to 100 values"
        ]


@pytest.mark.parametrize("days", [1, 30, MAX_DAYS])
def test_one_to_3650_days_are_accepted(days):
    for operator in ("in_last_days", "not_in_last_days"):
        definition = defn([cond("last_active_date", operator, days)])
        assert definition_validate(definition) == definition


@pytest.mark.parametrize(
    "days", [0, -1, MAX_DAYS + 1, 10**5000, 30.0, 30.5, "30", True, None], ids=_id
)
def test_days_outside_1_to_3650_or_not_whole_numbers_are_rejected(days):
    definition = defn([cond("acquisition_date", "in_last_days", days)])
    assert messages_of(definition) == [
        "OR statement 1, filter 1: the number of days must be a whole number "
        "from 1 to 3650"
    ]


# --------------------------------------------------------------------------
# Values of the wrong type


WRONG_VALUES = [
    # integers
    ("rating", "eq", "3"),
    ("rating", "eq", True),
    ("rating", "eq", None),
    ("rating", "eq", [3]),
    ("rating", "eq", 0),
    ("rating", "eq", 6),
    ("rating", "gt", 3.5),
    ("rating", "eq", float("nan")),
    ("rating", "eq", float("inf")),
    ("rating", "eq", 10**5000),
    ("sessions_30d", "gte", -1),
    ("sessions_30d", "gte", 2**31),
    ("store_purchase_count", "lt", False),
    ("store_acquisition_count", "ne", {"n": 1}),
    # money
    ("store_spend", "gt", "10"),
    ("store_spend", "gt", "10.00"),
    ("store_spend", "gt", True),
    ("store_spend", "gt", 10.005),
    ("store_spend", "gt", 0.001),
    ("store_spend", "gt", -0.01),
    ("store_spend", "gt", float("inf")),
    ("store_spend", "gt", float("-inf")),
    ("store_spend", "gt", 10**11),
    ("store_spend", "gt", 10**5000),
    ("app_spend", "eq", None),
    ("app_spend", "eq", 1e-7),
    # dates
    ("acquisition_date", "before", 20260101),
    ("acquisition_date", "before", "20260101"),
    ("acquisition_date", "before", "2026-W01-1"),
    ("acquisition_date", "before", "2026-1-1"),
    ("acquisition_date", "before", "2026-02-30"),
    ("acquisition_date", "before", "2026-01-01T00:00"),
    ("acquisition_date", "before", " 2026-01-01"),
    ("acquisition_date", "before", "\uff12\uff10\uff12\uff16-01-01"),
    ("acquisition_date", "before", "1899-12-31"),
    ("acquisition_date", "before", "3000-01-01"),
    ("last_active_date", "after", None),
    ("store_page_view_date", "after", 1.5),
    # choices
    ("gender", "is", "Male"),
    ("gender", "is", ["male"]),
    ("gender", "is", 1),
    ("age_group", "is", "17"),
    ("age_group", "is", "18 to 24"),
    ("churn_risk", "is", "HIGH"),
    ("acquisition_type", "is", "gift"),
    ("market", "is", "USA"),
    ("market", "is", "EU"),
    ("market", "is", ""),
    ("market", "is", None),
    # booleans
    ("has_rated", "is", "true"),
    ("has_rated", "is", 1),
    ("store_purchaser", "is", None),
    # text
    ("campaign_id", "is", ""),
    ("campaign_id", "is", "   "),
    ("campaign_id", "is", 42),
    ("campaign_id", "is", "x" * 101),
    ("campaign_id", "is", "\u00e9t\u00e9"),
    ("campaign_id", "is", "a\tb"),
    ("referrer_domain", "is", "not a domain"),
    ("referrer_domain", "is", "http://example.com"),
    ("referrer_domain", "is", "example.com/path"),
    ("referrer_domain", "is", "-example.com"),
    ("referrer_domain", "is", "a" * 64 + ".com"),
    # list shapes
    ("gender", "in", "male"),
    ("gender", "in", {"male": 1}),
    ("gender", "not_in", None),
    ("gender", "in", ["male", "robot"]),
    # between
    ("rating", "between", 3),
    ("rating", "between", [3]),
    ("rating", "between", [1, 2, 3]),
    ("rating", "between", [1, "5"]),
    ("acquisition_date", "between", ["2026-01-01"]),
    ("acquisition_date", "between", "2026-01-01"),
]


@pytest.mark.parametrize(
    "attribute, operator, value",
    WRONG_VALUES,
    ids=[f"{a}-{o}-{_id(v)}" for a, o, v in WRONG_VALUES],
)
def test_values_of_the_wrong_type_are_rejected_naming_the_filter(
    attribute, operator, value
):
    [error] = errors_of(defn([RATING_5], [RATING_5, cond(attribute, operator, value)]))
    assert (error.block, error.condition) == (1, 1)
    assert error.messages[0].startswith("OR statement 2, filter 2: ")


@pytest.mark.parametrize(
    "attribute, value, message",
    [
        ("rating", [4, 2], "the first value of between must not be greater"),
        ("store_spend", [10.5, 10.49], "the first value of between must not be"),
        ("last_active_date", ["2026-02-01", "2026-01-31"], "the first value of"),
    ],
)
def test_between_with_the_bounds_reversed_is_rejected(attribute, value, message):
    [text] = messages_of(defn([cond(attribute, "between", value)]))
    assert text.startswith(f"OR statement 1, filter 1: {message}")


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("rating", [3, 3]),
        ("store_spend", [10, 10.0]),
        ("last_active_date", ["2026-01-31", "2026-01-31"]),
    ],
)
def test_between_with_equal_bounds_is_accepted(attribute, value):
    definition_validate(defn([cond(attribute, "between", value)]))


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("gender", ["male", "male"]),
        ("campaign_id", ["Spring", "spring"]),
        ("campaign_id", ["spring", " spring "]),
        ("market", ["us", "US"]),
        ("age_group", ["18-24", "25-34", "18-24"]),
    ],
)
def test_a_list_naming_a_value_twice_is_rejected(attribute, value):
    for operator in ("in", "not_in"):
        assert messages_of(defn([cond(attribute, operator, value)])) == [
            "OR statement 1, filter 1: the list names a value twice"
        ]


@pytest.mark.parametrize(
    "value",
    [0, 0.01, 10, 10.5, 10.25, 1234.5, 9999999999.99, 9999999999],
)
def test_money_with_at_most_two_decimals_is_accepted(value):
    definition = defn([cond("store_spend", "gte", value)])
    assert definition_validate(definition) == definition


@pytest.mark.parametrize(
    "operator, value",
    [("gt", float("nan")), ("between", [1, float("nan")])],
)
def test_nan_money_is_rejected_with_a_validation_error(operator, value):
    assert messages_of(defn([cond("app_spend", operator, value)]))


def test_negative_zero_money_is_canonicalised_to_zero():
    validated = definition_validate(defn([cond("store_spend", "gt", -0.0)]))
    assert math.copysign(1, validated["any"][0]["all"][0]["value"]) == 1


# --------------------------------------------------------------------------
# Structure


@pytest.mark.parametrize("definition", [None, [], "{}", 1, 1.5, True, ["version"]])
def test_anything_but_an_object_is_rejected(definition):
    assert codes_of(definition) == [(DefinitionError.NOT_OBJECT, None)]


@pytest.mark.parametrize("version", [2, 0, "1", True, None, [1]])
def test_an_unsupported_version_is_rejected(version):
    definition = {"version": version, "any": [{"all": [RATING_5]}]}
    [(code, params)] = codes_of(definition)
    assert code == DefinitionError.INVALID_VERSION
    assert params == {"version": json.dumps(version), "expected": 1}


def test_a_missing_version_is_rejected():
    assert codes_of({"any": [{"all": [RATING_5]}]}) == [
        (DefinitionError.INVALID_VERSION, {"version": "null", "expected": 1})
    ]


@pytest.mark.parametrize("blocks", [None, {"all": [RATING_5]}, "x", 1])
def test_any_must_be_a_list_of_or_statements(blocks):
    assert codes_of({"version": 1, "any": blocks}) == [
        (DefinitionError.INVALID_BLOCKS, {"max": 20})
    ]


def test_an_unknown_key_in_the_definition_is_rejected():
    definition = {**defn([RATING_5]), "name": "x"}
    assert codes_of(definition) == [(DefinitionError.UNKNOWN_KEY, {"keys": '"name"'})]


@pytest.mark.parametrize(
    "block",
    [
        {"all": [RATING_5], "any": []},
        {"filters": [RATING_5]},
        {},
        [RATING_5],
        None,
    ],
)
def test_an_or_statement_must_be_an_object_with_all_only(block):
    [error] = errors_of({"version": 1, "any": [{"all": [RATING_5]}, block]})
    assert error.code == DefinitionError.INVALID_BLOCK
    assert error.messages == [
        "OR statement 2: must be an object with a list of filters in all"
    ]
    assert (error.block, error.condition) == (1, None)


@pytest.mark.parametrize("conditions", [None, RATING_5, "rating", 5])
def test_all_must_be_a_list_of_filters(conditions):
    assert messages_of({"version": 1, "any": [{"all": conditions}]}) == [
        "OR statement 1: needs 1 to 20 filters"
    ]


@pytest.mark.parametrize(
    "condition, message",
    [
        (
            {**RATING_5, "negate": True},
            'unknown key "negate"',
        ),
        ("rating == 5", "a filter must be an object with attribute"),
        (None, "a filter must be an object with attribute"),
        ([RATING_5], "a filter must be an object with attribute"),
        (cond("age", "is", "18-24"), 'unknown attribute "age"'),
        (cond("Rating", "eq", 5), 'unknown attribute "Rating"'),
        (cond(None, "eq", 5), "unknown attribute null"),
        (cond(["rating"], "eq", 5), 'unknown attribute ["rating"]'),
        ({"operator": "eq", "value": 5}, "unknown attribute null"),
        (cond("rating", "contains", 5), 'rating cannot use operator "contains"'),
        (cond("rating", "is", 5), 'rating cannot use operator "is"'),
        (cond("rating", "in", [5]), 'rating cannot use operator "in"'),
        (cond("gender", "eq", "male"), 'gender cannot use operator "eq"'),
        (
            cond("has_rated", "is_not", True),
            'has rated the app cannot use operator "is_not"',
        ),
        (
            cond("acquisition_date", "gt", "2026-01-01"),
            "app acquisition date cannot use",
        ),
        (cond("campaign_id", "between", ["a", "b"]), "campaign ID cannot use operator"),
        (cond("store_spend", "in_last_days", 3), "total Store spend (USD) cannot use"),
        ({"attribute": "rating", "value": 5}, "rating cannot use operator null"),
        ({"attribute": "rating", "operator": "eq"}, "the value is missing"),
    ],
)
def test_a_bad_filter_is_rejected_with_its_problem(condition, message):
    [text] = messages_of(defn([condition]))
    assert text.startswith(f"OR statement 1, filter 1: {message}")


def test_the_allowed_operators_are_listed_when_one_is_not_allowed():
    [text] = messages_of(defn([cond("rating", "is", 5)]))
    assert text.endswith("use one of eq, ne, gt, gte, lt, lte, between")


@pytest.mark.parametrize(
    "where",
    ["version", "attribute", "operator", "definition key", "filter key", "deep"],
)
def test_unprintable_values_are_rejected_with_a_validation_error(where):
    huge = 10**5000
    definition = defn([dict(RATING_5)])
    if where == "version":
        definition["version"] = huge
    elif where == "attribute":
        definition["any"][0]["all"][0]["attribute"] = huge
    elif where == "operator":
        definition["any"][0]["all"][0]["operator"] = huge
    elif where == "definition key":
        definition[huge] = 1
    elif where == "filter key":
        definition["any"][0]["all"][0][huge] = 1
    else:
        deep: list = []
        for _ in range(100_000):
            deep = [deep]
        definition["version"] = deep
    with pytest.raises(ValidationError):
        definition_validate(definition)


def test_a_deeply_nested_value_is_rejected_with_a_validation_error():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    for condition in (cond(deep, "eq", 1), cond("rating", "eq", deep)):
        with pytest.raises(ValidationError):
            definition_validate(defn([condition]))


# --------------------------------------------------------------------------
# Canonical form


def test_market_is_upper_cased_and_text_trimmed():
    validated = definition_validate(
        defn(
            [
                cond("market", "is", " us "),
                cond("market", "in", ["gb", "Fr"]),
                cond("campaign_id", "is", "  Spring_Sale  "),
                cond("referrer_domain", "not_in", [" Example.com ", "bing.com "]),
            ]
        )
    )
    assert validated["any"][0]["all"] == [
        cond("market", "is", "US"),
        cond("market", "in", ["GB", "FR"]),
        cond("campaign_id", "is", "Spring_Sale"),
        cond("referrer_domain", "not_in", ["Example.com", "bing.com"]),
    ]


def test_the_canonical_form_is_plain_json():
    definition = defn(
        [cond("store_spend", "between", [0.5, 10])],
        [cond("last_active_date", "before", "2026-01-01")],
        [cond("has_rated", "is", False)],
    )
    validated = definition_validate(definition)
    assert json.loads(json.dumps(validated, allow_nan=False)) == validated


# --------------------------------------------------------------------------
# definition_parse_json

VALID_JSON = json.dumps(defn([RATING_5]))


def _parse_errors(text: str | bytes) -> list[str]:
    with pytest.raises(ValidationError) as excinfo:
        definition_parse_json(text)
    return excinfo.value.messages


def _parse_codes(text: str | bytes) -> list[DefinitionError]:
    with pytest.raises(ValidationError) as excinfo:
        definition_parse_json(text)
    return [error.code for error in excinfo.value.error_list]


def test_json_text_and_bytes_are_parsed_and_validated():
    assert definition_parse_json(VALID_JSON) == defn([RATING_5])
    assert definition_parse_json(VALID_JSON.encode()) == defn([RATING_5])


def test_utf8_bytes_with_a_byte_order_mark_are_accepted():
    assert definition_parse_json(b"\xef\xbb\xbf" + VALID_JSON.encode()) == defn(
        [RATING_5]
    )


def test_text_starting_with_a_byte_order_mark_is_accepted():
    assert definition_parse_json("\ufeff" + VALID_JSON) == defn([RATING_5])


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_not_json(constant):
    text = VALID_JSON.replace('"value": 5', f'"value": {constant}')
    assert constant in text
    assert _parse_codes(text) == [DefinitionError.NOT_JSON]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "{'version': 1}",
        '{"version": 1, "any": [}',
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"version": 1, "any": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"version": ' + "1" * 5000 + "}",
    ],
    ids=[
        "empty",
        "open",
        "quotes",
        "broken",
        "deep",
        "deep-closed",
        "deep-any",
        "long-int",
    ],
)
def test_text_that_is_not_a_definition_is_rejected(text):
    assert _parse_errors(text)


def test_a_megabyte_of_json_is_rejected_as_too_large():
    padding = " " * (1024 * 1024)
    for text in (VALID_JSON + padding, (VALID_JSON + padding).encode()):
        assert _parse_codes(text) == [DefinitionError.TOO_LARGE]


@pytest.mark.parametrize(
    "data", [b"\xff\xfe{}", b'{"version": 1, "any": "\xc3\x28"}', b"\x80"]
)
def test_bytes_that_are_not_utf8_are_rejected(data):
    assert _parse_codes(data) == [DefinitionError.NOT_TEXT]


def test_valid_json_that_is_no_definition_reports_the_problems():
    text = json.dumps(defn([cond("rating", "eq", 9)]))
    assert _parse_errors(text) == ["OR statement 1, filter 1: rating must be 1–5"]


# --------------------------------------------------------------------------
# Fuzzing: a dict or a ValidationError, nothing else

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Keys the validator knows, so arbitrary objects often look almost right.
KEYS = st.sampled_from(["version", "any", "all", "attribute", "operator", "value"])
JSON_OBJECTS = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=20,
)

# One valid filter per attribute × operator, to mutate.
SAMPLE_VALUES = {
    "date": {
        "before": "2026-11-28",
        "after": "2026-01-01",
        "between": ["2026-01-01", "2026-11-28"],
        "in_last_days": 30,
        "not_in_last_days": 3650,
    },
    "integer": {"between": [1, 5], None: 3},
    "decimal": {"between": [0, 10.5], None: 49.99},
    "boolean": {None: True},
}
CHOICE_SAMPLES = {
    "acquisition_type": "paid",
    "age_group": "50+",
    "gender": "unknown",
    "market": "fr",
    "churn_risk": "medium",
    "campaign_id": " Spring ",
    "referrer_domain": "Example.com",
}


def _sample(key: str, operator: str) -> Any:
    attribute = ATTRIBUTES[key]
    if key in CHOICE_SAMPLES:
        single = CHOICE_SAMPLES[key]
        return [single] if operator in {"in", "not_in"} else single
    by_operator = SAMPLE_VALUES[attribute.type]
    return by_operator.get(operator, by_operator.get(None))


VALID_CONDITIONS = [
    cond(key, operator, _sample(key, operator))
    for key, attribute in ATTRIBUTES.items()
    for operator in attribute.allowed_operators()
]


def test_every_sample_filter_is_valid():
    chunks = [
        VALID_CONDITIONS[i : i + MAX_CONDITIONS]
        for i in range(0, len(VALID_CONDITIONS), MAX_CONDITIONS)
    ]
    definition_validate(defn(*chunks))


valid_definitions = st.lists(
    st.lists(st.sampled_from(VALID_CONDITIONS), min_size=1, max_size=3),
    min_size=1,
    max_size=3,
).map(lambda blocks: copy.deepcopy(defn(*blocks)))


# Values validators trip on: edges of every type.
AWKWARD = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        -0.0,
        0,
        0.0,
        1e-7,
        10.005,
        3.0,
        2**31,
        2**63,
        -1,
        "",
        " ",
        "2026-01-01",
        "2026-02-30",
        " us ",
        "US",
        "male",
        "Male",
        "18-24",
        "high",
        True,
        False,
        None,
        [],
        {},
        [1, 2],
        [2, 1],
        ["a", "A"],
        ["2026-01-02", "2026-01-01"],
    ]
)


def _padded(draw, text: str) -> str:
    """The same text in another case, with spaces around it."""
    cased = draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))
    return (
        draw(st.sampled_from(["", " ", "  "]))
        + cased
        + draw(st.sampled_from(["", " ", "   "]))
    )


@st.composite
def noisy_valid_definitions(draw) -> Any:
    """Valid definitions written the way a person might: case, spaces, 3.0."""
    definition = draw(valid_definitions)
    for block in definition["any"]:
        for condition in block["all"]:
            key, value = condition["attribute"], condition["value"]
            if key in {"campaign_id", "referrer_domain"}:
                condition["value"] = (
                    [_padded(draw, v) for v in value]
                    if isinstance(value, list)
                    else _padded(draw, value)
                )
            elif key == "market":
                condition["value"] = (
                    [_padded(draw, v.lower()) for v in value]
                    if isinstance(value, list)
                    else _padded(draw, value.lower())
                )
            elif ATTRIBUTES[key].type in {"integer", "decimal"} and draw(st.booleans()):
                condition["value"] = (
                    [float(v) for v in value]
                    if isinstance(value, list)
                    else float(value)
                )
    return definition


@st.composite
def near_valid_definitions(draw) -> Any:
    """A valid definition with one part replaced by arbitrary JSON."""
    definition = draw(noisy_valid_definitions())
    block = draw(st.sampled_from(definition["any"]))
    condition = draw(st.sampled_from(block["all"]))
    junk = draw(AWKWARD | JSON_VALUES)
    where = draw(
        st.sampled_from(
            [
                "version",
                "any",
                "block",
                "all",
                "condition",
                "attribute",
                "operator",
                "value",
                "value",
                "value item",
                "value item",
                "retyped value",
                "retyped value",
                "extra key",
                "drop key",
                "valid",
                "valid",
                "valid",
            ]
        )
    )
    if where == "version":
        definition["version"] = junk
    elif where == "any":
        definition["any"] = junk
    elif where == "block":
        definition["any"][definition["any"].index(block)] = junk
    elif where == "all":
        block["all"] = junk
    elif where == "condition":
        block["all"][block["all"].index(condition)] = junk
    elif where in {"attribute", "operator", "value"}:
        condition[where] = junk
    elif where == "value item":
        if isinstance(condition["value"], list):
            items = condition["value"]
            items[draw(st.integers(0, len(items) - 1))] = junk
        else:
            condition["value"] = [condition["value"], junk]
    elif where == "retyped value":
        # Another attribute and operator over the same value: types clash.
        key = draw(st.sampled_from(sorted(ATTRIBUTES)))
        condition["attribute"] = key
        condition["operator"] = draw(
            st.sampled_from(ATTRIBUTES[key].allowed_operators())
        )
        condition["value"] = draw(st.sampled_from([condition["value"], junk]))
    elif where == "extra key":
        target = draw(st.sampled_from([definition, block, condition]))
        target[draw(st.text(max_size=8))] = junk
    elif where == "drop key":
        target = draw(st.sampled_from([definition, block, condition]))
        target.pop(draw(st.sampled_from(sorted(target))))
    return definition


def _validate_or_error(obj: Any) -> dict[str, Any] | None:
    try:
        result = definition_validate(obj)
    except ValidationError as error:
        assert error.messages
        assert all(isinstance(m, str) and m for m in error.messages)
        assert all(isinstance(e.code, DefinitionError) for e in error.error_list)
        return None
    assert isinstance(result, dict)
    return result


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(JSON_VALUES)
def test_arbitrary_json_is_a_definition_or_a_validation_error(obj):
    _validate_or_error(obj)


@FUZZ
@given(JSON_OBJECTS)
def test_arbitrary_objects_with_known_keys_are_a_definition_or_a_validation_error(
    obj,
):
    _validate_or_error({"version": 1, "any": obj} if isinstance(obj, list) else obj)


@FUZZ
@given(near_valid_definitions())
def test_near_valid_definitions_are_a_definition_or_a_validation_error(obj):
    _validate_or_error(obj)


@FUZZ
@given(noisy_valid_definitions() | near_valid_definitions())
def test_validation_is_idempotent_and_its_output_plain_json(obj):
    validated = _validate_or_error(obj)
    if validated is None:
        return
    assert definition_validate(validated) == validated
    as_json = json.dumps(validated, allow_nan=False)
    assert definition_parse_json(as_json) == validated


@FUZZ
@given(near_valid_definitions())
def test_json_text_of_near_valid_definitions_parses_or_fails_cleanly(obj):
    try:
        text = json.dumps(obj)
    except (TypeError, ValueError):
        return
    try:
        parsed = definition_parse_json(text)
    except ValidationError:
        return
    assert parsed == definition_validate(json.loads(text))
