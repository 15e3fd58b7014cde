"""Template context for the navbar: the user's partners and the current one."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from customers.selectors import partner_membership_list


def current_partner(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "partner_memberships": SimpleLazyObject(
            lambda: list(partner_membership_list(user=user))
        ),
        "current_membership": getattr(request, "membership", None),
    }
