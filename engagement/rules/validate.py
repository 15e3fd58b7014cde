"""Validate a segment definition and read one from JSON text.

``definition_validate`` returns the canonical form of a definition, the only
form the text renderer and the compiler accept, or raises
``ValidationError`` naming each OR statement and filter at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models import CENT
from customers.numbers import NumberError, json_loads, number_check
from customers.values import date_from_iso, value_shown
from engagement.errors import DefinitionError
from engagement.rules.registry import (
    ATTRIBUTES,
    OPERATORS,
    Arity,
    Attribute,
    Operator,
    ValueType,
)

VERSION = 1
MAX_BLOCKS = 20
MAX_CONDITIONS = 20
MAX_LIST_VALUES = 100
MAX_DAYS = 3650
# The largest valid definition by fields (20 × 20 lists of 100 markets) is
# 263 KB of plain JSON and 768 KB as the segment page exports it (indented);
# a definition file may hold 1 MB, so every export imports back.
MAX_JSON_BYTES = 1024 * 1024


class _Problem(Exception):
    """A problem with one condition, before it is located in the definition.

    ``shown`` says it in the editor's words (labels, not keys) when
    ``message`` names keys of the definition: it is what partners read
    (``definition_problems_shown``).
    """

    def __init__(self, message: str, shown: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.shown = shown or message


def _labels(keys: Any) -> str:
    """Operator keys as the operator select shows them."""
    return ", ".join(f"“{OPERATORS[key].label}”" for key in keys)


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
    # Exact: below MAX_MONEY, cents need 12 digits of the context's 28.
    if number != number.quantize(CENT):
        raise _Problem(message)
    if isinstance(value, Decimal):
        return int(number) if number == number.to_integral_value() else float(number)
    return value or 0  # -0.0 is 0


def _clean_date(attribute: Attribute, value: Any) -> str:
    message = _("%(label)s must be a date written YYYY-MM-DD") % {
        "label": _lower_first(str(attribute.label))
    }
    day = date_from_iso(value)
    if day is None or not 1900 <= day.year <= 2999:
        raise _Problem(message)
    return day.isoformat()


def _clean_choice(attribute: Attribute, value: Any) -> str:
    choices = attribute.choices()
    if isinstance(value, str) and attribute.normalise is not None:
        value = attribute.normalise(value)
    if not isinstance(value, str) or value not in choices:
        more = ", …" if len(choices) > 12 else ""
        label = _lower_first(str(attribute.label))
        raise _Problem(
            _("%(label)s must be one of %(choices)s")
            % {"label": label, "choices": ", ".join(list(choices)[:12]) + more},
            _("%(label)s must be one of %(choices)s")
            % {
                "label": label,
                "choices": ", ".join(str(c) for c in list(choices.values())[:12])
                + more,
            },
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
                "value": value_shown(value),
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
            raise _Problem(
                _("between needs a list of two values, the lower one first"),
                _("“%(operator)s” needs two values, the lower one first")
                % {"operator": operator.label},
            )
        low, high = (scalar(attribute, item) for item in value)
        if _ordered(attribute, low) > _ordered(attribute, high):
            raise _Problem(
                _("the first value of between must not be greater than the second")
            )
        return [low, high]
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST_VALUES:
        raise _Problem(
            _("%(operator)s needs a list of 1 to %(max)s values")
            % {"operator": operator.key, "max": MAX_LIST_VALUES},
            _("“%(operator)s” needs a list of 1 to %(max)s values")
            % {"operator": operator.label, "max": MAX_LIST_VALUES},
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
            % {"keys": ", ".join(sorted(value_shown(k) for k in unknown))}
        )
    key = condition.get("attribute")
    attribute = ATTRIBUTES.get(key) if isinstance(key, str) else None
    if attribute is None:
        raise _Problem(_("unknown attribute %(key)s") % {"key": value_shown(key)})
    op_key = condition.get("operator")
    allowed = attribute.allowed_operators()
    if not isinstance(op_key, str) or op_key not in allowed:
        label = _lower_first(str(attribute.label))
        known = OPERATORS.get(op_key) if isinstance(op_key, str) else None
        raise _Problem(
            _("%(label)s cannot use operator %(op)s; use one of %(allowed)s")
            % {
                "label": label,
                "op": value_shown(op_key),
                "allowed": ", ".join(allowed),
            },
            (
                _("%(label)s cannot use “%(op)s”; choose one of %(allowed)s")
                % {"label": label, "op": known.label, "allowed": _labels(allowed)}
                if known
                else _("%(label)s: unknown operator %(op)s; choose one of %(allowed)s")
                % {
                    "label": label,
                    "op": value_shown(op_key),
                    "allowed": _labels(allowed),
                }
            ),
        )
    if "value" not in condition:
        raise _Problem(_("the value is missing"))
    value = _clean_value(attribute, OPERATORS[op_key], condition["value"])
    return {"attribute": key, "operator": op_key, "value": value}


def _located(
    message: str, block: int, condition: int | None = None, shown: str | None = None
) -> ValidationError:
    """The problem located, with ``shown`` (how partners read it) as well."""

    def located(problem: str) -> ValidationError:
        if condition is None:
            return DefinitionError.INVALID_BLOCK.error(block=block + 1, problem=problem)
        return DefinitionError.INVALID_CONDITION.error(
            block=block + 1, condition=condition + 1, problem=problem
        )

    error = located(message)
    error.block, error.condition = block, condition
    error.shown = located(shown or message)
    return error


def definition_problems_shown(error: ValidationError) -> list[str]:
    """The messages of a ``definition_validate`` (or ``definition_parse_json``)
    error in the editor's words, one per problem: attributes and operators
    by the labels the editor's selects show, never their keys, each located
    as "OR statement 2, filter 1"."""
    return [
        message
        for item in error.error_list
        for message in getattr(item, "shown", item).messages
    ]


def definition_validate(definition: Any) -> dict[str, Any]:
    """Return the canonical form of a definition, or raise ``ValidationError``.

    Every problem is reported, each naming its OR statement and filter
    (1-based) and carrying ``block``/``condition`` (0-based) attributes for
    forms. Never raises anything else, whatever the input.
    """
    if not isinstance(definition, dict):
        raise DefinitionError.NOT_OBJECT.error()
    unknown = set(definition) - {"version", "any"}
    if unknown:
        raise DefinitionError.UNKNOWN_KEY.error(
            keys=", ".join(sorted(value_shown(k) for k in unknown))
        )
    version = definition.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise DefinitionError.INVALID_VERSION.error(
            version=value_shown(version), expected=VERSION
        )
    blocks = definition.get("any")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        raise DefinitionError.INVALID_BLOCKS.error(max=MAX_BLOCKS)
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
                errors.append(_located(problem.message, b, c, problem.shown))
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
        raise DefinitionError.TOO_LARGE.error(
            size=len(text) // 1024, max=MAX_JSON_BYTES // 1024
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DefinitionError.NOT_TEXT.error() from exc

    text = text.removeprefix("\ufeff")  # a str read as utf-8 keeps its BOM

    def reject_constant(name: str) -> None:
        raise ValueError(name)

    try:
        data = json_loads(text, parse_constant=reject_constant)
    except NumberError as exc:
        raise DefinitionError.BAD_NUMBER.error(problem=str(exc)) from exc
    except (ValueError, RecursionError) as exc:
        raise DefinitionError.NOT_JSON.error() from exc
    return definition_validate(data)
