"""Requests counted per token (``API_THROTTLE_RATES``, by kind of token).

DRF's ``SimpleRateThrottle`` keeps the counts in the default cache: shared by
every process when ``CACHE_URL`` points at Redis, per process otherwise.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Throttle each token at its kind's rate; a request without a token is
    refused before any throttle (401), so it is not counted."""

    def allow_request(self, request: Request, view: object) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        self.scope = token.kind
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        # Read at each request (not at import, as DRF's class attribute is),
        # so that a changed setting takes effect.
        return settings.API_THROTTLE_RATES.get(getattr(self, "scope", ""))

    def get_cache_key(self, request: Request, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
