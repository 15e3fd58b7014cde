"""customer_data_changed: everything that follows a change of customer data."""

import pytest
from django.utils import timezone

from engagement import rules
from engagement.models import Segment, SegmentRun
from engagement.services.app_statistics import app_statistics_eligible_count
from engagement.services.customer_data import customer_data_changed
from engagement.services.segments import segment_create
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    AppFactory,
    CustomerFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db


def test_the_apps_available_customer_counts_are_counted_again(
    app, django_capture_on_commit_callbacks
):
    today = rules.evaluation_date()
    AppCustomerFactory(app=app)
    with django_capture_on_commit_callbacks(execute=True):
        assert app_statistics_eligible_count(app_id=app.pk, today=today) == 1
    AppCustomerFactory(app=app)
    customer_data_changed(app_ids=[app.pk], since=timezone.now())
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 2


def test_the_segments_of_the_apps_are_recomputed_and_no_other(
    partner, app, django_capture_on_commit_callbacks
):
    def segment(on_app, name):
        return segment_create(
            partner=partner,
            app=on_app,
            name=name,
            definition=SPEND_OVER_10,
            user=None,
            enqueue=False,
        )

    changed, untouched = (
        segment(app, "Changed"),
        segment(AppFactory(partner=partner), "Untouched"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        lines = customer_data_changed(app_ids=[app.pk, app.pk], since=timezone.now())
    assert lines == ["asked 1 segment(s) to recompute"]
    assert Segment.objects.get(pk=changed.pk).runs.get().trigger == (
        SegmentRun.Trigger.IMPORT
    )
    assert not Segment.objects.get(pk=untouched.pk).runs.exists()


def test_known_user_groups_link_the_customers_written_since(partner):
    group = known_user_group(partner=partner, emails=["bob@mail.example"])
    since = timezone.now()
    CustomerFactory(email="bob@mail.example")
    assert customer_data_changed(app_ids=[], since=since) == []
    group.refresh_from_db()
    assert group.member_count == 1
