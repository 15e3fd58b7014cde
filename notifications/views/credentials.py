"""An app's notification settings: its WNS credentials (product.md §6.5),
the client secret stored encrypted and never shown again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.scope import editor_required, partner_view
from notifications.forms import WnsCredentialsForm
from notifications.selectors import wns_credentials_get
from notifications.services.credentials import wns_credentials_set
from notifications.views.notifications import VIEWER_REFUSAL, get_app


@partner_view()
def app_notification_settings(request: HttpRequest, app_pk: int) -> HttpResponse:
    """Show whether the app's credentials are set; editors set them (both
    fields every time: the secret is never read back to fill the form)."""
    app = get_app(request, app_pk)
    credentials = wns_credentials_get(app=app)
    if request.method == "POST":
        editor_required(request, refusal=VIEWER_REFUSAL)
        form = WnsCredentialsForm(request.POST)
        if form.is_valid():
            wns_credentials_set(
                app=app,
                package_sid=form.cleaned_data["package_sid"],
                client_secret=form.cleaned_data["client_secret"],
                user=request.user,
            )
            messages.success(
                request,
                _("The WNS credentials of %(app)s are saved.") % {"app": app.name},
            )
            return redirect("notifications:app_notification_settings", app_pk=app.pk)
        status = 400
    else:
        initial = {"package_sid": credentials.package_sid} if credentials else {}
        form = WnsCredentialsForm(initial=initial)
        status = 200
    return render(
        request,
        "notifications/settings.html",
        {
            "app": app,
            "credentials": credentials,
            "form": form,
            "readonly": not request.membership.can_edit,
        },
        status=status,
    )
