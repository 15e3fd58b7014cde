"""Read use cases over partners, apps and customers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from customers.columns import EXPORT_COLUMNS, EXPORT_FIELD_PATHS
from customers.models import App, AppCustomer, Partner, PartnerMembership


def partner_membership_list(*, user: AbstractBaseUser) -> QuerySet[PartnerMembership]:
    """The user's partner memberships, by partner name."""
    return PartnerMembership.objects.filter(user=user).select_related("partner")


def app_get_by_store_product_id(*, store_product_id: str) -> App:
    """Raise ``App.DoesNotExist`` when no app has that Store product ID."""
    return App.objects.select_related("partner").get(
        store_product_id=store_product_id.strip().upper()
    )


def app_customer_export_rows(*, app: App) -> QuerySet:
    """The raw stored facts of every customer of ``app``, as value tuples.

    Columns follow ``customers.columns.EXPORT_COLUMNS``; streamed in e-mail order.
    """
    return (
        AppCustomer.objects.filter(app=app)
        .order_by("customer__email")
        .values_list(*(EXPORT_FIELD_PATHS[c] for c in EXPORT_COLUMNS))
    )


def partner_app_list(*, partner: Partner) -> QuerySet[App]:
    """The partner's apps, by name (the dashboard's navigation lists them)."""
    return App.objects.filter(partner=partner).order_by("name", "pk")
