"""Write use cases of API tokens: create (shown once), revoke, note a use."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.errors import TokenError
from api.models import ApiToken, TokenKind
from api.tokens import token_digest, token_generate, token_shown
from customers.models import Partner
from customers.names import name_clean

logger = logging.getLogger(__name__)


def api_token_create(
    *,
    kind: str,
    name: str,
    partner: Partner | None = None,
    user: AbstractBaseUser | None = None,
    can_write: bool = True,
) -> tuple[ApiToken, str]:
    """Create a token of ``kind`` and return it with the token itself, which
    is never stored and cannot be shown again.

    Raises ``ValidationError`` for a bad name, a partner token without a
    partner, or a store-services token with one.
    """
    if kind == TokenKind.PARTNER and partner is None:
        raise ValidationError({"partner": TokenError.PARTNER_REQUIRED.error()})
    if kind == TokenKind.STORE and partner is not None:
        raise ValidationError({"partner": TokenError.PARTNER_FORBIDDEN.error()})
    try:
        name = name_clean(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from None
    secret = token_generate(kind)
    token = ApiToken(
        kind=kind,
        partner=partner,
        name=name,
        can_write=can_write if kind == TokenKind.PARTNER else True,
        prefix=token_shown(secret),
        key_hash=token_digest(secret),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    token.full_clean()
    token.save()
    logger.info(
        "api_token_created token=%s kind=%s partner=%s",
        token.pk,
        kind,
        partner.pk if partner else None,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: AbstractBaseUser | None = None) -> None:
    """Revoke a token for good: it is refused from the next request on.

    Raises ``ValidationError`` (``already_revoked``) if it was.
    """
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=user if user is not None and user.is_authenticated else None,
    )
    if not revoked:
        raise TokenError.ALREADY_REVOKED.error()
    token.refresh_from_db()
    logger.info("api_token_revoked token=%s", token.pk)


def api_token_use(*, key: str, now: dt.datetime | None = None) -> ApiToken | None:
    """Return the token whose digest matches ``key`` (revoked or not), or None,
    and note its use: ``last_used_at`` is written at most once per
    ``API_TOKEN_LAST_USED_SECONDS``, so a busy token costs one read a request,
    not a write."""
    token = (
        ApiToken.objects.select_related("partner")
        .filter(key_hash=token_digest(key))
        .first()
    )
    if token is None or token.is_revoked:
        return token
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.API_TOKEN_LAST_USED_SECONDS)
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
