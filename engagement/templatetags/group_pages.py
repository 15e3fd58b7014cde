"""Template filters of the customer group pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from engagement.selectors.segments import segment_refresh_available_at

register = template.Library()


@register.filter
def ago(value: dt.datetime | None) -> str:
    """How long ago, in words: "just now" under a minute (never "0 minutes
    ago"), else the largest unit ("3 hours ago")."""
    if value is None:
        return ""
    if timezone.now() - value < dt.timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def refresh_available_at(segment) -> dt.datetime | None:
    """When the segment's Refresh may be pressed again (None: now)."""
    return segment_refresh_available_at(segment=segment)
