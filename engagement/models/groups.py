"""What every customer group shares: one row per group, any kind.

Every kind of customer group shares one ``CustomerGroup`` row (multi-table
inheritance): the name is unique per partner across kinds in the database,
and the customer groups page lists all kinds with one query.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from customers.models import Partner
from engagement.errors import GroupError


class GroupKind(models.TextChoices):
    SEGMENT = "segment", _("Segment")
    KNOWN_USER_GROUP = "known_user_group", _("Known user group")


class CustomerGroup(models.Model):
    """What every customer group has: a partner, a kind and a unique name."""

    Kind = GroupKind

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="customer_groups",
        verbose_name=_("partner"),
        db_index=False,  # the (partner, lower(name)) unique index leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=GroupKind.choices)
    name = models.CharField(_("group name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            models.UniqueConstraint(
                F("partner"),
                Lower("name"),
                name="customergroup_partner_name_uniq",
                violation_error_code=GroupError.NAME_TAKEN,
                violation_error_message=GroupError.NAME_TAKEN.message,
            ),
            models.CheckConstraint(
                condition=Q(kind__in=GroupKind.values), name="customergroup_kind_valid"
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0),
                name="customergroup_name_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.name
