"""Compile a validated definition into a queryset of app customers.

The one compiler: the live estimate counts with it, the recompute selects
with it. ``segment_queryset`` is the eligible app customers of an app on the
day of computation that match a definition; nothing is evaluated in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, In
from django.utils import timezone

from customers.models import App, AppCustomer
from customers.values import years_before
from engagement.rules.registry import (
    ATTRIBUTES,
    WINDOW_DAYS,
    Attribute,
    ValueType,
)

MIN_AGE = 17


def window_q(attribute: Attribute, *, today: dt.date) -> Q:
    """Rows whose value of ``attribute`` is within its 90-day window (all
    rows for an attribute without one)."""
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
    return (
        present & window_q(attribute, today=today) & (~Q(match) if negate else Q(match))
    )


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
    present = _present(f) & window_q(attribute, today=today)
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


def relocated(q: Q, paths: Mapping[str, str]) -> Q:
    """``q`` over another model that copies ``AppCustomer``'s facts: each
    field path that starts with a key of ``paths`` starts with its value
    instead (``customer__gender__in`` → ``customer_gender__in`` for
    ``{"customer__gender": "customer_gender"}``), in lookups and in the
    expressions of text filters alike; other paths are kept."""

    def path(name: str) -> str:
        parts = name.split(LOOKUP_SEP)
        for end in range(len(parts), 0, -1):
            head = LOOKUP_SEP.join(parts[:end])
            if head in paths:
                return LOOKUP_SEP.join([paths[head], *parts[end:]])
        return name

    def expression(value: Any) -> Any:
        if isinstance(value, Q):
            return relocated(value, paths)
        if isinstance(value, F):  # OuterRef too: keep the class
            return type(value)(path(value.name))
        if not hasattr(value, "get_source_expressions"):
            return value
        copy = value.copy()
        copy.set_source_expressions(
            [expression(source) for source in copy.get_source_expressions()]
        )
        return copy

    moved = q.copy()
    moved.children = [
        (path(child[0]), expression(child[1]))
        if isinstance(child, tuple)
        else expression(child)
        for child in q.children
    ]
    return moved


def evaluation_date() -> dt.date:
    """Today in UTC: the day of computation every rule counts from."""
    return timezone.now().astimezone(dt.UTC).date()


class EligibilityCheck(StrEnum):
    """The tests a customer must pass to be in any segment (product.md §3)."""

    PLATFORM = "platform"
    AUTHENTICATED = "authenticated"
    AGE_KNOWN = "age_known"
    OLD_ENOUGH = "old_enough"


def eligibility_checks(*, today: dt.date) -> dict[EligibilityCheck, Q]:
    """Each eligibility test as its own ``Q``; ``eligible_q`` is their AND."""
    return {
        EligibilityCheck.PLATFORM: Q(platform__in=AppCustomer.ELIGIBLE_PLATFORMS),
        EligibilityCheck.AUTHENTICATED: Q(customer__authenticated=True),
        EligibilityCheck.AGE_KNOWN: Q(customer__birth_date__isnull=False),
        EligibilityCheck.OLD_ENOUGH: Q(
            customer__birth_date__lte=years_before(today, MIN_AGE)
        ),
    }


def eligible_q(*, today: dt.date) -> Q:
    """App customers who may be in a segment at all (product.md §3)."""
    return reduce(and_, eligibility_checks(today=today).values())


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
