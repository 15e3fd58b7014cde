"""Partner scope of dashboard views.

Every dashboard page works for one partner: the signed-in user's current one,
chosen from the navbar when they belong to several and kept in the session.
Objects of another partner are looked up through the current partner, so they
answer 404, never 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.models import PartnerMembership
from customers.selectors import partner_membership_list

SESSION_KEY = "current_partner_id"
# What a viewer who tries to change something reads (403).
VIEWER_REFUSAL = gettext_lazy("Viewers cannot change customer groups.")


def request_memberships(request: HttpRequest) -> list[PartnerMembership]:
    """The signed-in user's partner memberships, read once per request: the
    scope and the frame's partner switcher share them."""
    if not hasattr(request, "_partner_memberships"):
        user = request.user
        request._partner_memberships = (
            list(partner_membership_list(user=user)) if user.is_authenticated else []
        )
    return request._partner_memberships


def request_membership_current(request: HttpRequest) -> PartnerMembership | None:
    """The membership for the partner chosen in the session, else the user's
    first one (by partner name), else None."""
    memberships = request_memberships(request)
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.partner_id == chosen:
            return membership
    return memberships[0] if memberships else None


def partner_view(*, editor: bool = False, refusal: str = VIEWER_REFUSAL) -> Callable:
    """Decorate a view that needs a partner membership (an editor's if asked).

    Sets ``request.membership`` and ``request.partner``, and shows times in
    the partner's time zone while the view runs. A user with no
    membership gets a page that says so (403); a viewer calling an editor's
    view (any method: edit, delete and import pages are refused on GET too)
    gets 403 with ``refusal``, shown on the 403 page.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = request_membership_current(request)
            if membership is None:
                return render(request, "customers/no_partner.html", status=403)
            request.membership = membership
            request.partner = membership.partner
            if editor and not membership.can_edit:
                raise PermissionDenied(refusal)
            timezone.activate(request.partner.time_zone)
            try:
                return view(request, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapper

    return decorator


def editor_required(request: HttpRequest, *, refusal: str) -> None:
    """Refuse a viewer's change (403) with ``refusal``, on a view that viewers
    may read (a page that shows a form read-only and saves it on POST)."""
    if not request.membership.can_edit:
        raise PermissionDenied(refusal)
