"""Error codes of targeting, one enum per domain, each code with its message.

As in ``engagement.errors``: services and forms raise
``Enum.MEMBER.error(**params)``; tests compare codes, not message text.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.errors import ErrorCode


class GroupChoiceError(ErrorCode):
    """The known user groups a use targets: a flight's, a private audience's
    (``services.groups``)."""

    NO_GROUPS = "no_groups", _("Choose at least one known user group.")
    FOREIGN_GROUP = (
        "foreign_group",
        _("Choose known user groups of the app's partner."),
    )
    UNKNOWN_GROUP = "unknown_group", _("Choose known user groups from the list.")


class FlightError(ErrorCode):
    """A package flight (``services.flights``)."""

    NAME_TAKEN = "name_taken", _("This app already has a flight with this name.")
    INVALID_VERSION = (
        "invalid_version",
        _(
            "Enter a package version of four numbers separated by dots, "
            "each at most 65535, such as 1.4.2.0."
        ),
    )
    INVALID_ROLLOUT = (
        "invalid_rollout",
        _("Enter a rollout percentage from 1 to 100."),
    )


class AudienceError(ErrorCode):
    """An app's audience (``services.audience``)."""

    ONCE_PUBLIC = (
        "once_public",
        _(
            "This app has been public, so it cannot be made private again: "
            "a private audience can only be chosen before an app is published."
        ),
    )
    PAST_DATE = (
        "past_date",
        _("Choose a date and time in the future to make the app public."),
    )


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
    ORDER_OTHER_ADDON = (
        "offer_order_other_addon",
        _(
            "This order was already reported for this customer and tracking "
            "ID with the add-on %(addon)s."
        ),
    )


class CustomerCheckError(ErrorCode):
    """The e-mail address a partner checks (``forms.check``)."""

    INVALID_EMAIL = (
        "check_invalid_email",
        _("Enter one e-mail address, such as name@example.com."),
    )
