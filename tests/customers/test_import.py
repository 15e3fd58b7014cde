"""The customer import: valid rows upserted in bulk, bad rows reported by line."""

import csv
import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import bulk, copy_import, services
from customers.columns import EXPORT_COLUMNS
from customers.models import AppCustomer, Customer
from customers.services import customer_import
from tests.factories import AppCustomerFactory, AppFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ROW = {
    "email": "alice@mail.example",
    "authenticated": "true",
    "birth_date": "1990-06-15",
    "gender": "female",
    "market": "US",
    "store_purchase_count": "3",
    "store_acquisition_count": "4",
    "store_spend": "12.50",
    "acquired_on": "2026-01-10",
    "acquisition_type": "paid",
    "platform": "windows11",
    "campaign_id": "spring-sale",
    "referrer_domain": "news.example",
    "store_page_viewed_on": "2026-01-09",
    "last_active_on": "2026-02-01",
    "sessions_30d": "7",
    "rating": "4",
    "churn_score": "0.25",
    "app_spend": "4.99",
}
CUSTOMER_ONLY = {
    "email": "bob@mail.example",
    "authenticated": "false",
    "gender": "male",
    "market": "FR",
}


def csv_line(values: list[str]) -> str:
    out = StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def csv_text(*rows: dict, columns: list[str] | None = None) -> str:
    """A CSV file: a header, then each row's cells (missing ones empty)."""
    columns = columns or [*EXPORT_COLUMNS, "app"]
    lines = [",".join(columns)]
    lines += [csv_line([row.get(c, "") for c in columns]) for row in rows]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def run_import(path: Path, *args: str) -> str:
    """Run the command; return what it printed."""
    out = StringIO()
    call_command("import_customers", str(path), *args, stdout=out)
    return out.getvalue()


def run_import_rejecting(path: Path, *args: str) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_customers", str(path), *args, stdout=out)
    return out.getvalue(), caught.value


def report_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


# Good rows.


def test_import_csv_stores_every_fact_of_customer_and_app_customer(tmp_path, app):
    row = {**ROW, "app": app.store_product_id.lower()}
    path = write(tmp_path, "customers.csv", csv_text(row))

    output = run_import(path)

    assert output.strip() == "read 1, loaded 1, rejected 0"
    customer = Customer.objects.get()
    assert customer.email == "alice@mail.example"
    assert customer.authenticated is True
    assert customer.birth_date == dt.date(1990, 6, 15)
    assert customer.gender == "female"
    assert customer.market.code == "US"
    assert (customer.store_purchase_count, customer.store_acquisition_count) == (3, 4)
    assert customer.store_spend == Decimal("12.50")
    app_customer = AppCustomer.objects.get()
    assert (app_customer.app, app_customer.customer) == (app, customer)
    assert app_customer.acquired_on == dt.date(2026, 1, 10)
    assert app_customer.acquisition_type == "paid"
    assert app_customer.platform == "windows11"
    assert app_customer.campaign_id == "spring-sale"
    assert app_customer.referrer_domain == "news.example"
    assert app_customer.store_page_viewed_on == dt.date(2026, 1, 9)
    assert app_customer.last_active_on == dt.date(2026, 2, 1)
    assert app_customer.sessions_30d == 7
    assert app_customer.rating == 4
    assert app_customer.churn_score == 0.25
    assert app_customer.app_spend == Decimal("4.99")
    assert not list(tmp_path.glob("*.rejected.csv"))


def test_import_jsonl_accepts_json_types_and_strings(tmp_path, app):
    typed = {
        **ROW,
        "authenticated": True,
        "store_purchase_count": 3,
        "store_spend": 12.5,
        "sessions_30d": 7,
        "rating": 4,
        "churn_score": 0.25,
        "app_spend": 4.99,
        "campaign_id": 2026,
        "birth_date": None,
        "app": app.store_product_id,
    }
    as_text = {**ROW, "email": "carol@mail.example", "app": app.store_product_id}
    lines = [json.dumps(typed), "", json.dumps(as_text)]
    path = write(tmp_path, "customers.jsonl", "\n".join(lines) + "\n")

    assert run_import(path).strip() == "read 2, loaded 2, rejected 0"

    alice = AppCustomer.objects.select_related("customer").get(
        customer__email="alice@mail.example"
    )
    assert alice.customer.authenticated is True
    assert alice.customer.birth_date is None
    assert alice.customer.store_spend == Decimal("12.50")
    assert alice.app_spend == Decimal("4.99")
    assert alice.churn_score == 0.25
    assert alice.campaign_id == "2026"
    assert AppCustomer.objects.filter(customer__email="carol@mail.example").exists()


def test_import_accepts_booleans_in_any_spelling_and_codes_in_any_case(tmp_path, app):
    rows = [
        {**ROW, "email": f"u{i}@mail.example", "authenticated": value}
        for i, value in enumerate(["TRUE", "Yes", "1", "false", "NO", "0"])
    ]
    rows[0].update(gender="Male", market="fr", platform="Windows10")
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    run_import(path, "--app", app.store_product_id.lower())

    authenticated = dict(Customer.objects.values_list("email", "authenticated"))
    assert [authenticated[f"u{i}@mail.example"] for i in range(6)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    first = AppCustomer.objects.select_related("customer").get(
        customer__email="u0@mail.example"
    )
    assert (first.customer.gender, first.customer.market.code) == ("male", "FR")
    assert first.platform == "windows10"


def test_import_skips_a_utf8_bom_and_crlf_line_breaks(tmp_path, app):
    content = csv_text(ROW).replace("\n", "\r\n")
    path = write(tmp_path, "customers.csv", b"\xef\xbb\xbf" + content.encode())

    assert run_import(path, "--app", app.store_product_id).startswith(
        "read 1, loaded 1"
    )
    assert AppCustomer.objects.get().campaign_id == "spring-sale"


def test_import_of_a_header_without_rows_succeeds_with_nothing_loaded(tmp_path):
    path = write(tmp_path, "customers.csv", csv_text())

    assert run_import(path).strip() == "read 0, loaded 0, rejected 0"


def test_import_sniffs_the_format_of_other_extensions(tmp_path, app):
    jsonl = write(tmp_path, "a.txt", "\n" + json.dumps(ROW) + "\n")
    as_csv = write(tmp_path, "b.data", csv_text({**ROW, "email": "b@mail.example"}))

    run_import(jsonl, "--app", app.store_product_id)
    run_import(as_csv, "--app", app.store_product_id)

    assert set(Customer.objects.values_list("email", flat=True)) == {
        "alice@mail.example",
        "b@mail.example",
    }


def test_import_of_an_empty_optional_cell_stores_none_or_zero(tmp_path, app):
    row = {**ROW, "birth_date": "", "rating": "", "churn_score": "", "campaign_id": ""}
    row |= {"store_spend": "", "sessions_30d": "", "last_active_on": ""}
    path = write(tmp_path, "customers.csv", csv_text(row))

    run_import(path, "--app", app.store_product_id)

    app_customer = AppCustomer.objects.select_related("customer").get()
    assert app_customer.customer.birth_date is None
    assert app_customer.customer.store_spend == Decimal("0")
    assert app_customer.rating is None
    assert app_customer.churn_score is None
    assert app_customer.campaign_id == ""
    assert app_customer.sessions_30d == 0
    assert app_customer.last_active_on is None


# Upserts.


def test_reimport_updates_rows_instead_of_duplicating_them(tmp_path, app):
    path = write(tmp_path, "customers.csv", csv_text(ROW))
    run_import(path, "--app", app.store_product_id)
    changed = {**ROW, "store_spend": "99.00", "rating": "2", "platform": "xbox"}
    write(tmp_path, "customers.csv", csv_text(changed))

    run_import(path, "--app", app.store_product_id)

    assert Customer.objects.count() == 1
    app_customer = AppCustomer.objects.select_related("customer").get()
    assert app_customer.customer.store_spend == Decimal("99.00")
    assert (app_customer.rating, app_customer.platform) == (2, "xbox")


def test_import_matches_an_existing_customer_whatever_the_case_of_the_email(
    tmp_path, app
):
    existing = CustomerFactory(email="alice@mail.example", market="DE")
    path = write(
        tmp_path, "customers.csv", csv_text({**ROW, "email": " Alice@MAIL.example "})
    )

    run_import(path, "--app", app.store_product_id)

    existing.refresh_from_db()
    assert Customer.objects.count() == 1
    assert existing.market.code == "US"
    assert AppCustomer.objects.get().customer == existing


def test_a_row_replaces_every_stored_fact_absent_columns_included(tmp_path, app):
    AppCustomerFactory(
        app=app,
        customer=CustomerFactory(email="alice@mail.example", store_spend=Decimal(5)),
        rating=5,
        campaign_id="old",
    )
    columns = ["email", "authenticated", "gender", "market", "acquired_on"]
    columns += ["acquisition_type", "platform"]
    path = write(tmp_path, "customers.csv", csv_text(ROW, columns=columns))

    run_import(path, "--app", app.store_product_id)

    app_customer = AppCustomer.objects.select_related("customer").get()
    assert app_customer.customer.store_spend == Decimal("0")
    assert app_customer.customer.birth_date is None
    assert (app_customer.rating, app_customer.campaign_id) == (None, "")


def test_later_rows_win_within_a_batch(tmp_path, app):
    rows = [
        {**ROW, "rating": "1", "market": "DE"},
        {**ROW, "email": "ALICE@mail.example", "rating": "5", "market": "JP"},
        {**ROW, "email": "dave@mail.example"},
    ]
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    assert run_import(path, "--app", app.store_product_id).startswith(
        "read 3, loaded 3, rejected 0"
    )

    assert Customer.objects.count() == 2
    alice = AppCustomer.objects.select_related("customer").get(
        customer__email="alice@mail.example"
    )
    assert (alice.rating, alice.customer.market.code) == (5, "JP")


def test_later_rows_win_across_batches(tmp_path, app, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_SIZE", 2)
    rows = [{**ROW, "email": f"u{i}@mail.example"} for i in range(4)]
    rows.append({**ROW, "email": "u0@mail.example", "sessions_30d": "99"})
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    run_import(path, "--app", app.store_product_id)

    assert AppCustomer.objects.count() == 4
    assert AppCustomer.objects.get(customer__email="u0@mail.example").sessions_30d == 99


def test_customer_only_rows_update_store_facts_and_leave_app_facts(tmp_path, app):
    app_customer = AppCustomerFactory(
        app=app, customer=CustomerFactory(email="bob@mail.example"), rating=3
    )
    path = write(
        tmp_path,
        "customers.csv",
        csv_text(CUSTOMER_ONLY, {**CUSTOMER_ONLY, "email": "new@mail.example"}),
    )

    assert run_import(path).strip() == "read 2, loaded 2, rejected 0"

    bob = Customer.objects.get(email="bob@mail.example")
    assert (bob.authenticated, bob.gender, bob.market.code) == (False, "male", "FR")
    assert Customer.objects.filter(email="new@mail.example").exists()
    app_customer.refresh_from_db()
    assert app_customer.rating == 3
    assert AppCustomer.objects.count() == 1


def test_a_row_app_cell_wins_over_the_default_app(tmp_path, app, other_app):
    rows = [{**ROW, "app": other_app.store_product_id}, {**ROW, "email": "b@x.example"}]
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    run_import(path, "--app", app.store_product_id)

    assert set(AppCustomer.objects.values_list("customer__email", "app")) == {
        ("alice@mail.example", other_app.pk),
        ("b@x.example", app.pk),
    }


def test_import_returns_the_apps_of_rows_and_of_customers_written(tmp_path, app):
    elsewhere = AppFactory()
    AppCustomerFactory(
        app=elsewhere, customer=CustomerFactory(email="bob@mail.example")
    )
    AppFactory()  # untouched
    rows = [CUSTOMER_ONLY, {**ROW, "app": app.store_product_id}, ROW]
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    result = customer_import(
        path=path, default_app=None, report_path=tmp_path / "report.csv"
    )

    assert (result.read, result.loaded, result.rejected) == (3, 2, 1)
    assert result.app_ids == frozenset({elsewhere.pk, app.pk})
    assert result.report_path == tmp_path / "report.csv"


# Bad rows.

BAD_CELLS = [
    ("email", "bob@", 'email: "bob@" is not a valid e-mail address'),
    ("email", "", "email: a value is required"),
    ("email", "a" * 250 + "@x.example", "is longer than 254 characters"),
    ("authenticated", "maybe", 'authenticated: "maybe" is not a boolean'),
    ("authenticated", "", "authenticated: a value is required"),
    ("birth_date", "15/06/1990", 'birth_date: "15/06/1990" is not a date in YYYY-MM'),
    ("birth_date", "1990-02-30", 'birth_date: "1990-02-30" is not a date'),
    ("birth_date", "2999-01-01", 'birth_date: "2999-01-01" is in the future'),
    ("gender", "other", 'gender: "other" is not one of male, female, unknown'),
    ("gender", "", "gender: a value is required"),
    ("market", "XX", 'market: "XX" is not an ISO 3166-1 alpha-2 country code'),
    ("market", "USA", 'market: "USA" is not an ISO 3166-1 alpha-2'),
    ("store_purchase_count", "-1", 'store_purchase_count: "-1" is not a whole number'),
    ("store_purchase_count", "1.5", '"1.5" is not a whole number from 0 to 2147483647'),
    ("store_acquisition_count", "2147483648", '"2147483648" is not a whole number'),
    ("store_spend", "1.234", 'store_spend: "1.234" has more than 2 decimal places'),
    ("store_spend", "-1.00", 'store_spend: "-1.00" is negative'),
    ("store_spend", "10000000000", '"10000000000" is not below 10000000000'),
    ("store_spend", "12,50", 'store_spend: "12,50" is not an amount like 12.50'),
    ("acquired_on", "", "acquired_on: a value is required on a row with an app"),
    ("acquired_on", "2026-13-01", 'acquired_on: "2026-13-01" is not a date'),
    ("acquisition_type", "gift", 'acquisition_type: "gift" is not one of free, paid'),
    ("platform", "mac", 'platform: "mac" is not one of windows10, windows11'),
    ("campaign_id", "c" * 101, 'campaign_id: "' + "c" * 39 + '…" is longer than 100'),
    ("referrer_domain", "d" * 254, '…" is longer than 253 characters'),
    ("store_page_viewed_on", "yesterday", 'store_page_viewed_on: "yesterday" is not'),
    ("last_active_on", "2026-2-1", 'last_active_on: "2026-2-1" is not a date'),
    ("sessions_30d", "-3", 'sessions_30d: "-3" is not a whole number from 0'),
    ("rating", "6", 'rating: "6" is not a whole number from 1 to 5'),
    ("rating", "0", 'rating: "0" is not a whole number from 1 to 5'),
    ("churn_score", "nan", 'churn_score: "nan" is not a number from 0 to 1'),
    ("churn_score", "inf", 'churn_score: "inf" is not a number from 0 to 1'),
    ("churn_score", "1.5", 'churn_score: "1.5" is not a number from 0 to 1'),
    ("app_spend", "abc", 'app_spend: "abc" is not an amount like 12.50'),
    ("app", "9NZZZZZZZZZZ", 'app: unknown Store product ID "9NZZZZZZZZZZ"'),
]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    BAD_CELLS,
    ids=[f"{c}={v[:12]!r}" for c, v, _ in BAD_CELLS],
)
def test_a_bad_cell_rejects_its_row_with_line_and_reason(
    tmp_path, app, column, value, reason
):
    rows = [ROW, {**ROW, "email": "bad@mail.example", column: value}]
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    output, error = run_import_rejecting(path, "--app", app.store_product_id)

    report = tmp_path / "customers.csv.rejected.csv"
    assert (
        output.strip()
        == f"read 2, loaded 1, rejected 1; rejected rows written to {report}"
    )
    assert error.returncode == 1
    [rejected] = report_rows(report)
    assert rejected["line"] == "3"
    assert reason in rejected["reason"]
    assert rejected["row"] == path.read_text().splitlines()[2]
    assert Customer.objects.get().email == "alice@mail.example"


BAD_LINES = [
    ("customers.csv", "a,b,c", "3 cells where the header names 20 columns"),
    ("customers.csv", '"alice@mail.example,true', "malformed CSV line"),
    ("customers.jsonl", "{not json", "not valid JSON"),
    ("customers.jsonl", "[1, 2]", "not a JSON object"),
    (
        "customers.jsonl",
        '{"email": "x@mail.example", "colour": "red"}',
        'unknown keys: "colour"',
    ),
    (
        "customers.jsonl",
        '{"email": "x@mail.example", "gender": ["male"]}',
        "gender: a list",
    ),
    ("customers.jsonl", '{"email": 42}', "email: 42 is not text"),
    (
        "customers.jsonl",
        '{"email": "x@mail.example", "rating": true}',
        "rating: true is not",
    ),
    (
        "customers.jsonl",
        '{"email": "x@mail.example", "churn_score": NaN}',
        "churn_score: NaN is not",
    ),
    ("customers.jsonl", "[" * 100_000, "not valid JSON"),
]


@pytest.mark.parametrize(
    ("name", "line", "reason"), BAD_LINES, ids=[r for _, _, r in BAD_LINES]
)
def test_a_malformed_line_is_a_rejected_row_not_a_crash(
    tmp_path, app, name, line, reason
):
    if name.endswith(".csv"):
        content = csv_text(ROW) + "\n" + line + "\n"
    else:
        content = json.dumps(ROW) + "\n\n\n" + line + "\n"
    path = write(tmp_path, name, content)

    output, _error = run_import_rejecting(path, "--app", app.store_product_id)

    assert output.startswith("read 2, loaded 1, rejected 1")
    [rejected] = report_rows(tmp_path / f"{name}.rejected.csv")
    assert rejected["line"] == "4"
    assert reason in rejected["reason"]
    assert rejected["row"] == line


def test_app_facts_on_a_row_without_an_app_are_rejected(tmp_path):
    path = write(tmp_path, "customers.csv", csv_text(CUSTOMER_ONLY, ROW))

    output, _error = run_import_rejecting(path)

    assert output.startswith("read 2, loaded 1, rejected 1")
    [rejected] = report_rows(tmp_path / "customers.csv.rejected.csv")
    assert rejected["line"] == "3"
    assert rejected["reason"].startswith("app facts given but no app (acquired_on, ")
    assert AppCustomer.objects.count() == 0


def test_a_rejected_row_lists_every_problem(tmp_path, app):
    row = {**ROW, "gender": "x", "rating": "9"}
    path = write(tmp_path, "customers.csv", csv_text(row))

    run_import_rejecting(path, "--app", app.store_product_id)

    [rejected] = report_rows(tmp_path / "customers.csv.rejected.csv")
    assert rejected["reason"] == (
        'gender: "x" is not one of male, female, unknown; '
        'rating: "9" is not a whole number from 1 to 5'
    )


def test_rejected_rows_go_to_the_report_path_asked_for(tmp_path, app):
    path = write(tmp_path, "customers.csv", csv_text({**ROW, "market": "ZZ"}))
    report = tmp_path / "out" / "bad.csv"
    report.parent.mkdir()

    output, error = run_import_rejecting(
        path, "--app", app.store_product_id, "--report", str(report)
    )

    assert (
        output.strip()
        == f"read 1, loaded 0, rejected 1; rejected rows written to {report}"
    )
    assert str(error) == f"1 rows rejected: see {report}"
    assert report_rows(report)[0]["line"] == "2"
    assert not (tmp_path / "customers.csv.rejected.csv").exists()


def test_line_numbers_count_blank_lines_and_the_header(tmp_path, app):
    content = "\n" + csv_text(ROW, {**ROW, "email": "nope"}).replace("\n", "\n\n")
    path = write(tmp_path, "customers.csv", content)

    run_import_rejecting(path, "--app", app.store_product_id)

    [rejected] = report_rows(tmp_path / "customers.csv.rejected.csv")
    assert rejected["line"] == "6"


# Bad files: one error, nothing changed, no report.

BAD_FILES = [
    ("missing.csv", None, "no such file"),
    (
        "image.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "not a CSV or JSON lines file",
    ),
    (
        "zeros.csv",
        b"email,authenticated,gender,market\n\x00\x00\n",
        "line 2 holds NUL bytes",
    ),
    (
        "latin1.csv",
        csv_text({**ROW, "campaign_id": "été"}).encode("latin-1"),
        "line 2 is not UTF-8 text",
    ),
    ("empty.csv", b"", "is empty"),
    ("blank.jsonl", b"\n  \n\r\n", "is empty"),
    (
        "no-header.csv",
        csv_line(list(ROW.values())).encode(),
        "must be a header naming the columns (email, authenticated, ...); "
        'found "alice@mail.example,true,',
    ),
    (
        "unknown.csv",
        b"email,authenticated,gender,market,colour,size\n",
        'unknown columns: "colour", "size"',
    ),
    (
        "twice.csv",
        b"email,authenticated,gender,market,email\n",
        "columns named twice in the header: email",
    ),
    (
        "missing-columns.csv",
        b"email,authenticated\n",
        "required columns missing from the header: gender, market",
    ),
    (
        "garbage.jsonl",
        b"hello world\n{}\n",
        "not a JSON lines file: the first line is not a JSON object",
    ),
    (
        "array.json",
        b'[{"email": "a@mail.example"}]\n',
        "the first line must be a header",
    ),
    (
        "unknown.jsonl",
        b'{"email": "a@mail.example", "colour": "red"}\n',
        'unknown columns: "colour"',
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), BAD_FILES, ids=[n for n, _, _ in BAD_FILES]
)
def test_a_bad_file_is_one_error_and_changes_nothing(tmp_path, name, content, message):
    existing = CustomerFactory(email="alice@mail.example", market="DE")
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(CommandError) as caught:
        run_import(path)

    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    existing.refresh_from_db()
    assert existing.market.code == "DE"
    assert Customer.objects.count() == 1
    assert not list(tmp_path.glob("*rejected*"))
    assert not list(tmp_path.glob(".*"))


def test_a_csv_without_app_columns_is_one_error_when_every_row_has_an_app(
    tmp_path, app
):
    path = write(
        tmp_path, "customers.csv", csv_text(CUSTOMER_ONLY, columns=list(CUSTOMER_ONLY))
    )

    with pytest.raises(
        CommandError,
        match="missing from the header: acquired_on, acquisition_type, platform",
    ):
        run_import(path, "--app", app.store_product_id)


def test_binary_data_late_in_the_file_loads_nothing(tmp_path, app, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_SIZE", 1)
    rows = [{**ROW, "email": f"u{i}@mail.example"} for i in range(3)]
    content = csv_text(*rows).encode() + "é\n".encode("latin-1")
    path = write(tmp_path, "customers.csv", content)

    with pytest.raises(CommandError, match="line 5 is not UTF-8 text"):
        run_import(path, "--app", app.store_product_id)

    assert Customer.objects.count() == 0
    assert not list(tmp_path.glob("*rejected*"))


@pytest.fixture
def load_crashing_midway(monkeypatch):
    """Make the load fail once it has written rows, on either path: at the
    second batch where rows load in batches, after the app customers' upsert
    where they load by COPY (PostgreSQL)."""
    if bulk.copy_supported(using=connection.alias):
        real_upsert = copy_import._app_customers_upsert

        def upsert_then_crash(cursor, **kwargs):
            real_upsert(cursor, **kwargs)
            raise RuntimeError("disk full")

        monkeypatch.setattr(copy_import, "_app_customers_upsert", upsert_then_crash)
        return
    monkeypatch.setattr(services, "IMPORT_BATCH_SIZE", 1)
    real_load = services._load
    calls = []

    def load_then_crash(batch):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_load(batch)

    monkeypatch.setattr(services, "_load", load_then_crash)


def test_a_failing_load_loads_nothing_and_leaves_no_report(
    tmp_path, app, load_crashing_midway
):
    rows = [ROW, {**ROW, "rating": "9"}, {**ROW, "email": "b@mail.example"}]
    path = write(tmp_path, "customers.csv", csv_text(*rows))

    with pytest.raises(RuntimeError):
        run_import(path, "--app", app.store_product_id)

    assert Customer.objects.count() == 0
    assert not [p for p in tmp_path.iterdir() if p != path]


def test_an_unknown_default_app_is_one_error(tmp_path):
    path = write(tmp_path, "customers.csv", csv_text(ROW))

    with pytest.raises(CommandError, match="unknown app '9NNOSUCHAPP0'"):
        run_import(path, "--app", "9NNOSUCHAPP0")

    assert Customer.objects.count() == 0


def test_a_missing_report_folder_is_one_error(tmp_path, app):
    path = write(tmp_path, "customers.csv", csv_text(ROW))

    with pytest.raises(CommandError, match="does not exist"):
        run_import(path, "--report", str(tmp_path / "nowhere" / "r.csv"))

    assert Customer.objects.count() == 0


def test_a_report_path_equal_to_the_input_is_one_error(tmp_path, app):
    path = write(tmp_path, "customers.csv", csv_text({**ROW, "market": "ZZ"}))

    with pytest.raises(CommandError, match="would overwrite the file"):
        run_import(path, "--app", app.store_product_id, "--report", str(path))

    assert path.read_text() == csv_text({**ROW, "market": "ZZ"})


def test_import_runs_a_fixed_number_of_queries_whatever_the_row_count(
    tmp_path, app, monkeypatch
):
    monkeypatch.setattr(services, "IMPORT_BATCH_SIZE", 1_000)

    def queries_for(rows: int) -> int:
        lines = [{**ROW, "email": f"u{rows}-{i}@mail.example"} for i in range(rows)]
        path = write(tmp_path, f"{rows}.csv", csv_text(*lines))
        with CaptureQueriesContext(connection) as captured:
            run_import(path, "--app", app.store_product_id)
        return len(captured)

    assert queries_for(5) == queries_for(50)
