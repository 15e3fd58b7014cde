"""Load the dashboard the way partners use it, on production settings; measure.

One command (``make load``) does everything on a scratch PostgreSQL database:
migrate; seed N demo customers of one app, or reuse them; collectstatic;
start gunicorn with production settings on a free port of 127.0.0.1, a real
Celery worker kept recomputing the demo segments for the whole run (on
``REDIS_URL``, else a private ``redis-server``, else the filesystem broker),
and locust, headless, with the users of ``load/locustfile.py`` for a bounded
time. It prints a table per page and a final JSON line. Every process it
started is stopped on the way out, on Ctrl-C and on failure too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from customers.demo import DEMO_PASSWORD
from customers.models import AppCustomer, PartnerMembership
from engagement.management.processes import (
    LOOPBACK,
    START_DEADLINE_S,
    Processes,
    free_port,
    log_tail,
)
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from engagement.models import Segment, SegmentRun
from engagement.services import membership

LOCUSTFILE = Path(settings.BASE_DIR) / "load" / "locustfile.py"
# Sync workers on the 2-core machine: gunicorn's rule of thumb, 2 × cores + 1.
# A sync worker waits while PostgreSQL counts; one more than two per core
# keeps both cores busy (PostgreSQL and the Celery worker share them).
WEB_WORKERS = 5
# One recompute at a time: the worker keeps up to one core's worth of
# background work going for the whole run, without starving the web.
WORKER_CONCURRENCY = 1
# What gunicorn logs of each request: the time is counted from when a worker
# took the request, so the wait for a free worker (the same for every page)
# does not hide what a page itself costs.
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(L)s"
# After the time limit locust lets each user finish its request for this long:
# above gunicorn's 30 s worker timeout, so a request the server gives up on is
# counted with what it got.
STOP_TIMEOUT_S = 35
KEEPER_POLL_S = 0.5
GUNICORN_TIMEOUT_MARK = b"WORKER TIMEOUT"
# What config.statement_timeout logs when a page's query hit the timeout.
STATEMENT_TIMEOUT_EVENT = b"statement_timeout method="
# The final JSON line: the keys in its order, then the extras.
JSON_KEYS = [
    "customers",
    "users",
    "seconds",
    "requests",
    "errors",
    "rps",
    "groups_p95_ms",
    "segment_p95_ms",
    "estimate_p95_ms",
    "trivial_rps",
    "groups_vs_trivial",
    "groups_rps",
    "max_ms",
    "server_max_ms",
    "sign_in_max_ms",
    "errors_by_status",
    "estimates_without_count",
    "estimates_timed_out",
    "page_statement_timeouts",
    "statement_timeout_s",
    "over_statement_timeout",
    "worker_timeouts",
    "worker_recomputes",
    "worker_recompute_failures",
    "recomputes_requested",
    "web_workers",
    "broker",
    "measured_seconds",
]


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


class RecomputeKeeper:
    """Keep the worker recomputing: ask again for each segment as soon as its
    last requested recompute is done (applied, or failed)."""

    def __init__(self, *, segment_ids: list[int]) -> None:
        self.segment_ids = segment_ids
        self.requested: dict[int, int] = {}
        self.requests = 0
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="recompute-keeper")

    def request_idle(self) -> None:
        segments = Segment.objects.filter(pk__in=self.segment_ids).only(
            "pk", "version", "pending_version"
        )
        for segment in segments:
            asked = self.requested.get(segment.pk)
            if asked is not None and not self._done(segment=segment, version=asked):
                continue
            self.requested[segment.pk] = membership.segment_request_recompute(
                segment=segment, trigger=SegmentRun.Trigger.SUPPORT
            )
            self.requests += 1

    @staticmethod
    def _done(*, segment: Segment, version: int) -> bool:
        return (
            segment.version >= version
            or SegmentRun.objects.filter(
                segment_id=segment.pk, version__gte=version, finished_at__isnull=False
            ).exists()
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(KEEPER_POLL_S):
                self.request_idle()
        except Exception as error:  # reported by the command once the run ends
            self.error = error
        finally:
            connection.close()


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
        self._report(summary)

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
        env = self._production_env()
        if _static_collected():
            progress("collected static files are current")
        else:
            progress("collectstatic…")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                check=True,
                cwd=settings.BASE_DIR,
                env=env,
            )
        env["CELERY_BROKER_URL"], broker_kind = self._broker(processes=processes)
        queue = f"load-{os.getpid()}"
        base_url = self._serve(processes=processes, env=env, queue=queue, **options)

        keeper = RecomputeKeeper(segment_ids=segment_ids)
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
            self._locust(
                processes=processes,
                base_url=base_url,
                username=editor.user.username,
                summary_path=summary_path,
                keeper=keeper,
                **options,
            )
        finally:
            keeper.stop()
        for name in ("worker", "gunicorn"):
            processes.stop(name)
        self._purge(queue=queue)
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
            **_server_figures(access_log=processes.log_path("access")),
            **_gunicorn_events(log=processes.log_path("gunicorn")),
            "worker_recomputes": runs.filter(error="").count(),
            "worker_recompute_failures": runs.exclude(error="").count(),
            "recomputes_requested": keeper.requests,
            "web_workers": options["web_workers"],
            "broker": broker_kind,
            "run_dir": str(options["run_dir"]),
        }

    def _serve(self, *, processes: Processes, env: dict, queue: str, **options) -> str:
        """Start gunicorn and the Celery worker (on its own ``queue``); return
        the server's URL once both answer."""
        # This process enqueues the recomputes: on the worker's broker, in a
        # queue that no other worker on a shared Redis takes from.
        celery_app.conf.broker_url = env["CELERY_BROKER_URL"]
        celery_app.conf.task_default_queue = queue
        port = free_port()
        base_url = f"http://{LOOPBACK}:{port}"
        gunicorn = processes.start(
            "gunicorn",
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--bind", f"{LOOPBACK}:{port}", "--worker-class", "sync"),
                *("--workers", str(options["web_workers"])),
                *("--access-logfile", str(processes.log_path("access"))),
                *("--access-logformat", ACCESS_LOG_FORMAT),
                # Its default socket is one per user account: another gunicorn
                # (another run, `make run`) must not share it.
                "--no-control-socket",
            ],
            env=env,
        )
        processes.wait_until(
            lambda: _answers(f"{base_url}/accounts/login/"),
            name="gunicorn",
            process=gunicorn,
        )
        worker = processes.start(
            "worker",
            [
                *(sys.executable, "-m", "celery", "--app", "config", "worker"),
                *("--loglevel", "INFO", "--queues", queue, "--hostname", f"{queue}@%h"),
                *("--concurrency", str(options["worker_concurrency"])),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            env=env,
        )
        processes.wait_until(
            lambda: b" ready." in processes.log_path("worker").read_bytes(),
            name="worker",
            process=worker,
        )
        return base_url

    def _locust(
        self,
        *,
        processes: Processes,
        base_url: str,
        username: str,
        summary_path: Path,
        keeper: RecomputeKeeper,
        **options,
    ) -> None:
        """Run the locustfile's users headless for ``--seconds``, bounded."""
        users, seconds = options["users"], options["seconds"]
        locust = processes.start(
            "locust",
            [
                *(sys.executable, "-m", "locust", "--locustfile", str(LOCUSTFILE)),
                *("--headless", "--only-summary", "--host", base_url),
                *("--users", str(users), "--spawn-rate", str(users)),
                *("--browse-seconds", str(seconds)),
                # Only a bound: the locustfile stops after --browse-seconds
                # counted from when every user has signed in.
                *("--run-time", f"{seconds + START_DEADLINE_S}s"),
                *("--stop-timeout", str(STOP_TIMEOUT_S)),
                *("--summary-file", str(summary_path)),
                *("--dashboard-username", username),
                *("--dashboard-password", DEMO_PASSWORD),
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        keeper.start()  # after the last child: preexec_fn and threads do not mix
        try:
            locust.wait(timeout=seconds + STOP_TIMEOUT_S + 2 * START_DEADLINE_S)
        except subprocess.TimeoutExpired as error:
            raise CommandError(
                "locust did not stop in time:\n"
                + log_tail(processes.log_path("locust"))
            ) from error
        if not summary_path.exists():
            raise CommandError(
                f"locust exited with status {locust.returncode} and wrote no "
                "summary:\n" + log_tail(processes.log_path("locust"))
            )

    @staticmethod
    def _production_env() -> dict[str, str]:
        """The environment of production, as far as plain HTTP on loopback goes."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": LOOPBACK,
            # No TLS on loopback: no redirect to https, cookies over http.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "PYTHONUNBUFFERED": "1",
        }

    def _broker(self, *, processes: Processes) -> tuple[str, str]:
        """The configured Redis, else a private redis-server, else the
        filesystem broker; return its URL and what it is."""
        configured = settings.CELERY_BROKER_URL
        if not configured.startswith("filesystem://"):
            return configured, "the configured broker"
        if shutil.which("redis-server") is None:
            return configured, "the filesystem broker"
        port = free_port()
        server = processes.start(
            "redis",
            [
                *("redis-server", "--port", str(port), "--bind", LOOPBACK),
                *("--save", "", "--appendonly", "no", "--dir", str(processes.run_dir)),
            ],
            env=dict(os.environ),
        )
        url = f"redis://{LOOPBACK}:{port}/0"
        processes.wait_until(lambda: _redis_answers(url), name="redis", process=server)
        return url, f"a private redis-server on port {port}"

    def _purge(self, *, queue: str) -> None:
        """Drop what is left in the run's own queue (it matters on a shared broker)."""
        with celery_app.connection_for_write() as broker:
            try:
                broker.default_channel.queue_purge(queue)
            except (*broker.connection_errors, *broker.channel_errors) as error:
                self.stderr.write(f"could not empty the queue {queue}: {error}")

    def _report(self, summary: dict[str, Any]) -> None:
        out = self.stdout.write
        header = (
            f"{'page':<16} {'requests':>8} {'req/s':>7} {'mean ms':>8} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}  statuses"
        )
        out("")
        out(header)
        out("-" * len(header))
        for name, page in summary["pages"].items():
            cells = [
                page[key] if page[key] is not None else "-"
                for key in ("mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms")
            ]
            statuses = ", ".join(
                f"{k}: {v}" for k, v in sorted(page["statuses"].items())
            )
            out(
                f"{name:<16} {page['requests']:>8} {page['rps']:>7.2f} "
                + " ".join(
                    f"{cell:>{width}}"
                    for cell, width in zip(cells, (8, 7, 7, 7, 7), strict=True)
                )
                + f" {page['errors']:>6}  {statuses}"
            )
        out("")
        out(
            f"{summary['requests']} requests in {summary['measured_seconds']} s "
            f"({summary['rps']} req/s), {summary['errors']} errors "
            f"{summary['errors_by_status'] or ''}; slowest answer "
            f"{summary['max_ms']} ms (sign-in {summary['sign_in_max_ms']} ms)"
        )
        out(
            f"statement timeout {summary['statement_timeout_s']} s: pages stopped by "
            f"it {summary['page_statement_timeouts']}, estimates stopped by it "
            f"{summary['estimates_timed_out']} (without a count: "
            f"{summary['estimates_without_count']}), requests longer inside "
            f"gunicorn {summary['over_statement_timeout']}; gunicorn worker "
            f"timeouts {summary['worker_timeouts']}"
        )
        for error in summary["error_messages"]:
            out(f"  {error['count']} × {error['page']}: {error['error']}")
        out(
            f"inside gunicorn: groups page {summary['groups_rps']} req/s, trivial "
            f"view {summary['trivial_rps']} req/s per worker: groups_vs_trivial "
            f"{summary['groups_vs_trivial']}; slowest request "
            f"{summary['server_max_ms']} ms"
        )
        out(
            f"worker: {summary['worker_recomputes']} recomputes "
            f"({summary['worker_recompute_failures']} failed) on {summary['broker']}"
        )
        out(f"logs: {summary['run_dir']}")
        out(json.dumps({key: summary[key] for key in JSON_KEYS}))


def _gunicorn_events(*, log: Path) -> dict[str, int]:
    """Workers gunicorn killed for being stuck 30 s, and pages answered 503
    because a query ran past the web statement timeout."""
    text = log.read_bytes()
    return {
        "worker_timeouts": text.count(GUNICORN_TIMEOUT_MARK),
        "page_statement_timeouts": text.count(STATEMENT_TIMEOUT_EVENT),
    }


def _server_figures(*, access_log: Path) -> dict[str, Any]:
    """What gunicorn's workers spent on the pages: requests per second one
    worker serves of the groups page and of the trivial view (1 / their mean
    time), their ratio, and the slowest request (signing in left out, as in
    locust's figures)."""
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    for line in access_log.read_text().splitlines():
        method, path, _status, took = line.split()
        seconds[method, path].append(float(took))

    def rps(path: str) -> float | None:
        times = seconds.get(("GET", path))
        return round(len(times) / sum(times), 3) if times and sum(times) else None

    groups_rps = rps(reverse("engagement:customer_groups"))
    trivial_rps = rps(reverse("home"))  # the cheapest authenticated view
    sign_in = reverse("login")
    browsing = [t for (_m, path), ts in seconds.items() if path != sign_in for t in ts]
    limit = settings.WEB_STATEMENT_TIMEOUT
    return {
        "trivial_rps": trivial_rps,
        "groups_vs_trivial": (
            round(groups_rps / trivial_rps, 3) if groups_rps and trivial_rps else None
        ),
        "groups_rps": groups_rps,
        "server_max_ms": round(max(browsing) * 1000) if browsing else None,
        "statement_timeout_s": limit or None,
        # A request longer than one statement may run is the suspect the
        # statement timeout is there to stop (it can also be many statements).
        "over_statement_timeout": sum(t > limit for t in browsing) if limit else None,
    }


def _static_collected() -> bool:
    """Whether production's collectstatic ran after every static file changed.

    It post-processes every file each time (hashing, compression: 10–20 s
    here), so a run on an unchanged checkout skips it.
    """
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    collected_at = manifest.stat().st_mtime
    return all(
        os.path.getmtime(storage.path(path)) < collected_at
        for finder in finders.get_finders()
        for path, storage in finder.list([])
    )


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False
