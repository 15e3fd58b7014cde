"""Targeted offer pages: the apps, an app's offers with their conversions,
create, edit and delete (product.md §6.4)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import App
from customers.scope import partner_view
from engagement.forms import service_errors_attach
from targeting.forms.offers import OfferForm
from targeting.models import Offer
from targeting.selectors.offers import offer_app_list, offer_list
from targeting.services import offers as services

VIEWER_REFUSAL = gettext_lazy("Viewers cannot change offers.")


def _get_app(request: HttpRequest, app_pk: int) -> App:
    return get_object_or_404(offer_app_list(partner=request.partner), pk=app_pk)


def _get_offer(request: HttpRequest, pk: int) -> Offer:
    return get_object_or_404(offer_list(partner=request.partner), pk=pk)


@partner_view()
def offer_apps(request: HttpRequest) -> HttpResponse:
    """The partner's apps, each with its number of offers."""
    apps = offer_app_list(partner=request.partner)
    return render(request, "targeting/offers/apps.html", {"apps": apps})


@partner_view()
def app_offer_list(request: HttpRequest, app_pk: int) -> HttpResponse:
    """An app's offers: type, add-on, segment (warned when not active) and
    conversions."""
    app = _get_app(request, app_pk)
    offers = offer_list(partner=request.partner, app=app)
    return render(request, "targeting/offers/list.html", {"app": app, "offers": offers})


def _save(request: HttpRequest, *, app: App, offer: Offer | None) -> HttpResponse:
    """Show the form, or save it through the service and go to the list."""
    current = offer.segment if offer else None
    if request.method == "POST":
        form = OfferForm(request.POST, app=app, current=current)
        if form.is_valid():
            try:
                if offer is None:
                    offer = services.offer_create(app=app, **form.cleaned_data)
                else:
                    services.offer_update(offer=offer, **form.cleaned_data)
            except ValidationError as exc:
                service_errors_attach(form=form, error=exc)
            else:
                messages.success(
                    request, _("Offer “%(name)s” saved.") % {"name": offer.name}
                )
                return redirect("targeting:offer_list", app_pk=app.pk)
        status = 400
    else:
        initial = {}
        if offer is not None:
            initial = {
                "name": offer.name,
                "offer_type": offer.offer_type,
                "addon_product_id": offer.addon_product_id,
                "segment": offer.segment_id,
            }
        form = OfferForm(initial=initial, app=app, current=current)
        status = 200
    return render(
        request,
        "targeting/offers/form.html",
        {
            "app": app,
            "offer": offer,
            "form": form,
        },
        status=status,
    )


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def offer_create(request: HttpRequest, app_pk: int) -> HttpResponse:
    """A new offer of the app."""
    return _save(request, app=_get_app(request, app_pk), offer=None)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an offer."""
    offer = _get_offer(request, pk)
    return _save(request, app=offer.app, offer=offer)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def offer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete an offer."""
    offer = _get_offer(request, pk)
    if request.method == "POST":
        services.offer_delete(offer=offer)
        messages.success(request, _("Offer “%(name)s” deleted.") % {"name": offer.name})
        return redirect("targeting:offer_list", app_pk=offer.app_id)
    return render(request, "targeting/offers/delete.html", {"offer": offer})
