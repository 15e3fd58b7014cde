"""Write use cases of segments: create, change, delete.

Every change of a definition or app asks for a recompute, enqueued when the
transaction commits (see ``engagement.services.membership``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector

from customers.models import App, Partner
from engagement import rules
from engagement.errors import SegmentError
from engagement.models import Segment, SegmentRun
from engagement.services.groups import customer_group_save
from engagement.services.membership import (
    segment_recompute_lock_try,
    segment_request_recompute,
)

logger = logging.getLogger(__name__)


def _check_app(*, partner: Partner, app: App) -> None:
    if app.partner_id != partner.pk:
        raise ValidationError({"app": SegmentError.FOREIGN_APP.error()})


def _in_use(segment: Segment, exc: ProtectedError) -> ValidationError:
    """Name the uses that hold the segment (``in_use``): the apps above this
    one (targeting's offers, flights…) hold it by ``PROTECT`` foreign keys, so
    this module needs not know them; each is named by its ``str()``."""
    uses = ", ".join(sorted(str(use) for use in exc.protected_objects))
    return SegmentError.IN_USE.error(name=segment.name, uses=uses)


def _check_unused(segment: Segment) -> None:
    """Refuse to move a used segment to another app: its uses are of its app."""
    try:
        Collector(using=router.db_for_write(Segment)).collect([segment])
    except ProtectedError as exc:
        raise ValidationError({"app": _in_use(segment, exc)}) from None


@transaction.atomic
def segment_create(
    *,
    partner: Partner,
    app: App,
    name: str,
    definition: Any,
    user: AbstractBaseUser | None,
    enqueue: bool = True,
) -> Segment:
    """Create a segment and ask for its first computation.

    With ``enqueue=False`` the version is requested but no task is sent: the
    caller computes it (the benchmark). Raises ``ValidationError`` for a
    foreign app, a taken or blank name, or an invalid definition; nothing is
    saved then. The name is cleaned by ``customer_group_save``.
    """
    _check_app(partner=partner, app=app)
    segment = Segment(
        kind=Segment.Kind.SEGMENT,
        partner=partner,
        app=app,
        name=name,
        definition=rules.definition_validate(definition),
        created_by=user,
        updated_by=user,
    )
    customer_group_save(segment)
    segment_request_recompute(
        segment=segment, trigger=SegmentRun.Trigger.SAVE, enqueue=enqueue
    )
    logger.info(
        "segment_created segment=%s partner=%s app=%s", segment.pk, partner.pk, app.pk
    )
    return segment


@transaction.atomic
def segment_update(
    *,
    segment: Segment,
    app: App,
    name: str,
    definition: Any,
    user: AbstractBaseUser | None,
) -> Segment:
    """Rename a segment or change its app or conditions.

    A changed app or definition asks for a recompute; a rename alone does not.
    A segment in use cannot move to another app (``in_use``, on ``app``).
    """
    _check_app(partner=segment.partner, app=app)
    if app.pk != segment.app_id:
        _check_unused(segment)
    definition = rules.definition_validate(definition)
    recompute = definition != segment.definition or app.pk != segment.app_id
    segment.name = name
    segment.app = app
    segment.definition = definition
    segment.updated_by = user
    # Only what the partner changed: a recompute may have written the counts
    # and versions since this request read the segment.
    customer_group_save(
        segment,
        update_fields=["name", "app", "definition", "updated_by", "updated_at"],
    )
    if recompute:
        segment_request_recompute(segment=segment, trigger=SegmentRun.Trigger.SAVE)
    logger.info("segment_updated segment=%s recompute=%s", segment.pk, recompute)
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, user: AbstractBaseUser | None) -> None:
    """Delete a segment with its membership and history.

    Raises ``ValidationError`` (code ``recompute_running``) while a recompute of it
    runs: its new members would outlive the segment, and waiting for it could
    take minutes; and (code ``in_use``) while something uses it. Django
    finds the uses before it deletes anything.
    """
    if not segment_recompute_lock_try(segment_id=segment.pk):
        raise SegmentError.RECOMPUTE_RUNNING.error(name=segment.name)
    try:
        segment.delete()
    except ProtectedError as exc:
        raise _in_use(segment, exc) from None
    logger.info(
        "segment_deleted segment=%s user=%s", segment.pk, getattr(user, "pk", None)
    )
