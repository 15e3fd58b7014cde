"""Load the dashboard the way partners use it, on production settings; measure.

One command (``make load``) does everything on a scratch PostgreSQL database:
migrate; seed N demo customers of one app, or reuse them, and build its
estimate sample (as a worker has in use); vacuum; collectstatic;
start gunicorn with production settings on a free port of 127.0.0.1, a real
Celery worker kept recomputing the demo segments for the whole run (on
``REDIS_URL``, else a private ``redis-server``, else the filesystem broker),
and locust, headless, with the users of ``load/locustfile.py`` for a bounded
time. It prints a table per page and a final JSON line. Every process it
started is stopped on the way out, on Ctrl-C and on failure too.

How each process starts, the recompute keeper and the figures live in
``engagement.management.load``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from customers.models import AppCustomer, PartnerMembership
from engagement.management import load
from engagement.management.processes import Processes
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from engagement.models import Segment, SegmentRun
from engagement.services import membership
from engagement.services.estimate_sample import estimate_sample_build

# Sync workers on the 2-core machine: gunicorn's rule of thumb, 2 × cores + 1.
# A sync worker waits while PostgreSQL counts; one more than two per core
# keeps both cores busy (PostgreSQL and the Celery worker share them).
WEB_WORKERS = 5
# One recompute at a time: the worker keeps up to one core's worth of
# background work going for the whole run, without starving the web.
WORKER_CONCURRENCY = 1


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


class Command(BaseCommand):
    help = (
        "Load the dashboard with signed-in partners (locust) against gunicorn on "
        "production settings while a Celery worker recomputes, on 127.0.0.1 and a "
        "scratch PostgreSQL database of N customers (seeded if missing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=_positive, default=1_000_000)
        parser.add_argument("--users", type=_positive, default=16)
        parser.add_argument("--seconds", type=_positive, default=60)
        parser.add_argument("--seed", type=int, default=SCRATCH_SEED)
        parser.add_argument("--web-workers", type=_positive, default=WEB_WORKERS)
        parser.add_argument(
            "--worker-concurrency", type=_positive, default=WORKER_CONCURRENCY
        )
        parser.add_argument(
            "--run-dir",
            type=Path,
            default=None,
            help="Where the logs go (default: var/load/<time>/).",
        )

    def handle(self, *args, **options) -> None:
        scratch_postgresql_require(command="load_dashboard", make_target="make load")
        options["run_dir"] = options["run_dir"] or (
            Path(settings.BASE_DIR)
            / "var"
            / "load"
            / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        )
        options["run_dir"].mkdir(parents=True, exist_ok=True)
        began = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - began:6.1f} s] {message}")

        # One line per request for a recompute would bury the report.
        logging.getLogger(membership.__name__).setLevel(logging.WARNING)
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            with Processes(run_dir=options["run_dir"], log=progress) as processes:
                summary = self._run(processes=processes, progress=progress, **options)
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; every process it started is stopped."
            ) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        load.summary_print(summary=summary, out=self.stdout.write)

    def _run(self, *, processes: Processes, progress: Callable, **options) -> dict:
        progress("migrating…")
        call_command("migrate", interactive=False, verbosity=0)
        app = scratch_demo_app(
            customers=options["customers"], seed=options["seed"], log=progress
        )
        segment_ids = list(
            Segment.objects.filter(partner=app.partner)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        editor = (
            PartnerMembership.objects.filter(
                partner=app.partner, role=PartnerMembership.Role.EDITOR
            )
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if not segment_ids or editor is None:
            raise CommandError(f"{app.partner} has no segment or no editor.")
        # As in use: an app's estimate sample is built once a day, by a worker.
        rows = estimate_sample_build(app_id=app.pk)
        progress(
            "estimate sample current" if rows is None else f"estimate sample: {rows:,}"
        )
        _vacuum(progress)
        env = load.production_env()
        if load.static_files_current():
            progress("collected static files are current")
        else:
            progress("collectstatic…")
            load.static_files_collect(env=env)
        env["CELERY_BROKER_URL"], broker_kind = load.broker_start(processes=processes)
        if "CACHE_URL" not in os.environ:
            # As production: one cache the web workers share (README "Settings").
            env["CACHE_URL"] = load.cache_url_beside(env["CELERY_BROKER_URL"])
        queue = f"load-{os.getpid()}"
        base_url = load.servers_start(
            processes=processes,
            env=env,
            queue=queue,
            web_workers=options["web_workers"],
            worker_concurrency=options["worker_concurrency"],
        )

        keeper = load.RecomputeKeeper(segment_ids=segment_ids)
        started_at = timezone.now()
        keeper.request_idle()  # every segment at once; then each again as it ends
        progress(
            f"load: {options['users']} users for "
            f"{options['seconds']} s on {base_url} ({options['web_workers']} gunicorn "
            f"workers; the Celery worker recomputes {len(segment_ids)} segments on "
            f"{broker_kind})…"
        )
        summary_path = options["run_dir"] / "summary.json"
        try:
            load.locust_run(
                processes=processes,
                base_url=base_url,
                username=editor.user.username,
                users=options["users"],
                seconds=options["seconds"],
                summary_path=summary_path,
                started=keeper.start,
            )
        finally:
            keeper.stop()
        for name in ("worker", "gunicorn"):
            processes.stop(name)
        load.queue_purge(queue=queue, warn=self.stderr.write)
        processes.stop_all()
        if keeper.error is not None:
            raise CommandError(f"asking for recomputes failed: {keeper.error!r}")
        runs = SegmentRun.objects.filter(
            segment_id__in=segment_ids,
            started_at__gte=started_at,
            finished_at__isnull=False,
        )
        return {
            "customers": AppCustomer.objects.filter(app=app).count(),
            "users": options["users"],
            "seconds": options["seconds"],
            **json.loads(summary_path.read_text()),
            **load.server_figures_read(access_log=processes.log_path("access")),
            **load.gunicorn_events_count(log=processes.log_path("gunicorn")),
            "worker_recomputes": runs.filter(error="").count(),
            "worker_recompute_failures": runs.exclude(error="").count(),
            "recomputes_requested": keeper.requests,
            "web_workers": options["web_workers"],
            "broker": broker_kind,
            "run_dir": str(options["run_dir"]),
        }


def _vacuum(progress: Callable) -> None:
    """Start from a vacuumed database, as autovacuum keeps production's: on a
    server where it is off, earlier runs' dead rows (2.5M in the membership
    after a few) would slow this one and make runs disagree."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        start = time.monotonic()
        cursor.execute("VACUUM (ANALYZE)")
    progress(
        f"vacuumed in {time.monotonic() - start:.1f} s (autovacuum is {autovacuum}"
        " on this server)"
    )


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup
