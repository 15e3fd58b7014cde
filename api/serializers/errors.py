"""The error body every API error answers with (api/exceptions.py), for the
schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    position = serializers.IntegerField(
        required=False, help_text="An address's position in the list, from 1."
    )
    value = serializers.CharField(required=False, help_text="The value refused.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable: compare this, not the message.")
    message = serializers.CharField()
    errors = serializers.DictField(
        child=ErrorItemSerializer(many=True),
        required=False,
        help_text="400 only: the problems by field (``addresses`` lists each "
        "invalid address with its position).",
    )


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses an operation documents, by status."""
    described = {
        400: "Not valid: see ``errors``.",
        401: "No token, or one not valid, revoked or of the other kind.",
        403: "A read-only token on a write.",
        404: "Unknown, or another partner's.",
        413: "Body over the limit.",
        415: "Body not JSON.",
        429: "Throttled: wait for ``Retry-After`` seconds.",
    }
    return {
        status: OpenApiResponse(ErrorSerializer, description=described[status])
        for status in statuses
    }
