"""Read use cases of targeted offers: an app's offers with their conversions,
and the offers one customer gets (product.md §6.4)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from customers.models import App, Customer
from engagement.models import Segment
from targeting.models import Offer, OfferConversion, OfferTracking


def offer_annotate_conversions(offers: QuerySet[Offer]) -> QuerySet[Offer]:
    """Return ``offers`` with ``conversion_count``: the purchases of each
    one's add-on reported with its (segment, app)'s tracking ID."""
    conversions = (
        OfferConversion.objects.filter(
            tracking__segment=OuterRef("segment"),
            tracking__app=OuterRef("app"),
            addon_product_id=OuterRef("addon_product_id"),
        )
        .order_by()
        .values("addon_product_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return offers.annotate(
        conversion_count=Coalesce(Subquery(conversions), 0, output_field=IntegerField())
    )


def offer_list(*, app: App) -> QuerySet[Offer]:
    """Return an app's offers by name, with their segment and conversions."""
    return offer_annotate_conversions(
        Offer.objects.filter(app=app).select_related("segment")
    )


def offers_for_customer(*, app: App, customer: Customer) -> list[dict[str, Any]]:
    """Return the offers of ``app`` for ``customer`` in the Store's shape.

    One entry per active segment the customer is a member of that has
    offers of the app: ``{"offers": [add-on product IDs, sorted],
    "trackingId": "<uuid>"}``, ordered by segment. A segment that is new,
    failed or inactive (Small) gives nothing. One query whatever the number
    of segments and offers: the app's offers, each probing the membership
    primary key (segment, customer) and the tracking (segment, app) index.
    """
    tracking = OfferTracking.objects.filter(
        segment=OuterRef("segment"), app=OuterRef("app")
    ).values("tracking_id")[:1]
    rows = (
        Offer.objects.filter(
            app=app,
            segment__status=Segment.Status.ACTIVE,
            segment__member_count__gte=settings.SEGMENT_MIN_SIZE,
            segment__memberships__customer=customer,
        )
        .annotate(tracking_uuid=Subquery(tracking))
        .order_by("segment_id", "addon_product_id")
        .values_list("segment_id", "addon_product_id", "tracking_uuid")
    )
    entries: dict[int, dict[str, Any]] = {}
    for segment_id, addon, tracking_id in rows:
        entry = entries.setdefault(
            segment_id, {"offers": [], "trackingId": str(tracking_id)}
        )
        if addon not in entry["offers"]:
            entry["offers"].append(addon)
    return list(entries.values())
