"""The membership engine's plans stay linear whatever the statistics say.

A database fresh from a seed or an import has statistics taken before a
segment's first computation wrote its members: they promise the segment one
row. A recompute right after must not turn that promise into a plan that
compares every member with every change (issue 8, item 12).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import AppCustomer, Customer
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services import membership
from engagement.services.segments import segment_create
from tests.engagement.test_membership import TODAY, members, recompute
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db

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


JOINS = {"Nested Loop", "Hash Join", "Merge Join"}


def nodes(plan: dict, join: dict | None = None) -> Iterator[tuple[dict, dict | None]]:
    """Every node of the plan, each with the nearest join above it."""
    yield plan, join
    for child in plan.get("Plans", []):
        yield from nodes(child, plan if plan["Node Type"] in JOINS else join)


def member_filters(plan: dict) -> list[str]:
    """Every place where the plan compares members one by one with the changes.

    A scan of the membership that filters on ``customer_id`` (``= ANY($0)``
    or a value from the other side) walks all the segment's members for
    each lookup; so does a nested loop whose join condition is a filter
    instead of an index condition. A hash or merge join, or an index
    condition on the whole key, is linear.
    """
    found = []
    for node, _ in nodes(plan):
        on_membership = node.get("Relation Name") == MEMBERSHIP
        if on_membership and "customer_id" in node.get("Filter", ""):
            found.append(f"{node['Node Type']} Filter: {node['Filter']}")
        if node["Node Type"] == "Nested Loop" and "customer_id" in node.get(
            "Join Filter", ""
        ):
            found.append(f"Nested Loop Join Filter: {node['Join Filter']}")
    return found


def member_lookups(plan: dict) -> list[str]:
    """How the plan reaches the membership rows it changes: by the whole key
    (an index condition on the customer too) or through a hash or merge join."""
    return [
        f"{node['Node Type']} by {node.get('Index Cond')} under {join and join['Node Type']}"
        for node, join in nodes(plan)
        if node.get("Relation Name") == MEMBERSHIP
        and node["Node Type"] != "ModifyTable"
        and "customer_id" not in node.get("Index Cond", "")
        and (join is None or join["Node Type"] == "Nested Loop")
    ]


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


@dataclass
class Churned:
    segment: Segment
    stays: list[Customer]
    joining: list[Customer]


@pytest.fixture
def churned(partner, app, editor) -> Churned:
    """A segment computed on stale statistics, then 5% of the app's customers
    changed; nothing analyses the membership after its first computation."""
    rich = spenders(app, ["20"] * 2_000)
    poor = spenders(app, ["5"] * 2_000)
    everyone = segment_create(
        partner=partner, app=app, name="Everyone", definition=EVERYONE, user=editor
    )
    recompute(everyone)
    # Statistics as a fresh database has them: taken before the segment under
    # test had a member.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {MEMBERSHIP}")
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    recompute(segment)
    assert len(members(segment)) == 2_000
    # 200 of the 4,000 app customers change: 100 members leave, 100 join.
    leaving, joining = rich[:100], poor[:100]
    Customer.objects.filter(pk__in=[c.pk for c in leaving]).update(store_spend=1)
    Customer.objects.filter(pk__in=[c.pk for c in joining]).update(store_spend=50)
    return Churned(segment=segment, stays=rich[100:], joining=joining)


def assert_recomputed(churned: Churned, run) -> None:
    assert (run.joined, run.left, run.member_count) == (100, 100, 2_000)
    assert members(churned.segment) == {c.pk for c in churned.stays + churned.joining}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_a_recompute_on_stale_statistics_never_filters_members_against_changes(
    churned,
):
    # The stale promise the test is about.
    assert estimated_members(churned.segment) <= 1

    with executed_plans() as plans:
        run = recompute(churned.segment)

    assert_recomputed(churned, run)
    engine = [p for p in plans if "segment_changes" in p["Query Text"]]
    kinds = {p["Query Text"].split(None, 1)[0].upper() for p in engine}
    assert kinds >= {"CREATE", "DELETE", "INSERT"}, [p["Query Text"] for p in plans]
    for plan in plans:
        assert not member_filters(plan["Plan"]), (
            plan["Query Text"],
            member_filters(plan["Plan"]),
        )
    (delete,) = (p for p in engine if p["Query Text"].lstrip().startswith("DELETE"))
    assert not member_lookups(delete["Plan"]), member_lookups(delete["Plan"])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans")
def test_sqlite_recompute_runs_no_subquery_that_scans_once_per_row(churned):
    """SQLite has no auto_explain: the engine's statements are recorded as
    they run, then explained. A correlated subquery runs once per row, so it
    must find its row by key (SEARCH), never scan (SCAN); the NOT IN list is
    built once. Scanning the membership once is linear, and what SQLite does
    when its statistics say the table holds one segment."""
    statements = []

    def record(execute, sql, params, many, context):
        if MEMBERSHIP in sql and sql.lstrip().upper().startswith(("DELETE", "INSERT")):
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run = recompute(churned.segment)

    assert_recomputed(churned, run)
    assert len(statements) == 2
    for sql, params in statements:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            rows = {node: (parent, detail) for node, parent, _, detail in cursor}
        for parent, detail in rows.values():
            assert not detail.startswith("CORRELATED LIST"), (sql, detail)
            if rows.get(parent, (0, ""))[1].startswith("CORRELATED"):
                assert detail.startswith("SEARCH"), (sql, detail)


def relation_scans(plan: dict) -> dict[str, set[str]]:
    """For each table the plan reads, the kinds of node that read it."""
    scans: dict[str, set[str]] = {}
    for node, _ in nodes(plan):
        if "Relation Name" in node and node["Node Type"] != "ModifyTable":
            scans.setdefault(node["Relation Name"], set()).add(node["Node Type"])
    return scans


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_an_incremental_update_probes_indexes_from_the_changed_customers(churned):
    """An incremental update costs the changes, not the app: whatever the
    statistics say (the membership's promise one member here), it starts
    from the changed customers and reaches every other row by an index, the
    member's whole key included (issue 15)."""
    before = members(churned.segment)
    since = timezone.now()
    # Announced changes, stamped as an import stamps them: 10 members leave,
    # 10 customers join. (The fixture's own changes announced nothing: an
    # incremental update does not see them.)
    leaving = churned.stays[:10]
    joining = list(
        Customer.objects.filter(store_spend=5)
        .exclude(pk__in=[c.pk for c in churned.joining])
        .order_by("pk")[:10]
    )
    for customer, spend in [(c, 1) for c in leaving] + [(c, 40) for c in joining]:
        customer.store_spend = Decimal(spend)
        customer.save()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")
        cursor.execute(f"ANALYZE {AppCustomer._meta.db_table}")
    version = membership.segment_request_recompute(
        segment=churned.segment, trigger=SegmentRun.Trigger.IMPORT, enqueue=False
    )

    with executed_plans() as plans:
        run = membership.segment_recompute(
            segment_id=churned.segment.pk,
            version=version,
            trigger=SegmentRun.Trigger.IMPORT,
            today=TODAY,
            changed_since=since,
        )

    assert run.incremental
    assert (run.joined, run.left, run.member_count) == (10, 10, 2_000)
    assert members(churned.segment) == (
        before - {c.pk for c in leaving} | {c.pk for c in joining}
    )
    (changes,) = (
        p for p in plans if p["Query Text"].lstrip().startswith("CREATE TEMPORARY")
    )
    scans = relation_scans(changes["Plan"])
    assert not member_lookups(changes["Plan"]), member_lookups(changes["Plan"])
    # The changed customers come from the index on updated_at; every other
    # table is probed by index, never read whole.
    for table, kinds in scans.items():
        assert "Seq Scan" not in kinds, (table, scans)
    assert scans.keys() >= {MEMBERSHIP, AppCustomer._meta.db_table}, scans
