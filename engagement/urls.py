from django.urls import path

from engagement.views import groups, known_user_groups, segments

app_name = "engagement"

urlpatterns = [
    path("customer-groups/", groups.customer_groups, name="customer_groups"),
    path("customer-groups/new/", groups.group_create, name="group_create"),
    # Segments
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/estimate/", segments.segment_estimate, name="segment_estimate"),
    path("segments/<id:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<id:pk>/edit/", segments.segment_edit, name="segment_edit"),
    path(
        "segments/<id:pk>/duplicate/",
        segments.segment_duplicate,
        name="segment_duplicate",
    ),
    path("segments/<id:pk>/delete/", segments.segment_delete, name="segment_delete"),
    path("segments/<id:pk>/refresh/", segments.segment_refresh, name="segment_refresh"),
    path("segments/<id:pk>/row/", segments.segment_row, name="segment_row"),
    path(
        "segments/<id:pk>/definition.json",
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
        "known-user-groups/<id:pk>/",
        known_user_groups.known_user_group_detail,
        name="known_user_group_detail",
    ),
    path(
        "known-user-groups/<id:pk>/edit/",
        known_user_groups.known_user_group_edit,
        name="known_user_group_edit",
    ),
    path(
        "known-user-groups/<id:pk>/import/",
        known_user_groups.known_user_group_import,
        name="known_user_group_import",
    ),
    path(
        "known-user-groups/<id:pk>/export.csv",
        known_user_groups.known_user_group_export,
        name="known_user_group_export",
    ),
]
