"""Support admin of offers: read-only, with conversion counts."""

import pytest
from django.contrib import admin
from django.urls import reverse

from targeting.models import Offer, OfferConversion, OfferTracking
from targeting.services.offers import offer_conversion_record
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db


@pytest.fixture
def converted(app, settings):
    settings.SEGMENT_MIN_SIZE = 1
    customer = spender(app, "20")
    made = offer(computed_segment(app))
    offer_conversion_record(
        tracking_id=OfferTracking.objects.get().tracking_id,
        addon_product_id=made.addon_product_id,
        customer=customer,
        purchase_reference="order-42",
    )
    return made


def test_support_sees_offers_with_their_conversions_and_each_conversion(
    admin_client, converted
):
    html = admin_client.get(reverse("admin:targeting_offer_changelist")).content
    assert b"Spring discount" in html
    assert b'<td class="field-conversions">1</td>' in html
    page = admin_client.get(
        reverse("admin:targeting_offer_change", args=[converted.pk])
    )
    assert page.status_code == 200
    conversion = OfferConversion.objects.get()
    assert (
        b"order-42"
        in admin_client.get(
            reverse("admin:targeting_offerconversion_changelist")
        ).content
    )
    assert (
        admin_client.get(
            reverse("admin:targeting_offerconversion_change", args=[conversion.pk])
        ).status_code
        == 200
    )


@pytest.mark.parametrize("model", [Offer, OfferConversion])
def test_offers_and_conversions_are_read_only_in_the_admin(model, rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
