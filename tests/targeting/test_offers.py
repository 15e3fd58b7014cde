"""Targeted offers: the rules of saving one (product.md §6.1, §6.4)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from engagement.errors import SegmentError
from engagement.models import Segment
from engagement.services.segments import segment_create, segment_delete, segment_update
from targeting.errors import OfferError
from targeting.models import Offer, OfferTracking
from targeting.services.offers import offer_create, offer_delete, offer_update
from tests.factories import AppFactory
from tests.targeting.offer_helpers import (
    computed_segment,
    offer,
    spend_over,
    spender,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30", "40"):
        spender(app, spend)
    return computed_segment(app)


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def test_an_offer_is_saved_with_its_add_on_in_capitals_and_a_tracking_id(segment):
    made = offer(segment, addon=" 9nblggh4r315 ")
    assert made.addon_product_id == "9NBLGGH4R315"
    assert OfferTracking.objects.filter(segment=segment, app=segment.app).count() == 1
    assert str(made) == "offer Spring discount of Contoso Racer"


def test_the_same_offer_type_for_the_same_add_on_is_refused(segment):
    offer(segment)
    with pytest.raises(ValidationError) as caught:
        offer(segment, name="Another discount")
    assert codes(caught.value) == {"addon_product_id": [OfferError.TYPE_ADDON_TAKEN]}


def test_the_same_type_with_another_add_on_and_one_add_on_with_other_types_are_ok(
    segment,
):
    offer(segment)
    offer(segment, name="Second discount", addon="9NBLGGH4R316")
    offer(segment, name="Bundle it", offer_type="bundle")
    offer(segment, name="Reward it", offer_type="reward", addon="9nblggh4r315")
    assert Offer.objects.filter(addon_product_id="9NBLGGH4R315").count() == 3


def test_the_name_is_unique_within_the_app_whatever_its_case(segment, partner):
    offer(segment)
    with pytest.raises(ValidationError) as caught:
        offer(segment, name="SPRING DISCOUNT", addon="9NBLGGH4R316")
    assert codes(caught.value) == {"name": [OfferError.NAME_TAKEN]}
    other_app = AppFactory(partner=partner)
    spender(other_app, "20")
    spender(other_app, "30")
    offer(computed_segment(other_app, name="Other spenders"))  # another app: ok


def test_a_concurrent_save_that_takes_the_type_and_add_on_first_is_reported(
    segment, monkeypatch
):
    """The check before saving passed; the database constraint decides."""
    offer(segment)
    monkeypatch.setattr(Offer, "validate_constraints", lambda self, exclude=None: None)
    with pytest.raises(ValidationError) as caught:
        offer(segment, name="Another discount")
    assert codes(caught.value) == {"addon_product_id": [OfferError.TYPE_ADDON_TAKEN]}
    with pytest.raises(ValidationError) as caught:
        offer(segment, name="spring Discount", addon="9NBLGGH4R316")
    assert codes(caught.value) == {"name": [OfferError.NAME_TAKEN]}


@pytest.mark.parametrize(
    "addon", ["9NBLGGH4R31", "9NBLGGH4R3155", "9NBLGGH4R31-", "9NBLGGH4R31É", ""]
)
def test_an_add_on_is_12_letters_and_digits(segment, addon):
    with pytest.raises(ValidationError) as caught:
        offer(segment, addon=addon)
    assert list(codes(caught.value)) == ["addon_product_id"]


@pytest.mark.parametrize(
    "addon", ["9nblggh4r315", "9NBLGGH4R31-", "9NBLGGH4R31", "9NBLGGH4R315\n"]
)
def test_the_database_refuses_an_add_on_that_is_not_a_product_id(segment, addon):
    # PostgreSQL's varchar(12) refuses 13 characters before the checks do.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Offer.objects.bulk_create(
            [
                Offer(
                    app=segment.app,
                    name="Raw",
                    offer_type="discount",
                    addon_product_id=addon,
                    segment=segment,
                )
            ]
        )


def test_the_database_refuses_an_unknown_offer_type(segment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer(segment).pk).update(offer_type="coupon")


def test_a_segment_not_yet_computed_is_refused(app, partner):
    new = segment_create(
        partner=partner, app=app, name="New", definition=spend_over(1), user=None
    )
    assert new.status == Segment.Status.NEW
    with pytest.raises(ValidationError) as caught:
        offer(new)
    assert codes(caught.value) == {"segment": [OfferError.SEGMENT_NOT_ACTIVE]}


@pytest.mark.parametrize("status", [Segment.Status.FAILED, Segment.Status.INACTIVE])
def test_a_failed_or_inactive_segment_is_refused(segment, status):
    Segment.objects.filter(pk=segment.pk).update(status=status)
    segment.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        offer(segment)
    assert codes(caught.value) == {"segment": [OfferError.SEGMENT_NOT_ACTIVE]}


def test_a_small_segment_is_refused_even_before_its_status_says_so(segment, settings):
    settings.SEGMENT_MIN_SIZE = 4  # raised since the segment was computed
    with pytest.raises(ValidationError) as caught:
        offer(segment)
    assert codes(caught.value) == {"segment": [OfferError.SEGMENT_NOT_ACTIVE]}


def test_a_segment_of_another_app_is_refused(segment, partner, other_app):
    for app in (AppFactory(partner=partner), other_app):
        with pytest.raises(ValidationError) as caught:
            offer_create(
                app=app,
                name="Foreign",
                offer_type="discount",
                addon_product_id="9NBLGGH4R315",
                segment=segment,
            )
        assert codes(caught.value) == {"segment": [OfferError.FOREIGN_SEGMENT]}
    assert not Offer.objects.exists()


def test_an_offer_keeps_its_segment_when_inactive_but_cannot_move_to_one(
    segment, app, settings
):
    made = offer(segment)
    other = computed_segment(app, name="Big spenders", over=25)
    Segment.objects.filter(pk__in=[segment.pk, other.pk]).update(
        status=Segment.Status.FAILED
    )
    made.refresh_from_db()
    offer_update(
        offer=made,
        name="Renamed",
        offer_type="bundle",
        addon_product_id="9NBLGGH4R316",
        segment=made.segment,
    )
    other.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        offer_update(
            offer=made,
            name="Renamed",
            offer_type="bundle",
            addon_product_id="9NBLGGH4R316",
            segment=other,
        )
    assert codes(caught.value) == {"segment": [OfferError.SEGMENT_NOT_ACTIVE]}


def test_moving_an_offer_to_another_segment_gives_that_segment_a_tracking_id(
    segment, app
):
    made = offer(segment)
    other = computed_segment(app, name="Big spenders", over=25)
    offer_update(
        offer=made,
        name=made.name,
        offer_type=made.offer_type,
        addon_product_id=made.addon_product_id,
        segment=other,
    )
    assert set(OfferTracking.objects.values_list("segment", flat=True)) == {
        segment.pk,
        other.pk,
    }


def test_a_segment_used_by_an_offer_cannot_be_deleted_until_the_offer_is(segment):
    offer(segment)
    offer(segment, name="Bundle it", offer_type="bundle")
    with pytest.raises(ValidationError) as caught:
        segment_delete(segment=segment, user=None)
    assert caught.value.code == SegmentError.IN_USE
    assert caught.value.messages == [
        "“Spenders” is used by: offer Bundle it of Contoso Racer, "
        "offer Spring discount of Contoso Racer. Remove it from them first."
    ]
    assert Segment.objects.filter(pk=segment.pk).exists()
    for used in Offer.objects.all():
        offer_delete(offer=used)
    segment_delete(segment=segment, user=None)
    assert not Segment.objects.exists()
    assert not OfferTracking.objects.exists()


def test_a_segment_used_by_an_offer_cannot_move_to_another_app(segment, partner):
    made = offer(segment)
    other_app = AppFactory(partner=partner)
    with pytest.raises(ValidationError) as caught:
        segment_update(
            segment=segment,
            app=other_app,
            name=segment.name,
            definition=segment.definition,
            user=None,
        )
    assert codes(caught.value) == {"app": [SegmentError.IN_USE]}
    segment.refresh_from_db()
    assert segment.app_id == made.app_id
    segment_update(  # a rename is fine
        segment=segment,
        app=segment.app,
        name="Renamed",
        definition=segment.definition,
        user=None,
    )
    offer_delete(offer=made)
    segment_update(
        segment=segment,
        app=other_app,
        name=segment.name,
        definition=segment.definition,
        user=None,
    )
    assert Segment.objects.get().app_id == other_app.pk


def test_a_taken_name_and_a_taken_type_and_add_on_are_both_reported(segment):
    offer(segment)
    with pytest.raises(ValidationError) as caught:
        offer(segment, name="spring discount")
    assert codes(caught.value) == {
        "name": [OfferError.NAME_TAKEN],
        "addon_product_id": [OfferError.TYPE_ADDON_TAKEN],
    }
