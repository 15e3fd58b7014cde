"""Draw deterministic demo customers from the distributions, in one random stream.

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
from customers.demo.distributions import (
    ACQUISITION_DAYS,
    ACQUISITION_TYPES,
    AGE_BANDS,
    APP_ACQUISITION_CHANCES,
    APP_PRICES_CENTS,
    CAMPAIGN_CHANCE,
    CAMPAIGN_IDS,
    CHURN_SCORE_CHANCE,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    GENDERS,
    LAST_NAMES,
    LATER_APP_ACQUISITION_CHANCE,
    MARKETS,
    MAX_STORE_PAGE_LEAD_DAYS,
    NEVER_ACTIVE_CHANCE,
    OTHER_APP_ACQUISITION_CHANCE,
    PLATFORMS,
    RATING_CHANCE,
    RATINGS,
    REFERRER_CHANCE,
    REFERRER_DOMAINS,
    STORE_PAGE_VIEW_CHANCE,
    UNAUTHENTICATED_CHANCE,
    UNKNOWN_BIRTH_DATE_CHANCE,
)
from customers.values import years_before

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
    "sample_key",
)

# 50,000 customers (~85,000 app customers) a chunk: ~10 MB of COPY text, and
# 1M customers load in ~20 chunks; larger chunks saved nothing measurable.
CHUNK_SIZE = 50_000


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
        # Sample keys from a stream of their own: the facts drawn stay those
        # of the seed, and the keys are as deterministic.
        self.sample_keys = random.Random(f"sample-key:{seed}")
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
                str(self.sample_keys.getrandbits(31)),
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
