"""Real Celery workers and private Redis servers for the tests that need them.

A worker is a ``celery worker --pool solo`` subprocess on the test PostgreSQL
database (it cannot see SQLite's in-memory one). A private Redis is a
``redis-server`` on a free port that the test starts, stops and starts again:
never the shared server, whose queues other suites use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], object], *, seconds: float, what: str):
    """Poll ``condition`` until it returns something truthy; fail after
    ``seconds`` saying ``what`` was awaited. Return that value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server process of this test: no persistence, a free port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            message = "needs redis-server (apt-get install redis-server)"
            if os.environ.get("CI"):
                pytest.fail(message)  # CI must run these tests, not skip them
            pytest.skip(message)
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def _answers(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, seconds=20, what=f"redis-server on {self.port}")

    def freeze(self) -> None:
        """Stop the process without closing its port: connections are still
        accepted (by the kernel), commands are never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares the test database: needs PostgreSQL")


def start_worker(
    *, broker_url: str, min_size: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start a solo-pool worker on ``broker_url`` and the test database, with
    ``env`` over its environment.

    Its output goes to ``log`` (a pipe nobody reads would fill and stop it).
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "SEGMENT_MIN_SIZE": str(min_size),
        **(env or {}),
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "config",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_for_worker(process: subprocess.Popen, *, log: Path, seconds: float = 60):
    """Wait until a worker answers a ping; fail with its log if it exits."""
    from config.celery import app as celery_app

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the worker exited:\n{log.read_text(errors='replace')}")
        return bool(celery_app.control.ping(timeout=0.5))

    wait_for(answers, seconds=seconds, what="the Celery worker to answer a ping")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@contextlib.contextmanager
def celery_publishing_to(url: str):
    """Make this process publish tasks to the broker at ``url`` instead of
    running them eagerly (the test settings' default)."""
    from config.celery import app as celery_app
    from config.celery import broker_connections_forget

    saved_url = os.environ.get("CELERY_BROKER_URL")
    saved_eager = celery_app.conf.task_always_eager
    # Celery reads CELERY_BROKER_URL from the environment before its settings.
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.task_always_eager = False
    broker_connections_forget()
    try:
        yield
    finally:
        broker_connections_forget()
        celery_app.conf.task_always_eager = saved_eager
        if saved_url is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_url
