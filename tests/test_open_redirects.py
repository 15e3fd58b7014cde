"""No ``next`` parameter can send a user off the site.

Every URL of the project (the admin aside) gets hostile ``next`` values in
the query string and the body; no answer may redirect (``Location``, or
htmx's ``HX-Redirect`` / ``HX-Location``) to another host or scheme.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from customers.scope import SESSION_KEY
from engagement.models import Segment
from tests import url_walk
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = (
    "https://evil.example/phish",
    "//evil.example/x",
    "/\\evil.example/x",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
)
REDIRECT_HEADERS = ("Location", "HX-Redirect", "HX-Location")
ROUTES = sorted(url_walk.routes())


def _leaves_the_site(url: str) -> bool:
    # Browsers drop tabs and line breaks and read "\" as "/" in a URL.
    url = re.sub(r"[\x00-\x20]", "", url).replace("\\", "/")
    parts = urlsplit(url)
    return (
        url.startswith("//")
        or parts.scheme not in {"", "http", "https"}
        or parts.netloc not in {"", "testserver"}
    )


def test_the_check_knows_an_offsite_url_from_a_local_one():
    assert all(_leaves_the_site(url) for url in HOSTILE_NEXT)
    assert not _leaves_the_site("/engage/customer-groups/?page=2")
    assert not _leaves_the_site("http://testserver/engage/")


@pytest.fixture
def ids(partner, app, editor):
    return url_walk.objects_to_walk(partner=partner, app=app, user=editor)


@pytest.fixture
def segment(ids):
    return Segment.objects.get(pk=ids["engagement:segment"])


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _r, name in ROUTES])
def test_no_view_redirects_off_the_site(client, editor, partner, ids, route, name):
    client.force_login(editor)
    client.raise_request_exception = False
    path = url_walk.path_for(route, url_walk.valid_path_values(route, name, ids))
    offsite = []
    for value in HOSTILE_NEXT:
        for method in ("get", "post"):
            # A body that makes the view act: the partner switch needs one.
            data = {"next": value, "partner": partner.pk, "language": "fr"}
            response = url_walk.request_rolled_back(client, method, path, data)
            offsite += [
                f"{method.upper()} {path} next={value}: {header} {response[header]}"
                for header in REDIRECT_HEADERS
                if response.has_header(header) and _leaves_the_site(response[header])
            ]
    assert not offsite, "\n".join(offsite)


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_refresh_ignores_an_offsite_next_and_shows_the_segment(
    editor_client, segment, value
):
    response = editor_client.post(
        reverse("engagement:segment_refresh", args=[segment.pk]), {"next": value}
    )
    assert response.status_code == 302
    assert response.url == segment.get_absolute_url()


def test_refresh_follows_a_next_on_the_site(editor_client, segment):
    groups = reverse("engagement:customer_groups")
    response = editor_client.post(
        reverse("engagement:segment_refresh", args=[segment.pk]), {"next": groups}
    )
    assert response.url == groups


def test_refresh_from_a_secure_page_refuses_a_plain_http_next(editor_client, segment):
    response = editor_client.post(
        reverse("engagement:segment_refresh", args=[segment.pk]),
        {"next": "http://testserver/engage/customer-groups/"},
        secure=True,
    )
    assert response.url == segment.get_absolute_url()


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_partner_switch_ignores_an_offsite_next(editor_client, partner, value):
    response = editor_client.post(
        reverse("partner_switch"), {"partner": partner.pk, "next": value}
    )
    assert response.url == reverse("home")
    assert editor_client.session[SESSION_KEY] == partner.pk


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_signing_in_ignores_an_offsite_next(client, editor, value):
    response = client.post(
        reverse("login"),
        {"username": editor.username, "password": PASSWORD, "next": value},
    )
    assert response.status_code == 302
    assert not _leaves_the_site(response.url)
