"""What every API view shares: a capped body, a token of one kind, and the
errors a service raises turned into the API's 400."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView

from api.authentication import PartnerTokenAuthentication, StoreTokenAuthentication
from api.errors import ApiError
from api.exceptions import TooBig
from api.permissions import HasToken


def not_found(error: ApiError) -> NotFound:
    return NotFound(detail=error.message, code=error.value)


class ApiView(APIView):
    """Refuse a body over ``API_MAX_BODY_BYTES`` (413) before anything reads
    it, then authenticate, check and throttle as DRF does."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.API_MAX_BODY_BYTES
        if length > limit:
            raise TooBig(
                detail=ApiError.TOO_BIG.message % {"limit": f"{limit:,}"},
                code=ApiError.TOO_BIG.value,
            )
        super().initial(request, *args, **kwargs)


class StoreView(ApiView):
    """An endpoint for store services' tokens only."""

    authentication_classes = [StoreTokenAuthentication]
    permission_classes = [HasToken]


class PartnerView(ApiView):
    """An endpoint for partner tokens only; ``self.partner`` is the token's."""

    authentication_classes = [PartnerTokenAuthentication]
    permission_classes = [HasToken]

    @property
    def partner(self):
        return self.request.auth.partner
