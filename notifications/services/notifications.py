"""Writing, scheduling and cancelling notifications (product.md §6.5).

A notification is saved as a **draft** (editable) or **sent**: scheduled for
now or a time (UTC), after which it can only be cancelled until it starts.
The rules a form cannot see are here: the audience group belongs to the
app's partner (and a segment to the app, and is active when scheduled), the
expiry comes after the send time, and a second notification to an app
within 30 minutes must be confirmed.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import App
from engagement.models import CustomerGroup, GroupKind, Segment
from notifications import wns
from notifications.errors import NotificationError
from notifications.models import AudienceKind, Notification, NotificationStatus

logger = logging.getLogger(__name__)

# The platform's guideline: at most one notification to an app in this long,
# unless the partner confirms.
RECENT = dt.timedelta(minutes=30)

EDITABLE_FIELDS = (
    "name",
    "template_type",
    "title",
    "text",
    "launch",
    "audience",
    "group",
    "send_at",
    "expires_at",
)


def _group_check(*, app: App, audience: str, group: CustomerGroup | None) -> None:
    if audience == AudienceKind.ALL:
        if group is not None:
            raise ValidationError({"group": NotificationError.NO_GROUP_FOR_ALL.error()})
        return
    if group is None:
        raise ValidationError({"group": NotificationError.GROUP_MISSING.error()})
    if group.partner_id != app.partner_id:
        raise ValidationError({"group": NotificationError.FOREIGN_GROUP.error()})
    wanted = (
        GroupKind.SEGMENT
        if audience == AudienceKind.SEGMENT
        else GroupKind.KNOWN_USER_GROUP
    )
    if group.kind != wanted:
        raise ValidationError({"group": NotificationError.WRONG_KIND.error()})
    if group.kind == GroupKind.SEGMENT:
        segment = Segment.objects.get(pk=group.pk)
        if segment.app_id != app.pk:
            raise ValidationError(
                {"group": NotificationError.OTHER_APP_SEGMENT.error(app=app.name)}
            )


def _times_check(values: dict[str, Any], *, now: dt.datetime) -> None:
    send_at, expires_at = values.get("send_at"), values.get("expires_at")
    if expires_at is not None and expires_at <= (send_at or now):
        raise ValidationError(
            {"expires_at": NotificationError.EXPIRY_BEFORE_SEND.error()}
        )


def _toast_check(values: dict[str, Any]) -> None:
    """The toast WNS would get: characters XML can carry, within 5 KB."""
    try:
        wns.toast_xml(
            title=values.get("title") or "",
            text=values.get("text") or "",
            launch=values.get("launch") or "",
        )
    except ValueError as error:
        raise NotificationError.TOAST_UNSENDABLE.error(why=error) from error


def notification_save_draft(
    *,
    app: App,
    values: dict[str, Any],
    user: AbstractBaseUser | None,
    notification: Notification | None = None,
    now: dt.datetime | None = None,
) -> Notification:
    """Create a draft, or change one (only a draft can be changed)."""
    now = now or timezone.now()
    _group_check(app=app, audience=values["audience"], group=values.get("group"))
    _times_check(values, now=now)
    _toast_check(values)
    with transaction.atomic():
        if notification is None:
            notification = Notification(app=app, created_by=user)
        else:
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .filter(pk=notification.pk)
                .get()
            )
            if notification.status != NotificationStatus.DRAFT:
                raise NotificationError.NOT_A_DRAFT.error(
                    status=notification.get_status_display().lower()
                )
        for name in EDITABLE_FIELDS:
            setattr(notification, name, values.get(name))
        notification.launch = notification.launch or ""
        notification.full_clean()
        notification.save()
    return notification


def notification_recent(
    *,
    app: App,
    at: dt.datetime | None = None,
    exclude: int | None = None,
    now: dt.datetime | None = None,
) -> Notification | None:
    """Another notification of the app started, or due to start, within 30
    minutes of ``at`` (default: now): sending one more then asks the
    partner to confirm."""
    now = now or timezone.now()
    at = at or now
    window = (at - RECENT, at + RECENT)
    around = Q(started_at__range=window) | Q(
        status=NotificationStatus.SCHEDULED, send_at__range=window
    )
    if at <= now + RECENT:  # what is sending, or due now, is around it too
        around |= Q(status=NotificationStatus.SENDING) | Q(
            status=NotificationStatus.SCHEDULED, send_at__isnull=True
        )
    return (
        Notification.objects.filter(app=app)
        .exclude(status__in=[NotificationStatus.DRAFT, NotificationStatus.CANCELLED])
        .exclude(pk=exclude)
        .filter(around)
        .order_by("-pk")
        .first()
    )


class ConfirmationNeeded(Exception):
    """Another notification went to the app less than 30 minutes ago."""

    def __init__(self, recent: Notification) -> None:
        self.recent = recent
        super().__init__(recent.pk)


def notification_schedule(
    *,
    notification: Notification,
    confirmed: bool = False,
    now: dt.datetime | None = None,
) -> Notification:
    """Send a draft: now (``send_at`` empty) or at its time.

    Refused when its segment is not active (§6.1) or its time has passed;
    ``ConfirmationNeeded`` when the app got another notification within 30
    minutes, unless ``confirmed``. A due one is started once the transaction
    commits; a later one by the sweeper within a minute of its time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("app", "group")
            .get(pk=notification.pk)
        )
        if notification.status != NotificationStatus.DRAFT:
            raise NotificationError.NOT_A_DRAFT.error(
                status=notification.get_status_display().lower()
            )
        if notification.send_at is not None and notification.send_at <= now:
            raise ValidationError({"send_at": NotificationError.TIME_PASSED.error()})
        if notification.expires_at is not None and notification.expires_at <= now:
            raise ValidationError(
                {"expires_at": NotificationError.ALREADY_EXPIRED.error()}
            )
        group = notification.group
        if group is not None and group.kind == GroupKind.SEGMENT:
            segment = Segment.objects.get(pk=group.pk)
            if not segment.is_active:
                raise ValidationError(
                    {
                        "group": NotificationError.SEGMENT_INACTIVE.error(
                            name=segment.name
                        )
                    }
                )
        if not confirmed:
            recent = notification_recent(
                app=notification.app,
                at=notification.send_at,
                exclude=notification.pk,
                now=now,
            )
            if recent is not None:
                raise ConfirmationNeeded(recent)
        notification.status = NotificationStatus.SCHEDULED
        notification.scheduled_at = now
        notification.save(update_fields=["status", "scheduled_at", "updated_at"])
        if notification.send_at is None:
            _start_on_commit(notification.pk)
    logger.info(
        "notification_scheduled notification=%s send_at=%s",
        notification.pk,
        notification.send_at,
    )
    return notification


def _start_on_commit(notification_id: int) -> None:
    from notifications.tasks import notification_start_enqueue

    def start() -> None:  # a function: Django logs a robust one by its name
        notification_start_enqueue(notification_id=notification_id)

    transaction.on_commit(start, robust=True)


def notification_cancel(*, notification: Notification) -> bool:
    """Cancel a scheduled notification that has not started; False if it
    already started (or was not scheduled)."""
    cancelled = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SCHEDULED
    ).update(status=NotificationStatus.CANCELLED, finished_at=timezone.now())
    if cancelled:
        logger.info("notification_cancelled notification=%s", notification.pk)
    return bool(cancelled)
