"""Write use cases of package flights (product.md §6.2).

The non-flighted package is #1; an app's flights hold the ranks 2 … n + 1,
contiguous, and a new flight ranks highest. Every write that changes ranks
(create, move, delete) first locks the app's row, so concurrent edits of one
app's flights apply one after the other, each reading the ranks the previous
one left. Ranks are rewritten by ``_ranks_apply`` in two UPDATEs that never
break the unique (app, rank) constraint, which both databases check row by
row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When

from customers.models import App
from customers.names import name_clean
from engagement.models import KnownUserGroup
from targeting.errors import FlightError
from targeting.models import NON_FLIGHTED_RANK, Flight, FlightMove
from targeting.services.groups import known_user_groups_check

logger = logging.getLogger(__name__)


@transaction.atomic
def flight_create(
    *,
    app: App,
    name: str,
    groups: Iterable[KnownUserGroup],
    version: str,
    rollout_percentage: int = 100,
) -> Flight:
    """Create a flight of ``app`` ranked above every other flight of it.

    Raises ``ValidationError`` (on the field at fault) for a bad or taken
    name, no groups or another partner's, a bad version or rollout.
    """
    groups = known_user_groups_check(app=app, groups=groups)
    flights = _flights_lock(app=app)
    flight = Flight(
        app=app,
        name=name,
        version=version,
        rollout_percentage=rollout_percentage,
        rank=(flights[-1].rank if flights else NON_FLIGHTED_RANK) + 1,
    )
    _flight_save(flight)
    flight.groups.set(groups)
    logger.info(
        "flight_created flight=%s app=%s rank=%s", flight.pk, app.pk, flight.rank
    )
    return flight


@transaction.atomic
def flight_update(
    *,
    flight: Flight,
    name: str,
    groups: Iterable[KnownUserGroup],
    version: str,
    rollout_percentage: int,
) -> Flight:
    """Change a flight's name, groups, version and rollout; its rank stays.

    Raises ``ValidationError`` as ``flight_create`` does. The rank is not
    written, so a move made meanwhile by someone else stays.
    """
    groups = known_user_groups_check(app=flight.app, groups=groups)
    flight.name = name
    flight.version = version
    flight.rollout_percentage = rollout_percentage
    _flight_save(
        flight, update_fields=["name", "version", "rollout_percentage", "updated_at"]
    )
    flight.groups.set(groups)
    logger.info("flight_updated flight=%s", flight.pk)
    return flight


@transaction.atomic
def flight_move(*, flight: Flight, direction: FlightMove) -> None:
    """Swap the flight's rank with the next flight's up or down.

    The highest flight moved up, the lowest moved down (it stays above the
    non-flighted package) and a flight deleted meanwhile change nothing.
    """
    direction = FlightMove(direction)
    flights = _flights_lock(app=flight.app)
    position = next((i for i, f in enumerate(flights) if f.pk == flight.pk), None)
    if position is None:
        return
    other = position + 1 if direction == FlightMove.UP else position - 1
    if not 0 <= other < len(flights):
        return
    flights[position], flights[other] = flights[other], flights[position]
    _ranks_apply(flights=flights)
    flight.rank = flights[other].rank
    logger.info("flight_moved flight=%s %s rank=%s", flight.pk, direction, flight.rank)


@transaction.atomic
def flight_delete(*, flight: Flight) -> None:
    """Delete the flight; the flights above it move down one rank."""
    flights = _flights_lock(app=flight.app)
    Flight.objects.filter(pk=flight.pk).delete()
    _ranks_apply(flights=[f for f in flights if f.pk != flight.pk])
    logger.info("flight_deleted flight=%s app=%s", flight.pk, flight.app_id)


def _flights_lock(*, app: App) -> list[Flight]:
    """Lock the app's row and return its flights, lowest rank first."""
    App.objects.select_for_update().filter(pk=app.pk).first()
    return list(Flight.objects.filter(app=app).order_by("rank"))


def _ranks_apply(*, flights: list[Flight]) -> None:
    """Give ``flights`` (every flight of one app, lowest first) ranks 2 … n + 1.

    The flights whose rank changes first move above every rank in use, then
    to their new ranks: no statement ever gives two rows one rank.
    """
    wanted = {f.pk: NON_FLIGHTED_RANK + 1 + i for i, f in enumerate(flights)}
    changed = [f for f in flights if f.rank != wanted[f.pk]]
    if not changed:
        return
    rows = Flight.objects.filter(pk__in=[f.pk for f in changed])
    rows.update(rank=F("rank") + max(f.rank for f in flights))
    rows.update(rank=Case(*(When(pk=f.pk, then=Value(wanted[f.pk])) for f in changed)))
    for f in changed:
        f.rank = wanted[f.pk]


def _flight_save(flight: Flight, *, update_fields: list[str] | None = None) -> None:
    """Check and save a flight; a bad or taken name is reported on ``name``."""
    try:
        flight.name = name_clean(flight.name)
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from None
    try:
        flight.full_clean(exclude=["groups", "rank"])  # ranks: under the lock
    except ValidationError as exc:
        if any(
            e.code == FlightError.NAME_TAKEN for e in exc.error_dict.get("__all__", [])
        ):
            raise _name_taken() from exc
        raise
    try:
        with transaction.atomic():
            flight.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise _name_taken() from exc


def _name_taken() -> ValidationError:
    return ValidationError({"name": FlightError.NAME_TAKEN.error()})
