"""The dashboard's frame: left navigation (Engage: Customer groups,
Notifications, Targeted offers; then each app's Package flights and
Audience; then Settings: API tokens), the current page marked, titles `<page> · <partner> · Partner
dashboard`, and the favicon."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from api.services import api_token_create
from customers import navigation
from targeting.services.flights import flight_create
from tests.factories import (
    AppFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db

GROUPS = reverse("engagement:customer_groups")
NOTIFICATIONS = reverse("notifications:notification_apps")
API_TOKENS = reverse("api_settings:token_list")


def nav(html: str) -> str:
    """The left navigation of a page."""
    start = html.index('<nav class="app-nav"')
    return html[start : html.index("</nav>", start)]


def links(html: str) -> list[tuple[str, str, bool]]:
    """(label, href, is the current page) of each navigation link."""
    return [
        (label.strip(), href, bool(current))
        for href, current, label in re.findall(
            r'<a class="nav-link[^"]*" href="([^"]*)"( aria-current="page")?>([^<]*)</a>',
            nav(html),
        )
    ]


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


@pytest.fixture
def apps(partner):
    return [
        AppFactory(partner=partner, name="Contoso Racer"),
        AppFactory(partner=partner, name="Alpine Puzzle"),
    ]


def test_the_navigation_lists_engage_then_each_app_with_flights_and_audience(
    editor_client, apps, other_app
):
    html = editor_client.get(GROUPS).content.decode()
    racer, puzzle = apps
    assert links(html) == [
        ("Customer groups", GROUPS, True),
        ("Notifications", NOTIFICATIONS, False),
        ("Targeted offers", reverse("targeting:offer_apps"), False),
        (
            "Package flights",
            reverse("targeting:app_flight_list", args=[puzzle.pk]),
            False,
        ),
        ("Audience", reverse("targeting:app_audience", args=[puzzle.pk]), False),
        (
            "Package flights",
            reverse("targeting:app_flight_list", args=[racer.pk]),
            False,
        ),
        ("Audience", reverse("targeting:app_audience", args=[racer.pk]), False),
        ("API tokens", API_TOKENS, False),
    ]
    headings = re.findall(r'class="app-nav-heading"[^>]*>([^<]*)<', nav(html))
    assert headings == ["Engage", "Alpine Puzzle", "Contoso Racer", "Settings"]
    assert "Northwind Notes" not in nav(html)  # another partner's app


def test_an_entry_shows_only_once_its_page_exists(editor_client, monkeypatch):
    monkeypatch.setattr(
        navigation,
        "ENGAGE",
        [*navigation.ENGAGE, ("targeting:webhooks", "Webhooks", ("x:",))],
    )
    html = editor_client.get(GROUPS).content.decode()
    labels = [label for label, _href, _current in links(html)]
    assert labels[:3] == ["Customer groups", "Notifications", "Targeted offers"]
    assert "Webhooks" not in nav(html)  # no such page


def test_the_notification_pages_are_under_notifications(editor_client, app):
    html = editor_client.get(NOTIFICATIONS).content.decode()
    assert [(label, href) for label, href, current in links(html) if current] == [
        ("Notifications", NOTIFICATIONS)
    ]
    for name in (
        "notifications:app_notification_list",
        "notifications:notification_create",
        "notifications:app_notification_settings",
    ):
        html = editor_client.get(reverse(name, args=[app.pk])).content.decode()
        assert f'<a class="nav-link active" href="{NOTIFICATIONS}">' in html, name
        assert html.count('class="nav-link active"') == 1, name
        assert 'aria-current="page"' not in nav(html), name


def test_the_api_token_pages_are_under_api_tokens(editor_client, editor, partner):
    token, _secret = api_token_create(
        kind="partner", partner=partner, name="CRM sync", user=editor
    )
    html = editor_client.get(API_TOKENS).content.decode()
    assert [(label, href) for label, href, current in links(html) if current] == [
        ("API tokens", API_TOKENS)
    ]
    for url in (
        reverse("api_settings:token_create"),
        reverse("api_settings:token_revoke", args=[token.pk]),
    ):
        html = editor_client.get(url).content.decode()
        assert f'<a class="nav-link active" href="{API_TOKENS}">' in html, url
        assert html.count('class="nav-link active"') == 1, url
        assert 'aria-current="page"' not in nav(html), url


def test_the_current_page_is_marked_and_its_section_styled_active(
    editor_client, apps, partner
):
    racer, puzzle = apps
    group = known_user_group(partner=partner, emails=["ann@mail.example"])
    flights = reverse("targeting:app_flight_list", args=[racer.pk])
    html = editor_client.get(flights).content.decode()
    assert [(label, href) for label, href, current in links(html) if current] == [
        ("Package flights", flights)
    ]
    assert f'<a class="nav-link active" href="{flights}" aria-current="page">' in html
    # A page under an entry styles it active, without claiming to be it.
    create = reverse("targeting:app_flight_create", args=[racer.pk])
    html = editor_client.get(create).content.decode()
    assert f'<a class="nav-link active" href="{flights}">' in html
    assert 'aria-current="page"' not in nav(html)
    flight = flight_create(app=racer, name="Alpha", groups=[group], version="1.0.0.0")
    for name in ("targeting:flight_edit", "targeting:flight_delete"):
        html = editor_client.get(reverse(name, args=[flight.pk])).content.decode()
        assert f'<a class="nav-link active" href="{flights}">' in html, name
        assert html.count('class="nav-link active"') == 1, name
    offer = reverse("targeting:offer_list", args=[puzzle.pk])
    html = editor_client.get(offer).content.decode()
    offers = reverse("targeting:offer_apps")
    assert f'<a class="nav-link active" href="{offers}">' in html
    assert f'<a class="nav-link" href="{GROUPS}">' in html


def test_the_top_bar_has_the_partner_switcher_language_and_user_menus(editor_client):
    html = editor_client.get(GROUPS).content.decode()
    top = html[html.index("<header") : html.index("</header>")]
    for part in ('id="partner-switcher"', 'id="language-menu"', 'id="user-menu"'):
        assert part in top
    assert "Contoso Games" in top and "editor" in top and "Sign out" in top
    assert 'data-bs-toggle="offcanvas" data-bs-target="#sidebar"' in top
    assert 'class="offcanvas-lg offcanvas-start app-sidebar"' in html


def test_page_titles_name_the_page_the_partner_and_the_dashboard(editor_client, app):
    assert (
        title(editor_client.get(GROUPS).content.decode())
        == "Customer groups · Contoso Games · Partner dashboard"
    )
    url = reverse("targeting:app_flight_list", args=[app.pk])
    assert (
        title(editor_client.get(url).content.decode())
        == "Package flights of Contoso Racer · Contoso Games · Partner dashboard"
    )


def test_the_title_follows_the_partner_switch(client, editor):
    second = PartnerFactory(name="Fabrikam Labs")
    PartnerMembershipFactory(user=editor, partner=second)
    client.force_login(editor)
    client.post(reverse("partner_switch"), {"partner": second.pk})
    html = client.get(GROUPS).content.decode()
    assert title(html) == "Customer groups · Fabrikam Labs · Partner dashboard"


def test_pages_without_a_partner_leave_it_out_of_the_title(client):
    html = client.get(reverse("login")).content.decode()
    assert title(html) == "Sign in · Partner dashboard"
    assert 'id="main-nav"' not in html  # no navigation before signing in


def test_every_page_names_the_favicon_and_it_is_served(client):
    html = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")
    # Browsers that ask /favicon.ico (the admin names no icon) get it too,
    # without signing in.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.url == "/static/favicon.svg"
