"""Read use cases of API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import ApiToken, TokenKind
from customers.models import Partner


def api_token_list(*, partner: Partner) -> QuerySet[ApiToken]:
    """The partner's tokens, newest first, revoked ones included."""
    return ApiToken.objects.filter(
        kind=TokenKind.PARTNER, partner=partner
    ).select_related("created_by", "revoked_by")
