"""Support admin: staff only, and every page of every model renders."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import AppCustomerFactory, PartnerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(
        UserFactory(username="support-staff", is_staff=True, is_superuser=True)
    )
    return client


def test_admin_is_for_staff_only(client):
    client.force_login(PartnerMembershipFactory().user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_every_model_admin_lists_searches_and_opens_a_row(staff_client):
    app_customer = AppCustomerFactory()
    PartnerMembershipFactory(partner=app_customer.app.partner)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label not in {"customers", "engagement"}:
            continue
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert staff_client.get(changelist).status_code == 200, changelist
        if model_admin.search_fields:
            searched = staff_client.get(changelist, {"q": "9N"})
            assert searched.status_code == 200, changelist
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
            )
            assert staff_client.get(change).status_code == 200, change
        assert staff_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        ).status_code in {200, 403}


def test_customer_admin_finds_a_customer_by_email(staff_client):
    app_customer = AppCustomerFactory(customer__email="findme@mail.example")
    response = staff_client.get(
        reverse("admin:customers_customer_changelist"), {"q": "findme@"}
    )
    assert app_customer.customer.email.encode() in response.content


def test_app_customer_admin_autocompletes_app_and_customer(staff_client):
    app_customer = AppCustomerFactory()
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": app_customer.app.store_product_id,
            "app_label": "customers",
            "model_name": "appcustomer",
            "field_name": "app",
        },
    )
    assert response.status_code == 200
    assert app_customer.app.name in response.json()["results"][0]["text"]
