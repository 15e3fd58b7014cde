from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from customers.http import IdConverter
from customers.views import PasswordResetView

# `<id:pk>` in every URL: only ids within bigint's range match (else 404).
# Registered before the includes below import the apps' URLconfs.
register_converter(IdConverter, "id")

admin.site.site_header = _("Customer Groups support")
admin.site.site_title = _("Customer Groups support")

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("engage/", include("engagement.urls")),
    path("engage/", include("targeting.urls")),
    path("engage/", include("notifications.urls")),
    path("api/v1/", include("api.urls")),
    path("settings/", include("api.settings_urls")),
    path("", include("customers.urls")),
]

# Under /api/ these answer JSON (config/errors.py); elsewhere Django's pages.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
