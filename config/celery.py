"""The Celery application.

Tasks use Celery's Django task class, so ``task.delay_on_commit(...)`` sends the
message only once the surrounding transaction commits: a worker never looks
for a row that is not there yet.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("customer_groups", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
