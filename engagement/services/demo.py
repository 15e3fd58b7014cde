"""Demo customer groups for ``seed_demo``: a few segments and a known user group."""

from __future__ import annotations

from customers.models import App, Customer
from engagement.models import KnownUserGroup, Segment, SegmentRun
from engagement.services import membership
from engagement.services.app_statistics import app_statistics_forget
from engagement.services.known_user_group_linking import known_user_groups_relink
from engagement.services.known_user_groups import known_user_group_create
from engagement.services.segments import segment_create


def _definition(*conditions: dict) -> dict:
    return {"version": 1, "any": [{"all": list(conditions)}]}


DEMO_SEGMENTS = [
    (
        "Big spenders",
        _definition({"attribute": "store_spend", "operator": "gt", "value": 50}),
    ),
    (
        "Young adults",
        _definition(
            {"attribute": "age_group", "operator": "in", "value": ["18-24", "25-34"]}
        ),
    ),
    (
        "At risk of churning",
        _definition({"attribute": "churn_risk", "operator": "is", "value": "high"}),
    ),
    (
        "Irish fans",  # small on purpose: shows Small and the Inactive section
        _definition(
            {"attribute": "market", "operator": "is", "value": "IE"},
            {"attribute": "rating", "operator": "eq", "value": 5},
        ),
    ),
]
BETA_TESTERS = "Beta testers"


def demo_groups_seed(*, app: App, email_suffix: str) -> list[str]:
    """Create the demo groups of ``app``'s partner if missing, and compute
    every segment of the partner now (the seed replaced their customers).

    Return one line per group for the seed's summary.
    """
    partner = app.partner
    app_statistics_forget(app_ids=[app.pk])
    # The seed deleted the demo customers, and their memberships with them,
    # behind the engine's back: no segment's member digest can be trusted.
    Segment.objects.update(member_digest="")
    for name, definition in DEMO_SEGMENTS:
        if not Segment.objects.filter(partner=partner, name=name).exists():
            segment_create(
                partner=partner,
                app=app,
                name=name,
                definition=definition,
                user=None,
                enqueue=False,
            )
    lines = []
    for segment in Segment.objects.filter(partner=partner).order_by("name"):
        version = membership.segment_request_recompute(
            segment=segment, trigger=SegmentRun.Trigger.SUPPORT, enqueue=False
        )
        run = membership.segment_recompute(segment_id=segment.pk, version=version)
        members = run.member_count if run else segment.member_count
        lines.append(f"segment {segment.name}: {members} members")
    if not KnownUserGroup.objects.filter(partner=partner, name=BETA_TESTERS).exists():
        known = list(
            Customer.objects.filter(email__endswith=email_suffix)
            .order_by("email")
            .values_list("email", flat=True)[:40]
        )
        invited = [f"invitee{i}@beta{email_suffix}" for i in range(1, 6)]
        known_user_group_create(
            partner=partner, name=BETA_TESTERS, addresses=known + invited, user=None
        )
    known_user_groups_relink(partner=partner)
    group = KnownUserGroup.objects.get(partner=partner, name=BETA_TESTERS)
    lines.append(
        f"known user group {group.name}: {group.member_count} members / "
        f"{group.address_count} listed"
    )
    return lines
