"""The customer groups' models, a module per kind of group.

Every kind of customer group shares one ``CustomerGroup`` row (multi-table
inheritance, ``groups``); ``segments`` and ``known_user_groups`` hold each
kind's own tables. Callers import from the package.
"""

from engagement.models.groups import CustomerGroup, GroupKind
from engagement.models.known_user_groups import (
    KnownUserGroup,
    KnownUserGroupAddress,
    KnownUserGroupLinkState,
    PersonErasure,
)
from engagement.models.segments import (
    AppStatistics,
    EstimateSample,
    Segment,
    SegmentMembership,
    SegmentRun,
    SegmentStatus,
    SegmentTemplate,
)

__all__ = [
    "AppStatistics",
    "CustomerGroup",
    "EstimateSample",
    "GroupKind",
    "KnownUserGroup",
    "KnownUserGroupAddress",
    "KnownUserGroupLinkState",
    "PersonErasure",
    "Segment",
    "SegmentMembership",
    "SegmentRun",
    "SegmentStatus",
    "SegmentTemplate",
]
