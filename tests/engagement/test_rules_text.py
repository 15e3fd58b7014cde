"""The segment definition text reads as product.md §3 writes it.

``Age group == 18 to 24 && Gender == Male``; several OR statements each in
parentheses joined by `` || ``; ``==``, ``!=``, ``>``, ``>=``, ``<``, ``<=``,
``in [a, b]``, ``not in [a, b]``, ``between a and b``, ``before``,
``after``, ``in last N days``, ``not in last N days``; money as ``$10.00``.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.utils import translation
from django_countries import countries

from engagement.rules import condition_text, definition_text, definition_validate


def cond(attribute: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "value": value}


def text(*blocks: list[dict]) -> str:
    definition = definition_validate(
        {"version": 1, "any": [{"all": list(block)} for block in blocks]}
    )
    return definition_text(definition)


def test_one_or_statement_joins_its_filters_with_and():
    assert (
        text([cond("age_group", "is", "18-24"), cond("gender", "is", "male")])
        == "Age group == 18 to 24 && Gender == Male"
    )


def test_several_or_statements_are_parenthesised_and_joined_with_or():
    assert text(
        [cond("age_group", "is", "18-24"), cond("gender", "is", "male")],
        [cond("store_spend", "gt", 10)],
    ) == (
        "(Age group == 18 to 24 && Gender == Male)"
        " || (Total Store spend (USD) > $10.00)"
    )


def test_single_filter_or_statements_are_parenthesised_too():
    assert (
        text(
            [cond("rating", "eq", 5)],
            [cond("has_rated", "is", False)],
            [cond("gender", "is", "female")],
        )
        == "(Rating == 5) || (Has rated the app == No) || (Gender == Female)"
    )


@pytest.mark.parametrize(
    "condition, expected",
    [
        (cond("gender", "is", "unknown"), "Gender == Unknown"),
        (cond("gender", "is_not", "female"), "Gender != Female"),
        (
            cond("acquisition_type", "is", "promotional_code"),
            "Acquisition type == Promotional code",
        ),
        (cond("churn_risk", "is_not", "low"), "Churn risk != Low"),
        (cond("age_group", "is", "50+"), "Age group == 50 or older"),
        (cond("market", "is", "us"), f"Market == {countries.name('US')}"),
    ],
)
def test_choices_are_written_with_equals_and_not_equals_and_their_labels(
    condition, expected
):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "condition, expected",
    [
        (cond("campaign_id", "is", "  Spring_Sale "), "Campaign ID == Spring_Sale"),
        (
            cond("referrer_domain", "is_not", "example.com"),
            "Referrer URI domain != example.com",
        ),
    ],
)
def test_text_values_are_written_trimmed(condition, expected):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "operator, symbol",
    [
        ("eq", "=="),
        ("ne", "!="),
        ("gt", ">"),
        ("gte", ">="),
        ("lt", "<"),
        ("lte", "<="),
    ],
)
def test_number_comparisons_use_their_symbols(operator, symbol):
    assert text([cond("rating", operator, 3)]) == f"Rating {symbol} 3"
    assert text([cond("sessions_30d", operator, 12)]) == (
        f"Sessions in the last 30 days {symbol} 12"
    )
    assert text([cond("store_purchase_count", operator, 1000)]) == (
        f"Store purchases {symbol} 1000"
    )


@pytest.mark.parametrize(
    "condition, expected",
    [
        (
            cond("age_group", "in", ["18-24", "25-34"]),
            "Age group in [18 to 24, 25 to 34]",
        ),
        (
            cond("churn_risk", "not_in", ["low", "medium"]),
            "Churn risk not in [Low, Medium]",
        ),
        (cond("gender", "in", ["male"]), "Gender in [Male]"),
        (cond("campaign_id", "not_in", [" a ", "B"]), "Campaign ID not in [a, B]"),
        (
            cond("market", "in", ["us", "fr"]),
            f"Market in [{countries.name('US')}, {countries.name('FR')}]",
        ),
    ],
)
def test_lists_are_written_in_brackets(condition, expected):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "condition, expected",
    [
        (cond("rating", "between", [2, 4]), "Rating between 2 and 4"),
        (
            cond("app_spend", "between", [10, 1234.5]),
            "Total spend in this app (USD) between $10.00 and $1,234.50",
        ),
        (
            cond("last_active_date", "between", ["2026-09-01", "2026-11-28"]),
            "Last used between 2026-09-01 and 2026-11-28",
        ),
    ],
)
def test_between_is_written_with_both_bounds(condition, expected):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "condition, expected",
    [
        (
            cond("acquisition_date", "before", "2026-01-01"),
            "App acquisition date before 2026-01-01",
        ),
        (
            cond("store_page_view_date", "after", "2026-10-01"),
            "Store page view date after 2026-10-01",
        ),
    ],
)
def test_before_and_after_are_written_with_the_iso_date(condition, expected):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "condition, expected",
    [
        (
            cond("acquisition_date", "in_last_days", 30),
            "App acquisition date in last 30 days",
        ),
        (
            cond("last_active_date", "not_in_last_days", 7),
            "Last used not in last 7 days",
        ),
    ],
)
def test_day_counts_are_written_in_last_n_days(condition, expected):
    assert text([condition]) == expected


@pytest.mark.parametrize(
    "amount, written",
    [
        (10, "$10.00"),
        (10.5, "$10.50"),
        (0, "$0.00"),
        (0.05, "$0.05"),
        (1234.5, "$1,234.50"),
        (1000000, "$1,000,000.00"),
        (9999999999.99, "$9,999,999,999.99"),
    ],
)
def test_money_is_written_in_dollars_with_cents(amount, written):
    assert text([cond("store_spend", "gte", amount)]) == (
        f"Total Store spend (USD) >= {written}"
    )


def test_booleans_are_written_yes_or_no():
    assert text([cond("has_rated", "is", True)]) == "Has rated the app == Yes"
    assert text([cond("store_purchaser", "is", False)]) == (
        "Has purchased in the Store == No"
    )


def test_condition_text_renders_one_filter():
    assert condition_text(cond("store_spend", "gt", 10)) == (
        "Total Store spend (USD) > $10.00"
    )


def test_negative_zero_money_is_written_as_zero():
    assert text([cond("store_spend", "gt", -0.0)]) == (
        "Total Store spend (USD) > $0.00"
    )


# --------------------------------------------------------------------------
# The templates product.md names

TEMPLATES = importlib.import_module(
    "engagement.migrations.0002_segment_templates"
).TEMPLATES

TEMPLATE_TEXTS = {
    "Big spenders": "Total Store spend (USD) > $50.00",
    "Young adults": "Age group in [18 to 24, 25 to 34]",
    "At risk of churning": "Churn risk == High",
    "Lapsed users": "Last used not in last 30 days",
    "Happy raters": "Rating >= 4",
    "New customers": "App acquisition date in last 30 days",
}


@pytest.mark.parametrize(
    "name, conditions",
    [
        pytest.param(name, conditions, id=slug)
        for slug, name, _d, conditions in TEMPLATES
    ],
)
def test_each_segment_template_is_valid_and_reads_as_the_product_says(name, conditions):
    definition = {"version": 1, "any": [{"all": conditions}]}
    assert definition_validate(definition) == definition
    assert definition_text(definition) == TEMPLATE_TEXTS[name]


def test_the_six_product_templates_exist():
    assert {name for _slug, name, _d, _c in TEMPLATES} >= set(TEMPLATE_TEXTS)


def test_money_is_written_as_the_active_language_writes_dollars():
    condition = cond("app_spend", "between", [10, 1234.5])
    with translation.override("fr"):
        text = condition_text(condition)
    assert "10,00\xa0$US" in text
    assert "1\u202f234,50\xa0$US" in text
