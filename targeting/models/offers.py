"""Targeted offers (product.md §6.4): add-ons offered to one segment of an app.

The database holds the offer rules it can: a name unique per app, one offer
per (app, offer type, add-on), an add-on that is a Store product ID. The
segment is ``PROTECT``-ed, so a segment in use cannot be deleted.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import Exact, GreaterThan
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import App, Customer, store_product_id_validator
from engagement.models import Segment
from targeting.errors import OfferError

# What ``store_product_id_validator`` accepts, as the database checks it: the
# regex lookup is a ``REGEXP`` function on SQLite and ``~`` on PostgreSQL.
# Its ``$`` also matches before a final line break, which the length check
# (as ``App`` has) refuses.
STORE_PRODUCT_ID_PATTERN = store_product_id_validator.regex.pattern


class OfferType(models.TextChoices):
    DISCOUNT = "discount", _("Discount")
    FREE_TRIAL = "free_trial", _("Free trial")
    BUNDLE = "bundle", _("Bundle")
    UPGRADE = "upgrade", _("Upgrade")
    REWARD = "reward", _("Reward")


class Offer(models.Model):
    """An add-on offered, as one type of offer, to the members of a segment."""

    Type = OfferType

    app = models.ForeignKey(
        App,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("app"),
        db_index=False,  # the (app, lower(name)) unique index leads with it
    )
    name = models.CharField(_("name"), max_length=100)
    offer_type = models.CharField(
        _("offer type"), max_length=12, choices=OfferType.choices
    )
    addon_product_id = models.CharField(
        _("add-on"),
        max_length=12,
        validators=[store_product_id_validator],
        help_text=_("The add-on's Store product ID: 12 letters and digits."),
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        related_name="offers",
        verbose_name=_("segment"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(
                F("app"),
                Lower("name"),
                name="offer_app_name_uniq",
                violation_error_code=OfferError.NAME_TAKEN,
                violation_error_message=OfferError.NAME_TAKEN.message,
            ),
            models.UniqueConstraint(
                fields=["app", "offer_type", "addon_product_id"],
                name="offer_app_type_addon_uniq",
                violation_error_code=OfferError.TYPE_ADDON_TAKEN,
                violation_error_message=OfferError.TYPE_ADDON_TAKEN.message,
            ),
            models.CheckConstraint(
                condition=Q(offer_type__in=OfferType.values), name="offer_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(addon_product_id__regex=STORE_PRODUCT_ID_PATTERN),
                name="offer_addon_product_id_format",
            ),
            models.CheckConstraint(
                condition=Exact(Length("addon_product_id"), 12),
                name="offer_addon_product_id_len",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0),
                name="offer_name_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return gettext("offer %(name)s of %(app)s") % {
            "name": self.name,
            "app": self.app.name,
        }


class OfferTracking(models.Model):
    """The tracking ID of one (segment, app): what the Store reports back
    with a purchase of an offered add-on. It never changes once created."""

    segment = models.ForeignKey(
        Segment,
        on_delete=models.CASCADE,
        related_name="offer_trackings",
        verbose_name=_("segment"),
        db_index=False,  # the (segment, app) unique index leads with it
    )
    app = models.ForeignKey(
        App,
        on_delete=models.CASCADE,
        related_name="offer_trackings",
        verbose_name=_("app"),
    )
    tracking_id = models.UUIDField(
        _("tracking ID"), default=uuid.uuid4, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer tracking ID")
        verbose_name_plural = _("offer tracking IDs")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "app"], name="offertracking_segment_app_uniq"
            ),
        ]

    def __str__(self) -> str:
        return str(self.tracking_id)


class OfferConversion(models.Model):
    """A purchase of an offered add-on that the Store reported with a
    tracking ID: it counts for every offer of that (segment, app) and add-on.
    """

    tracking = models.ForeignKey(
        OfferTracking,
        on_delete=models.CASCADE,
        related_name="conversions",
        verbose_name=_("tracking ID"),
        db_index=False,  # the per-offer count index leads with it
    )
    addon_product_id = models.CharField(_("add-on"), max_length=12)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_conversions",
        verbose_name=_("customer"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    purchase_reference = models.CharField(
        _("purchase reference"), max_length=100, blank=True
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("offer conversion")
        verbose_name_plural = _("offer conversions")
        indexes = [
            models.Index(
                fields=["tracking", "addon_product_id"],
                name="offerconversion_offer_idx",
            ),
        ]
        constraints = [
            # A report naming its customer and order is recorded once: the
            # Store may send it again (offer_conversion_record).
            models.UniqueConstraint(
                fields=["tracking", "customer", "purchase_reference"],
                condition=Q(customer__isnull=False) & ~Q(purchase_reference=""),
                name="offerconversion_report_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.addon_product_id} via {self.tracking_id} at {self.occurred_at}"
