"""Targeted offer pages: the apps, an app's offers, create, edit, delete."""

import re

import pytest
from django.urls import reverse

from engagement.models import Segment
from targeting.models import Offer, OfferTracking
from targeting.services.offers import offer_conversion_record
from tests.factories import PartnerMembershipFactory
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db

APPS = reverse("targeting:offer_apps")


@pytest.fixture
def segment(app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30"):
        spender(app, spend)
    return computed_segment(app)


@pytest.fixture
def made(segment):
    return offer(segment)


def post_data(segment, **changes):
    return {
        "name": "Spring discount",
        "offer_type": "discount",
        "addon_product_id": "9nblggh4r315",
        "segment": segment.pk,
        **changes,
    }


def urls(made):
    return [
        reverse("targeting:offer_list", args=[made.app_id]),
        reverse("targeting:offer_create", args=[made.app_id]),
        reverse("targeting:offer_edit", args=[made.pk]),
        reverse("targeting:offer_delete", args=[made.pk]),
    ]


def test_the_apps_page_counts_each_apps_offers(editor_client, made, app):
    html = editor_client.get(APPS).content.decode()
    assert reverse("targeting:offer_list", args=[app.pk]) in html
    assert re.search(r"Contoso Racer</a></td>\s*<td[^>]*>1</td>", html)


def test_an_apps_offers_show_their_segment_and_conversions(editor_client, made):
    offer_conversion_record(
        tracking_id=OfferTracking.objects.get().tracking_id,
        addon_product_id="9NBLGGH4R315",
    )
    html = editor_client.get(urls(made)[0]).content.decode()
    row = html[html.index(f'id="offer-{made.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Spring discount" in row and "9NBLGGH4R315" in row and "Discount" in row
    assert made.segment.get_absolute_url() in row
    assert '<td data-label="Conversions">1</td>' in row
    assert "reaches no one" not in row


def test_an_offer_whose_segment_is_not_active_is_warned_about(editor_client, made):
    Segment.objects.filter(pk=made.segment_id).update(status=Segment.Status.FAILED)
    for url in urls(made)[0], urls(made)[2]:
        assert "reaches no one" in editor_client.get(url).content.decode()


def test_creating_an_offer_saves_it_and_goes_back_to_the_list(
    editor_client, segment, app
):
    response = editor_client.post(
        reverse("targeting:offer_create", args=[app.pk]), post_data(segment)
    )
    assert response.status_code == 302
    assert response.url == reverse("targeting:offer_list", args=[app.pk])
    assert Offer.objects.get().addon_product_id == "9NBLGGH4R315"


def test_a_taken_type_and_add_on_is_reported_on_the_add_on_field(
    editor_client, made, app
):
    response = editor_client.post(
        reverse("targeting:offer_create", args=[app.pk]),
        post_data(made.segment, name="Another"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()["addon_product_id"]] == [
        "offer_type_addon_taken"
    ]
    assert "already has an offer of this type for this add-on" in (
        response.content.decode()
    )


def test_only_active_segments_of_the_app_are_offered_and_accepted(
    editor_client, segment, app, partner
):
    failed = computed_segment(app, name="Failed one")
    Segment.objects.filter(pk=failed.pk).update(status=Segment.Status.FAILED)
    url = reverse("targeting:offer_create", args=[app.pk])
    choices = editor_client.get(url).context["form"].fields["segment"].queryset
    assert list(choices) == [segment]
    response = editor_client.post(url, post_data(failed))
    assert response.status_code == 400
    assert "segment" in response.context["form"].errors
    assert not Offer.objects.exists()


def test_editing_keeps_a_segment_that_is_no_longer_active(editor_client, made):
    Segment.objects.filter(pk=made.segment_id).update(status=Segment.Status.INACTIVE)
    url = reverse("targeting:offer_edit", args=[made.pk])
    assert editor_client.get(url).context["form"].initial["segment"] == made.segment_id
    response = editor_client.post(
        url, post_data(made.segment, name="Renamed", offer_type="bundle")
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.name, made.offer_type) == ("Renamed", "bundle")


def test_delete_asks_for_confirmation_then_deletes(editor_client, made):
    url = reverse("targeting:offer_delete", args=[made.pk])
    assert "cannot be undone" in editor_client.get(url).content.decode()
    response = editor_client.post(url)
    assert response.url == reverse("targeting:offer_list", args=[made.app_id])
    assert not Offer.objects.exists()


def test_another_partners_offers_and_apps_are_404(client, made, other_partner):
    client.force_login(PartnerMembershipFactory(partner=other_partner).user)
    for url in urls(made):
        assert client.get(url).status_code == 404
        assert client.post(url, post_data(made.segment)).status_code == 404
    assert "Contoso Racer" not in client.get(APPS).content.decode()
    assert Offer.objects.get() == made


def test_viewers_read_offers_but_cannot_change_them(viewer_client, made):
    listing, create, edit, delete = urls(made)
    html = viewer_client.get(listing).content.decode()
    assert "Spring discount" in html
    assert create not in html and edit not in html and delete not in html
    assert viewer_client.get(edit).status_code == 403
    assert viewer_client.get(create).status_code == 403
    for url in create, edit, delete:
        assert viewer_client.post(url, post_data(made.segment)).status_code == 403
    assert Offer.objects.get().name == "Spring discount"


def test_the_offer_pages_are_in_french(editor_client, made):
    html = editor_client.get(urls(made)[0], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Offres ciblées" in html
    assert "Remise" in html and "Nouvelle offre" in html
