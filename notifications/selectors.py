"""Read use cases of push notifications (product.md §6.5): the partner's apps
with their counts, an app's notifications by section, one notification, the
groups a notification may target and where a group is used."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import App, Partner
from engagement.models import CustomerGroup, KnownUserGroup, Segment
from engagement.selectors.known_user_groups import known_user_group_list
from engagement.selectors.uses import GroupUse
from notifications.models import Notification, NotificationStatus, WnsCredentials

COMPLETED = (
    NotificationStatus.SENT,
    NotificationStatus.CANCELLED,
    NotificationStatus.FAILED,
)
# The completed notifications an app's list shows, the latest first: the
# others stay reachable from their groups' pages and the admin.
COMPLETED_SHOWN = 50


def notification_app_list(*, partner: Partner) -> QuerySet[App]:
    """Return the partner's apps by name, each with its ``notification_count``
    and ``has_credentials`` (WNS credentials are set)."""
    return (
        App.objects.for_partner(partner)
        .annotate(
            notification_count=Count("notifications"),
            has_credentials=Exists(WnsCredentials.objects.filter(app=OuterRef("pk"))),
        )
        .order_by("name")
    )


def wns_credentials_get(*, app: App) -> WnsCredentials | None:
    """The app's WNS credentials row (who set them last), or None."""
    return WnsCredentials.objects.filter(app=app).select_related("updated_by").first()


def notification_list(*, partner: Partner) -> QuerySet[Notification]:
    """Return the partner's notifications with their app and group (and the
    group's segment or known user group row, for its status and page)."""
    return Notification.objects.filter(app__partner=partner).select_related(
        "app", "created_by", "group__segment", "group__knownusergroup"
    )


@dataclass
class Sections:
    """An app's notifications as its page lists them."""

    drafts: list[Notification] = field(default_factory=list)
    scheduled: list[Notification] = field(default_factory=list)
    sending: list[Notification] = field(default_factory=list)
    completed: list[Notification] = field(default_factory=list)
    more_completed: bool = False


def notification_sections(*, app: App) -> Sections:
    """The app's drafts (last changed first), scheduled (soonest first, "now"
    before any time), in progress (oldest start first) and the latest
    ``COMPLETED_SHOWN`` completed ones: two queries whatever their number."""
    rows = Notification.objects.filter(app=app).select_related(
        "group__segment", "group__knownusergroup"
    )
    sections = Sections()
    open_rows = rows.exclude(status__in=COMPLETED).order_by("-updated_at", "-pk")
    for notification in open_rows:
        if notification.status == NotificationStatus.DRAFT:
            sections.drafts.append(notification)
        elif notification.status == NotificationStatus.SCHEDULED:
            sections.scheduled.append(notification)
        else:
            sections.sending.append(notification)
    sections.scheduled.sort(
        key=lambda n: (n.send_at is not None, n.send_at or n.created_at, n.pk)
    )
    sections.sending.sort(key=lambda n: (n.started_at or n.created_at, n.pk))
    completed = list(
        rows.filter(status__in=COMPLETED).order_by(
            "-finished_at", "-created_at", "-pk"
        )[: COMPLETED_SHOWN + 1]
    )
    sections.completed = completed[:COMPLETED_SHOWN]
    sections.more_completed = len(completed) > COMPLETED_SHOWN
    return sections


def notification_segment_choices(
    *, app: App, current: CustomerGroup | None = None
) -> QuerySet[Segment]:
    """Return the segments a notification of ``app`` may target, by name: the
    active ones (§6.1), and the one a draft already has whatever its status
    (the form marks it "not active", and sending it is refused)."""
    usable = Segment.active_q()
    if current is not None:
        usable |= Q(pk=current.pk)
    return Segment.objects.filter(usable, app=app).order_by("name")


def notification_known_user_group_choices(
    *, partner: Partner
) -> QuerySet[KnownUserGroup]:
    """Return the partner's known user groups, by name."""
    return known_user_group_list(partner=partner).order_by("name")


def group_url(group: CustomerGroup) -> str:
    """The page of a notification's group, whatever its kind."""
    if group.kind == CustomerGroup.Kind.SEGMENT:
        return reverse("engagement:segment_detail", args=[group.pk])
    return reverse("engagement:known_user_group_detail", args=[group.pk])


def notification_uses(*, group: CustomerGroup) -> list[GroupUse]:
    """The push notifications of a group, whatever their status, by app and
    name (one query): each holds the group (``PROTECT``)."""
    notifications = (
        Notification.objects.filter(group_id=group.pk)
        .select_related("app")
        .order_by("app__name", "name", "pk")
    )
    return [
        GroupUse(
            kind=_("Push notification"),
            name=notification.name,
            url=reverse("notifications:notification_detail", args=[notification.pk]),
            app_name=notification.app.name,
        )
        for notification in notifications
    ]
