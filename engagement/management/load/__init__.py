"""The parts of ``load_dashboard`` (``make load``), one job a module.

- ``servers``: how gunicorn, the Celery worker, a broker and locust start
  and when each is ready;
- ``keeper``: the thread that keeps the worker recomputing for the run;
- ``figures``: what gunicorn's logs say, and the printed report.

The command itself only reads its options and runs these in order.
"""

from engagement.management.load.figures import (
    JSON_KEYS,
    gunicorn_events_count,
    server_figures_read,
    summary_print,
)
from engagement.management.load.keeper import RecomputeKeeper
from engagement.management.load.servers import (
    broker_start,
    cache_url_beside,
    locust_run,
    production_env,
    queue_purge,
    servers_start,
    static_files_collect,
    static_files_current,
)

__all__ = [
    "JSON_KEYS",
    "RecomputeKeeper",
    "broker_start",
    "cache_url_beside",
    "gunicorn_events_count",
    "locust_run",
    "production_env",
    "queue_purge",
    "server_figures_read",
    "servers_start",
    "static_files_collect",
    "static_files_current",
    "summary_print",
]
