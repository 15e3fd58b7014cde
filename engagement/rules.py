"""Segment rules: the one place that understands a segment definition.

A definition is JSON, version 1: an OR of blocks ("OR statements"), each an
AND of conditions ("filters")::

    {"version": 1,
     "any": [
       {"all": [{"attribute": "age_group", "operator": "is", "value": "18-24"},
                {"attribute": "gender", "operator": "is", "value": "male"}]},
       {"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}]}

Values by operator: one value (``is``, ``eq``, ``before``…), a list of 1–100
values (``in``, ``not_in``), a two-item list (``between``, inclusive) or a
number of days 1–3650 (``in_last_days``, ``not_in_last_days``).

This module validates a definition (``definition_validate``), renders the
segment definition text (``definition_text``) and compiles it with an app and
an evaluation date into a queryset of matching, eligible app customers
(``segment_queryset``). Attributes and operators are registries: forms,
the live estimate and the recompute all read them, nothing else branches on
attribute keys. Semantics are product.md §3:

- eligibility: acquired on Windows 10/11, authenticated account, age known and
  at least 17 on the evaluation date;
- a value the customer does not have never matches, ``is_not``/``not_in``/
  ``ne`` included;
- attributes with a 90-day window only see facts dated today − 90 or later;
- age groups follow the birth date on the evaluation date.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import reduce
from operator import and_, or_
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, CharField, Func, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, In
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries

from customers.models import App, AppCustomer, Customer
from customers.numbers import NumberError, json_loads, number_check

VERSION = 1
MAX_BLOCKS = 20
MAX_CONDITIONS = 20
MAX_LIST_VALUES = 100
MAX_DAYS = 3650
WINDOW_DAYS = 90
MIN_AGE = 17
# The largest valid definition by fields (20 × 20 lists of 100 markets) is
# 263 KB of plain JSON and 768 KB as the segment page exports it (indented);
# a definition file may hold 1 MB, so every export imports back.
MAX_JSON_BYTES = 1024 * 1024
MAX_INT = 2_147_483_647  # PostgreSQL integer
MAX_MONEY = Decimal("10000000000")  # the model's 12 digits with 2 decimals
CENT = Decimal("0.01")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
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


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February becomes the 28th.

    Someone born on ``years_before(today, n)`` or earlier is at least ``n``
    years old today (a 29 February birthday counts from 1 March in common
    years, as ``age_on`` does).
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    return (
        day.year
        - birth_date.year
        - ((day.month, day.day) < (birth_date.month, birth_date.day))
    )


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

    ``field`` is the path from AppCustomer to the stored value. Choice
    attributes list their values in ``choices`` (value → label); bucketed
    ones (age group, churn risk) compile each value with ``bucket``.
    Booleans compile ``true`` with ``true_q``. ``window_field`` names the
    date that must be within the last 90 days for the value to exist.
    """

    key: str
    category: Promise
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
            CATEGORIES["acquisitions"],
            gettext_lazy("App acquisition date"),
            ValueType.DATE,
            field="acquired_on",
            window_field="acquired_on",
        ),
        Attribute(
            "acquisition_type",
            CATEGORIES["acquisitions"],
            gettext_lazy("Acquisition type"),
            ValueType.CHOICE,
            field="acquisition_type",
            choices=_model_choices(AppCustomer.AcquisitionType.choices),
        ),
        Attribute(
            "campaign_id",
            CATEGORIES["acquisition_source"],
            gettext_lazy("Campaign ID"),
            ValueType.TEXT,
            field="campaign_id",
            window_field="acquired_on",
            max_length=100,
            # ASCII only: SQLite's LOWER() folds ASCII letters alone, so the
            # case-insensitive match agrees on both databases.
            pattern=re.compile(r"[\x20-\x7e]+"),
            pattern_rule=gettext_lazy("use letters, digits and ASCII punctuation"),
        ),
        Attribute(
            "referrer_domain",
            CATEGORIES["acquisition_source"],
            gettext_lazy("Referrer URI domain"),
            ValueType.TEXT,
            field="referrer_domain",
            window_field="acquired_on",
            max_length=253,
            pattern=DOMAIN,
            pattern_rule=gettext_lazy("write a domain name such as example.com"),
            help_text=gettext_lazy("A domain name, such as example.com."),
        ),
        Attribute(
            "store_page_view_date",
            CATEGORIES["acquisition_source"],
            gettext_lazy("Store page view date"),
            ValueType.DATE,
            field="store_page_viewed_on",
            window_field="store_page_viewed_on",
        ),
        Attribute(
            "last_active_date",
            CATEGORIES["usage"],
            gettext_lazy("Last used"),
            ValueType.DATE,
            field="last_active_on",
        ),
        Attribute(
            "sessions_30d",
            CATEGORIES["usage"],
            gettext_lazy("Sessions in the last 30 days"),
            ValueType.INTEGER,
            field="sessions_30d",
            minimum=0,
            maximum=MAX_INT,
        ),
        Attribute(
            "age_group",
            CATEGORIES["demographic"],
            gettext_lazy("Age group"),
            ValueType.CHOICE,
            choices=_bucket_choices(AGE_GROUPS),
            bucket=_age_bucket,
        ),
        Attribute(
            "gender",
            CATEGORIES["demographic"],
            gettext_lazy("Gender"),
            ValueType.CHOICE,
            field="customer__gender",
            choices=_model_choices(Customer.Gender.choices),
        ),
        Attribute(
            "market",
            CATEGORIES["demographic"],
            gettext_lazy("Market"),
            ValueType.CHOICE,
            field="customer__market",
            choices=_market_choices,
        ),
        Attribute(
            "has_rated",
            CATEGORIES["rating"],
            gettext_lazy("Has rated the app"),
            ValueType.BOOLEAN,
            true_q=Q(rating__isnull=False),
        ),
        Attribute(
            "rating",
            CATEGORIES["rating"],
            gettext_lazy("Rating"),
            ValueType.INTEGER,
            field="rating",
            minimum=1,
            maximum=5,
        ),
        Attribute(
            "churn_risk",
            CATEGORIES["churn_prediction"],
            gettext_lazy("Churn risk"),
            ValueType.CHOICE,
            choices=_bucket_choices(CHURN_RISKS),
            bucket=_churn_bucket,
        ),
        Attribute(
            "store_purchaser",
            CATEGORIES["store_purchases"],
            gettext_lazy("Has purchased in the Store"),
            ValueType.BOOLEAN,
            true_q=Q(customer__store_purchase_count__gt=0),
        ),
        Attribute(
            "store_purchase_count",
            CATEGORIES["store_purchases"],
            gettext_lazy("Store purchases"),
            ValueType.INTEGER,
            field="customer__store_purchase_count",
            minimum=0,
            maximum=MAX_INT,
        ),
        Attribute(
            "store_acquisition_count",
            CATEGORIES["store_acquisitions"],
            gettext_lazy("Store acquisitions"),
            ValueType.INTEGER,
            field="customer__store_acquisition_count",
            minimum=0,
            maximum=MAX_INT,
        ),
        Attribute(
            "store_spend",
            CATEGORIES["store_spend"],
            gettext_lazy("Total Store spend (USD)"),
            ValueType.DECIMAL,
            field="customer__store_spend",
            minimum=Decimal("0"),
            maximum=MAX_MONEY,
        ),
        Attribute(
            "app_spend",
            CATEGORIES["store_spend"],
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
        for key, label in CATEGORIES.items():
            if label is attribute.category:
                grouped[key].append(attribute)
    return grouped


def attribute_category_key(attribute: Attribute) -> str:
    return next(k for k, label in CATEGORIES.items() if label is attribute.category)


# --------------------------------------------------------------------------
# Validation


class _Problem(Exception):
    """A problem with one condition, before it is located in the definition."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _exact(value: Any) -> Decimal | None:
    """A JSON or Python number as an exact ``Decimal``, or None if it is not
    a finite number of bounded size (checked before any conversion)."""
    try:
        number = number_check(value)
    except NumberError:
        return None
    # Bounded by number_check: str() and Decimal() cost microseconds here.
    return number if isinstance(number, Decimal) else Decimal(str(number))


def _clean_int(attribute: Attribute, value: Any) -> int:
    low, high = attribute.minimum, attribute.maximum
    number = _exact(value)
    if number is None or number != number.to_integral_value():
        raise _Problem(
            _("%(label)s must be a whole number from %(low)s to %(high)s")
            % {
                "label": _lower_first(str(attribute.label)),
                "low": low,
                "high": high,
            }
        )
    if not low <= number <= high:
        raise _Problem(
            _("%(label)s must be %(low)s–%(high)s")
            % {"label": _lower_first(str(attribute.label)), "low": low, "high": high}
        )
    return int(number)


def _clean_decimal(attribute: Attribute, value: Any) -> int | float:
    """An amount: a finite number from 0 below the maximum, at most 2 decimals.

    Floats and ints come back as they are (``-0.0`` as 0); an exact
    ``Decimal`` (the editor, the JSON import) as an int when whole, else the
    float that prints as it.
    """
    message = _(
        "%(label)s must be an amount from 0 to %(high)s with at most 2 decimals"
    ) % {
        "label": _lower_first(str(attribute.label)),
        "high": f"{attribute.maximum:,.0f}",
    }
    number = _exact(value)
    if number is None or not attribute.minimum <= number < attribute.maximum:
        raise _Problem(message)
    # Exact: below 10**10, cents need 12 digits of the context's 28.
    if number != number.quantize(CENT):
        raise _Problem(message)
    if isinstance(value, Decimal):
        return int(number) if number == number.to_integral_value() else float(number)
    return value or 0  # -0.0 is 0


def _clean_date(attribute: Attribute, value: Any) -> str:
    message = _("%(label)s must be a date written YYYY-MM-DD") % {
        "label": _lower_first(str(attribute.label))
    }
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise _Problem(message)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Problem(message) from exc
    if not 1900 <= day.year <= 2999:
        raise _Problem(message)
    return day.isoformat()


def _clean_choice(attribute: Attribute, value: Any) -> str:
    choices = attribute.choices()
    if isinstance(value, str) and attribute.key == "market":
        value = value.strip().upper()
    if not isinstance(value, str) or value not in choices:
        shown = ", ".join(list(choices)[:12]) + (", …" if len(choices) > 12 else "")
        raise _Problem(
            _("%(label)s must be one of %(choices)s")
            % {"label": _lower_first(str(attribute.label)), "choices": shown}
        )
    return value


def _clean_text(attribute: Attribute, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Problem(
            _("%(label)s must be a non-empty text")
            % {"label": _lower_first(str(attribute.label))}
        )
    value = value.strip()
    if len(value) > attribute.max_length:
        raise _Problem(
            _("%(label)s must be at most %(max)s characters")
            % {"label": _lower_first(str(attribute.label)), "max": attribute.max_length}
        )
    if not attribute.pattern.fullmatch(value):
        raise _Problem(
            _("%(label)s %(value)s is not valid: %(rule)s")
            % {
                "label": _lower_first(str(attribute.label)),
                "value": _short_repr(value),
                "rule": attribute.pattern_rule,
            }
        )
    return value


def _clean_boolean(attribute: Attribute, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Problem(
            _("%(label)s must be true or false")
            % {"label": _lower_first(str(attribute.label))}
        )
    return value


_SCALAR_CLEANERS: dict[ValueType, Callable[[Attribute, Any], Any]] = {
    ValueType.CHOICE: _clean_choice,
    ValueType.TEXT: _clean_text,
    ValueType.INTEGER: _clean_int,
    ValueType.DECIMAL: _clean_decimal,
    ValueType.DATE: _clean_date,
    ValueType.BOOLEAN: _clean_boolean,
}


def _ordered(attribute: Attribute, value: Any) -> Any:
    if attribute.type is ValueType.DECIMAL:
        return Decimal(str(value))
    return value  # ints and ISO dates order naturally


def _clean_value(attribute: Attribute, operator: Operator, value: Any) -> Any:
    scalar = _SCALAR_CLEANERS[attribute.type]
    if operator.arity is Arity.ONE:
        return scalar(attribute, value)
    if operator.arity is Arity.DAYS:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_DAYS
        ):
            raise _Problem(
                _("the number of days must be a whole number from 1 to %(max)s")
                % {"max": MAX_DAYS}
            )
        return value
    if operator.arity is Arity.PAIR:
        if not isinstance(value, list) or len(value) != 2:
            raise _Problem(_("between needs a list of two values, the lower one first"))
        low, high = (scalar(attribute, item) for item in value)
        if _ordered(attribute, low) > _ordered(attribute, high):
            raise _Problem(
                _("the first value of between must not be greater than the second")
            )
        return [low, high]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST_VALUES:
        raise _Problem(
            _("%(operator)s needs a list of 1 to %(max)s values")
            % {"operator": operator.key, "max": MAX_LIST_VALUES}
        )
    cleaned = [scalar(attribute, item) for item in value]
    comparable = [c.lower() if isinstance(c, str) else c for c in cleaned]
    if len(set(comparable)) != len(comparable):
        raise _Problem(_("the list names a value twice"))
    return cleaned


def _clean_condition(condition: Any) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise _Problem(
            _("a filter must be an object with attribute, operator and value")
        )
    unknown = set(condition) - {"attribute", "operator", "value"}
    if unknown:
        raise _Problem(
            _("unknown key %(keys)s")
            % {"keys": ", ".join(sorted(_short_repr(k) for k in unknown))}
        )
    key = condition.get("attribute")
    attribute = ATTRIBUTES.get(key) if isinstance(key, str) else None
    if attribute is None:
        raise _Problem(_("unknown attribute %(key)s") % {"key": _short_repr(key)})
    op_key = condition.get("operator")
    allowed = attribute.allowed_operators()
    if not isinstance(op_key, str) or op_key not in allowed:
        raise _Problem(
            _("%(label)s cannot use operator %(op)s; use one of %(allowed)s")
            % {
                "label": _lower_first(str(attribute.label)),
                "op": _short_repr(op_key),
                "allowed": ", ".join(allowed),
            }
        )
    if "value" not in condition:
        raise _Problem(_("the value is missing"))
    value = _clean_value(attribute, OPERATORS[op_key], condition["value"])
    return {"attribute": key, "operator": op_key, "value": value}


def _short_repr(value: Any) -> str:
    """Show a bad value in a message, whatever it is (a 5,000-digit int, a
    list nested 100,000 deep…)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return _("a number with too many digits")
    try:
        text = str(value) if isinstance(value, Decimal) else json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            return _("a value that cannot be shown")
    return text if len(text) <= 40 else text[:37] + "…"


def _located(message: str, block: int, condition: int | None = None) -> ValidationError:
    if condition is None:
        text = _("OR statement %(block)s: %(problem)s") % {
            "block": block + 1,
            "problem": message,
        }
    else:
        text = _("OR statement %(block)s, filter %(condition)s: %(problem)s") % {
            "block": block + 1,
            "condition": condition + 1,
            "problem": message,
        }
    error = ValidationError(text, code="invalid_condition")
    error.block, error.condition = block, condition
    return error


def definition_validate(definition: Any) -> dict[str, Any]:
    """Return the canonical form of a definition, or raise ``ValidationError``.

    Every problem is reported, each naming its OR statement and filter
    (1-based) and carrying ``block``/``condition`` (0-based) attributes for
    forms. Never raises anything else, whatever the input.
    """
    if not isinstance(definition, dict):
        raise ValidationError(
            _("A definition must be a JSON object with version and any."),
            code="invalid",
        )
    unknown = set(definition) - {"version", "any"}
    if unknown:
        raise ValidationError(
            _("Unknown key in the definition: %(keys)s.")
            % {"keys": ", ".join(sorted(_short_repr(k) for k in unknown))},
            code="invalid",
        )
    version = definition.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ValidationError(
            _("Unsupported definition version %(version)s; expected %(expected)s.")
            % {"version": _short_repr(version), "expected": VERSION},
            code="invalid_version",
        )
    blocks = definition.get("any")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        raise ValidationError(
            _("A definition needs 1 to %(max)s OR statements.") % {"max": MAX_BLOCKS},
            code="invalid_blocks",
        )
    errors: list[ValidationError] = []
    clean_blocks = []
    for b, block in enumerate(blocks):
        if not isinstance(block, dict) or set(block) != {"all"}:
            errors.append(
                _located(_("must be an object with a list of filters in all"), b)
            )
            continue
        conditions = block["all"]
        if (
            not isinstance(conditions, list)
            or not 1 <= len(conditions) <= MAX_CONDITIONS
        ):
            errors.append(
                _located(_("needs 1 to %(max)s filters") % {"max": MAX_CONDITIONS}, b)
            )
            continue
        clean_conditions = []
        for c, condition in enumerate(conditions):
            try:
                clean_conditions.append(_clean_condition(condition))
            except _Problem as problem:
                errors.append(_located(problem.message, b, c))
            except RecursionError:
                errors.append(_located(_("the value is nested too deeply"), b, c))
        clean_blocks.append({"all": clean_conditions})
    if errors:
        raise ValidationError(errors)
    return {"version": VERSION, "any": clean_blocks}


def definition_parse_json(text: str | bytes) -> dict[str, Any]:
    """Parse and validate a definition from JSON text (a file, a form field).

    Raises ``ValidationError`` for text that is too large, not UTF-8, not
    JSON (NaN and Infinity included), nested beyond reason, holding a number
    that ``customers.numbers`` refuses (checked on its text, before any
    conversion), or not a valid definition. Numbers with a point or an
    exponent are read exactly (``Decimal``), so ``0.999999999999999999`` is
    not taken for 1.
    """
    if len(text) > MAX_JSON_BYTES:
        raise ValidationError(
            _("The definition is too large (%(size)s KB; at most %(max)s KB).")
            % {"size": len(text) // 1024, "max": MAX_JSON_BYTES // 1024},
            code="too_large",
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("The definition file is not UTF-8 text."), code="not_text"
            ) from exc

    text = text.removeprefix("\ufeff")  # a str read as utf-8 keeps its BOM

    def reject_constant(name: str) -> None:
        raise ValueError(name)

    try:
        data = json_loads(text, parse_constant=reject_constant)
    except NumberError as exc:
        raise ValidationError(
            _("The definition holds a number that cannot be read: %(problem)s.")
            % {"problem": exc},
            code="bad_number",
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ValidationError(
            _("The definition is not valid JSON."), code="not_json"
        ) from exc
    return definition_validate(data)


# --------------------------------------------------------------------------
# Definition text


def _value_text(attribute: Attribute, value: Any) -> str:
    if attribute.type is ValueType.CHOICE:
        return str(attribute.choices().get(value, value))
    if attribute.type is ValueType.DECIMAL:
        return f"${Decimal(str(value)):,.2f}"
    if attribute.type is ValueType.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    return str(value)


def condition_text(condition: dict[str, Any]) -> str:
    """One condition as text, e.g. ``Total Store spend (USD) > $10.00``."""
    attribute = ATTRIBUTES[condition["attribute"]]
    operator = OPERATORS[condition["operator"]]
    value = condition["value"]
    label = str(attribute.label)
    if operator.arity is Arity.LIST:
        items = ", ".join(_value_text(attribute, v) for v in value)
        return f"{label} {operator.symbol} [{items}]"
    if operator.arity is Arity.PAIR:
        low, high = (_value_text(attribute, v) for v in value)
        return _("%(label)s between %(low)s and %(high)s") % {
            "label": label,
            "low": low,
            "high": high,
        }
    if operator.arity is Arity.DAYS:
        if operator.key == "in_last_days":
            return _("%(label)s in last %(days)s days") % {
                "label": label,
                "days": value,
            }
        return _("%(label)s not in last %(days)s days") % {
            "label": label,
            "days": value,
        }
    return f"{label} {operator.symbol} {_value_text(attribute, value)}"


def definition_text(definition: dict[str, Any]) -> str:
    """Render the segment definition text of a valid definition.

    ``Age group == 18 to 24 && Gender == Male``; with several OR statements
    each is in parentheses, joined by `` || ``.
    """
    blocks = [
        " && ".join(condition_text(c) for c in block["all"])
        for block in definition["any"]
    ]
    if len(blocks) == 1:
        return blocks[0]
    return " || ".join(f"({text})" for text in blocks)


# --------------------------------------------------------------------------
# Compilation


def _window(attribute: Attribute, today: dt.date) -> Q:
    if not attribute.window_field:
        return Q()
    return Q(
        **{f"{attribute.window_field}__gte": today - dt.timedelta(days=WINDOW_DAYS)}
    )


# Matches no row. An explicit FALSE rather than Django's empty ``pk__in=[]``,
# which compiles to nothing in a WHERE but to 0 in a SELECT (the recompute
# selects the compiled definition as a column).
NEVER = Q(Value(False, output_field=BooleanField()))


def _any(alternatives: list[Q]) -> Q:
    return reduce(or_, alternatives) if alternatives else NEVER


def _present(path: str) -> Q:
    """Rows that have a value at ``path`` (an always-filled column needs no test)."""
    model, *parts, name = [AppCustomer, *path.split("__")]
    for part in parts:
        model = model._meta.get_field(part).related_model
    return Q(**{f"{path}__isnull": False}) if model._meta.get_field(name).null else Q()


def _choice_q(attribute: Attribute, operator: str, value: Any, today: dt.date) -> Q:
    wanted = [value] if operator in {"is", "is_not"} else list(value)
    negate = operator in {"is_not", "not_in"}
    if attribute.bucket is not None:
        # Negation selects the other buckets: no bucket (missing) never matches.
        values = (
            [v for v in attribute.choices() if v not in wanted] if negate else wanted
        )
        return _any([attribute.bucket(v, today) for v in values])
    match = Q(**{f"{attribute.field}__in": wanted})
    return _present(attribute.field) & (~match if negate else match)


WHITESPACE = " \t\n\r\x0b\x0c"


class _TrimWhitespace(Func):
    """Trim spaces, tabs and line breaks (SQL's one-argument TRIM: spaces only)."""

    function = "TRIM"
    output_field = CharField()

    def __init__(self, expression: str) -> None:
        super().__init__(expression, Value(WHITESPACE))

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="BTRIM", **extra)


def _text_q(attribute: Attribute, operator: str, value: Any, today: dt.date) -> Q:
    wanted = [value] if operator in {"is", "is_not"} else list(value)
    normalised = Lower(_TrimWhitespace(attribute.field))
    match = In(normalised, [v.strip(WHITESPACE).lower() for v in wanted])
    present = _present(attribute.field) & ~Q(
        Exact(_TrimWhitespace(attribute.field), "")
    )
    negate = operator in {"is_not", "not_in"}
    return present & _window(attribute, today) & (~Q(match) if negate else Q(match))


def _number_q(attribute: Attribute, operator: str, value: Any, today: dt.date) -> Q:
    f = attribute.field
    present = _present(f)
    if attribute.type is ValueType.DECIMAL:
        value = (
            [Decimal(str(v)) for v in value]
            if isinstance(value, list)
            else Decimal(str(value))
        )
    if operator == "between":
        return present & Q(**{f"{f}__gte": value[0], f"{f}__lte": value[1]})
    if operator == "ne":
        return present & ~Q(**{f: value})
    lookup = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}[
        operator
    ]
    return present & Q(**{f"{f}__{lookup}": value})


def _date_q(attribute: Attribute, operator: str, value: Any, today: dt.date) -> Q:
    f = attribute.field
    present = _present(f) & _window(attribute, today)
    if operator == "before":
        match = Q(**{f"{f}__lt": dt.date.fromisoformat(value)})
    elif operator == "after":
        match = Q(**{f"{f}__gt": dt.date.fromisoformat(value)})
    elif operator == "between":
        low, high = (dt.date.fromisoformat(v) for v in value)
        match = Q(**{f"{f}__gte": low, f"{f}__lte": high})
    elif operator == "in_last_days":
        match = Q(**{f"{f}__gte": today - dt.timedelta(days=value), f"{f}__lte": today})
    else:  # not_in_last_days
        match = Q(**{f"{f}__lt": today - dt.timedelta(days=value)})
    return present & match


def _boolean_q(attribute: Attribute, operator: str, value: Any, today: dt.date) -> Q:
    return attribute.true_q if value else ~attribute.true_q


_COMPILERS: dict[ValueType, Callable[[Attribute, str, Any, dt.date], Q]] = {
    ValueType.CHOICE: _choice_q,
    ValueType.TEXT: _text_q,
    ValueType.INTEGER: _number_q,
    ValueType.DECIMAL: _number_q,
    ValueType.DATE: _date_q,
    ValueType.BOOLEAN: _boolean_q,
}


def condition_q(condition: dict[str, Any], *, today: dt.date) -> Q:
    """Compile one validated condition to a ``Q`` over ``AppCustomer``."""
    attribute = ATTRIBUTES[condition["attribute"]]
    return _COMPILERS[attribute.type](
        attribute, condition["operator"], condition["value"], today
    )


def definition_q(definition: dict[str, Any], *, today: dt.date) -> Q:
    """Compile a validated definition to a ``Q`` over ``AppCustomer``."""
    return _any(
        [
            reduce(and_, (condition_q(c, today=today) for c in block["all"]))
            for block in definition["any"]
        ]
    )


def evaluation_date() -> dt.date:
    """Today in UTC: the day of computation every rule counts from."""
    return timezone.now().astimezone(dt.UTC).date()


def eligible_q(*, today: dt.date) -> Q:
    """App customers who may be in a segment at all (product.md §3)."""
    return Q(
        platform__in=AppCustomer.ELIGIBLE_PLATFORMS,
        customer__authenticated=True,
        customer__birth_date__isnull=False,
        customer__birth_date__lte=years_before(today, MIN_AGE),
    )


def eligible_queryset(*, app: App | int, today: dt.date) -> QuerySet[AppCustomer]:
    """The available app customers of ``app`` on ``today``."""
    return AppCustomer.objects.filter(eligible_q(today=today), app=app)


def segment_queryset(
    *, definition: dict[str, Any], app: App | int, today: dt.date
) -> QuerySet[AppCustomer]:
    """The eligible app customers of ``app`` matching a validated definition."""
    return eligible_queryset(app=app, today=today).filter(
        definition_q(definition, today=today)
    )
