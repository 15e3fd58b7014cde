"""The app customer export: raw stored facts, one CSV row each, importable back."""

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.columns import EXPORT_COLUMNS
from customers.models import AppCustomer, Customer
from tests.factories import AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "email,authenticated,birth_date,gender,market,store_purchase_count,"
    "store_acquisition_count,store_spend,acquired_on,acquisition_type,platform,"
    "campaign_id,referrer_domain,store_page_viewed_on,last_active_on,sessions_30d,"
    "rating,churn_score,app_spend"
)


def export(*args: str) -> str:
    out = StringIO()
    call_command("export_app_customers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def app_customers(app, other_app):
    """Three customers of ``app`` (one with every optional fact empty), and one
    customer of another app who must not be exported."""
    full = AppCustomerFactory(
        app=app,
        customer=CustomerFactory(
            email="bea@mail.example",
            authenticated=True,
            birth_date=dt.date(1990, 6, 15),
            gender="female",
            market="FR",
            store_purchase_count=3,
            store_acquisition_count=4,
            store_spend=Decimal("12.5"),
        ),
        acquired_on=dt.date(2026, 1, 10),
        acquisition_type="promotional_code",
        platform="windows10",
        campaign_id='spring, "sale"',
        referrer_domain="news.example",
        store_page_viewed_on=dt.date(2026, 1, 9),
        last_active_on=dt.date(2026, 2, 1),
        sessions_30d=7,
        rating=4,
        churn_score=0.1,
        app_spend=Decimal("4.99"),
    )
    empty = AppCustomerFactory(
        app=app,
        customer=CustomerFactory(
            email="abe@mail.example",
            authenticated=False,
            birth_date=None,
            gender="unknown",
            market="JP",
        ),
        acquired_on=dt.date(2025, 12, 31),
        platform="xbox",
    )
    AppCustomerFactory(app=app, customer=CustomerFactory(email="cid@mail.example"))
    AppCustomerFactory(app=other_app, customer=full.customer)
    AppCustomerFactory(
        app=other_app, customer=CustomerFactory(email="zed@mail.example")
    )
    return full, empty


def test_export_writes_the_header_and_one_row_per_app_customer_by_email(
    app, app_customers
):
    lines = export("--app", app.store_product_id).splitlines()

    assert lines[0] == HEADER
    assert [line.split(",")[0] for line in lines[1:]] == [
        "abe@mail.example",
        "bea@mail.example",
        "cid@mail.example",
    ]


def test_export_writes_raw_facts_with_iso_dates_and_two_decimal_money(
    app, app_customers
):
    rows = list(csv.DictReader(StringIO(export("--app", app.store_product_id))))

    assert list(rows[1].keys()) == EXPORT_COLUMNS
    assert rows[1] == {
        "email": "bea@mail.example",
        "authenticated": "true",
        "birth_date": "1990-06-15",
        "gender": "female",
        "market": "FR",
        "store_purchase_count": "3",
        "store_acquisition_count": "4",
        "store_spend": "12.50",
        "acquired_on": "2026-01-10",
        "acquisition_type": "promotional_code",
        "platform": "windows10",
        "campaign_id": 'spring, "sale"',
        "referrer_domain": "news.example",
        "store_page_viewed_on": "2026-01-09",
        "last_active_on": "2026-02-01",
        "sessions_30d": "7",
        "rating": "4",
        "churn_score": "0.1",
        "app_spend": "4.99",
    }


def test_export_leaves_cells_of_missing_facts_empty(app, app_customers):
    lines = export("--app", app.store_product_id).splitlines()

    assert lines[1] == (
        "abe@mail.example,false,,unknown,JP,0,1,0.00,2025-12-31,free,xbox,,,,,0,,,0.00"
    )


def test_export_matches_the_store_product_id_in_any_case(app, app_customers):
    assert export("--app", f" {app.store_product_id.lower()} ") == export(
        "--app", app.store_product_id
    )


def test_export_writes_to_the_file_asked_for(app, app_customers, tmp_path):
    out = tmp_path / "app.csv"
    stderr = StringIO()

    stdout = StringIO()
    call_command(
        "export_app_customers",
        "--app",
        app.store_product_id,
        "--out",
        str(out),
        stdout=stdout,
        stderr=stderr,
    )

    assert out.read_text(encoding="utf-8") == export("--app", app.store_product_id)
    assert stdout.getvalue() == ""
    assert f"exported 3 customers of {app} to {out}" in stderr.getvalue()


def test_export_of_an_app_without_customers_is_the_header_alone(app):
    assert export("--app", app.store_product_id) == HEADER + "\n"


def test_export_of_an_unknown_app_is_one_error(db):
    with pytest.raises(CommandError, match="unknown app '9NNOSUCHAPP0'"):
        export("--app", "9NNOSUCHAPP0")


def stored_facts() -> tuple[list, list]:
    """Every stored fact of every customer and app customer."""
    customer_fields = [c for c in EXPORT_COLUMNS if hasattr(Customer, c)]
    app_fields = [c for c in EXPORT_COLUMNS if c not in customer_fields]
    return (
        list(
            Customer.objects.order_by("email").values_list(
                "id", "created_at", *customer_fields
            )
        ),
        list(
            AppCustomer.objects.order_by("id").values_list(
                "id", "app_id", "customer_id", *app_fields
            )
        ),
    )


def test_export_then_import_with_app_changes_nothing(app, app_customers, tmp_path):
    # Floats that print long: repr must read back as the very same float.
    AppCustomerFactory(
        app=app,
        customer=CustomerFactory(email="dee@mail.example", store_spend=Decimal("0.1")),
        churn_score=0.1 + 0.2,
        rating=1,
    )
    AppCustomerFactory(
        app=app, customer=CustomerFactory(email="eve@mail.example"), churn_score=1e-05
    )
    exported = tmp_path / "export.csv"
    call_command(
        "export_app_customers",
        "--app",
        app.store_product_id,
        "--out",
        str(exported),
        stderr=StringIO(),
    )
    before = stored_facts()

    out = StringIO()
    call_command(
        "import_customers",
        str(exported),
        "--app",
        app.store_product_id,
        stdout=out,
    )

    assert out.getvalue().strip() == "read 5, loaded 5, rejected 0"
    assert stored_facts() == before
    assert export("--app", app.store_product_id) == exported.read_text()
