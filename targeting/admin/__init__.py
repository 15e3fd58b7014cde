"""Support admin of targeting, one module per use."""

from targeting.admin import audience, flights  # noqa: F401
