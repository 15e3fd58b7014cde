"""Filters of the customer groups table (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.models import App
from engagement.models import CustomerGroup, GroupKind, SegmentStatus


class CustomerGroupFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=GroupKind.choices, empty_label=_("All kinds")
    )
    app = django_filters.ModelChoiceFilter(
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

    class Meta:
        model = CustomerGroup
        fields = ["kind", "app", "status"]

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["app"].queryset = App.objects.for_partner(partner)
