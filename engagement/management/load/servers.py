"""The processes of a load run: gunicorn, the Celery worker, a broker, locust.

Each is started through ``engagement.management.processes.Processes``, which
stops them all on the way out; these functions say how each is started and
when it is ready.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import CommandError

from config.celery import app as celery_app
from customers.demo import DEMO_PASSWORD
from engagement.management.load.figures import ACCESS_LOG_FORMAT
from engagement.management.processes import (
    LOOPBACK,
    START_DEADLINE_S,
    Processes,
    free_port,
    log_tail,
)

LOCUSTFILE = Path(settings.BASE_DIR) / "load" / "locustfile.py"
# After the time limit locust lets each user finish its request for this long:
# above gunicorn's 30 s worker timeout, so a request the server gives up on is
# counted with what it got.
STOP_TIMEOUT_S = 35


def production_env() -> dict[str, str]:
    """Return the environment of production, as far as plain HTTP on loopback goes."""
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


def static_files_current() -> bool:
    """Tell whether production's collectstatic ran after every static file changed.

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


def static_files_collect(*, env: dict[str, str]) -> None:
    """Run production's collectstatic in a child process."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        check=True,
        cwd=settings.BASE_DIR,
        env=env,
    )


def broker_start(*, processes: Processes) -> tuple[str, str]:
    """Return the URL of a broker and what it is: the configured Redis, else a
    private redis-server started here, else the filesystem broker."""
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


def cache_url_beside(broker_url: str) -> str:
    """The cache the web workers share: the broker's Redis, in the next
    database (a cache is cleared by flushing its database, never the
    broker's); a local-memory cache without Redis."""
    parts = urlsplit(broker_url)
    if parts.scheme not in ("redis", "rediss"):
        return "locmemcache://load"
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + 1) % 16}"))


def servers_start(
    *,
    processes: Processes,
    env: dict[str, str],
    queue: str,
    web_workers: int,
    worker_concurrency: int,
) -> str:
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
            *("--workers", str(web_workers)),
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
            *("--concurrency", str(worker_concurrency)),
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


def locust_run(
    *,
    processes: Processes,
    base_url: str,
    username: str,
    users: int,
    seconds: int,
    summary_path: Path,
    started: Callable[[], None],
) -> None:
    """Run the locustfile's users headless for ``seconds``, bounded.

    ``started`` is called once locust runs: it is the last child, and a
    thread started before a child's ``preexec_fn`` could deadlock it.
    Raise ``CommandError`` if locust does not stop in time or writes no
    summary.
    """
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
    started()
    try:
        locust.wait(timeout=seconds + STOP_TIMEOUT_S + 2 * START_DEADLINE_S)
    except subprocess.TimeoutExpired as error:
        raise CommandError(
            "locust did not stop in time:\n" + log_tail(processes.log_path("locust"))
        ) from error
    if not summary_path.exists():
        raise CommandError(
            f"locust exited with status {locust.returncode} and wrote no "
            "summary:\n" + log_tail(processes.log_path("locust"))
        )


def queue_purge(*, queue: str, warn: Callable[[str], Any]) -> None:
    """Drop what is left in the run's own queue (it matters on a shared broker)."""
    with celery_app.connection_for_write() as broker:
        try:
            broker.default_channel.queue_purge(queue)
        except (*broker.connection_errors, *broker.channel_errors) as error:
            warn(f"could not empty the queue {queue}: {error}")


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
