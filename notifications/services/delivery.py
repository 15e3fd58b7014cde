"""Delivering a notification: at most once per channel, by many workers.

1. **Start** (``notification_start``, when a scheduled notification is due):
   under the notification's row lock, a ``scheduled`` one becomes
   ``sending`` (a second start, or a cancel, finds it taken). Its audience is
   resolved from the current membership and frozen, in one ``INSERT …
   SELECT``, into one ``pending`` delivery per active, unexpired channel of
   the app's customers in it. Then batches of ``NOTIFICATION_BATCH_SIZE``
   deliveries (by id range) go to the workers. If the audience is a segment
   that is not active, if the app has no WNS credentials, or if the
   notification expired, it is not sent and says why (``failed``).
2. **Post** (``deliveries_post``, a batch): the worker claims up to
   ``NOTIFICATION_CLAIM_SIZE`` pending deliveries of its range in one
   statement (pending → claimed, under a claim id of its own) and commits,
   then posts each to its channel, then settles them (claimed → sent,
   failed, expired, or pending again later for a 406/5xx/no answer), and
   claims the next ones. A delivery is posted only by the claim that took it
   from pending, so a task run twice, a batch redelivered after a worker
   died, or two workers on one range never post it twice. A worker killed
   between a claim and its settling leaves those deliveries claimed: the
   sweeper settles them as failed ("unknown"), never posting them again.
   That is the price of at most once: up to a claim's worth of toasts whose
   fate is unknown.
3. **Sweep** (``notifications_sweep``, every minute): starts the due ones,
   settles claims older than ``NOTIFICATION_CLAIM_TIMEOUT_SECONDS``, sends
   again the batches of pending deliveries no task seems to hold (a lost
   message), and marks ``sent`` the notifications with nothing left open.

The notification's counters (channels, sent, failed, expired, retried) are
added to as deliveries settle, so its page never counts a million rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q, Value
from django.utils import timezone

from customers.bulk import rows_insert_select
from customers.models import AppCustomer
from engagement.models import (
    GroupKind,
    KnownUserGroupAddress,
    Segment,
    SegmentMembership,
)
from notifications import wns
from notifications.models import (
    AudienceKind,
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    NotificationStatus,
    WnsCredentials,
)
from notifications.services.credentials import wns_credentials_read

logger = logging.getLogger(__name__)

OPEN_STATES = (DeliveryState.PENDING, DeliveryState.CLAIMED)
# Pending deliveries of a notification that started this long ago, due this
# long ago and still not claimed: their task was lost; the sweeper sends
# their batches again (a duplicate task claims nothing it should not).
LOST_BATCH_AFTER = dt.timedelta(minutes=10)


class NotSent(Exception):
    """Why a due notification is not sent (shown on its page)."""


@dataclass
class Started:
    """What a start froze: the customers targeted and their channels, and
    the batches (delivery id ranges, the upper bound excluded)."""

    targeted: int = 0
    channels: int = 0
    batches: list[tuple[int, int]] = field(default_factory=list)


def _audience_customer_ids(notification: Notification):
    """The customer ids of the notification's audience, as a subquery, and
    how many customers of the app it targets; ``NotSent`` if it may not be
    sent (an inactive segment)."""
    app_customers = AppCustomer.objects.filter(app_id=notification.app_id)
    if notification.audience == AudienceKind.ALL:
        return None, app_customers.count()
    group = notification.group
    if group.kind == GroupKind.SEGMENT:
        segment = Segment.objects.get(pk=group.pk)
        if not segment.is_active:
            raise NotSent(
                f"The segment {segment.name} is not active "
                f"({segment.get_status_display()}"
                f"{', Small' if segment.is_small else ''}): it targets no one "
                "until it is active again."
            )
        members = SegmentMembership.objects.filter(segment_id=segment.pk).values(
            "customer_id"
        )
        return members, segment.member_count or 0
    # A known user group's members: its addresses matched to an account
    # (pending addresses never count), who are customers of this app.
    members = KnownUserGroupAddress.objects.filter(
        group_id=group.pk, customer__isnull=False
    ).values("customer_id")
    return members, app_customers.filter(customer_id__in=members).count()


def _channels(notification: Notification, *, members, now: dt.datetime):
    channels = Channel.objects.filter(
        app_customer__app_id=notification.app_id, active=True, expires_at__gt=now
    )
    if members is not None:
        channels = channels.filter(app_customer__customer_id__in=members)
    return channels


def _deliveries_insert(notification: Notification, channels) -> int:
    """One pending delivery per channel, in channel order, in one statement."""
    return rows_insert_select(
        model=Delivery,
        fields=("notification", "channel", "state", "attempts", "detail"),
        rows=channels.annotate(
            n=Value(notification.pk),
            s=Value(str(DeliveryState.PENDING)),
            a=Value(0),
            d=Value(""),
        )
        .order_by("pk")
        .values_list("n", "pk", "s", "a", "d"),
    )


def _batches(notification_id: int, *, size: int) -> list[tuple[int, int]]:
    """Id ranges of ``size`` open deliveries each (the last one shorter)."""
    ids = list(
        Delivery.objects.filter(notification_id=notification_id, state__in=OPEN_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [
        (ids[i], ids[min(i + size, len(ids)) - 1] + 1) for i in range(0, len(ids), size)
    ]


def _fail(notification_id: int, *, reason: str, now: dt.datetime) -> None:
    Notification.objects.filter(pk=notification_id).update(
        status=NotificationStatus.FAILED, status_reason=reason, finished_at=now
    )
    logger.info("notification_not_sent notification=%s why=%s", notification_id, reason)


def notification_start(
    *, notification_id: int, now: dt.datetime | None = None
) -> Started | None:
    """Freeze a due notification's audience into deliveries; return what it
    froze and its batches, or None if it was not ``scheduled`` or not due
    (someone else started or cancelled it) or is not sent (then ``failed``
    with the reason)."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("group")
            .filter(pk=notification_id, status=NotificationStatus.SCHEDULED)
            .filter(Q(send_at__isnull=True) | Q(send_at__lte=now))
            .first()
        )
        if notification is None:
            return None
        try:
            if notification.expires_at is not None and notification.expires_at <= now:
                raise NotSent("It expired before it could be sent.")
            if not WnsCredentials.objects.filter(app_id=notification.app_id).exists():
                raise NotSent(
                    "The app has no WNS credentials: enter its package SID and "
                    "client secret in the app's notification settings."
                )
            members, targeted = _audience_customer_ids(notification)
        except NotSent as why:
            _fail(notification.pk, reason=str(why), now=now)
            return None
        channels = _deliveries_insert(
            notification, _channels(notification, members=members, now=now)
        )
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.SENDING,
            status_reason="",
            started_at=now,
            targeted=targeted,
            channels=channels,
        )
        started = Started(
            targeted=targeted,
            channels=channels,
            batches=_batches(notification.pk, size=settings.NOTIFICATION_BATCH_SIZE),
        )
    logger.info(
        "notification_started notification=%s targeted=%s channels=%s batches=%s",
        notification_id,
        targeted,
        channels,
        len(started.batches),
    )
    if not channels:
        notification_complete(notification_id=notification_id, now=now)
    return started


@dataclass
class Claimed:
    delivery_id: int
    channel_id: int
    uri: str
    attempts: int


def _claim(
    *, notification_id: int, low: int, high: int, size: int, now: dt.datetime
) -> list[Claimed]:
    """Take up to ``size`` due pending deliveries of the range for this
    worker, in one committed statement: pending → claimed under a claim id
    of its own, so it posts only what it took."""
    claim = uuid.uuid4()
    with transaction.atomic():
        due = (
            Delivery.objects.filter(
                notification_id=notification_id,
                pk__gte=low,
                pk__lt=high,
                state=DeliveryState.PENDING,
            )
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:size])
        Delivery.objects.filter(pk__in=ids, state=DeliveryState.PENDING).update(
            state=DeliveryState.CLAIMED,
            claim=claim,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    return [
        Claimed(*row)
        for row in Delivery.objects.filter(pk__in=ids, claim=claim)
        .order_by("pk")
        .values_list("pk", "channel_id", "channel__uri", "attempts")
    ]


def _backoff(attempts: int, retry_after: float | None) -> dt.timedelta:
    seconds = settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=max(seconds, retry_after or 0))


def _settle(
    *,
    notification_id: int,
    results: Iterable[tuple[Claimed, wns.Result]],
    now: dt.datetime,
) -> None:
    """Record what WNS said of each claimed delivery, and add it up."""
    sent, expired, failed, retried = [], [], [], []
    for claimed, result in results:
        if result.outcome == wns.Outcome.SENT:
            sent.append(claimed)
        elif result.outcome == wns.Outcome.EXPIRED:
            expired.append((claimed, result))
        elif (
            result.outcome == wns.Outcome.RETRY
            and claimed.attempts < settings.NOTIFICATION_MAX_ATTEMPTS
        ):
            retried.append((claimed, result))
        else:
            failed.append((claimed, result))
    with transaction.atomic():
        Delivery.objects.filter(pk__in=[c.delivery_id for c in sent]).update(
            state=DeliveryState.SENT, status=200, detail="", finished_at=now
        )
        for state, rows in (
            (DeliveryState.EXPIRED, expired),
            (DeliveryState.FAILED, failed),
        ):
            for claimed, result in rows:
                detail = result.detail
                if result.outcome == wns.Outcome.RETRY:
                    detail = f"Gave up after {claimed.attempts} attempts: {detail}"
                Delivery.objects.filter(pk=claimed.delivery_id).update(
                    state=state,
                    status=result.status,
                    detail=detail[:300],
                    finished_at=now,
                )
        for claimed, result in retried:
            Delivery.objects.filter(pk=claimed.delivery_id).update(
                state=DeliveryState.PENDING,
                claim=None,
                status=result.status,
                detail=result.detail,
                not_before=now + _backoff(claimed.attempts, result.retry_after),
            )
        Channel.objects.filter(pk__in=[c.channel_id for c in sent]).update(
            last_result="sent", last_result_at=now
        )
        Channel.objects.filter(pk__in=[c.channel_id for c, _r in expired]).update(
            active=False, last_result="expired", last_result_at=now
        )
        Channel.objects.filter(pk__in=[c.channel_id for c, _r in failed]).update(
            last_result="failed", last_result_at=now
        )
        Notification.objects.filter(pk=notification_id).update(
            sent=F("sent") + len(sent),
            expired=F("expired") + len(expired),
            failed=F("failed") + len(failed),
            retried=F("retried") + len(retried),
        )


def _release(claimed: list[Claimed], *, not_before: dt.datetime) -> None:
    """Put back deliveries claimed but never posted (no token to post with)."""
    Delivery.objects.filter(
        pk__in=[c.delivery_id for c in claimed], state=DeliveryState.CLAIMED
    ).update(
        state=DeliveryState.PENDING,
        claim=None,
        attempts=F("attempts") - 1,
        not_before=not_before,
    )


@dataclass
class Posted:
    """What a batch did: posts made, and when to come back for retries."""

    posts: int = 0
    again_at: dt.datetime | None = None


def deliveries_post(
    *,
    notification_id: int,
    low: int,
    high: int,
    client: wns.WnsClient,
    now: Callable[[], dt.datetime] = timezone.now,
) -> Posted:
    """Post the notification's due pending deliveries with ids in [low,
    high), a claim at a time; return the posts made and when pending ones of
    the range are due again (retries), if any."""
    posted = Posted()
    notification = (
        Notification.objects.filter(pk=notification_id)
        .values("status", "title", "text", "launch", "expires_at", "app_id")
        .first()
    )
    if notification is None or notification["status"] != NotificationStatus.SENDING:
        return posted
    credentials = wns_credentials_read(app_id=notification["app_id"])
    payload = wns.toast_xml(
        title=notification["title"],
        text=notification["text"],
        launch=notification["launch"],
    )
    expires_at = notification["expires_at"]
    while True:
        moment = now()
        claimed = _claim(
            notification_id=notification_id,
            low=low,
            high=high,
            size=settings.NOTIFICATION_CLAIM_SIZE,
            now=moment,
        )
        if not claimed:
            break
        if credentials is None or (expires_at is not None and expires_at <= moment):
            reason = (
                "The notification expired before it could be delivered."
                if credentials is not None
                else "The app's WNS credentials are missing or can no longer be "
                "read (the encryption keys changed): enter them again in the "
                "app's notification settings."
            )
            gone = wns.Result(wns.Outcome.FAILED, None, reason)
            _settle(
                notification_id=notification_id,
                results=[(c, gone) for c in claimed],
                now=moment,
            )
            continue
        ttl = (
            max(int((expires_at - moment).total_seconds()), 1)
            if expires_at is not None
            else None
        )
        results = []
        try:
            for item in claimed:
                results.append(
                    (
                        item,
                        client.send(
                            channel_uri=item.uri,
                            payload=payload,
                            credentials=credentials,
                            ttl_seconds=ttl,
                        ),
                    )
                )
        except wns.TokenError as error:
            # Nothing was posted to the rest: they go back, or the
            # notification fails if the credentials themselves are refused.
            _settle(notification_id=notification_id, results=results, now=now())
            rest = claimed[len(results) :]
            if error.retryable:
                again = now() + _backoff(rest[0].attempts, None)
                _release(rest, not_before=again)
                posted.again_at = again
                posted.posts += len(results)
                break
            refused = wns.Result(wns.Outcome.FAILED, error.status, str(error))
            _settle(
                notification_id=notification_id,
                results=[(c, refused) for c in rest],
                now=now(),
            )
            notification_give_up(notification_id=notification_id, reason=str(error))
            posted.posts += len(results)
            break
        _settle(notification_id=notification_id, results=results, now=now())
        posted.posts += len(results)
    if credentials is not None:
        obtained = client.token_obtained_at_for(credentials.package_sid)
        if obtained is not None:
            WnsCredentials.objects.filter(app_id=notification["app_id"]).update(
                token_obtained_at=obtained
            )
    if posted.again_at is None:
        posted.again_at = Delivery.objects.filter(
            notification_id=notification_id,
            pk__gte=low,
            pk__lt=high,
            state=DeliveryState.PENDING,
        ).aggregate(at=Min("not_before"))["at"]
    notification_complete(notification_id=notification_id, now=now())
    return posted


def notification_give_up(*, notification_id: int, reason: str) -> None:
    """Fail a notification whose credentials WNS refused: its pending
    deliveries are settled as failed, and it says why."""
    now = timezone.now()
    with transaction.atomic():
        left = Delivery.objects.filter(
            notification_id=notification_id, state=DeliveryState.PENDING
        ).update(state=DeliveryState.FAILED, detail=reason[:300], finished_at=now)
        Notification.objects.filter(pk=notification_id).update(
            failed=F("failed") + left,
            status=NotificationStatus.FAILED,
            status_reason=reason,
            finished_at=now,
        )


def notification_complete(*, notification_id: int, now: dt.datetime) -> bool:
    """Mark a sending notification sent once no delivery of it is open."""
    if Delivery.objects.filter(
        notification_id=notification_id, state__in=OPEN_STATES
    ).exists():
        return False
    done = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.SENDING
    ).update(status=NotificationStatus.SENT, finished_at=now)
    if done:
        logger.info("notification_sent notification=%s", notification_id)
    return bool(done)


@dataclass
class Swept:
    due: list[int] = field(default_factory=list)
    unknown: int = 0
    lost_batches: list[tuple[int, int, int]] = field(default_factory=list)
    completed: int = 0


def notifications_sweep(*, now: dt.datetime | None = None) -> Swept:
    """Find the due notifications (for the caller to start), settle
    abandoned claims as failed, find the batches no task holds (for the
    caller to send again), and complete what is done."""
    now = now or timezone.now()
    swept = Swept()
    swept.due = list(
        Notification.objects.filter(status=NotificationStatus.SCHEDULED)
        .filter(Q(send_at__isnull=True) | Q(send_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    limit = now - dt.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    abandoned = Delivery.objects.filter(
        state=DeliveryState.CLAIMED, claimed_at__lt=limit
    )
    for notification_id in sorted(
        set(abandoned.values_list("notification_id", flat=True))
    ):
        with transaction.atomic():
            count = abandoned.filter(notification_id=notification_id).update(
                state=DeliveryState.FAILED,
                detail=(
                    "Unknown: the worker stopped while sending it. It is not "
                    "sent again (at most once a channel)."
                ),
                finished_at=now,
            )
            Notification.objects.filter(pk=notification_id).update(
                failed=F("failed") + count
            )
        swept.unknown += count
        logger.warning(
            "notification_claims_abandoned notification=%s deliveries=%s",
            notification_id,
            count,
        )
    sending = Notification.objects.filter(status=NotificationStatus.SENDING)
    for notification_id, started_at in sending.values_list("pk", "started_at"):
        if started_at is not None and started_at < now - LOST_BATCH_AFTER:
            lost = Delivery.objects.filter(
                notification_id=notification_id, state=DeliveryState.PENDING
            ).filter(
                Q(not_before__isnull=True) | Q(not_before__lt=now - LOST_BATCH_AFTER)
            )
            if lost.exists():
                swept.lost_batches += [
                    (notification_id, low, high)
                    for low, high in _batches(
                        notification_id, size=settings.NOTIFICATION_BATCH_SIZE
                    )
                ]
        swept.completed += notification_complete(
            notification_id=notification_id, now=now
        )
    return swept
