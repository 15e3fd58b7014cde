"""The SQL the rules compile to agrees with a plain reading of product.md §3.

Random valid definitions (1–3 OR statements of 1–3 filters, any attribute
and operator, values drawn near the data) are evaluated over random
populations two ways: ``segment_queryset`` on the database, and
``reference_evaluator.is_member`` in Python, written from the product page.
The two must select the same customers, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import AppCustomer, Customer
from engagement.rules import (
    ATTRIBUTES,
    definition_text,
    definition_validate,
    eligible_queryset,
    segment_queryset,
)
from tests.engagement import reference_evaluator as ref

pytestmark = pytest.mark.django_db

# A usual day, a leap day, and the days either side of 29 February in a
# common year: birthdays on 29 February are the awkward ones.
TODAYS = [
    dt.date(2026, 11, 28),
    dt.date(2028, 2, 29),
    dt.date(2027, 2, 28),
    dt.date(2027, 3, 1),
]

# Days before today: today, the future, and both sides of the 30- and
# 90-day edges.
DAYS_AGO = st.sampled_from(
    [-30, -1, 0, 1, 2, 29, 30, 31, 60, 89, 90, 91, 92, 120, 400]
) | st.integers(-10, 200)
DAY_COUNTS = st.sampled_from([1, 2, 29, 30, 31, 89, 90, 91, 120, 365, 3650]) | (
    st.integers(1, 400)
)
AGES = st.sampled_from([15, 16, 17, 18, 19, 24, 25, 26, 34, 35, 49, 50, 51, 80])
LEAP_BIRTHS = st.sampled_from(
    [
        dt.date(1976, 2, 29),
        dt.date(2000, 2, 29),
        dt.date(2002, 2, 28),
        dt.date(2002, 3, 1),
        dt.date(2003, 2, 28),
        dt.date(2004, 2, 29),
        dt.date(2008, 2, 29),
        dt.date(2009, 2, 28),
        dt.date(2010, 3, 1),
        dt.date(2011, 2, 28),
    ]
)
MONEY = ["0", "0.01", "9.99", "10", "10.01", "49.99", "50", "50.01", "1234.5"]
CHURN_SCORES = [0, 0.1, 0.3299, 0.33, 0.5, 0.6599, 0.66, 0.9, 1]
CAMPAIGNS = ["spring_sale", "Summer-2026", "promo 1", "launch"]
DOMAINS = ["example.com", "news.example.org", "bing.com", "Contoso.net"]
MARKETS = ["US", "GB", "FR", "DE"]


def _ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def _birthday(today: dt.date, years: int, shift: int) -> dt.date:
    """Someone turning ``years`` on ``today + shift`` days (roughly)."""
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day + dt.timedelta(days=shift)


@st.composite
def variants(draw, words: list[str]) -> str:
    """A word of the vocabulary in some case, maybe padded with spaces."""
    word = draw(st.sampled_from(words))
    word = draw(st.sampled_from([word, word.lower(), word.upper(), word.title()]))
    pad = st.sampled_from(["", "", " ", "  "])
    return draw(pad) + word + draw(pad)


def _key(text: str) -> str:
    return text.strip().lower()


# --------------------------------------------------------------------------
# Populations


@st.composite
def customer_facts(draw, today: dt.date) -> dict[str, Any]:
    birth = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda years, shift: _birthday(today, years, shift),
                AGES,
                st.sampled_from([-1, 0, 0, 1]),
            ),
            LEAP_BIRTHS,
        )
    )
    return {
        "birth_date": birth,
        "gender": draw(st.sampled_from(["male", "female", "unknown"])),
        "market": draw(st.sampled_from(MARKETS)),
        "authenticated": draw(st.sampled_from([True, True, True, False])),
        "store_purchase_count": draw(st.sampled_from([0, 0, 1, 2, 5])),
        "store_acquisition_count": draw(st.sampled_from([0, 1, 3])),
        "store_spend": Decimal(draw(st.sampled_from(MONEY))),
    }


@st.composite
def app_customer_facts(draw, today: dt.date) -> dict[str, Any]:
    def maybe_day():
        return st.none() | DAYS_AGO.map(lambda n: _ago(today, n))

    def text(words):
        return st.sampled_from(["", "   "]) | variants(words)

    return {
        "platform": draw(
            st.sampled_from(["windows10", "windows11", "windows11", "xbox", "other"])
        ),
        "acquired_on": _ago(today, draw(DAYS_AGO)),
        "acquisition_type": draw(
            st.sampled_from(["free", "paid", "trial", "promotional_code"])
        ),
        "campaign_id": draw(text(CAMPAIGNS)),
        "referrer_domain": draw(text(DOMAINS)),
        "store_page_viewed_on": draw(maybe_day()),
        "last_active_on": draw(maybe_day()),
        "sessions_30d": draw(st.integers(0, 12)),
        "rating": draw(st.none() | st.integers(1, 5)),
        "churn_score": draw(st.none() | st.sampled_from(CHURN_SCORES)),
        "app_spend": Decimal(draw(st.sampled_from(MONEY))),
    }


@st.composite
def people(draw, today: dt.date) -> list[dict[str, Any]]:
    """15–40 customers, most in the app, some in the other app or both."""
    result = []
    for _ in range(draw(st.integers(15, 40))):
        where = draw(st.sampled_from(["app", "app", "app", "other", "both"]))
        result.append(
            {
                "customer": draw(customer_facts(today)),
                "app": None if where == "other" else draw(app_customer_facts(today)),
                "other": None if where == "app" else draw(app_customer_facts(today)),
            }
        )
    return result


# --------------------------------------------------------------------------
# Definitions


def _pair(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(values, min_size=2, max_size=2).map(sorted)


def _money(text: str) -> int | float:
    amount = Decimal(text)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


INTEGER_VALUES = {
    "sessions_30d": st.integers(0, 12),
    "rating": st.integers(1, 5),
    "store_purchase_count": st.integers(0, 5),
    "store_acquisition_count": st.integers(0, 5),
}
CHOICE_VALUES = {
    "acquisition_type": st.sampled_from(["free", "paid", "trial", "promotional_code"]),
    "age_group": st.sampled_from(["18-24", "25-34", "35-49", "50+"]),
    "gender": st.sampled_from(["male", "female", "unknown"]),
    "market": variants(MARKETS),
    "churn_risk": st.sampled_from(["low", "medium", "high"]),
    "campaign_id": variants(CAMPAIGNS),
    "referrer_domain": variants(DOMAINS),
}


@st.composite
def conditions(draw, today: dt.date) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(ATTRIBUTES)))
    attribute = ATTRIBUTES[key]
    operator = draw(st.sampled_from(attribute.allowed_operators()))
    kind = attribute.type
    if kind == "date":
        dates = DAYS_AGO.map(lambda n: _ago(today, n).isoformat())
        if operator in {"in_last_days", "not_in_last_days"}:
            value = draw(DAY_COUNTS)
        elif operator == "between":
            value = draw(_pair(dates))
        else:
            value = draw(dates)
    elif kind == "boolean":
        value = draw(st.booleans())
    elif kind in {"integer", "decimal"}:
        scalar = (
            INTEGER_VALUES[key]
            if kind == "integer"
            else st.sampled_from(MONEY).map(_money)
        )
        value = draw(_pair(scalar) if operator == "between" else scalar)
    else:
        scalar = CHOICE_VALUES[key]
        if operator in {"in", "not_in"}:
            value = draw(st.lists(scalar, min_size=1, max_size=3, unique_by=_key))
        else:
            value = draw(scalar)
    return {"attribute": key, "operator": operator, "value": value}


def definitions(today: dt.date) -> st.SearchStrategy:
    block = st.lists(conditions(today), min_size=1, max_size=3)
    return st.lists(block, min_size=1, max_size=3).map(
        lambda blocks: {"version": 1, "any": [{"all": b} for b in blocks]}
    )


@st.composite
def scenarios(draw):
    today = draw(st.sampled_from(TODAYS))
    return today, draw(people(today)), draw(definitions(today))


# --------------------------------------------------------------------------
# The property

EMAILS = itertools.count()


def _insert(population, app, other_app) -> list[tuple[Customer, dict, dict | None]]:
    customers = Customer.objects.bulk_create(
        Customer(email=f"prop{next(EMAILS)}@mail.example", **person["customer"])
        for person in population
    )
    rows = []
    for customer, person in zip(customers, population, strict=True):
        for target, facts in ((app, person["app"]), (other_app, person["other"])):
            if facts is not None:
                rows.append(AppCustomer(app=target, customer=customer, **facts))
    AppCustomer.objects.bulk_create(rows)
    return [
        (customer, person["customer"], person["app"])
        for customer, person in zip(customers, population, strict=True)
    ]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_segment_queryset_selects_who_the_reference_evaluator_selects(
    app, other_app, scenario
):
    today, population, raw = scenario
    definition = definition_validate(raw)
    with transaction.atomic():
        inserted = _insert(population, app, other_app)
        members = set(
            segment_queryset(definition=definition, app=app, today=today).values_list(
                "customer_id", flat=True
            )
        )
        eligible = set(
            eligible_queryset(app=app, today=today).values_list(
                "customer_id", flat=True
            )
        )
        transaction.set_rollback(True)
    in_app = [(c, facts, app_facts) for c, facts, app_facts in inserted if app_facts]
    expected_eligible = {
        c.pk
        for c, facts, app_facts in in_app
        if ref.is_eligible(facts, app_facts, today)
    }
    expected = {
        c.pk
        for c, facts, app_facts in in_app
        if ref.is_member(definition, facts, app_facts, today)
    }
    assert eligible == expected_eligible
    assert members == expected, f"{today}: {definition_text(definition)}"


# --------------------------------------------------------------------------
# The evaluator itself, on the product page's own examples


def _facts(**overrides) -> tuple[dict, dict]:
    customer = {
        "birth_date": dt.date(1990, 6, 15),
        "gender": "female",
        "market": "US",
        "authenticated": True,
        "store_purchase_count": 0,
        "store_acquisition_count": 1,
        "store_spend": Decimal("0"),
    }
    app_customer = {
        "platform": "windows11",
        "acquired_on": dt.date(2026, 11, 1),
        "acquisition_type": "free",
        "campaign_id": "",
        "referrer_domain": "",
        "store_page_viewed_on": None,
        "last_active_on": None,
        "sessions_30d": 0,
        "rating": None,
        "churn_score": None,
        "app_spend": Decimal("0"),
    }
    for key, value in overrides.items():
        (customer if key in customer else app_customer)[key] = value
    return customer, app_customer


def _holds(condition: dict, today=TODAYS[0], **overrides) -> bool:
    definition = {"version": 1, "any": [{"all": [condition]}]}
    return ref.is_member(definition, *_facts(**overrides), today)


def test_reference_evaluator_reads_the_product_page_examples():
    today = TODAYS[0]
    old = {"acquired_on": today - dt.timedelta(days=120), "campaign_id": "x"}
    assert not _holds(
        {"attribute": "campaign_id", "operator": "is_not", "value": "y"}, **old
    )
    assert not _holds(
        {"attribute": "acquisition_date", "operator": "before", "value": "2999-01-01"},
        **old,
    )
    assert _holds(
        {"attribute": "campaign_id", "operator": "is", "value": "spring_sale"},
        campaign_id="  Spring_Sale ",
    )
    assert not _holds(
        {"attribute": "rating", "operator": "ne", "value": 3}, rating=None
    )
    assert _holds({"attribute": "has_rated", "operator": "is", "value": False})
    assert [ref.churn_risk(s) for s in (0.3299, 0.33, 0.6599, 0.66)] == [
        "low",
        "medium",
        "medium",
        "high",
    ]
    seventeen = {"birth_date": dt.date(2009, 11, 28)}
    assert _holds(
        {"attribute": "gender", "operator": "is", "value": "female"}, **seventeen
    )
    assert not _holds(
        {"attribute": "age_group", "operator": "is_not", "value": "18-24"}, **seventeen
    )
    assert not _holds(
        {"attribute": "gender", "operator": "is", "value": "female"},
        birth_date=dt.date(2009, 11, 29),
    )
    assert not _holds(
        {"attribute": "gender", "operator": "is", "value": "female"}, platform="xbox"
    )
    assert ref.age(dt.date(2000, 2, 29), dt.date(2025, 2, 28)) == 24
    assert ref.age(dt.date(2000, 2, 29), dt.date(2025, 3, 1)) == 25
