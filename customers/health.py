"""Whether the services a web process needs answer: the database and the broker.

Cheap enough for a load balancer probing every few seconds: one trivial
query on the process's own database connection, one Redis ``PING`` on a
short-lived connection with a short socket timeout (or, for kombu's
filesystem broker, a file created and removed in its queue folder). Nothing
heavy is imported until a check needs it.
"""

from __future__ import annotations

import logging
import tempfile
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# Seconds a broker check may wait to connect or for an answer. A probe that
# hangs is as bad as one that fails: the load balancer times out first.
BROKER_TIMEOUT = 2.0


def health_check() -> dict[str, bool]:
    """Return whether each service answers, by name."""
    return {"database": database_reachable(), "broker": broker_reachable()}


def database_reachable() -> bool:
    """Return whether the default database answers ``SELECT 1``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health.database_down error=%r", exc)
        return False
    return True


def broker_reachable() -> bool:
    """Return whether the Celery broker accepts connections (or files)."""
    url = settings.CELERY_BROKER_URL
    scheme = urlsplit(url).scheme
    try:
        if scheme in {"redis", "rediss"}:
            _redis_ping(url)
        elif scheme == "filesystem":
            _folder_writable(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        else:
            _kombu_connect(url)
    except Exception as exc:  # every way a broker can be down is "down"
        logger.warning("health.broker_down scheme=%s error=%r", scheme, exc)
        return False
    return True


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def _folder_writable(folder: str) -> None:
    with tempfile.TemporaryFile(dir=folder, prefix=".health-"):
        pass


def _kombu_connect(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
