"""Segment rules select exactly the app customers product.md §3 describes.

Table tests: every attribute with every operator it allows, the matching and
the non-matching customers, the edges of each comparison, missing values,
the 90-day window, age groups, churn buckets and eligibility. Run on SQLite
and on PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from engagement.rules import (
    AGE_GROUPS,
    ATTRIBUTES,
    WINDOW_DAYS,
    definition_validate,
    eligible_queryset,
    segment_queryset,
)
from tests.factories import AppCustomerFactory, AppFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)

CUSTOMER_FIELDS = {
    "birth_date",
    "gender",
    "market",
    "authenticated",
    "store_purchase_count",
    "store_acquisition_count",
    "store_spend",
}


def ago(days: int, today: dt.date = TODAY) -> dt.date:
    return today - dt.timedelta(days=days)


def iso(days: int, today: dt.date = TODAY) -> str:
    return ago(days, today).isoformat()


def born(years: int, *, days: int = 0, today: dt.date = TODAY) -> dt.date:
    """The birth date of someone who turns ``years`` on ``today + days``.

    ``days=0``: the birthday is today; ``days=1``: it is tomorrow, so they
    are still ``years - 1`` today.
    """
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # today is 29 February, that year has none
        birthday = today.replace(year=today.year - years, month=3, day=1)
    return birthday + dt.timedelta(days=days)


def make(app, **facts: Any):
    """One eligible app customer of ``app`` (unless facts say otherwise)."""
    customer_facts = {k: v for k, v in facts.items() if k in CUSTOMER_FIELDS}
    app_facts = {k: v for k, v in facts.items() if k not in CUSTOMER_FIELDS}
    app_facts.setdefault("acquired_on", ago(10))
    for money in ("store_spend", "app_spend"):
        for bag in (customer_facts, app_facts):
            if money in bag:
                bag[money] = Decimal(bag[money])
    customer = CustomerFactory(**customer_facts)
    return AppCustomerFactory(app=app, customer=customer, **app_facts)


def cond(attribute: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "value": value}


def definition(*blocks: list[dict]) -> dict[str, Any]:
    return definition_validate(
        {"version": 1, "any": [{"all": list(block)} for block in blocks]}
    )


def members(app, *blocks: list[dict], today: dt.date = TODAY) -> set[int]:
    queryset = segment_queryset(definition=definition(*blocks), app=app, today=today)
    return set(queryset.values_list("customer_id", flat=True))


# --------------------------------------------------------------------------
# Every attribute × every operator


@dataclass
class Case:
    condition: dict[str, Any]
    match: list[dict[str, Any]]
    miss: list[dict[str, Any]] = field(default_factory=list)
    today: dt.date = TODAY


def case(attribute, operator, value, *, match, miss=(), today=TODAY, note=""):
    label = f"{attribute}-{operator}-{value}" + (f"-{note}" if note else "")
    return pytest.param(
        Case(cond(attribute, operator, value), list(match), list(miss), today),
        id=label.replace(" ", "_"),
    )


def _integer_cases(attribute: str, column: str, low: int, high: int) -> list:
    """eq, ne, gt, gte, lt, lte, between around ``low < mid < high``."""
    mid = (low + high) // 2

    def v(n):
        return {column: n}

    return [
        case(attribute, "eq", mid, match=[v(mid)], miss=[v(mid - 1), v(mid + 1)]),
        case(attribute, "ne", mid, match=[v(mid - 1), v(mid + 1)], miss=[v(mid)]),
        case(attribute, "gt", mid, match=[v(mid + 1), v(high)], miss=[v(mid)]),
        case(attribute, "gte", mid, match=[v(mid), v(high)], miss=[v(mid - 1)]),
        case(attribute, "lt", mid, match=[v(mid - 1), v(low)], miss=[v(mid)]),
        case(attribute, "lte", mid, match=[v(mid), v(low)], miss=[v(mid + 1)]),
        case(
            attribute,
            "between",
            [mid - 1, mid + 1],
            match=[v(mid - 1), v(mid), v(mid + 1)],
            miss=[v(mid - 2), v(mid + 2)],
        ),
        case(attribute, "between", [mid, mid], match=[v(mid)], miss=[v(mid + 1)]),
    ]


def _money_cases(attribute: str) -> list:
    def v(amount):
        return {attribute: amount}

    return [
        case(attribute, "eq", 10, match=[v("10.00")], miss=[v("9.99"), v("10.01")]),
        case(attribute, "eq", 10.5, match=[v("10.50")], miss=[v("10.49")]),
        case(attribute, "ne", 10, match=[v("9.99"), v("0")], miss=[v("10.00")]),
        case(attribute, "gt", 10, match=[v("10.01")], miss=[v("10.00")]),
        case(
            attribute,
            "gt",
            1234.5,
            match=[v("1234.51"), v("9999999999.99")],
            miss=[v("1234.50")],
        ),
        case(attribute, "gte", 10.01, match=[v("10.01")], miss=[v("10.00")]),
        case(attribute, "lt", 10, match=[v("9.99"), v("0")], miss=[v("10.00")]),
        case(attribute, "lte", 9.99, match=[v("9.99")], miss=[v("10.00")]),
        case(
            attribute,
            "between",
            [9.99, 10.01],
            match=[v("9.99"), v("10.00"), v("10.01")],
            miss=[v("9.98"), v("10.02")],
        ),
        case(attribute, "lte", 0, match=[v("0")], miss=[v("0.01")]),
    ]


def _text_cases(attribute: str, word: str, stored: str, other: str) -> list:
    """``stored`` is ``word`` in other case with padding; ``other`` differs."""

    def v(text, days_ago=10):
        return {attribute: text, "acquired_on": ago(days_ago)}

    return [
        case(
            attribute,
            "is",
            word,
            match=[v(stored), v(word.upper(), 0), v(word, WINDOW_DAYS)],
            miss=[v(other), v(word + "x"), v(word, WINDOW_DAYS + 1), v("")],
        ),
        case(
            attribute,
            "is",
            f"  {word.upper()} ",
            match=[v(word)],
            miss=[v(other)],
            note="value-trimmed",
        ),
        case(
            attribute,
            "is_not",
            word,
            match=[v(other), v(other, WINDOW_DAYS)],
            miss=[v(stored), v(""), v("   "), v(other, WINDOW_DAYS + 1)],
        ),
        case(
            attribute,
            "in",
            [word, other],
            match=[v(stored), v(f" {other.upper()}")],
            miss=[v("zzz"), v(word, WINDOW_DAYS + 1)],
        ),
        case(
            attribute,
            "not_in",
            [other, "zzz"],
            match=[v(stored)],
            miss=[v(other.upper()), v(""), v(word, WINDOW_DAYS + 1)],
        ),
    ]


def _date_cases(attribute: str, column: str, windowed: bool) -> list:
    def v(days_ago):
        return {column: ago(days_ago)}

    # Past the window a windowed date is no date at all: those go to miss.
    old = [v(WINDOW_DAYS + 1), v(120)] if windowed else []
    very_old = [] if windowed else [v(WINDOW_DAYS + 1), v(400)]
    cases = [
        case(attribute, "before", iso(10), match=[v(11), v(90)], miss=[v(10), *old]),
        case(
            attribute,
            "before",
            "2999-12-31",
            match=[v(0), v(90), *very_old],
            miss=old,
            note="future",
        ),
        case(attribute, "after", iso(10), match=[v(9), v(0), v(-5)], miss=[v(10)]),
        case(
            attribute,
            "after",
            "1900-01-01",
            match=[v(0), v(WINDOW_DAYS), *very_old],
            miss=old,
            note="ancient",
        ),
        case(
            attribute,
            "between",
            [iso(20), iso(10)],
            match=[v(20), v(15), v(10)],
            miss=[v(21), v(9)],
        ),
        case(
            attribute,
            "between",
            [iso(200), iso(0)],
            match=[v(0), v(WINDOW_DAYS), *very_old[:1]],
            miss=old,
            note="wide",
        ),
        case(
            attribute,
            "in_last_days",
            30,
            match=[v(30), v(29), v(0)],
            miss=[v(31), v(-1)],
        ),
        case(
            attribute,
            "in_last_days",
            1,
            match=[v(1), v(0)],
            miss=[v(2), v(-1)],
        ),
        case(
            attribute,
            "in_last_days",
            3650,
            match=[v(0), v(WINDOW_DAYS), *very_old],
            miss=[*old, v(-1)],
        ),
        case(
            attribute,
            "not_in_last_days",
            30,
            match=[v(31), v(WINDOW_DAYS), *very_old],
            miss=[v(30), v(0), v(-1), *old],
        ),
    ]
    if windowed:
        cases.append(
            case(
                attribute,
                "not_in_last_days",
                WINDOW_DAYS,
                match=[],
                miss=[v(WINDOW_DAYS), v(WINDOW_DAYS + 1), v(120), v(0)],
                note="nothing-older-than-the-window",
            )
        )
    return cases


def _age(years: int, days: int = 0) -> dict[str, dt.date]:
    return {"birth_date": born(years, days=days)}


def _churn(score: float | None) -> dict[str, float | None]:
    return {"churn_score": score}


CASES = [
    *_date_cases("acquisition_date", "acquired_on", windowed=True),
    *_date_cases("store_page_view_date", "store_page_viewed_on", windowed=True),
    *_date_cases("last_active_date", "last_active_on", windowed=False),
    case(
        "acquisition_type",
        "is",
        "paid",
        match=[{"acquisition_type": "paid"}],
        miss=[{"acquisition_type": "free"}, {"acquisition_type": "trial"}],
    ),
    case(
        "acquisition_type",
        "is",
        "paid",
        match=[{"acquisition_type": "paid", "acquired_on": ago(400)}],
        note="no-window",
    ),
    case(
        "acquisition_type",
        "is_not",
        "paid",
        match=[{"acquisition_type": "free"}, {"acquisition_type": "promotional_code"}],
        miss=[{"acquisition_type": "paid"}],
    ),
    case(
        "acquisition_type",
        "in",
        ["trial", "promotional_code"],
        match=[{"acquisition_type": "trial"}, {"acquisition_type": "promotional_code"}],
        miss=[{"acquisition_type": "free"}],
    ),
    case(
        "acquisition_type",
        "not_in",
        ["free"],
        match=[{"acquisition_type": "paid"}],
        miss=[{"acquisition_type": "free"}],
    ),
    *_text_cases("campaign_id", "spring_sale", "  Spring_Sale ", "summer-2026"),
    *_text_cases("referrer_domain", "example.com", " Example.COM  ", "bing.com"),
    *_integer_cases("sessions_30d", "sessions_30d", 0, 10),
    case("sessions_30d", "eq", 0, match=[{"sessions_30d": 0}], note="zero"),
    *_integer_cases("rating", "rating", 1, 5),
    *_integer_cases("store_purchase_count", "store_purchase_count", 0, 10),
    *_integer_cases("store_acquisition_count", "store_acquisition_count", 0, 10),
    *_money_cases("store_spend"),
    *_money_cases("app_spend"),
    # Age groups: a birthday on today moves the person up.
    case(
        "age_group",
        "is",
        "18-24",
        match=[_age(18), _age(24), _age(25, days=1)],
        miss=[_age(25), _age(18, days=1), _age(17), _age(35)],
    ),
    case(
        "age_group",
        "is",
        "25-34",
        match=[_age(25), _age(34), _age(35, days=1)],
        miss=[_age(35), _age(25, days=1)],
    ),
    case(
        "age_group",
        "is",
        "35-49",
        match=[_age(35), _age(49), _age(50, days=1)],
        miss=[_age(50), _age(35, days=1)],
    ),
    case(
        "age_group",
        "is",
        "50+",
        match=[_age(50), _age(99)],
        miss=[_age(50, days=1)],
    ),
    case(
        "age_group",
        "is_not",
        "18-24",
        match=[_age(25), _age(60)],
        miss=[_age(24), _age(18), _age(17)],
    ),
    case(
        "age_group",
        "in",
        ["25-34", "50+"],
        match=[_age(25), _age(34), _age(50), _age(90)],
        miss=[_age(35), _age(49), _age(24), _age(17)],
    ),
    case(
        "age_group",
        "not_in",
        ["50+"],
        match=[_age(18), _age(49)],
        miss=[_age(50), _age(17)],
    ),
    case(
        "gender",
        "is",
        "male",
        match=[{"gender": "male"}],
        miss=[{"gender": "female"}, {"gender": "unknown"}],
    ),
    case(
        "gender",
        "is",
        "unknown",
        match=[{"gender": "unknown"}],
        miss=[{"gender": "female"}],
    ),
    case(
        "gender",
        "is_not",
        "male",
        match=[{"gender": "female"}, {"gender": "unknown"}],
        miss=[{"gender": "male"}],
    ),
    case(
        "gender",
        "in",
        ["male", "unknown"],
        match=[{"gender": "male"}, {"gender": "unknown"}],
        miss=[{"gender": "female"}],
    ),
    case(
        "gender",
        "not_in",
        ["female"],
        match=[{"gender": "male"}, {"gender": "unknown"}],
        miss=[{"gender": "female"}],
    ),
    case("market", "is", "us", match=[{"market": "US"}], miss=[{"market": "GB"}]),
    case(
        "market",
        "is_not",
        "US",
        match=[{"market": "GB"}, {"market": "FR"}],
        miss=[{"market": "US"}],
    ),
    case(
        "market",
        "in",
        ["gb", " FR "],
        match=[{"market": "GB"}, {"market": "FR"}],
        miss=[{"market": "US"}],
    ),
    case(
        "market",
        "not_in",
        ["US", "GB"],
        match=[{"market": "FR"}],
        miss=[{"market": "US"}, {"market": "GB"}],
    ),
    case(
        "has_rated",
        "is",
        True,
        match=[{"rating": 1}, {"rating": 5}],
        miss=[{"rating": None}],
    ),
    case(
        "has_rated",
        "is",
        False,
        match=[{"rating": None}],
        miss=[{"rating": 1}, {"rating": 5}],
    ),
    case(
        "churn_risk",
        "is",
        "low",
        match=[_churn(0), _churn(0.3299)],
        miss=[_churn(0.33), _churn(None)],
    ),
    case(
        "churn_risk",
        "is",
        "medium",
        match=[_churn(0.33), _churn(0.6599)],
        miss=[_churn(0.3299), _churn(0.66), _churn(None)],
    ),
    case(
        "churn_risk",
        "is",
        "high",
        match=[_churn(0.66), _churn(1)],
        miss=[_churn(0.6599), _churn(None)],
    ),
    case(
        "churn_risk",
        "is_not",
        "low",
        match=[_churn(0.33), _churn(1)],
        miss=[_churn(0.3299), _churn(0), _churn(None)],
    ),
    case(
        "churn_risk",
        "in",
        ["low", "high"],
        match=[_churn(0), _churn(0.66)],
        miss=[_churn(0.5), _churn(None)],
    ),
    case(
        "churn_risk",
        "not_in",
        ["medium"],
        match=[_churn(0), _churn(1)],
        miss=[_churn(0.33), _churn(0.6599), _churn(None)],
    ),
    case(
        "store_purchaser",
        "is",
        True,
        match=[{"store_purchase_count": 1}, {"store_purchase_count": 40}],
        miss=[{"store_purchase_count": 0}],
    ),
    case(
        "store_purchaser",
        "is",
        False,
        match=[{"store_purchase_count": 0}],
        miss=[{"store_purchase_count": 1}],
    ),
]


@pytest.mark.parametrize("table_case", CASES)
def test_condition_selects_exactly_the_matching_app_customers(app, table_case):
    expected = {make(app, **facts).customer_id for facts in table_case.match}
    for facts in table_case.miss:
        make(app, **facts)
    assert members(app, [table_case.condition], today=table_case.today) == expected


def test_the_table_covers_every_attribute_with_every_operator_it_allows():
    covered = {
        (p.values[0].condition["attribute"], p.values[0].condition["operator"])
        for p in CASES
    }
    allowed = {
        (key, operator)
        for key, attribute in ATTRIBUTES.items()
        for operator in attribute.allowed_operators()
    }
    assert allowed - covered == set()
    assert covered - allowed == set()
    assert all(p.values[0].match or p.values[0].miss for p in CASES)


# --------------------------------------------------------------------------
# A value the customer does not have never matches

# For each attribute: a customer who has the value (``present``, matched by
# every condition below) and customers who lack it.
MISSING = {
    "acquisition_date": (
        {"acquired_on": ago(10)},
        [{"acquired_on": ago(WINDOW_DAYS + 1)}, {"acquired_on": ago(120)}],
    ),
    "campaign_id": (
        {"campaign_id": "spring_sale"},
        [
            {"campaign_id": ""},
            {"campaign_id": "   "},
            {"campaign_id": "spring_sale", "acquired_on": ago(WINDOW_DAYS + 1)},
        ],
    ),
    "referrer_domain": (
        {"referrer_domain": "example.com"},
        [
            {"referrer_domain": ""},
            {"referrer_domain": "  "},
            {"referrer_domain": "example.com", "acquired_on": ago(120)},
        ],
    ),
    "store_page_view_date": (
        {"store_page_viewed_on": ago(10)},
        [
            {"store_page_viewed_on": None},
            {"store_page_viewed_on": ago(WINDOW_DAYS + 1)},
            {"store_page_viewed_on": ago(120)},
        ],
    ),
    "last_active_date": ({"last_active_on": ago(10)}, [{"last_active_on": None}]),
    "rating": ({"rating": 3}, [{"rating": None}]),
    "churn_risk": ({"churn_score": 0.5}, [{"churn_score": None}]),
    "age_group": (
        {"birth_date": born(30)},
        [{"birth_date": born(17)}, {"birth_date": born(18, days=1)}],
    ),
}

# Conditions that the ``present`` customer above satisfies, for every
# operator of the attribute: the negative ones included.
_DATE_CONDITIONS = {
    "before": iso(-1),
    "after": iso(WINDOW_DAYS),
    "between": [iso(WINDOW_DAYS), iso(0)],
    "in_last_days": 3650,
    "not_in_last_days": 1,
}
BROAD = {
    "acquisition_date": _DATE_CONDITIONS,
    "store_page_view_date": _DATE_CONDITIONS,
    "last_active_date": {**_DATE_CONDITIONS, "after": "1900-01-01"},
    "campaign_id": {
        "is": "spring_sale",
        "is_not": "summer",
        "in": ["spring_sale"],
        "not_in": ["summer"],
    },
    "referrer_domain": {
        "is": "example.com",
        "is_not": "bing.com",
        "in": ["example.com"],
        "not_in": ["bing.com"],
    },
    "rating": {
        "eq": 3,
        "ne": 1,
        "gt": 1,
        "gte": 1,
        "lt": 5,
        "lte": 5,
        "between": [1, 5],
    },
    "churn_risk": {
        "is": "medium",
        "is_not": "low",
        "in": ["medium", "high"],
        "not_in": ["low"],
    },
    "age_group": {
        "is": "25-34",
        "is_not": "18-24",
        "in": list(AGE_GROUPS),
        "not_in": ["18-24"],
    },
}
MISSING_CASES = [
    pytest.param(key, operator, value, id=f"{key}-{operator}")
    for key, by_operator in BROAD.items()
    for operator, value in by_operator.items()
]


@pytest.mark.parametrize("key, operator, value", MISSING_CASES)
def test_a_missing_value_never_matches_whatever_the_operator(app, key, operator, value):
    present, lacking = MISSING[key]
    expected = {make(app, **present).customer_id}
    for facts in lacking:
        make(app, **facts)
    assert members(app, [cond(key, operator, value)]) == expected


def test_every_attribute_that_can_be_missing_is_checked_with_every_operator():
    for key in MISSING:
        assert set(BROAD[key]) == set(ATTRIBUTES[key].allowed_operators())


def test_an_acquisition_120_days_ago_has_no_campaign_referrer_or_acquisition_date(
    app,
):
    make(
        app,
        acquired_on=ago(120),
        campaign_id="spring_sale",
        referrer_domain="example.com",
    )
    recent = make(
        app,
        acquired_on=ago(WINDOW_DAYS),
        campaign_id="spring_sale",
        referrer_domain="example.com",
    )
    for condition in (
        cond("campaign_id", "is_not", "other"),
        cond("campaign_id", "not_in", ["other"]),
        cond("referrer_domain", "is_not", "other.example"),
        cond("acquisition_date", "before", "2999-12-31"),
        cond("acquisition_date", "not_in_last_days", 1),
    ):
        assert members(app, [condition]) == {recent.customer_id}, condition


def test_a_store_page_view_120_days_ago_is_no_store_page_view_date(app):
    make(app, store_page_viewed_on=ago(120))
    assert members(app, [cond("store_page_view_date", "after", "1900-01-01")]) == set()
    assert members(app, [cond("store_page_view_date", "in_last_days", 3650)]) == set()


def test_unknown_gender_is_a_value_that_negative_operators_match(app):
    unknown = make(app, gender="unknown")
    assert members(app, [cond("gender", "is_not", "female")]) == {unknown.customer_id}


def test_stored_text_padded_with_tabs_and_newlines_is_trimmed(app):
    padded = make(app, campaign_id="\tSpring_Sale\n")
    assert members(app, [cond("campaign_id", "is", "spring_sale")]) == {
        padded.customer_id
    }


# --------------------------------------------------------------------------
# Age groups move with the birth date


@pytest.mark.parametrize(
    "birth_date, today, group",
    [
        # 29 February birthdays count from 1 March in common years.
        (dt.date(2000, 2, 29), dt.date(2025, 2, 28), "18-24"),
        (dt.date(2000, 2, 29), dt.date(2025, 3, 1), "25-34"),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), None),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), "18-24"),
        (dt.date(2000, 2, 29), dt.date(2024, 2, 29), "18-24"),
        # On a leap day, a 28 February birthday has passed, 1 March has not.
        (dt.date(2003, 2, 28), dt.date(2028, 2, 29), "25-34"),
        (dt.date(2003, 3, 1), dt.date(2028, 2, 29), "18-24"),
        (dt.date(1978, 2, 28), dt.date(2028, 2, 29), "50+"),
        (dt.date(1978, 3, 1), dt.date(2028, 2, 29), "35-49"),
    ],
)
def test_age_group_follows_the_birth_date_on_the_day_of_computation(
    app, birth_date, today, group
):
    customer_id = make(app, birth_date=birth_date, acquired_on=today).customer_id
    for value in AGE_GROUPS:
        expected = {customer_id} if value == group else set()
        assert (
            members(app, [cond("age_group", "is", value)], today=today) == expected
        ), value


def test_people_move_between_age_groups_as_they_age(app):
    customer_id = make(app, birth_date=dt.date(2001, 11, 28)).customer_id
    condition = [cond("age_group", "is", "18-24")]
    assert members(app, condition, today=dt.date(2026, 11, 27)) == {customer_id}
    assert members(app, condition, today=dt.date(2026, 11, 28)) == set()


def test_a_17_year_old_is_eligible_but_in_no_age_group(app):
    seventeen = make(app, birth_date=born(17))
    assert set(
        eligible_queryset(app=app, today=TODAY).values_list("customer_id", flat=True)
    ) == {seventeen.customer_id}
    for value in AGE_GROUPS:
        assert members(app, [cond("age_group", "is", value)]) == set()
    assert members(app, [cond("age_group", "is_not", "18-24")]) == set()
    assert members(app, [cond("age_group", "not_in", ["50+"])]) == set()
    assert members(app, [cond("gender", "is", "female")]) == {seventeen.customer_id}


# --------------------------------------------------------------------------
# Eligibility


def _eligible(app, today=TODAY) -> set[int]:
    return set(
        eligible_queryset(app=app, today=today).values_list("customer_id", flat=True)
    )


def test_only_authenticated_windows_customers_aged_17_or_more_are_eligible(
    app, other_app
):
    included = {
        make(app, platform="windows10").customer_id,
        make(app, platform="windows11").customer_id,
        make(app, birth_date=born(17)).customer_id,
        make(app, birth_date=born(90)).customer_id,
    }
    make(app, platform="xbox")
    make(app, platform="other")
    make(app, authenticated=False)
    make(app, birth_date=None)
    make(app, birth_date=born(17, days=1))  # 16 until tomorrow
    make(app, birth_date=born(16))
    make(app, birth_date=ago(-30))  # born in the future: bad data, not eligible
    make(other_app)
    assert _eligible(app) == included


def test_ineligible_customers_are_never_members_whatever_the_conditions(app):
    member = make(app, gender="female")
    for facts in (
        {"platform": "xbox"},
        {"platform": "other"},
        {"authenticated": False},
        {"birth_date": None},
        {"birth_date": born(17, days=1)},
    ):
        make(app, gender="female", **facts)
    everyone = [cond("gender", "in", ["male", "female", "unknown"])]
    assert members(app, everyone) == {member.customer_id}
    assert members(app, [cond("has_rated", "is", False)]) == {member.customer_id}


def test_another_apps_customers_never_appear(app, other_app):
    mine = make(app, rating=5)
    make(other_app, rating=5)
    # The same person in both apps appears once, with this app's facts.
    shared = CustomerFactory()
    AppCustomerFactory(app=app, customer=shared, rating=1, acquired_on=ago(1))
    AppCustomerFactory(app=other_app, customer=shared, rating=5, acquired_on=ago(1))
    assert members(app, [cond("rating", "eq", 5)]) == {mine.customer_id}
    assert members(app.pk, [cond("rating", "eq", 1)]) == {shared.pk}
    assert _eligible(other_app) == {
        ac.customer_id for ac in other_app.app_customers.all()
    }


def test_a_third_app_with_no_customers_has_no_members(app):
    make(app)
    empty = AppFactory(partner=app.partner)
    assert members(empty, [cond("gender", "is", "female")]) == set()
    assert _eligible(empty) == set()


# --------------------------------------------------------------------------
# OR of blocks, AND within a block


def test_conditions_of_a_block_must_all_hold(app):
    both = make(app, gender="male", store_spend="20")
    make(app, gender="male", store_spend="5")
    make(app, gender="female", store_spend="20")
    block = [cond("gender", "is", "male"), cond("store_spend", "gt", 10)]
    assert members(app, block) == {both.customer_id}


def test_any_block_may_hold(app):
    young_male = make(app, birth_date=born(20), gender="male")
    spender = make(app, store_spend="10.01", gender="female")
    make(app, birth_date=born(20), gender="female", store_spend="10")
    make(app, birth_date=born(40), gender="male")
    assert members(
        app,
        [cond("age_group", "is", "18-24"), cond("gender", "is", "male")],
        [cond("store_spend", "gt", 10)],
    ) == {young_male.customer_id, spender.customer_id}


def test_a_customer_matching_several_blocks_is_counted_once(app):
    make(app, rating=5, gender="male")
    queryset = segment_queryset(
        definition=definition(
            [cond("rating", "eq", 5)], [cond("gender", "is", "male")]
        ),
        app=app,
        today=TODAY,
    )
    assert queryset.count() == 1


def test_twenty_blocks_of_twenty_conditions_compile_and_run(app):
    member = make(app, rating=5, sessions_30d=7)
    block = [cond("rating", "gte", n % 5 + 1) for n in range(19)]
    block.append(cond("sessions_30d", "between", [0, 100]))
    blocks = [block] * 19 + [[cond("gender", "is", "male")]]
    assert members(app, *blocks) == {member.customer_id}
