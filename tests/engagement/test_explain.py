"""Explaining one customer's membership of a segment (product.md §6.7).

Table tests of the values shown and the outcome of each check, per kind of
attribute and operator; a property test that the explanation's overall
result is the compiler's on random customers and definitions (SQLite and
PostgreSQL). The admin pages are tested in ``test_explain_admin``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from engagement.models import Segment, SegmentMembership
from engagement.rules import definition_validate, segment_queryset
from engagement.selectors.explain import segment_membership_explain
from tests.engagement.test_rules_compile import TODAY, ago, born, cond, iso, make
from tests.engagement.test_rules_property import _insert, scenarios
from tests.factories import AppFactory, CustomerFactory
from tests.profiles import examples

pytestmark = pytest.mark.django_db

NO_VALUE = "no value"


def segment_of(app, *blocks: list[dict[str, Any]]) -> Segment:
    """A segment of ``app`` storing ``blocks`` as written (not validated)."""
    return Segment.objects.create(
        kind=Segment.Kind.SEGMENT,
        partner=app.partner,
        app=app,
        name=f"Explained {Segment.objects.count()}",
        definition={"version": 1, "any": [{"all": block} for block in blocks]},
    )


def explain(app, app_customer, *blocks, today: dt.date = TODAY):
    return segment_membership_explain(
        segment=segment_of(app, *blocks), customer=app_customer.customer, today=today
    )


def only(explanation) -> tuple[str, bool]:
    """The value and outcome of a one-filter definition's filter."""
    (block,) = explanation.blocks
    (check,) = block.conditions
    return check.value, check.passed


# (facts, condition, value shown, passes)
CASES = {
    "choice is": ({}, cond("gender", "is", "female"), "Female", True),
    "choice in, no": ({}, cond("gender", "in", ["male"]), "Female", False),
    "acquisition type": (
        {"acquisition_type": "paid"},
        cond("acquisition_type", "is_not", "free"),
        "Paid",
        True,
    ),
    "market by name": ({"market": "FR"}, cond("market", "is", "FR"), "France", True),
    "integer gt": ({"sessions_30d": 5}, cond("sessions_30d", "gt", 4), "5", True),
    "integer between": (
        {"sessions_30d": 5},
        cond("sessions_30d", "between", [6, 9]),
        "5",
        False,
    ),
    "money like the text": (
        {"store_spend": "1234.5"},
        cond("store_spend", "gt", 10),
        "$1,234.50",
        True,
    ),
    "app money": ({"app_spend": "9.99"}, cond("app_spend", "gte", 10), "$9.99", False),
    "date in last days": (
        {"last_active_on": ago(3)},
        cond("last_active_date", "in_last_days", 7),
        ago(3).isoformat(),
        True,
    ),
    "date not in last days": (
        {"last_active_on": ago(3)},
        cond("last_active_date", "not_in_last_days", 7),
        ago(3).isoformat(),
        False,
    ),
    "date before": (
        {"store_page_viewed_on": ago(20)},
        cond("store_page_view_date", "before", iso(10)),
        ago(20).isoformat(),
        True,
    ),
    "within the 90-day window": (
        {"acquired_on": ago(90)},
        cond("acquisition_date", "after", iso(100)),
        ago(90).isoformat(),
        True,
    ),
    "beyond the 90-day window": (
        {"acquired_on": ago(91)},
        cond("acquisition_date", "after", iso(100)),
        NO_VALUE,
        False,
    ),
    "campaign beyond the window": (
        {"acquired_on": ago(120), "campaign_id": "spring"},
        cond("campaign_id", "is_not", "summer"),
        NO_VALUE,
        False,
    ),
    "text trimmed, any case": (
        {"campaign_id": "  Spring_Sale\t"},
        cond("campaign_id", "is", "spring_sale"),
        "Spring_Sale",
        True,
    ),
    "blank text is no value": (
        {"referrer_domain": "   "},
        cond("referrer_domain", "not_in", ["bing.com"]),
        NO_VALUE,
        False,
    ),
    "missing rating with ne": ({}, cond("rating", "ne", 3), NO_VALUE, False),
    "missing churn with is_not": (
        {},
        cond("churn_risk", "is_not", "high"),
        NO_VALUE,
        False,
    ),
    "churn bucket": (
        {"churn_score": 0.66},
        cond("churn_risk", "is", "high"),
        "High",
        True,
    ),
    "boolean without a rating": ({}, cond("has_rated", "is", False), "No", True),
    "boolean from a count": (
        {"store_purchase_count": 2},
        cond("store_purchaser", "is", True),
        "Yes",
        True,
    ),
    "age group on the day": (
        {"birth_date": born(25)},
        cond("age_group", "is", "25-34"),
        "25 to 34",
        True,
    ),
    "age group the day before the birthday": (
        {"birth_date": born(25, days=1)},
        cond("age_group", "is", "25-34"),
        "18 to 24",
        False,
    ),
    "seventeen is in no age group": (
        {"birth_date": born(17)},
        cond("age_group", "not_in", ["18-24"]),
        NO_VALUE,
        False,
    ),
}


@pytest.mark.parametrize(
    ("facts", "condition", "shown", "passes"), CASES.values(), ids=list(CASES)
)
def test_each_filter_shows_the_value_segments_see_and_its_outcome(
    app, facts, condition, shown, passes
):
    explanation = explain(app, make(app, **facts), [condition])
    assert only(explanation) == (shown, passes)
    assert explanation.is_eligible
    assert explanation.is_member is passes


def test_the_filter_is_written_like_the_definition_text(app):
    explanation = explain(app, make(app), [cond("store_spend", "gt", 10)])
    assert (
        explanation.blocks[0].conditions[0].label == "Total Store spend (USD) > $10.00"
    )


def test_or_statements_each_have_a_result_and_one_is_enough(app):
    explanation = explain(
        app,
        make(app, sessions_30d=5, gender="male"),
        [cond("sessions_30d", "gt", 1), cond("gender", "is", "female")],
        [cond("gender", "is", "male")],
    )
    first, second = explanation.blocks
    assert [c.passed for c in first.conditions] == [True, False]
    assert (first.passed, second.passed) == (False, True)
    assert explanation.is_member is True


ELIGIBILITY = {
    "eligible": ({}, [True, True, True, True]),
    "xbox": ({"platform": "xbox"}, [False, True, True, True]),
    "not authenticated": ({"authenticated": False}, [True, False, True, True]),
    "age unknown": ({"birth_date": None}, [True, True, False, False]),
    "sixteen": ({"birth_date": born(17, days=1)}, [True, True, True, False]),
    "seventeen today": ({"birth_date": born(17)}, [True, True, True, True]),
}


@pytest.mark.parametrize(
    ("facts", "outcomes"), ELIGIBILITY.values(), ids=list(ELIGIBILITY)
)
def test_each_eligibility_check_is_shown_with_its_outcome(app, facts, outcomes):
    explanation = explain(app, make(app, **facts), [cond("gender", "is", "female")])
    assert [check.passed for check in explanation.eligibility] == outcomes
    assert explanation.is_member is all(outcomes)
    # The filters are still explained when the customer is not eligible.
    assert only(explanation) == ("Female", True)


def test_eligibility_values_are_shown(app):
    explanation = explain(
        app, make(app, birth_date=born(30, days=1)), [cond("gender", "is", "female")]
    )
    assert [check.value for check in explanation.eligibility] == [
        "Windows 11",
        "Yes",
        born(30, days=1).isoformat(),
        "29 years",
    ]


def test_a_customer_of_another_app_fails_every_check(app):
    other = make(AppFactory(partner=app.partner), gender="female")
    explanation = explain(app, other, [cond("gender", "is", "female")])
    assert explanation.is_app_customer is False
    assert not any(check.passed for check in explanation.eligibility)
    assert only(explanation) == (NO_VALUE, False)
    assert explanation.is_member is False


def test_the_materialised_membership_and_its_date_are_reported(app):
    app_customer = make(app, gender="female")
    segment = segment_of(app, [cond("gender", "is", "male")])
    computed_at = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
    Segment.objects.filter(pk=segment.pk).update(computed_at=computed_at)
    segment.refresh_from_db()
    SegmentMembership.objects.create(segment=segment, customer=app_customer.customer)
    explanation = segment_membership_explain(
        segment=segment, customer=app_customer.customer, today=TODAY
    )
    assert (explanation.is_member, explanation.is_stored_member) == (False, True)
    assert explanation.agrees is False
    assert explanation.computed_at == computed_at


def test_a_stale_definition_shows_its_problems_instead_of_a_result(app):
    explanation = explain(app, make(app), [cond("gender", "is", "robot")])
    assert explanation.problems
    assert explanation.blocks == ()
    assert explanation.is_member is None
    assert explanation.agrees is False
    assert explanation.is_eligible


def test_explaining_takes_two_queries_whatever_the_definition(
    app, django_assert_num_queries
):
    app_customer = make(app)
    block = [cond("gender", "is", "female"), cond("age_group", "is", "25-34")]
    segment = segment_of(app, *[block] * 20)
    with django_assert_num_queries(2):
        segment_membership_explain(
            segment=segment, customer=app_customer.customer, today=TODAY
        )


# --------------------------------------------------------------------------
# The explanation agrees with the compiler


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios(size=3, count=2))
def test_the_overall_result_is_the_compilers(app, other_app, scenario):
    today, population, raws = scenario
    with transaction.atomic():
        inserted = _insert(population, app, other_app)
        for raw in raws:
            definition = definition_validate(raw)
            segment = Segment.objects.create(
                kind=Segment.Kind.SEGMENT,
                partner=app.partner,
                app=app,
                name="Random",
                definition=definition,
            )
            members = set(
                segment_queryset(
                    definition=definition, app=app, today=today
                ).values_list("customer_id", flat=True)
            )
            for customer, _facts, _app_facts in inserted:
                explanation = segment_membership_explain(
                    segment=segment, customer=customer, today=today
                )
                assert explanation.is_member is (customer.pk in members)
            segment.delete()
        transaction.set_rollback(True)


def test_a_customer_without_any_app_is_explained(app):
    customer = CustomerFactory()
    explanation = segment_membership_explain(
        segment=segment_of(app, [cond("gender", "is", "female")]),
        customer=customer,
        today=TODAY,
    )
    assert explanation.is_app_customer is False
    assert explanation.is_member is False
