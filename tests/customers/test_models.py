"""Database constraints of the customer data model hold for every write path."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models.functions import Upper

from customers.models import (
    CENT,
    MAX_INTEGER,
    MAX_MONEY,
    AppCustomer,
    Customer,
    PartnerMembership,
)
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


# The limits the importer and the segment rules check are the fields' own.
MONEY_FIELDS = [(Customer, "store_spend"), (AppCustomer, "app_spend")]
COUNT_FIELDS = [
    (Customer, "store_purchase_count"),
    (Customer, "store_acquisition_count"),
    (AppCustomer, "sessions_30d"),
]


@pytest.mark.parametrize("model, name", MONEY_FIELDS)
def test_max_money_is_the_first_amount_the_spend_fields_refuse(model, name):
    field = model._meta.get_field(name)
    field.clean(MAX_MONEY - CENT, None)
    for refused in (MAX_MONEY, CENT / 10):
        with pytest.raises(ValidationError):
            field.clean(refused, None)
    assert CENT.as_tuple().exponent == -field.decimal_places


@pytest.mark.parametrize("model, name", COUNT_FIELDS)
def test_max_integer_is_the_largest_count_the_database_stores(model, name):
    assert model._meta.get_field(name).get_internal_type() == "PositiveIntegerField"
    if connection.vendor == "postgresql":
        _low, high = connection.ops.integer_field_range("PositiveIntegerField")
        assert high == MAX_INTEGER
    row = AppCustomerFactory()
    target = row if model is AppCustomer else row.customer
    model.objects.filter(pk=target.pk).update(**{name: MAX_INTEGER})
    target.refresh_from_db()
    assert getattr(target, name) == MAX_INTEGER
    if connection.vendor == "postgresql":  # SQLite stores 64 bits
        with pytest.raises(DataError), transaction.atomic():
            model.objects.filter(pk=target.pk).update(**{name: MAX_INTEGER + 1})


def test_the_largest_amount_is_stored_exactly():
    customer = CustomerFactory(store_spend=MAX_MONEY - CENT)
    customer.refresh_from_db()
    assert customer.store_spend == Decimal("9999999999.99")
