"""Store-services endpoints: for one app (its Store product ID) and one
customer (e-mail or customer ID), what applies to them; channels; offer
conversions (product.md §6.6). Each answers in a constant number of queries."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.exceptions import invalid_from
from api.selectors import (
    store_app_customer_get,
    store_app_get,
    store_customer_get,
    store_customer_targeting,
)
from api.serializers.errors import errors
from api.serializers.store import (
    ChannelRegisterSerializer,
    ChannelSerializer,
    ConversionReportSerializer,
    ConversionSerializer,
    CustomerRefSerializer,
    TargetingSerializer,
)
from api.views.base import StoreView, not_found
from customers.models import App
from notifications.services.channels import channel_register
from targeting.services.offers import offer_conversion_record

PRODUCT_ID = OpenApiParameter(
    "product_id",
    str,
    OpenApiParameter.PATH,
    description="The app's Store product ID (12 letters and digits).",
    pattern="^[A-Za-z0-9]{12}$",
)
TAGS = ["Store services"]


def _customer_ref(data: dict) -> dict:
    return {name: data.get(name) for name in ("email", "customer_id")}


class _AppView(StoreView):
    def app_get(self, product_id: str) -> App:
        app = store_app_get(product_id=product_id)
        if app is None:
            raise not_found(ApiError.UNKNOWN_APP)
        return app


class TargetingView(_AppView):
    @extend_schema(
        operation_id="store_targeting",
        summary="What applies to one customer of an app",
        description=(
            "The app's active segments the customer is in, the publisher's "
            "known user groups they are a member of, their package flight "
            "(null: the non-flighted package), whether they can see the app, "
            "and their offers in the Store's shape."
        ),
        parameters=[PRODUCT_ID, CustomerRefSerializer],
        responses={200: TargetingSerializer, **errors(400, 401, 404, 429)},
        tags=TAGS,
    )
    def get(self, request: Request, product_id: str) -> Response:
        query = CustomerRefSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        app = self.app_get(product_id)
        customer = store_customer_get(**_customer_ref(query.validated_data))
        if customer is None:
            raise not_found(ApiError.UNKNOWN_CUSTOMER)
        targeting = store_customer_targeting(app=app, customer=customer)
        return Response(TargetingSerializer(targeting).data)


class ChannelView(_AppView):
    @extend_schema(
        operation_id="store_channel_register",
        summary="Register or refresh a notification channel",
        description=(
            "Registers the WNS channel URI the app was given for one of its "
            "customers, or refreshes it: valid 30 days from now, active again."
        ),
        parameters=[PRODUCT_ID],
        request=ChannelRegisterSerializer,
        responses={
            200: ChannelSerializer,
            **errors(400, 401, 404, 413, 415, 429),
        },
        tags=TAGS,
    )
    def post(self, request: Request, product_id: str) -> Response:
        body = ChannelRegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app = self.app_get(product_id)
        ref = _customer_ref(body.validated_data)
        app_customer = store_app_customer_get(app=app, **ref)
        if app_customer is None:
            if store_customer_get(**ref) is None:
                raise not_found(ApiError.UNKNOWN_CUSTOMER)
            raise not_found(ApiError.NOT_APP_CUSTOMER)
        try:
            channel = channel_register(
                app_customer=app_customer, uri=body.validated_data["uri"]
            )
        except ValidationError as exc:
            raise invalid_from(exc, field="uri") from None
        return Response(ChannelSerializer(channel).data)


class ConversionView(StoreView):
    @extend_schema(
        operation_id="store_conversion_report",
        summary="Report an offer conversion",
        description=(
            "Records a purchase of an offered add-on with the tracking ID it "
            "was offered under. Reported again with the same tracking ID, "
            "customer and order ID, it is recorded once: 201 the first time, "
            "200 after."
        ),
        request=ConversionReportSerializer,
        responses={
            200: ConversionSerializer,
            201: ConversionSerializer,
            **errors(400, 401, 404, 413, 415, 429),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = ConversionReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = store_customer_get(**_customer_ref(data))
        if customer is None:
            raise not_found(ApiError.UNKNOWN_CUSTOMER)
        try:
            conversion, created = offer_conversion_record(
                tracking_id=data["tracking_id"],
                addon_product_id=data["addon_product_id"],
                customer=customer,
                occurred_at=data.get("occurred_at"),
                purchase_reference=data["order_id"],
            )
        except ValidationError as exc:
            raise invalid_from(exc) from None
        return Response(
            ConversionSerializer(conversion).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
