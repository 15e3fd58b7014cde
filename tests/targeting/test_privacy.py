"""No partner page tells whether an identified customer is in a segment
(product.md §6.6 Privacy).

The walk GETs every page of the dashboard (the ``engagement`` and
``targeting`` namespaces and the home page), with and without htmx, signed
in as an editor, with the ids of the partner's own segment, known user
group, app, flight and offer. A customer who is a member of the segment and
listed in none of the partner's known user groups (so the partner never
typed their address) must not appear on any of them; checking that
customer's address on the Package flights page tells nothing about segments
and answers exactly as for an address that is nobody's.
"""

import pytest

from engagement.models import SegmentMembership
from targeting.services.audience import audience_set_private
from targeting.services.flights import flight_create
from tests import url_walk
from tests.targeting.helpers import check_page, group_with
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db

NAMESPACES = ("engagement:", "targeting:")
HTMX = ({}, {"HX-Request": "true"})
# Views that only take POST: a GET is refused before anything is read.
POST_ONLY = {
    "engagement:segment_estimate",
    "engagement:segment_refresh",
    "targeting:flight_move",
}


@pytest.fixture
def secret(app):
    """A big spender of the app: a segment member no known user group lists."""
    return spender(app, "500")


@pytest.fixture
def objects(settings, partner, app, editor, secret):
    """The partner's segment (with ``secret`` a member), a known user group of
    other customers, a flight and a private audience of it, and an offer."""
    settings.SEGMENT_MIN_SIZE = 2
    listed = [spender(app, "50"), spender(app, "60")]
    segment = computed_segment(app, name="Big spenders", user=editor)
    group = group_with(partner, "Beta testers", *listed)
    flight = flight_create(app=app, name="Beta ring", groups=[group], version="1.0.0.0")
    audience_set_private(app=app, groups=[group])
    return {
        "segment": segment,
        "group": group,
        "flight": flight,
        "offer": offer(segment),
    }


def path_values(name: str, route: str, app, objects) -> dict[str, str]:
    """The partner's own object for each parameter of ``route``."""
    by_name = {
        "engagement:segment": objects["segment"],
        "engagement:known_user_group": objects["group"],
        "targeting:flight": objects["flight"],
        "targeting:offer": objects["offer"],
    }
    values = {}
    for parameter in url_walk.path_parameters(route):
        if parameter == "app_pk":
            values[parameter] = str(app.pk)
        else:
            owner = next(prefix for prefix in by_name if name.startswith(f"{prefix}_"))
            values[parameter] = str(by_name[owner].pk)
    return values


def dashboard_paths(app, objects) -> list[tuple[str, str]]:
    return [
        (name, url_walk.path_for(route, path_values(name, route, app, objects)))
        for route, name in sorted(url_walk.routes())
        if name.startswith(NAMESPACES) or name == "home"
    ]


def test_the_segment_member_is_really_in_the_segment(objects, secret):
    assert SegmentMembership.objects.filter(
        segment=objects["segment"], customer=secret
    ).exists()
    assert objects["segment"].status == "active"


def test_no_dashboard_page_shows_a_segment_members_address(
    editor_client, app, objects, secret
):
    paths = dashboard_paths(app, objects)
    assert len(paths) > 25
    shown, refused = [], []
    for name, path in paths:
        for headers in HTMX:
            response = url_walk.request_rolled_back(
                editor_client, "get", path, headers=headers
            )
            expected = {405} if name in POST_ONLY else {200, 302}
            if response.status_code not in expected:
                refused.append(f"{path} {headers}: {response.status_code}")
            content = b"".join(
                response.streaming_content if response.streaming else [response.content]
            )
            if secret.email.encode() in content:
                shown.append(f"{path} {headers}")
    assert refused == []
    assert shown == []


def test_the_pages_show_the_listed_addresses_the_partner_typed(editor_client, objects):
    """The walk can see an address: the group's page lists the ones typed."""
    [address, *_] = objects["group"].addresses.all()
    response = editor_client.get(objects["group"].get_absolute_url())
    assert address.email in response.content.decode()


def test_checking_a_segment_member_tells_nothing_about_segments(
    editor_client, app, objects, secret
):
    html = check_page(editor_client, app, secret.email)
    result = html[html.index('id="customer-check"') :]
    assert "segment" not in result.lower()
    assert objects["segment"].name not in html
    assert "The non-flighted package (#1)" in result
    assert html == check_page(editor_client, app, "nobody@mail.example")
