"""Cursor pagination (DRF's): pages stay stable while rows are added, and a
page costs one indexed range read however deep it is."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from api.errors import ApiError
from api.exceptions import Invalid


def _invalid(param: str, error: ApiError, **params: int) -> Invalid:
    message = error.message % params if params else error.message
    return Invalid({param: [{"code": error.value, "message": str(message)}]})


class ApiCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1_000
    ordering = "pk"

    def get_page_size(self, request: Request) -> int:
        """The page size asked for, or the default; one that is not a whole
        number from 1 to ``max_page_size`` is refused (DRF would quietly use
        the default), so that a client's mistake shows."""
        sent = request.query_params.getlist(self.page_size_query_param)
        if not sent:
            return self.page_size
        try:
            size = int(sent[0])
        except ValueError:
            size = 0
        if len(sent) != 1 or not 1 <= size <= self.max_page_size:
            raise _invalid(
                self.page_size_query_param,
                ApiError.BAD_PAGE_SIZE,
                limit=self.max_page_size,
            )
        return size

    def get_schema_operation_parameters(self, view: object) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = (
                    f"Rows a page: 1 to {self.max_page_size:,} "
                    f"(default {self.page_size:,})."
                )
        return parameters

    def decode_cursor(self, request: Request):
        """A cursor that cannot be read is the client's mistake: 400, not 404."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise _invalid(self.cursor_query_param, ApiError.BAD_CURSOR) from None


class GroupPagination(ApiCursorPagination):
    ordering = "pk"


class AddressPagination(ApiCursorPagination):
    """A known user group's addresses by e-mail (unique within the group)."""

    page_size = 1_000
    max_page_size = 10_000
    ordering = "email"
