"""Template context for customer group pages."""

from django.conf import settings
from django.http import HttpRequest


def segment_rules(request: HttpRequest) -> dict:
    """The privacy floor: templates show Small below it, never the number."""
    return {"min_size": settings.SEGMENT_MIN_SIZE}
