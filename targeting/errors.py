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
