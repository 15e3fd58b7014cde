"""The PostgreSQL import (COPY, ``customers.copy_import``) against the batched
one: for the same file, the same counts, report and data.

Each file is imported twice in one test, once each way, from the same
existing rows, each import rolled back after its snapshot is taken.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers import bulk, copy_import
from customers.columns import APP_FACT_FIELDS, CUSTOMER_FACT_FIELDS
from customers.models import SAMPLE_KEY_RANGE, App, AppCustomer, Customer
from customers.services import customer_import
from tests.customers.test_import import BAD_CELLS, ROW, csv_line, csv_text
from tests.factories import AppCustomerFactory, AppFactory, CustomerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY is PostgreSQL's"
    ),
]

COLUMNS = list(csv_text().strip().split(","))
TOMORROW = (timezone.now().date() + dt.timedelta(days=1)).isoformat()
TODAY = timezone.now().date().isoformat()


def row_line(**changes: str) -> str:
    row = {**ROW, **changes}
    return csv_line([row.get(c, "") for c in COLUMNS])


# Lines after the header. {app} and {other} stand for the Store product IDs
# of two apps; ALICE exists before the import, with both apps.
HOSTILE_LINES = [
    # Duplicates: the last valid row of an e-mail, of an (app, e-mail), wins.
    row_line(email="dup@mail.example", app="{app}", rating="1"),
    row_line(email="DUP@Mail.Example", app="{app}", rating="2", market="jp"),
    row_line(email="dup@mail.example", app="{other}", rating="3"),
    row_line(email="dup@mail.example", app="{app}", rating="9"),  # rejected
    # Rows with and without an app; app facts without one.
    row_line(email="alice@mail.example", app="", acquired_on="", platform="")
    .replace("paid", "")
    .replace("spring-sale", "")
    .replace("news.example", "")
    .replace("2026-01-09", "")
    .replace("2026-02-01", "")
    .replace(",7,4,0.25,4.99,", ",,,,,"),
    row_line(email="noapp@mail.example", app=""),
    row_line(email="ghost@mail.example", app="9NZZZZZZZZZZ"),
    row_line(email="lower@mail.example", app="{app_lower}"),
    # Quoting, white space, text COPY reads specially.
    '"quoted@mail.example","true","","male","FR","","","","2026-01-01","free",'
    '"xbox","a,b","","","","","","","","{app}"',
    row_line(email=" spaced@mail.example ", gender=" male ", app="{app}"),
    row_line(email="tab@mail.example", campaign_id="tab\there", app="{app}"),
    row_line(email="slash@mail.example", campaign_id="back\\slash\\N", app="{app}"),
    row_line(email="accent@mail.example", campaign_id="été 🎉", app="{app}"),
    row_line(email="Élise@mail.example", app="{app}"),
    row_line(email='"a b"@mail.example', app="{app}"),
    row_line(email="élise@MAIL.example", app="{other}", rating="5"),
    # Numbers and dates at their limits.
    row_line(email="max@mail.example", store_purchase_count="2147483647", app="{app}"),
    row_line(email="over@mail.example", sessions_30d="2147483648", app="{app}"),
    row_line(email="nine@mail.example", sessions_30d="999999999", app="{app}"),
    row_line(email="plus@mail.example", sessions_30d="+3", rating="05", app="{app}"),
    row_line(email="rich@mail.example", store_spend="9999999999.99", app="{app}"),
    row_line(email="richer@mail.example", app_spend="10000000000", app="{app}"),
    row_line(email="cents@mail.example", app_spend=".5", store_spend="7.", app="{app}"),
    row_line(email="one@mail.example", churn_score="1.0", app="{app}"),
    row_line(email="tiny@mail.example", churn_score="1e-5", app="{app}"),
    row_line(
        email="long@mail.example", churn_score="0.99999999999999999999", app="{app}"
    ),
    row_line(email="negzero@mail.example", store_spend="-0", app="{app}"),
    row_line(email="leap@mail.example", birth_date="2024-02-29", app="{app}"),
    row_line(email="noleap@mail.example", birth_date="2023-02-29", app="{app}"),
    row_line(email="year0@mail.example", acquired_on="0000-01-01", app="{app}"),
    row_line(email="year9999@mail.example", acquired_on="9999-12-31", app="{app}"),
    row_line(email="today@mail.example", birth_date=TODAY, app="{app}"),
    row_line(email="tomorrow@mail.example", birth_date=TOMORROW, app="{app}"),
    # Lines that are no rows.
    "a,b,c",
    '"unbalanced@mail.example,true',
    "   ",
    "",
    *[
        row_line(**{"email": f"bad{i}@mail.example", "app": "{app}", column: value})
        for i, (column, value, _) in enumerate(BAD_CELLS)
        if column != "email"
    ],
    row_line(email="bob@", app="{app}"),
    row_line(email="a" * 250 + "@x.example", app="{app}"),
    row_line(email="last@mail.example", app="{app}"),
]


@pytest.fixture
def apps(app, other_app):
    """Two apps, and ALICE: a customer of both, with facts to replace."""
    alice = CustomerFactory(email="alice@mail.example", market="DE")
    AppCustomerFactory(app=app, customer=alice, rating=5, campaign_id="old")
    AppCustomerFactory(app=other_app, customer=alice, rating=1)
    return app, other_app


def _fill(text: str, app: App, other_app: App) -> str:
    return (
        text.replace("{app}", app.store_product_id)
        .replace("{app_lower}", app.store_product_id.lower())
        .replace("{other}", other_app.store_product_id)
    )


def _snapshot(*, existing_ids: set[int]) -> dict:
    customers = list(
        Customer.objects.order_by("email").values_list("email", *CUSTOMER_FACT_FIELDS)
    )
    app_customers = sorted(
        AppCustomer.objects.values_list(
            "app__store_product_id", "customer__email", *APP_FACT_FIELDS
        )
    )
    kept_keys = sorted(
        AppCustomer.objects.filter(pk__in=existing_ids).values_list("pk", "sample_key")
    )
    new_keys = AppCustomer.objects.exclude(pk__in=existing_ids).values_list(
        "sample_key", flat=True
    )
    assert all(0 <= key < SAMPLE_KEY_RANGE for key in new_keys)
    return {
        "customers": customers,
        "app_customers": app_customers,
        "kept_sample_keys": kept_keys,
    }


def import_one_way(
    path: Path, *, way: str, default_app: App | None, monkeypatch
) -> dict:
    """Import ``path`` the given way; return what it did, then roll it back.

    What it did: the counts, the report, the data, the customers stamped as
    written since the import started, the creation times and sample keys of
    the rows that existed before.
    """
    with monkeypatch.context() as patch:
        patch.setattr(bulk, "copy_supported", lambda *, using: way == "copy")
        existing_ids = set(AppCustomer.objects.values_list("pk", flat=True))
        existing = set(Customer.objects.values_list("pk", flat=True))
        with transaction.atomic():
            started = timezone.now()
            report = path.with_name(f"{path.name}.{way}.rejected.csv")
            result = customer_import(
                path=path, default_app=default_app, report_path=report
            )
            snapshot = _snapshot(existing_ids=existing_ids)
            snapshot["written"] = sorted(
                Customer.objects.filter(updated_at__gte=started).values_list(
                    "email", flat=True
                )
            )
            snapshot["kept_created_at"] = sorted(
                Customer.objects.filter(pk__in=existing).values_list("pk", "created_at")
            )
            transaction.set_rollback(True)
    snapshot["result"] = (result.read, result.loaded, result.rejected, result.app_ids)
    snapshot["report"] = report.read_bytes() if result.report_path else None
    assert result.report_path in (None, report)
    return snapshot


def assert_same_both_ways(path: Path, *, default_app: App | None, monkeypatch):
    batched = import_one_way(
        path, way="batched", default_app=default_app, monkeypatch=monkeypatch
    )
    copied = import_one_way(
        path, way="copy", default_app=default_app, monkeypatch=monkeypatch
    )
    assert copied == batched
    return copied


@pytest.mark.parametrize(
    "line",
    HOSTILE_LINES,
    ids=[f"{i}:{line[:30]}" for i, line in enumerate(HOSTILE_LINES)],
)
def test_each_hostile_line_among_good_rows_imports_alike_both_ways(
    tmp_path, apps, line, monkeypatch
):
    app, other_app = apps
    good = [row_line(email=f"good{i}@mail.example", app="{app}") for i in range(3)]
    text = "\n".join([",".join(COLUMNS), good[0], line, good[1], good[2]]) + "\n"
    path = tmp_path / "customers.csv"
    path.write_text(_fill(text, app, other_app), encoding="utf-8")

    assert_same_both_ways(path, default_app=None, monkeypatch=monkeypatch)


@pytest.mark.parametrize("default", [False, True], ids=["no-default-app", "--app"])
@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_hostile_file_imports_alike_both_ways(
    tmp_path, apps, default, ending, monkeypatch
):
    app, other_app = apps
    text = ending.join([",".join(COLUMNS), *HOSTILE_LINES]) + ending
    path = tmp_path / "customers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _fill(text, app, other_app).encode())

    copied = assert_same_both_ways(
        path, default_app=app if default else None, monkeypatch=monkeypatch
    )

    assert copied["result"][2] > 40  # rejected: the bad ones did reach the report
    assert copied["result"][1] > 20  # loaded


def test_a_hostile_json_lines_file_imports_alike_both_ways(tmp_path, apps, monkeypatch):
    app, other_app = apps
    rows = [
        {**ROW, "app": app.store_product_id},
        {**ROW, "email": "ALICE@mail.example", "rating": 2, "churn_score": 0.5},
        {**ROW, "email": "typed@mail.example", "authenticated": True, "app": None},
        {**ROW, "email": "n@mail.example", "store_spend": 12.5, "sessions_30d": 3},
        {**ROW, "email": "x@mail.example", "rating": True},
        {**ROW, "email": "y@mail.example", "campaign_id": 2026, "app": "9NZZZZZZZZZZ"},
        {
            "email": "only@mail.example",
            "authenticated": "no",
            "gender": "male",
            "market": "fr",
            "app": None,
            **dict.fromkeys(APP_FACT_FIELDS),
        },
    ]
    lines = [json.dumps(row) for row in rows]
    lines += ["{not json", "[1]", '{"email": "z@mail.example", "colour": "red"}']
    lines += ['{"email": "z@mail.example", "churn_score": NaN}', "", "  "]
    path = tmp_path / "customers.jsonl"
    path.write_text(_fill("\n".join(lines) + "\n", app, other_app), encoding="utf-8")

    copied = assert_same_both_ways(path, default_app=app, monkeypatch=monkeypatch)

    assert copied["result"][:3] == (11, 4, 7)


def test_a_file_of_customer_facts_only_imports_alike_both_ways(
    tmp_path, apps, monkeypatch
):
    columns = ["email", "authenticated", "gender", "market", "birth_date"]
    rows = [
        {
            "email": "alice@mail.example",
            "authenticated": "no",
            "gender": "male",
            "market": "fr",
            "birth_date": "1980-01-31",
        },
        {
            "email": "new@mail.example",
            "authenticated": "1",
            "gender": "UNKNOWN",
            "market": "Gb",
        },
        {
            "email": "bad@mail.example",
            "authenticated": "1",
            "gender": "x",
            "market": "Gb",
        },
    ]
    path = tmp_path / "customers.csv"
    path.write_text(csv_text(*rows, columns=columns), encoding="utf-8")

    copied = assert_same_both_ways(path, default_app=None, monkeypatch=monkeypatch)

    assert copied["result"][:3] == (3, 2, 1)
    born = 1 + CUSTOMER_FACT_FIELDS.index("birth_date")
    assert ("alice@mail.example", dt.date(1980, 1, 31)) in [
        (row[0], row[born]) for row in copied["customers"]
    ]


def _keys_and_indexes() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE tablename = ANY(%s)
            ORDER BY 1, 2
            """,
            [
                [Customer._meta.db_table, AppCustomer._meta.db_table],
                [Customer._meta.db_table, AppCustomer._meta.db_table],
            ],
        )
        return cursor.fetchall()


def test_a_large_load_drops_keys_and_indexes_and_loads_alike(
    tmp_path, apps, monkeypatch
):
    app, other_app = apps
    # As if the file were large and the tables small, whatever their
    # statistics say after the tests before this one.
    monkeypatch.setattr(bulk, "keys_drop_pays", lambda **kwargs: True)
    dropped = []
    real = bulk.keys_and_indexes_dropped

    def spied(**kwargs):
        dropped.append(kwargs["keep_unique"])
        return real(**kwargs)

    monkeypatch.setattr(bulk, "keys_and_indexes_dropped", spied)
    before = _keys_and_indexes()
    lines = [row_line(email=f"u{i}@mail.example", app="{app}") for i in range(20)]
    lines += [row_line(email="u0@mail.example", app="{other}", rating="1")]
    lines += [row_line(email="u1@mail.example", app="{app}", rating="9")]
    path = tmp_path / "customers.csv"
    path.write_text(
        _fill("\n".join([",".join(COLUMNS), *lines]) + "\n", app, other_app),
        encoding="utf-8",
    )

    copied = assert_same_both_ways(path, default_app=None, monkeypatch=monkeypatch)

    assert dropped == [True]  # the COPY way dropped them, keeping unique ones
    assert copied["result"][:3] == (22, 21, 1)
    assert _keys_and_indexes() == before


def test_new_app_customers_draw_uniform_sample_keys(tmp_path, app):
    lines = [
        row_line(email=f"k{i}@mail.example", app=app.store_product_id)
        for i in range(400)
    ]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([",".join(COLUMNS), *lines]) + "\n", encoding="utf-8")

    customer_import(path=path, default_app=None, report_path=tmp_path / "r.csv")

    keys = list(AppCustomer.objects.values_list("sample_key", flat=True))
    assert len(keys) == 400 and len(set(keys)) == 400
    assert all(0 <= key < SAMPLE_KEY_RANGE for key in keys)
    assert 0.4 < sum(key < SAMPLE_KEY_RANGE // 2 for key in keys) / len(keys) < 0.6


def test_an_app_created_after_the_file_was_written_is_known(tmp_path, partner):
    late = AppFactory(partner=partner)
    path = tmp_path / "customers.csv"
    path.write_text(csv_text({**ROW, "app": late.store_product_id}), encoding="utf-8")

    result = customer_import(path=path, default_app=None, report_path=tmp_path / "r")

    assert (result.loaded, result.app_ids) == (1, frozenset({late.pk}))
    assert AppCustomer.objects.get().app == late


def test_the_rows_a_table_keeps_are_estimated_from_its_statistics(app):
    for i in range(3):
        AppCustomerFactory(app=app, customer=CustomerFactory(email=f"c{i}@x.example"))

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AppCustomer._meta.db_table}")
        assert copy_import._rows_kept(AppCustomer, cursor) == 3
