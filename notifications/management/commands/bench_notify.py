"""Benchmark delivering one notification to 100,000 channels.

Against the local WNS stand-in (a child process on a free port of
127.0.0.1), in one run and on one scratch PostgreSQL database:

1. a **bare client**: one ``httpx`` client posting the same toast to every
   channel, one after another, over one keep-alive connection: what a single
   process does with no database, no broker and no bookkeeping;
2. the **delivery** with 1, then 2 Celery worker processes (solo pool, on the
   configured Redis or a private one): from the notification's start
   enqueued to its status ``sent``, the audience frozen, batches claimed,
   posted and settled.

Printed: channels per second of each, the ratio of 2 workers to the bare
client (target ≥ 0.5), each worker's peak memory (its high-water mark,
target ≤ 200 MB), and the duplicate posts the stand-in counted (target 0),
then a JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from config.celery import app as celery_app
from config.celery import broker_connections_forget
from customers.models import App, AppCustomer
from engagement.management.load import broker_start
from engagement.management.processes import Processes, free_port
from engagement.management.scratch import (
    SCRATCH_SEED,
    scratch_demo_app,
    scratch_postgresql_require,
)
from notifications import wns
from notifications.models import (
    AudienceKind,
    Channel,
    Delivery,
    Notification,
    NotificationStatus,
)
from notifications.services.channels import channels_register_at
from notifications.services.credentials import wns_credentials_set

CHANNELS = 100_000
TARGET_RATIO = 0.5
TARGET_RSS_MB = 200
TITLE, TEXT = "Spring sale", "Everything at half price this week."


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


def _peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Command(BaseCommand):
    help = (
        "Deliver one notification to 100,000 channels at the local WNS stand-in "
        "with 1 and 2 workers, against a bare HTTP client (needs PostgreSQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channels", type=int, default=CHANNELS)
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument(
            "--app", type=int, default=None, help="An app's id, not the scratch one."
        )

    def handle(self, *args, channels: int, customers: int, app, **options) -> None:
        scratch_postgresql_require(
            command="bench_notify", make_target="make bench-notify"
        )
        if app is None:
            app = scratch_demo_app(
                customers=customers, seed=SCRATCH_SEED, log=self._log
            )
        else:
            app = App.objects.get(pk=app)
        if AppCustomer.objects.filter(app=app).count() < channels:
            raise CommandError(f"{app} has fewer than {channels:,} customers.")
        run_dir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
        saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
        try:
            summary = self._measure(app=app, channels=channels, run_dir=run_dir)
        finally:  # as it was, for a caller that goes on (call_command)
            celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
            broker_connections_forget()
        self._report(summary)

    def _measure(self, *, app, channels: int, run_dir: Path) -> dict:
        with Processes(run_dir=run_dir, log=self._log) as processes:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            standin = processes.start(
                "wns-standin",
                [sys.executable, "manage.py", "wns_standin", "--port", str(port)],
                env=os.environ.copy(),
            )
            processes.wait_until(
                lambda: self._answers(f"{base}/_stats"),
                name="wns-standin",
                process=standin,
            )
            self._channels_point(app=app, base=base, count=channels)
            bare = self._bare_rate(base=base, count=channels)
            broker_url, broker_kind = broker_start(processes=processes)
            celery_app.conf.broker_url = broker_url
            celery_app.conf.task_always_eager = False  # the workers deliver
            broker_connections_forget()
            env = {
                **os.environ,
                "CELERY_BROKER_URL": broker_url,
                "WNS_TOKEN_URL": f"{base}/accounts/token",
            }
            rates, peaks, duplicates = {}, [], 0
            for workers in (1, 2):
                _post(f"{base}/_reset")
                rate, rss = self._delivery_rate(
                    processes=processes, app=app, env=env, workers=workers
                )
                rates[workers] = rate
                peaks += rss
                stats = _get(f"{base}/_stats")
                duplicates += stats["duplicates"]
                if stats["posts"] != channels:
                    raise CommandError(
                        f"the stand-in got {stats['posts']:,} posts for {channels:,} "
                        "channels"
                    )
        self._log(f"broker: {broker_kind}; logs: {run_dir}")
        return {
            "channels": channels,
            "rate_1_worker": rates[1],
            "rate_2_workers": rates[2],
            "bare_rate": bare,
            "ratio_2_workers": round(rates[2] / bare, 3),
            "peak_rss_mb": max(peaks),
            "duplicates": duplicates,
        }

    def _report(self, summary: dict) -> None:
        bare, ratio, peak = (
            summary["bare_rate"],
            summary["ratio_2_workers"],
            summary["peak_rss_mb"],
        )
        rates = {1: summary["rate_1_worker"], 2: summary["rate_2_workers"]}
        duplicates = summary["duplicates"]
        self.stdout.write(
            f"bare client {bare:,.0f} channels/s; 1 worker {rates[1]:,.0f}/s; "
            f"2 workers {rates[2]:,.0f}/s (ratio {ratio} to the bare client, "
            f"target ≥ {TARGET_RATIO}); peak memory of a worker {peak} MB "
            f"(target ≤ {TARGET_RSS_MB}); duplicate posts {duplicates} (target 0)"
        )
        missed = [
            name
            for name, ok in (
                ("ratio_2_workers", ratio >= TARGET_RATIO),
                ("peak_rss_mb", peak <= TARGET_RSS_MB),
                ("duplicates", duplicates == 0),
            )
            if not ok
        ]
        self.stdout.write(
            "targets: all met"
            if not missed
            else f"targets: MISSED: {', '.join(missed)}"
        )
        self.stdout.write(json.dumps(summary))

    def _log(self, message: str) -> None:
        self.stderr.write(message)

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            _get(url)
        except OSError:
            return False
        return True

    def _channels_point(self, *, app, base: str, count: int) -> None:
        """Give ``count`` of the app's customers (by sample key) a channel at
        this run's stand-in, and no other channel of the app."""
        started = time.perf_counter()
        Notification.objects.filter(app=app).delete()  # its deliveries too
        Channel.objects.filter(app_customer__app=app).delete()
        channels_register_at(
            app_customers=AppCustomer.objects.filter(app=app).order_by("sample_key")[
                :count
            ],
            prefix=f"{base}/channels/b",
        )
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Channel._meta.db_table}")
        wns_credentials_set(
            app=app, package_sid="bench", client_secret="bench", user=None
        )
        self._log(
            f"{count:,} channels at {base} in {time.perf_counter() - started:.1f} s"
        )

    def _bare_rate(self, *, base: str, count: int) -> float:
        """Channels per second of one keep-alive client posting the toast."""
        payload = wns.toast_xml(title=TITLE, text=TEXT).encode()
        token = httpx.post(
            f"{base}/accounts/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "bench",
                "client_secret": "bench",
                "scope": wns.SCOPE,
            },
        ).json()["access_token"]
        headers = {
            "Content-Type": "text/xml",
            "X-WNS-Type": wns.TOAST_TYPE,
            "Authorization": f"Bearer {token}",
        }
        uris = list(
            Channel.objects.order_by("pk").values_list("uri", flat=True)[:count]
        )
        with httpx.Client(timeout=10) as client:
            started = time.perf_counter()
            for uri in uris:
                client.post(uri, content=payload, headers=headers).raise_for_status()
            seconds = time.perf_counter() - started
        _post(f"{base}/_reset")
        rate = round(count / seconds, 1)
        self._log(f"bare client: {count:,} posts in {seconds:.1f} s ({rate:,.0f}/s)")
        return rate

    def _delivery_rate(
        self, *, processes: Processes, app, env: dict, workers: int
    ) -> tuple[float, list[float]]:
        """Channels per second of the delivery with ``workers`` solo workers,
        and their peak memory."""
        from notifications.tasks import notification_start_task

        Notification.objects.filter(app=app).delete()
        names = [f"worker-{workers}-{i}" for i in range(workers)]
        started_workers = []
        for name in names:
            process = processes.start(
                name,
                [
                    *(sys.executable, "-m", "celery", "--app", "config", "worker"),
                    *("--pool", "solo", "--loglevel", "INFO"),
                    *("--hostname", f"{name}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                env=env,
            )
            started_workers.append(process)
        for name, process in zip(names, started_workers, strict=True):
            processes.wait_until(
                lambda name=name: b" ready." in processes.log_path(name).read_bytes(),
                name=name,
                process=process,
            )
        notification = Notification.objects.create(
            app=app,
            name=f"Bench, {workers} workers",
            template_type=Notification.Template.PROMOTE_SALE,
            title=TITLE,
            text=TEXT,
            audience=AudienceKind.ALL,
            status=NotificationStatus.SCHEDULED,
        )
        started = time.perf_counter()
        notification_start_task.apply_async((notification.pk,))
        while True:
            status = (
                Notification.objects.filter(pk=notification.pk)
                .values_list("status", flat=True)
                .get()
            )
            if status in (NotificationStatus.SENT, NotificationStatus.FAILED):
                break
            if time.perf_counter() - started > 1800:
                raise CommandError("the delivery did not end within 30 minutes")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        notification.refresh_from_db()
        if (
            status != NotificationStatus.SENT
            or notification.sent != notification.channels
        ):
            raise CommandError(
                f"the delivery ended {status}: {notification.sent:,} sent of "
                f"{notification.channels:,} ({notification.status_reason})"
            )
        peaks = [_peak_rss_mb(process.pid) for process in started_workers]
        for name in names:
            processes.stop(name)
        rate = round(notification.channels / seconds, 1)
        self._log(
            f"{workers} worker(s): {notification.channels:,} channels in "
            f"{seconds:.1f} s ({rate:,.0f}/s); peak memory {peaks} MB; "
            f"{Delivery.objects.filter(notification=notification).count():,} "
            "deliveries"
        )
        return rate, peaks
