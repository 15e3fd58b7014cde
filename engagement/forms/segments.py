"""The forms of the segment editor: the group form, one condition row, the rows.

Rows are a flat formset; each row names its OR statement in ``block``. The
editor (``engagement.forms.segment_editor``) binds the formset straight from
the POST, as Django's admin binds inline formsets; each row reads its own
choices from the data it is bound to, so the same bound forms render the page
and give the definition, its text and the estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.choices import ReadWholeModelChoiceField
from customers.models import App, Partner
from customers.names import name_clean
from customers.numbers import NumberError, decimal_from_text, int_from_text
from engagement import rules
from engagement.errors import ConditionError
from engagement.forms.segment_widgets import QuickCheckboxList, QuickSelect
from engagement.rules import ATTRIBUTES, CATEGORIES, OPERATORS, Arity, ValueType

PREFIX = "conditions"
# The fields of a row as posted; ``value_for`` is written by the row template
# (see ``RowChoice.value_for``), not a form field.
ROW_FIELDS = (
    "block",
    "category",
    "attribute",
    "operator",
    "value",
    "value_to",
    "value_for",
)
LIST_SEPARATORS = re.compile(r"[,;\n\r]+")
CHOOSE = gettext_lazy("Choose…")
BOOLEAN_CHOICES = [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]
MAX_ROWS = rules.MAX_BLOCKS * rules.MAX_CONDITIONS


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Group name"), max_length=100)
    app = ReadWholeModelChoiceField(
        label=gettext_lazy("Include customers from this app"),
        queryset=App.objects.none(),
        empty_label=gettext_lazy("Choose an app"),
        error_messages={"required": gettext_lazy("Choose an app.")},
    )

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["app"]
        field.queryset = App.objects.for_partner(partner).order_by("name")
        # With several apps the partner chooses (a copied template was saved
        # into whichever app sorted first); with one there is nothing to choose.
        apps = field.queryset  # read once here; the choices list it again
        if len(apps) == 1:
            field.empty_label = None
            self.initial.setdefault("app", apps[0].pk)

    def clean_name(self) -> str:
        return name_clean(self.cleaned_data["name"])


@dataclass(frozen=True)
class RowChoice:
    """What a row has chosen so far; ``None`` is still "Choose…"."""

    category: str | None = None
    attribute: rules.Attribute | None = None
    operator: rules.Operator | None = None

    @classmethod
    def read(cls, category: Any, attribute: Any, operator: Any) -> RowChoice:
        """Keep each choice while it fits the one before it.

        A changed category leaves an attribute of another category behind:
        it reads as not chosen, and so does the operator after it.
        """
        grouped = rules.attributes_by_category()
        if not isinstance(category, str) or category not in grouped:
            return cls()
        chosen = ATTRIBUTES.get(attribute) if isinstance(attribute, str) else None
        if chosen is None or all(a is not chosen for a in grouped[category]):
            return cls(category)
        allowed = chosen.allowed_operators()
        if not isinstance(operator, str) or operator not in allowed:
            return cls(category, chosen)
        return cls(category, chosen, OPERATORS[operator])

    @property
    def value_for(self) -> str:
        """The widget a value is typed into: the attribute and kind of operator.

        The row template posts it with the value; once the partner picks
        another attribute or kind of operator, the value typed for the old
        widget is dropped (a single market must not stay selected, out of
        sight, in the list that "is any of" shows).
        """
        if self.operator is None:
            return ""
        return f"{self.attribute.key}:{self.operator.arity}"

    @property
    def keys(self) -> dict[str, str]:
        """The chosen keys, ``""`` for "Choose…", for the selects to show."""
        return {
            "category": self.category or "",
            "attribute": self.attribute.key if self.attribute else "",
            "operator": self.operator.key if self.operator else "",
        }


class _DroppedValue:
    """A value field whose posted value was typed into another widget.

    It shows and reads as empty (``bound_data`` is what a bound form shows,
    ``clean`` what it reads), so the row counts for nothing until the partner
    enters a value in the widget the row has now.
    """

    def bound_data(self, data: Any, initial: Any) -> Any:
        return None

    def clean(self, value: Any) -> Any:
        return super().clean(None)


class _DroppedText(_DroppedValue, forms.CharField):
    pass


class _DroppedChoices(_DroppedValue, forms.MultipleChoiceField):
    pass


def _choose(choices) -> list[tuple[str, str]]:
    return [("", str(CHOOSE)), *((key, str(label)) for key, label in choices)]


def _required(message: str) -> dict[str, str]:
    return {"required": message, "invalid_choice": message}


class _RowBoundField(BoundField):
    """A row's field, marked invalid only once its errors are shown.

    A row is validated as the partner types (to count what is complete),
    but its errors show after Save only: until then a field is neither
    ``aria-invalid`` nor described by a message that is not on the page.
    """

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if not self.form.errors_shown:
            attrs.pop("aria-invalid", None)
            if attrs.get("aria-describedby") == f"{self.auto_id}_error":
                del attrs["aria-describedby"]
        return attrs


class ConditionForm(forms.Form):
    """One row: Category / Attribute / Operator / Value.

    Every select starts at "Choose…" and offers only what fits the select
    before it (``RowChoice``); a row counts once all four are chosen.
    """

    bound_field_class = _RowBoundField
    errors_shown = False

    block = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, max_value=rules.MAX_BLOCKS - 1
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        error_messages=_required(gettext_lazy("Choose a category.")),
    )
    attribute = forms.ChoiceField(
        label=gettext_lazy("Attribute"),
        error_messages=_required(gettext_lazy("Choose an attribute.")),
    )
    operator = forms.ChoiceField(
        label=gettext_lazy("Operator"),
        error_messages=_required(gettext_lazy("Choose an operator.")),
    )
    value = forms.CharField(label=gettext_lazy("Value"), required=False)
    value_to = forms.CharField(label=gettext_lazy("and"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.choice = RowChoice.read(
            self._raw("category"), self._raw("attribute"), self._raw("operator")
        )
        grouped = rules.attributes_by_category()
        attribute = self.choice.attribute
        self.fields["category"].choices = _choose(CATEGORIES.items())
        self.fields["attribute"].choices = _choose(
            (a.key, a.label) for a in grouped.get(self.choice.category, ())
        )
        self.fields["operator"].choices = _choose(
            (key, OPERATORS[key].label)
            for key in (attribute.allowed_operators() if attribute else ())
        )
        self._set_value_fields()

    def _raw(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def _value_dropped(self) -> bool:
        """Whether the posted value was typed for another widget.

        A post without ``value_for`` (not from the editor's page) keeps its
        value as it is.
        """
        if not self.is_bound:
            return False
        typed_for = self._raw("value_for")
        return typed_for is not None and typed_for != self.choice.value_for

    def _set_value_fields(self) -> None:
        attribute, operator = self.choice.attribute, self.choice.operator
        widget_attrs = {"class": "form-control form-control-sm condition-value"}
        if operator is None:
            # Nothing to enter until the operator is chosen; a disabled field
            # is not posted.
            self.fields["value"].widget = forms.TextInput(
                attrs={**widget_attrs, "disabled": True}
            )
            return
        dropped = self._value_dropped()
        text_field = _DroppedText if dropped else forms.CharField
        label = self.fields["value"].label
        self.fields["value"] = text_field(label=label, required=False)
        self.fields["value_to"] = text_field(
            label=self.fields["value_to"].label, required=False
        )
        value = self.fields["value"]
        arity = operator.arity
        if arity is Arity.LIST and attribute.type is ValueType.CHOICE:
            list_field = _DroppedChoices if dropped else forms.MultipleChoiceField
            self.fields["value"] = list_field(
                label=label,
                required=False,
                choices=[(k, str(v)) for k, v in attribute.choices().items()],
                widget=QuickCheckboxList(attrs={"class": "condition-value"}),
            )
        elif attribute.type in {ValueType.CHOICE, ValueType.BOOLEAN}:
            choices = (
                BOOLEAN_CHOICES
                if attribute.type is ValueType.BOOLEAN
                else attribute.choices().items()
            )
            value.widget = QuickSelect(
                choices=_choose(choices),
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
    def choice_list(self) -> bool:
        """Whether the value is a list of checkboxes (``QuickCheckboxList``)."""
        return isinstance(self.fields["value"].widget, QuickCheckboxList)

    def show_errors(self) -> None:
        """Show the row's errors (after Save): each value field in error is
        marked invalid; Django then marks it ``aria-invalid`` and describes
        it by its message (``{id}_error``, ``_condition_errors.html``)."""
        self.errors_shown = True
        for name in ("value", "value_to"):
            if self[name].errors or (name == "value" and self.non_field_errors()):
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                widget.attrs["class"] = f"{css} is-invalid".strip()
                if not self[name].errors:  # a rule error of the row: its value
                    widget.attrs["aria-invalid"] = "true"
                    widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    @property
    def needs_value_to(self) -> bool:
        return self.choice.operator is not None and (
            self.choice.operator.arity is Arity.PAIR
        )

    def _parse_scalar(self, text: Any, field: str) -> Any:
        """Read one typed value; numbers as ``customers.numbers`` allows.

        Amounts stay exact (``Decimal``) for the rules to check; their shape
        and size are checked before any conversion, so ``1e999999999`` costs
        no more than ``10``.
        """
        attribute, operator = self.choice.attribute, self.choice.operator
        if isinstance(text, list):
            text = text[0] if text else ""
        text = (text or "").strip()
        if not text:
            if attribute.type in {ValueType.CHOICE, ValueType.BOOLEAN}:
                raise ValidationError({field: ConditionError.CHOICE_MISSING.error()})
            raise ValidationError({field: ConditionError.VALUE_MISSING.error()})
        if attribute.type is ValueType.INTEGER or operator.arity is Arity.DAYS:
            try:
                return int_from_text(text)
            except NumberError:
                raise ValidationError(
                    {field: ConditionError.NOT_WHOLE_NUMBER.error()}
                ) from None
        if attribute.type is ValueType.DECIMAL:
            try:
                return decimal_from_text(text)
            except NumberError:
                raise ValidationError(
                    {field: ConditionError.NOT_AMOUNT.error()}
                ) from None
        if attribute.type is ValueType.BOOLEAN:
            return text == "true"
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        attribute, operator = self.choice.attribute, self.choice.operator
        raw = cleaned.get("value")
        if operator.arity is Arity.LIST:
            items = raw if isinstance(raw, list) else LIST_SEPARATORS.split(raw or "")
            items = [item.strip() for item in items if item and item.strip()]
            if not items:
                raise ValidationError({"value": ConditionError.NO_LIST_VALUES.error()})
            value: Any = items
        elif operator.arity is Arity.PAIR:
            value = [
                self._parse_scalar(raw, "value"),
                self._parse_scalar(cleaned.get("value_to"), "value_to"),
            ]
        else:
            value = self._parse_scalar(raw, "value")
        cleaned["condition"] = {
            "attribute": attribute.key,
            "operator": operator.key,
            "value": value,
        }
        return cleaned


class BaseConditionFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index: int) -> dict[str, Any]:
        # Every row must be filled in: a row the partner has not touched is
        # an incomplete filter, not an empty extra form to skip.
        return {"empty_permitted": False}

    def clean(self) -> None:
        if not self.forms:
            raise ConditionError.NO_CONDITIONS.error()


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=0,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)
