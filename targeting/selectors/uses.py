"""The uses of a customer group, as its page lists them.

``engagement`` calls these through the setting ``CUSTOMER_GROUP_USES``
(engagement/selectors/uses.py): it never imports targeting.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from engagement.models import CustomerGroup, GroupKind
from engagement.selectors.uses import GroupUse
from targeting.models import AppAudience, Flight, Offer


def offer_uses(*, group: CustomerGroup) -> list[GroupUse]:
    """The targeted offers of a segment, by app and name (one query)."""
    offers = (
        Offer.objects.filter(segment_id=group.pk)
        .select_related("app")
        .order_by("app__name", "name")
    )
    return [
        GroupUse(
            kind=_("Targeted offer"),
            name=offer.name,
            url=reverse("targeting:offer_edit", args=[offer.pk]),
            app_name=offer.app.name,
        )
        for offer in offers
    ]


def flight_uses(*, group: CustomerGroup) -> list[GroupUse]:
    """The package flights of a known user group, by app and rank (one query)."""
    if group.kind != GroupKind.KNOWN_USER_GROUP:
        return []
    flights = (
        Flight.objects.filter(groups=group.pk)
        .select_related("app")
        .order_by("app__name", "-rank")
    )
    return [
        GroupUse(
            kind=_("Package flight"),
            name=flight.name,
            url=reverse("targeting:flight_edit", args=[flight.pk]),
            app_name=flight.app.name,
        )
        for flight in flights
    ]


def audience_uses(*, group: CustomerGroup) -> list[GroupUse]:
    """The private audiences of a known user group, by app (one query)."""
    if group.kind != GroupKind.KNOWN_USER_GROUP:
        return []
    audiences = (
        AppAudience.objects.filter(groups=group.pk, private=True)
        .select_related("app")
        .order_by("app__name")
    )
    return [
        GroupUse(
            kind=_("Private audience"),
            name=audience.app.name,
            url=reverse("targeting:app_audience", args=[audience.app_id]),
            app_name=audience.app.name,
        )
        for audience in audiences
    ]
