"""The support admin's market filter: type to narrow the 249 markets, then
choose one with the keyboard."""

import pytest
from playwright.sync_api import expect

from customers.demo.accounts import support_group_upsert
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_support_narrows_the_markets_and_filters_by_one(page, sign_in):
    UserFactory(username="support", is_staff=True).groups.add(support_group_upsert())
    CustomerFactory(email="pierre@mail.example", market="FR")
    CustomerFactory(email="joe@mail.example", market="US")
    sign_in("support")  # lands on the dashboard's "no partner" page
    problems = []
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and problems.append(f"{response.status} {response.url}")
        ),
    )
    page.goto("/admin/customers/customer/")
    markets = page.get_by_role("listbox", name="Market")
    expect(markets.get_by_role("option", name="Germany")).to_be_visible()
    page.get_by_label("Find a market").fill("fran")
    expect(markets.get_by_role("option", name="Germany")).to_be_hidden()
    expect(markets.get_by_role("option", name="France")).to_be_visible()
    page.get_by_label("Find a market").press("Enter")
    expect(page).to_have_url("/admin/customers/customer/?market__exact=FR")
    expect(page.get_by_role("link", name="pierre@mail.example")).to_be_visible()
    expect(page.get_by_role("link", name="joe@mail.example")).to_have_count(0)
    assert problems == []
