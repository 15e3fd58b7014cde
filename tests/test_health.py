"""/healthz: 200 when the database and the broker answer, 503 naming what is down.

The broker is a real, private ``redis-server`` that each test starts on a
free port and stops (never the shared one); the unreachable database is a
real process whose DATABASE_URL points at a port nothing listens on.
"""

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.processes import run_python

HEALTHZ = "/healthz"
DEADLINE = 20  # seconds to wait for redis-server to start or stop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until(lambda: _answers(self.port), "start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)
        self._wait_until(lambda: not _answers(self.port), "stop")

    def _wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():
            if time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"redis-server did not {what} on port {self.port}")
            time.sleep(0.05)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run it, not skip it
        pytest.skip(message)
    redis = PrivateRedis(tmp_path)
    yield redis
    redis.stop()


@pytest.mark.django_db
def test_healthz_is_the_url_load_balancers_probe():
    assert reverse("healthz") == HEALTHZ


@pytest.mark.django_db
def test_healthz_answers_ok_without_signing_in_when_redis_answers(
    client, settings, private_redis
):
    settings.CELERY_BROKER_URL = private_redis.url
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head(HEALTHZ).status_code == 200


@pytest.mark.django_db
def test_healthz_says_the_broker_is_down_once_redis_stops(
    client, settings, private_redis
):
    settings.CELERY_BROKER_URL = private_redis.url
    assert client.get(HEALTHZ).status_code == 200
    private_redis.stop()
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "ok", "broker": "down"}


@pytest.mark.django_db
def test_healthz_checks_the_filesystem_brokers_folder(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    assert client.get(HEALTHZ).json()["broker"] == "ok"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing")
    }
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https(client, settings, tmp_path):
    """A load balancer probes over plain HTTP; the dashboard itself is HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    assert client.get(HEALTHZ).status_code == 200
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response.url.startswith("https://")


def test_healthz_says_the_database_is_down_when_it_cannot_connect(tmp_path):
    """A real process whose database is a port nothing listens on."""
    result = run_python(
        "import json\n"
        "from django.test import Client\n"
        f"response = Client().get({HEALTHZ!r})\n"
        "print(json.dumps([response.status_code, response.json()]))\n",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nothing",
        CELERY_BROKER_URL="filesystem://",
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"status": "down", "database": "down", "broker": "ok"}
