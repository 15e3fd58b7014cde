"""/healthz: 200 when the database and the broker answer, 503 naming what is down.

The broker is a real, private ``redis-server`` that each test starts on a
free port and stops (never the shared one); the unreachable database is a
real process whose DATABASE_URL points at a port nothing listens on.
"""

import json

import pytest
from django.urls import reverse

from tests.processes import run_python
from tests.workers import PrivateRedis, free_port

HEALTHZ = "/healthz"


@pytest.fixture
def private_redis():
    redis = PrivateRedis()
    redis.start()
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
