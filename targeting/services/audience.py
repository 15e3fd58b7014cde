"""Write use cases of an app's audience (product.md §6.3).

An app without an audience row is public by default but not yet published:
its partner may still make it private. Choosing Public, or a private app
reaching its ``make_public_at``, publishes it for good (``AppAudience``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import App
from engagement.models import KnownUserGroup
from targeting.errors import AudienceError
from targeting.models import AppAudience
from targeting.services.groups import known_user_groups_check

logger = logging.getLogger(__name__)


@transaction.atomic
def audience_set_private(
    *,
    app: App,
    groups: Iterable[KnownUserGroup],
    make_public_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> AppAudience:
    """Make ``app`` private to the members of ``groups``, optionally until
    ``make_public_at``.

    Raises ``ValidationError``: ``once_public`` when the app has been
    published (or its publication date has come), ``past_date`` for a
    publication date not after ``now``, and the ``GroupChoiceError`` codes on
    ``groups``.
    """
    now = now or timezone.now()
    groups = known_user_groups_check(app=app, groups=groups)
    if make_public_at is not None and make_public_at <= now:
        raise ValidationError({"make_public_at": AudienceError.PAST_DATE.error()})
    audience = _audience_lock(app=app)
    if audience.is_published(now):
        raise AudienceError.ONCE_PUBLIC.error()
    audience.private = True
    audience.make_public_at = make_public_at
    audience.save()
    audience.groups.set(groups)
    logger.info(
        "audience_private app=%s groups=%s make_public_at=%s",
        app.pk,
        len(groups),
        make_public_at,
    )
    return audience


@transaction.atomic
def audience_make_public(*, app: App, now: dt.datetime | None = None) -> AppAudience:
    """Publish ``app``: public for everyone, for good. Publishing a published
    app changes nothing."""
    audience = _audience_lock(app=app)
    if audience.published_at is not None:
        return audience
    audience.private = False
    audience.make_public_at = None
    audience.published_at = now or timezone.now()
    audience.save()
    audience.groups.clear()
    logger.info("audience_published app=%s", app.pk)
    return audience


@transaction.atomic
def audience_publish_due(*, now: dt.datetime | None = None) -> int:
    """Publish every private app whose ``make_public_at`` is not after ``now``.

    Returns how many were published; a second pass finds none. The
    publication time is the scheduled one.
    """
    now = now or timezone.now()
    due = AppAudience.objects.select_for_update().filter(
        private=True, make_public_at__lte=now
    )
    ids = list(due.values_list("pk", flat=True))
    if not ids:
        return 0
    AppAudience.groups.through.objects.filter(appaudience_id__in=ids).delete()
    AppAudience.objects.filter(pk__in=ids).update(
        private=False,
        published_at=F("make_public_at"),
        make_public_at=None,
        updated_at=now,
    )
    logger.info("audiences_published count=%s", len(ids))
    return len(ids)


def _audience_lock(*, app: App) -> AppAudience:
    """Return the app's audience row, created if missing, locked."""
    AppAudience.objects.get_or_create(app=app)
    return AppAudience.objects.select_for_update().get(app=app)
