"""The condition rows of a posted segment editor, and the structural actions.

The rows of a POST are laid out by the management form's count and each
row's OR statement. Adding or removing a filter or an OR statement changes
that layout; ``rows_data`` then returns a copy of the POST with the rows
under their new prefixes, as they were posted (nothing is re-read or
re-encoded), for ``SegmentEditor`` to bind once.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from customers.numbers import NumberError, int_from_text
from engagement import rules
from engagement.forms.segments import MAX_ROWS, PREFIX, ROW_FIELDS
from engagement.rules import ATTRIBUTES, OPERATORS, Arity, ValueType

TOTAL_FORMS = f"{PREFIX}-TOTAL_FORMS"
# The rows of a post in the order they are bound: for each row, the index it
# was posted under (None for a row an action adds) and its OR statement.
Layout = list[tuple[int | None, int]]


def _shown(attribute: rules.Attribute, item: Any) -> str:
    if attribute.type is ValueType.BOOLEAN and isinstance(item, bool):
        return "true" if item else "false"
    if item is None or isinstance(item, dict | list):
        return ""
    return str(item)


def _row_of(condition: Any) -> dict[str, Any] | None:
    """The editor row of one stored filter, or None if its attribute is unknown.

    An operator that does not fit the attribute is left to choose; a value of
    the wrong type is shown as text for the partner to correct.
    """
    if not isinstance(condition, dict):
        return None
    key = condition.get("attribute")
    attribute = ATTRIBUTES.get(key) if isinstance(key, str) else None
    if attribute is None:
        return None
    row = {"category": rules.attribute_category_key(attribute), "attribute": key}
    operator = condition.get("operator")
    if not isinstance(operator, str) or operator not in attribute.allowed_operators():
        return row
    arity, value = OPERATORS[operator].arity, condition.get("value")
    row["operator"] = operator
    if arity is Arity.PAIR:
        low, high = (
            value if isinstance(value, list) and len(value) == 2 else (value, "")
        )
        row["value"], row["value_to"] = _shown(attribute, low), _shown(attribute, high)
    elif arity is Arity.LIST:
        items = [_shown(attribute, item) for item in _as_list(value)]
        items = [item for item in items if item]
        row["value"] = items if attribute.type is ValueType.CHOICE else ", ".join(items)
    else:
        row["value"] = _shown(attribute, value)
    return row


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rows_from_definition(definition: Any) -> list[dict[str, Any]]:
    """Editor rows for the filters of a stored definition that can be read.

    Valid or not: a definition that a later rule rejects (or that support
    edited) opens with every filter whose attribute is still known.
    """
    blocks = definition.get("any") if isinstance(definition, dict) else None
    rows: list[dict[str, Any]] = []
    number = 0
    for block in _as_list(blocks) if blocks is not None else []:
        conditions = block.get("all") if isinstance(block, dict) else None
        read = [_row_of(condition) for condition in _as_list(conditions)]
        read = [row for row in read if row is not None]
        for row in read:
            row["block"] = number
        number += bool(read)
        rows += read
    return rows


def action_parse(action: str) -> tuple[str, int]:
    """Split an editor action (``add_filter:3``) into its name and index.

    The index is -1 unless it is a whole number in ASCII digits (``²`` and
    ``١`` are digits to ``str.isdigit`` but not to ``int``).
    """
    name, _sep, arg = action.partition(":")
    try:
        return name, int_from_text(arg)
    except NumberError:
        return name, -1


def rows_layout(*, data: QueryDict) -> Layout:
    """Return the posted rows, from the management form's count; a garbage
    count gives no rows, a garbage block the first OR statement."""
    total = min(max(_posted_int(data, TOTAL_FORMS) or 0, 0), MAX_ROWS)
    return _grouped(
        [(i, _posted_int(data, f"{PREFIX}-{i}-block") or 0) for i in range(total)]
    )


def rows_layout_change(*, layout: Layout, name: str, index: int) -> tuple[Layout, str]:
    """Apply a structural action to the rows; say why when it cannot be done.

    An unknown action or an index out of range leaves the rows as they are.
    """
    blocks = max((block for _source, block in layout), default=-1) + 1
    if name == "add_filter" and 0 <= index < blocks:
        rows = [i for i, (_source, block) in enumerate(layout) if block == index]
        if len(rows) >= rules.MAX_CONDITIONS:
            return layout, _("An OR statement has at most %(max)s filters.") % {
                "max": rules.MAX_CONDITIONS
            }
        return [*layout[: rows[-1] + 1], (None, index), *layout[rows[-1] + 1 :]], ""
    if name == "add_block":
        if blocks >= rules.MAX_BLOCKS:
            return layout, _("A segment has at most %(max)s OR statements.") % {
                "max": rules.MAX_BLOCKS
            }
        return [*layout, (None, blocks)], ""
    if name == "remove_filter" and 0 <= index < len(layout):
        return _grouped(layout[:index] + layout[index + 1 :]), ""
    if name == "remove_block" and 0 <= index < blocks:
        return _grouped([row for row in layout if row[1] != index]), ""
    return layout, ""


def rows_focus(*, before: Layout, after: Layout, name: str, index: int) -> int:
    """The row whose first field takes the focus once an action is applied.

    A row added: that row (refused, at the limit: the last row of its OR
    statement, or the last row). A filter removed: the row before it (the
    first row if it was first). An OR statement removed: the last row of the
    one before it (the first row if it was first).
    """
    if name in {"add_filter", "add_block"}:
        added = (i for i, (source, _b) in enumerate(after) if source is None)
        same = (i for i, (_s, block) in enumerate(after) if block == index)
        last = len(after) - 1 if name == "add_block" else max(same, default=0)
        return next(added, last)
    if name == "remove_filter":
        return max(index - 1, 0)
    if name == "remove_block":
        first = next((i for i, (_s, block) in enumerate(before) if block == index), 0)
        return max(first - 1, 0)
    return 0


def rows_data(*, data: QueryDict, layout: Layout) -> QueryDict:
    """Return the POST data with its rows in ``layout`` order, numbered from 0.

    The POST itself when it already has exactly these rows; otherwise a copy
    where each row's fields move under its new prefix as they were posted
    (every value of a list), and a new row posts only its block, so its
    selects start at "Choose…".
    """
    if _posted_as(data, layout):
        return data
    copy = data.copy()
    for key in [key for key in copy if key.startswith(f"{PREFIX}-")]:
        del copy[key]
    copy[TOTAL_FORMS] = str(len(layout))
    copy[f"{PREFIX}-INITIAL_FORMS"] = "0"
    for index, (source, block) in enumerate(layout):
        if source is not None:
            for name in ROW_FIELDS:
                values = data.getlist(f"{PREFIX}-{source}-{name}")
                if values:
                    copy.setlist(f"{PREFIX}-{index}-{name}", values)
        copy[f"{PREFIX}-{index}-block"] = str(block)
    return copy


def _posted_int(data: QueryDict, key: str) -> int | None:
    try:
        return int_from_text(data.get(key) or "")
    except NumberError:
        return None


def _grouped(layout: Layout) -> Layout:
    """Rows grouped by OR statement, numbered 0, 1, 2… in order of appearance."""
    order: dict[int, int] = {}
    for _source, block in layout:
        order.setdefault(block, len(order))
    return sorted(
        ((source, order[block]) for source, block in layout), key=lambda row: row[1]
    )


def _posted_as(data: QueryDict, layout: Layout) -> bool:
    """Whether the post already has exactly these rows, under these numbers."""
    return data.get(TOTAL_FORMS) == str(len(layout)) and all(
        source == i and data.get(f"{PREFIX}-{i}-block") == str(block)
        for i, (source, block) in enumerate(layout)
    )
