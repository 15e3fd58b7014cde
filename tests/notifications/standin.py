"""The ``wns_standin`` fixture: a WNS stand-in on a free port of 127.0.0.1.

``tests/notifications/conftest.py`` makes it available to every test of the
folder; elsewhere, import it: ``from tests.notifications.standin import
wns_standin  # noqa: F401``.
"""

from collections.abc import Iterator

import pytest

from notifications.standin import WnsStandin


@pytest.fixture
def wns_standin() -> Iterator[WnsStandin]:
    """A started ``WnsStandin`` (``.token_url``, ``.channel_uri(id)``,
    ``.stats()``, ``.posts()``), stopped after the test."""
    standin = WnsStandin("127.0.0.1", 0).start()
    try:
        yield standin
    finally:
        standin.stop()
