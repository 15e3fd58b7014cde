from django.urls import path

from engagement.views import groups, known_user_groups, segments

app_name = "engagement"

urlpatterns = [
    path("customer-groups/", groups.customer_groups, name="customer_groups"),
    path("customer-groups/new/", groups.group_create, name="group_create"),
    # Segments
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/estimate/", segments.segment_estimate, name="segment_estimate"),
    path("segments/<int:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segments.segment_edit, name="segment_edit"),
    path(
        "segments/<int:pk>/duplicate/",
        segments.segment_duplicate,
        name="segment_duplicate",
    ),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
    path(
        "segments/<int:pk>/refresh/", segments.segment_refresh, name="segment_refresh"
    ),
    path("segments/<int:pk>/row/", segments.segment_row, name="segment_row"),
    path(
        "segments/<int:pk>/definition.json",
        segments.segment_definition_export,
        name="segment_definition_export",
    ),
    # Known user groups
    path(
        "known-user-groups/new/",
        known_user_groups.known_user_group_create,
        name="known_user_group_create",
    ),
    path(
        "known-user-groups/<int:pk>/",
        known_user_groups.known_user_group_detail,
        name="known_user_group_detail",
    ),
    path(
        "known-user-groups/<int:pk>/edit/",
        known_user_groups.known_user_group_edit,
        name="known_user_group_edit",
    ),
    path(
        "known-user-groups/<int:pk>/import/",
        known_user_groups.known_user_group_import,
        name="known_user_group_import",
    ),
    path(
        "known-user-groups/<int:pk>/export.csv",
        known_user_groups.known_user_group_export,
        name="known_user_group_export",
    ),
]
