"""The Celery application.

Tasks use Celery's Django task class, so ``task.delay_on_commit(...)`` sends the
message only once the surrounding transaction commits: a worker never looks
for a row that is not there yet.
"""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("customer_groups", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_connections_forget() -> None:
    """Close and forget every pooled broker connection and producer (kombu
    keeps them in global pools, one per broker), so the next publish connects
    to the broker configured now (a command or test that switches brokers)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@worker_init.connect
def _worker_statement_timeout(**kwargs) -> None:
    """Workers run long recomputes: their statements get the worker timeout
    (before the pool forks, so every child inherits it)."""
    from django.conf import settings

    from config.statement_timeout import statement_timeout_use

    statement_timeout_use(seconds=settings.WORKER_STATEMENT_TIMEOUT)
