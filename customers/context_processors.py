"""Template context for the dashboard's frame: the user's partners, the
current one, and the left navigation."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from customers.navigation import navigation
from customers.scope import request_membership_current, request_memberships


def current_partner(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The one partner_view chose, from the memberships read once a request.
    current = SimpleLazyObject(lambda: request_membership_current(request))
    return {
        "partner_memberships": SimpleLazyObject(lambda: request_memberships(request)),
        "current_membership": current,
        "navigation": SimpleLazyObject(
            lambda: navigation(
                request=request, partner=current.partner if current else None
            )
        ),
    }
