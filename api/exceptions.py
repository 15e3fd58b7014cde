"""Every error under ``/api/`` is a JSON body: ``{"code", "message"}``, and
``errors`` for a request that is not valid.

``errors`` maps each field to a list of ``{"code", "message"}``; an address
of a list also carries its ``position`` (from 1) and ``value``. Views turn
a service's Django ``ValidationError`` into ``Invalid`` with
``invalid_from``; DRF's own exceptions are reshaped by
``api_exception_handler``; what Django answers outside DRF (an unknown
address, a crash) is answered by ``api_error_response`` (config/errors.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.errors import ApiError

# The params of a service's error that an API error item repeats as fields.
ITEM_PARAMS = ("position", "value")
NON_FIELD = "non_field_errors"


class Invalid(exceptions.APIException):
    """400 with ``errors`` already in the API's shape."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = ApiError.INVALID.value

    def __init__(self, errors: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(detail=ApiError.INVALID.message, code=ApiError.INVALID.value)
        self.errors = errors


class TooBig(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = ApiError.TOO_BIG.value


def error_body(error: ApiError | str, message: Any, **extra: Any) -> dict[str, Any]:
    return {"code": str(error), "message": str(message), **extra}


def _item(error: DjangoValidationError) -> dict[str, Any]:
    params = error.params or {}
    # Django fills the message from its params, as a form would show it.
    item: dict[str, Any] = {
        "code": str(error.code or "invalid"),
        "message": error.messages[0],
    }
    for name in ITEM_PARAMS:
        if name in params:
            item[name] = params[name]
    return item


def invalid_from(exc: DjangoValidationError, *, field: str = NON_FIELD) -> Invalid:
    """Return the API's 400 for a service's ``ValidationError``: its errors by
    field (``field`` for those not on one), codes and params kept."""
    if hasattr(exc, "error_dict"):
        errors = {
            (NON_FIELD if name == "__all__" else name): [_item(e) for e in items]
            for name, items in exc.error_dict.items()
        }
    else:
        errors = {field: [_item(e) for e in exc.error_list]}
    return Invalid(errors)


def _drf_errors(detail: Any, path: str = "") -> dict[str, list[dict[str, Any]]]:
    """Flatten DRF's nested error details to ``{"field.sub": [items]}``."""
    errors: dict[str, list[dict[str, Any]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key == "non_field_errors" and not path else str(key)
            for sub, items in _drf_errors(
                value, f"{path}.{name}" if path else name
            ).items():
                errors.setdefault(sub, []).extend(items)
    elif isinstance(detail, list):
        for value in detail:
            for sub, items in _drf_errors(value, path).items():
                errors.setdefault(sub, []).extend(items)
    else:
        code = getattr(detail, "code", None) or ApiError.INVALID.value
        errors.setdefault(path or NON_FIELD, []).append(
            {"code": str(code), "message": str(detail)}
        )
    return errors


# DRF's exceptions, by the code their body carries unless raised with ours.
_CODES = {
    exceptions.NotFound: ApiError.NOT_FOUND,
    exceptions.MethodNotAllowed: ApiError.METHOD_NOT_ALLOWED,
    exceptions.ParseError: ApiError.PARSE_ERROR,
    exceptions.UnsupportedMediaType: ApiError.UNSUPPORTED_MEDIA_TYPE,
    exceptions.NotAcceptable: ApiError.NOT_ACCEPTABLE,
    exceptions.PermissionDenied: ApiError.FORBIDDEN,
    exceptions.Throttled: ApiError.THROTTLED,
}


def _message(exc: exceptions.APIException, error: ApiError, context: dict) -> str:
    if error == ApiError.METHOD_NOT_ALLOWED:
        return error.message % {"method": context["request"].method}
    if error == ApiError.THROTTLED:
        return error.message % {"seconds": int(exc.wait or 1)}
    if error == ApiError.PARSE_ERROR:
        return error.message % {"error": exc.detail}
    return str(error.message)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler (status, ``WWW-Authenticate``, ``Retry-After``) with the
    API's body. What DRF leaves unhandled becomes Django's 500, answered as
    JSON by ``config.errors``."""
    if isinstance(exc, DjangoValidationError):
        exc = invalid_from(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Invalid):
        response.data = error_body(ApiError.INVALID, exc.detail, errors=exc.errors)
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            ApiError.INVALID, ApiError.INVALID.message, errors=_drf_errors(exc.detail)
        )
        return response
    error = next((code for kind, code in _CODES.items() if isinstance(exc, kind)), None)
    raised_code = getattr(exc.detail, "code", None)
    if (raised_code and raised_code != exc.default_code) or error is None:
        response.data = error_body(raised_code or exc.default_code, exc.detail)
    else:
        response.data = error_body(error, _message(exc, error, context))
    return response


def api_error_response(error: ApiError, status_code: int) -> JsonResponse:
    """An API error answered outside DRF (Django's 400, 403, 404, 500)."""
    return JsonResponse(error_body(error, error.message), status=status_code)
