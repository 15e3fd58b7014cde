"""Read use cases of an app's audience: can this customer see this app."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from customers.models import App, Customer
from engagement.models import KnownUserGroupAddress
from targeting.models import AppAudience


def audience_get(*, app: App) -> AppAudience | None:
    """The app's audience row with its groups, or ``None`` (public, unpublished)."""
    return AppAudience.objects.filter(app=app).prefetch_related("groups").first()


def app_visible_to(
    *, app: App, customer: Customer, now: dt.datetime | None = None
) -> bool:
    """Return whether ``customer`` can see ``app``. One query.

    Everyone sees a public app, and a private one whose ``make_public_at``
    has passed (before the beat task publishes it); only the members of its
    known user groups see a private app (pending addresses never count).
    """
    member = KnownUserGroupAddress.objects.filter(
        customer=customer, group__audiences=OuterRef("pk")
    )
    row = (
        AppAudience.objects.filter(app=app)
        .annotate(member=Exists(member))
        .values_list("private", "make_public_at", "member")
        .first()
    )
    if row is None:
        return True
    private, make_public_at, is_member = row
    if not private or (
        make_public_at is not None and make_public_at <= (now or timezone.now())
    ):
        return True
    return is_member
