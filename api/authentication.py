"""Bearer tokens, one authentication class per kind of client.

A store-services endpoint authenticates with ``StoreTokenAuthentication``
and a partner endpoint with ``PartnerTokenAuthentication``; each refuses
(401) a token of the other kind, a revoked one and an unknown one. The
request's ``auth`` is the ``ApiToken``; its ``user`` stays anonymous: a
token acts for its partner, not for the person who created it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api.errors import TokenError
from api.models import ApiToken, TokenKind
from api.services import api_token_use

KEYWORD = "Bearer"


def _failed(error: TokenError, **params: str) -> AuthenticationFailed:
    message = error.message % params if params else error.message
    return AuthenticationFailed(detail=message, code=error.value)


class _TokenAuthentication(BaseAuthentication):
    kind: str

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != KEYWORD.lower().encode() or len(header) != 2:
            raise _failed(TokenError.MALFORMED)
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise _failed(TokenError.INVALID) from None
        token = api_token_use(key=key)
        if token is None:
            raise _failed(TokenError.INVALID)
        if token.is_revoked:
            raise _failed(TokenError.REVOKED)
        if token.kind != self.kind:
            raise _failed(
                TokenError.WRONG_KIND,
                needed=str(TokenKind(self.kind).label),
                given=str(TokenKind(token.kind).label),
            )
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class StoreTokenAuthentication(_TokenAuthentication):
    kind = TokenKind.STORE


class PartnerTokenAuthentication(_TokenAuthentication):
    kind = TokenKind.PARTNER
