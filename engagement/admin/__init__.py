"""Support admin of customer groups, one module per kind of group."""

from engagement.admin import customers, known_user_groups, segments  # noqa: F401
