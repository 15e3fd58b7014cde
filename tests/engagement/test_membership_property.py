"""Incremental updates and shared scans end where a full recompute would.

Random populations and definitions (the strategies of
``test_rules_property``), then a random history: customer data changes
(each asking every segment for an incremental update, as an import does),
daily runs (one shared scan of the app for every segment), changed
definitions and days passing. The tasks these ask for run in any order,
stale ones included, interleaved with further changes. Once every task has
run, each segment's stored membership is exactly what its compiled
definition selects from the data now, on the day it was last fully computed
(``computed_for``; incremental updates keep that day), and its stored count
is its members' count: on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import AppCustomer, Customer
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.rules import definition_validate, segment_queryset
from engagement.services import membership
from engagement.services.membership.shared import _membership_digest
from engagement.services.segments import segment_create, segment_update
from tests.engagement.test_rules_property import (
    APP_CUSTOMER_FACTS,
    CUSTOMER_FACTS,
    _insert,
    _on,
    definitions,
    scenarios,
)
from tests.profiles import examples

pytestmark = pytest.mark.django_db

IMPORT, SCHEDULE, SAVE = (
    SegmentRun.Trigger.IMPORT,
    SegmentRun.Trigger.SCHEDULE,
    SegmentRun.Trigger.SAVE,
)


def _change(data, customers: list[Customer], app, today: dt.date) -> None:
    """New facts for a few customers, written as an import writes them:
    every written customer's ``updated_at`` moves."""
    chosen = data.draw(
        st.lists(st.sampled_from(customers), min_size=1, max_size=10, unique=True)
    )
    for customer in chosen:
        person = _on(
            {
                "customer": data.draw(CUSTOMER_FACTS),
                "app": data.draw(APP_CUSTOMER_FACTS),
                "other": None,
            },
            today,
        )
        for name, value in person["customer"].items():
            setattr(customer, name, value)
        customer.save()
        AppCustomer.objects.update_or_create(
            app=app, customer=customer, defaults=person["app"]
        )


def _request(segments: list[Segment], trigger: str) -> list[tuple[int, int]]:
    return [
        (
            segment.pk,
            membership.segment_request_recompute(
                segment=segment, trigger=trigger, enqueue=False
            ),
        )
        for segment in segments
    ]


def _run(task: tuple, today: dt.date) -> None:
    kind, payload = task[0], task[1:]
    if kind == "shared":
        app_id, requests = payload
        membership.segments_recompute_shared(
            app_id=app_id, requests=requests, trigger=SCHEDULE, today=today
        )
    else:
        segment_id, version, since = payload
        membership.segment_recompute(
            segment_id=segment_id,
            version=version,
            trigger=IMPORT if since else SAVE,
            today=today,
            changed_since=since,
        )


def _drain(tasks: list[tuple], today: dt.date, data) -> None:
    """Run every task asked for, in any order."""
    while tasks:
        _run(tasks.pop(data.draw(st.integers(0, len(tasks) - 1))), today)


# Weighted by repetition: data changes and running tasks come most often.
STEPS = [
    *["change"] * 3,
    "daily",
    "redefine",
    "day",
    *["run"] * 3,
    *["drain"] * 2,
]


@st.composite
def histories(draw):
    today, population, raws = draw(scenarios(size=1, count=4))
    steps = draw(
        st.lists(
            st.sampled_from(STEPS),
            min_size=2,
            max_size=12,
        )
    )
    return today, population, raws, steps


def _history(app, other_app, editor, history, data) -> None:
    today, population, raws, steps = history
    with transaction.atomic():
        customers = [
            customer for customer, _f, _a in _insert(population, app, other_app)
        ]
        segments = [
            segment_create(
                partner=app.partner,
                app=app,
                name=f"Segment {number}",
                definition=definition_validate(raw),
                user=editor,
                enqueue=False,
            )
            for number, raw in enumerate(raws)
        ]
        # Each first computation, as a save's task runs it.
        tasks = [("single", segment.pk, 1, None) for segment in segments]
        for step in steps:
            if step == "change":
                since = timezone.now()
                _change(data, customers, app, today)
                tasks += [
                    ("single", pk, version, since)
                    for pk, version in _request(segments, IMPORT)
                ]
            elif step == "daily":
                tasks.append(("shared", app.pk, _request(segments, SCHEDULE)))
            elif step == "redefine":
                segment = data.draw(st.sampled_from(segments))
                anchors = {
                    "acquired_on": [],
                    "store_page_viewed_on": [],
                    "last_active_on": [],
                }
                raw = data.draw(definitions(today, anchors, size=2))
                segment.refresh_from_db()
                segment_update(
                    segment=segment,
                    app=app,
                    name=segment.name,
                    definition=raw,
                    user=editor,
                )
                # segment_update asked for the version and would send it on
                # commit; this history sends it instead.
                segment.refresh_from_db()
                tasks.append(("single", segment.pk, segment.pending_version, None))
            elif step == "day":
                # Far enough for ages, windows and "in the last N days" to move.
                today += dt.timedelta(days=data.draw(st.sampled_from([1, 31, 91, 400])))
            elif step == "run" and tasks:
                _run(tasks.pop(data.draw(st.integers(0, len(tasks) - 1))), today)
            else:
                _drain(tasks, today, data)
        _drain(tasks, today, data)
        for segment in segments:
            segment.refresh_from_db()
            assert segment.version == segment.pending_version
            assert segment.status in {Segment.Status.ACTIVE, Segment.Status.INACTIVE}
            stored = set(
                SegmentMembership.objects.filter(segment=segment).values_list(
                    "customer_id", flat=True
                )
            )
            expected = set(
                segment_queryset(
                    definition=segment.definition,
                    app=app,
                    today=segment.computed_for,
                ).values_list("customer_id", flat=True)
            )
            assert stored == expected, (segment.name, steps)
            assert segment.member_count == len(stored)
            if connection.vendor == "postgresql":
                # The digest the daily run trusts describes the members.
                assert segment.member_digest == (
                    _membership_digest(segment_id=segment.pk).text()
                )
        transaction.set_rollback(True)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), data=st.data())
def test_any_order_of_incremental_updates_and_shared_scans_ends_as_a_full_recompute(
    app, other_app, editor, history, data
):
    _history(app, other_app, editor, history, data)
