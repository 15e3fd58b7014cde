"""seed_demo: deterministic, realistic, replacing, with the demo logins."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test import RequestFactory

from customers import bulk
from customers.demo import DEMO_EMAIL_SUFFIX, demo_store_product_id
from customers.models import App, AppCustomer, Customer, Partner, PartnerMembership
from tests.factories import AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = "2026-11-28"
FACTS = [
    "customer__email",
    "customer__birth_date",
    "customer__gender",
    "customer__market",
    "customer__authenticated",
    "customer__store_purchase_count",
    "customer__store_acquisition_count",
    "customer__store_spend",
    "app__store_product_id",
    "acquired_on",
    "acquisition_type",
    "platform",
    "campaign_id",
    "referrer_domain",
    "store_page_viewed_on",
    "last_active_on",
    "sessions_30d",
    "rating",
    "churn_score",
    "app_spend",
]


def seed(*args):
    out = StringIO()
    call_command("seed_demo", f"--today={TODAY}", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return sorted(AppCustomer.objects.values_list(*FACTS), key=repr)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    seed("--customers=300", "--seed=3")
    first = snapshot()
    seed("--customers=300", "--seed=3")
    assert snapshot() == first
    seed("--customers=300", "--seed=4")
    assert snapshot() != first


def test_rerunning_replaces_the_demo_customers_and_keeps_others():
    outsider = CustomerFactory(email="real@customer.example")
    seed("--customers=300")
    counts = (Customer.objects.count(), AppCustomer.objects.count())
    seed("--customers=300")
    assert (Customer.objects.count(), AppCustomer.objects.count()) == counts
    assert Customer.objects.filter(pk=outsider.pk).exists()
    assert Customer.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX).count() == 300


def test_demo_logins_roles_and_support_staff():
    out = seed("--customers=50")
    for username in ("demo", "viewer", "other", "support"):
        assert username in out
        assert authenticate(
            RequestFactory().post("/accounts/login/"),  # django-axes needs one
            username=username,
            password="demo-password",
        )
    roles = dict(
        PartnerMembership.objects.values_list("user__username", "role").filter(
            partner__name="Demo Studio"
        )
    )
    assert roles == {"demo": "editor", "viewer": "viewer"}
    assert PartnerMembership.objects.get(user__username="other").partner.name == (
        "Northwind Games"
    )
    zones = dict(Partner.objects.values_list("name", "time_zone"))
    assert zones["Demo Studio"] == "Europe/Paris"  # times show a zone worth seeing
    support = get_user_model().objects.get(username="support")
    assert support.is_staff and not support.is_superuser
    assert support.has_perm("customers.view_customer")
    assert support.has_perm("engagement.view_segment")
    assert support.has_perm("axes.delete_accessattempt")  # unlocks sign-in


def test_data_has_realistic_spreads():
    seed("--customers=600")
    customers = Customer.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX)
    total = customers.count()
    assert customers.filter(birth_date__isnull=True).exists()
    assert set(customers.values_list("gender", flat=True)) == {
        "male",
        "female",
        "unknown",
    }
    assert customers.values("market").distinct().count() >= 20
    unauthenticated = customers.filter(authenticated=False).count() / total
    assert 0.04 <= unauthenticated <= 0.16
    today = dt.date.fromisoformat(TODAY)
    born = customers.exclude(birth_date__isnull=True)
    assert born.filter(birth_date__gt=dt.date(today.year - 17, 1, 1)).exists()  # teens
    assert born.filter(birth_date__lt=dt.date(today.year - 70, 1, 1)).exists()
    app_customers = AppCustomer.objects.filter(customer__in=customers)
    assert app_customers.exclude(platform__in=["windows10", "windows11"]).exists()
    assert app_customers.filter(rating__isnull=False).exists()
    assert app_customers.filter(rating__isnull=True).count() > app_customers.count() / 2
    assert app_customers.exclude(campaign_id="").exists()
    assert app_customers.exclude(referrer_domain="").exists()
    assert app_customers.filter(churn_score__isnull=False).exists()
    assert app_customers.filter(acquired_on__lt=today - dt.timedelta(days=365)).exists()
    assert app_customers.filter(acquired_on__gte=today - dt.timedelta(days=30)).exists()
    assert (
        customers.filter(store_spend=0).exists()
        and customers.filter(store_spend__gt=100).exists()
    )


def test_the_second_partner_has_its_own_customers_and_no_demo_access():
    seed("--customers=300")
    other_app = App.objects.get(partner__name="Northwind Games")
    assert AppCustomer.objects.filter(app=other_app).exists()
    assert not PartnerMembership.objects.filter(
        user__username="demo", partner=other_app.partner
    ).exists()


def test_one_app_makes_every_demo_customer_a_customer_of_it():
    seed("--customers=200", "--apps=1")
    app = App.objects.get(store_product_id=demo_store_product_id(name="Pixel Quest"))
    assert AppCustomer.objects.filter(app=app).count() == 200


def test_if_empty_skips_a_database_with_demo_data():
    seed("--customers=50")
    assert "already loaded" in seed("--customers=80", "--if-empty")
    assert Customer.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX).count() == 50


@pytest.mark.parametrize(
    "args", [["--apps=0"], ["--customers=-1"], ["--today=tomorrow"]]
)
def test_bad_options_get_a_clear_error(args):
    with pytest.raises(CommandError):
        seed(*args)


def test_demo_groups_are_created_computed_and_kept_on_a_rerun():
    from engagement.models import KnownUserGroup, Segment

    out = seed("--customers=300")
    assert "Demo segment Big spenders:" in out
    segments = Segment.objects.filter(partner__name="Demo Studio")
    assert segments.count() == 4
    assert all(s.computed_at is not None for s in segments)
    group = KnownUserGroup.objects.get(partner__name="Demo Studio", name="Beta testers")
    assert (group.member_count, group.address_count) == (
        group.addresses.filter(customer__isnull=False).count(),
        45,
    )
    seed("--customers=300", "--seed=9")
    assert Segment.objects.filter(partner__name="Demo Studio").count() == 4
    # The rerun deleted the members with the customers: counts start again.
    for segment in segments.all():
        assert segment.member_count == segment.memberships.count()
    group.refresh_from_db()
    assert group.member_count == group.addresses.filter(customer__isnull=False).count()


def test_demo_emails_are_lower_case_unique_and_under_the_demo_domain():
    seed("--customers=300")
    emails = list(Customer.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 300
    assert all(e == e.lower() and e.endswith(DEMO_EMAIL_SUFFIX) for e in emails)


def test_facts_are_consistent_with_each_other():
    seed("--customers=400")
    today = dt.date.fromisoformat(TODAY)
    app_spend = dict(
        Customer.objects.annotate(total=Sum("app_customers__app_spend")).values_list(
            "pk", "total"
        )
    )
    for customer in Customer.objects.annotate(apps=Count("app_customers")):
        assert customer.store_spend >= app_spend[customer.pk]
        assert customer.store_acquisition_count >= customer.apps >= 1
        assert (customer.store_purchase_count > 0) == (customer.store_spend > 0)
    for row in AppCustomer.objects.all():
        assert today - dt.timedelta(days=730) < row.acquired_on <= today
        if row.store_page_viewed_on is not None:
            assert row.store_page_viewed_on <= row.acquired_on
        if row.last_active_on is None or row.last_active_on < today - dt.timedelta(
            days=30
        ):
            assert row.sessions_30d == 0
        else:
            assert row.acquired_on <= row.last_active_on <= today
        assert row.rating is None or 1 <= row.rating <= 5
        assert row.churn_score is None or 0 <= row.churn_score <= 1


def test_rerunning_with_fewer_apps_empties_the_apps_left_out():
    seed("--customers=200", "--apps=4")
    star_courier = App.objects.get(
        store_product_id=demo_store_product_id(name="Star Courier")
    )
    assert AppCustomer.objects.filter(app=star_courier).exists()
    seed("--customers=200", "--apps=2")
    assert App.objects.filter(pk=star_courier.pk).exists()
    assert not AppCustomer.objects.filter(app=star_courier).exists()


def test_seeding_next_to_a_larger_customer_base_keeps_it_whole():
    kept = AppCustomerFactory.create_batch(40)
    seed("--customers=20")
    assert AppCustomer.objects.filter(pk__in=[row.pk for row in kept]).count() == 40
    assert Customer.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX).count() == 20


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="keys and indexes are dropped on PG"
)
def test_a_bulk_load_puts_back_every_key_and_index(monkeypatch):
    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = ANY('{customers_customer,customers_appcustomer,
                    engagement_segmentmembership,targeting_offerconversion}'::regclass[])
                UNION ALL
                SELECT indexname, indexdef FROM pg_indexes
                WHERE tablename IN ('customers_customer', 'customers_appcustomer')
                ORDER BY 1, 2
                """
            )
            return cursor.fetchall()

    monkeypatch.setattr(bulk, "BULK_LOAD_MIN_ROWS", 0)
    before = schema()
    # Rows written earlier in the same transaction leave checks pending.
    outsider = AppCustomerFactory()
    out = seed("--customers=300")
    assert "Dropped 5 foreign keys and 7 indexes" in out
    seed("--customers=300", "--seed=2")  # memberships and addresses now refer
    assert schema() == before
    assert AppCustomer.objects.filter(pk=outsider.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_receives_the_rows_by_copy(monkeypatch):
    copied = []
    text_copy = bulk.text_copy

    def spy(*, model, fields, text, using):
        copied.append((model, text.count("\n")))
        text_copy(model=model, fields=fields, text=text, using=using)

    monkeypatch.setattr(bulk, "text_copy", spy)
    seed("--customers=300")
    assert copied == [
        (Customer, 300),
        (AppCustomer, AppCustomer.objects.count()),
    ]
