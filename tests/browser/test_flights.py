"""A partner flights a package to a known user group, reorders the flights
and checks which flight a customer would get."""

import pytest
from playwright.sync_api import expect

from tests.factories import AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customers(app):
    for email in ("ann@mail.example", "bob@mail.example", "cy@mail.example"):
        AppCustomerFactory(app=app, customer=CustomerFactory(email=email))


def new_flight(page, name, version):
    page.get_by_role("link", name="New flight").click()
    page.get_by_label("Flight name").fill(name)
    page.get_by_label("Beta testers").check()
    page.get_by_label("Package version").fill(version)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Flight “{name}” saved.")).to_be_visible()


def test_partner_flights_a_group_moves_it_up_and_checks_a_customer(
    page, sign_in, editor, app, customers
):
    sign_in("editor")
    page.get_by_role("link", name="Create new group").click()
    page.get_by_role("link", name="Create a known user group").click()
    page.get_by_label("Group name").fill("Beta testers")
    page.get_by_label("E-mail addresses").fill(
        "ann@mail.example, bob@mail.example, dee@mail.example"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#kug-counts")).to_have_text("2 / 3")

    page.goto("/engage/flights/")
    page.get_by_role("link", name="0 flights Contoso Racer").click()
    new_flight(page, "Beta ring", "1.4.2.0")
    new_flight(page, "Gamma ring", "2.0.0.0")
    rows = page.locator("#flights tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("#3 Gamma ring")
    expect(rows.nth(1)).to_contain_text("#2 Beta ring")
    expect(rows.nth(2)).to_contain_text("#1 Non-flighted package")

    page.get_by_role("button", name="Move up Beta ring").focus()
    page.keyboard.press("Enter")  # keyboard-operable; the table is swapped in place
    expect(rows.nth(0)).to_contain_text("#3 Beta ring")
    expect(rows.nth(1)).to_contain_text("#2 Gamma ring")
    # Beta ring is now the top: its Move down keeps the focus, not <body>.
    expect(page.get_by_role("button", name="Move down Beta ring")).to_be_focused()

    email = page.get_by_label("E-mail address")
    email.fill("not an address")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_text("Enter one e-mail address")).to_be_visible()

    page.get_by_label("E-mail address").fill("Ann@Mail.Example")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#check-flight")).to_have_text(
        "Flight Beta ring (#3, package 1.4.2.0)"
    )
    expect(page.locator("#check-visible")).to_have_text("Yes")
    expect(page.locator("#check-reasons")).to_contain_text(
        "in Beta testers (member) → flight Beta ring (rollout 100 %: included): "
        "the flight they get."
    )

    page.get_by_label("E-mail address").fill("dee@mail.example")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#check-flight")).to_have_text("The non-flighted package (#1)")
    expect(page.locator("#check-reasons")).to_contain_text(
        "listed in Beta testers but not yet matched to an account (pending)"
    )
    assert "email=dee%40mail.example" in page.url
