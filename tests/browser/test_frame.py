"""The frame on a phone (375 px) and a desktop: the left navigation opens
from its toggler, pages never get wider than the screen, and nothing the
pages load fails (no 404 in the console)."""

import pytest
from playwright.sync_api import expect

from targeting.services.flights import flight_create
from tests.factories import known_user_group
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def problems(page):
    """Console errors and failed responses of everything the page loads."""
    seen = []
    page.on(
        "console",
        lambda message: message.type == "error" and seen.append(message.text),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and seen.append(f"{response.status} {response.url}")
        ),
    )
    return seen


@pytest.fixture
def targeted(partner, app, settings):
    """A flight and an offer of the app, with long names a phone must wrap."""
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30"):
        spender(app, spend)
    group = known_user_group(
        partner=partner,
        name="Beta testers of the northern region",
        emails=["ann@mail.example"],
    )
    for name in ("Insiders fast ring for everyone", "Gradual rollout ring"):
        flight_create(app=app, name=name, groups=[group], version="10.4.2.1000")
    offer(computed_segment(app), name="Spring discount for our best customers")


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def sideways_scrollers(page) -> list[str]:
    """Elements whose content is wider than they are (a table to scroll)."""
    return page.evaluate(
        """[...document.querySelectorAll('main *')]
          .filter((e) => e.scrollWidth > e.clientWidth + 1
                         && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
          .map((e) => e.id || e.className)"""
    )


def test_on_a_phone_the_menu_opens_from_its_toggler_and_leads_to_a_page(
    page, sign_in, editor, app, problems
):
    page.set_viewport_size(PHONE)
    sign_in("editor")
    expect(page.get_by_role("heading", name="Customer groups", level=1)).to_be_visible()
    assert problems == []
    menu = page.locator("#sidebar")
    flights = menu.get_by_role("link", name="Package flights")
    expect(flights).to_be_hidden()  # folded away on a phone
    page.get_by_role("button", name="Open the menu").click()
    expect(menu.get_by_role("link", name="Customer groups")).to_have_attribute(
        "aria-current", "page"
    )
    flights.click()
    expect(
        page.get_by_role("heading", name="Package flights of Contoso Racer")
    ).to_be_visible()
    expect(page).to_have_title(
        "Package flights of Contoso Racer · Contoso Games · Partner dashboard"
    )
    assert scroll_width(page) <= PHONE["width"]
    assert problems == []


def test_on_a_desktop_the_navigation_is_a_sidebar(page, sign_in, editor, app):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in("editor")
    expect(page.get_by_role("button", name="Open the menu")).to_be_hidden()
    page.locator("#sidebar").get_by_role("link", name="Audience").click()
    expect(
        page.get_by_role("heading", name="Audience of Contoso Racer")
    ).to_be_visible()
    expect(
        page.locator("#sidebar").get_by_role("link", name="Audience")
    ).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize(
    "path",
    [
        "/engage/flights/",
        "/engage/apps/{app}/flights/",
        "/engage/apps/{app}/flights/new/",
        "/engage/apps/{app}/audience/",
        "/engage/offers/",
        "/engage/apps/{app}/offers/",
        "/engage/apps/{app}/offers/new/",
    ],
)
def test_targeting_pages_fit_a_phone(
    page, sign_in, editor, app, targeted, problems, path
):
    page.set_viewport_size(PHONE)
    sign_in("editor")
    page.goto(path.format(app=app.pk))
    expect(page.locator("h1")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
    # Tables stack as cards: nothing to scroll sideways to see a column.
    assert sideways_scrollers(page) == []
    assert problems == []


def test_the_error_pages_fit_a_phone(page, sign_in, viewer, app, targeted, problems):
    page.set_viewport_size(PHONE)
    sign_in("viewer")
    page.goto(f"/engage/apps/{app.pk}/flights/new/")
    expect(page.get_by_text("Viewers cannot change package flights")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_role("link", name="Back to customer groups").click()
    expect(page.get_by_role("heading", name="Customer groups", level=1)).to_be_visible()
