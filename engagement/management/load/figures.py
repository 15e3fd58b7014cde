"""What a load run measured: figures from the servers' logs, and the report.

Locust writes the per-page figures (``load/locustfile.py``); these read what
gunicorn logged (the time each request took inside a worker, workers it
killed, pages stopped by the statement timeout) and print the summary.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

# What gunicorn logs of each request: the time is counted from when a worker
# took the request, so the wait for a free worker (the same for every page)
# does not hide what a page itself costs.
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(L)s"
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


def gunicorn_events_count(*, log: Path) -> dict[str, int]:
    """Count workers gunicorn killed for being stuck 30 s, and pages answered
    503 because a query ran past the web statement timeout."""
    text = log.read_bytes()
    return {
        "worker_timeouts": text.count(GUNICORN_TIMEOUT_MARK),
        "page_statement_timeouts": text.count(STATEMENT_TIMEOUT_EVENT),
    }


def server_figures_read(*, access_log: Path) -> dict[str, Any]:
    """Read what gunicorn's workers spent on the pages from its access log.

    Requests per second one worker serves of the groups page and of the
    trivial view (1 / their mean time), their ratio, and the slowest request
    (signing in left out, as in locust's figures). The log is written in
    ``ACCESS_LOG_FORMAT``.
    """
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


def summary_print(*, summary: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Print a table per page, the totals, and the final JSON line."""
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
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(page["statuses"].items()))
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
