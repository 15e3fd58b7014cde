"""Writing, sending and cancelling notifications: the rules the pages and
the API share (issue 13, point 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement.models import GroupKind, Segment
from notifications.models import AudienceKind, Notification, NotificationStatus
from notifications.services.notifications import (
    ConfirmationNeeded,
    notification_cancel,
    notification_save_draft,
    notification_schedule,
)
from tests.factories import SPEND_OVER_10, AppFactory, PartnerFactory, known_user_group

pytestmark = pytest.mark.django_db


def values(**changes):
    return {
        "name": "Spring sale",
        "template_type": Notification.Template.PROMOTE_SALE,
        "title": "Spring sale",
        "text": "Everything at half price.",
        "launch": "",
        "audience": AudienceKind.ALL,
        "group": None,
        "send_at": None,
        "expires_at": None,
        **changes,
    }


def segment(partner, app, *, status=Segment.Status.ACTIVE, members=500):
    return Segment.objects.create(
        partner=partner,
        kind=GroupKind.SEGMENT,
        name="Spenders",
        app=app,
        definition=SPEND_OVER_10,
        status=status,
        member_count=members,
        version=1,
        pending_version=1,
    )


def test_a_draft_is_saved_and_changed_while_a_draft(app, editor):
    draft = notification_save_draft(app=app, values=values(), user=editor)
    assert (draft.status, draft.created_by) == (NotificationStatus.DRAFT, editor)
    changed = notification_save_draft(
        app=app, values=values(title="Last days"), user=editor, notification=draft
    )
    assert changed.title == "Last days"

    Notification.objects.filter(pk=draft.pk).update(status=NotificationStatus.SENT)
    with pytest.raises(ValidationError, match="Only a draft can be changed"):
        notification_save_draft(
            app=app, values=values(), user=editor, notification=draft
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"audience": AudienceKind.SEGMENT}, "group"),
        ({"title": "x" * 65}, "title"),
        ({"text": ""}, "text"),
        ({"launch": "a\x00b"}, None),
        ({"launch": '"' * 1024}, None),  # 6 KB once escaped: over WNS's 5 KB
    ],
)
def test_a_draft_that_cannot_be_sent_as_written_is_refused(app, editor, changes, field):
    with pytest.raises(ValidationError) as refused:
        notification_save_draft(app=app, values=values(**changes), user=editor)
    if field is not None:
        assert field in refused.value.message_dict
    assert not Notification.objects.exists()


def test_the_group_must_be_the_partners_and_a_segment_the_apps(partner, app, editor):
    other_partner = known_user_group(
        partner=PartnerFactory(), name="Theirs", emails=["a@mail.example"]
    )
    with pytest.raises(ValidationError, match="Choose one of your groups"):
        notification_save_draft(
            app=app,
            values=values(audience=AudienceKind.KNOWN_USER_GROUP, group=other_partner),
            user=editor,
        )
    other_app = segment(partner, AppFactory(partner=partner))
    with pytest.raises(ValidationError, match="of another app"):
        notification_save_draft(
            app=app,
            values=values(audience=AudienceKind.SEGMENT, group=other_app),
            user=editor,
        )
    ours = known_user_group(partner=partner, emails=["a@mail.example"])
    with pytest.raises(ValidationError, match="not of the kind chosen"):
        notification_save_draft(
            app=app,
            values=values(audience=AudienceKind.SEGMENT, group=ours),
            user=editor,
        )


def test_the_expiry_comes_after_the_send_time(app, editor):
    at = timezone.now() + dt.timedelta(hours=2)
    with pytest.raises(ValidationError) as refused:
        notification_save_draft(
            app=app,
            values=values(send_at=at, expires_at=at - dt.timedelta(minutes=1)),
            user=editor,
        )
    assert "expires_at" in refused.value.message_dict


def test_sending_later_schedules_it_and_it_can_be_cancelled(app, editor):
    at = timezone.now() + dt.timedelta(hours=1)
    draft = notification_save_draft(app=app, values=values(send_at=at), user=editor)
    scheduled = notification_schedule(notification=draft)
    assert scheduled.status == NotificationStatus.SCHEDULED
    assert notification_cancel(notification=scheduled)
    scheduled.refresh_from_db()
    assert scheduled.status == NotificationStatus.CANCELLED
    assert not notification_cancel(notification=scheduled)  # once


def test_a_started_notification_cannot_be_cancelled(app, editor):
    draft = notification_save_draft(
        app=app,
        values=values(send_at=timezone.now() + dt.timedelta(hours=1)),
        user=editor,
    )
    notification_schedule(notification=draft)
    Notification.objects.filter(pk=draft.pk).update(status=NotificationStatus.SENDING)
    assert not notification_cancel(notification=draft)


def test_a_past_time_or_an_inactive_segment_is_refused_when_sending(
    partner, app, editor, settings
):
    settings.SEGMENT_MIN_SIZE = 100
    draft = notification_save_draft(app=app, values=values(), user=editor)
    Notification.objects.filter(pk=draft.pk).update(
        send_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="This time has passed"):
        notification_schedule(notification=draft)

    small = segment(partner, app, members=50)
    draft = notification_save_draft(
        app=app, values=values(audience=AudienceKind.SEGMENT, group=small), user=editor
    )
    with pytest.raises(ValidationError, match="Only an active segment"):
        notification_schedule(notification=draft)
    draft.refresh_from_db()
    assert draft.status == NotificationStatus.DRAFT


def test_a_second_notification_within_30_minutes_asks_to_confirm(app, editor):
    later = timezone.now() + dt.timedelta(minutes=10)
    first = notification_save_draft(app=app, values=values(send_at=later), user=editor)
    notification_schedule(notification=first)
    second = notification_save_draft(
        app=app, values=values(name="Again", send_at=later), user=editor
    )
    with pytest.raises(ConfirmationNeeded) as asked:
        notification_schedule(notification=second)
    assert asked.value.recent.pk == first.pk
    second.refresh_from_db()
    assert second.status == NotificationStatus.DRAFT
    assert (
        notification_schedule(notification=second, confirmed=True).status
        == NotificationStatus.SCHEDULED
    )

    # An hour apart needs no confirmation.
    apart = notification_save_draft(
        app=app,
        values=values(name="Tomorrow", send_at=later + dt.timedelta(hours=1)),
        user=editor,
    )
    assert (
        notification_schedule(notification=apart).status == NotificationStatus.SCHEDULED
    )


def test_sending_now_starts_it_once_committed(
    app, editor, django_capture_on_commit_callbacks
):
    draft = notification_save_draft(app=app, values=values(), user=editor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_schedule(notification=draft)
    assert len(callbacks) == 1
    draft.refresh_from_db()
    # Started at once (eager tasks here): without WNS credentials it says so.
    assert draft.status == NotificationStatus.FAILED
    assert "no WNS credentials" in draft.status_reason
