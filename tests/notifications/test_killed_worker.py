"""At most once per channel, with real workers: one is killed mid-batch,
another finishes the notification, and no channel gets the toast twice
(issue 13, point 4). PostgreSQL and a private Redis, like the broker tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from notifications.models import (
    Delivery,
    DeliveryState,
    Notification,
    NotificationStatus,
)
from notifications.services import delivery
from notifications.services.channels import channel_register
from notifications.services.credentials import wns_credentials_set
from notifications.tasks import notification_deliver_task, notification_start_task
from tests.factories import AppCustomerFactory
from tests.workers import (
    PrivateRedis,
    celery_publishing_to,
    require_postgresql,
    start_worker,
    stop_worker,
    wait_for,
    wait_for_worker,
)

CHANNELS = 40
CLAIM = 5


@pytest.fixture
def broker():
    server = PrivateRedis()
    server.start()
    with celery_publishing_to(server.url):
        yield server
    server.stop()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_never_posts_a_channel_twice(
    app, broker, wns_standin, tmp_path
):
    require_postgresql()
    wns_credentials_set(app=app, package_sid="sid", client_secret="s3cret", user=None)
    for i in range(CHANNELS):
        channel_register(
            app_customer=AppCustomerFactory(app=app),
            uri=f"{wns_standin.url}/channels/c{i:02}~slow150",  # 6 s a batch
        )
    sent = Notification.objects.create(
        app=app,
        name="Killed",
        template_type=Notification.Template.BLANK,
        title="Hello",
        text="A toast",
        audience="all",
        status=NotificationStatus.SCHEDULED,
    )
    env = {
        "WNS_TOKEN_URL": f"{wns_standin.url}/accounts/token",
        "NOTIFICATION_CLAIM_SIZE": str(CLAIM),
    }
    processes = []

    def worker():
        log = tmp_path / f"worker-{len(processes) + 1}.log"
        process = start_worker(broker_url=broker.url, min_size=1, log=log, env=env)
        processes.append(process)
        wait_for_worker(process, log=log)
        return process

    try:
        first = worker()
        notification_start_task.apply_async((sent.pk,))
        # Killed in the middle of a claim: some of its posts made, some not.
        wait_for(
            lambda: wns_standin.stats()["posts"] >= 2 * CLAIM + 2,
            seconds=60,
            what="the worker to post part of the batch",
        )
        first.kill()
        first.wait(timeout=20)
        assert wns_standin.stats()["posts"] < CHANNELS
        dead = set(
            Delivery.objects.filter(state=DeliveryState.CLAIMED).values_list(
                "pk", flat=True
            )
        )
        assert 1 <= len(dead) <= CLAIM

        # The batch again, as the broker redelivers a task whose worker died:
        # another worker posts what is still pending, never what the dead
        # one claimed (some of which it had posted).
        worker()
        low = Delivery.objects.order_by("pk").first().pk
        high = Delivery.objects.order_by("pk").last().pk + 1
        notification_deliver_task.apply_async((sent.pk, low, high))
        wait_for(
            lambda: (
                not Delivery.objects.exclude(pk__in=dead)
                .filter(state__in=[DeliveryState.PENDING, DeliveryState.CLAIMED])
                .exists()
            ),
            seconds=120,
            what="the second worker to post the rest of the batch",
        )
        assert (
            set(
                Delivery.objects.filter(state=DeliveryState.CLAIMED).values_list(
                    "pk", flat=True
                )
            )
            == dead
        )

        # Past the claim timeout, the sweeper settles the dead claim as
        # failed, unknown, and the notification is sent.
        later = timezone.now() + dt.timedelta(
            seconds=django_settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS + 60
        )
        swept = delivery.notifications_sweep(now=later)
        assert (swept.unknown, swept.completed) == (len(dead), 1)
    finally:
        for process in processes:
            stop_worker(process)

    stats = wns_standin.stats()
    sent.refresh_from_db()
    assert stats["duplicates"] == 0
    assert stats["channels"] == stats["posts"]  # no channel posted twice
    assert sent.sent + sent.failed == CHANNELS
    assert sent.failed == swept.unknown
    # What the dead worker posted but never settled is among the unknown.
    assert stats["posts"] - sent.sent <= swept.unknown
    assert not Delivery.objects.filter(
        state__in=[DeliveryState.PENDING, DeliveryState.CLAIMED]
    ).exists()
