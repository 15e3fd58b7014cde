"""What every use of known user groups checks about the groups it is given."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from customers.models import App
from engagement.models import KnownUserGroup
from targeting.errors import GroupChoiceError


def known_user_groups_check(
    *, app: App, groups: Iterable[KnownUserGroup]
) -> list[KnownUserGroup]:
    """Return ``groups`` as a list: one or more groups of the app's partner.

    Raises ``ValidationError`` on ``groups`` otherwise.
    """
    groups = list(groups)
    if not groups:
        raise ValidationError({"groups": GroupChoiceError.NO_GROUPS.error()})
    if any(group.partner_id != app.partner_id for group in groups):
        raise ValidationError({"groups": GroupChoiceError.FOREIGN_GROUP.error()})
    return groups
