"""Seed deterministic demo data: partners, apps, users, customers.

``demo_data_seed`` fills a database with a demo partner ("Demo Studio") and a
few apps, a second partner ("Northwind Games") that shows partner isolation,
four users (editor, viewer, other partner's editor, support staff) and N
customers with realistic store-wide and per-app facts, then lets the apps
built on customers add their demo data (``customers.hooks``: the demo
segments and known user group).

- ``accounts``: the partners, apps, logins and the Support group;
- ``distributions``: the tables of names, markets, ages, weights and
  chances the customers are drawn from;
- ``generator``: the deterministic drawing (same seed and ``today``, same
  data);
- ``customers.bulk``: COPY, keys and indexes, set-based deletes.

Re-running replaces the demo customers instead of adding to them; partners,
apps, users and whatever references them (segments) are kept.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from customers import bulk, hooks
from customers.demo.accounts import (
    APP_NAMES,
    DEMO_PARTNER_NAME,
    DEMO_PASSWORD,
    MAX_APPS,
    DemoUser,
    demo_app_ids,
    demo_apps_upsert,
    demo_other_app_upsert,
    demo_partners_upsert,
    demo_store_product_id,
    demo_users_upsert,
    support_group_upsert,
)
from customers.demo.distributions import DEMO_EMAIL_SUFFIX
from customers.demo.generator import (
    APP_CUSTOMER_FIELDS,
    CUSTOMER_FIELDS,
    Chunk,
    DemoGenerator,
)
from customers.models import App, AppCustomer, Customer

__all__ = [
    "APP_NAMES",
    "DEMO_EMAIL_SUFFIX",
    "DEMO_PASSWORD",
    "MAX_APPS",
    "DemoSummary",
    "demo_data_present",
    "demo_data_seed",
    "demo_store_product_id",
    "support_group_upsert",
]


@dataclass
class DemoSummary:
    """What a seed did: row counts, the demo apps and logins, seconds taken,
    and what the apps built on customers reported adding (``followed``)."""

    customers: int = 0
    app_customers: int = 0
    deleted_customers: int = 0
    deleted_app_customers: int = 0
    apps: list[App] = field(default_factory=list)
    other_app: App | None = None
    users: list[DemoUser] = field(default_factory=list)
    seconds: float = 0.0
    followed: list[str] = field(default_factory=list)


def demo_data_present(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Return whether Demo Studio exists and has app customers."""
    return (
        AppCustomer.objects.using(using)
        .filter(app__partner__name=DEMO_PARTNER_NAME)
        .exists()
    )


def demo_data_seed(
    *,
    customers: int = 20_000,
    apps: int = 3,
    seed: int = 1,
    today: dt.date | None = None,
    using: str = DEFAULT_DB_ALIAS,
    log: Callable[[str], None] = lambda message: None,
) -> DemoSummary:
    """Replace the demo data: partners, apps, users, customers and app customers.

    Deletes every app customer of the demo apps and every customer whose
    e-mail ends with ``.demo.example`` (with what references them), then
    loads ``customers`` new ones; all in one transaction. Then, if it loaded
    any, calls the ``demo_data_seeded`` hook for the first demo app. Raise
    ``ValueError`` for a count or app number out of range.
    """
    if customers < 0:
        raise ValueError("The number of customers cannot be negative.")
    if not 1 <= apps <= MAX_APPS:
        raise ValueError(f"The number of apps must be between 1 and {MAX_APPS}.")
    today = today or timezone.now().date()
    started = time.perf_counter()

    def progress(message: str) -> None:
        log(f"{message} ({time.perf_counter() - started:.1f} s).")

    summary = DemoSummary()
    with transaction.atomic(using=using):
        partner, other_partner = demo_partners_upsert(using=using)
        summary.apps = demo_apps_upsert(partner=partner, count=apps, using=using)
        summary.other_app = demo_other_app_upsert(partner=other_partner, using=using)
        summary.users = demo_users_upsert(
            partner=partner, other_partner=other_partner, using=using
        )
        generator = DemoGenerator(
            seed=seed,
            today=today,
            app_ids=[app.pk for app in summary.apps],
            other_app_id=summary.other_app.pk,
        )
        # Ids above every existing one, the demo rows about to be deleted
        # included: a new row never meets a deleted one with the same key in a
        # unique index (reusing them made a 1M re-run's COPY ~30 s slower).
        chunks = generator.chunks(
            count=customers,
            first_customer_id=bulk.next_id(model=Customer, using=using),
            first_app_customer_id=bulk.next_id(model=AppCustomer, using=using),
            stamp=timezone.now().isoformat(),
        )
        kept = (
            Customer.objects.using(using)
            .exclude(email__endswith=DEMO_EMAIL_SUFFIX)
            .count()
        )
        if bulk.keys_drop_pays(loading=customers, keeping=kept, using=using):
            load_mode = bulk.keys_and_indexes_dropped(
                on_models=[Customer, AppCustomer], using=using, log=progress
            )
        else:
            load_mode = nullcontext()
        with load_mode:
            summary.deleted_app_customers, summary.deleted_customers = (
                _demo_customers_delete(using=using)
            )
            progress(
                f"Deleted {summary.deleted_customers:,} demo customers and "
                f"{summary.deleted_app_customers:,} app customers of demo apps"
            )
            summary.customers, summary.app_customers = _demo_customers_load(
                chunks=chunks, count=customers, using=using, log=progress
            )
    summary.seconds = time.perf_counter() - started
    if customers:
        summary.followed = hooks.demo_data_seeded(
            app=summary.apps[0], email_suffix=DEMO_EMAIL_SUFFIX
        )
    return summary


def _demo_customers_delete(*, using: str) -> tuple[int, int]:
    """Delete the demo apps' app customers and the demo customers, in SQL.

    Return the numbers of app customers and customers deleted.
    """
    quote = connections[using].ops.quote_name
    app_column = quote(AppCustomer._meta.get_field("app").column)
    email_column = quote(Customer._meta.get_field("email").column)
    app_ids = demo_app_ids(using=using)  # never empty: the seed upserts them
    app_customers = bulk.rows_delete(
        model=AppCustomer,
        where=f"{app_column} IN ({', '.join(['%s'] * len(app_ids))})",
        params=app_ids,
        using=using,
    )
    # LIKE as Django's endswith writes it (the suffix holds no wildcard).
    customers = bulk.rows_delete(
        model=Customer,
        where=f"{email_column} LIKE %s",
        params=[f"%{DEMO_EMAIL_SUFFIX}"],
        using=using,
    )
    return app_customers, customers


def _demo_customers_load(
    *,
    chunks: Iterator[Chunk],
    count: int,
    using: str,
    log: Callable[[str], None],
) -> tuple[int, int]:
    """Insert the chunks of ``count`` customers and their app customers.

    Return the numbers of customers and app customers inserted.
    """
    if bulk.copy_supported(using=using):
        loaded_chunks = _chunks_copy(chunks=chunks, using=using)
    else:
        loaded_chunks = _chunks_bulk_create(chunks=chunks, using=using)
    customers_loaded = app_customers_loaded = 0
    for customers, app_customers in loaded_chunks:
        customers_loaded += customers
        app_customers_loaded += app_customers
        log(
            f"Loaded {customers_loaded:,} / {count:,} customers, "
            f"{app_customers_loaded:,} app customers"
        )
    bulk.tables_loaded(on_models=[Customer, AppCustomer], using=using)
    return customers_loaded, app_customers_loaded


def _chunks_copy(*, chunks: Iterator[Chunk], using: str) -> Iterator[tuple[int, int]]:
    """COPY each chunk into PostgreSQL; yield the numbers of rows of each.

    The next chunk is drawn (and joined into COPY text) in a thread while
    PostgreSQL ingests this one, on the machine's other core: at 1M customers,
    ~16 s of drawing overlaps ~20 s of COPY.
    """
    texts = (
        (
            len(customers),
            len(app_customers),
            bulk.copy_text(customers),
            bulk.copy_text(app_customers),
        )
        for customers, app_customers in chunks
    )
    for customers, app_customers, customer_text, app_customer_text in bulk.prefetched(
        texts
    ):
        bulk.text_copy(
            model=Customer, fields=CUSTOMER_FIELDS, text=customer_text, using=using
        )
        bulk.text_copy(
            model=AppCustomer,
            fields=APP_CUSTOMER_FIELDS,
            text=app_customer_text,
            using=using,
        )
        yield customers, app_customers


def _chunks_bulk_create(
    *, chunks: Iterator[Chunk], using: str
) -> Iterator[tuple[int, int]]:
    """Insert each chunk with ``bulk_create``; yield the numbers of rows of each."""
    for customers, app_customers in chunks:
        bulk.rows_bulk_create(
            model=Customer, fields=CUSTOMER_FIELDS, rows=customers, using=using
        )
        bulk.rows_bulk_create(
            model=AppCustomer,
            fields=APP_CUSTOMER_FIELDS,
            rows=app_customers,
            using=using,
        )
        yield len(customers), len(app_customers)
