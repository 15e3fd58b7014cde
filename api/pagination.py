"""Cursor pagination (DRF's): pages stay stable while rows are added, and a
page costs one indexed range read however deep it is."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from api.errors import ApiError
from api.exceptions import Invalid


class ApiCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1_000
    ordering = "pk"

    def decode_cursor(self, request: Request):
        """A cursor that cannot be read is the client's mistake: 400, not 404."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise Invalid(
                {
                    self.cursor_query_param: [
                        {
                            "code": ApiError.BAD_CURSOR.value,
                            "message": str(ApiError.BAD_CURSOR.message),
                        }
                    ]
                }
            ) from None


class GroupPagination(ApiCursorPagination):
    ordering = "pk"


class AddressPagination(ApiCursorPagination):
    """A known user group's addresses by e-mail (unique within the group)."""

    page_size = 1_000
    max_page_size = 10_000
    ordering = "email"
