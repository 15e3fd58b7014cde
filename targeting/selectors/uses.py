"""The uses of a customer group, as its page lists them.

``engagement`` calls these through the setting ``CUSTOMER_GROUP_USES``
(engagement/selectors/uses.py): it never imports targeting.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from engagement.models import CustomerGroup
from engagement.selectors.uses import GroupUse
from targeting.models import Offer


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
