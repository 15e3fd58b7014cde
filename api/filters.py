"""Filters of the partner endpoints (django-filter, described in the schema)."""

from __future__ import annotations

import django_filters

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
