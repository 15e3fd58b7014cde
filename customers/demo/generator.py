"""Draw deterministic demo customers: the distributions and one random stream.

The data depends only on the seed and ``today``: one ``random.Random(seed)``
draws every value in a fixed order and every date is counted back from
``today``. Rows come out as COPY text (``customers.bulk``), ready for
PostgreSQL's COPY or, mapped back, for ``bulk_create``; ids are assigned here,
so app customer rows reference their customers without reading ids back.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from customers.bulk import NULL, Rows
from customers.values import years_before

# Every demo customer's address ends with this (the mail domains below):
# a re-run deletes exactly these customers.
DEMO_EMAIL_SUFFIX = ".demo.example"

# Chance that a customer acquired the first, second, third… demo app.
APP_ACQUISITION_CHANCES = (0.9, 0.45, 0.3)
LATER_APP_ACQUISITION_CHANCE = 0.2
OTHER_APP_ACQUISITION_CHANCE = 0.1

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
    latest = years_before(today, age)
    earliest = years_before(today, age + 1) + dt.timedelta(days=1)
    return [
        (earliest + dt.timedelta(days=day)).isoformat()
        for day in range((latest - earliest).days + 1)
    ]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
