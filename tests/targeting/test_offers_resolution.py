"""Which offers a customer gets, in the Store's shape, and the conversions
reported back (product.md §6.4)."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from engagement.models import Segment
from targeting.errors import OfferError
from targeting.models import OfferConversion, OfferTracking
from targeting.selectors.offers import offer_list, offers_for_customer
from targeting.services.offers import offer_conversion_record, offer_delete
from tests.factories import AppFactory
from tests.targeting.offer_helpers import computed_segment, offer, recompute, spender

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(app, settings):
    """Three spenders: 20, 30 and 40 dollars."""
    settings.SEGMENT_MIN_SIZE = 2
    return [spender(app, spend) for spend in ("20", "30", "40")]


def tracking_id(segment) -> str:
    return str(OfferTracking.objects.get(segment=segment).tracking_id)


def test_one_entry_per_segment_of_the_customer_that_has_offers(app, customers):
    spenders = computed_segment(app, name="Spenders", over=10)  # all three
    big = computed_segment(app, name="Big spenders", over=25)  # 30 and 40
    computed_segment(app, name="No offers", over=1)  # all three, no offers
    offer(spenders, name="Discount", addon="9NBLGGH4R316")
    offer(spenders, name="Bundle", offer_type="bundle", addon="9NBLGGH4R315")
    offer(spenders, name="Reward", offer_type="reward", addon="9NBLGGH4R315")
    offer(big, name="Upgrade", offer_type="upgrade", addon="9NBLGGH4R317")
    low, high = customers[0], customers[2]

    assert offers_for_customer(app=app, customer=low) == [
        {
            "offers": ["9NBLGGH4R315", "9NBLGGH4R316"],
            "trackingId": tracking_id(spenders),
        }
    ]
    assert offers_for_customer(app=app, customer=high) == [
        {
            "offers": ["9NBLGGH4R315", "9NBLGGH4R316"],
            "trackingId": tracking_id(spenders),
        },
        {"offers": ["9NBLGGH4R317"], "trackingId": tracking_id(big)},
    ]
    assert offers_for_customer(app=app, customer=spender(app, "5")) == []


def test_the_tracking_id_is_stable_for_a_segment_and_app(app, customers):
    segment = computed_segment(app)
    first = offer(segment)
    [entry] = offers_for_customer(app=app, customer=customers[0])
    offer_delete(offer=first)
    offer(segment, name="Again", offer_type="bundle")
    recompute(segment)
    assert offers_for_customer(app=app, customer=customers[1]) == [
        {"offers": ["9NBLGGH4R315"], "trackingId": entry["trackingId"]}
    ]
    assert uuid.UUID(entry["trackingId"])


def test_another_app_of_the_customer_gets_nothing_from_this_apps_segments(
    app, customers, partner
):
    offer(computed_segment(app))
    assert (
        offers_for_customer(app=AppFactory(partner=partner), customer=customers[0])
        == []
    )


@pytest.mark.parametrize("status", [Segment.Status.FAILED, Segment.Status.NEW])
def test_a_failed_or_recomputing_from_scratch_segment_resolves_to_nothing(
    app, customers, status
):
    segment = computed_segment(app)
    offer(segment)
    Segment.objects.filter(pk=segment.pk).update(status=status)
    assert offers_for_customer(app=app, customer=customers[0]) == []


def test_a_segment_that_became_small_resolves_to_nothing_until_active_again(
    app, customers, settings
):
    segment = computed_segment(app)
    offer(segment)
    settings.SEGMENT_MIN_SIZE = 4
    assert offers_for_customer(app=app, customer=customers[0]) == []  # Small now
    assert recompute(segment).status == Segment.Status.INACTIVE
    assert offers_for_customer(app=app, customer=customers[0]) == []
    spender(app, "50")
    assert recompute(segment).status == Segment.Status.ACTIVE
    assert offers_for_customer(app=app, customer=customers[0]) != []


def test_membership_follows_the_recompute(app, customers):
    segment = computed_segment(app, over=25)
    offer(segment)
    low = customers[0]
    assert offers_for_customer(app=app, customer=low) == []
    low.store_spend = 99
    low.save()
    recompute(segment)
    assert offers_for_customer(app=app, customer=low) == [
        {"offers": ["9NBLGGH4R315"], "trackingId": tracking_id(segment)}
    ]


@pytest.mark.parametrize("segments, per_segment", [(1, 1), (5, 4)])
def test_resolution_takes_one_query_whatever_the_number_of_offers(
    app, customers, django_assert_num_queries, segments, per_segment
):
    for s in range(segments):
        segment = computed_segment(app, name=f"Spenders {s}", over=s)
        for o in range(per_segment):
            offer(segment, name=f"Offer {s}-{o}", addon=f"9NBLGGH4R{s}{o:02d}")
    with django_assert_num_queries(1):
        result = offers_for_customer(app=app, customer=customers[0])
    assert sum(len(entry["offers"]) for entry in result) == segments * per_segment


def test_a_conversion_counts_for_the_offers_of_its_add_on_and_tracking_id(
    app, customers
):
    spenders = computed_segment(app, name="Spenders", over=10)
    big = computed_segment(app, name="Big spenders", over=25)
    discount = offer(spenders, name="Discount")
    bundle = offer(spenders, name="Bundle", offer_type="bundle", addon="9NBLGGH4R316")
    upgrade = offer(big, name="Upgrade", offer_type="upgrade")
    when = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    conversion, _created = offer_conversion_record(
        tracking_id=tracking_id(spenders),
        addon_product_id="9nblggh4r315",
        customer=customers[0],
        occurred_at=when,
        purchase_reference="order-1",
    )
    assert (conversion.addon_product_id, conversion.occurred_at) == (
        "9NBLGGH4R315",
        when,
    )
    offer_conversion_record(
        tracking_id=uuid.UUID(tracking_id(spenders)), addon_product_id="9NBLGGH4R315"
    )
    offer_conversion_record(
        tracking_id=tracking_id(big), addon_product_id="9NBLGGH4R315"
    )
    counts = {
        o.pk: o.conversion_count for o in offer_list(partner=app.partner, app=app)
    }
    assert counts == {discount.pk: 2, bundle.pk: 0, upgrade.pk: 1}


def test_the_offers_list_counts_conversions_in_one_query(
    app, customers, django_assert_num_queries
):
    segment = computed_segment(app)
    for o in range(5):
        offer(segment, name=f"Offer {o}", addon=f"9NBLGGH4R3{o:02d}")
        offer_conversion_record(
            tracking_id=tracking_id(segment), addon_product_id=f"9NBLGGH4R3{o:02d}"
        )
    with django_assert_num_queries(1):
        listed = [
            (o.segment.name, o.conversion_count)
            for o in offer_list(partner=app.partner, app=app)
        ]
    assert listed == [("Spenders", 1)] * 5


@pytest.mark.parametrize("reported", ["not-a-uuid", str(uuid.uuid4())])
def test_an_unknown_tracking_id_is_refused(app, customers, reported):
    offer(computed_segment(app))
    with pytest.raises(ValidationError) as caught:
        offer_conversion_record(tracking_id=reported, addon_product_id="9NBLGGH4R315")
    assert caught.value.error_dict["tracking_id"][0].code == (
        OfferError.UNKNOWN_TRACKING_ID
    )
    assert not OfferConversion.objects.exists()


def test_an_add_on_not_offered_under_the_tracking_id_is_refused(app, customers):
    segment = computed_segment(app)
    offer(segment)
    with pytest.raises(ValidationError) as caught:
        offer_conversion_record(
            tracking_id=tracking_id(segment), addon_product_id="9NBLGGH4R399"
        )
    assert caught.value.error_dict["addon_product_id"][0].code == (
        OfferError.UNKNOWN_ADDON
    )


def test_the_segment_page_names_the_offers_that_keep_it_from_being_deleted(
    editor_client, app, customers
):
    segment = computed_segment(app)
    offer(segment)
    response = editor_client.post(
        reverse("engagement:segment_delete", args=[segment.pk]), follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == segment.get_absolute_url()
    assert (
        "is used by: offer Spring discount of Contoso Racer. Remove it from them first."
        in html
    )
    assert Segment.objects.filter(pk=segment.pk).exists()
