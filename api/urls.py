"""The API under /api/v1/ (README "API"): the OpenAPI document and its
rendered reference, then the store-services and partner endpoints."""

from django.urls import path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularSwaggerView,
)

from api.views import partner, store

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "store/apps/<str:product_id>/targeting",
        store.TargetingView.as_view(),
        name="store_targeting",
    ),
    path(
        "store/apps/<str:product_id>/channels",
        store.ChannelView.as_view(),
        name="store_channels",
    ),
    path("store/conversions", store.ConversionView.as_view(), name="store_conversions"),
    path("groups", partner.GroupListView.as_view(), name="groups"),
    path("groups/<id:pk>", partner.GroupDetailView.as_view(), name="group"),
    path(
        "known-user-groups",
        partner.KnownUserGroupCreateView.as_view(),
        name="known_user_groups",
    ),
    path(
        "known-user-groups/<id:pk>/addresses",
        partner.AddressesView.as_view(),
        name="known_user_group_addresses",
    ),
    path(
        "known-user-groups/<id:pk>/addresses.csv",
        partner.AddressesCsvView.as_view(),
        name="known_user_group_addresses_csv",
    ),
]
