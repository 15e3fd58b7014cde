"""Filters of the customer groups table (django-filter)."""

import django_filters
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from customers.choices import ReadWholeModelChoiceField
from customers.models import App
from engagement.models import CustomerGroup, GroupKind, SegmentStatus


class GroupOrdering(django_filters.OrderingFilter):
    """Sort by name, size or last computation; groups without a value (a
    segment not computed yet, a known user group's computation) come last
    either way, and the name settles ties so pages never shuffle."""

    # The annotations of ``selectors.groups.group_list`` each sort uses.
    EXPRESSIONS = {"name": Lower("name"), "size": F("size"), "computed": F("computed")}

    def filter(self, qs, value):
        ordering = []
        for param in value or ():
            descending = param.startswith("-")
            field = self.param_map.get(param.lstrip("-"))
            if field is None:
                continue
            expression = self.EXPRESSIONS[field]
            ordering.append(
                expression.desc(nulls_last=True)
                if descending
                else expression.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, Lower("name"), "pk")


class AppFilter(django_filters.ModelChoiceFilter):
    field_class = ReadWholeModelChoiceField


class CustomerGroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search by name"), field_name="name", lookup_expr="icontains"
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=GroupKind.choices, empty_label=_("All kinds")
    )
    app = AppFilter(
        label=_("App"),
        field_name="segment__app",
        queryset=App.objects.none(),
        empty_label=_("All apps"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name="segment__status",
        choices=SegmentStatus.choices,
        empty_label=_("All statuses"),
    )
    sort = GroupOrdering(
        label=_("Sort by"),
        empty_label=None,
        fields=(("name", "name"), ("size", "size"), ("computed", "computed")),
        field_labels={
            "name": _("Name (A to Z)"),
            "-name": _("Name (Z to A)"),
            "size": _("Size (smallest first)"),
            "-size": _("Size (largest first)"),
            "computed": _("Last computed (oldest first)"),
            "-computed": _("Last computed (newest first)"),
        },
    )

    class Meta:
        model = CustomerGroup
        fields = ["q", "kind", "app", "status"]

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["app"].queryset = App.objects.for_partner(partner)
        for name, field in self.form.fields.items():
            if name != "q":
                field.widget.attrs.setdefault("class", "form-select")
