"""Delivering a notification: its audience frozen at start, each channel
posted to at most once, WNS's answers settled and counted (issue 13)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from engagement.models import GroupKind, Segment, SegmentMembership
from notifications import wns
from notifications.models import (
    CHANNEL_LIFETIME,
    AudienceKind,
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    NotificationStatus,
)
from notifications.services import delivery
from notifications.services.channels import channel_register
from notifications.services.credentials import wns_credentials_set
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    AppFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.SEGMENT_MIN_SIZE = 1
    settings.NOTIFICATION_CLAIM_SIZE = 2  # several claims a batch
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.NOTIFICATION_RETRY_SECONDS = 30


@pytest.fixture
def client_for(wns_standin):
    clients = []

    def make() -> wns.WnsClient:
        client = wns.WnsClient(token_url=f"{wns_standin.url}/accounts/token")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def credentials(app, editor):
    return wns_credentials_set(
        app=app, package_sid="ms-app://s-1-15-2-1", client_secret="s3cret", user=editor
    )


def customer_with_channel(app, standin, channel_id: str, **app_customer):
    app_customer = AppCustomerFactory(app=app, **app_customer)
    channel_register(
        app_customer=app_customer, uri=f"{standin.url}/channels/{channel_id}"
    )
    return app_customer


def notification(
    app, *, audience=AudienceKind.ALL, group=None, **fields
) -> Notification:
    values = {
        "name": "Spring sale",
        "template_type": Notification.Template.PROMOTE_SALE,
        "title": "Spring sale",
        "text": "Everything at half price this week.",
        "status": NotificationStatus.SCHEDULED,
        **fields,
    }
    return Notification.objects.create(
        app=app, audience=audience, group=group, **values
    )


def post_all(notification_id: int, client, *, now=None):
    started = delivery.notification_start(notification_id=notification_id, now=now)
    for low, high in started.batches if started else []:
        delivery.deliveries_post(
            notification_id=notification_id, low=low, high=high, client=client
        )
    return started


# The audience ------------------------------------------------------------------


def test_all_customers_get_their_active_unexpired_channels_only(
    app, partner, wns_standin, credentials
):
    now = timezone.now()
    customer_with_channel(app, wns_standin, "fresh")
    stale = customer_with_channel(app, wns_standin, "stale")
    Channel.objects.filter(app_customer=stale).update(expires_at=now)
    gone = customer_with_channel(app, wns_standin, "gone")
    Channel.objects.filter(app_customer=gone).update(active=False)
    AppCustomerFactory(app=app)  # no channel
    customer_with_channel(AppFactory(partner=partner), wns_standin, "other-app")

    started = delivery.notification_start(notification_id=notification(app).pk, now=now)

    assert (started.targeted, started.channels) == (4, 1)
    assert list(Delivery.objects.values_list("channel__uri", flat=True)) == [
        f"{wns_standin.url}/channels/fresh"
    ]


def active_segment(partner, app, members):
    segment = Segment.objects.create(
        partner=partner,
        kind=GroupKind.SEGMENT,
        name="Spenders",
        app=app,
        definition=SPEND_OVER_10,
        status=Segment.Status.ACTIVE,
        member_count=len(members),
        version=1,
        pending_version=1,
    )
    SegmentMembership.objects.bulk_create(
        SegmentMembership(segment=segment, customer=member.customer)
        for member in members
    )
    return segment


def test_a_segment_reaches_its_current_members(app, partner, wns_standin, credentials):
    inside = [customer_with_channel(app, wns_standin, f"in{i}") for i in range(2)]
    customer_with_channel(app, wns_standin, "out")
    segment = active_segment(partner, app, inside)

    started = delivery.notification_start(
        notification_id=notification(
            app, audience=AudienceKind.SEGMENT, group=segment
        ).pk
    )

    assert (started.targeted, started.channels) == (2, 2)


@pytest.mark.parametrize(
    "change",
    [
        {"status": Segment.Status.FAILED},
        {"member_count": 0},  # Small under a minimum of 1
        {"status": Segment.Status.NEW},
    ],
)
def test_an_inactive_segment_is_not_sent_and_says_why(
    app, partner, wns_standin, credentials, change
):
    segment = active_segment(
        partner, app, [customer_with_channel(app, wns_standin, "a")]
    )
    Segment.objects.filter(pk=segment.pk).update(**change)
    sent = notification(app, audience=AudienceKind.SEGMENT, group=segment)

    assert delivery.notification_start(notification_id=sent.pk) is None

    sent.refresh_from_db()
    assert sent.status == NotificationStatus.FAILED
    assert "The segment Spenders is not active" in sent.status_reason
    assert not Delivery.objects.exists()


def test_a_known_user_group_reaches_matched_addresses_only(
    app, partner, wns_standin, credentials
):
    matched = customer_with_channel(app, wns_standin, "matched")
    group = known_user_group(
        partner=partner, emails=[matched.customer.email, "pending@mail.example"]
    )
    started = delivery.notification_start(
        notification_id=notification(
            app, audience=AudienceKind.KNOWN_USER_GROUP, group=group
        ).pk
    )
    assert (started.targeted, started.channels) == (1, 1)


def test_without_credentials_or_once_expired_it_is_not_sent(app, wns_standin):
    customer_with_channel(app, wns_standin, "a")
    no_credentials = notification(app)
    assert delivery.notification_start(notification_id=no_credentials.pk) is None
    no_credentials.refresh_from_db()
    assert no_credentials.status == NotificationStatus.FAILED
    assert "no WNS credentials" in no_credentials.status_reason

    wns_credentials_set(app=app, package_sid="sid", client_secret="s", user=None)
    expired = notification(app, expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert delivery.notification_start(notification_id=expired.pk) is None
    expired.refresh_from_db()
    assert (expired.status, expired.status_reason) == (
        NotificationStatus.FAILED,
        "It expired before it could be sent.",
    )


def test_a_notification_not_due_or_not_scheduled_is_not_started(app, credentials):
    later = notification(app, send_at=timezone.now() + dt.timedelta(hours=1))
    draft = notification(app, status=NotificationStatus.DRAFT)
    assert delivery.notification_start(notification_id=later.pk) is None
    assert delivery.notification_start(notification_id=draft.pk) is None
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.SCHEDULED,
        NotificationStatus.DRAFT,
    }


# WNS's answers -------------------------------------------------------------------


def test_each_answer_is_settled_and_counted(app, wns_standin, credentials, client_for):
    channel_ids = ["ok", "gone~410", "busy~500x1", "bad~400", "throttled~406"]
    for channel_id in channel_ids:
        customer_with_channel(app, wns_standin, channel_id)
    sent = notification(app)
    client = client_for()

    post_all(sent.pk, client)

    states = dict(Delivery.objects.values_list("channel__uri", "state"))
    url = f"{wns_standin.url}/channels/"
    assert states == {
        url + "ok": DeliveryState.SENT,
        url + "gone~410": DeliveryState.EXPIRED,
        url + "busy~500x1": DeliveryState.PENDING,  # again in 30 s
        url + "bad~400": DeliveryState.FAILED,
        url + "throttled~406": DeliveryState.PENDING,
    }
    assert not Channel.objects.get(uri=url + "gone~410").active
    sent.refresh_from_db()
    assert (sent.status, sent.sent, sent.expired, sent.failed, sent.retried) == (
        NotificationStatus.SENDING,
        1,
        1,
        1,
        2,
    )

    # The retries, once due: the 500 goes through; the 406 gives up (2 tries).
    later = timezone.now() + dt.timedelta(minutes=1)
    (low, high), *_ = delivery._batches(sent.pk, size=500)
    delivery.deliveries_post(
        notification_id=sent.pk, low=low, high=high, client=client, now=lambda: later
    )
    sent.refresh_from_db()
    assert (sent.status, sent.sent, sent.expired, sent.failed) == (
        NotificationStatus.SENT,
        2,
        1,
        2,
    )
    assert Delivery.objects.get(channel__uri=url + "throttled~406").detail.startswith(
        "Gave up after 2 attempts"
    )
    assert wns_standin.stats()["duplicates"] == 0


def test_the_toast_carries_a_hostile_title_escaped(
    app, wns_standin, credentials, client_for
):
    customer_with_channel(app, wns_standin, "a")
    title = '<script>alert("x")</script> & ]]>'
    post_all(notification(app, title=title, launch="page=sale&id=1").pk, client_for())

    (post,) = wns_standin.posts("a")
    toast = ET.fromstring(post["body"])
    assert toast.get("launch") == "page=sale&id=1"
    assert next(toast.iter("text")).text == title
    assert post["headers"]["x-wns-type"] == "wns/toast"


def test_the_expiry_is_sent_as_the_toasts_time_to_live(
    app, wns_standin, credentials, client_for
):
    customer_with_channel(app, wns_standin, "a")
    expires = timezone.now() + dt.timedelta(hours=2)
    post_all(notification(app, expires_at=expires).pk, client_for())
    (post,) = wns_standin.posts("a")
    assert 7_000 < int(post["headers"]["x-wns-ttl"]) <= 7_200


def test_credentials_wns_refuses_fail_the_notification(app, wns_standin, client_for):
    for i in range(3):
        customer_with_channel(app, wns_standin, f"c{i}")
    wns_credentials_set(app=app, package_sid="sid", client_secret="wrong", user=None)
    refused = notification(app)

    post_all(refused.pk, client_for())

    refused.refresh_from_db()
    assert refused.status == NotificationStatus.FAILED
    assert "WNS refused the credentials" in refused.status_reason
    assert refused.failed == 3
    assert wns_standin.stats()["posts"] == 0


def test_the_time_a_token_was_obtained_is_kept(
    app, wns_standin, credentials, client_for
):
    customer_with_channel(app, wns_standin, "a")
    post_all(notification(app).pk, client_for())
    credentials.refresh_from_db()
    assert credentials.token_obtained_at is not None


# At most once ----------------------------------------------------------------------


def test_a_batch_run_twice_posts_each_channel_once(
    app, wns_standin, credentials, client_for
):
    for i in range(5):
        customer_with_channel(app, wns_standin, f"c{i}")
    sent = notification(app)
    started = delivery.notification_start(notification_id=sent.pk)
    ((low, high),) = started.batches
    for client in (client_for(), client_for()):
        delivery.deliveries_post(
            notification_id=sent.pk, low=low, high=high, client=client
        )

    stats = wns_standin.stats()
    assert (stats["posts"], stats["channels"], stats["duplicates"]) == (5, 5, 0)
    sent.refresh_from_db()
    assert (sent.status, sent.sent) == (NotificationStatus.SENT, 5)


def test_a_claim_never_settled_is_never_posted_and_the_sweeper_settles_it(
    app, wns_standin, credentials, client_for, settings
):
    """A worker killed between its claim and its settling: what it claimed
    stays claimed, other runs leave it alone, and after the claim timeout
    it is settled as failed, unknown; then the notification is sent."""
    for i in range(4):
        customer_with_channel(app, wns_standin, f"c{i}")
    sent = notification(app)
    started = delivery.notification_start(notification_id=sent.pk)
    ((low, high),) = started.batches
    now = timezone.now()
    lost = delivery._claim(notification_id=sent.pk, low=low, high=high, size=2, now=now)

    delivery.deliveries_post(
        notification_id=sent.pk, low=low, high=high, client=client_for()
    )
    assert wns_standin.stats()["posts"] == 2  # the other two
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENDING

    assert delivery.notifications_sweep(now=now).unknown == 0  # not yet
    swept = delivery.notifications_sweep(
        now=now + dt.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS + 1)
    )
    assert swept.unknown == 2
    assert swept.completed == 1
    sent.refresh_from_db()
    assert (sent.status, sent.sent, sent.failed) == (NotificationStatus.SENT, 2, 2)
    unknown = Delivery.objects.filter(pk__in=[c.delivery_id for c in lost])
    assert {d.state for d in unknown} == {DeliveryState.FAILED}
    assert all(d.detail.startswith("Unknown: the worker stopped") for d in unknown)
    assert wns_standin.stats()["posts"] == 2


def test_the_sweeper_starts_due_notifications_and_sends_lost_batches_again(
    app, wns_standin, credentials
):
    customer_with_channel(app, wns_standin, "a")
    now = timezone.now()
    due = notification(app, send_at=now - dt.timedelta(seconds=5))
    notification(app, send_at=now + dt.timedelta(minutes=5), name="Later")
    assert delivery.notifications_sweep(now=now).due == [due.pk]

    delivery.notification_start(notification_id=due.pk, now=now)
    assert delivery.notifications_sweep(now=now).lost_batches == []
    later = now + delivery.LOST_BATCH_AFTER + dt.timedelta(minutes=1)
    (batch,) = delivery.notifications_sweep(now=later).lost_batches
    assert batch[0] == due.pk


def test_a_channel_registered_again_is_refreshed_and_active(app, wns_standin):
    app_customer = customer_with_channel(app, wns_standin, "a")
    channel = Channel.objects.get()
    Channel.objects.filter(pk=channel.pk).update(active=False)
    later = timezone.now() + dt.timedelta(days=20)
    channel_register(app_customer=app_customer, uri=channel.uri, now=later)
    channel.refresh_from_db()
    assert channel.active
    assert channel.expires_at == later + CHANNEL_LIFETIME
    assert Channel.objects.count() == 1
