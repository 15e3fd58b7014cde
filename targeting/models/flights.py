"""Package flights: which package version a known user group's members get.

Ranks: the non-flighted package is always #1 (``NON_FLIGHTED_RANK``), so an
app's flights hold the ranks 2 … n + 1, contiguous, the highest first. The
stored rank is the one the pages and the API show.
"""

import re

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from customers.models import App
from engagement.models import KnownUserGroup
from targeting.errors import FlightError

NON_FLIGHTED_RANK = 1
VERSION_PATTERN = re.compile(r"[0-9]{1,5}(\.[0-9]{1,5}){3}", re.ASCII)
VERSION_PART_MAX = 65535


class FlightMove(models.TextChoices):
    """Where a partner moves a flight: up ranks it higher, down lower."""

    UP = "up", _("Move up")
    DOWN = "down", _("Move down")


def version_validate(value: str) -> None:
    """Refuse a package version that is not four dotted numbers up to 65535."""
    if not (
        isinstance(value, str)
        and VERSION_PATTERN.fullmatch(value)
        and all(int(part) <= VERSION_PART_MAX for part in value.split("."))
    ):
        raise FlightError.INVALID_VERSION.error()


def rollout_validate(value: int) -> None:
    """Refuse a rollout percentage outside 1–100."""
    if not 1 <= value <= 100:
        raise FlightError.INVALID_ROLLOUT.error()


class Flight(models.Model):
    """A package version for the members of one or more known user groups.

    A customer gets the highest-ranked flight whose groups include them as a
    member and whose rollout includes them (``selectors.flights``).
    """

    app = models.ForeignKey(
        App,
        on_delete=models.CASCADE,
        related_name="flights",
        verbose_name=_("app"),
        db_index=False,  # the (app, rank) and (app, lower(name)) indexes lead with it
    )
    name = models.CharField(_("flight name"), max_length=100)
    groups = models.ManyToManyField(
        KnownUserGroup, related_name="flights", verbose_name=_("known user groups")
    )
    version = models.CharField(
        _("package version"), max_length=23, validators=[version_validate]
    )
    rollout_percentage = models.PositiveSmallIntegerField(
        _("rollout percentage"), default=100, validators=[rollout_validate]
    )
    rank = models.PositiveIntegerField(_("rank"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["app", "-rank"]
        verbose_name = _("package flight")
        verbose_name_plural = _("package flights")
        constraints = [
            models.UniqueConstraint(
                F("app"),
                Lower("name"),
                name="flight_app_name_uniq",
                violation_error_code=FlightError.NAME_TAKEN,
                violation_error_message=FlightError.NAME_TAKEN.message,
            ),
            models.UniqueConstraint(
                fields=["app", "rank"], name="flight_app_rank_uniq"
            ),
            models.CheckConstraint(
                condition=Q(rank__gt=NON_FLIGHTED_RANK),
                name="flight_rank_above_package",
            ),
            models.CheckConstraint(
                condition=Q(rollout_percentage__gte=1, rollout_percentage__lte=100),
                name="flight_rollout_percentage_range",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0),
                name="flight_name_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.name
