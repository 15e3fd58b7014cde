"""Error codes of notifications, each with its message.

As in ``engagement.errors``: services raise ``Enum.MEMBER.error(**params)``;
tests compare codes, not message text.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.errors import ErrorCode


class NotificationError(ErrorCode):
    """Writing, sending and cancelling a notification
    (``services.notifications``)."""

    NO_GROUP_FOR_ALL = "no_group_for_all", _("All customers need no group.")
    GROUP_MISSING = "group_missing", _("Choose the group to send it to.")
    FOREIGN_GROUP = "foreign_group", _("Choose one of your groups.")
    WRONG_KIND = "wrong_kind", _("This group is not of the kind chosen.")
    OTHER_APP_SEGMENT = (
        "other_app_segment",
        _("This segment is of another app: choose one of %(app)s."),
    )
    EXPIRY_BEFORE_SEND = (
        "expiry_before_send",
        _("The expiry must come after the time it is sent."),
    )
    TOAST_UNSENDABLE = (
        "toast_unsendable",
        _("The toast cannot be sent as written: %(why)s."),
    )
    NOT_A_DRAFT = (
        "not_a_draft",
        _("Only a draft can be changed or sent; this one is %(status)s."),
    )
    TIME_PASSED = (
        "time_passed",
        _("This time has passed: choose a later one or send now."),
    )
    ALREADY_EXPIRED = "already_expired", _("It would already have expired.")
    SEGMENT_INACTIVE = (
        "segment_inactive",
        _("Only an active segment can be chosen: %(name)s is not."),
    )


class ChannelError(ErrorCode):
    """Registering a notification channel (``services.channels``)."""

    NOT_WNS = (
        "channel_not_wns",
        _("A channel URI must be an https address at WNS (%(hosts)s)."),
    )
