"""The support admin's "Explain membership" page and the customer's groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from engagement.errors import ExplainError
from engagement.models import Segment, SegmentMembership
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    AppFactory,
    CustomerFactory,
    UserFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db

EXPLAIN = "admin:engagement_segment_explain"


@pytest.fixture
def segment(app):
    return Segment.objects.create(
        kind=Segment.Kind.SEGMENT,
        partner=app.partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
    )


@pytest.fixture
def spender(app):
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(email="big@mail.example", store_spend=20)
    ).customer


def test_support_explains_a_membership_check_by_check(support_client, segment, spender):
    response = support_client.get(
        reverse(EXPLAIN), {"customer": "BIG@mail.example", "segment": segment.pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "In the segment today." in html
    assert "Total Store spend (USD) &gt; $10.00" in html
    assert "$20.00" in html
    assert "Acquired the app on Windows 10 or Windows 11" in html
    assert "The stored membership does not include this customer." in html
    assert "It differs from today" in html


def test_the_customer_is_found_by_id_too(support_client, segment, spender):
    response = support_client.get(
        reverse(EXPLAIN), {"customer": str(spender.pk), "segment": segment.pk}
    )
    assert response.context["explanation"].customer == spender


def test_an_unknown_customer_is_a_form_error(support_client, segment):
    response = support_client.get(
        reverse(EXPLAIN), {"customer": "nobody@mail.example", "segment": segment.pk}
    )
    assert response.status_code == 200
    assert response.context["explanation"] is None
    assert response.context["form"].has_error("customer", ExplainError.NO_CUSTOMER)


def test_the_segment_page_links_to_the_form_with_the_segment_chosen(
    support_client, segment
):
    change = support_client.get(
        reverse("admin:engagement_segment_change", args=[segment.pk])
    )
    link = f"{reverse(EXPLAIN)}?segment={segment.pk}"
    assert link in change.content.decode()
    form_page = support_client.get(link)
    assert form_page.context["form"]["segment"].value() == str(segment.pk)
    assert escape(str(segment)) in form_page.content.decode()


def test_a_stale_definition_shows_its_problems(support_client, segment, spender):
    Segment.objects.filter(pk=segment.pk).update(
        definition={"version": 1, "any": [{"all": [{"attribute": "nope"}]}]}
    )
    html = support_client.get(
        reverse(EXPLAIN), {"customer": spender.email, "segment": segment.pk}
    ).content.decode()
    assert "Unknown: the stored definition does not pass the current rules." in html
    assert "OR statement 1, filter 1" in html


def test_a_customer_of_another_app_is_said_to_be_one(support_client, segment, app):
    stranger = AppCustomerFactory(app=AppFactory(partner=app.partner)).customer
    html = support_client.get(
        reverse(EXPLAIN), {"customer": stranger.email, "segment": segment.pk}
    ).content.decode()
    assert "is not a customer of" in html
    assert "Not in the segment today." in html


def test_staff_without_view_permission_on_segments_are_refused(client, segment):
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(user)
    assert client.get(reverse(EXPLAIN)).status_code == 403


def test_people_who_are_not_staff_are_sent_to_the_admin_sign_in(editor_client):
    response = editor_client.get(reverse(EXPLAIN))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_customer_page_lists_segments_addresses_and_explain_links(
    support_client, app, segment, spender, django_assert_max_num_queries
):
    other_app = AppFactory(partner=app.partner)
    AppCustomerFactory(app=other_app, customer=spender)
    segments = [segment] + [
        Segment.objects.create(
            kind=Segment.Kind.SEGMENT,
            partner=app.partner,
            app=target,
            name=f"Segment {n}",
            definition=SPEND_OVER_10,
        )
        for n, target in enumerate([app, other_app] * 4)
    ]
    for member in segments[:6]:
        SegmentMembership.objects.create(segment=member, customer=spender)
    Segment.objects.create(
        kind=Segment.Kind.SEGMENT,
        partner=app.partner,
        app=AppFactory(partner=app.partner),
        name="Not their app",
        definition=SPEND_OVER_10,
    )
    linked = known_user_group(
        partner=app.partner, name="Testers", emails=[spender.email]
    )
    url = reverse("admin:customers_customer_change", args=[spender.pk])
    with CaptureQueriesContext(connection) as few:
        support_client.get(url)
    for member in segments[6:]:
        SegmentMembership.objects.create(segment=member, customer=spender)
    with django_assert_max_num_queries(len(few)):  # no query per row
        html = support_client.get(url).content.decode()
    for member in segments:
        assert (
            f"{reverse(EXPLAIN)}?customer={spender.pk}&amp;segment={member.pk}" in html
        )
    assert html.count(">member<") == len(segments) + 1  # and the group address
    assert "Not their app" not in html
    assert "Testers" in html
    assert reverse("admin:engagement_knownusergroup_change", args=[linked.pk]) in html


def test_an_address_listed_but_not_linked_is_shown_as_such(support_client, app):
    customer = CustomerFactory(email="late@mail.example", authenticated=False)
    known_user_group(partner=app.partner, name="Late", emails=[customer.email])
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    html = support_client.get(url).content.decode()
    assert "listed, not linked" in html
    assert "No segments" in html


def test_the_page_speaks_french(support_client, segment, spender):
    html = support_client.get(
        reverse(EXPLAIN),
        {"customer": spender.email, "segment": segment.pk},
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "Dans le segment aujourd’hui." in html
    assert "A acquis l’application sur Windows 10 ou Windows 11" in html
    assert "« Spenders »" in html


@pytest.mark.parametrize("key", ["99999999999999999999", "-1", "abc", "0"])
def test_a_hostile_customer_key_is_a_form_error(support_client, segment, key):
    response = support_client.get(
        reverse(EXPLAIN), {"customer": key, "segment": segment.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("customer", ExplainError.NO_CUSTOMER)


@pytest.mark.parametrize("key", ["99999999999999999999", "-1", "abc"])
def test_a_hostile_segment_id_is_a_form_error(support_client, spender, key):
    response = support_client.get(
        reverse(EXPLAIN), {"customer": spender.email, "segment": key}
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("segment")
