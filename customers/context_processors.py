"""Template context for the dashboard's frame: the user's partners, the
current one, and the left navigation."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from customers.navigation import navigation
from customers.scope import SESSION_KEY
from customers.selectors import partner_membership_current, partner_membership_list


def current_partner(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def membership():
        # Set by partner_view; looked up only on other pages (a 404, say).
        if hasattr(request, "membership"):
            return request.membership
        return partner_membership_current(
            user=user, partner_id=request.session.get(SESSION_KEY)
        )

    current = SimpleLazyObject(membership)
    return {
        "partner_memberships": SimpleLazyObject(
            lambda: list(partner_membership_list(user=user))
        ),
        "current_membership": current,
        "navigation": SimpleLazyObject(
            lambda: navigation(
                request=request, partner=current.partner if current else None
            )
        ),
    }
