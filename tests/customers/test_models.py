"""Database constraints of the customer data model hold for every write path."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper

from customers.models import AppCustomer, Customer, PartnerMembership
from tests.factories import (
    AppCustomerFactory,
    AppFactory,
    CustomerFactory,
    PartnerMembershipFactory,
)

pytestmark = pytest.mark.django_db


def _violates(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_customer_email_is_stored_lower_case_and_unique_case_insensitively():
    customer = CustomerFactory(email="  Ana.Silva@Mail.Example ")
    customer.refresh_from_db()
    assert customer.email == "ana.silva@mail.example"
    _violates(lambda: CustomerFactory(email="ANA.SILVA@mail.example"))
    assert Customer.objects.filter(email="ANA.silva@MAIL.example").exists()


def test_customer_email_lowercase_check_rejects_raw_mixed_case():
    customer = CustomerFactory()
    _violates(
        lambda: Customer.objects.filter(pk=customer.pk).update(email=Upper("email"))
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("gender", "robot"),
        ("market", "U"),
        ("store_spend", Decimal("-0.01")),
    ],
)
def test_customer_rejects_out_of_range_values(field, value):
    customer = CustomerFactory()
    _violates(lambda: Customer.objects.filter(pk=customer.pk).update(**{field: value}))


@pytest.mark.parametrize(
    "field, value",
    [
        ("rating", 0),
        ("rating", 6),
        ("churn_score", 1.01),
        ("churn_score", -0.1),
        ("platform", "android"),
        ("acquisition_type", "stolen"),
        ("app_spend", Decimal("-1")),
    ],
)
def test_app_customer_rejects_out_of_range_values(field, value):
    app_customer = AppCustomerFactory()
    _violates(
        lambda: AppCustomer.objects.filter(pk=app_customer.pk).update(**{field: value})
    )


@pytest.mark.parametrize(
    "field, value",
    [("rating", 1), ("rating", 5), ("churn_score", 0.0), ("churn_score", 1.0)],
)
def test_app_customer_accepts_range_boundaries(field, value):
    app_customer = AppCustomerFactory(**{field: value})
    app_customer.full_clean()


def test_app_customer_is_unique_per_app_and_customer():
    app_customer = AppCustomerFactory()
    _violates(
        lambda: AppCustomerFactory(app=app_customer.app, customer=app_customer.customer)
    )
    AppCustomerFactory(customer=app_customer.customer)  # another app is fine


def test_store_product_id_is_unique_and_validated():
    app = AppFactory(store_product_id="9NBLGGH4R315")
    _violates(lambda: AppFactory(store_product_id="9NBLGGH4R315"))
    _violates(lambda: AppFactory(store_product_id="SHORT"))
    app.store_product_id = "9nblggh4r315"
    with pytest.raises(ValidationError):
        app.full_clean()


def test_partner_membership_role_and_uniqueness():
    membership = PartnerMembershipFactory()
    _violates(
        lambda: PartnerMembershipFactory(
            user=membership.user, partner=membership.partner
        )
    )
    _violates(
        lambda: PartnerMembership.objects.filter(pk=membership.pk).update(role="owner")
    )
    assert membership.can_edit
    membership.role = PartnerMembership.Role.VIEWER
    assert not membership.can_edit


def test_customer_full_clean_reports_bad_market_and_birth_date_is_optional():
    customer = Customer(email="x@mail.example", market="ZZ", birth_date=None)
    with pytest.raises(ValidationError) as excinfo:
        customer.full_clean()
    assert "market" in excinfo.value.message_dict
    customer.market = "FR"
    customer.full_clean()
    assert customer.birth_date is None
    assert customer.gender == Customer.Gender.UNKNOWN
