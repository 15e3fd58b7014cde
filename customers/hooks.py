"""Hooks: how customers tells the apps built on it that its data changed.

``customers`` is the ground floor (design.md §2): it imports nothing from
the apps above it. What must follow a change of customer data (cached counts
forgotten, segments recomputed, known user groups linked) belongs to those
apps, so each hook here calls the function that a setting names by dotted
path (or a list of them, called in order), resolved with ``import_string``
on each call:

- ``CUSTOMER_DATA_CHANGED``, after customer data of some apps was written
  (``customer_import``): ``(*, app_ids, since)``;
- ``DEMO_DATA_SEEDED``, after ``seed_demo`` replaced the demo customers:
  ``(*, app, email_suffix)``, to create and compute the demo groups.

Each returns what it did, one line each, for the command to print. A setting
that is unset or empty means nothing builds on customers: nothing is called.
``DEMO_DATA_SEEDED`` names three: engagement's demo groups, then targeting's
demo flights, audience and offers, which use those groups, then the demo
notification channels and a draft.

Why settings rather than a registration in an ``AppConfig.ready()``: the
wiring is one line of configuration that anyone can grep, as with
``AXES_LOCKOUT_CALLABLE``; it does not depend on the order apps are loaded in
or on the callee's module having been imported; a test swaps it with the
``settings`` fixture; and a registry that other apps fill in at start-up is a
signal by another name, which design.md §3 rules out for domain flow (the
caller could not tell who runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from customers.models import App


def _hooks(name: str) -> list[Callable[..., Iterable[str]]]:
    """Return the callables that the setting ``name`` names, in order.

    The setting is one dotted path or a list of them (several apps may build
    on customers); unset or empty means none.
    """
    paths = getattr(settings, name, None) or []
    if isinstance(paths, str):
        paths = [paths]
    return [import_string(path) for path in paths]


def customer_data_changed(*, app_ids: Iterable[int], since: dt.datetime) -> list[str]:
    """Tell the apps built on customers that these apps' customer data changed.

    ``since`` is a moment before the first write: every customer written
    since then is concerned. Return the lines the hook reports.
    """
    app_ids = frozenset(app_ids)
    return [
        line
        for hook in _hooks("CUSTOMER_DATA_CHANGED")
        for line in hook(app_ids=app_ids, since=since)
    ]


def demo_data_seeded(*, app: App, email_suffix: str) -> list[str]:
    """Let the apps built on customers add their demo data for ``app``.

    ``email_suffix`` ends every demo customer's address. Return the lines the
    hook reports.
    """
    return [
        line
        for hook in _hooks("DEMO_DATA_SEEDED")
        for line in hook(app=app, email_suffix=email_suffix)
    ]
