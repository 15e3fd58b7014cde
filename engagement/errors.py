"""Error codes of engagement, one enum per domain, each code with its message.

Services, rules and forms raise ``Enum.MEMBER.error(**params)``; the params
fill the message's placeholders when it is shown (``ErrorCode`` in
``customers.errors``). Tests compare codes, not message text; msgids are
those of ``locale/fr``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from customers.errors import ErrorCode


class GroupError(ErrorCode):
    """Any kind of customer group (``services.groups``)."""

    NAME_TAKEN = (
        "name_taken",
        _("Your partner already has a customer group with this name."),
    )


class SegmentError(ErrorCode):
    """Saving, refreshing and deleting a segment."""

    FOREIGN_APP = "foreign_app", _("Choose one of your partner's apps.")
    TOO_SOON = (
        "too_soon",
        _("This segment was refreshed recently. You can refresh it again at %(time)s."),
    )
    RECOMPUTE_RUNNING = (
        "recompute_running",
        _(
            "“%(name)s” is being computed right now. You can delete it "
            "when the computation is done."
        ),
    )
    IN_USE = (
        "in_use",
        _("“%(name)s” is used by: %(uses)s. Remove it from them first."),
    )


class DefinitionError(ErrorCode):
    """A segment definition (``engagement.rules``): its shape, and the file
    or text it is read from. A located problem's ``problem`` param says what
    is wrong with that OR statement or filter."""

    NOT_OBJECT = (
        "not_object",
        _("A definition must be a JSON object with version and any."),
    )
    UNKNOWN_KEY = "unknown_key", _("Unknown key in the definition: %(keys)s.")
    INVALID_VERSION = (
        "invalid_version",
        _("Unsupported definition version %(version)s; expected %(expected)s."),
    )
    INVALID_BLOCKS = (
        "invalid_blocks",
        _("A definition needs 1 to %(max)s OR statements."),
    )
    INVALID_BLOCK = "invalid_block", _("OR statement %(block)s: %(problem)s")
    INVALID_CONDITION = (
        "invalid_condition",
        _("OR statement %(block)s, filter %(condition)s: %(problem)s"),
    )
    TOO_LARGE = (
        "too_large",
        _("The definition is too large (%(size)s KB; at most %(max)s KB)."),
    )
    NOT_TEXT = "not_text", _("The definition file is not UTF-8 text.")
    BAD_NUMBER = (
        "bad_number",
        _("The definition holds a number that cannot be read: %(problem)s."),
    )
    NOT_JSON = "not_json", _("The definition is not valid JSON.")


class ConditionError(ErrorCode):
    """The filters of the segment editor, as typed."""

    NO_CONDITIONS = "no_conditions", _("Add at least one filter.")
    CHOICE_MISSING = "choice_missing", _("Choose a value.")
    VALUE_MISSING = "value_missing", _("Enter a value.")
    NO_LIST_VALUES = "no_list_values", _("Enter at least one value.")
    NOT_WHOLE_NUMBER = "not_whole_number", _("Enter a whole number.")
    NOT_AMOUNT = "not_amount", _("Enter an amount such as 10 or 9.99.")


class KnownUserGroupError(ErrorCode):
    """A known user group: its name, its address list, the .csv file it is
    read from and the confirm step of an import."""

    NAME_IMMUTABLE = (
        "name_immutable",
        _("The name of a known user group cannot be changed."),
    )
    BOTH = "both", _("Type the addresses or import a .csv file, not both.")
    INVALID_ADDRESS = (
        "invalid_address",
        _("Address %(position)s: “%(value)s” is not a valid e-mail address."),
    )
    INVALID_ROW = (
        "invalid_row",
        _("Row %(position)s: “%(value)s” is not a valid e-mail address."),
    )
    MORE_INVALID_ADDRESSES = (
        "more_invalid_addresses",
        ngettext_lazy(
            "%(shown)s more invalid address is not listed here.",
            "%(shown)s more invalid addresses are not listed here.",
            "count",
        ),
    )
    NO_ADDRESSES = "no_addresses", _("Enter at least one e-mail address.")
    TOO_MANY = (
        "too_many",
        _(
            "A known user group holds at most %(limit)s addresses; "
            "this list has %(count)s."
        ),
    )
    TOO_BIG = "too_big", _("The file is %(size)s; a .csv file may be at most 1 MB.")
    EMPTY = "empty", _("The file is empty.")
    NOT_TEXT = "not_text", _("This is not a text .csv file (it holds binary data).")
    NOT_UTF8 = (
        "not_utf8",
        _("This file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
    )
    NOT_CSV = "not_csv", _("This file is not valid CSV (%(error)s).")
    EXPIRED = (
        "expired",
        _("This import is too old to confirm. Upload the file again."),
    )
    BAD_SIGNATURE = (
        "bad_signature",
        _("This import could not be verified. Upload the file again."),
    )
    OTHER_GROUP = (
        "other_group",
        _("This import belongs to another group. Upload the file again."),
    )


class ExplainError(ErrorCode):
    """The support form that explains a customer's membership of a segment."""

    NO_CUSTOMER = (
        "no_customer",
        _("No customer has this e-mail address or ID."),
    )


class PersonErasureError(ErrorCode):
    """Erasing a person on request (``services.person_erasure``)."""

    NO_REQUESTER = "no_requester", _("Say who asked for the erasure.")
