"""Fixtures of the notifications tests."""

from tests.notifications.standin import wns_standin  # noqa: F401
