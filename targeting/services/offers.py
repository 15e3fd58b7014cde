"""Write use cases of targeted offers: create, change, delete, and record a
conversion the Store reports (product.md §6.4)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import App, Customer
from customers.names import name_clean
from engagement.models import Segment
from targeting.errors import OfferError
from targeting.models import Offer, OfferConversion, OfferTracking

logger = logging.getLogger(__name__)

# Which field a taken-uniqueness error is reported on, by constraint name.
_TAKEN = {
    "offer_app_name_uniq": ("name", OfferError.NAME_TAKEN),
    "offer_app_type_addon_uniq": ("addon_product_id", OfferError.TYPE_ADDON_TAKEN),
}


def _violates(exc: IntegrityError, constraint_name: str) -> bool:
    """Whether ``exc`` is a violation of the offer constraint so named.

    PostgreSQL names the constraint, and SQLite names an index on
    expressions; for a constraint on plain columns SQLite lists the columns.
    """
    text = str(exc)
    if constraint_name in text:
        return True
    constraint = next(c for c in Offer._meta.constraints if c.name == constraint_name)
    columns = ", ".join(
        f"{Offer._meta.db_table}.{Offer._meta.get_field(field).column}"
        for field in constraint.fields
    )
    return bool(columns) and text.endswith(f"constraint failed: {columns}")


def addon_product_id_normalise(value: str) -> str:
    """Return a typed add-on product ID as stored: trimmed, in capitals."""
    return value.strip().upper()


def _check_segment(*, app: App, segment: Segment) -> None:
    """Refuse a segment of another app or partner, or one not active."""
    if segment.app_id != app.pk or segment.partner_id != app.partner_id:
        raise ValidationError({"segment": OfferError.FOREIGN_SEGMENT.error()})
    if not segment.is_active:
        raise ValidationError(
            {"segment": OfferError.SEGMENT_NOT_ACTIVE.error(name=segment.name)}
        )


def _taken_on_fields(exc: ValidationError) -> ValidationError:
    """Return ``exc`` with its taken-uniqueness errors moved onto their fields."""
    errors = dict(exc.error_dict)
    kept = []
    for error in errors.pop("__all__", []):
        taken = next((t for t in _TAKEN.values() if t[1] == error.code), None)
        if taken is None:
            kept.append(error)
        else:
            errors.setdefault(taken[0], []).append(taken[1].error())
    if kept:
        errors["__all__"] = kept
    return ValidationError(errors)


def _offer_save(offer: Offer) -> None:
    """Check and save an offer; a taken name or (type, add-on) is reported on
    its field, also when a concurrent save takes it first."""
    try:
        offer.name = name_clean(offer.name)
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from None
    offer.addon_product_id = addon_product_id_normalise(offer.addon_product_id)
    try:
        offer.full_clean()
    except ValidationError as exc:
        raise _taken_on_fields(exc) from None
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError as exc:
        for constraint, (field, code) in _TAKEN.items():
            if _violates(exc, constraint):
                raise ValidationError({field: code.error()}) from exc
        raise


def _tracking_ensure(*, segment: Segment, app: App) -> None:
    """Create the tracking ID of (segment, app) unless it exists, so that
    resolving offers only reads. Two concurrent creations make one row."""
    OfferTracking.objects.get_or_create(segment=segment, app=app)


@transaction.atomic
def offer_create(
    *,
    app: App,
    name: str,
    offer_type: str,
    addon_product_id: str,
    segment: Segment,
) -> Offer:
    """Create an offer of an app's add-on to one active segment of the app.

    Raises ``ValidationError`` keyed by field: a segment of another app or
    not active, a taken name or a taken (offer type, add-on), a bad add-on.
    """
    _check_segment(app=app, segment=segment)
    offer = Offer(
        app=app,
        name=name,
        offer_type=offer_type,
        addon_product_id=addon_product_id,
        segment=segment,
    )
    _offer_save(offer)
    _tracking_ensure(segment=segment, app=app)
    logger.info("offer_created offer=%s app=%s", offer.pk, app.pk)
    return offer


@transaction.atomic
def offer_update(
    *,
    offer: Offer,
    name: str,
    offer_type: str,
    addon_product_id: str,
    segment: Segment,
) -> Offer:
    """Change an offer. A newly chosen segment must be active; the segment it
    has may stay while inactive (it then resolves to nothing)."""
    if segment.pk != offer.segment_id:
        _check_segment(app=offer.app, segment=segment)
    offer.name = name
    offer.offer_type = offer_type
    offer.addon_product_id = addon_product_id
    offer.segment = segment
    _offer_save(offer)
    _tracking_ensure(segment=segment, app=offer.app)
    logger.info("offer_updated offer=%s", offer.pk)
    return offer


@transaction.atomic
def offer_delete(*, offer: Offer) -> None:
    """Delete an offer. Its (segment, app) keeps its tracking ID and the
    conversions recorded with it."""
    logger.info("offer_deleted offer=%s app=%s", offer.pk, offer.app_id)
    offer.delete()


@transaction.atomic
def offer_conversion_record(
    *,
    tracking_id: str | uuid.UUID,
    addon_product_id: str,
    customer: Customer | None = None,
    occurred_at: dt.datetime | None = None,
    purchase_reference: str = "",
) -> tuple[OfferConversion, bool]:
    """Record a purchase of an offered add-on that the Store reported with
    the tracking ID it was offered under; return it and whether it is new.

    A report naming its customer and order (``purchase_reference``) is
    recorded once: reported again (a retry), the first record is returned,
    also when two reports race.

    Raises ``ValidationError`` for a tracking ID no offer was given
    (``tracking_id``), for an add-on that no offer of that tracking ID's
    (segment, app) is for, and for an order already reported with another
    add-on (``addon_product_id``).
    """
    try:
        tracking = OfferTracking.objects.get(tracking_id=uuid.UUID(str(tracking_id)))
    except (ValueError, OfferTracking.DoesNotExist):
        raise ValidationError(
            {"tracking_id": OfferError.UNKNOWN_TRACKING_ID.error()}
        ) from None
    addon = addon_product_id_normalise(addon_product_id)
    offered = Offer.objects.filter(
        app_id=tracking.app_id, segment_id=tracking.segment_id, addon_product_id=addon
    )
    if not offered.exists():
        raise ValidationError(
            {"addon_product_id": OfferError.UNKNOWN_ADDON.error(addon=addon)}
        )
    fields = {
        "addon_product_id": addon,
        "occurred_at": occurred_at or timezone.now(),
    }
    if customer is None or not purchase_reference:
        conversion = OfferConversion.objects.create(
            tracking=tracking,
            customer=customer,
            purchase_reference=purchase_reference,
            **fields,
        )
        created = True
    else:
        conversion, created = OfferConversion.objects.get_or_create(
            tracking=tracking,
            customer=customer,
            purchase_reference=purchase_reference,
            defaults=fields,
        )
        if conversion.addon_product_id != addon:
            raise ValidationError(
                {
                    "addon_product_id": OfferError.ORDER_OTHER_ADDON.error(
                        addon=conversion.addon_product_id
                    )
                }
            )
    if created:
        logger.info(
            "offer_conversion_recorded tracking=%s addon=%s", tracking.pk, addon
        )
    return conversion, created
