"""The customer's admin page: the flight, visibility and offers of each app."""

import pytest
from django.urls import reverse

from targeting.services.audience import audience_set_private
from targeting.services.flights import flight_create
from tests.factories import AppCustomerFactory, AppFactory
from tests.targeting.helpers import group_with
from tests.targeting.offer_helpers import computed_segment, offer, spender

pytestmark = pytest.mark.django_db


def change_page(client, customer):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    return client.get(url).content.decode()


def test_the_page_says_what_each_app_gives_the_customer(
    support_client, partner, app, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    ann = spender(app, "20")
    segment = computed_segment(app)
    made = offer(segment)
    testers = group_with(partner, "Testers", ann)
    flight_create(app=app, name="Beta ring", groups=[testers], version="1.2.0.0")
    private = AppFactory(partner=partner, name="Secret app")
    AppCustomerFactory(app=private, customer=ann)
    audience_set_private(
        app=private,
        groups=[group_with(partner, "Insiders", emails=["x@mail.example"])],
    )

    html = change_page(support_client, ann)

    assert "Beta ring</a> (1.2.0.0)" in html
    assert made.addon_product_id in html
    assert "non-flighted package" in html  # Secret app has no flight
    assert "no (private audience)" in html


def test_the_query_count_grows_with_apps_not_with_flights_or_offers(
    support_client, partner, app, settings, django_assert_max_num_queries
):
    settings.SEGMENT_MIN_SIZE = 1
    ann = spender(app, "20")
    testers = group_with(partner, "Testers", ann)
    flight_create(app=app, name="Beta ring", groups=[testers], version="1.2.0.0")
    change_page(support_client, ann)  # warm the session and content types
    with django_assert_max_num_queries(60) as one:
        change_page(support_client, ann)
    for i in range(10):
        flight_create(app=app, name=f"Ring {i}", groups=[testers], version="1.2.0.0")
    with django_assert_max_num_queries(len(one.captured_queries)):
        change_page(support_client, ann)


def test_a_person_with_no_app_is_said_to_be_none(support_client, partner):
    from tests.factories import CustomerFactory

    assert "Not a customer of any app" in change_page(support_client, CustomerFactory())
