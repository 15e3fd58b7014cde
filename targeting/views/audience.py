"""The audience page of an app: public, or private to known user groups
until an optional date (product.md §6.3)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.scope import editor_required, partner_view
from engagement.forms import service_errors_attach
from targeting.errors import AudienceError
from targeting.forms.audience import PRIVATE, PUBLIC, AudienceForm
from targeting.selectors.audience import audience_get
from targeting.selectors.flights import flight_app_list
from targeting.services import audience as services
from targeting.views.flights import VIEWER_REFUSAL


@partner_view()
def app_audience(request: HttpRequest, app_pk: int) -> HttpResponse:
    """Show the app's audience and change it; viewers see it read-only."""
    app = get_object_or_404(flight_app_list(partner=request.partner), pk=app_pk)
    audience = audience_get(app=app)
    if request.method == "POST":
        editor_required(request, refusal=VIEWER_REFUSAL)
        form = AudienceForm(request.POST, partner=request.partner)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["audience"] == PRIVATE:
                    services.audience_set_private(
                        app=app,
                        groups=data["groups"],
                        make_public_at=data["make_public_at"],
                    )
                else:
                    services.audience_make_public(app=app)
            except ValidationError as exc:
                service_errors_attach(form=form, error=exc)
            else:
                messages.success(request, _("Audience saved."))
                return redirect("targeting:app_audience", app_pk=app.pk)
        status = 400
    else:
        initial = {"audience": PUBLIC}
        if audience is not None and audience.private:
            initial = {
                "audience": PRIVATE,
                "groups": list(audience.groups.all()),
                "make_public_at": audience.make_public_at,
            }
        form = AudienceForm(initial=initial, partner=request.partner)
        status = 200
    published = audience is not None and audience.is_published(timezone.now())
    return render(
        request,
        "targeting/audience.html",
        {
            "app": app,
            "audience": audience,
            "form": form,
            "published": published,
            "once_public": AudienceError.ONCE_PUBLIC.message,
            "readonly": not request.membership.can_edit,
        },
        status=status,
    )
