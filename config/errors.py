"""Django's error views, answered as JSON under ``/api/``: an API client
never gets an HTML page (a wrong address, a crash, a refused request)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from api.errors import ApiError
from api.exceptions import api_error_response

API_PREFIX = "/api/"


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return api_error_response(ApiError.BAD_REQUEST, 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return api_error_response(ApiError.FORBIDDEN, 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return api_error_response(ApiError.NOT_FOUND, 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return api_error_response(ApiError.SERVER_ERROR, 500)
    return defaults.server_error(request)
