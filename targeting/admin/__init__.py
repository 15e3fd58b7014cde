"""Support admin of targeting, one module per use of groups."""

from targeting.admin import offers  # noqa: F401
