"""PostgreSQL statement timeouts, one per kind of process.

A web process must never wait on one slow query for ever: the live estimate
and every dashboard query run under ``WEB_STATEMENT_TIMEOUT`` (5 s by
default), set by the WSGI/ASGI entry points. Celery workers run recomputes of
a million rows, so they get ``WORKER_STATEMENT_TIMEOUT`` (set when the worker
starts, in ``config.celery``). Management commands (seed, import, benchmark)
keep PostgreSQL's default: no timeout.

The timeout travels in the connection's startup options (libpq's ``options``),
so it costs no query per request, and holds for every connection the process
opens later, persistent ones included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

_SETTING = re.compile(r"\s*-c\s+statement_timeout=\S+")
# PostgreSQL's SQLSTATE for "canceling statement due to statement timeout"
# (and for a cancel request).
QUERY_CANCELED = "57014"


def statement_timeout_use(*, seconds: int) -> None:
    """Run the statements of every connection this process opens from now on
    under a ``seconds`` timeout (0: none). PostgreSQL only; other databases
    are left alone. Call it before the first query."""
    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.postgresql":
            continue
        options = database.setdefault("OPTIONS", {})
        others = _SETTING.sub("", options.get("options", "")).strip()
        setting = f"-c statement_timeout={int(seconds * 1000)}"
        options["options"] = f"{others} {setting}".strip()


def is_statement_timeout(error: BaseException) -> bool:
    """Whether a database error is PostgreSQL cancelling a statement that ran
    past its timeout."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED


class StatementTimeoutMiddleware:
    """Answer 503 with a plain "try again" page, not the error page, when a
    query of the request ran past the web statement timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not is_statement_timeout(exception):
            return None
        logger.warning(
            "statement_timeout method=%s path=%s", request.method, request.path
        )
        htmx = getattr(request, "htmx", False)
        template = "_statement_timeout.html" if htmx else "statement_timeout.html"
        # A plain render: the context processors of a full dashboard page
        # would query the slow database again.
        return HttpResponse(
            render_to_string(template, {"request": request}), status=503
        )
