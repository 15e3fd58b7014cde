"""Package flight pages: an app's flights in rank order above the
non-flighted package, create, edit, move up / down and delete
(product.md §6.2), and checking which flight an e-mail address would get.
Moves and checks are plain form submits."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.models import App
from customers.scope import partner_view
from engagement.forms import service_errors_attach
from targeting.forms.check import CustomerCheckForm
from targeting.forms.flights import FlightForm, FlightMoveForm
from targeting.models import NON_FLIGHTED_RANK, Flight, FlightMove
from targeting.selectors.check import customer_check
from targeting.selectors.flights import (
    flight_app_list,
    flight_list,
    flight_list_for_partner,
)
from targeting.services import flights as services

VIEWER_REFUSAL = gettext_lazy("Viewers cannot change package flights or audiences.")


def _get_app(request: HttpRequest, app_pk: int) -> App:
    return get_object_or_404(flight_app_list(partner=request.partner), pk=app_pk)


def _get_flight(request: HttpRequest, pk: int) -> Flight:
    return get_object_or_404(flight_list_for_partner(partner=request.partner), pk=pk)


def _to_list(flight: Flight) -> HttpResponse:
    return redirect("targeting:app_flight_list", app_pk=flight.app_id)


@partner_view()
def flight_apps(request: HttpRequest) -> HttpResponse:
    """The partner's apps, each with its number of flights."""
    apps = flight_app_list(partner=request.partner)
    return render(request, "targeting/flights/apps.html", {"apps": apps})


@partner_view()
def app_flight_list(request: HttpRequest, app_pk: int) -> HttpResponse:
    """The app's flights, highest rank first, and the non-flighted package
    last as #1; with an ``email``, which of them that address would get.

    An htmx check (target ``customer-check``) gets the check's part only.
    """
    app = _get_app(request, app_pk)
    check_form = CustomerCheckForm(request.GET if "email" in request.GET else None)
    check = None
    if check_form.is_valid():
        check = customer_check(app=app, email=check_form.cleaned_data["email"])
    context = {"app": app, "check_form": check_form, "check": check}
    if request.htmx and request.htmx.target == "customer-check":
        return render(request, "targeting/flights/_check.html", context)
    return render(
        request, "targeting/flights/list.html", {**context, **_table_context(app)}
    )


def _table_context(app: App) -> dict:
    """What the flights table shows: the flights, highest first, and ranks."""
    flights = list(flight_list(app=app))
    return {
        "app": app,
        "flights": flights,
        "top_rank": flights[0].rank if flights else None,
        "non_flighted_rank": NON_FLIGHTED_RANK,
    }


def _save(request: HttpRequest, *, app: App, flight: Flight | None) -> HttpResponse:
    """Show the form, or save it through the service and go to the list."""
    if request.method == "POST":
        form = FlightForm(request.POST, partner=request.partner)
        if form.is_valid():
            try:
                if flight is None:
                    flight = services.flight_create(app=app, **form.cleaned_data)
                else:
                    services.flight_update(flight=flight, **form.cleaned_data)
            except ValidationError as exc:
                service_errors_attach(form=form, error=exc)
            else:
                messages.success(
                    request, _("Flight “%(name)s” saved.") % {"name": flight.name}
                )
                return _to_list(flight)
        status = 400
    else:
        initial = {}
        if flight is not None:
            initial = {
                "name": flight.name,
                "groups": list(flight.groups.all()),
                "version": flight.version,
                "rollout_percentage": flight.rollout_percentage,
            }
        form = FlightForm(initial=initial, partner=request.partner)
        status = 200
    return render(
        request,
        "targeting/flights/form.html",
        {
            "app": app,
            "flight": flight,
            "form": form,
        },
        status=status,
    )


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def app_flight_create(request: HttpRequest, app_pk: int) -> HttpResponse:
    """A new flight of the app; it ranks highest."""
    return _save(request, app=_get_app(request, app_pk), flight=None)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def flight_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a flight."""
    flight = _get_flight(request, pk)
    request.nav_app_pk = flight.app_id  # the navigation marks the app's flights
    return _save(request, app=flight.app, flight=flight)


@require_POST
@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def flight_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a flight one rank up or down, then show the list."""
    flight = _get_flight(request, pk)
    form = FlightMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Move a flight up or down."))
    direction = form.cleaned_data["direction"]
    services.flight_move(flight=flight, direction=direction)
    if not request.htmx:
        return _to_list(flight)
    # The table is swapped in place; the moved flight's button keeps the
    # focus, or its other button when that one is now disabled (at an end).
    context = _table_context(flight.app)
    order = [f.pk for f in context["flights"]]  # highest rank first
    end = order[0] if direction == FlightMove.UP else order[-1]
    at_end = flight.pk == end
    opposite = FlightMove.DOWN if direction == FlightMove.UP else FlightMove.UP
    focus = opposite if at_end else direction
    context["moved"] = {"pk": flight.pk, "focus": str(focus)}
    return render(request, "targeting/flights/_table.html", context)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def flight_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete a flight; the flights above it move down."""
    flight = _get_flight(request, pk)
    request.nav_app_pk = flight.app_id  # the navigation marks the app's flights
    if request.method == "POST":
        services.flight_delete(flight=flight)
        messages.success(
            request, _("Flight “%(name)s” deleted.") % {"name": flight.name}
        )
        return _to_list(flight)
    return render(request, "targeting/flights/delete.html", {"flight": flight})
