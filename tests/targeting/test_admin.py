"""Support admin of flights and audiences: read-only lists, search by app."""

import pytest
from django.urls import reverse

from targeting.services.audience import audience_set_private
from targeting.services.flights import flight_create
from tests.factories import AppFactory, CustomerFactory
from tests.targeting.helpers import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def testers(partner):
    return group_with(partner, "Testers", CustomerFactory())


def test_support_finds_flights_by_app_and_reads_their_groups(
    admin_client, partner, app, testers
):
    beta = flight_create(app=app, name="Beta ring", groups=[testers], version="1.4.2.0")
    flight_create(
        app=AppFactory(partner=partner, name="Other"),
        name="Elsewhere",
        groups=[testers],
        version="1.0.0.0",
    )
    url = reverse("admin:targeting_flight_changelist")
    html = admin_client.get(url, {"q": "Contoso Racer"}).content.decode()
    assert "Beta ring" in html
    assert "Testers" in html
    assert "Elsewhere" not in html
    detail = admin_client.get(reverse("admin:targeting_flight_change", args=[beta.pk]))
    assert detail.status_code == 200
    assert "1.4.2.0" in detail.content.decode()
    assert admin_client.get(reverse("admin:targeting_flight_add")).status_code == 403


def test_support_finds_audiences_by_app_and_reads_their_groups(
    admin_client, app, testers
):
    audience = audience_set_private(app=app, groups=[testers])
    url = reverse("admin:targeting_appaudience_changelist")
    html = admin_client.get(url, {"q": app.store_product_id}).content.decode()
    assert "Contoso Racer" in html
    assert "Testers" in html
    detail = admin_client.get(
        reverse("admin:targeting_appaudience_change", args=[audience.pk])
    )
    assert detail.status_code == 200
    response = admin_client.post(
        reverse("admin:targeting_appaudience_delete", args=[audience.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 403
