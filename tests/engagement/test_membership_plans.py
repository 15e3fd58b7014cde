"""The membership engine's plans stay linear whatever PostgreSQL's statistics say.

A database fresh from a seed or an import has statistics taken before a
segment's first computation wrote its members: they promise the segment one
row. A recompute right after must not turn that promise into a plan that
compares every member with every change (issue 8, item 12).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import AppCustomer, Customer
from engagement.models import SegmentMembership
from engagement.services.segments import segment_create
from tests.engagement.test_membership import SPEND_OVER_10, members, recompute
from tests.factories import AppCustomerFactory, CustomerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are PostgreSQL's"
    ),
]

MEMBERSHIP = SegmentMembership._meta.db_table
EVERYONE = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gte", "value": 0}]}],
}


@contextmanager
def executed_plans() -> Iterator[list[dict]]:
    """Collect the plan of every statement this connection runs meanwhile.

    auto_explain reports the plan each statement really ran with (not a
    re-planned copy) as a notice to this client; LOCAL settings end with
    the test's transaction.
    """
    plans: list[dict] = []

    def on_notice(diagnostic) -> None:
        _, found, plan = (diagnostic.message_primary or "").partition("plan:\n")
        if found:
            plans.append(json.loads(plan))

    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for name, value in {
            "auto_explain.log_min_duration": "0",
            "auto_explain.log_format": "json",
            "auto_explain.log_level": "notice",
            "client_min_messages": "notice",
        }.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    connection.connection.add_notice_handler(on_notice)
    try:
        yield plans
    finally:
        connection.connection.remove_notice_handler(on_notice)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL auto_explain.log_min_duration = -1")


def nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def member_filters(plan: dict) -> list[str]:
    """Every place where the plan compares members one by one with the changes.

    A scan of the membership that filters on ``customer_id`` (``= ANY($0)``
    or a value from the other side) walks all the segment's members for
    each lookup; so does a nested loop whose join condition is a filter
    instead of an index condition. A hash or merge join, or an index
    condition on the whole key, is linear.
    """
    found = []
    for node in nodes(plan):
        on_membership = node.get("Relation Name") == MEMBERSHIP
        if on_membership and "customer_id" in node.get("Filter", ""):
            found.append(f"{node['Node Type']} Filter: {node['Filter']}")
        if node["Node Type"] == "Nested Loop" and "customer_id" in node.get(
            "Join Filter", ""
        ):
            found.append(f"Nested Loop Join Filter: {node['Join Filter']}")
    return found


def estimated_members(segment) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {MEMBERSHIP} WHERE segment_id = %s",
            [segment.pk],
        )
        (explained,) = cursor.fetchone()
    if isinstance(explained, str):
        explained = json.loads(explained)
    return explained[0]["Plan"]["Plan Rows"]


def spenders(app, spends: list[str]) -> list[Customer]:
    customers = Customer.objects.bulk_create(
        CustomerFactory.build(store_spend=Decimal(spend)) for spend in spends
    )
    AppCustomer.objects.bulk_create(
        AppCustomerFactory.build(app=app, customer=customer) for customer in customers
    )
    return customers


def test_a_recompute_on_stale_statistics_never_filters_members_against_changes(
    partner, app, editor
):
    rich = spenders(app, ["20"] * 2_000)
    poor = spenders(app, ["5"] * 2_000)
    everyone = segment_create(
        partner=partner, app=app, name="Everyone", definition=EVERYONE, user=editor
    )
    recompute(everyone)
    # Statistics as a fresh database has them: taken before the segment under
    # test had a member. Nothing analyses the table from here on.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {MEMBERSHIP}")
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    recompute(segment)
    assert len(members(segment)) == 2_000
    assert estimated_members(segment) <= 1  # the stale promise the test is about
    # 5% of the app's customers change: 100 members leave, 100 others join.
    leaving, joining = rich[:100], poor[:100]
    Customer.objects.filter(pk__in=[c.pk for c in leaving]).update(store_spend=1)
    Customer.objects.filter(pk__in=[c.pk for c in joining]).update(store_spend=50)

    with executed_plans() as plans:
        run = recompute(segment)

    assert (run.joined, run.left, run.member_count) == (100, 100, 2_000)
    assert members(segment) == {c.pk for c in rich[100:] + joining}
    engine = [p for p in plans if "segment_changes" in p["Query Text"]]
    kinds = {p["Query Text"].split(None, 1)[0].upper() for p in engine}
    assert kinds >= {"CREATE", "DELETE", "INSERT"}, [p["Query Text"] for p in plans]
    for plan in plans:
        assert not member_filters(plan["Plan"]), (
            plan["Query Text"],
            member_filters(plan["Plan"]),
        )
