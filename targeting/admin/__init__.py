"""Support admin of targeting, one module per use of groups."""

from targeting.admin import audience, customers, flights, offers  # noqa: F401
