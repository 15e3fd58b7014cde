"""Benchmark the sampled live estimate against the exact count it replaces.

On 1M customers of one app (the scratch database ``make bench`` seeds), once
its sample table is built (the time is printed), over 20 random definitions
(seeded: the same ones every run), each is estimated from the app's sample
as the editor does (``segment_estimate``, the app's
available-customer count stored) and counted exactly as the editor did before
(the same compiled predicate over all the app's available customers), in the
same run, alternately, after one warm-up of each; the cache that keeps an
estimate already made is off, so each reads the sample. Reported: the sampled
estimate's median and p95 time, the ratio of the summed sampled times to the
summed exact times, how often the stated interval covered the exact count, and
the largest relative error of segments above 1% of the app.
"""

from __future__ import annotations

import json
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from customers.models import App, AppCustomer
from engagement import rules
from engagement.management.estimates import random_definitions, scored
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from engagement.selectors.segments import segment_count
from engagement.services.app_statistics import (
    app_statistics_eligible_count,
    app_statistics_forget,
)
from engagement.services.estimate_sample import estimate_sample_build
from engagement.services.estimates import segment_estimate

TARGETS = {"ratio_to_exact": 0.05, "p95_ms": 300}
DEFINITIONS_SEED = 12


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = (
        "Benchmark the sampled live estimate against the exact count on "
        "1,000,000 customers of one app (PostgreSQL; seeded if missing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=SCRATCH_SEED)
        parser.add_argument("--definitions", type=int, default=20)
        parser.add_argument(
            "--repeats", type=int, default=3, help="Timings of each definition."
        )
        parser.add_argument(
            "--app",
            type=int,
            help="Measure this app (its id) instead of the scratch demo app.",
        )

    @override_settings(ESTIMATE_CACHE_SECONDS=0)  # each estimate reads, as a first one
    def handle(self, *args, customers, seed, definitions, repeats, app, **options):
        if app is None:
            scratch_postgresql_require(
                command="bench_estimate", make_target="make bench-estimate"
            )
            measured = scratch_demo_app(
                customers=customers, seed=seed, log=self.stdout.write
            )
        else:
            measured = App.objects.get(pk=app)
        today = rules.evaluation_date()
        app_statistics_forget(app_ids=[measured.pk])
        with transaction.atomic():  # stored when it commits
            eligible = app_statistics_eligible_count(app_id=measured.pk, today=today)
        start = time.perf_counter()
        rows = estimate_sample_build(app_id=measured.pk, today=today)
        built_s = time.perf_counter() - start
        total = AppCustomer.objects.filter(app=measured).count()
        self.stdout.write(
            f"app {measured.store_product_id}: {total:,} app customers, "
            f"{eligible:,} available; exact up to "
            f"{settings.ESTIMATE_EXACT_MAX_ROWS:,}, else a sample of about "
            f"{settings.ESTIMATE_SAMPLE_SIZE:,}, read up to "
            f"{settings.ESTIMATE_SAMPLE_MAX_SIZE:,}: the sample table of "
            f"{rows:,} rows built in {_ms(built_s):,} ms"
        )
        sampled_s, exact_s, results = [], [], []
        header = f"{'share':>7} {'exact':>9} {'estimate':>9} {'± margin':>9} "
        header += f"{'sample ms':>9} {'exact ms':>9}  definition"
        self.stdout.write(header)
        for definition in random_definitions(seed=DEFINITIONS_SEED, count=definitions):
            estimate = segment_estimate(app=measured, definition=definition)
            exact = segment_count(
                app=measured, definition=definition, today=today, eligible=eligible
            ).members
            own_sampled, own_exact = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                segment_estimate(app=measured, definition=definition)
                own_sampled.append(time.perf_counter() - start)
                start = time.perf_counter()
                segment_count(
                    app=measured, definition=definition, today=today, eligible=eligible
                )
                own_exact.append(time.perf_counter() - start)
            sampled_s += own_sampled
            exact_s += own_exact
            margin = estimate.margin or 0
            results.append((estimate.members, margin, exact))
            self.stdout.write(
                f"{exact / eligible if eligible else 0:>7.2%} {exact:>9,} "
                f"{estimate.members:>9,} {margin:>9,} "
                f"{_ms(statistics.median(own_sampled)):>9} "
                f"{_ms(statistics.median(own_exact)):>9}  "
                f"{rules.definition_text(definition)[:70]}"
            )
        score = scored(results, eligible=eligible)
        summary = {
            "customers": total,
            "definitions": len(results),
            "median_ms": _ms(statistics.median(sampled_s)),
            "p95_ms": _ms(_p95(sampled_s)),
            "exact_median_ms": _ms(statistics.median(exact_s)),
            "ratio_to_exact": round(sum(sampled_s) / sum(exact_s), 4),
            "coverage": round(score.coverage, 3),
            "max_rel_error_above_1pct": round(score.max_rel_error, 4),
        }
        missed = [
            f"{key} {summary[key]} > {target}"
            for key, target in TARGETS.items()
            if summary[key] > target
        ]
        self.stdout.write(
            "targets: " + ("MISSED: " + "; ".join(missed) if missed else "all met")
        )
        self.stdout.write(json.dumps(summary))
