"""A group's page lists its uses (product.md §6.1), asked through a setting."""

import pytest
from django.urls import reverse

from engagement.selectors.uses import customer_group_use_list
from engagement.services.known_user_groups import known_user_group_create
from targeting.services.audience import audience_make_public, audience_set_private
from targeting.services.flights import flight_create
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30"):
        spender(app, spend)
    return computed_segment(app)


def test_a_segments_page_lists_its_offers_with_links(editor_client, segment):
    made = offer(segment)
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert 'id="group-uses"' in html
    assert reverse("targeting:offer_edit", args=[made.pk]) in html
    assert "Spring discount" in html
    assert "target no one" not in html


def test_a_used_segment_that_is_no_longer_active_warns(
    editor_client, segment, settings
):
    offer(segment)
    settings.SEGMENT_MIN_SIZE = 100  # the segment is now Small
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert "these uses target no one until it is active again" in html


def test_an_unused_group_says_so(editor_client, partner, editor):
    group = known_user_group_create(
        partner=partner, name="Testers", addresses=["a@example.com"], user=editor
    )
    html = editor_client.get(
        reverse("engagement:known_user_group_detail", args=[group.pk])
    ).content.decode()
    assert "Nothing uses this group yet." in html


def test_the_uses_come_from_the_callables_the_setting_names(segment, settings):
    offer(segment)
    assert [use.name for use in customer_group_use_list(group=segment)] == [
        "Spring discount"
    ]
    settings.CUSTOMER_GROUP_USES = []
    assert customer_group_use_list(group=segment) == []


def test_a_poll_that_finds_nothing_new_does_not_ask_for_uses(
    editor_client, segment, settings
):
    """The segment page's live region holds "Used by" (its warning follows the
    status), so only a poll that brings a change asks for the uses."""
    import re

    html = editor_client.get(segment.get_absolute_url()).content.decode()
    state = re.search(r'data-state="([^"]+)"', html).group(1)
    settings.CUSTOMER_GROUP_USES = ["tests.targeting.test_group_uses.explode"]
    response = editor_client.get(
        segment.get_absolute_url(),
        {"state": state},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="segment-live",
    )
    assert response.status_code == 204


def explode(*, group):
    raise AssertionError("the status poll asked for the uses")


def test_a_known_user_groups_page_lists_its_flights_and_private_audiences(
    editor_client, partner, app, editor
):
    group = known_user_group_create(
        partner=partner, name="Testers", addresses=["a@example.com"], user=editor
    )
    beta = flight_create(app=app, name="Beta ring", groups=[group], version="1.0.0.0")
    audience_set_private(app=app, groups=[group])
    html = editor_client.get(
        reverse("engagement:known_user_group_detail", args=[group.pk])
    ).content.decode()
    assert reverse("targeting:flight_edit", args=[beta.pk]) in html
    assert "Package flight" in html
    assert "Beta ring" in html
    assert reverse("targeting:app_audience", args=[app.pk]) in html
    assert "Private audience" in html
    audience_make_public(app=app)  # a public audience uses no group
    assert [use.kind for use in customer_group_use_list(group=group)] == [
        "Package flight"
    ]
