"""A partner signs in with the browser and reaches the customer groups page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_partner_signs_in_and_reaches_customer_groups(page, sign_in, editor):
    sign_in("editor")
    expect(page.get_by_role("heading", name="Customer groups", level=1)).to_be_visible()
    link = page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Customer groups"
    )
    expect(link).to_have_attribute("aria-current", "page")


def test_wrong_password_shows_an_error_and_keeps_the_username(page, sign_in, editor):
    sign_in("editor", "wrong-password")
    expect(
        page.get_by_text("Please enter a correct username and password")
    ).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("editor")
