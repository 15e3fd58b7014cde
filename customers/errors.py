"""Error codes of customers, each with its message next to it, once.

A ``ValidationError`` code is a member of one enum per domain (design.md §3),
as Django's forms key ``error_messages`` by code. ``ErrorCode`` is the base
the apps built on customers use too (``engagement.errors``). A call site says
which code and fills the message's placeholders:
``raise NamingError.INVISIBLE_CHARACTER.error(character="U+200B")``.
Tests compare codes, not message text.

Messages a partner reads are translated lazily (msgids as in
``locale/fr``); messages of the import command stay plain English.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    """A ``ValidationError`` code (the member's value) with its message.

    Declare members as ``NAME = "code", message``. The member is the code
    itself (a ``str``), so ``error.code == NamingError.BLANK`` and
    ``error.code == "blank"`` both hold.
    """

    message: str | Promise

    def __new__(cls, code: str, message: str | Promise) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.message = message
        return member

    def error(self, **params: Any) -> ValidationError:
        """Return a ``ValidationError`` of this code; ``params`` fill its message."""
        return ValidationError(self.message, code=self, params=params or None)


class NamingError(ErrorCode):
    """A name shown to people (``customers.names``)."""

    BLANK = "blank", _("Enter a name.")
    CONTROL_CHARACTER = (
        "control_character",
        _(
            "The name holds a control character such as a tab or a "
            "line break (%(character)s); remove it."
        ),
    )
    INVALID_TEXT = (
        "invalid_text",
        _(
            "The name holds %(character)s, left by text that was not "
            "valid UTF-8; type the name again."
        ),
    )
    NO_VISIBLE_CHARACTER = (
        "no_visible_character",
        _("Enter a name with at least one visible character."),
    )
    INVISIBLE_CHARACTER = (
        "invisible_character",
        _("The name holds an invisible character (%(character)s); remove it."),
    )


class AccountError(ErrorCode):
    """Signing in and resetting a password."""

    EMAIL_NOT_SENT = (
        "not_sent",
        _(
            "The e-mail could not be sent. Please try again later, "
            "or ask your administrator to reset your password."
        ),
    )


class RequestError(ErrorCode):
    """A request the page refuses as a whole (``customers.request_size``)."""

    TOO_BIG = (
        "request_too_big",
        _(
            "This page sent more than %(limit)s, more than one request may carry, "
            "so nothing was saved."
        ),
    )


class CustomerFileError(ErrorCode):
    """A customer data file that cannot be imported as a whole (the command's
    messages, in English)."""

    FILE_MISSING = "file_missing", "no such file"
    NOT_A_FILE = "not_a_file", "this is a folder, not a file"
    FILE_UNREADABLE = "file_unreadable", "cannot read the file: %(reason)s"
    FILE_EMPTY = "file_empty", "the file is empty: expected a header line and rows"
    NOT_TEXT = (
        "not_text",
        "not a CSV or JSON lines file: %(detail)s; save it as UTF-8 text",
    )
    NO_HEADER = (
        "no_header",
        "the first line must be a header naming the columns "
        "(email, authenticated, ...); found %(found)s",
    )
    UNKNOWN_COLUMNS = (
        "unknown_columns",
        "unknown columns: %(unknown)s; known columns are %(known)s",
    )
    DUPLICATE_COLUMNS = (
        "duplicate_columns",
        "columns named twice in the header: %(columns)s",
    )
    MISSING_COLUMNS = (
        "missing_columns",
        "required columns missing from the header: %(columns)s",
    )
    NOT_JSONL = (
        "not_jsonl",
        "not a JSON lines file: the first line is not a JSON object; found %(found)s",
    )
    REPORT_IS_INPUT = (
        "report_is_input",
        "the report would overwrite the file being imported",
    )
    REPORT_FOLDER_MISSING = (
        "report_folder_missing",
        "the folder of the report %(report)s does not exist",
    )
