"""Error codes of targeted offers, each code with its message.

Built as ``engagement.errors`` is (``ErrorCode`` in ``customers.errors``);
services and forms raise ``OfferError.MEMBER.error(**params)`` and tests
compare codes, not message text.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.errors import ErrorCode


class OfferError(ErrorCode):
    """Saving an offer and recording its conversions (``services.offers``)."""

    NAME_TAKEN = "offer_name_taken", _("This app already has an offer with this name.")
    TYPE_ADDON_TAKEN = (
        "offer_type_addon_taken",
        _(
            "This app already has an offer of this type for this add-on. "
            "Choose another add-on or another offer type."
        ),
    )
    FOREIGN_SEGMENT = (
        "offer_foreign_segment",
        _("Choose a segment of this app."),
    )
    SEGMENT_NOT_ACTIVE = (
        "offer_segment_not_active",
        _(
            "“%(name)s” is not active: only an active segment (computed, "
            "not Small, not failed) can be chosen."
        ),
    )
    UNKNOWN_TRACKING_ID = (
        "offer_unknown_tracking_id",
        _("No offer has this tracking ID."),
    )
    UNKNOWN_ADDON = (
        "offer_unknown_addon",
        _("No offer with this tracking ID is for the add-on %(addon)s."),
    )
