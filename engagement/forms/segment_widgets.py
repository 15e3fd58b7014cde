"""The widgets of the segment editor's rows, each rendered in one pass of Python.

Django renders each option of a select through its own template, about
0.1 ms an option: the largest definition (400 filters, each a list of the 249
markets) took 14 s of CPU to show. These render with one ``format_html`` an
option.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


class _QuickOptionsMixin:
    """Render a select's options in one pass of Python (see the module)."""

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


# A list of more choices than this gets a box that filters it as you type.
FILTERED_LIST_MIN = 12


class QuickCheckboxList(forms.CheckboxSelectMultiple):
    """The values of "is any of" / "is none of": a list of checkboxes.

    Anyone can choose several with the keyboard (Tab, Space), no Ctrl-click.
    It posts what a multiple select posts (the field's name once per chosen
    value). A long list (the 249 markets) scrolls, under a box that filters
    it (``static/js/segment-editor.js``; the box has no name, so it is never
    posted); the values chosen are listed below it. Rendered in one pass of
    Python, as ``_QuickOptionsMixin``.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        final_attrs = self.build_attrs(self.attrs, attrs)
        base_id = final_attrs.get("id") or f"id_{name}"
        chosen_values = set(self.format_value(value))
        boxes = format_html_join(
            "",
            '<div class="form-check"><input class="form-check-input" type="checkbox"'
            ' name="{}" value="{}" id="{}_{}"{}>'
            '<label class="form-check-label" for="{}_{}">{}</label></div>',
            (
                (
                    name,
                    key,
                    base_id,
                    number,
                    mark_safe(" checked") if str(key) in chosen_values else "",
                    base_id,
                    number,
                    label,
                )
                for number, (key, label) in enumerate(self.choices)
            ),
        )
        chosen = [
            str(label) for key, label in self.choices if str(key) in chosen_values
        ]
        summary = (
            _("Chosen: %(values)s") % {"values": ", ".join(chosen)}
            if chosen
            else _("Nothing chosen yet.")
        )
        search = ""
        if len(self.choices) > FILTERED_LIST_MIN:
            search = format_html(
                '<input type="search" class="form-control form-control-sm mb-1'
                ' condition-choices-filter" aria-label="{}" placeholder="{}"'
                ' aria-controls="{}-list" autocomplete="off">',
                _("Filter the values"),
                _("Filter…"),
                base_id,
            )
        invalid = final_attrs.get("aria-invalid")
        described = f"{base_id}-chosen" + (f" {base_id}_error" if invalid else "")
        return format_html(
            '<div class="condition-choices{}" role="group" id="{}"'
            ' aria-labelledby="{}-label" aria-describedby="{}"{}>{}'
            '<div class="condition-choices-list border rounded px-2 py-1"'
            ' id="{}-list">{}</div>'
            '<div class="small text-body-secondary condition-choices-chosen"'
            ' id="{}-chosen" data-empty="{}" data-chosen="{}">{}</div></div>',
            " is-invalid" if invalid else "",
            base_id,
            base_id,
            described,
            mark_safe(' aria-invalid="true"') if invalid else "",
            search,
            base_id,
            boxes,
            base_id,
            _("Nothing chosen yet."),
            _("Chosen: %(values)s"),
            summary,
        )

    def id_for_label(self, id_, index=None):
        # The first checkbox: where a link to the field (the error summary) goes.
        return f"{id_}_0" if id_ else id_
