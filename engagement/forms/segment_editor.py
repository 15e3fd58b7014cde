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
from django.utils.translation import ngettext

from customers.models import Partner
from engagement import rules
from engagement.forms.segment_rows import (
    action_parse,
    rows_data,
    rows_focus,
    rows_from_definition,
    rows_layout,
    rows_layout_change,
)
from engagement.forms.segments import (
    PREFIX,
    ConditionForm,
    ConditionFormSet,
    SegmentForm,
)


def numbers_joined(numbers: list[int]) -> str:
    """``2``, ``2 and 3``, ``2, 3 and 5``."""
    shown = [str(number) for number in numbers]
    if len(shown) < 2:
        return "".join(shown)
    return _("%(list)s and %(last)s") % {
        "list": ", ".join(shown[:-1]),
        "last": shown[-1],
    }


def statements_left_out(numbers: list[int]) -> str:
    """ "OR statement 2 is incomplete and not counted", or "" for none."""
    if not numbers:
        return ""
    return ngettext(
        "OR statement %(numbers)s is incomplete and not counted",
        "OR statements %(numbers)s are incomplete and not counted",
        len(numbers),
    ) % {"numbers": numbers_joined(numbers)}


# The import lists at most this many problems of a file, then how many more.
IMPORT_PROBLEMS_SHOWN = 10


def _imported(upload: Any) -> tuple[dict[str, Any] | None, str, list[str]]:
    """The definition of an uploaded file, the message to show and the
    file's problems, one a line, in the editor's words."""
    if upload is None:
        return None, _("Choose a .json file"), []
    if upload.size > rules.MAX_JSON_BYTES:
        return None, _("This file is too large to be a segment definition."), []
    try:
        definition = rules.definition_parse_json(upload.read())
    except ValidationError as exc:
        problems = rules.definition_problems_shown(exc)
        more = len(problems) - IMPORT_PROBLEMS_SHOWN
        problems = problems[:IMPORT_PROBLEMS_SHOWN]
        if more > 0:
            problems.append(
                ngettext(
                    "…and %(count)s more problem.",
                    "…and %(count)s more problems.",
                    more,
                )
                % {"count": more}
            )
        return None, _("The file could not be imported:"), problems
    return definition, _("Definition imported. Check the conditions, then save."), []


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
        self.left_out: list[int] = []  # 1-based OR statements not counted
        self.message_lines: list[str] = []  # below the message, one a line
        # The row whose first field takes the focus (after a row was added or
        # removed), else None.
        self.focus_row: int | None = None

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
                ) % {"problems": "; ".join(rules.definition_problems_shown(exc)[:5])}
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
        problems: list[str] = []
        focus = None
        if name == "import":
            definition, message, problems = _imported(
                (files or {}).get("definition_file")
            )
            if definition is not None:
                return cls._opened(form=form, definition=definition, message=message)
        else:
            changed, message = rows_layout_change(layout=layout, name=name, index=index)
            if changed is not layout or name in {"add_filter", "add_block"}:
                focus = rows_focus(before=layout, after=changed, name=name, index=index)
            layout = changed
        layout = layout or [(None, 0)]
        rows = rows_data(data=data, layout=layout)
        editor = cls(
            form=form,
            formset=ConditionFormSet(rows, prefix=PREFIX),
            row_blocks=[block for _source, block in layout],
            message=message,
        )
        editor.message_lines = problems
        if focus is not None:
            editor.focus_row = min(focus, len(layout) - 1)
        editor._read_rows()
        return editor

    # ---- what the rows say ---------------------------------------------------

    def _read_rows(self) -> None:
        """Derive the definition, its text and what is counted from the rows.

        An OR statement counts once every one of its rows is a complete filter
        the rules accept: counting some of its filters would count customers
        the statement, once complete, leaves out. The statements left out are
        named (``left_out``); the rules' errors go next to their rows.
        """
        forms = self.formset.forms
        complete = [form.is_valid() for form in forms]
        rows_of: dict[int, list[int]] = {}
        for index, block in enumerate(self.row_blocks):
            rows_of.setdefault(block, []).append(index)
        blocks = [b for b in sorted(rows_of) if all(complete[i] for i in rows_of[b])]
        counted, refused = self._validated(blocks, rows_of)
        if counted is None and blocks:
            # Without the statements the rules refused; a problem of no single
            # statement (too many of them) refuses them all again.
            blocks = [b for b in blocks if b not in refused]
            counted, _refused = self._validated(blocks, rows_of, attach=False)
        self.counted = counted
        self.left_out = [b + 1 for b in sorted(rows_of) if counted and b not in blocks]
        self.text = rules.definition_text(counted) if counted else ""
        self.complete = counted is not None and not self.problems and all(complete)
        self.complete = self.complete and len(blocks) == len(rows_of)
        self.definition = counted if self.complete else None

    def _validated(
        self,
        blocks: list[int],
        rows_of: dict[int, list[int]],
        *,
        attach: bool = True,
    ) -> tuple[dict[str, Any] | None, set[int]]:
        """The valid definition of these OR statements, or None and the
        statements the rules refused.

        With ``attach``, each located rule error goes to its row and the others
        to ``problems``.
        """
        if not blocks:
            return None, set()
        forms = self.formset.forms
        try:
            return rules.definition_validate(
                {
                    "version": rules.VERSION,
                    "any": [
                        {
                            "all": [
                                forms[i].cleaned_data["condition"] for i in rows_of[b]
                            ]
                        }
                        for b in blocks
                    ],
                }
            ), set()
        except ValidationError as exc:
            refused = set()
            for error in exc.error_list:
                block = getattr(error, "block", None)
                condition = getattr(error, "condition", None)
                if block is not None:
                    refused.add(blocks[block])
                if not attach:
                    continue
                if block is not None and condition is not None:
                    forms[rows_of[blocks[block]][condition]].add_error(None, error)
                else:
                    self.problems += error.messages
            return None, refused

    @property
    def left_out_message(self) -> str:
        """Which OR statements the text and the estimate leave out, and why."""
        return statements_left_out(self.left_out)

    def is_valid(self) -> bool:
        """Validate the form and every row for Save; errors are shown after."""
        self.show_errors = True
        form_ok = self.form.is_valid()
        rows_ok = self.formset.is_valid()
        for form in self.formset.forms:
            form.show_errors()
        return form_ok and rows_ok and self.definition is not None

    def error_links(self) -> list[tuple[str, str]]:
        """The error summary of a failed Save: each error with the id of the
        field it sits next to (``#id`` links move there)."""
        form = self.form
        links = [(form["name"].id_for_label, str(e)) for e in form.non_field_errors()]
        if not self.show_errors:
            return links  # a refused request (too big to read)
        for name in ("name", "app"):
            links += [
                (form[name].id_for_label, f"{form[name].label}: {error}")
                for error in form[name].errors
            ]
        first_row = f"id_{PREFIX}-0-category"
        links += [(first_row, str(e)) for e in self.formset.non_form_errors()]
        links += [(first_row, problem) for problem in self.problems]
        for index, row in enumerate(self.formset.forms):
            where = {
                "block": self.row_blocks[index] + 1,
                "condition": self.row_number(index),
            }
            for name in ("category", "attribute", "operator", "value", "value_to"):
                label = _("upper value") if name == "value_to" else row[name].label
                links += [
                    (
                        row[name].id_for_label,
                        _("OR statement %(block)s, filter %(condition)s, %(field)s:")
                        % {**where, "field": str(label).lower()}
                        + f" {error}",
                    )
                    for error in row[name].errors
                ]
            # Rule errors name their OR statement and filter already.
            links += [
                (row["value"].id_for_label, str(e)) for e in row.non_field_errors()
            ]
        return links

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
