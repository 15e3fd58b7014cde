"""factory_boy factories for every model tests create."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from customers.models import App, AppCustomer, Customer, Partner, PartnerMembership

# The definition most tests use: one filter, Store spend over $10.
SPEND_OVER_10 = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}],
}

PASSWORD = "test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@partner.example")
    password = factory.django.Password(PASSWORD)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")


class PartnerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerMembership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = PartnerMembership.Role.EDITOR


class AppFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = App

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"App {n}")
    store_product_id = factory.Sequence(lambda n: f"9N{n:010d}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@mail.example")
    birth_date = dt.date(1990, 6, 15)
    gender = Customer.Gender.FEMALE
    market = "US"
    authenticated = True
    store_purchase_count = 0
    store_acquisition_count = 1
    store_spend = Decimal("0.00")


class AppCustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppCustomer

    app = factory.SubFactory(AppFactory)
    customer = factory.SubFactory(CustomerFactory)
    acquired_on = dt.date(2026, 1, 10)
    acquisition_type = AppCustomer.AcquisitionType.FREE
    platform = AppCustomer.Platform.WINDOWS11
    sessions_30d = 0
    app_spend = Decimal("0.00")


def known_user_group(*, partner, name="Beta testers", emails=(), user=None):
    """A known user group made through the service, as partners make them."""
    from engagement.services.known_user_groups import known_user_group_create

    return known_user_group_create(
        partner=partner, name=name, addresses=list(emails), user=user
    )
