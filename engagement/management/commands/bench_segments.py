"""Benchmark the membership engine against the bare count of the same predicate.

Every figure is measured in the same run on the same data, so the ratios hold
whatever the machine: the recompute time of each segment is divided by the
time PostgreSQL takes to merely count what the compiled predicate selects.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, connections, transaction

from customers.models import App, AppCustomer, Customer
from engagement import rules
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from engagement.models import Segment, SegmentMembership
from engagement.services import membership
from engagement.services.segments import segment_create

PREFIX = "bench: "


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


def _timed(fn, *args, **kwargs) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _recompute(segment_id: int, trigger: str) -> Any:
    segment = Segment.objects.get(pk=segment_id)
    version = membership.segment_request_recompute(
        segment=segment, trigger=trigger, enqueue=False
    )
    return membership.segment_recompute(
        segment_id=segment_id, version=version, trigger=trigger
    )


def _apply(segment_id: int, version: int) -> Any:
    return membership.segment_recompute(segment_id=segment_id, version=version)


def _pool_recompute(segment_id: int) -> float:
    """Run in a worker process: one recompute, its wall time."""
    seconds, _run = _timed(_recompute, segment_id, "support")
    connections.close_all()
    return seconds


def _settle() -> None:
    """Start each measurement from a checkpointed database.

    Without it, a measurement pays for flushing the pages the previous one
    dirtied (PostgreSQL's default max_wal_size checkpoints every ~20 s
    during the run). Needs superuser rights; skipped without them.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def _membership_writes() -> int:
    """Rows ever inserted, updated or deleted in the membership table.

    This process's pending statistics are flushed first (PostgreSQL 15
    reports them lazily), so two readings bracket exactly what happened.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins + n_tup_del + n_tup_upd FROM pg_stat_user_tables"
            " WHERE relname = %s",
            [SegmentMembership._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


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

    def handle(self, *args, customers, seed, churn, keep, **options):
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

        rows = []
        for name, definition in SEGMENTS:
            qs = rules.segment_queryset(definition=definition, app=app, today=today)
            qs.count()  # warm the cache as the recompute will find it
            _settle()
            count_s, count = _timed(qs.count)
            segment = segment_create(
                partner=partner,
                app=app,
                name=PREFIX + name,
                definition=definition,
                user=None,
                enqueue=False,
            )
            _settle()
            first_s, first = _timed(_apply, segment.pk, segment.pending_version)
            writes_before = _membership_writes()
            _settle()
            nochange_s, nochange = _timed(_recompute, segment.pk, "support")
            rows.append(
                {
                    "segment": segment,
                    "name": name,
                    "count": count,
                    "share": count / eligible if eligible else 0.0,
                    "count_s": count_s,
                    "first_s": first_s,
                    "nochange_s": nochange_s,
                    "first_error": first.error,
                    "nochange_rows": nochange.joined + nochange.left,
                    "nochange_stat_writes": _membership_writes() - writes_before,
                }
            )
            assert first.member_count == count, (name, first.member_count, count)

        changed = self._churn(app=app, share=churn, salt=1)
        self.stdout.write(
            f"changed the facts of {changed:,} app customers ({churn:.0%})"
        )
        for row in rows:
            qs = rules.segment_queryset(
                definition=row["segment"].definition, app=app, today=today
            )
            _settle()
            row["churn_count_s"], row["churn_count"] = _timed(qs.count)
            _settle()
            row["churn_s"], run = _timed(_recompute, row["segment"].pk, "support")
            row["churn_joined"], row["churn_left"] = run.joined, run.left
            assert run.member_count == row["churn_count"], row["name"]

        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        refresh = {}
        for workers in (1, 2):
            self._churn(app=app, share=churn, salt=1 + workers)
            refresh[workers] = self._refresh(rows=rows, workers=workers)

        self._report(rows=rows, refresh=refresh, peak_rss_mb=peak_rss_mb, total=total)
        if not keep:
            Segment.objects.filter(partner=partner, name__startswith=PREFIX).delete()

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

    def _report(self, *, rows, refresh, peak_rss_mb, total) -> None:
        header = (
            f"{'segment':<38} {'share':>7} {'count s':>8} {'first s':>8} "
            f"{'nochg s':>8} {'churn s':>8} "
            f"{'r first':>7} {'r nochg':>7} {'r churn':>7}"
        )
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in rows:
            self.stdout.write(
                f"{r['name'][:38]:<38} {r['share']:>7.2%} {r['count_s']:>8.3f} "
                f"{r['first_s']:>8.3f} {r['nochange_s']:>8.3f} {r['churn_s']:>8.3f} "
                f"{r['first_s'] / r['count_s']:>7.2f} "
                f"{r['nochange_s'] / r['count_s']:>7.2f} "
                f"{r['churn_s'] / r['churn_count_s']:>7.2f}"
            )
        count_s = sum(r["count_s"] for r in rows)
        churn_count_s = sum(r["churn_count_s"] for r in rows)
        summary = {
            "customers": total,
            "segments": len(rows),
            "count_s": round(count_s, 3),
            "first_s": round(sum(r["first_s"] for r in rows), 3),
            "nochange_s": round(sum(r["nochange_s"] for r in rows), 3),
            "churn_count_s": round(churn_count_s, 3),
            "churn_s": round(sum(r["churn_s"] for r in rows), 3),
            "ratio_first": round(sum(r["first_s"] for r in rows) / count_s, 2),
            "ratio_nochange": round(sum(r["nochange_s"] for r in rows) / count_s, 2),
            "ratio_churn": round(sum(r["churn_s"] for r in rows) / churn_count_s, 2),
            "nochange_rows_written": sum(r["nochange_rows"] for r in rows),
            "nochange_table_writes": sum(r["nochange_stat_writes"] for r in rows),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "refresh_1_worker_s": round(refresh[1], 3),
            "refresh_2_workers_s": round(refresh[2], 3),
            "refresh_speedup": round(refresh[1] / refresh[2], 2),
        }
        self.stdout.write("")
        self.stdout.write(
            f"full refresh of {len(rows)} segments: 1 worker {refresh[1]:.2f} s, "
            f"2 workers {refresh[2]:.2f} s"
        )
        self.stdout.write(json.dumps(summary))
