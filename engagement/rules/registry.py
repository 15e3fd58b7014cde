"""What a condition can test: attributes, operators and categories, as data.

Each attribute names its category (a key of ``CATEGORIES``), label, value
type, allowed operators, value choices, 90-day window and the stored value
it reads (a field path, a bucket of ranges or a boolean ``Q``). Validation,
the definition text and the compiler read these tables; nothing branches on
an attribute's key.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django_countries import countries

from customers.models import MAX_INTEGER, MAX_MONEY, AppCustomer, Customer
from customers.values import years_before

# Facts dated earlier than this many days before the day of computation are
# invisible to attributes with a ``window_field``.
WINDOW_DAYS = 90
DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    re.IGNORECASE | re.ASCII,
)


class ValueType(StrEnum):
    CHOICE = "choice"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"


class Arity(StrEnum):
    ONE = "one"
    LIST = "list"
    PAIR = "pair"
    DAYS = "days"


@dataclass(frozen=True)
class Operator:
    key: str
    label: Promise  # shown in the operator select
    symbol: str  # used in the definition text
    arity: Arity


OPERATORS: dict[str, Operator] = {
    op.key: op
    for op in (
        Operator("is", gettext_lazy("is"), "==", Arity.ONE),
        Operator("is_not", gettext_lazy("is not"), "!=", Arity.ONE),
        Operator("in", gettext_lazy("is any of"), "in", Arity.LIST),
        Operator("not_in", gettext_lazy("is none of"), "not in", Arity.LIST),
        Operator("eq", gettext_lazy("equals"), "==", Arity.ONE),
        Operator("ne", gettext_lazy("does not equal"), "!=", Arity.ONE),
        Operator("gt", gettext_lazy("greater than"), ">", Arity.ONE),
        Operator("gte", gettext_lazy("at least"), ">=", Arity.ONE),
        Operator("lt", gettext_lazy("less than"), "<", Arity.ONE),
        Operator("lte", gettext_lazy("at most"), "<=", Arity.ONE),
        Operator("between", gettext_lazy("between"), "between", Arity.PAIR),
        Operator("before", gettext_lazy("before"), "before", Arity.ONE),
        Operator("after", gettext_lazy("after"), "after", Arity.ONE),
        Operator(
            "in_last_days", gettext_lazy("in the last … days"), "in last", Arity.DAYS
        ),
        Operator(
            "not_in_last_days",
            gettext_lazy("not in the last … days"),
            "not in last",
            Arity.DAYS,
        ),
    )
}

OPERATORS_BY_TYPE: dict[ValueType, tuple[str, ...]] = {
    ValueType.CHOICE: ("is", "is_not", "in", "not_in"),
    ValueType.TEXT: ("is", "is_not", "in", "not_in"),
    ValueType.INTEGER: ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
    ValueType.DECIMAL: ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
    ValueType.DATE: ("before", "after", "between", "in_last_days", "not_in_last_days"),
    ValueType.BOOLEAN: ("is",),
}


def _age_between(today: dt.date, low: int, high: int | None) -> Q:
    """Customers whose age on ``today`` is in [low, high] (no upper bound if None)."""
    q = Q(customer__birth_date__lte=years_before(today, low))
    if high is not None:
        q &= Q(customer__birth_date__gt=years_before(today, high + 1))
    return q


# Bucketed choices: each value is a range over a stored column. ``is_not`` and
# ``not_in`` select the other buckets, so a missing value (no birth date, no
# churn score, a 17-year-old) never matches either way.
AGE_GROUPS: dict[str, tuple[Promise, int, int | None]] = {
    "18-24": (gettext_lazy("18 to 24"), 18, 24),
    "25-34": (gettext_lazy("25 to 34"), 25, 34),
    "35-49": (gettext_lazy("35 to 49"), 35, 49),
    "50+": (gettext_lazy("50 or older"), 50, None),
}
CHURN_LOW_BELOW = 0.33
CHURN_MEDIUM_BELOW = 0.66
CHURN_RISKS: dict[str, tuple[Promise, float | None, float | None]] = {
    "low": (pgettext_lazy("churn risk", "Low"), None, CHURN_LOW_BELOW),
    "medium": (
        pgettext_lazy("churn risk", "Medium"),
        CHURN_LOW_BELOW,
        CHURN_MEDIUM_BELOW,
    ),
    "high": (pgettext_lazy("churn risk", "High"), CHURN_MEDIUM_BELOW, None),
}


def _age_bucket(value: str, today: dt.date) -> Q:
    _label, low, high = AGE_GROUPS[value]
    return _age_between(today, low, high)


def _churn_bucket(value: str, today: dt.date) -> Q:
    _label, low, below = CHURN_RISKS[value]
    q = Q(churn_score__isnull=False)
    if low is not None:
        q &= Q(churn_score__gte=low)
    if below is not None:
        q &= Q(churn_score__lt=below)
    return q


@dataclass(frozen=True)
class Attribute:
    """One attribute a condition can test.

    ``category`` is a key of ``CATEGORIES``. ``field`` is the path from
    AppCustomer to the stored value. Choice attributes list their values in
    ``choices`` (value → label); bucketed ones (age group, churn risk)
    compile each value with ``bucket``. Booleans compile ``true`` with
    ``true_q``. ``window_field`` names the date that must be within the last
    ``WINDOW_DAYS`` days for the value to exist. ``normalise`` rewrites a
    typed choice before it is checked (market codes are upper-cased).
    """

    key: str
    category: str
    label: Promise
    type: ValueType
    field: str = ""
    choices: Callable[[], dict[str, Any]] | None = None
    bucket: Callable[[str, dt.date], Q] | None = None
    true_q: Q | None = None
    window_field: str = ""
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    max_length: int = 0
    pattern: re.Pattern[str] = re.compile(".*", re.DOTALL)
    pattern_rule: Promise | str = ""
    help_text: Promise | str = ""
    operators: tuple[str, ...] = ()
    normalise: Callable[[str], str] | None = None

    def allowed_operators(self) -> tuple[str, ...]:
        return self.operators or OPERATORS_BY_TYPE[self.type]


def _model_choices(choices: Sequence[tuple[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: dict(choices)


def _bucket_choices(buckets: dict[str, tuple]) -> Callable[[], dict[str, Any]]:
    return lambda: {value: spec[0] for value, spec in buckets.items()}


@functools.lru_cache(maxsize=8)  # one per language the dashboard speaks
def _countries_in(language: str | None) -> Mapping[str, str]:
    return MappingProxyType(dict(countries))  # names in ``language``, sorted


def _market_choices() -> Mapping[str, str]:
    """Country codes and names in the active language, built once per
    language: a definition of 20 × 20 lists of 100 countries looks codes up
    40,000 times (building the dict each time cost 13 s)."""
    return _countries_in(get_language())


def _country_code(value: str) -> str:
    return value.strip().upper()


CATEGORIES: dict[str, Promise] = {
    "acquisitions": gettext_lazy("Acquisitions"),
    "acquisition_source": gettext_lazy("Acquisition source"),
    "usage": gettext_lazy("Usage"),
    "demographic": gettext_lazy("Demographic"),
    "rating": gettext_lazy("Rating"),
    "churn_prediction": gettext_lazy("Churn prediction"),
    "store_purchases": gettext_lazy("Store purchases"),
    "store_acquisitions": gettext_lazy("Store acquisitions"),
    "store_spend": gettext_lazy("Store spend"),
}

ATTRIBUTES: dict[str, Attribute] = {
    a.key: a
    for a in (
        Attribute(
            "acquisition_date",
            "acquisitions",
            gettext_lazy("App acquisition date"),
            ValueType.DATE,
            field="acquired_on",
            window_field="acquired_on",
        ),
        Attribute(
            "acquisition_type",
            "acquisitions",
            gettext_lazy("Acquisition type"),
            ValueType.CHOICE,
            field="acquisition_type",
            choices=_model_choices(AppCustomer.AcquisitionType.choices),
        ),
        Attribute(
            "campaign_id",
            "acquisition_source",
            gettext_lazy("Campaign ID"),
            ValueType.TEXT,
            field="campaign_id",
            window_field="acquired_on",
            max_length=AppCustomer._meta.get_field("campaign_id").max_length,
            # ASCII only: SQLite's LOWER() folds ASCII letters alone, so the
            # case-insensitive match agrees on both databases.
            pattern=re.compile(r"[\x20-\x7e]+"),
            pattern_rule=gettext_lazy("use letters, digits and ASCII punctuation"),
        ),
        Attribute(
            "referrer_domain",
            "acquisition_source",
            gettext_lazy("Referrer URI domain"),
            ValueType.TEXT,
            field="referrer_domain",
            window_field="acquired_on",
            max_length=AppCustomer._meta.get_field("referrer_domain").max_length,
            pattern=DOMAIN,
            pattern_rule=gettext_lazy("write a domain name such as example.com"),
            help_text=gettext_lazy("A domain name, such as example.com."),
        ),
        Attribute(
            "store_page_view_date",
            "acquisition_source",
            gettext_lazy("Store page view date"),
            ValueType.DATE,
            field="store_page_viewed_on",
            window_field="store_page_viewed_on",
        ),
        Attribute(
            "last_active_date",
            "usage",
            gettext_lazy("Last used"),
            ValueType.DATE,
            field="last_active_on",
        ),
        Attribute(
            "sessions_30d",
            "usage",
            gettext_lazy("Sessions in the last 30 days"),
            ValueType.INTEGER,
            field="sessions_30d",
            minimum=0,
            maximum=MAX_INTEGER,
        ),
        Attribute(
            "age_group",
            "demographic",
            gettext_lazy("Age group"),
            ValueType.CHOICE,
            choices=_bucket_choices(AGE_GROUPS),
            bucket=_age_bucket,
        ),
        Attribute(
            "gender",
            "demographic",
            gettext_lazy("Gender"),
            ValueType.CHOICE,
            field="customer__gender",
            choices=_model_choices(Customer.Gender.choices),
        ),
        Attribute(
            "market",
            "demographic",
            gettext_lazy("Market"),
            ValueType.CHOICE,
            field="customer__market",
            choices=_market_choices,
            normalise=_country_code,
        ),
        Attribute(
            "has_rated",
            "rating",
            gettext_lazy("Has rated the app"),
            ValueType.BOOLEAN,
            true_q=Q(rating__isnull=False),
        ),
        Attribute(
            "rating",
            "rating",
            gettext_lazy("Rating"),
            ValueType.INTEGER,
            field="rating",
            minimum=1,
            maximum=5,
        ),
        Attribute(
            "churn_risk",
            "churn_prediction",
            gettext_lazy("Churn risk"),
            ValueType.CHOICE,
            choices=_bucket_choices(CHURN_RISKS),
            bucket=_churn_bucket,
        ),
        Attribute(
            "store_purchaser",
            "store_purchases",
            gettext_lazy("Has purchased in the Store"),
            ValueType.BOOLEAN,
            true_q=Q(customer__store_purchase_count__gt=0),
        ),
        Attribute(
            "store_purchase_count",
            "store_purchases",
            gettext_lazy("Store purchases"),
            ValueType.INTEGER,
            field="customer__store_purchase_count",
            minimum=0,
            maximum=MAX_INTEGER,
        ),
        Attribute(
            "store_acquisition_count",
            "store_acquisitions",
            gettext_lazy("Store acquisitions"),
            ValueType.INTEGER,
            field="customer__store_acquisition_count",
            minimum=0,
            maximum=MAX_INTEGER,
        ),
        Attribute(
            "store_spend",
            "store_spend",
            gettext_lazy("Total Store spend (USD)"),
            ValueType.DECIMAL,
            field="customer__store_spend",
            minimum=Decimal("0"),
            maximum=MAX_MONEY,
        ),
        Attribute(
            "app_spend",
            "store_spend",
            gettext_lazy("Total spend in this app (USD)"),
            ValueType.DECIMAL,
            field="app_spend",
            minimum=Decimal("0"),
            maximum=MAX_MONEY,
        ),
    )
}


def attributes_by_category() -> dict[str, list[Attribute]]:
    """Attributes grouped by category key, in the order of ``CATEGORIES``."""
    grouped: dict[str, list[Attribute]] = {key: [] for key in CATEGORIES}
    for attribute in ATTRIBUTES.values():
        grouped[attribute.category].append(attribute)
    return grouped


def attribute_category_key(attribute: Attribute) -> str:
    """The key of the category ``attribute`` belongs to."""
    return attribute.category
