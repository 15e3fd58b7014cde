"""Content negotiation for an endpoint whose body is not JSON (the CSV
export): its errors are JSON whatever ``Accept`` asks, never a 406."""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation


class FirstRenderer(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
