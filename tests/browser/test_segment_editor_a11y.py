"""The segment editor with the keyboard, a screen reader and a phone.

Where the focus goes after rows are added or removed, the live regions that
survive their swaps, the error summary of a failed Save, the checkbox list of
"is any of", and no horizontal scrolling at 375 px.
"""

import re

import pytest
from playwright.sync_api import expect

from engagement.models import Segment
from tests.browser.test_segments import choose, row, settle

pytestmark = pytest.mark.django_db(transaction=True)

ACTIVE_ID = "document.activeElement && document.activeElement.id"


@pytest.fixture
def editor_page(page, sign_in, editor, app):
    sign_in("editor")
    page.goto("/engage/segments/new/")
    expect(row(page, 0)).to_be_visible()
    return page


def focused(page) -> str:
    return page.evaluate(ACTIVE_ID) or page.evaluate("document.activeElement.tagName")


def expect_focus(page, element_id: str) -> None:
    page.wait_for_function(f"({ACTIVE_ID}) === {element_id!r}")
    assert focused(page) == element_id


def test_add_filter_by_mouse_focuses_the_new_row(editor_page):
    page = editor_page
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    expect(row(page, 1)).to_be_visible()
    expect_focus(page, "id_conditions-1-category")


def test_or_statement_by_keyboard_focuses_its_first_field(editor_page):
    page = editor_page
    page.get_by_role("button", name="+ OR statement").focus()
    page.keyboard.press("Enter")
    settle(page)
    expect(page.get_by_text("OR statement 2")).to_be_visible()
    expect_focus(page, "id_conditions-1-category")


def test_remove_filter_focuses_the_row_before(editor_page):
    page = editor_page
    for _ in range(2):
        page.get_by_role("button", name="Add another filter").click()
        settle(page)
    expect(row(page, 2)).to_be_visible()
    page.get_by_role("button", name="Remove filter 3").focus()
    page.keyboard.press("Space")
    settle(page)
    expect(row(page, 2)).to_have_count(0)
    expect_focus(page, "id_conditions-1-category")


def test_remove_or_statement_focuses_the_last_row_before_it(editor_page):
    page = editor_page
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    expect(row(page, 2)).to_be_visible()
    page.get_by_role("button", name="Remove OR statement 2").click()
    settle(page)
    expect(row(page, 2)).to_have_count(0)
    expect_focus(page, "id_conditions-1-category")


def test_live_regions_stay_in_place_across_swaps(editor_page, customers_for_estimate):
    page = editor_page
    for region in ("#segment-estimate", "#definition-text"):
        expect(page.locator(region)).to_have_attribute("aria-live", "polite")
        page.evaluate(f"document.querySelector({region!r}).dataset.kept = 'yes'")
    choose(page, 0, "Store spend", "Total Store spend (USD)", "greater than")
    row(page, 0).get_by_label("Value").fill("10")
    row(page, 0).get_by_label("Value").blur()
    settle(page)
    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    expect(page.locator("#segment-estimate")).to_contain_text(
        "OR statement 2 is incomplete and not counted"
    )
    expect(page.locator("#definition-text")).to_contain_text(
        "OR statement 2 is incomplete and not counted"
    )
    # The same elements, their content swapped: what changed is announced.
    for region in ("#segment-estimate", "#definition-text"):
        expect(page.locator(region)).to_have_attribute("data-kept", "yes")


@pytest.fixture
def customers_for_estimate(app, settings):
    from decimal import Decimal

    from tests.factories import AppCustomerFactory, CustomerFactory

    settings.SEGMENT_MIN_SIZE = 1
    AppCustomerFactory(app=app, customer=CustomerFactory(store_spend=Decimal("20")))


def test_a_failed_save_focuses_the_error_summary(editor_page):
    page = editor_page
    choose(page, 0, "Store spend", "Total Store spend (USD)", "between")
    row(page, 0).get_by_label("Value", exact=True).fill("5")
    row(page, 0).get_by_label("Value", exact=True).blur()
    settle(page)
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect_focus(page, "error-summary")
    # Each link moves to its field: the upper bound of "between" too.
    summary.get_by_role("link", name=re.compile("upper value")).click()
    expect_focus(page, "id_conditions-0-value_to")
    expect(page.locator("#id_conditions-0-value_to_error")).to_have_text(
        "Enter a value."
    )
    summary.get_by_role("link", name=re.compile("Group name")).click()
    expect_focus(page, "id_name")
    assert not Segment.objects.exists()


def test_enter_in_the_name_saves_and_keeps_the_rows(editor_page):
    page = editor_page
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    page.get_by_label("Group name").fill("")
    page.get_by_label("Group name").press("Enter")
    expect_focus(page, "error-summary")
    expect(row(page, 1)).to_be_visible()  # not "remove filter 1"


def test_is_any_of_is_chosen_with_the_keyboard(editor_page):
    page = editor_page
    choose(page, 0, "Demographic", "Market", "is any of")
    values = row(page, 0).get_by_role("group", name="Value")
    expect(values.locator(".condition-choices-chosen")).to_have_text(
        "Nothing chosen yet."
    )
    box = values.get_by_role("searchbox", name="Filter the values")
    for wanted, name in (("fran", "France"), ("canad", "Canada")):
        box.focus()
        page.keyboard.press("Control+A")
        page.keyboard.type(wanted)
        expect(values.get_by_role("checkbox", name=name)).to_be_visible()
        page.keyboard.press("Tab")
        expect(values.get_by_role("checkbox", name=name)).to_be_focused()
        page.keyboard.press("Space")
        expect(values.get_by_role("checkbox", name=name)).to_be_checked()
        settle(page)
    expect(values.locator(".condition-choices-chosen")).to_have_text(
        "Chosen: Canada, France"
    )
    expect(page.locator("#definition-text code")).to_have_text(
        re.compile(r"Market in \[(Canada, France|France, Canada)\]")
    )


def test_the_editor_fits_a_phone(page, sign_in, editor, app):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("editor")
    page.goto("/engage/segments/new/")
    choose(page, 0, "Store spend", "Total Store spend (USD)", "between")
    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    choose(page, 1, "Demographic", "Market", "is any of")
    expect(page.get_by_text("OR statement 2")).to_be_visible()
    # One field per line: each select spans the row.
    category = row(page, 1).get_by_label("Category").bounding_box()
    attribute = row(page, 1).get_by_label("Attribute").bounding_box()
    assert attribute["y"] > category["y"] + category["height"] - 1
    # The bounds of "between" too.
    low = row(page, 0).get_by_label("Value", exact=True).bounding_box()
    high = row(page, 0).get_by_label("and (upper value)").bounding_box()
    assert high["y"] > low["y"] + low["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for select in row(page, 1).locator("select").all():
        assert "form-select" in select.get_attribute("class")
