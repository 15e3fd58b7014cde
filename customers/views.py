"""Dashboard entry points shared by every section: home and partner switch."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from customers.http import id_or_404, redirect_target
from customers.scope import SESSION_KEY, partner_view
from customers.selectors import partner_membership_list


@partner_view()
def home(request: HttpRequest) -> HttpResponse:
    return redirect("engagement:customer_groups")


@require_POST
def partner_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the user's partners the current one (404 if not theirs)."""
    membership = get_object_or_404(
        partner_membership_list(user=request.user),
        partner_id=id_or_404(request.POST.get("partner")),
    )
    request.session[SESSION_KEY] = membership.partner_id
    # Pages of the previous partner's objects would 404: go to the section home.
    return redirect(
        redirect_target(request, url=request.POST.get("next"), fallback="home")
    )
