"""Hooks: how customers tells the apps built on it that its data changed.

``customers`` is the ground floor (design.md §2): it imports nothing from
the apps above it. What must follow a change of customer data (cached counts
forgotten, segments recomputed, known user groups linked) belongs to those
apps, so each hook here calls the function that a setting names by dotted
path, resolved with ``import_string`` on each call:

- ``CUSTOMER_DATA_CHANGED``, after customer data of some apps was written
  (``customer_import``): ``(*, app_ids, since)``;
- ``DEMO_DATA_SEEDED``, after ``seed_demo`` replaced the demo customers:
  ``(*, app, email_suffix)``, to create and compute the demo groups.

Each returns what it did, one line each, for the command to print. A setting
that is unset or empty means nothing builds on customers: nothing is called.

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


def _hook(name: str) -> Callable[..., Iterable[str]] | None:
    """Return the callable that the setting ``name`` names, or None if unset."""
    path = getattr(settings, name, None)
    return import_string(path) if path else None


def customer_data_changed(*, app_ids: Iterable[int], since: dt.datetime) -> list[str]:
    """Tell the apps built on customers that these apps' customer data changed.

    ``since`` is a moment before the first write: every customer written
    since then is concerned. Return the lines the hook reports.
    """
    hook = _hook("CUSTOMER_DATA_CHANGED")
    if hook is None:
        return []
    return list(hook(app_ids=frozenset(app_ids), since=since))


def demo_data_seeded(*, app: App, email_suffix: str) -> list[str]:
    """Let the apps built on customers add their demo data for ``app``.

    ``email_suffix`` ends every demo customer's address. Return the lines the
    hook reports.
    """
    hook = _hook("DEMO_DATA_SEEDED")
    if hook is None:
        return []
    return list(hook(app=app, email_suffix=email_suffix))
