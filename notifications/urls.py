from django.urls import path

from notifications.views import credentials, notifications

app_name = "notifications"

urlpatterns = [
    path("notifications/", notifications.notification_apps, name="notification_apps"),
    path(
        "apps/<id:app_pk>/notifications/",
        notifications.app_notification_list,
        name="app_notification_list",
    ),
    path(
        "apps/<id:app_pk>/notifications/new/",
        notifications.notification_create,
        name="notification_create",
    ),
    path(
        "apps/<id:app_pk>/notifications/settings/",
        credentials.app_notification_settings,
        name="app_notification_settings",
    ),
    path(
        "notifications/<id:pk>/",
        notifications.notification_detail,
        name="notification_detail",
    ),
    path(
        "notifications/<id:pk>/edit/",
        notifications.notification_edit,
        name="notification_edit",
    ),
    path(
        "notifications/<id:pk>/send/",
        notifications.notification_schedule,
        name="notification_schedule",
    ),
    path(
        "notifications/<id:pk>/cancel/",
        notifications.notification_cancel,
        name="notification_cancel",
    ),
]
