"""Read use cases of targeted offers: an app's offers with their conversions,
and the offers one customer gets (product.md §6.4)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from customers.models import App, Customer, Partner
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


def offer_list(*, partner: Partner, app: App | None = None) -> QuerySet[Offer]:
    """Return the partner's offers (of ``app`` only, if given) by name, with
    their app, segment and conversions."""
    offers = Offer.objects.filter(app__partner=partner)
    if app is not None:
        offers = offers.filter(app=app)
    return offer_annotate_conversions(offers.select_related("app", "segment"))


def offer_app_list(*, partner: Partner) -> QuerySet[App]:
    """Return the partner's apps by name, each with its ``offer_count``."""
    return (
        App.objects.for_partner(partner)
        .annotate(offer_count=Count("offers"))
        .order_by("name")
    )


def offer_segment_choices(
    *, app: App, current: Segment | None = None
) -> QuerySet[Segment]:
    """Return the segments an offer of ``app`` may use, by name: the active
    ones, and the one it has (``current``) whatever its status."""
    usable = Segment.active_q()
    if current is not None:
        usable |= Q(pk=current.pk)
    return Segment.objects.filter(usable, app=app).order_by("name")


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
            Segment.active_q("segment__"),
            app=app,
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
