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
from tests.profiles import examples

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
# 90-day edges (drawn twice as often as any other day).
EDGE_DAYS = st.sampled_from(
    [-30, -1, 0, 1, 2, 29, 30, 31, 60, 89, 90, 91, 92, 120, 400]
)
DAYS_AGO = st.one_of(EDGE_DAYS, EDGE_DAYS, st.integers(-10, 200))
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


def _variant(word: str, case: int, left: str, right: str) -> str:
    cased = [word, word.lower(), word.upper(), word.title()][case]
    return left + cased + right


PADDING = st.sampled_from(["", "", " ", "  ", "\t", " \n"])


def variants(words: list[str]) -> st.SearchStrategy[str]:
    """A word of the vocabulary in some case, maybe padded with white space."""
    return st.builds(
        _variant, st.sampled_from(words), st.integers(0, 3), PADDING, PADDING
    )


def _key(text: str) -> str:
    return text.strip().lower()


# --------------------------------------------------------------------------
# Populations
#
# Strategies are built once, at import; dates are drawn as days before
# "today" and turned into dates once today is known (``_on``).

BIRTHS = st.one_of(
    st.none(),
    st.tuples(AGES, st.sampled_from([-1, 0, 0, 1])),  # (age, days to birthday)
    LEAP_BIRTHS,
)
CUSTOMER_FACTS = st.fixed_dictionaries(
    {
        "birth_date": BIRTHS,
        "gender": st.sampled_from(["male", "female", "unknown"]),
        "market": st.sampled_from(MARKETS),
        "authenticated": st.sampled_from([True, True, True, False]),
        "store_purchase_count": st.sampled_from([0, 0, 1, 2, 5]),
        "store_acquisition_count": st.sampled_from([0, 1, 3]),
        "store_spend": st.sampled_from(MONEY).map(Decimal),
    }
)
APP_CUSTOMER_FACTS = st.fixed_dictionaries(
    {
        "platform": st.sampled_from(
            ["windows10", "windows11", "windows11", "xbox", "other"]
        ),
        "acquired_on": DAYS_AGO,
        "acquisition_type": st.sampled_from(
            ["free", "paid", "trial", "promotional_code"]
        ),
        "campaign_id": st.sampled_from(["", "   "]) | variants(CAMPAIGNS),
        "referrer_domain": st.sampled_from(["", "   "]) | variants(DOMAINS),
        "store_page_viewed_on": st.none() | DAYS_AGO,
        "last_active_on": st.none() | DAYS_AGO,
        "sessions_30d": st.integers(0, 12),
        "rating": st.none() | st.integers(1, 5),
        "churn_score": st.none() | st.sampled_from(CHURN_SCORES),
        "app_spend": st.sampled_from(MONEY).map(Decimal),
    }
)
IN_APP = st.fixed_dictionaries(
    {"customer": CUSTOMER_FACTS, "app": APP_CUSTOMER_FACTS, "other": st.none()}
)
PERSON = st.one_of(
    IN_APP,
    IN_APP,
    IN_APP,
    st.fixed_dictionaries(  # only in the other app
        {"customer": CUSTOMER_FACTS, "app": st.none(), "other": APP_CUSTOMER_FACTS}
    ),
    st.fixed_dictionaries(  # in both, with different facts
        {
            "customer": CUSTOMER_FACTS,
            "app": APP_CUSTOMER_FACTS,
            "other": APP_CUSTOMER_FACTS,
        }
    ),
)
PEOPLE = st.lists(PERSON, min_size=15, max_size=40)
DATE_FIELDS = ("acquired_on", "store_page_viewed_on", "last_active_on")


def _on(person: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The drawn person with real dates, as of ``today``."""
    customer = dict(person["customer"])
    birth = customer["birth_date"]
    if isinstance(birth, tuple):
        customer["birth_date"] = _birthday(today, *birth)
    result = {"customer": customer}
    for where in ("app", "other"):
        facts = person[where]
        if facts is not None:
            facts = dict(facts)
            for name in DATE_FIELDS:
                if facts[name] is not None:
                    facts[name] = _ago(today, facts[name])
        result[where] = facts
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


DATE_ATTRIBUTE_FIELDS = {
    "acquisition_date": "acquired_on",
    "store_page_view_date": "store_page_viewed_on",
    "last_active_date": "last_active_on",
}
PAIRS = [
    (key, operator)
    for key, attribute in sorted(ATTRIBUTES.items())
    for operator in attribute.allowed_operators()
]


def _days_ago_of(population: list[dict[str, Any]], today: dt.date) -> dict:
    """Each date field of the app's facts, as the days before today it holds."""
    return {
        name: sorted(
            {
                (today - facts[name]).days
                for person in population
                if (facts := person["app"]) is not None and facts[name] is not None
            }
        )
        for name in DATE_FIELDS
    }


@st.composite
def conditions(draw, today: dt.date, anchors: dict) -> dict[str, Any]:
    """A filter whose values sit on or next to the population's own facts."""
    key, operator = draw(st.sampled_from(PAIRS))
    kind = ATTRIBUTES[key].type
    if kind == "date":
        near = st.sampled_from(anchors[DATE_ATTRIBUTE_FIELDS[key]] or [0]).flatmap(
            lambda n: st.sampled_from([n - 1, n, n, n + 1])
        )
        days_ago = st.one_of(near, near, DAYS_AGO)
        dates = days_ago.map(lambda n: _ago(today, n).isoformat())
        if operator in {"in_last_days", "not_in_last_days"}:
            counts = near.map(lambda n: min(max(n, 1), 3650))
            value = draw(st.one_of(counts, counts, DAY_COUNTS))
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


def definitions(today: dt.date, anchors: dict, *, size: int):
    block = st.lists(conditions(today, anchors), min_size=1, max_size=size)
    return st.lists(block, min_size=1, max_size=size).map(
        lambda blocks: {"version": 1, "any": [{"all": b} for b in blocks]}
    )


@st.composite
def scenarios(draw, *, size: int, count: int):
    """A day, a population, and ``count`` definitions of up to size × size."""
    today = draw(st.sampled_from(TODAYS))
    population = [_on(person, today) for person in draw(PEOPLE)]
    anchors = _days_ago_of(population, today)
    raw = draw(
        st.lists(definitions(today, anchors, size=size), min_size=count, max_size=count)
    )
    return today, population, raw


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


def _check(app, other_app, scenario) -> None:
    """Insert the population once, then compare every definition."""
    today, population, raws = scenario
    definitions = [definition_validate(raw) for raw in raws]
    with transaction.atomic():
        inserted = _insert(population, app, other_app)
        eligible = set(
            eligible_queryset(app=app, today=today).values_list(
                "customer_id", flat=True
            )
        )
        selected = [
            set(
                segment_queryset(
                    definition=definition, app=app, today=today
                ).values_list("customer_id", flat=True)
            )
            for definition in definitions
        ]
        transaction.set_rollback(True)
    in_app = [(c, facts, app_facts) for c, facts, app_facts in inserted if app_facts]
    assert eligible == {
        c.pk
        for c, facts, app_facts in in_app
        if ref.is_eligible(facts, app_facts, today)
    }
    for definition, members in zip(definitions, selected, strict=True):
        expected = {
            c.pk
            for c, facts, app_facts in in_app
            if ref.is_member(definition, facts, app_facts, today)
        }
        assert members == expected, f"{today}: {definition_text(definition)}"


PROPERTY = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(scenario=scenarios(size=3, count=3))
def test_segment_queryset_selects_who_the_reference_evaluator_selects(
    app, other_app, scenario
):
    _check(app, other_app, scenario)


@PROPERTY
@given(scenario=scenarios(size=1, count=15))
def test_single_filters_select_who_the_reference_evaluator_selects(
    app, other_app, scenario
):
    # One filter alone matches far more often than an AND of three, so the
    # edges of each operator are hit within a few dozen populations.
    _check(app, other_app, scenario)


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


@pytest.mark.parametrize(
    "birth_date, day, years",
    [
        (dt.date(2000, 11, 28), dt.date(2026, 11, 28), 26),
        (dt.date(2000, 11, 29), dt.date(2026, 11, 28), 25),
        (dt.date(2000, 2, 29), dt.date(2025, 2, 28), 24),
        (dt.date(2000, 2, 29), dt.date(2025, 3, 1), 25),
        (dt.date(2000, 2, 29), dt.date(2024, 2, 29), 24),
        (dt.date(2026, 11, 28), dt.date(2026, 11, 28), 0),
    ],
)
def test_reference_age_counts_whole_years(birth_date, day, years):
    assert ref.age(birth_date, day) == years
