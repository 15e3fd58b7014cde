"""Filters of the partner endpoints (django-filter, described in the schema).

A filter sent empty (``?kind=``) is refused rather than read as no filter:
the document gives each one a value to send, and a client that sends none
has made a mistake worth showing.
"""

from __future__ import annotations

import django_filters

from api.errors import ApiError
from engagement.models import CustomerGroup, GroupKind


class GroupFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=GroupKind.choices)
    app = django_filters.CharFilter(
        method="filter_app",
        label="Only the segments of the app with this Store product ID.",
    )

    class Meta:
        model = CustomerGroup
        fields = ["kind", "app"]

    def filter_app(self, queryset, name: str, value: str):
        return queryset.filter(segment__app__store_product_id=value.strip().upper())

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and not self.data.get(name, "").strip():
                self.form.add_error(name, ApiError.BLANK.error())
                valid = False
        return valid
