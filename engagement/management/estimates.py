"""What ``bench_estimate`` and the estimate accuracy test share: random valid
definitions drawn from one seeded stream over the demo data's attributes, and
how a sampled estimate is scored against the exact count."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engagement import rules

MARKETS = ["US", "GB", "DE", "FR", "JP", "BR", "CA", "IN", "MX", "ES"]
CAMPAIGNS = ["spring_sale", "launch_2025", "influencer_q3"]
AGE_GROUPS = ["18-24", "25-34", "35-49", "50+"]


def _c(attribute: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "value": value}


# Each draws one filter; broad and narrow ones, on every kind of attribute.
CONDITIONS: list[Callable[[random.Random], dict[str, Any]]] = [
    lambda r: _c("gender", "is", r.choice(["male", "female"])),
    lambda r: _c("market", "in", r.sample(MARKETS, r.randint(1, 4))),
    lambda r: _c("market", "not_in", r.sample(MARKETS, r.randint(1, 2))),
    lambda r: _c("age_group", "is", r.choice(AGE_GROUPS)),
    lambda r: _c("age_group", "is_not", r.choice(AGE_GROUPS)),
    lambda r: _c("store_spend", "gt", r.choice([0, 5, 10, 50, 200])),
    lambda r: _c("app_spend", "gte", r.choice([1, 5, 20])),
    lambda r: _c("last_active_date", "in_last_days", r.choice([7, 14, 30, 90])),
    lambda r: _c("last_active_date", "not_in_last_days", r.choice([14, 30, 60])),
    lambda r: _c("acquisition_date", "in_last_days", r.choice([30, 60, 180, 365])),
    lambda r: _c("sessions_30d", "gte", r.choice([1, 3, 5, 10])),
    lambda r: _c("sessions_30d", "eq", 0),
    lambda r: _c("churn_risk", "is", r.choice(["low", "medium", "high"])),
    lambda r: _c("has_rated", "is", r.choice([True, False])),
    lambda r: _c("rating", "between", sorted(r.sample([1, 2, 3, 4, 5], 2))),
    lambda r: _c("acquisition_type", "is", r.choice(["free", "paid", "trial"])),
    lambda r: _c("campaign_id", "in", r.sample(CAMPAIGNS, r.randint(1, 3))),
    lambda r: _c("store_purchaser", "is", r.choice([True, False])),
]


def random_definitions(*, seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` valid definitions (canonical form) of 1–3 OR statements of
    1–3 filters each, the same for the same seed."""
    rng = random.Random(seed)
    definitions = []
    while len(definitions) < count:
        blocks = [
            {"all": [rng.choice(CONDITIONS)(rng) for _ in range(rng.randint(1, 3))]}
            for _ in range(rng.choice([1, 1, 2, 3]))
        ]
        definitions.append(rules.definition_validate({"version": 1, "any": blocks}))
    return definitions


@dataclass(frozen=True)
class Scored:
    """How the sampled estimates of many definitions fared against exact counts."""

    definitions: int
    covered: int
    max_rel_error: float  # of the segments above the share scored

    @property
    def coverage(self) -> float:
        return self.covered / self.definitions if self.definitions else 1.0


def scored(
    results: Iterable[tuple[int, int, int]], *, eligible: int, above: float = 0.01
) -> Scored:
    """Score ``(estimate, margin, exact)`` triples: how many intervals cover
    the exact count, and the largest relative error of segments above
    ``above`` of the ``eligible`` customers."""
    results = list(results)
    covered = sum(abs(value - exact) <= margin for value, margin, exact in results)
    errors = [
        abs(estimate - exact) / exact
        for estimate, _margin, exact in results
        if exact > above * eligible
    ]
    return Scored(
        definitions=len(results),
        covered=covered,
        max_rel_error=max(errors, default=0.0),
    )
