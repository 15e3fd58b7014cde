"""What the segment editor says as the partner edits a computed segment, and
a failed Save posted by htmx."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from engagement.services import membership
from engagement.services.segments import segment_create
from tests.browser.test_segment_editor_a11y import expect_focus
from tests.browser.test_segments import row, settle
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spenders(partner, app, editor, settings):
    settings.SEGMENT_MIN_SIZE = 1
    for spend in ("20", "30", "40"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    return segment


def test_editing_shows_who_would_join_and_leave(page, sign_in, spenders):
    sign_in("editor")
    page.goto(f"/engage/segments/{spenders.pk}/edit/")
    expect(page.locator("#estimate-change")).to_contain_text(
        "+0 would join, −0 would leave"
    )
    row(page, 0).get_by_label("Value", exact=True).fill("35")
    row(page, 0).get_by_label("Value", exact=True).blur()
    settle(page)
    expect(page.locator("#estimate-members")).to_have_text("1")
    expect(page.locator("#estimate-change")).to_contain_text(
        "+0 would join, −2 would leave"
    )


def test_a_failed_save_by_htmx_shows_and_focuses_the_error_summary(
    page, sign_in, editor, app
):
    sign_in("editor")
    page.goto("/engage/segments/new/")
    expect(row(page, 0)).to_be_visible()
    page.evaluate(
        "htmx.ajax('POST', location.pathname,"
        " {source: '#segment-form', values: {action: 'save'}})"
    )
    expect(page.locator("#error-summary")).to_be_visible()
    expect_focus(page, "error-summary")
    # The form is still wired up: its rows still answer.
    page.get_by_role("button", name="Add another filter").click()
    settle(page)
    expect_focus(page, "id_conditions-1-category")
