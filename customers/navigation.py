"""The dashboard's left navigation (product.md §6): what it lists and which
entry is the current page.

**Engage** holds Customer groups, Notifications and Targeted offers; then
each of the current partner's apps has Package flights and Audience; last,
**Settings** holds the partner's API tokens. Entries
are named by URL name only (this module imports nothing of the sections), and
an entry whose URL name does not resolve (its app's URLs are not included)
is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Partner
from customers.selectors import partner_app_list

# Pages named here belong to the entry, beside the entry's own page.
ENGAGE = [
    # (URL name, label, URL names of the pages under it)
    ("engagement:customer_groups", _("Customer groups"), ("engagement:",)),
    ("notifications:notification_apps", _("Notifications"), ("notifications:",)),
    ("targeting:offer_apps", _("Targeted offers"), ("targeting:offer",)),
]
APP_ENTRIES = [
    (
        "targeting:app_flight_list",
        _("Package flights"),
        ("targeting:app_flight", "targeting:flight"),
    ),
    ("targeting:app_audience", _("Audience"), ("targeting:app_audience",)),
]
SETTINGS = [
    ("api_settings:token_list", _("API tokens"), ("api_settings:token",)),
]


@dataclass
class Entry:
    label: str
    url: str
    current: bool = False  # this very page: aria-current="page"
    active: bool = False  # this page or a page under it: the active style


@dataclass
class Section:
    label: str
    entries: list[Entry] = field(default_factory=list)


def _entry(
    request: HttpRequest, name: str, label: str, under: tuple, **kwargs: int
) -> Entry | None:
    try:
        url = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None  # its page does not exist (yet)
    match = request.resolver_match
    view = match.view_name if match else ""
    app_pk = kwargs.get("app_pk")
    # The app a page is about: in its URL, or named by a view whose URL
    # holds another id (a flight's edit page sets request.nav_app_pk).
    page_app = match.kwargs.get("app_pk") if match else None
    page_app = page_app or getattr(request, "nav_app_pk", None)
    same_app = app_pk is None or page_app == app_pk
    return Entry(
        label=label,
        url=url,
        current=url == request.path,
        active=bool(same_app and view.startswith(under)),
    )


def navigation(*, request: HttpRequest, partner: Partner | None) -> list[Section]:
    """The sections of the left navigation for ``request``'s page."""
    engage = Section(_("Engage"))
    for name, label, under in ENGAGE:
        entry = _entry(request, name, label, under)
        if entry is not None:
            engage.entries.append(entry)
    sections = [engage]
    if partner is None:
        return sections
    for app in partner_app_list(partner=partner):
        section = Section(app.name)
        for name, label, under in APP_ENTRIES:
            entry = _entry(request, name, label, under, app_pk=app.pk)
            if entry is not None:
                section.entries.append(entry)
        sections.append(section)
    settings = Section(_("Settings"))
    for name, label, under in SETTINGS:
        entry = _entry(request, name, label, under)
        if entry is not None:
            settings.entries.append(entry)
    if settings.entries:
        sections.append(settings)
    return sections
