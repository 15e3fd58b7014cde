"""Viewers are refused edit, delete and import pages on GET too (403, on a
page in the dashboard style that says they can only view); the 404 and 500
pages."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from engagement.services.segments import segment_create
from targeting.services.flights import flight_create
from tests.factories import SPEND_OVER_10, known_user_group
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db

GROUPS = "Viewers cannot change customer groups."
FLIGHTS = "Viewers cannot change package flights or audiences."
OFFERS = "Viewers cannot change offers."


@pytest.fixture
def made(partner, app, editor, settings):
    """A segment, a known user group, a flight and an offer of the partner."""
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30"):
        spender(app, spend)
    active = computed_segment(app)
    segment = segment_create(
        partner=partner,
        app=app,
        name="Big spenders",
        definition=SPEND_OVER_10,
        user=editor,
    )
    group = known_user_group(partner=partner, emails=["ann@mail.example"])
    flight = flight_create(app=app, name="Alpha", groups=[group], version="1.0.0.0")
    return {
        "app": app.pk,
        "segment": segment.pk,
        "group": group.pk,
        "flight": flight.pk,
        "offer": offer(active).pk,
    }


PAGES = [
    ("engagement:segment_create", None, GROUPS),
    ("engagement:segment_edit", "segment", GROUPS),
    ("engagement:segment_duplicate", "segment", GROUPS),
    ("engagement:segment_delete", "segment", GROUPS),
    ("engagement:group_create", None, GROUPS),
    ("engagement:known_user_group_create", None, GROUPS),
    ("engagement:known_user_group_edit", "group", GROUPS),
    ("engagement:known_user_group_import", "group", GROUPS),
    ("targeting:app_flight_create", "app", FLIGHTS),
    ("targeting:flight_edit", "flight", FLIGHTS),
    ("targeting:flight_delete", "flight", FLIGHTS),
    ("targeting:offer_create", "app", OFFERS),
    ("targeting:offer_edit", "offer", OFFERS),
    ("targeting:offer_delete", "offer", OFFERS),
]


@pytest.mark.parametrize(("name", "arg", "refusal"), PAGES)
def test_a_viewer_opening_a_change_page_gets_403_saying_they_can_only_view(
    viewer_client, made, name, arg, refusal
):
    url = reverse(name, args=[made[arg]] if arg else [])
    response = viewer_client.get(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert refusal in html
    assert "You have view-only access" in html
    assert 'id="main-nav"' in html  # the dashboard's frame
    assert f'href="{reverse("home")}"' in html  # a way back
    assert "Contoso Games" in html  # the partner, in the title and top bar


@pytest.mark.parametrize(("name", "arg", "refusal"), PAGES)
def test_an_editor_still_opens_every_change_page(
    editor_client, made, name, arg, refusal
):
    url = reverse(name, args=[made[arg]] if arg else [])
    assert editor_client.get(url).status_code == 200


def test_viewers_still_read_the_pages_that_show_things(viewer_client, made):
    for url in (
        reverse("engagement:segment_detail", args=[made["segment"]]),
        reverse("engagement:known_user_group_detail", args=[made["group"]]),
        reverse("targeting:app_flight_list", args=[made["app"]]),
        reverse("targeting:app_audience", args=[made["app"]]),
        reverse("targeting:offer_list", args=[made["app"]]),
    ):
        assert viewer_client.get(url).status_code == 200, url


def test_viewers_are_not_offered_links_to_pages_they_cannot_open(viewer_client, made):
    for url, refused in (
        (
            reverse("targeting:app_flight_list", args=[made["app"]]),
            reverse("targeting:flight_edit", args=[made["flight"]]),
        ),
        (
            reverse("targeting:offer_list", args=[made["app"]]),
            reverse("targeting:offer_edit", args=[made["offer"]]),
        ),
    ):
        assert refused not in viewer_client.get(url).content.decode()


def test_the_404_page_is_in_the_dashboard_style(editor_client, app):
    response = editor_client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Page not found · Contoso Games · Partner dashboard" in html
    assert 'id="main-nav"' in html
    assert "Contoso Racer" in html  # the partner's apps in the navigation


def test_another_partners_object_is_the_same_404_page(editor_client, other_app):
    url = reverse("targeting:app_flight_list", args=[other_app.pk])
    response = editor_client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_500_page_renders_with_no_context_and_no_database(
    settings, django_assert_num_queries
):
    settings.DEBUG = False
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "Partner dashboard" in html
    assert 'href="/"' in html
    assert "{%" not in html and "{{" not in html
