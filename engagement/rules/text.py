"""Render the segment definition text shown on the segment page and in the editor.

``Age group == 18 to 24 && Gender == Male``: labels, symbols and values in
the active language; money as the language writes dollars ($10.00, 10,00 $US).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from customers.formats import money_format
from engagement.rules.registry import ATTRIBUTES, OPERATORS, Arity, Attribute, ValueType


def value_text(attribute: Attribute, value: Any) -> str:
    """One value of ``attribute`` as the definition text writes it ($10.00, Yes)."""
    if attribute.type is ValueType.CHOICE:
        return str(attribute.choices().get(value, value))
    if attribute.type is ValueType.DECIMAL:
        return money_format(value)
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
        items = ", ".join(value_text(attribute, v) for v in value)
        return f"{label} {operator.symbol} [{items}]"
    if operator.arity is Arity.PAIR:
        low, high = (value_text(attribute, v) for v in value)
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
    return f"{label} {operator.symbol} {value_text(attribute, value)}"


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
