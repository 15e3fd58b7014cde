"""A partner builds, saves, edits and deletes a segment in the browser."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from engagement.models import Segment
from tests.factories import AppCustomerFactory, AppFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customers(app, settings):
    settings.SEGMENT_MIN_SIZE = 3
    young_man = {"birth_date": "2004-01-01", "gender": "male"}
    for facts in (young_man, young_man, {"store_spend": Decimal("20")}, {}):
        AppCustomerFactory(app=app, customer=CustomerFactory(**facts))


def row(page, index):
    return page.locator(f'.condition-row[data-row="{index}"]')


def settle(page):
    """Wait until htmx has no request in flight (each change re-renders rows)."""
    page.wait_for_function("document.querySelectorAll('.htmx-request').length === 0")


def choose(page, index, category, attribute, operator):
    """Pick a row's selects in order, as a partner does; each re-renders the row
    with the next select offering what fits (it starts at "Choose…")."""
    for label, option in (
        ("Category", category),
        ("Attribute", attribute),
        ("Operator", operator),
    ):
        row(page, index).get_by_label(label).select_option(label=option)
        settle(page)
        expect(row(page, index).get_by_label(label)).to_have_value(re.compile(".+"))


def test_partner_builds_saves_edits_and_deletes_a_segment(
    page, sign_in, editor, app, customers
):
    sign_in("editor")
    page.get_by_role("link", name="Create new group").click()
    page.get_by_role("link", name="Create a segment").click()
    page.get_by_label("Group name").fill("Young men or spenders")

    choose(page, 0, "Demographic", "Age group", "is")
    row(page, 0).get_by_label("Value").select_option(label="18 to 24")
    settle(page)
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    expect(row(page, 1)).to_be_visible()
    choose(page, 1, "Demographic", "Gender", "is")
    row(page, 1).get_by_label("Value").select_option(label="Male")
    settle(page)
    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    expect(page.get_by_role("heading", name="OR statement 2")).to_be_visible()
    choose(page, 2, "Store spend", "Total Store spend (USD)", "greater than")
    row(page, 2).get_by_label("Value").fill("10")
    row(page, 2).get_by_label("Value").blur()
    settle(page)

    expect(page.locator("#definition-text")).to_contain_text(
        "(Age group == 18 to 24 && Gender == Male) || (Total Store spend (USD) > $10.00)"
    )
    expect(page.locator("#estimate-members")).to_have_text("3")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Young men or spenders")).to_be_visible()
    expect(page.locator(".segment-definition")).to_contain_text("Gender == Male")
    # Saving computed the segment (tests run the task in-process on commit).
    expect(page.locator("#stat-members")).to_have_text("3")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Group name")).to_have_value("Young men or spenders")
    page.get_by_role("button", name="Remove OR statement 2").click()
    settle(page)
    expect(page.locator("#definition-text")).not_to_contain_text("Store spend")
    page.get_by_label("Group name").fill("Young men")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Young men")).to_be_visible()
    expect(page.locator("#stat-members")).to_have_text("Small", timeout=10_000)

    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Segment “Young men” deleted.")).to_be_visible()
    assert not Segment.objects.exists()


def test_copying_a_template_then_fixing_a_bad_value(page, sign_in, editor, app):
    sign_in("editor")
    page.get_by_role("link", name="Copy Happy raters").click()
    expect(page.get_by_label("Group name")).to_have_value("Happy raters")
    row(page, 0).get_by_label("Value").fill("9")
    row(page, 0).get_by_label("Value").blur()
    settle(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_conditions-0-value_error")).to_contain_text(
        "rating must be 1–5"
    )
    expect(page.get_by_label("Group name")).to_have_value("Happy raters")
    row(page, 0).get_by_label("Value").fill("4")
    row(page, 0).get_by_label("Value").blur()
    settle(page)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/engage/segments/\d+/$"))
    expect(page.locator(".segment-definition")).to_have_text("Rating >= 4")


def test_a_new_or_statement_counts_nothing_until_its_value_is_chosen(
    page, sign_in, editor, app, customers, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    sign_in("editor")
    page.goto("/engage/segments/new/")
    expect(row(page, 0).get_by_label("Category")).to_have_value("")
    choose(page, 0, "Store spend", "Total Store spend (USD)", "greater than")
    row(page, 0).get_by_label("Value").fill("10")
    row(page, 0).get_by_label("Value").blur()
    settle(page)
    expect(page.locator("#estimate-members")).to_have_text("1")

    page.get_by_role("button", name="+ OR statement").click()
    settle(page)
    for label in ("Category", "Attribute", "Operator"):
        expect(row(page, 1).get_by_label(label)).to_have_value("")
    row(page, 1).get_by_label("Category").select_option(label="Demographic")
    settle(page)
    # The text and the estimate both leave the new row out.
    text = page.locator("#definition-text")
    expect(text).to_contain_text("OR statement 2 is incomplete and not counted")
    expect(text.locator("code")).to_have_text("Total Store spend (USD) > $10.00")
    expect(page.locator("#segment-estimate")).to_contain_text(
        "OR statement 2 is incomplete and not counted"
    )
    expect(page.locator("#estimate-members")).to_have_text("1")

    choose(page, 1, "Demographic", "Age group", "is")
    expect(row(page, 1).get_by_label("Value")).to_have_value("")
    row(page, 1).get_by_label("Value").select_option(label="18 to 24")
    settle(page)
    expect(text.locator("code")).to_have_text(
        "(Total Store spend (USD) > $10.00) || (Age group == 18 to 24)"
    )
    expect(page.locator("#estimate-members")).to_have_text("3")
    expect(page.locator("#segment-estimate")).not_to_contain_text("not counted")


def test_with_two_apps_a_copied_template_asks_which_app(
    page, sign_in, editor, app, partner
):
    AppFactory(partner=partner, name="Aardvark Arcade")  # sorts first
    sign_in("editor")
    page.get_by_role("link", name="Copy Big spenders").click()
    app_select = page.get_by_label("Include customers from this app")
    expect(app_select).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_contain_text("Choose an app.")
    assert not Segment.objects.exists()

    page.get_by_label("Include customers from this app").select_option(str(app.pk))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Big spenders")).to_be_visible()
    assert Segment.objects.get().app == app


# The segment page and the groups list (issue 11, points 3 and 5, 8).

SNAPSHOTS = """() => {
  window.__snapshots = [];
  const take = () => {
    const live = document.querySelector('#segment-live');
    if (!live) return;
    window.__snapshots.push({
      status: live.querySelector('#stat-status').textContent.trim(),
      members: live.querySelector('#stat-members').textContent.trim(),
      chart: !!live.querySelector('svg.segment-history'),
      runs: !!live.querySelector('#segment-runs'),
      notComputed: live.textContent.includes('not been computed yet'),
    });
  };
  take();
  new MutationObserver(take).observe(document.body, {childList: true, subtree: true});
}"""


def test_a_computation_that_ends_while_the_page_is_open_updates_it_all_at_once(
    page, sign_in, editor, partner, app, customers
):
    from engagement.services import membership
    from engagement.services.segments import segment_create
    from tests.factories import SPEND_OVER_10

    segment = segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=editor,
        enqueue=False,  # queued, not computed: the test plays the worker
    )
    sign_in("editor")
    page.goto(segment.get_absolute_url())
    expect(page.locator("#stat-status")).to_contain_text("Computing")
    expect(
        page.get_by_text("The chart appears after the first computation.")
    ).to_be_visible()
    page.evaluate(SNAPSHOTS)

    membership.segment_recompute(segment_id=segment.pk, version=segment.pending_version)

    expect(page.locator("#stat-status")).to_contain_text("Inactive")
    expect(page.locator("#stat-members")).to_have_text("Small")
    expect(page.locator("svg.segment-history")).to_be_visible()
    expect(page.locator("#segment-runs")).to_contain_text("Done")
    snapshots = page.evaluate("window.__snapshots")
    # Every state the page went through was whole: before, or after.
    before = {"status": "Computing", "chart": False, "runs": False, "notComputed": True}
    after = {"status": "Inactive", "chart": True, "runs": True, "notComputed": False}
    for snapshot in snapshots:
        state = {key: snapshot[key] for key in before}
        state["status"] = state["status"].split()[0]
        assert state in (before, after), snapshot
    assert snapshots[-1]["members"] == "Small"
    # Nothing is awaited any more: the region stops polling.
    expect(page.locator("#segment-live")).not_to_have_attribute(
        "hx-trigger", re.compile(".")
    )


def test_refresh_is_then_disabled_until_a_time_in_the_partners_zone(
    page, sign_in, editor, partner, app, customers
):
    from engagement.services.segments import segment_create
    from tests.factories import SPEND_OVER_10

    partner.time_zone = "Asia/Tokyo"
    partner.save()
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    sign_in("editor")
    page.goto(segment.get_absolute_url())
    refresh = page.get_by_role("button", name="Refresh Spenders")
    duplicate = page.get_by_role("link", name="Duplicate")
    assert refresh.bounding_box()["height"] == duplicate.bounding_box()["height"]
    refresh.click()
    expect(
        page.get_by_text("A new computation of “Spenders” is queued")
    ).to_be_visible()
    button = page.get_by_role("button", name="Refresh", exact=True)
    expect(button).to_be_disabled()
    expect(page.locator(".refresh-available")).to_have_text(
        re.compile(r"^Available at \d\d:\d\d JST$")
    )


def test_refresh_from_the_groups_list_stays_on_the_list(
    page, sign_in, editor, partner, app, customers
):
    from engagement.services.segments import segment_create
    from tests.factories import SPEND_OVER_10

    segment = segment_create(
        partner=partner, app=app, name="Tiny", definition=SPEND_OVER_10, user=editor
    )
    segment.refresh_from_db()
    assert segment.status == Segment.Status.INACTIVE  # 1 of 4 customers: Small
    sign_in("editor")
    page.goto("/engage/customer-groups/")
    groups_url = page.url
    # The table's row of the segment reloads too (the refresh's htmx event).
    with page.expect_request(re.compile(rf"/segments/{segment.pk}/row/$")):
        page.get_by_role("button", name="Refresh Tiny").click()
    expect(page.locator("#groups-message")).to_contain_text(
        "A new computation of “Tiny” is queued"
    )
    expect(
        page.locator(f"#inactive-segment-{segment.pk}").get_by_role("button")
    ).to_be_disabled()
    expect(page.locator(f"#inactive-segment-{segment.pk}")).to_contain_text(
        "Available at"
    )
    assert page.url == groups_url
    # The pressed button is gone: the focus goes to the row, not to <body>.
    expect(
        page.locator(f"#inactive-segment-{segment.pk}").get_by_role("link", name="Tiny")
    ).to_be_focused()
    expect(
        page.get_by_role("heading", name="Customer groups", exact=True)
    ).to_be_visible()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 375, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("test-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    yield page
    context.close()


def test_at_375_px_the_groups_table_and_segment_page_fit_the_screen(
    editor, partner, app, customers, phone
):
    from engagement.services.segments import segment_create
    from tests.factories import SPEND_OVER_10, known_user_group

    segment = segment_create(
        partner=partner,
        app=app,
        name="Spenders with a rather long name",
        definition=SPEND_OVER_10,
        user=editor,
    )
    known_user_group(partner=partner, name="Beta testers", emails=["b@mail.example"])
    phone.goto("/engage/customer-groups/")
    row = phone.locator(f"#segment-row-{segment.pk}")
    for cell in ("Spenders with a rather long name", "Small", "Inactive"):
        text = row.get_by_text(cell, exact=True)
        expect(text).to_be_visible()
        box = text.bounding_box()  # within the screen's width, no scrolling
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (cell, box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    table = phone.locator("#groups-table .table-responsive")
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")

    phone.goto(segment.get_absolute_url())
    expect(phone.locator("svg.segment-history")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
