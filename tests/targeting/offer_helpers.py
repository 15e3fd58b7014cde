"""Computed segments and offers for the offer tests."""

from decimal import Decimal

from engagement.models import Segment
from engagement.services import membership
from engagement.services.segments import segment_create
from targeting.services.offers import offer_create
from tests.factories import AppCustomerFactory, CustomerFactory


def spend_over(amount: int) -> dict:
    """A definition: Store spend over ``amount``."""
    return {
        "version": 1,
        "any": [
            {"all": [{"attribute": "store_spend", "operator": "gt", "value": amount}]}
        ],
    }


def spender(app, spend):
    """A customer of ``app`` who spent ``spend`` in the Store."""
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(store_spend=Decimal(spend))
    ).customer


def recompute(segment: Segment) -> Segment:
    """Compute the segment's membership now, as its task would."""
    version = membership.segment_request_recompute(
        segment=segment, trigger="support", enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    segment.refresh_from_db()
    return segment


def computed_segment(app, name="Spenders", over=10, user=None) -> Segment:
    """A segment of ``app`` (Store spend over ``over``), computed."""
    segment = segment_create(
        partner=app.partner,
        app=app,
        name=name,
        definition=spend_over(over),
        user=user,
        enqueue=False,
    )
    return recompute(segment)


def offer(segment, name="Spring discount", offer_type="discount", addon="9NBLGGH4R315"):
    """An offer of ``addon`` to ``segment``, made by the service."""
    return offer_create(
        app=segment.app,
        name=name,
        offer_type=offer_type,
        addon_product_id=addon,
        segment=segment,
    )
