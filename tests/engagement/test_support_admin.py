"""The support admin as staff use it: readable times, a market filter one can
search, a customer's groups, and customers erased only through the logged
erasure (no bulk delete of customers or of segment runs)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from customers.models import Customer
from engagement.models import (
    KnownUserGroupAddress,
    PersonErasure,
    Segment,
    SegmentMembership,
    SegmentRun,
)
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    CustomerFactory,
    UserFactory,
    known_user_group,
)
from tests.targeting.offer_helpers import recompute

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("admin:customers_customer_changelist")
RUNS = reverse("admin:engagement_segmentrun_changelist")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


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
def ann(app):
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(email="ann@mail.example", store_spend=20)
    ).customer


def erase(client, customers, **data):
    return client.post(
        CUSTOMERS,
        {
            "action": "erase_personal_data",
            helpers.ACTION_CHECKBOX_NAME: [c.pk for c in customers],
            **data,
        },
    )


# -- Times ---------------------------------------------------------------


def test_the_segment_page_shows_computation_times_formatted(
    support_client, segment, ann, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    recompute(segment)
    run = SegmentRun.objects.get(segment=segment)
    url = reverse("admin:engagement_segment_change", args=[segment.pk])
    html = support_client.get(url).content.decode()
    shown = date_format(timezone.localtime(run.started_at), "DATETIME_FORMAT")
    assert f"{shown} UTC" in html
    assert not ISO_TIME.search(html)
    for url in (RUNS, reverse("admin:engagement_segment_changelist"), CUSTOMERS):
        assert not ISO_TIME.search(support_client.get(url).content.decode()), url


# -- The market filter ---------------------------------------------------


def test_the_market_filter_is_one_searchable_select_not_249_links(support_client, ann):
    html = support_client.get(CUSTOMERS).content.decode()
    assert 'href="?market__exact=' not in html
    select = html[html.index('<select id="select-filter-market"') :]
    select = select[: select.index("</select>")]
    assert select.count("<option") > 240
    assert '<option value="?market__exact=FR">France</option>' in select
    assert 'data-select-filter="select-filter-market"' in html
    assert "js/admin-select-filter.js" in html


def test_choosing_a_market_filters_the_customers(support_client, app):
    CustomerFactory(email="pierre@mail.example", market="FR")
    CustomerFactory(email="joe@mail.example", market="US")
    html = support_client.get(CUSTOMERS, {"market__exact": "FR"}).content.decode()
    assert "pierre@mail.example" in html and "joe@mail.example" not in html
    assert '<option value="?market__exact=FR" selected>France</option>' in html


# -- A customer's groups -------------------------------------------------


def test_a_customers_page_lists_segment_memberships_and_group_addresses(
    support_client, segment, ann
):
    SegmentMembership.objects.create(segment=segment, customer=ann)
    group = known_user_group(
        partner=segment.partner, name="Testers", emails=[ann.email]
    )
    address = KnownUserGroupAddress.objects.get(group=group)
    url = reverse("admin:customers_customer_change", args=[ann.pk])
    html = support_client.get(url).content.decode()
    assert reverse("admin:engagement_segment_change", args=[segment.pk]) in html
    assert reverse("admin:engagement_knownusergroup_change", args=[group.pk]) in html
    address_url = reverse(
        "admin:engagement_knownusergroupaddress_change", args=[address.pk]
    )
    assert f'<a href="{address_url}">ann@mail.example</a>' in html


# -- No bulk delete ------------------------------------------------------


def test_customers_cannot_be_deleted_in_bulk_or_one_by_one(support_client, ann):
    html = support_client.get(CUSTOMERS).content.decode()
    assert 'value="delete_selected"' not in html
    response = support_client.post(
        CUSTOMERS, {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [ann.pk]}
    )
    assert response.status_code in {200, 302}
    delete = reverse("admin:customers_customer_delete", args=[ann.pk])
    assert support_client.get(delete).status_code == 403
    assert support_client.post(delete, {"post": "yes"}).status_code == 403
    assert Customer.objects.filter(pk=ann.pk).exists()


def test_segment_runs_cannot_be_deleted_in_bulk_but_go_with_their_segment(
    support_client, segment, ann, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    recompute(segment)
    run = SegmentRun.objects.get(segment=segment)
    html = support_client.get(RUNS).content.decode()
    assert 'value="delete_selected"' not in html
    support_client.post(
        RUNS, {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [run.pk]}
    )
    assert SegmentRun.objects.filter(pk=run.pk).exists()
    delete = reverse("admin:engagement_segment_delete", args=[segment.pk])
    response = support_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert not SegmentRun.objects.filter(pk=run.pk).exists()


# -- Erase personal data -------------------------------------------------


def test_erasing_asks_who_requested_it_before_erasing_anything(support_client, ann):
    html = support_client.get(CUSTOMERS).content.decode()
    assert 'value="erase_personal_data"' in html
    response = erase(support_client, [ann])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Erase the personal data of this person?" in html
    assert "ann@mail.example" in html
    assert 'name="requested_by"' in html and "required" in html
    assert 'value="Yes, erase"' in html
    response = erase(support_client, [ann], post="yes", requested_by="  ")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Customer.objects.filter(pk=ann.pk).exists()
    assert not PersonErasure.objects.exists()


def test_erasing_goes_through_the_logged_erasure(support_client, ann, app):
    group = known_user_group(partner=app.partner, name="Testers", emails=[ann.email])
    bob = CustomerFactory(email="bob@mail.example")
    kept = CustomerFactory(email="kept@mail.example")
    response = erase(
        support_client, [ann, bob], post="yes", requested_by="Ticket 4521, Ann Smith"
    )
    assert response.status_code == 302
    assert response.url == CUSTOMERS
    assert list(Customer.objects.values_list("email", flat=True)) == [kept.email]
    assert not KnownUserGroupAddress.objects.filter(group=group).exists()
    erasures = PersonErasure.objects.all()
    assert len(erasures) == 2
    assert {e.requested_by for e in erasures} == {"Ticket 4521, Ann Smith"}
    assert sum(e.addresses_deleted for e in erasures) == 1
    html = support_client.get(CUSTOMERS).content.decode()
    assert "Erased 2 people; each erasure is logged." in html


def test_staff_who_may_not_log_an_erasure_are_not_offered_it(client, ann):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="reader", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(user)
    html = client.get(CUSTOMERS).content.decode()
    assert "erase_personal_data" not in html
    erase(client, [ann], post="yes", requested_by="someone")
    assert Customer.objects.filter(pk=ann.pk).exists()
