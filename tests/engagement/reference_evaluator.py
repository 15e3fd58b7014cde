"""A plain-Python reading of product.md §3, to check the SQL compiler against.

Written from the specification alone, deliberately without the ORM and
without looking at how ``engagement/rules/compile.py`` compiles: one customer at a
time, one attribute at a time, the way the product page words it.

``customer`` holds the store-wide facts (``birth_date``, ``gender``,
``market``, ``authenticated``, ``store_purchase_count``,
``store_acquisition_count``, ``store_spend``); ``app_customer`` the facts of
one app (``platform``, ``acquired_on``, ``acquisition_type``,
``campaign_id``, ``referrer_domain``, ``store_page_viewed_on``,
``last_active_on``, ``sessions_30d``, ``rating``, ``churn_score``,
``app_spend``). Missing facts are ``None`` (or an empty campaign ID /
referrer domain). Money is ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

MISSING = object()

WINDOW_DAYS = 90  # "Attributes marked 90 d only see data from the last 90 days"
MIN_AGE = 17
ELIGIBLE_PLATFORMS = {"windows10", "windows11"}


def age(birth_date: dt.date, today: dt.date) -> int:
    """Whole years lived on ``today``; the birthday itself counts.

    Someone born on 29 February turns a year older on 1 March in a common
    year (their birthday has not come yet on 28 February).
    """
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def age_group(years: int) -> str | None:
    if 18 <= years <= 24:
        return "18-24"
    if 25 <= years <= 34:
        return "25-34"
    if 35 <= years <= 49:
        return "35-49"
    if years >= 50:
        return "50+"
    return None  # "A 17-year-old is eligible but in no age group."


def churn_risk(score: float | None) -> str | None:
    """score < 0.33 low, < 0.66 medium, else high."""
    if score is None:
        return None
    if score < 0.33:
        return "low"
    if score < 0.66:
        return "medium"
    return "high"


def is_eligible(customer: dict, app_customer: dict, today: dt.date) -> bool:
    """Acquired on Windows 10/11, authenticated, age known and at least 17."""
    birth_date = customer["birth_date"]
    return (
        app_customer["platform"] in ELIGIBLE_PLATFORMS
        and customer["authenticated"]
        and birth_date is not None
        and age(birth_date, today) >= MIN_AGE
    )


def _in_window(day: dt.date | None, today: dt.date) -> bool:
    return day is not None and today - dt.timedelta(days=WINDOW_DAYS) <= day


def _text(value: str | None) -> Any:
    """Text compares case-insensitively after trimming; empty text is none."""
    if value is None or not value.strip():
        return MISSING
    return value.strip().lower()


def attribute_value(
    key: str, customer: dict, app_customer: dict, today: dt.date
) -> Any:
    """The value the segment rules see for ``key``, or ``MISSING``."""
    acquired_on = app_customer["acquired_on"]
    acquisition_visible = _in_window(acquired_on, today)
    if key == "acquisition_date":
        return acquired_on if acquisition_visible else MISSING
    if key == "acquisition_type":
        return app_customer["acquisition_type"]
    if key == "campaign_id":
        if not acquisition_visible:
            return MISSING
        return _text(app_customer["campaign_id"])
    if key == "referrer_domain":
        if not acquisition_visible:
            return MISSING
        return _text(app_customer["referrer_domain"])
    if key == "store_page_view_date":
        viewed_on = app_customer["store_page_viewed_on"]
        return viewed_on if _in_window(viewed_on, today) else MISSING
    if key == "last_active_date":
        last = app_customer["last_active_on"]
        return MISSING if last is None else last
    if key == "sessions_30d":
        return app_customer["sessions_30d"]
    if key == "age_group":
        birth_date = customer["birth_date"]
        group = None if birth_date is None else age_group(age(birth_date, today))
        return MISSING if group is None else group
    if key == "gender":
        return customer["gender"]
    if key == "market":
        return customer["market"].upper()
    if key == "has_rated":
        return app_customer["rating"] is not None
    if key == "rating":
        rating = app_customer["rating"]
        return MISSING if rating is None else rating
    if key == "churn_risk":
        risk = churn_risk(app_customer["churn_score"])
        return MISSING if risk is None else risk
    if key == "store_purchaser":
        return customer["store_purchase_count"] > 0
    if key == "store_purchase_count":
        return customer["store_purchase_count"]
    if key == "store_acquisition_count":
        return customer["store_acquisition_count"]
    if key == "store_spend":
        return Decimal(customer["store_spend"])
    if key == "app_spend":
        return Decimal(app_customer["app_spend"])
    raise KeyError(key)


TEXT_ATTRIBUTES = {"campaign_id", "referrer_domain"}
DATE_ATTRIBUTES = {"acquisition_date", "store_page_view_date", "last_active_date"}
MONEY_ATTRIBUTES = {"store_spend", "app_spend"}


def _operand(key: str, value: Any) -> Any:
    """A definition value in the form ``attribute_value`` returns."""
    if isinstance(value, list):
        return [_operand(key, v) for v in value]
    if key in TEXT_ATTRIBUTES:
        return value.strip().lower()
    if key in DATE_ATTRIBUTES and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if key in MONEY_ATTRIBUTES:
        return Decimal(str(value))
    if key == "market":
        return value.strip().upper()
    return value


def condition_holds(
    condition: dict, customer: dict, app_customer: dict, today: dt.date
) -> bool:
    key, operator = condition["attribute"], condition["operator"]
    actual = attribute_value(key, customer, app_customer, today)
    if actual is MISSING:
        # "false, for every operator including is_not and not_in"
        return False
    if operator in {"in_last_days", "not_in_last_days"}:
        start = today - dt.timedelta(days=condition["value"])
        if operator == "in_last_days":
            return start <= actual <= today
        return actual < start
    wanted = _operand(key, condition["value"])
    if operator in {"is", "eq"}:
        return actual == wanted
    if operator in {"is_not", "ne"}:
        return actual != wanted
    if operator == "in":
        return actual in wanted
    if operator == "not_in":
        return actual not in wanted
    if operator in {"gt", "after"}:
        return actual > wanted
    if operator == "gte":
        return actual >= wanted
    if operator in {"lt", "before"}:
        return actual < wanted
    if operator == "lte":
        return actual <= wanted
    if operator == "between":
        low, high = wanted
        return low <= actual <= high
    raise KeyError(operator)


def is_member(
    definition: dict, customer: dict, app_customer: dict, today: dt.date
) -> bool:
    """Eligible, and every condition of at least one OR statement holds."""
    if not is_eligible(customer, app_customer, today):
        return False
    return any(
        all(condition_holds(c, customer, app_customer, today) for c in block["all"])
        for block in definition["any"]
    )
