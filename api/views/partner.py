"""Partner endpoints: a partner's groups (counts only for segments, never who
is in one: product.md §6.6), and their known user groups maintained whole."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.exceptions import invalid_from
from api.filters import GroupFilter
from api.negotiation import FirstRenderer
from api.pagination import AddressPagination, ApiCursorPagination
from api.selectors import (
    partner_group_get,
    partner_group_list,
    partner_known_user_group_get,
)
from api.serializers.errors import errors
from api.serializers.partner import (
    AddressesReplacedSerializer,
    AddressesReplaceSerializer,
    AddressSerializer,
    GroupDetailSerializer,
    GroupSerializer,
    KnownUserGroupCreateSerializer,
    group_detail_data,
)
from api.views.base import PartnerView, not_found
from engagement.models import CustomerGroup, KnownUserGroup
from engagement.selectors.known_user_groups import (
    known_user_group_addresses,
)
from engagement.services.known_user_groups import (
    known_user_group_create,
    known_user_group_update,
)
from engagement.views.known_user_groups import known_user_group_export_response

GROUP_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The group's ID."
)
TAGS = ["Partner groups"]


class _GroupView(PartnerView):
    def known_user_group_get(self, pk: int) -> KnownUserGroup:
        group = partner_known_user_group_get(partner=self.partner, pk=pk)
        if group is None:
            raise not_found(ApiError.UNKNOWN_GROUP)
        return group

    def detail(self, pk: int) -> dict:
        group = partner_group_get(partner=self.partner, pk=pk)
        if group is None:
            raise not_found(ApiError.UNKNOWN_GROUP)
        return group_detail_data(group)


class GroupListView(PartnerView, ListAPIView):
    serializer_class = GroupSerializer
    pagination_class = ApiCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = GroupFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return CustomerGroup.objects.none()
        return partner_group_list(partner=self.partner)

    @extend_schema(
        operation_id="groups_list",
        summary="List your groups",
        description=(
            "Segments and known user groups, oldest first, a page at a time "
            "(follow ``next``). A segment's size is null while Small or never "
            "computed; no answer ever names who is in a segment."
        ),
        responses={200: GroupSerializer(many=True), **errors(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class GroupDetailView(_GroupView):
    @extend_schema(
        operation_id="groups_read",
        summary="Read one group",
        description=(
            "A segment with its definition (JSON and words), or a known user "
            "group with its counts of addresses, members and pending ones."
        ),
        parameters=[GROUP_ID],
        responses={200: GroupDetailSerializer, **errors(401, 404, 429)},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.detail(pk))


class KnownUserGroupCreateView(_GroupView):
    @extend_schema(
        operation_id="known_user_groups_create",
        summary="Create a known user group",
        description=(
            "A name (unique among your groups, never changed later) and 1 to "
            "10,000 e-mail addresses; any invalid address and nothing is "
            "saved (each is listed with its position)."
        ),
        request=KnownUserGroupCreateSerializer,
        responses={
            201: GroupDetailSerializer,
            **errors(400, 401, 403, 413, 415, 429),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = KnownUserGroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            group = known_user_group_create(
                partner=self.partner,
                name=body.validated_data["name"],
                addresses=body.validated_data["addresses"],
                user=request.auth.created_by,
            )
        except ValidationError as exc:
            raise invalid_from(exc, field="addresses") from None
        return Response(self.detail(group.pk), status=status.HTTP_201_CREATED)


class AddressesView(_GroupView):
    pagination_class = AddressPagination

    @extend_schema(
        operation_id="known_user_group_addresses_list",
        summary="Export a known user group's addresses",
        description=(
            "``email`` and ``status`` (member: matched to an authenticated "
            "account; pending: not yet), by e-mail, a page at a time (follow "
            "``next``)."
        ),
        parameters=[
            GROUP_ID,
            OpenApiParameter(
                "status",
                str,
                enum=["member", "pending"],
                description="Only members, or only pending addresses.",
            ),
        ],
        responses={200: AddressSerializer(many=True), **errors(400, 401, 404, 429)},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        group = self.known_user_group_get(pk)
        wanted = request.query_params.get("status", "")
        if "status" in request.query_params and wanted not in ("member", "pending"):
            raise invalid_from(ApiError.BAD_STATUS.error(), field="status")
        addresses = known_user_group_addresses(group=group, status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(addresses, request, view=self)
        rows = [
            {"email": a.email, "status": "member" if a.customer_id else "pending"}
            for a in page
        ]
        return paginator.get_paginated_response(AddressSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="known_user_group_addresses_replace",
        summary="Replace a known user group's addresses",
        description=(
            "The list given becomes the group's whole list: addresses not in "
            "it are removed, new ones added and matched to accounts at once. "
            "Any invalid address and nothing changes."
        ),
        parameters=[GROUP_ID],
        request=AddressesReplaceSerializer,
        responses={
            200: AddressesReplacedSerializer,
            **errors(400, 401, 403, 404, 413, 415, 429),
        },
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        group = self.known_user_group_get(pk)
        body = AddressesReplaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change = known_user_group_update(
                group=group,
                addresses=body.validated_data["addresses"],
                user=request.auth.created_by,
            )
        except ValidationError as exc:
            raise invalid_from(exc, field="addresses") from None
        return Response(
            {
                "added": change.added,
                "removed": change.removed,
                "kept": change.kept,
                "group": self.detail(group.pk),
            }
        )


class AddressesCsvView(_GroupView):
    # The body is CSV; an error is JSON whatever the client accepts.
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="known_user_group_addresses_csv",
        summary="Export a known user group's addresses as CSV",
        description=(
            "The dashboard's export: a header, then ``email,status`` by "
            "e-mail; cells a spreadsheet would run as formulas start with "
            "``'``."
        ),
        parameters=[GROUP_ID],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            **errors(401, 404, 429),
        },
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        return known_user_group_export_response(self.known_user_group_get(pk))
