"""Asking for segment recomputes: the daily run, Refresh, the beat schedule.

The sweeper that asks again for lost requests is tested with the broker
faults it recovers from (test_broker_faults.py).
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement.errors import SegmentError
from engagement.models import Segment
from engagement.services import membership
from engagement.services.membership import requests
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10


@pytest.mark.django_db
def test_daily_run_requests_the_due_segments_oldest_first(
    partner, app, editor, monkeypatch
):
    now = timezone.now()
    made = {}
    for name, computed in [
        ("fresh", now - dt.timedelta(hours=2)),
        ("old", now - dt.timedelta(days=3)),
        ("never", None),
        ("yesterday", now - dt.timedelta(hours=25)),
    ]:
        made[name] = segment_create(
            partner=partner, app=app, name=name, definition=SPEND_OVER_10, user=editor
        )
        Segment.objects.filter(pk=made[name].pk).update(computed_at=computed)
    sent = []
    monkeypatch.setattr(
        requests,
        "segment_request_recompute",
        lambda *, segment, trigger, enqueue=True: sent.append((segment.pk, trigger)),
    )
    assert membership.segments_request_due(now=now) == 3
    assert sent == [
        (made["never"].pk, "schedule"),
        (made["old"].pk, "schedule"),
        (made["yesterday"].pk, "schedule"),
    ]


@pytest.mark.django_db
def test_refresh_is_allowed_once_per_five_minutes(partner, app, editor):
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    now = timezone.now()
    membership.segment_refresh(segment=segment, now=now)
    with pytest.raises(ValidationError) as excinfo:
        membership.segment_refresh(segment=segment, now=now + dt.timedelta(minutes=4))
    assert excinfo.value.code == SegmentError.TOO_SOON
    assert excinfo.value.params["next_at"] == now + dt.timedelta(minutes=5)
    version = membership.segment_refresh(
        segment=segment, now=now + dt.timedelta(minutes=5)
    )
    assert version == Segment.objects.get(pk=segment.pk).pending_version


@pytest.mark.django_db
def test_daily_schedule_is_a_database_beat_entry_at_two_utc():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Recompute segments daily")
    assert task.task == "engagement.tasks.segments.segments_recompute_due"
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "2",
        "0",
        "UTC",
    )
    assert task.enabled
