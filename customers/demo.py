"""Generate and load deterministic demo data: partners, apps, users, customers.

``demo_data_seed`` fills a database with a demo partner ("Demo Studio") and a
few apps, a second partner ("Northwind Games") that shows partner isolation,
four users (editor, viewer, other partner's editor, support staff) and N
customers with realistic store-wide and per-app facts.

The data depends only on the seed and ``today``: one ``random.Random(seed)``
draws every value in a fixed order and every date is counted back from
``today``. Re-running replaces the demo customers instead of adding to them;
partners, apps, users and whatever references them (segments) are kept.

Loading is set-based: PostgreSQL (psycopg 3) receives COPY text in chunks,
other backends ``bulk_create`` batches. Ids are assigned here, so app customer
rows reference their customers without reading ids back.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from customers.models import App, AppCustomer, Customer, Partner, PartnerMembership

DEMO_PARTNER_NAME = "Demo Studio"
OTHER_PARTNER_NAME = "Northwind Games"
OTHER_APP_NAME = "Northwind Notes"
DEMO_PASSWORD = "demo-password"
DEMO_EMAIL_SUFFIX = ".demo.example"
SUPPORT_GROUP_NAME = "Support"
# Every permission of these apps goes to the Support group, queried by app
# label on each run so models added later are covered by a re-run.
# "axes" lets support staff see and delete failed sign-in attempts (unlock).
SUPPORT_APP_LABELS = ("customers", "engagement", "django_celery_beat", "axes")

APP_NAMES = (
    "Pixel Quest",
    "Tiny Tasks",
    "Beat Builder",
    "Star Courier",
    "Word Garden",
    "Cloud Canvas",
    "Retro Racer",
    "Budget Buddy",
    "Sky Sketch",
    "Puzzle Port",
    "Echo Notes",
    "Math Maze",
)
MAX_APPS = len(APP_NAMES)
# Chance that a customer acquired the first, second, third… demo app.
APP_ACQUISITION_CHANCES = (0.9, 0.45, 0.3)
LATER_APP_ACQUISITION_CHANCE = 0.2
OTHER_APP_ACQUISITION_CHANCE = 0.1

# COPY's text-format NULL. Rows are tuples of COPY text so the PostgreSQL path
# joins them as they are; the other backends map this back to None.
NULL = r"\N"
Rows = list[tuple[str, ...]]
# One chunk of customers and their app customers.
Chunk = tuple[Rows, Rows]
T = TypeVar("T")

CUSTOMER_FIELDS = (
    "id",
    "email",
    "birth_date",
    "gender",
    "market",
    "authenticated",
    "store_purchase_count",
    "store_acquisition_count",
    "store_spend",
    "created_at",
    "updated_at",
)
APP_CUSTOMER_FIELDS = (
    "id",
    "app_id",
    "customer_id",
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
)

# 50,000 customers (~85,000 app customers) a chunk: ~10 MB of COPY text, and
# 1M customers load in ~20 chunks; larger chunks saved nothing measurable.
CHUNK_SIZE = 50_000
# Below this many customers, keys and indexes are kept up to date during the
# load: it costs a few seconds at most, and leaves the tables readable by other
# sessions meanwhile (dropping keys locks them until commit).
BULK_LOAD_MIN_ROWS = 100_000
# SQLite: 20,000 customers and their ~36,000 app customers take ~10 s, nearly
# all of it bulk_create's work per value; batches of 250 to 2,000 measure alike.
BULK_CREATE_BATCH_SIZE = 1_000

ACQUISITION_DAYS = 730
# Store page views happen up to this many days before the acquisition.
MAX_STORE_PAGE_LEAD_DAYS = 90

FIRST_NAMES = (
    "lea", "emma", "chloe", "manon", "camille", "ines", "sarah", "julie",
    "lucas", "hugo", "louis", "nathan", "thomas", "arthur", "jules", "paul",
    "olivia", "ava", "mia", "sophia", "isabella", "emily", "grace", "amelia",
    "liam", "noah", "james", "oliver", "ethan", "jacob", "henry", "jack",
    "anna", "lena", "marie", "hannah", "lukas", "felix", "jonas", "leon",
    "sofia", "lucia", "martina", "alejandro", "diego", "mateo", "pablo",
    "giulia", "chiara", "marco", "luca", "matteo", "yuki", "haruto", "sakura",
    "ren", "ana", "joao", "gabriel", "rafael", "priya", "arjun", "aarav",
    "minjun", "seoyeon", "jiwoo", "kasia", "jakub", "emre", "elif", "lars",
    "freja", "noor", "daan", "sven", "ingrid",
)  # fmt: skip
LAST_NAMES = (
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit",
    "durand", "leroy", "moreau", "smith", "johnson", "williams", "brown",
    "jones", "miller", "davis", "wilson", "taylor", "clark", "walker",
    "mueller", "schmidt", "schneider", "fischer", "weber", "wagner", "becker",
    "garcia", "rodriguez", "lopez", "martinez", "sanchez", "perez", "rossi",
    "russo", "ferrari", "esposito", "bianchi", "tanaka", "suzuki", "sato",
    "takahashi", "silva", "santos", "oliveira", "souza", "sharma", "patel",
    "singh", "kim", "lee", "park", "choi", "nowak", "kowalski", "yilmaz",
    "kaya", "jansen", "devries", "andersson", "johansson", "hansen",
    "nielsen", "murphy", "kelly", "oconnor", "peeters", "muller", "novak",
)  # fmt: skip
# Mail providers, weighted: (domain, weight).
EMAIL_DOMAINS = (
    ("outlook.demo.example", 30),
    ("hotmail.demo.example", 14),
    ("live.demo.example", 6),
    ("gmail.demo.example", 28),
    ("yahoo.demo.example", 8),
    ("icloud.demo.example", 6),
    ("proton.demo.example", 3),
    ("gmx.demo.example", 3),
    ("orange.demo.example", 2),
)
# Markets, weighted roughly like a global store audience: (ISO code, weight).
MARKETS = (
    ("US", 28.0), ("GB", 7.5), ("DE", 7.0), ("FR", 6.5), ("JP", 5.5),
    ("BR", 5.0), ("CA", 4.0), ("IN", 4.0), ("MX", 3.0), ("ES", 3.0),
    ("IT", 3.0), ("KR", 2.5), ("AU", 2.2), ("NL", 2.0), ("PL", 2.0),
    ("TR", 1.5), ("SE", 1.2), ("BE", 1.1), ("CH", 1.0), ("AT", 0.9),
    ("AR", 0.9), ("PT", 0.8), ("CO", 0.7), ("IE", 0.6), ("DK", 0.6),
    ("NO", 0.6), ("FI", 0.5), ("CZ", 0.5), ("CL", 0.5), ("ZA", 0.5),
    ("NZ", 0.4), ("SG", 0.4),
)  # fmt: skip
# Age bands (first age, last age, weight); ages within a band are equally likely.
AGE_BANDS = (
    (13, 17, 6),
    (18, 24, 18),
    (25, 34, 24),
    (35, 49, 27),
    (50, 64, 17),
    (65, 80, 8),
)
UNKNOWN_BIRTH_DATE_CHANCE = 0.07
GENDERS = (("male", 46), ("female", 46), ("unknown", 8))
UNAUTHENTICATED_CHANCE = 0.10
PLATFORMS = (("windows11", 50), ("windows10", 33), ("xbox", 11), ("other", 6))
ACQUISITION_TYPES = (
    ("free", 62),
    ("paid", 18),
    ("trial", 12),
    ("promotional_code", 8),
)
CAMPAIGN_IDS = (
    "spring_sale",
    "launch_2025",
    "influencer_q3",
    "back_to_school",
    "holiday_bundle",
    "newsletter_may",
    "summer_event",
    "retarget_lapsed",
)
CAMPAIGN_CHANCE = 0.20
REFERRER_DOMAINS = (
    "www.bing.com",
    "www.google.com",
    "www.youtube.com",
    "www.reddit.com",
    "twitter.com",
    "www.facebook.com",
    "www.tiktok.com",
    "news.xbox.com",
    "www.theverge.com",
    "www.pcgamer.com",
)
REFERRER_CHANCE = 0.15
STORE_PAGE_VIEW_CHANCE = 0.60
NEVER_ACTIVE_CHANCE = 0.03
RATING_CHANCE = 0.25
RATINGS = (("1", 5), ("2", 5), ("3", 12), ("4", 33), ("5", 45))
CHURN_SCORE_CHANCE = 0.85
# Prices of paid apps, in cents.
APP_PRICES_CENTS = (99, 199, 299, 499, 999, 1499, 2999)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str


@dataclass
class DemoSummary:
    """What a seed did: row counts, the demo apps and logins, seconds taken."""

    customers: int = 0
    app_customers: int = 0
    deleted_customers: int = 0
    deleted_app_customers: int = 0
    apps: list[App] = field(default_factory=list)
    other_app: App | None = None
    users: list[DemoUser] = field(default_factory=list)
    seconds: float = 0.0


def demo_store_product_id(*, name: str) -> str:
    """Return the fixed 12-character Store product ID of a demo app.

    Derived from the name alone, so every run (whatever the seed) finds the
    same app again and keeps what references it.
    """
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int.from_bytes(hashlib.sha256(f"demo:{name}".encode()).digest()[:8])
    suffix = []
    for _ in range(10):
        number, digit = divmod(number, len(alphabet))
        suffix.append(alphabet[digit])
    return "9N" + "".join(suffix)


def demo_data_present(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether Demo Studio exists and has app customers."""
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
    loads ``customers`` new ones; all in one transaction. Raise ``ValueError``
    for a count or app number out of range.
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
        partner, other_partner = _demo_partners_upsert(using=using)
        summary.apps = _demo_apps_upsert(partner=partner, count=apps, using=using)
        summary.other_app = _demo_other_app_upsert(partner=other_partner, using=using)
        summary.users = _demo_users_upsert(
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
            first_customer_id=_next_id(model=Customer, using=using),
            first_app_customer_id=_next_id(model=AppCustomer, using=using),
            stamp=timezone.now().isoformat(),
        )
        if _bulk_load_pays(count=customers, using=using):
            load_mode = _keys_and_indexes_dropped(
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
    return summary


def _demo_partners_upsert(*, using: str) -> tuple[Partner, Partner]:
    partner, _ = Partner.objects.using(using).get_or_create(name=DEMO_PARTNER_NAME)
    other, _ = Partner.objects.using(using).get_or_create(name=OTHER_PARTNER_NAME)
    return partner, other


def _demo_apps_upsert(*, partner: Partner, count: int, using: str) -> list[App]:
    """Create or update the first ``count`` demo apps, found by Store product ID."""
    return [
        App.objects.using(using).update_or_create(
            store_product_id=demo_store_product_id(name=name),
            defaults={"partner": partner, "name": name},
        )[0]
        for name in APP_NAMES[:count]
    ]


def _demo_other_app_upsert(*, partner: Partner, using: str) -> App:
    app, _ = App.objects.using(using).update_or_create(
        store_product_id=demo_store_product_id(name=OTHER_APP_NAME),
        defaults={"partner": partner, "name": OTHER_APP_NAME},
    )
    return app


def support_group_upsert(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    """Create or update the Support group: every permission of the support apps."""
    group, _ = Group.objects.using(using).get_or_create(name=SUPPORT_GROUP_NAME)
    group.permissions.set(
        Permission.objects.using(using).filter(
            content_type__app_label__in=SUPPORT_APP_LABELS
        )
    )
    return group


def _demo_users_upsert(
    *, partner: Partner, other_partner: Partner, using: str
) -> list[DemoUser]:
    """Create or reset the demo logins, their memberships and the Support group."""
    User = get_user_model()
    # One hash for the four users: the default hasher takes ~0.4 s a hash.
    password = make_password(DEMO_PASSWORD)
    specs = (
        ("demo", partner, PartnerMembership.Role.EDITOR, "editor of Demo Studio"),
        ("viewer", partner, PartnerMembership.Role.VIEWER, "viewer of Demo Studio"),
        ("other", other_partner, PartnerMembership.Role.EDITOR, "editor of Northwind"),
        ("support", None, None, "support staff (admin)"),
    )
    users = []
    for username, member_of, role, label in specs:
        user, _ = User.objects.using(using).get_or_create(
            username=username, defaults={"email": f"{username}@studio.demo.example"}
        )
        user.password = password
        user.is_active = True
        user.is_staff = member_of is None
        user.is_superuser = False
        user.save(using=using)
        if member_of is not None:
            PartnerMembership.objects.using(using).update_or_create(
                user=user, partner=member_of, defaults={"role": role}
            )
        else:
            user.groups.add(support_group_upsert(using=using))
        users.append(DemoUser(username=username, role=label))
    return users


def _bulk_load_pays(*, count: int, using: str) -> bool:
    """Return whether to drop keys and indexes while loading ``count`` customers.

    Rebuilding costs by the rows a table ends with (~10 µs a row), keeping
    them up to date by the rows written (~21 µs a row, measured at 1M): it
    pays once the load writes at least as many customers as the table keeps.
    """
    if connections[using].vendor != "postgresql" or count < BULK_LOAD_MIN_ROWS:
        return False
    kept = (
        Customer.objects.using(using).exclude(email__endswith=DEMO_EMAIL_SUFFIX).count()
    )
    return count >= kept


@contextmanager
def _keys_and_indexes_dropped(
    *,
    on_models: Sequence[type[models.Model]],
    using: str,
    log: Callable[[str], None],
) -> Iterator[None]:
    """Drop the keys and indexes of these models' tables; re-create them on exit.

    On PostgreSQL, drops the foreign keys from and to the tables and every
    index but the primary keys, as its advice for bulk loads goes. At 1M
    customers and 1.7M app customers, COPY takes ~20 s instead of ~60 s, the
    re-created indexes ~25 s, and checking each key in one pass ~3 s instead
    of ~26 s of row-by-row checks at commit (~13 s more for deleting 1M
    customers). Call inside a transaction: on error its rollback restores
    them, and other sessions wait for the tables instead of seeing them bare.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in on_models]
    # Run the checks pending on these tables (rows written earlier in this
    # transaction): PostgreSQL refuses to alter a table that has some.
    connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE contype = 'f'
              AND (conrelid = ANY(%s::text[]::regclass[])
                   OR confrelid = ANY(%s::text[]::regclass[]))
            ORDER BY oid
            """,
            [tables, tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                   c.conname, pg_get_indexdef(i.indexrelid),
                   pg_get_constraintdef(c.oid)
            FROM pg_index i
            LEFT JOIN pg_constraint c
              ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                 AND c.contype IN ('u', 'x')
            WHERE i.indrelid = ANY(%s::text[]::regclass[]) AND NOT i.indisprimary
            ORDER BY i.indexrelid
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, index, constraint, _, _ in indexes:
            if constraint:
                cursor.execute(
                    f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}"
                )
            else:
                cursor.execute(f"DROP INDEX {index}")
    log(f"Dropped {len(foreign_keys)} foreign keys and {len(indexes)} indexes")
    yield
    # The load's own writes may have left checks pending too (an UPDATE of a
    # row inserted earlier in the transaction queues one for its other keys).
    connection.check_constraints()
    with connection.cursor() as cursor:
        for table, _, constraint, index_definition, definition in indexes:
            if constraint:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} "
                    f"{definition}"
                )
            else:
                cursor.execute(index_definition)
        log(f"Re-created {len(indexes)} indexes")
        for table, name, definition in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            )
        log(f"Re-created and checked {len(foreign_keys)} foreign keys")


def _demo_app_ids(*, using: str) -> list[int]:
    """Return the ids of every demo app that exists, whatever ``--apps`` was."""
    store_product_ids = [
        demo_store_product_id(name=name) for name in (*APP_NAMES, OTHER_APP_NAME)
    ]
    return list(
        App.objects.using(using)
        .filter(store_product_id__in=store_product_ids)
        .values_list("pk", flat=True)
    )


def _demo_customers_delete(*, using: str) -> tuple[int, int]:
    """Delete the demo apps' app customers and the demo customers, in SQL.

    Return the numbers of app customers and customers deleted.
    """
    app_customers = _queryset_delete_fast(
        AppCustomer.objects.using(using).filter(app_id__in=_demo_app_ids(using=using))
    )
    customers = _queryset_delete_fast(
        Customer.objects.using(using).filter(email__endswith=DEMO_EMAIL_SUFFIX)
    )
    return app_customers, customers


def _queryset_delete_fast(queryset: QuerySet) -> int:
    """Delete the rows of ``queryset`` without loading any into Python.

    Rows that reference them are handled first, whatever model they belong to,
    as Django's collector would: CASCADE deletes them (recursively, as one
    filtered DELETE each), SET_NULL and SET_DEFAULT update them in one
    UPDATE, DO_NOTHING leaves them to the database. Signals are not sent.
    Raise ``RuntimeError`` when PROTECT or RESTRICT rows exist, or for a
    custom ``on_delete``. Return the number of rows of ``queryset`` deleted.
    """
    using = queryset.db
    for relation in queryset.model._meta.get_fields(include_hidden=True):
        # The reverse side of every foreign key and one-to-one pointing here,
        # including the hidden ones of many-to-many tables, as
        # django.db.models.deletion.get_candidate_relations_to_delete picks.
        if not (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_one or relation.one_to_many)
        ):
            continue
        name = relation.field.name
        related = relation.related_model._base_manager.using(using).filter(
            **{f"{name}__in": queryset}
        )
        on_delete = relation.on_delete
        if on_delete is models.CASCADE:
            _queryset_delete_fast(related)
        elif on_delete is models.SET_NULL:
            related.update(**{name: None})
        elif on_delete is models.SET_DEFAULT:
            related.update(**{name: relation.field.get_default()})
        elif on_delete is models.DO_NOTHING:
            continue
        elif on_delete in (models.PROTECT, models.RESTRICT):
            if related.exists():
                raise RuntimeError(
                    f"{relation.related_model._meta.label}.{name} protects "
                    f"{queryset.model._meta.label} rows that must be deleted."
                )
        else:
            raise RuntimeError(
                f"Cannot delete through {relation.related_model._meta.label}."
                f"{name}: unsupported on_delete {on_delete!r}."
            )
    return queryset._raw_delete(using)


class DemoGenerator:
    """Draw demo customers and their app facts from one seeded random stream.

    Values come out as COPY text (strings, ``NULL`` for none), ready to be
    joined by tabs. Chunks must be drawn in order: each continues the stream.
    """

    def __init__(
        self,
        *,
        seed: int,
        today: dt.date,
        app_ids: Sequence[int],
        other_app_id: int,
    ) -> None:
        self.rng = random.Random(seed)
        self.app_chances = [
            (
                app_id,
                APP_ACQUISITION_CHANCES[position]
                if position < len(APP_ACQUISITION_CHANCES)
                else LATER_APP_ACQUISITION_CHANCE,
            )
            for position, app_id in enumerate(app_ids)
        ]
        self.first_app_id = app_ids[0]
        self.other_app_id = other_app_id
        # Every date as text, by days before today: no date arithmetic per row.
        self.days = [
            (today - dt.timedelta(days=back)).isoformat()
            for back in range(ACQUISITION_DAYS + MAX_STORE_PAGE_LEAD_DAYS + 1)
        ]
        self.birth_dates_by_age = {
            age: _birth_dates(today=today, age=age)
            for first, last, _ in AGE_BANDS
            for age in range(first, last + 1)
        }
        self.ages, self.age_weights = _cumulative(
            (age, weight / (last - first + 1))
            for first, last, weight in AGE_BANDS
            for age in range(first, last + 1)
        )
        self.domains, self.domain_weights = _cumulative(EMAIL_DOMAINS)
        self.markets, self.market_weights = _cumulative(MARKETS)
        self.genders, self.gender_weights = _cumulative(GENDERS)
        self.platforms, self.platform_weights = _cumulative(PLATFORMS)
        self.acquisition_types, self.acquisition_type_weights = _cumulative(
            ACQUISITION_TYPES
        )
        self.ratings, self.rating_weights = _cumulative(RATINGS)

    def chunks(
        self,
        *,
        count: int,
        first_customer_id: int,
        first_app_customer_id: int,
        stamp: str,
    ) -> Iterator[Chunk]:
        """Yield ``count`` customers and their app customers, in chunks.

        Ids are consecutive from the two first ids given; ``stamp`` fills
        ``created_at`` and ``updated_at``.
        """
        customer_id, app_customer_id = first_customer_id, first_app_customer_id
        for first_index in range(0, count, CHUNK_SIZE):
            customers, app_customers = self.chunk(
                first_index=first_index + 1,
                count=min(CHUNK_SIZE, count - first_index),
                first_customer_id=customer_id,
                first_app_customer_id=app_customer_id,
                stamp=stamp,
            )
            customer_id += len(customers)
            app_customer_id += len(app_customers)
            yield customers, app_customers

    def chunk(
        self,
        *,
        first_index: int,
        count: int,
        first_customer_id: int,
        first_app_customer_id: int,
        stamp: str,
    ) -> Chunk:
        """Return ``count`` customer rows and their app customer rows.

        ``first_index`` numbers the customers: it is part of their unique
        e-mail address.
        """
        rnd = self.rng.random
        app_chances = self.app_chances
        first_names, last_names = FIRST_NAMES, LAST_NAMES
        ages, age_weights = self.ages, self.age_weights
        age_total = age_weights[-1]
        domains, domain_weights = self.domains, self.domain_weights
        domain_total = domain_weights[-1]
        markets, market_weights = self.markets, self.market_weights
        market_total = market_weights[-1]
        genders, gender_weights = self.genders, self.gender_weights
        gender_total = gender_weights[-1]
        birth_dates_by_age = self.birth_dates_by_age
        app_customer = self._app_customer

        customers = []
        app_customers = []
        app_customer_id = first_app_customer_id
        for offset in range(count):
            index = first_index + offset
            customer_id = first_customer_id + offset

            first = first_names[int(rnd() * len(first_names))]
            last = last_names[int(rnd() * len(last_names))]
            domain = domains[bisect.bisect(domain_weights, rnd() * domain_total)]
            style = rnd()
            # The index makes the address unique: it is the only run of
            # digits, at the end of the local part.
            if style < 0.5:
                email = f"{first}.{last}.{index}@{domain}"
            elif style < 0.8:
                email = f"{first}{last}{index}@{domain}"
            else:
                email = f"{first[0]}{last}_{index}@{domain}"

            if rnd() < UNKNOWN_BIRTH_DATE_CHANCE:
                birth_date = NULL
            else:
                age = ages[bisect.bisect(age_weights, rnd() * age_total)]
                choices = birth_dates_by_age[age]
                birth_date = choices[int(rnd() * len(choices))]
            gender = genders[bisect.bisect(gender_weights, rnd() * gender_total)]
            market = markets[bisect.bisect(market_weights, rnd() * market_total)]
            authenticated = "f" if rnd() < UNAUTHENTICATED_CHANCE else "t"

            acquired = [app_id for app_id, chance in app_chances if rnd() < chance]
            if not acquired:
                acquired.append(self.first_app_id)
            if rnd() < OTHER_APP_ACQUISITION_CHANCE:
                acquired.append(self.other_app_id)
            spend_cents = 0
            for app_id in acquired:
                row, app_spend_cents = app_customer(
                    app_customer_id=app_customer_id,
                    app_id=app_id,
                    customer_id=customer_id,
                )
                app_customers.append(row)
                app_customer_id += 1
                spend_cents += app_spend_cents

            # Spend elsewhere in the Store: a third of customers, long tail.
            if rnd() < 0.35:
                spend_cents += int(self.rng.lognormvariate(7.0, 1.2))
            # Purchases follow spend: one per $4 to $20 spent, at least one.
            if spend_cents:
                purchases = max(1, int(spend_cents / (400 + 1600 * rnd())))
            else:
                purchases = 0
            acquisitions = len(acquired) + int(-math.log(1.0 - rnd()) * 6)
            customers.append(
                (
                    str(customer_id),
                    email,
                    birth_date,
                    gender,
                    market,
                    authenticated,
                    str(purchases),
                    str(acquisitions),
                    _money(spend_cents),
                    stamp,
                    stamp,
                )
            )
        return customers, app_customers

    def _app_customer(
        self, *, app_customer_id: int, app_id: int, customer_id: int
    ) -> tuple[tuple[str, ...], int]:
        """Return one app customer row and its spend in cents."""
        rnd = self.rng.random
        days = self.days
        # Recent acquisitions are more frequent: 40% in the last 146 days.
        acquired_back = int(ACQUISITION_DAYS * rnd() ** 1.7)
        acquisition_type = self.acquisition_types[
            bisect.bisect(
                self.acquisition_type_weights,
                rnd() * self.acquisition_type_weights[-1],
            )
        ]
        platform = self.platforms[
            bisect.bisect(self.platform_weights, rnd() * self.platform_weights[-1])
        ]
        if rnd() < CAMPAIGN_CHANCE:
            campaign_id = CAMPAIGN_IDS[int(rnd() * len(CAMPAIGN_IDS))]
        else:
            campaign_id = ""
        if rnd() < REFERRER_CHANCE:
            referrer_domain = REFERRER_DOMAINS[int(rnd() * len(REFERRER_DOMAINS))]
        else:
            referrer_domain = ""
        if rnd() < STORE_PAGE_VIEW_CHANCE:
            # Mostly the same day or a few days before acquiring.
            lead = min(MAX_STORE_PAGE_LEAD_DAYS, int(-math.log(1.0 - rnd()) * 4))
            store_page_viewed_on = days[acquired_back + lead]
        else:
            store_page_viewed_on = NULL

        if rnd() < NEVER_ACTIVE_CHANCE:
            inactive_days = None
            last_active_on = NULL
            sessions = 0
        else:
            # Half the customers used the app in the last two weeks, the
            # rest any day since they acquired it.
            window = min(acquired_back, 14) if rnd() < 0.5 else acquired_back
            inactive_days = int(rnd() * (window + 1))
            last_active_on = days[inactive_days]
            if inactive_days > 30:
                sessions = 0
            else:
                scale = 12.0 if inactive_days <= 7 else 3.0
                sessions = 1 + int(-math.log(1.0 - rnd()) * scale)

        if rnd() < RATING_CHANCE:
            rating = self.ratings[
                bisect.bisect(self.rating_weights, rnd() * self.rating_weights[-1])
            ]
        else:
            rating = NULL
        if rnd() < CHURN_SCORE_CHANCE:
            # Inactivity drives churn: 0.05 when active today, 0.95 after
            # six months idle or never active, plus noise.
            base = 0.95 if inactive_days is None else 0.05 + 0.005 * inactive_days
            score = min(1.0, max(0.0, min(base, 0.95) + (rnd() - 0.5) * 0.3))
            churn_score = f"{score:.4f}"
        else:
            churn_score = NULL

        spend_cents = 0
        if acquisition_type == "paid":
            spend_cents = APP_PRICES_CENTS[int(rnd() * len(APP_PRICES_CENTS))]
        in_app = rnd()
        if in_app < 0.004:
            spend_cents += 10_000 + int(rnd() * 190_000)  # whales: $100 to $2,000
        elif in_app < 0.15:
            spend_cents += int(self.rng.lognormvariate(6.2, 1.1))
        return (
            (
                str(app_customer_id),
                str(app_id),
                str(customer_id),
                days[acquired_back],
                acquisition_type,
                platform,
                campaign_id,
                referrer_domain,
                store_page_viewed_on,
                last_active_on,
                str(sessions),
                rating,
                churn_score,
                _money(spend_cents),
            ),
            spend_cents,
        )


def _cumulative(weighted: Iterable[tuple[T, float]]) -> tuple[list[T], list[float]]:
    """Split ``(value, weight)`` pairs into values and cumulative weights."""
    values, cumulative, total = [], [], 0.0
    for value, weight in weighted:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


def _birth_dates(*, today: dt.date, age: int) -> list[str]:
    """Return, as text, every birth date of someone ``age`` years old today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + dt.timedelta(days=1)
    return [
        (earliest + dt.timedelta(days=day)).isoformat()
        for day in range((latest - earliest).days + 1)
    ]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


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
    connection = connections[using]
    if _copy_supported(using=using):
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
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Customer, AppCustomer]
        ):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            # Fresh statistics, so the first segment queries plan for 1M rows:
            # ~1.5 s for both tables at 1M customers.
            for model in (Customer, AppCustomer):
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                )
    return customers_loaded, app_customers_loaded


def _copy_supported(*, using: str) -> bool:
    """Return whether the database takes COPY through psycopg 3."""
    if connections[using].vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _next_id(*, model: type[models.Model], using: str) -> int:
    return (model._base_manager.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1


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
            _copy_text(customers),
            _copy_text(app_customers),
        )
        for customers, app_customers in chunks
    )
    for customers, app_customers, customer_text, app_customer_text in _prefetched(
        texts
    ):
        _text_copy(
            model=Customer, fields=CUSTOMER_FIELDS, text=customer_text, using=using
        )
        _text_copy(
            model=AppCustomer,
            fields=APP_CUSTOMER_FIELDS,
            text=app_customer_text,
            using=using,
        )
        yield customers, app_customers


def _copy_text(rows: Rows) -> str:
    return "".join(["\t".join(row) + "\n" for row in rows])


def _text_copy(
    *, model: type[models.Model], fields: Sequence[str], text: str, using: str
) -> None:
    """Stream COPY text (tab-separated, ``\\N`` for NULL) into ``model``'s table."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(text)


def _prefetched(items: Iterator[T]) -> Iterator[T]:
    """Yield from ``items``, drawing the next item in a thread meanwhile.

    Worth it when drawing is Python work and consuming waits on I/O (which
    releases the GIL). Exceptions raised while drawing are re-raised here; if
    the consumer stops early, the thread is stopped and joined.
    """
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    done = object()

    def draw() -> None:
        try:
            for item in items:
                if not _put(ready, (item, None), stop=stop):
                    return
        except BaseException as error:  # re-raised by the consumer
            _put(ready, (done, error), stop=stop)
        else:
            _put(ready, (done, None), stop=stop)

    thread = threading.Thread(target=draw, name="demo-data-draw", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _put(ready: queue.Queue, outcome: tuple, *, stop: threading.Event) -> bool:
    """Put ``outcome`` in the queue unless stopped; return whether it was put."""
    while not stop.is_set():
        try:
            ready.put(outcome, timeout=0.1)
        except queue.Full:
            continue
        return True
    return False


def _chunks_bulk_create(
    *, chunks: Iterator[Chunk], using: str
) -> Iterator[tuple[int, int]]:
    """Insert each chunk with ``bulk_create``; yield the numbers of rows of each."""
    for customers, app_customers in chunks:
        _rows_bulk_create(
            model=Customer, fields=CUSTOMER_FIELDS, rows=customers, using=using
        )
        _rows_bulk_create(
            model=AppCustomer,
            fields=APP_CUSTOMER_FIELDS,
            rows=app_customers,
            using=using,
        )
        yield len(customers), len(app_customers)


def _rows_bulk_create(
    *, model: type[models.Model], fields: Sequence[str], rows: Rows, using: str
) -> None:
    """Insert rows of COPY text with ``bulk_create``; the fields parse the text."""
    model._base_manager.using(using).bulk_create(
        (
            model(
                **{
                    name: None if value == NULL else value
                    for name, value in zip(fields, row, strict=True)
                }
            )
            for row in rows
        ),
        batch_size=BULK_CREATE_BATCH_SIZE,
    )
