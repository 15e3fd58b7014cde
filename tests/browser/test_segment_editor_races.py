"""A fast partner never loses what they enter while the editor talks to the
server: the test holds the server's answer and acts in the meantime, the way a
quick partner on a slow network does."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_segments import choose, row, settle

pytestmark = pytest.mark.django_db(transaction=True)

EDITOR = re.compile(r".*/engage/segments/new/$")
ESTIMATE = re.compile(r".*/engage/segments/estimate/$")


def poll(page, condition, what, seconds=10):
    """Wait until ``condition()`` holds; Playwright delivers the page's events
    (routes, failed requests) while it waits."""
    for _ in range(seconds * 40):
        if condition():
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"never happened: {what}")


class Held:
    """POSTs to ``pattern`` held until ``release()``; later ones go through."""

    def __init__(self, page, pattern):
        self.page = page
        self.routes = []
        self.releasing = False
        page.route(pattern, self._handle)

    def _handle(self, route):
        if route.request.method == "POST" and not self.releasing:
            self.routes.append(route)
        else:
            route.continue_()

    def wait(self, count=1):
        poll(self.page, lambda: len(self.routes) >= count, f"{count} held request(s)")

    def release(self):
        self.releasing = True
        for route in self.routes:
            route.continue_()


@pytest.fixture
def editor_page(page, sign_in, editor, app):
    sign_in("editor")
    page.goto("/engage/segments/new/")
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    expect(row(page, 1)).to_be_visible()
    return page


def test_a_choice_made_while_another_row_refreshes_is_kept(editor_page):
    page = editor_page
    held = Held(page, EDITOR)
    row(page, 0).get_by_label("Category").select_option(label="Demographic")
    held.wait()
    # Row 0's answer is still on its way; the partner moves on to row 1.
    row(page, 1).get_by_label("Category").select_option(label="Store spend")
    held.release()
    settle(page)

    expect(row(page, 1).get_by_label("Category")).to_have_value("store_spend")
    expect(row(page, 1).get_by_label("Attribute")).to_contain_text(
        "Total Store spend (USD)"
    )
    expect(row(page, 0).get_by_label("Category")).to_have_value("demographic")
    expect(row(page, 0).get_by_label("Attribute")).to_contain_text("Age group")


def test_a_value_typed_while_the_conditions_refresh_is_kept(editor_page):
    page = editor_page
    choose(page, 1, "Usage", "Last used", "before")
    held = Held(page, EDITOR)
    page.get_by_role("button", name="+ OR statement").click()
    held.wait()
    # The new OR statement is on its way; the partner types a date meanwhile.
    row(page, 1).get_by_label("Value").fill("2026-01-02")
    held.release()
    settle(page)

    expect(page.get_by_text("OR statement 2")).to_be_visible()
    expect(row(page, 1).get_by_label("Value")).to_have_value("2026-01-02")
    expect(row(page, 2)).to_be_visible()


def test_a_new_estimate_cancels_the_one_in_flight(editor_page):
    page = editor_page
    aborted = []
    page.on(
        "requestfailed",
        lambda request: (
            aborted.append(request) if ESTIMATE.match(request.url) else None
        ),
    )
    held = Held(page, ESTIMATE)
    held.wait()  # the estimate of the page load
    page.get_by_label("Group name").fill("Lapsed")
    poll(page, lambda: aborted, "the estimate in flight was cancelled")
    held.release()
    expect(page.locator("#segment-estimate")).to_contain_text("complete the conditions")


def test_a_choice_made_before_the_page_is_ready_is_applied(page, sign_in, editor, app):
    sign_in("editor")
    held_scripts = []
    page.route(re.compile(r".*/htmx\.min\.js$"), lambda r: held_scripts.append(r))
    page.goto("/engage/segments/new/", wait_until="commit")
    # htmx has not loaded yet; the partner already picks a category.
    row(page, 0).get_by_label("Category").select_option(label="Rating")
    poll(page, lambda: held_scripts, "the page asked for htmx")
    for route in held_scripts:
        route.continue_()
    settle(page)
    expect(row(page, 0).get_by_label("Category")).to_have_value("rating")
    expect(row(page, 0).get_by_label("Attribute")).to_contain_text("Has rated the app")


def test_a_choice_made_as_new_rows_arrive_is_applied(editor_page):
    page = editor_page
    # The partner picks a category in the new row the moment it appears.
    page.evaluate(
        """() => document.body.addEventListener("htmx:afterSwap", () =>
            setTimeout(() => {
                const select = document.querySelector(
                    '.condition-row[data-row="2"] .condition-category');
                select.value = "rating";
                select.dispatchEvent(new Event("input", {bubbles: true}));
                select.dispatchEvent(new Event("change", {bubbles: true}));
            }, 5), {once: true})"""
    )
    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    expect(row(page, 2).get_by_label("Category")).to_have_value("rating")
    expect(row(page, 2).get_by_label("Attribute")).to_contain_text("Has rated the app")
