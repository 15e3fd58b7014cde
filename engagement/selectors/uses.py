"""Where a customer group is used: asked of the apps that use groups.

``engagement`` imports nothing from the apps built on it (design.md §2), so
the pages of a group ask each callable that the setting
``CUSTOMER_GROUP_USES`` names (dotted paths, as ``customers/hooks.py`` does):
each takes ``(*, group)`` and returns the ``GroupUse``s of that group. A
use is shown with a link; its own page warns when the group is not active.
Deleting a used group is refused by the database (``PROTECT``) and the
service names the uses; this module only lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from engagement.models import CustomerGroup


@dataclass(frozen=True)
class GroupUse:
    """One use of a group: what it is ("Package flight"), its name and page."""

    kind: str
    name: str
    url: str
    app_name: str


def customer_group_use_list(*, group: CustomerGroup) -> list[GroupUse]:
    """Every use of ``group``, in the order the settings name the callables."""
    uses: list[GroupUse] = []
    for path in getattr(settings, "CUSTOMER_GROUP_USES", ()):
        uses.extend(import_string(path)(group=group))
    return uses
