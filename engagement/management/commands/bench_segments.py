"""Benchmark the membership engine against the bare count of the same predicate.

Every figure is measured in the same run on the same data, so the ratios hold
whatever the machine: the recompute time of each segment, run as a save or an
import has a worker run it, is divided by the time PostgreSQL takes to merely
count what the compiled predicate selects under the same session settings.
How each figure is made fair and checked: ``engagement/management/bench.py``.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction

from customers.management.bench_import import TARGET_IMPORT_VS_COPY, bench_import
from customers.models import App, AppCustomer, Customer
from engagement import rules
from engagement.management.bench import (
    Measurement,
    baseline_count,
    measure,
    member_set_check,
    membership_writes,
    membership_writes_check,
    recompute_request,
    recompute_run,
)
from engagement.management.bench_scale import (
    bench_growth,
    bench_incremental,
    bench_shared,
)
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services.app_statistics import app_statistics_forget
from engagement.services.segments import segment_create

PREFIX = "bench: "
SAVE, IMPORT, REFRESH = (
    SegmentRun.Trigger.SAVE,
    SegmentRun.Trigger.IMPORT,
    SegmentRun.Trigger.REFRESH,
)
# The timed measurements of each segment, each from a checkpoint.
MEASURED = ("count", "first", "nochange", "nochange_cached", "churn_count", "churn")
# Upper bounds; a figure that is None (not measured in this run) is skipped.
TARGETS = {
    "ratio_nochange": 2.0,
    "ratio_churn": 3.0,
    "ratio_first": 4.0,
    "nochange_rows_written": 0,
    "peak_rss_mb": 300,
    "ratio_incremental": 0.1,
    "ratio_shared_scan": 0.25,
    "shared_scan_vs_count": 10.0,
    "growth_4m_over_1m": 4.4,
    "peak_rss_mb_max": 300,
}
IMPORT_FIGURES = (
    "import_rows",
    "import_seconds",
    "copy_seconds",
    "import_rows_per_s",
    "import_vs_copy",
    "import_phases_s",
    "writes_vs_copy",
    "import_peak_rss_mb",
    "upsert_rows_per_s",
)
# Lower bounds.
MINIMUMS = {"import_vs_copy": TARGET_IMPORT_VS_COPY}


def _c(attribute: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute": attribute, "operator": operator, "value": value}


def _d(*blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 1, "any": [{"all": list(block)} for block in blocks]}


# Ten shapes: categorical, numeric, date windows, 90-day text, multi-block ORs,
# one selecting ~90% of the available customers and one ~0.1%.
SEGMENTS: list[tuple[str, dict[str, Any]]] = [
    (
        "categorical: women in 4 markets",
        _d(
            [_c("gender", "is", "female"), _c("market", "in", ["US", "GB", "FR", "DE"])]
        ),
    ),
    ("numeric: Store spend > $50", _d([_c("store_spend", "gt", 50)])),
    (
        "date window: active in last 30 days",
        _d([_c("last_active_date", "in_last_days", 30)]),
    ),
    (
        "90-day window: campaigns",
        _d([_c("campaign_id", "in", ["spring_sale", "launch_2025", "influencer_q3"])]),
    ),
    (
        "3-block OR",
        _d(
            [_c("age_group", "is", "18-24"), _c("gender", "is", "male")],
            [_c("store_spend", "gt", 10)],
            [_c("churn_risk", "is", "high"), _c("has_rated", "is", False)],
        ),
    ),
    (
        "rating and acquisition type",
        _d([_c("rating", "between", [4, 5]), _c("acquisition_type", "is", "paid")]),
    ),
    (
        "lapsed heavy users",
        _d(
            [
                _c("last_active_date", "not_in_last_days", 30),
                _c("sessions_30d", "eq", 0),
            ]
        ),
    ),
    (
        "5-block OR of churn and spend",
        _d(
            [_c("churn_risk", "is", "low")],
            [_c("app_spend", "gte", 5)],
            [_c("store_purchaser", "is", True), _c("market", "not_in", ["US"])],
            [_c("age_group", "in", ["35-49", "50+"])],
            [_c("acquisition_date", "in_last_days", 60)],
        ),
    ),
    ("~90%: age group not 18-24", _d([_c("age_group", "is_not", "18-24")])),
    (
        "~0.1%: big spenders with top rating",
        _d(
            [
                _c("store_spend", "gt", 400),
                _c("rating", "eq", 5),
                _c("sessions_30d", "gte", 5),
            ]
        ),
    ),
]


def _pool_recompute(segment_id: int) -> None:
    """Run in a worker process: one recompute, as Refresh has a worker run it."""
    segment = Segment.objects.get(pk=segment_id)
    version = recompute_request(segment=segment, trigger=REFRESH, count_stored=True)
    recompute_run(segment_id=segment_id, version=version, trigger=REFRESH)
    connections.close_all()


class Command(BaseCommand):
    help = (
        "Benchmark segment recomputes on PostgreSQL against the bare count of "
        "their predicate, on 1,000,000 customers of one app (seeded if missing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=SCRATCH_SEED)
        parser.add_argument(
            "--churn", type=float, default=0.05, help="Share of app customers changed."
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the bench segments afterwards."
        )
        parser.add_argument(
            "--sizes",
            default="250000,1000000",
            help="Comma-separated app sizes for the growth part (each seeded in "
            "turn; 4000000 gives growth_4m_over_1m).",
        )
        parser.add_argument(
            "--import-rows",
            type=int,
            default=1_000_000,
            help="Lines of the file the import part loads (bench_import).",
        )

    def handle(
        self, *args, customers, seed, churn, keep, sizes, import_rows, **options
    ):
        scratch_postgresql_require(command="bench_segments", make_target="make bench")
        app = scratch_demo_app(customers=customers, seed=seed, log=self.stdout.write)
        partner = app.partner
        Segment.objects.filter(partner=partner, name__startswith=PREFIX).delete()
        with connection.cursor() as cursor:  # clear what earlier runs left
            cursor.execute(f"VACUUM ANALYZE {SegmentMembership._meta.db_table}")
        today = rules.evaluation_date()
        total = AppCustomer.objects.filter(app=app).count()
        eligible = rules.eligible_queryset(app=app, today=today).count()
        self.stdout.write(
            f"app {app.store_product_id}: {total:,} app customers, "
            f"{eligible:,} available"
        )
        self.stdout.write(
            "each measurement: seconds, then whether it started from a completed "
            "checkpoint (ckpt; +N: checkpoints PostgreSQL ran while it was timed)"
        )
        rows = []
        for name, definition in SEGMENTS:
            qs = rules.segment_queryset(definition=definition, app=app, today=today)
            baseline_count(qs)  # warm the buffers as the recompute will find them
            row = {"name": name, "definition": definition}
            row["count"], row["members"] = measure(lambda qs=qs: baseline_count(qs))
            row["share"] = row["members"] / eligible if eligible else 0.0
            segment = segment_create(
                partner=partner,
                app=app,
                name=PREFIX + name,
                definition=definition,
                user=None,
                enqueue=False,
            )
            row["segment"] = segment
            # The save asked for version 1; the worker runs it.
            app_statistics_forget(app_ids=[app.pk])
            writes = membership_writes()
            row["first"], run = measure(
                lambda pk=segment.pk: recompute_run(segment_id=pk, version=1)
            )
            membership_writes_check(written=membership_writes() - writes, run=run)
            member_set_check(run=run, queryset=qs, expected=row["members"])
            writes = membership_writes()
            row["nochange"], run = self._recompute(segment)
            row["nochange_rows_written"] = membership_writes() - writes
            row["nochange_rows_reported"] = run.joined + run.left
            member_set_check(run=run, queryset=qs, expected=row["members"])
            # As the second segment of an app recomputed together finds it.
            row["nochange_cached"], _run = self._recompute(segment, count_stored=True)
            self._progress(row, "count", "first", "nochange", "nochange_cached")
            rows.append(row)

        changed = self._churn(app=app, share=churn, salt=1)
        self.stdout.write(
            f"changed the facts of {changed:,} app customers ({churn:.0%})"
        )
        for row in rows:
            qs = rules.segment_queryset(
                definition=row["definition"], app=app, today=today
            )
            row["churn_count"], members = measure(lambda qs=qs: baseline_count(qs))
            row["churn"], run = self._recompute(row["segment"], trigger=IMPORT)
            row["churn_joined"], row["churn_left"] = run.joined, run.left
            member_set_check(run=run, queryset=qs, expected=members)
            self._progress(row, "churn_count", "churn")

        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        refresh = {}
        for workers in (1, 2):
            self._churn(app=app, share=churn, salt=1 + workers)
            # As after an import: the first recompute counts, the rest share it.
            app_statistics_forget(app_ids=[app.pk])
            refresh[workers] = self._refresh(rows=rows, workers=workers)

        scale = bench_incremental(
            segments=[row["segment"] for row in rows],
            churn=lambda salt: self._churn(app=app, share=0.01, salt=salt),
            log=self.stdout.write,
        )
        scale |= bench_shared(app=app, shapes=SEGMENTS, log=self.stdout.write)
        if not keep:
            Segment.objects.filter(partner=partner, name__startswith=PREFIX).delete()
        scale |= bench_growth(
            sizes=[int(size) for size in sizes.split(",") if size.strip()],
            seed=seed,
            shapes=SEGMENTS,
            log=self.stdout.write,
        )
        scale["peak_rss_mb_max"] = max(
            [peak_rss_mb, *scale["growth_peak_rss_mb"].values()]
        )
        # The import last: it adds (then removes) a million customers of its own.
        figures = bench_import(rows=import_rows, stdout=self.stdout, into_empty=False)
        scale |= {key: figures[key] for key in IMPORT_FIGURES}
        summary = self._report(
            rows=rows,
            refresh=refresh,
            peak_rss_mb=peak_rss_mb,
            total=total,
            scale=scale,
        )
        missed = [
            f"{key} {summary[key]} > {target}"
            for key, target in TARGETS.items()
            if summary.get(key) is not None and summary[key] > target
        ] + [
            f"{key} {summary[key]} < {minimum}"
            for key, minimum in MINIMUMS.items()
            if summary[key] < minimum
        ]
        self.stdout.write(
            "targets: " + ("MISSED: " + "; ".join(missed) if missed else "all met")
        )

    def _recompute(
        self, segment: Segment, *, trigger: str = SAVE, count_stored: bool = False
    ) -> tuple[Measurement, SegmentRun]:
        """Measure one recompute as ``trigger`` has a worker run it."""
        segment.refresh_from_db()
        version = recompute_request(
            segment=segment, trigger=trigger, count_stored=count_stored
        )
        return measure(
            lambda: recompute_run(
                segment_id=segment.pk, version=version, trigger=trigger
            )
        )

    def _progress(self, row: dict, *keys: str) -> None:
        self.stdout.write(
            f"  {row['name'][:30]:<30} "
            + "  ".join(
                f"{key} {row[key].seconds:.3f} s {row[key].mark}" for key in keys
            )
        )

    def _churn(self, *, app: App, share: float, salt: int) -> int:
        """Change the facts of ``share`` of the app's customers, set-based.

        Values are a function of the row and ``salt``, not increments, so
        repeated runs do not drift the data away from the seed's spreads.
        """
        modulo = max(round(1 / share), 1)
        ac = AppCustomer._meta.db_table
        cu = Customer._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {ac} SET
                    last_active_on = CURRENT_DATE - ((id * 7 + %s) %% 120)::int,
                    sessions_30d = (id + %s) %% 23,
                    app_spend = ((id + %s) %% 4000) / 100.0,
                    rating = CASE WHEN (id + %s) %% 4 = 0 THEN 1 + (id %% 5) END,
                    churn_score = ((id * 13 + %s) %% 100) / 100.0
                WHERE app_id = %s AND (id + %s) %% %s = 0
                """,
                [salt, salt, salt, salt, salt, app.pk, salt, modulo],
            )
            changed = cursor.rowcount
            cursor.execute(
                f"""
                UPDATE {cu} SET store_spend = ((id * 31 + %s) %% 30000) / 100.0,
                                updated_at = now()
                WHERE id IN (SELECT customer_id FROM {ac}
                             WHERE app_id = %s AND (id + %s) %% %s = 0)
                """,
                [salt, app.pk, salt, modulo],
            )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ac}")
            cursor.execute(f"ANALYZE {cu}")
        return changed

    def _refresh(self, *, rows: list[dict], workers: int) -> float:
        """Wall time to recompute all segments with ``workers`` processes."""
        ids = [row["segment"].pk for row in rows]
        connections.close_all()  # children must not share this connection
        context = multiprocessing.get_context("fork")
        start = time.perf_counter()
        with context.Pool(processes=workers) as pool:
            pool.map(_pool_recompute, ids, chunksize=1)
        return time.perf_counter() - start

    def _report(self, *, rows, refresh, peak_rss_mb, total, scale) -> dict[str, Any]:
        """Print the table and the summary line; return the summary."""

        def s(key: str) -> float:
            return sum(r[key].seconds for r in rows)

        header = (
            f"{'segment':<30} {'share':>7} {'count s':>8} {'first s':>8} "
            f"{'nochg s':>8} {'cached s':>8} {'churn s':>8} "
            f"{'r first':>7} {'r nochg':>7} {'r churn':>7} {'ckpt':>5}"
        )
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in rows:
            taken = [r[key] for key in MEASURED]
            self.stdout.write(
                f"{r['name'][:30]:<30} {r['share']:>7.2%} "
                f"{r['count'].seconds:>8.3f} {r['first'].seconds:>8.3f} "
                f"{r['nochange'].seconds:>8.3f} {r['nochange_cached'].seconds:>8.3f} "
                f"{r['churn'].seconds:>8.3f} "
                f"{r['first'].seconds / r['count'].seconds:>7.2f} "
                f"{r['nochange'].seconds / r['count'].seconds:>7.2f} "
                f"{r['churn'].seconds / r['churn_count'].seconds:>7.2f} "
                f"{sum(m.from_checkpoint for m in taken):>2}/{len(taken):<2}"
            )
        taken = [r[key] for r in rows for key in MEASURED]
        summary = {
            "customers": total,
            "segments": len(rows),
            "count_s": round(s("count"), 3),
            "first_s": round(s("first"), 3),
            "nochange_s": round(s("nochange"), 3),
            "nochange_cached_s": round(s("nochange_cached"), 3),
            "churn_count_s": round(s("churn_count"), 3),
            "churn_s": round(s("churn"), 3),
            "ratio_first": round(s("first") / s("count"), 2),
            "ratio_nochange": round(s("nochange") / s("count"), 2),
            "ratio_nochange_cached": round(s("nochange_cached") / s("count"), 2),
            "ratio_churn": round(s("churn") / s("churn_count"), 2),
            "nochange_rows_written": sum(r["nochange_rows_written"] for r in rows),
            "nochange_rows_reported": sum(r["nochange_rows_reported"] for r in rows),
            "measurements": len(taken),
            "measurements_from_checkpoint": sum(m.from_checkpoint for m in taken),
            "checkpoints_during_measurements": sum(m.checkpoints_during for m in taken),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "refresh_1_worker_s": round(refresh[1], 3),
            "refresh_2_workers_s": round(refresh[2], 3),
            "refresh_speedup": round(refresh[1] / refresh[2], 2),
            **scale,
        }
        self.stdout.write("")
        self.stdout.write(
            f"full refresh of {len(rows)} segments: 1 worker {refresh[1]:.2f} s, "
            f"2 workers {refresh[2]:.2f} s"
        )
        self.stdout.write(json.dumps(summary))
        return summary
