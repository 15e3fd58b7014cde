"""What ``bench_segments`` measures of the engine at scale (issue 15).

- **Incremental**: 1% of the app's customers change (as an import writes
  them, ``updated_at`` stamped); every bench segment is brought up to date
  by an incremental update, then, after another 1% change, by full
  recomputes. ``ratio_incremental`` is the first total over the second.
- **Shared scan**: 50 segments of the app (the bench's ten shapes, each in
  five variants); the daily run computes them in one scan
  (``segments_recompute_app_task``) against 50 separate recomputes of the
  same segments, and against one bare ``count(*)`` of the app's available
  customers (the rows the scan reads), in the same session settings.
- **Growth**: first computations and no-change recomputes of the ten shapes
  at each size of ``--sizes``, each size in a child process whose peak
  resident memory is the worker's at that size. The seeded tables are
  vacuumed first (as autovacuum keeps a live database), and each shape's
  step is the fastest of ``GROWTH_ROUNDS`` rounds.

Every member set is compared with its baseline query after each timed step
(``member_set_check``).
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.utils import timezone

from customers.models import App, AppCustomer, Customer
from engagement import rules
from engagement.management import growth_child
from engagement.management.bench import (
    baseline_count,
    measure,
    member_set_check,
    recompute_request,
)
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services.app_statistics import app_statistics_forget
from engagement.services.segments import segment_create
from engagement.tasks.segments import (
    segment_recompute_task,
    segments_recompute_app_task,
)

IMPORT, SCHEDULE, SAVE = (
    SegmentRun.Trigger.IMPORT,
    SegmentRun.Trigger.SCHEDULE,
    SegmentRun.Trigger.SAVE,
)
SHARED_PREFIX = "bench shared: "
VARIANT_MARKETS = [None, "US", "GB", "FR", "DE"]


def _run(segment_id: int, version: int, trigger: str, since=None) -> SegmentRun:
    kwargs = {"changed_since": since.isoformat()} if since else {}
    segment_recompute_task.apply((segment_id, version, trigger), kwargs, throw=True)
    return SegmentRun.objects.get(segment_id=segment_id, version=version)


def _check(segment: Segment, run: SegmentRun) -> None:
    segment.refresh_from_db()
    queryset = rules.segment_queryset(
        definition=segment.definition, app=segment.app_id, today=rules.evaluation_date()
    )
    member_set_check(run=run, queryset=queryset, expected=queryset.count())


def bench_incremental(
    *,
    segments: list[Segment],
    churn: Callable[[int], int],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Incremental updates after a 1% change against full recomputes after
    another 1% change, of the same segments."""
    since = timezone.now()
    changed = churn(101)
    log(f"incremental: changed {changed:,} app customers (1%)")
    incremental = _updates_timed(segments, since=since)
    changed = churn(102)
    log(f"full: changed {changed:,} app customers (1%)")
    full = _updates_timed(segments, since=None)
    log(
        f"{len(segments)} segments after a 1% change: incremental {incremental:.2f} s,"
        f" full {full:.2f} s"
    )
    return {
        "incremental_s": round(incremental, 3),
        "incremental_full_s": round(full, 3),
        "ratio_incremental": round(incremental / full, 3),
    }


def _updates_timed(segments: list[Segment], *, since) -> float:
    """Seconds to bring every segment up to date after an import that
    started at ``since`` (incrementally), or as a full recompute (None)."""
    total = 0.0
    for segment in segments:
        segment.refresh_from_db()
        version = recompute_request(segment=segment, trigger=IMPORT, count_stored=True)
        taken, run = measure(
            lambda s=segment, v=version: _run(s.pk, v, IMPORT, since=since)
        )
        if run.incremental != (since is not None):
            raise RuntimeError(f"{segment}: incremental is {run.incremental}")
        _check(segment, run)
        total += taken.seconds
    return total


def _variant(definition: dict, market: str | None) -> dict:
    """The definition with ``market is not <market>`` in every statement."""
    if market is None:
        return definition
    extra = {"attribute": "market", "operator": "is_not", "value": market}
    return {
        "version": 1,
        "any": [{"all": [*block["all"], extra]} for block in definition["any"]],
    }


def _shared_run(app: App, segments: list[Segment], trigger: str) -> list[SegmentRun]:
    requests = [
        (
            segment.pk,
            recompute_request(segment=segment, trigger=trigger, count_stored=True),
        )
        for segment in segments
    ]
    segments_recompute_app_task.apply((app.pk, requests, trigger), throw=True)
    return [
        SegmentRun.objects.get(segment_id=pk, version=version)
        for pk, version in requests
    ]


def bench_shared(
    *, app: App, shapes: list[tuple[str, dict]], log: Callable[[str], None]
) -> dict[str, Any]:
    """The daily run of 50 segments of one app: one scan against 50 recomputes."""
    Segment.objects.filter(partner=app.partner, name__startswith=SHARED_PREFIX).delete()
    segments = [
        segment_create(
            partner=app.partner,
            app=app,
            name=f"{SHARED_PREFIX}{name} / {market or 'all'}",
            definition=_variant(definition, market),
            user=None,
            enqueue=False,
        )
        for name, definition in shapes
        for market in VARIANT_MARKETS
    ]
    app_statistics_forget(app_ids=[app.pk])
    first, runs = measure(lambda: _shared_run(app, segments, SAVE))
    log(f"shared scan: first computation of {len(segments)} segments")
    log(f"  {first.seconds:.2f} s")
    separate = 0.0
    for segment in segments:
        segment.refresh_from_db()
        version = recompute_request(
            segment=segment, trigger=SCHEDULE, count_stored=True
        )
        taken, run = measure(lambda s=segment, v=version: _run(s.pk, v, SCHEDULE))
        separate += taken.seconds
    shared, runs = measure(lambda: _shared_run(app, segments, SCHEDULE))
    if not all(run.shared_scan for run in runs):
        raise RuntimeError("the daily run did not compute the segments in one scan")
    for segment, run in zip(segments, runs, strict=True):
        _check(segment, run)
    eligible = rules.eligible_queryset(app=app, today=rules.evaluation_date())
    count, _n = measure(lambda: baseline_count(eligible))
    members = sum(run.member_count for run in runs)
    log(
        f"daily run of {len(segments)} segments ({members:,} memberships):"
        f" one scan {shared.seconds:.2f} s, separately {separate:.2f} s,"
        f" bare count(*) {count.seconds:.3f} s"
    )
    Segment.objects.filter(pk__in=[segment.pk for segment in segments]).delete()
    return {
        "shared_segments": len(segments),
        "shared_memberships": members,
        "shared_first_s": round(first.seconds, 3),
        "shared_scan_s": round(shared.seconds, 3),
        "separate_recomputes_s": round(separate, 3),
        "eligible_count_s": round(count.seconds, 3),
        "ratio_shared_scan": round(shared.seconds / separate, 3),
        "shared_scan_vs_count": round(shared.seconds / count.seconds, 2),
    }


# Each size's shapes are measured this many times, the fastest of each kept:
# on a shared 2-core machine one timing of the same statement varies by
# ±30% (the same count at 4M took 2.9 s and 4.6 s a minute apart), more
# than the growth target's margin.
GROWTH_ROUNDS = 2


def _vacuum(models: list) -> None:
    """VACUUM (ANALYZE) the tables, as autovacuum keeps a live database: a
    table fresh from a bulk load has its hint bits and visibility map still
    to set, which its first readers pay for (more pages than shared buffers
    hold at 4M customers)."""
    with connections["default"].cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def growth_measure(
    size: int, seed: int, shapes: list[tuple[str, dict]], results
) -> None:
    """In a child process: seed ``size`` customers if needed, then time the
    first computation and a no-change recompute of every shape, the fastest
    of ``GROWTH_ROUNDS`` rounds each."""
    from engagement.management.scratch import scratch_demo_app

    app = scratch_demo_app(customers=size, seed=seed, log=lambda line: None)
    prefix = f"bench growth {size}: "
    Segment.objects.filter(partner=app.partner, name__startswith=prefix).delete()
    _vacuum([Customer, AppCustomer, SegmentMembership])
    first = {name: float("inf") for name, _ in shapes}
    nochange = dict(first)
    for _ in range(GROWTH_ROUNDS):
        created = []
        for name, definition in shapes:
            segment = segment_create(
                partner=app.partner,
                app=app,
                name=prefix + name,
                definition=definition,
                user=None,
                enqueue=False,
            )
            created.append(segment.pk)
            app_statistics_forget(app_ids=[app.pk])
            taken, run = measure(lambda s=segment: _run(s.pk, 1, SAVE))
            first[name] = min(first[name], taken.seconds)
            version = recompute_request(segment=segment, trigger=SAVE)
            taken, run = measure(lambda s=segment, v=version: _run(s.pk, v, SAVE))
            nochange[name] = min(nochange[name], taken.seconds)
            _check(segment, run)
        Segment.objects.filter(pk__in=created).delete()
        _vacuum([SegmentMembership])
    connections.close_all()
    results.put(
        {
            "first_s": sum(first.values()),
            "nochange_s": sum(nochange.values()),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def bench_growth(
    *,
    sizes: list[int],
    seed: int,
    shapes: list[tuple[str, dict]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """First computation plus no-change recompute at each size, each in a
    fresh process (spawned: it starts from nothing this one loaded)."""
    context = multiprocessing.get_context("spawn")
    by_size = {}
    connections.close_all()
    for size in sorted(sizes):
        results = context.Queue()
        start = time.perf_counter()
        child = context.Process(
            target=growth_child.main, args=(size, seed, shapes, results)
        )
        child.start()
        figures = results.get()
        child.join()
        if child.exitcode:
            raise RuntimeError(f"growth at {size:,} customers failed")
        by_size[size] = figures
        log(
            f"growth {size:>9,} customers: first {figures['first_s']:.2f} s,"
            f" no change {figures['nochange_s']:.2f} s, worker peak"
            f" {figures['peak_rss_mb']:.0f} MB ({time.perf_counter() - start:.0f} s"
            " with seeding)"
        )

    def total(size: int) -> float | None:
        figures = by_size.get(size)
        return figures["first_s"] + figures["nochange_s"] if figures else None

    def ratio(big: int, small: int) -> float | None:
        return (
            round(total(big) / total(small), 2) if total(big) and total(small) else None
        )

    return {
        "growth_s": {str(size): round(total(size), 3) for size in by_size},
        "growth_1m_over_250k": ratio(1_000_000, 250_000),
        "growth_4m_over_1m": ratio(4_000_000, 1_000_000),
        "growth_peak_rss_mb": {
            str(size): round(figures["peak_rss_mb"], 1)
            for size, figures in by_size.items()
        },
    }
