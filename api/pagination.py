"""Cursor pagination (DRF's): pages stay stable while rows are added, and a
page costs one indexed range read however deep it is.

A cursor is the client's to send back, so it is read as untrusted input: a
position that its ordering column could not hold (a pk that is not a whole
number in range, an address with a NUL) is a 400, never a database error.
"""

from __future__ import annotations

from base64 import b64decode
from urllib import parse

from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from api.errors import ApiError
from api.exceptions import invalid_from
from customers.http import MAX_ID


class ApiCursorPagination(CursorPagination):
    """Rows by primary key, 100 a page (the partner's groups)."""

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
            raise invalid_from(
                ApiError.BAD_PAGE_SIZE.error(limit=self.max_page_size),
                field=self.page_size_query_param,
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

    def position_valid(self, position: str) -> bool:
        """Whether the ordering column could hold ``position``: here a pk."""
        return position.isascii() and position.isdigit() and int(position) <= MAX_ID

    def decode_cursor(self, request: Request) -> Cursor | None:
        """Read the cursor as DRF does; one that cannot be read, or whose
        position the ordering column could not hold, is the client's
        mistake: 400, not DRF's 404 nor a database error."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(text, keep_blank_values=True)
            offset = int(tokens.get("o", ["0"])[0])
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError):
            raise invalid_from(
                ApiError.BAD_CURSOR.error(), field=self.cursor_query_param
            ) from None
        if not 0 <= offset <= self.offset_cutoff or (
            position is not None and not self.position_valid(position)
        ):
            raise invalid_from(
                ApiError.BAD_CURSOR.error(), field=self.cursor_query_param
            )
        return Cursor(offset=offset, reverse=reverse, position=position)


class AddressPagination(ApiCursorPagination):
    """A known user group's addresses by e-mail (unique within the group)."""

    page_size = 1_000
    max_page_size = 10_000
    ordering = "email"

    def position_valid(self, position: str) -> bool:
        return len(position) <= 254 and "\x00" not in position
