"""Why one customer is in or out of a segment, for support (product.md §6.7).

Each eligibility test and each filter is compiled by the rules compiler
itself and evaluated against the customer's one app-customer row in a single
statement, so the explanation cannot disagree with the recompute. Values are
read through the attribute registry as segments see them: facts older than
the 90-day window are no value, the age group follows the birth date on the
day of computation, money is written as the definition text writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, CharField, F, Q, Value, When
from django.db.models.expressions import Expression
from django.utils.translation import gettext as _

from customers.models import AppCustomer, Customer
from engagement import rules
from engagement.models import Segment, SegmentMembership
from engagement.rules import EligibilityCheck
from engagement.selectors.segments import stored_definition_read


@dataclass(frozen=True)
class Check:
    """One test: what it tests, the customer's value as segments see it, the outcome."""

    label: str
    value: str
    passed: bool


@dataclass(frozen=True)
class BlockExplanation:
    """One OR statement: its filters, all of which must pass."""

    conditions: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(condition.passed for condition in self.conditions)


@dataclass(frozen=True)
class MembershipExplanation:
    """Every check behind one customer's membership of one segment on ``today``.

    ``blocks`` is empty and ``problems`` lists the validator's messages when
    the stored definition no longer validates: the result is then unknown
    (``is_member`` is None). ``is_stored_member`` is the materialised
    membership, as of the segment's last computation (``computed_at``),
    which may predate today's data.
    """

    segment: Segment
    customer: Customer
    today: dt.date
    is_app_customer: bool
    eligibility: tuple[Check, ...]
    blocks: tuple[BlockExplanation, ...]
    problems: tuple[str, ...]
    is_stored_member: bool

    @property
    def is_eligible(self) -> bool:
        return all(check.passed for check in self.eligibility)

    @property
    def is_member(self) -> bool | None:
        """In the segment on ``today``; None when the definition fails."""
        if self.problems:
            return None
        return self.is_eligible and any(block.passed for block in self.blocks)

    @property
    def computed_at(self) -> dt.datetime | None:
        return self.segment.computed_at

    @property
    def agrees(self) -> bool:
        """The materialised membership says what today's evaluation says."""
        return self.is_member is not None and self.is_member == self.is_stored_member


def _holds(q: Q) -> Case:
    """``q`` as a true/false column, with a WHERE clause's meaning of NULL."""
    return Case(
        When(q, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _value_expression(attribute: rules.Attribute, today: dt.date) -> Expression:
    """The value ``attribute`` reads on ``today``, NULL when segments see none."""
    if attribute.bucket is not None:
        return Case(
            *(
                When(attribute.bucket(value, today), then=Value(value))
                for value in attribute.choices()
            ),
            default=Value(None),
            output_field=CharField(),
        )
    if attribute.true_q is not None:
        return _holds(attribute.true_q)
    if not attribute.window_field:
        return F(attribute.field)
    return Case(
        When(rules.window_q(attribute, today=today), then=F(attribute.field)),
        default=Value(None),
    )


def _value_text(attribute: rules.Attribute, value: Any) -> str:
    if isinstance(value, str):
        value = value.strip(rules.WHITESPACE)  # text compares trimmed
    if value is None or value == "":
        return _("no value")
    return rules.value_text(attribute, value)


def _age(birth_date: dt.date, today: dt.date) -> int:
    """Whole years on ``today``; a 29 February birthday counts from 1 March."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def _eligibility(row: dict[str, Any] | None, today: dt.date) -> tuple[Check, ...]:
    labels = {
        EligibilityCheck.PLATFORM: _("Acquired the app on Windows 10 or Windows 11"),
        EligibilityCheck.AUTHENTICATED: _("Authenticated account"),
        EligibilityCheck.AGE_KNOWN: _("Age known"),
        EligibilityCheck.OLD_ENOUGH: _("At least %(age)s years old on %(day)s")
        % {"age": rules.MIN_AGE, "day": today.isoformat()},
    }
    if row is None:
        return tuple(Check(label, _("no value"), False) for label in labels.values())
    birth_date = row["customer__birth_date"]
    values = {
        EligibilityCheck.PLATFORM: AppCustomer.Platform(row["platform"]).label,
        EligibilityCheck.AUTHENTICATED: _("Yes")
        if row["customer__authenticated"]
        else _("No"),
        EligibilityCheck.AGE_KNOWN: birth_date.isoformat()
        if birth_date
        else _("no value"),
        EligibilityCheck.OLD_ENOUGH: _("%(years)s years")
        % {"years": _age(birth_date, today)}
        if birth_date
        else _("no value"),
    }
    return tuple(
        Check(str(label), str(values[check]), bool(row[f"eligible_{check}"]))
        for check, label in labels.items()
    )


def segment_membership_explain(
    *, segment: Segment, customer: Customer, today: dt.date | None = None
) -> MembershipExplanation:
    """Explain whether ``customer`` is in ``segment`` on ``today`` (UTC today).

    Two queries: the customer's row of the segment's app with every check as
    a column, and the materialised membership.
    """
    today = today or rules.evaluation_date()
    stored = stored_definition_read(definition=segment.definition)
    definition = stored.definition or {"any": []}
    columns: dict[str, Expression] = {
        f"eligible_{check}": _holds(q)
        for check, q in rules.eligibility_checks(today=today).items()
    }
    for b, block in enumerate(definition["any"]):
        for c, condition in enumerate(block["all"]):
            columns[f"passed_{b}_{c}"] = _holds(
                rules.condition_q(condition, today=today)
            )
            key = condition["attribute"]
            columns[f"value_{key}"] = _value_expression(rules.ATTRIBUTES[key], today)
    row = (
        AppCustomer.objects.filter(app_id=segment.app_id, customer=customer)
        .annotate(**columns)
        .values("platform", "customer__authenticated", "customer__birth_date", *columns)
        .first()
    )
    blocks = tuple(
        BlockExplanation(
            tuple(
                Check(
                    rules.condition_text(condition),
                    _value_text(
                        rules.ATTRIBUTES[condition["attribute"]],
                        row and row[f"value_{condition['attribute']}"],
                    ),
                    bool(row and row[f"passed_{b}_{c}"]),
                )
                for c, condition in enumerate(block["all"])
            )
        )
        for b, block in enumerate(definition["any"])
    )
    return MembershipExplanation(
        segment=segment,
        customer=customer,
        today=today,
        is_app_customer=row is not None,
        eligibility=_eligibility(row, today),
        blocks=blocks,
        problems=stored.problems,
        is_stored_member=SegmentMembership.objects.filter(
            segment=segment, customer=customer
        ).exists(),
    )
