"""The segment editor: the group form plus rows of conditions.

Rows are a flat formset; each row names its OR statement in ``block``. The
editor keeps rows as plain dicts, so adding, removing or importing rows
re-renders exactly what the user entered, and Save validates every row
before the definition goes through ``engagement.rules`` (as Django's admin
validates inlines before saving).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import App, Partner
from customers.names import name_clean
from customers.numbers import NumberError, decimal_from_text, int_from_text
from engagement import rules
from engagement.rules import ATTRIBUTES, CATEGORIES, OPERATORS, Arity, ValueType

ROW_FIELDS = ("block", "category", "attribute", "operator", "value", "value_to")
LIST_SEPARATORS = re.compile(r"[,;\n\r]+")
BOOLEAN_CHOICES = [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]
MAX_ROWS = rules.MAX_BLOCKS * rules.MAX_CONDITIONS


class _QuickOptionsMixin:
    """Render a select's options in one pass of Python.

    Django renders each option through its own template, about 0.1 ms an
    option: the largest definition (400 filters, each a list of the 249
    markets) took 14 s of CPU to show. Here it is one ``format_html`` an
    option.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["multiple"] = self.allow_multiple_selected
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options
        )


class QuickSelect(_QuickOptionsMixin, forms.Select):
    pass


class QuickSelectMultiple(_QuickOptionsMixin, forms.SelectMultiple):
    pass


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Group name"), max_length=100)
    app = forms.ModelChoiceField(
        label=gettext_lazy("Include customers from this app"),
        queryset=App.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].queryset = App.objects.for_partner(partner).order_by("name")

    def clean_name(self) -> str:
        return name_clean(self.cleaned_data["name"])


def _category_of(attribute_key: str) -> str:
    return rules.attribute_category_key(ATTRIBUTES[attribute_key])


def normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    """Make a row's category, attribute and operator fit each other.

    A changed category picks its first attribute, a changed attribute its
    first operator; values that no longer fit are cleared.
    """
    grouped = rules.attributes_by_category()
    category = row.get("category")
    attribute = row.get("attribute")
    if attribute in ATTRIBUTES and category not in grouped:
        category = _category_of(attribute)
    if category not in grouped:
        category = next(iter(grouped))
    keys = [a.key for a in grouped[category]]
    changed = attribute not in keys
    if changed:
        attribute = keys[0]
    allowed = ATTRIBUTES[attribute].allowed_operators()
    operator = row.get("operator")
    if operator not in allowed:
        old_arity = OPERATORS[operator].arity if operator in OPERATORS else None
        operator = allowed[0]
        changed = changed or old_arity is not OPERATORS[operator].arity
    value = "" if changed else row.get("value", "")
    value_to = "" if changed else row.get("value_to", "")
    if isinstance(value, list) and OPERATORS[operator].arity is not Arity.LIST:
        value = ""
    return {
        "block": row.get("block", 0),
        "category": category,
        "attribute": attribute,
        "operator": operator,
        "value": value,
        "value_to": value_to,
    }


def rows_from_definition(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Editor rows showing a valid definition."""
    rows = []
    for b, block in enumerate(definition["any"]):
        for condition in block["all"]:
            attribute = ATTRIBUTES[condition["attribute"]]
            arity = OPERATORS[condition["operator"]].arity
            value, value_to = condition["value"], ""
            if arity is Arity.PAIR:
                value, value_to = value
            if attribute.type is ValueType.BOOLEAN:
                value = "true" if value else "false"
            if arity is Arity.LIST and attribute.type is ValueType.TEXT:
                value = ", ".join(value)
            elif arity is not Arity.LIST:
                value = "" if value is None else str(value)
            rows.append(
                {
                    "block": b,
                    "category": rules.attribute_category_key(attribute),
                    "attribute": attribute.key,
                    "operator": condition["operator"],
                    "value": value,
                    "value_to": str(value_to),
                }
            )
    return rows


def blank_row(block: int) -> dict[str, Any]:
    return normalise_row({"block": block})


class ConditionForm(forms.Form):
    """One row: Category / Attribute / Operator / Value."""

    block = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, max_value=rules.MAX_BLOCKS - 1
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"))
    attribute = forms.ChoiceField(label=gettext_lazy("Attribute"))
    operator = forms.ChoiceField(label=gettext_lazy("Operator"))
    value = forms.CharField(label=gettext_lazy("Value"), required=False)
    value_to = forms.CharField(label=gettext_lazy("and"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        state = normalise_row(
            {
                name: self._raw(name)
                for name in ("block", "category", "attribute", "operator")
            }
        )
        self.attribute = ATTRIBUTES[state["attribute"]]
        self.operator = OPERATORS[state["operator"]]
        grouped = rules.attributes_by_category()
        self.fields["category"].choices = [(k, str(v)) for k, v in CATEGORIES.items()]
        self.fields["attribute"].choices = [
            (a.key, str(a.label)) for a in grouped[state["category"]]
        ]
        self.fields["operator"].choices = [
            (key, str(OPERATORS[key].label))
            for key in self.attribute.allowed_operators()
        ]
        self._set_value_widgets()

    def _raw(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def _set_value_widgets(self) -> None:
        attribute, arity = self.attribute, self.operator.arity
        value = self.fields["value"]
        widget_attrs = {"class": "form-control form-control-sm condition-value"}
        if arity is Arity.LIST and attribute.type is ValueType.CHOICE:
            self.fields["value"] = forms.MultipleChoiceField(
                label=value.label,
                required=False,
                choices=[(k, str(v)) for k, v in attribute.choices().items()],
                widget=QuickSelectMultiple(
                    attrs={
                        "class": "form-select form-select-sm condition-value",
                        "size": 4,
                    }
                ),
            )
        elif attribute.type in {ValueType.CHOICE, ValueType.BOOLEAN}:
            choices = (
                BOOLEAN_CHOICES
                if attribute.type is ValueType.BOOLEAN
                else [(k, str(v)) for k, v in attribute.choices().items()]
            )
            value.widget = QuickSelect(
                choices=choices,
                attrs={"class": "form-select form-select-sm condition-value"},
            )
        elif arity is Arity.LIST:
            value.widget = forms.Textarea(
                attrs={
                    **widget_attrs,
                    "rows": 2,
                    "placeholder": _("Values separated by commas"),
                }
            )
        elif arity is Arity.DAYS:
            value.widget = forms.NumberInput(
                attrs={**widget_attrs, "min": 1, "max": rules.MAX_DAYS, "step": 1}
            )
        elif attribute.type is ValueType.DATE:
            value.widget = forms.DateInput(attrs={**widget_attrs, "type": "date"})
        elif attribute.type in {ValueType.INTEGER, ValueType.DECIMAL}:
            step = "1" if attribute.type is ValueType.INTEGER else "0.01"
            value.widget = forms.NumberInput(
                attrs={**widget_attrs, "step": step, "min": attribute.minimum}
            )
        else:
            value.widget = forms.TextInput(attrs=widget_attrs)
        self.fields["value_to"].widget = value.widget.__class__(
            attrs=dict(value.widget.attrs)
        )

    @property
    def needs_value_to(self) -> bool:
        return self.operator.arity is Arity.PAIR

    def _parse_scalar(self, text: Any, field: str) -> Any:
        """Read one typed value; numbers as ``customers.numbers`` allows.

        Amounts stay exact (``Decimal``) for the rules to check; their shape
        and size are checked before any conversion, so ``1e999999999`` costs
        no more than ``10``.
        """
        attribute = self.attribute
        if isinstance(text, list):
            text = text[0] if text else ""
        text = (text or "").strip()
        if not text:
            raise ValidationError({field: _("Enter a value.")}, code="required")
        if attribute.type is ValueType.INTEGER or self.operator.arity is Arity.DAYS:
            try:
                return int_from_text(text)
            except NumberError:
                raise ValidationError(
                    {field: _("Enter a whole number.")}, code="invalid"
                ) from None
        if attribute.type is ValueType.DECIMAL:
            try:
                return decimal_from_text(text)
            except NumberError:
                raise ValidationError(
                    {field: _("Enter an amount such as 10 or 9.99.")}, code="invalid"
                ) from None
        if attribute.type is ValueType.BOOLEAN:
            return text == "true"
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        arity = self.operator.arity
        raw = cleaned.get("value")
        if arity is Arity.LIST:
            items = raw if isinstance(raw, list) else LIST_SEPARATORS.split(raw or "")
            items = [item.strip() for item in items if item and item.strip()]
            if not items:
                raise ValidationError({"value": _("Enter at least one value.")})
            value: Any = items
        elif arity is Arity.PAIR:
            value = [
                self._parse_scalar(raw, "value"),
                self._parse_scalar(cleaned.get("value_to"), "value_to"),
            ]
        else:
            value = self._parse_scalar(raw, "value")
        cleaned["condition"] = {
            "attribute": self.attribute.key,
            "operator": self.operator.key,
            "value": value,
        }
        return cleaned


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


class BaseConditionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if not self.forms:
            raise ValidationError(_("Add at least one filter."), code="no_conditions")


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=0,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)

PREFIX = "conditions"


class SegmentEditor:
    """The whole editor: the group form and the condition rows.

    Built from POST data (``from_post``) or from a definition
    (``from_definition``). Structural actions (``apply``) change the rows and
    re-render them unbound; ``is_valid`` binds and validates everything and
    leaves the canonical definition in ``definition``.
    """

    def __init__(
        self,
        *,
        partner: Partner,
        rows: list[dict[str, Any]],
        form_data: QueryDict | dict | None = None,
        form_initial: dict | None = None,
    ) -> None:
        self.partner = partner
        self.rows = [normalise_row(row) for row in rows] or [blank_row(0)]
        self._renumber()
        self.form = SegmentForm(form_data, initial=form_initial, partner=partner)
        self.formset = ConditionFormSet(initial=self.rows, prefix=PREFIX)
        self.definition: dict[str, Any] | None = None
        self.message = ""

    @classmethod
    def from_definition(
        cls,
        *,
        partner: Partner,
        definition: dict[str, Any] | None,
        initial: dict | None = None,
    ) -> SegmentEditor:
        rows = rows_from_definition(definition) if definition else []
        return cls(partner=partner, rows=rows, form_initial=initial)

    @classmethod
    def from_post(cls, *, partner: Partner, data: QueryDict) -> SegmentEditor:
        return cls(partner=partner, rows=_rows_from_post(data), form_data=data)

    def _renumber(self) -> None:
        """Keep rows grouped by block, blocks numbered 0, 1, 2… in order."""
        order: dict[int, int] = {}
        for row in self.rows:
            try:
                block = int(row["block"])
            except (TypeError, ValueError):
                block = 0
            order.setdefault(block, len(order))
            row["block"] = block
        self.rows.sort(key=lambda row: order[row["block"]])
        for row in self.rows:
            row["block"] = order[row["block"]]

    # ---- structural actions -------------------------------------------------

    def apply(self, action: str, upload: Any = None) -> None:
        """Add or remove a row or block, or import a definition file."""
        name, index = action_parse(action)
        blocks = self.block_count
        if name == "add_filter" and 0 <= index < blocks:
            if self._rows_in(index) >= rules.MAX_CONDITIONS:
                self.message = _("An OR statement has at most %(max)s filters.") % {
                    "max": rules.MAX_CONDITIONS
                }
            else:
                last = max(
                    i for i, row in enumerate(self.rows) if row["block"] == index
                )
                self.rows.insert(last + 1, blank_row(index))
        elif name == "add_block":
            if blocks >= rules.MAX_BLOCKS:
                self.message = _("A segment has at most %(max)s OR statements.") % {
                    "max": rules.MAX_BLOCKS
                }
            else:
                self.rows.append(blank_row(blocks))
        elif name == "remove_filter" and 0 <= index < len(self.rows):
            del self.rows[index]
        elif name == "remove_block" and 0 <= index < blocks:
            self.rows = [row for row in self.rows if row["block"] != index]
            for row in self.rows:
                if row["block"] > index:
                    row["block"] -= 1
        elif name == "import":
            self._import(upload)
        if not self.rows:
            self.rows = [blank_row(0)]
        self._renumber()
        self.formset = ConditionFormSet(initial=self.rows, prefix=PREFIX)

    def _import(self, upload: Any) -> None:
        if upload is None:
            self.message = _("Choose a definition file (.json) to import.")
            return
        if upload.size > rules.MAX_JSON_BYTES:
            self.message = _("This file is too large to be a segment definition.")
            return
        try:
            definition = rules.definition_parse_json(upload.read())
        except ValidationError as exc:
            self.message = _("The file could not be imported: %(problems)s") % {
                "problems": " ".join(exc.messages[:5])
            }
            return
        self.rows = rows_from_definition(definition)
        self.message = _("Definition imported. Check the conditions, then save.")

    # ---- validation ------------------------------------------------------------

    def is_valid(self) -> bool:
        """Validate the form and every row, then the definition as a whole."""
        self.formset = ConditionFormSet(_rows_to_data(self.rows), prefix=PREFIX)
        form_ok = self.form.is_valid()
        rows_ok = self.formset.is_valid()
        if not rows_ok:
            return False
        definition = self._definition_from_rows()
        try:
            self.definition = rules.definition_validate(definition)
        except ValidationError as exc:
            self._attach_rule_errors(exc)
            return False
        return form_ok

    def _definition_from_rows(self) -> dict[str, Any]:
        blocks: list[list[dict[str, Any]]] = [[] for _ in range(self.block_count)]
        self._row_positions = []
        for row_index, form in enumerate(self.formset.forms):
            block = self.rows[row_index]["block"]
            self._row_positions.append((block, len(blocks[block])))
            blocks[block].append(form.cleaned_data["condition"])
        return {"version": rules.VERSION, "any": [{"all": b} for b in blocks]}

    def _attach_rule_errors(self, exc: ValidationError) -> None:
        for error in exc.error_list:
            position = (
                getattr(error, "block", None),
                getattr(error, "condition", None),
            )
            if position in self._row_positions:
                form = self.formset.forms[self._row_positions.index(position)]
                form.add_error(None, error.message % (error.params or {}))
            else:
                self.message = " ".join(exc.messages)

    # ---- rendering helpers -----------------------------------------------------

    @property
    def block_count(self) -> int:
        return max((row["block"] for row in self.rows), default=0) + 1

    def _rows_in(self, block: int) -> int:
        return sum(1 for row in self.rows if row["block"] == block)

    def row_number(self, index: int) -> int:
        """The 1-based position of row ``index`` within its OR statement."""
        block = self.rows[index]["block"]
        return sum(1 for row in self.rows[: index + 1] if row["block"] == block)

    def blocks(self) -> list[list[tuple[int, ConditionForm]]]:
        """Forms grouped by OR statement, with their row index."""
        grouped: list[list[tuple[int, ConditionForm]]] = [
            [] for _ in range(self.block_count)
        ]
        for index, form in enumerate(self.formset.forms):
            grouped[self.rows[index]["block"]].append((index, form))
        return grouped

    def preview(self) -> tuple[str, bool]:
        """The definition text of what is entered so far, and whether complete.

        Rows that are not complete yet are left out of the text.
        """
        probe = ConditionFormSet(_rows_to_data(self.rows), prefix=PREFIX)
        blocks: list[list[dict[str, Any]]] = [[] for _ in range(self.block_count)]
        complete = True
        for index, form in enumerate(probe.forms):
            condition = form.cleaned_data.get("condition") if form.is_valid() else None
            if condition is None:
                complete = False
                continue
            try:
                rules.definition_validate({"version": 1, "any": [{"all": [condition]}]})
            except ValidationError:
                complete = False
                continue
            blocks[self.rows[index]["block"]].append(condition)
        blocks = [b for b in blocks if b]
        if not blocks:
            return "", False
        text = rules.definition_text({"any": [{"all": b} for b in blocks]})
        return text, complete

    def valid_definition(self) -> dict[str, Any] | None:
        """The definition if every row is complete and valid, else None."""
        probe = ConditionFormSet(_rows_to_data(self.rows), prefix=PREFIX)
        if not probe.is_valid():
            return None
        self.formset = probe
        try:
            return rules.definition_validate(self._definition_from_rows())
        except ValidationError:
            return None


def _rows_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """Raw rows from the management form's count; garbage counts give no rows."""
    try:
        total = min(int(data.get(f"{PREFIX}-TOTAL_FORMS", 0)), MAX_ROWS)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for i in range(max(total, 0)):
        key = f"{PREFIX}-{i}-"
        values = data.getlist(key + "value") if hasattr(data, "getlist") else []
        rows.append(
            {
                "block": data.get(key + "block", 0),
                "category": data.get(key + "category"),
                "attribute": data.get(key + "attribute"),
                "operator": data.get(key + "operator"),
                "value": values if len(values) > 1 else (values[0] if values else ""),
                "value_to": data.get(key + "value_to", ""),
            }
        )
    return rows


def _rows_to_data(rows: list[dict[str, Any]]) -> QueryDict:
    data = QueryDict(mutable=True)
    data[f"{PREFIX}-TOTAL_FORMS"] = str(len(rows))
    data[f"{PREFIX}-INITIAL_FORMS"] = "0"
    for i, row in enumerate(rows):
        for name in ROW_FIELDS:
            value = row.get(name, "")
            key = f"{PREFIX}-{i}-{name}"
            if isinstance(value, list):
                data.setlist(key, [str(v) for v in value])
            else:
                data[key] = "" if value is None else str(value)
    return data
