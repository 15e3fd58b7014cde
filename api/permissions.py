"""Who may call an endpoint once their token is known."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.errors import TokenError
from api.models import ApiToken


class HasToken(BasePermission):
    """A token of the endpoint's kind was presented (else 401); a read-only
    partner token may only read (else 403)."""

    def has_permission(self, request: Request, view: object) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            raise NotAuthenticated(
                detail=TokenError.NOT_AUTHENTICATED.message,
                code=TokenError.NOT_AUTHENTICATED.value,
            )
        if request.method not in SAFE_METHODS and not token.can_write:
            raise PermissionDenied(
                detail=TokenError.READ_ONLY.message, code=TokenError.READ_ONLY.value
            )
        return True
