"""The project's URLs plus a stand-in Notifications page: the navigation
shows an entry only once its page exists (tests/test_frame.py)."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from targeting.urls import urlpatterns as targeting_urlpatterns


def notifications(request):
    return HttpResponse("Notifications")


urlpatterns = [
    pattern
    for pattern in project_urlpatterns
    if getattr(pattern, "namespace", None) != "targeting"
] + [
    path(
        "engage/",
        include(
            (
                [
                    *targeting_urlpatterns,
                    path("notifications/", notifications, name="notification_apps"),
                ],
                "targeting",
            )
        ),
    ),
]
