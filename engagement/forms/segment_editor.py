"""The segment editor: the group form and the condition rows, bound once.

A POST binds ``ConditionFormSet`` straight from the request data, as Django's
admin binds inline formsets. From that one bound formset come the definition
that Save stores, the definition text and what the live estimate counts, so
the text and the estimate always describe the same filters: the complete,
valid ones (incomplete filters are left out of both, and the text says so).

Structural actions (add or remove a filter or an OR statement) change a copy
of the POST before it is bound (``engagement.forms.segment_rows``): the rows
move under new prefixes and the management form counts them; what was typed
moves as it was posted, never re-read or re-encoded. A stored definition or an
imported file opens as an unbound formset with initial rows, as Django's admin
opens a saved object.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from customers.models import Partner
from engagement import rules
from engagement.forms.segment_rows import (
    action_parse,
    rows_data,
    rows_layout,
    rows_layout_change,
)
from engagement.forms.segments import (
    PREFIX,
    ConditionForm,
    ConditionFormSet,
    SegmentForm,
)
from engagement.rules import ATTRIBUTES, OPERATORS, Arity, ValueType


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


def _imported(upload: Any) -> tuple[dict[str, Any] | None, str]:
    """The definition of an uploaded file and the message to show."""
    if upload is None:
        return None, _("Choose a definition file (.json) to import.")
    if upload.size > rules.MAX_JSON_BYTES:
        return None, _("This file is too large to be a segment definition.")
    try:
        definition = rules.definition_parse_json(upload.read())
    except ValidationError as exc:
        return None, _("The file could not be imported: %(problems)s") % {
            "problems": " ".join(exc.messages[:5])
        }
    return definition, _("Definition imported. Check the conditions, then save.")


class SegmentEditor:
    """The whole editor: the group form, the condition rows and what they say.

    ``text``/``complete``: the definition text of the filters entered so far,
    and whether every row is a complete, valid filter. ``counted``: the valid
    definition of exactly the filters in ``text``; the live estimate counts
    it. ``definition``: what Save stores, when every row is complete.
    """

    def __init__(
        self,
        *,
        form: SegmentForm,
        formset: ConditionFormSet,
        row_blocks: list[int],
        message: str = "",
    ) -> None:
        self.form = form
        self.formset = formset
        self.row_blocks = row_blocks
        self.message = message
        self.show_errors = False  # row errors are shown after Save only
        self.problems: list[str] = []  # rule errors of no single row
        self.counted: dict[str, Any] | None = None
        self.definition: dict[str, Any] | None = None
        self.text = ""
        self.complete = False

    # ---- opening -------------------------------------------------------------

    @classmethod
    def from_definition(
        cls,
        *,
        partner: Partner,
        definition: Any,
        initial: dict | None = None,
    ) -> SegmentEditor:
        """Open a stored definition, or a blank editor for None.

        A stored definition that no longer validates opens with the filters
        that can be read and the validation message, never an error page.
        """
        return cls._opened(
            form=SegmentForm(initial=initial, partner=partner), definition=definition
        )

    @classmethod
    def _opened(
        cls, *, form: SegmentForm, definition: Any, message: str = ""
    ) -> SegmentEditor:
        valid = None
        if definition is not None:
            try:
                valid = rules.definition_validate(definition)
            except ValidationError as exc:
                message = _(
                    "This segment's definition no longer passes the rules "
                    "(%(problems)s). The filters that could be read are shown; "
                    "check them, then save."
                ) % {"problems": "; ".join(exc.messages[:5])}
        rows = rows_from_definition(valid or definition) or [{"block": 0}]
        editor = cls(
            form=form,
            formset=ConditionFormSet(initial=rows, prefix=PREFIX),
            row_blocks=[row["block"] for row in rows],
            message=message,
        )
        if valid is not None:
            editor.counted = editor.definition = valid
            editor.text, editor.complete = rules.definition_text(valid), True
        return editor

    @classmethod
    def from_post(
        cls,
        *,
        partner: Partner,
        data: QueryDict,
        files: Any = None,
        action: str = "",
    ) -> SegmentEditor:
        """Bind the editor to a POST, after its structural ``action`` if any.

        ``import`` replaces the rows with those of the uploaded file; a file
        that cannot be imported leaves the rows as posted, with the reason.
        """
        form = SegmentForm(data, partner=partner)
        name, index = action_parse(action)
        layout, message = rows_layout(data=data), ""
        if name == "import":
            definition, message = _imported((files or {}).get("definition_file"))
            if definition is not None:
                return cls._opened(form=form, definition=definition, message=message)
        else:
            layout, message = rows_layout_change(layout=layout, name=name, index=index)
        layout = layout or [(None, 0)]
        rows = rows_data(data=data, layout=layout)
        editor = cls(
            form=form,
            formset=ConditionFormSet(rows, prefix=PREFIX),
            row_blocks=[block for _source, block in layout],
            message=message,
        )
        editor._read_rows()
        return editor

    # ---- what the rows say ---------------------------------------------------

    def _read_rows(self) -> None:
        """Derive the definition, its text and what is counted from the rows.

        A filter counts once its row is complete and the rules accept it;
        the rules' errors go next to their rows.
        """
        entered = [
            (index, form.cleaned_data["condition"])
            for index, form in enumerate(self.formset.forms)
            if form.is_valid()
        ]
        counted = self._validated(entered)
        if counted is None and entered:
            # Without the rows the rules refused; a problem of no single row
            # (too many filters in one OR statement) refuses them all again.
            entered = [(i, c) for i, c in entered if not self.formset.forms[i].errors]
            counted = self._validated(entered, attach=False)
        self.counted = counted
        self.text = rules.definition_text(counted) if counted else ""
        self.complete = (
            counted is not None
            and not self.problems
            and len(entered) == len(self.formset.forms)
        )
        self.definition = counted if self.complete else None

    def _validated(
        self, entered: list[tuple[int, dict[str, Any]]], *, attach: bool = True
    ) -> dict[str, Any] | None:
        """The valid definition of these rows' filters, or None.

        With ``attach``, each located rule error goes to its row and the others
        to ``problems``.
        """
        if not entered:
            return None
        by_block: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for index, condition in entered:
            by_block.setdefault(self.row_blocks[index], []).append((index, condition))
        blocks = [by_block[block] for block in sorted(by_block)]
        try:
            return rules.definition_validate(
                {
                    "version": rules.VERSION,
                    "any": [{"all": [c for _i, c in rows]} for rows in blocks],
                }
            )
        except ValidationError as exc:
            if attach:
                for error in exc.error_list:
                    block = getattr(error, "block", None)
                    condition = getattr(error, "condition", None)
                    if block is not None and condition is not None:
                        row = blocks[block][condition][0]
                        self.formset.forms[row].add_error(None, error)
                    else:
                        self.problems += error.messages
            return None

    def is_valid(self) -> bool:
        """Validate the form and every row for Save; errors are shown after."""
        self.show_errors = True
        if self.problems:
            self.message = " ".join(self.problems)
        form_ok = self.form.is_valid()
        rows_ok = self.formset.is_valid()
        return form_ok and rows_ok and self.definition is not None

    # ---- rendering helpers ---------------------------------------------------

    @property
    def block_count(self) -> int:
        return max(self.row_blocks, default=0) + 1

    def row_number(self, index: int) -> int:
        """The 1-based position of row ``index`` within its OR statement."""
        block = self.row_blocks[index]
        return self.row_blocks[: index + 1].count(block)

    def blocks(self) -> list[list[tuple[int, ConditionForm]]]:
        """Forms grouped by OR statement, with their row index."""
        grouped: list[list[tuple[int, ConditionForm]]] = [
            [] for _ in range(self.block_count)
        ]
        for index, form in enumerate(self.formset.forms):
            grouped[self.row_blocks[index]].append((index, form))
        return grouped
