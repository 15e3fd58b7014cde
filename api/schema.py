"""The token schemes of the OpenAPI document (drf-spectacular extensions,
loaded by ``ApiConfig.ready``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class _BearerScheme(OpenApiAuthenticationExtension):
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": self.description,
        }


class StoreTokenScheme(_BearerScheme):
    target_class = "api.authentication.StoreTokenAuthentication"
    name = "storeToken"
    description = "A store-services token (created by support staff)."


class PartnerTokenScheme(_BearerScheme):
    target_class = "api.authentication.PartnerTokenAuthentication"
    name = "partnerToken"
    description = "A partner token (created by an editor on API tokens)."
