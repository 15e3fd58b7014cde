"""Error codes of the API, each with its message.

As in ``engagement.errors``: every error body the API sends carries a stable
``code`` (a member's value) and its message; clients compare codes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.errors import ErrorCode


class TokenError(ErrorCode):
    """Creating, revoking and presenting API tokens (``services``,
    ``authentication``)."""

    PARTNER_REQUIRED = "partner_required", _("A partner token needs its partner.")
    PARTNER_FORBIDDEN = (
        "partner_forbidden",
        _("A store-services token belongs to no partner."),
    )
    ALREADY_REVOKED = "already_revoked", _("This token was already revoked.")
    NOT_AUTHENTICATED = (
        "not_authenticated",
        _("Send a token: Authorization: Bearer <token>."),
    )
    MALFORMED = (
        "malformed_token",
        _("The Authorization header must read: Bearer <token>."),
    )
    INVALID = "invalid_token", _("This token is not valid.")
    REVOKED = "revoked_token", _("This token was revoked.")
    WRONG_KIND = (
        "wrong_token_kind",
        _("This endpoint needs a %(needed)s token, not a %(given)s token."),
    )
    READ_ONLY = (
        "read_only_token",
        _("This token can read groups only: create one that can change them."),
    )


class ApiError(ErrorCode):
    """What a request as a whole did wrong (``exceptions``, ``views``)."""

    INVALID = "invalid", _("The request is not valid: see errors.")
    NOT_FOUND = "not_found", _("Nothing is found at this address.")
    METHOD_NOT_ALLOWED = (
        "method_not_allowed",
        _("Method %(method)s is not allowed here."),
    )
    TOO_BIG = (
        "too_big",
        _("The request body is over the limit of %(limit)s bytes."),
    )
    THROTTLED = (
        "throttled",
        _("Too many requests with this token: try again in %(seconds)s s."),
    )
    PARSE_ERROR = "parse_error", _("The request body is not valid JSON: %(error)s")
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupported_media_type",
        _("Send the body as application/json."),
    )
    NOT_ACCEPTABLE = (
        "not_acceptable",
        _("This resource cannot answer in the media type asked for."),
    )
    SERVER_ERROR = (
        "server_error",
        _("Something went wrong on our side; it has been logged."),
    )
    BAD_REQUEST = "bad_request", _("The request could not be read.")
    FORBIDDEN = "forbidden", _("This token may not do this.")
    ONE_CUSTOMER = (
        "one_customer",
        _("Name the customer by e-mail or by customer ID: one of the two."),
    )
    UNKNOWN_APP = "unknown_app", _("No app has this Store product ID.")
    UNKNOWN_CUSTOMER = "unknown_customer", _("No customer matches.")
    NOT_APP_CUSTOMER = (
        "not_app_customer",
        _("This customer has not acquired the app."),
    )
    UNKNOWN_GROUP = "unknown_group", _("None of your groups has this ID.")
    BAD_CURSOR = "bad_cursor", _("This cursor is not valid.")
    BAD_STATUS = "bad_status", _("Choose member or pending.")
    BLANK = "blank", _("Give this parameter a value, or leave it out.")
    BAD_PAGE_SIZE = (
        "bad_page_size",
        _("The page size must be a whole number from 1 to %(limit)s."),
    )
