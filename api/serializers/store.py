"""What store services send and get back (product.md §6.6)."""

from __future__ import annotations

from rest_framework import serializers

from api.errors import ApiError
from customers.http import MAX_ID

# How the Store names a customer: exactly one of the two.
CUSTOMER_FIELDS = ("email", "customer_id")


class CustomerRefSerializer(serializers.Serializer):
    """One customer, by e-mail address or by customer ID."""

    email = serializers.EmailField(
        required=False, max_length=254, help_text="The customer's e-mail address."
    )
    customer_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Customer ID."
    )

    def validate(self, attrs: dict) -> dict:
        if sum(attrs.get(name) is not None for name in CUSTOMER_FIELDS) != 1:
            raise serializers.ValidationError(
                ApiError.ONE_CUSTOMER.message, code=ApiError.ONE_CUSTOMER.value
            )
        return attrs


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AppSerializer(serializers.Serializer):
    store_product_id = serializers.CharField()
    name = serializers.CharField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()


class FlightSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    package_version = serializers.CharField(source="version")
    rank = serializers.IntegerField()


class OfferEntrySerializer(serializers.Serializer):
    offers = serializers.ListField(
        child=serializers.CharField(), help_text="Add-on Store product IDs."
    )
    trackingId = serializers.UUIDField(
        help_text="Report a purchase of one of these add-ons with it."
    )


class TargetingSerializer(serializers.Serializer):
    """What applies to one customer of one app."""

    app = AppSerializer()
    customer = CustomerSerializer()
    acquired = serializers.BooleanField(help_text="The customer acquired the app.")
    segments = NamedSerializer(
        many=True, help_text="The app's active segments the customer is in."
    )
    known_user_groups = NamedSerializer(
        many=True, help_text="The publisher's known user groups the customer is in."
    )
    flight = FlightSerializer(
        allow_null=True,
        help_text="The package flight they get; null: the non-flighted package.",
    )
    visible = serializers.BooleanField(help_text="The customer can see the app.")
    offers = OfferEntrySerializer(many=True)


class ChannelRegisterSerializer(CustomerRefSerializer):
    uri = serializers.CharField(
        max_length=2048, help_text="The WNS channel URI the app was given."
    )


class ChannelSerializer(serializers.Serializer):
    uri = serializers.CharField()
    registered_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class ConversionReportSerializer(CustomerRefSerializer):
    tracking_id = serializers.UUIDField(help_text="The offer entry's trackingId.")
    addon_product_id = serializers.CharField(
        max_length=12, help_text="The add-on purchased (Store product ID)."
    )
    order_id = serializers.CharField(
        max_length=100,
        help_text="The Store's order: a report sent again is recorded once.",
    )
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When it was purchased; now if left out."
    )


class ConversionSerializer(serializers.Serializer):
    tracking_id = serializers.UUIDField(source="tracking.tracking_id")
    addon_product_id = serializers.CharField()
    customer_id = serializers.IntegerField()
    order_id = serializers.CharField(source="purchase_reference")
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
