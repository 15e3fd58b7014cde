"""Walk the project's URLconf: every route, a path for it, isolated requests.

Used by the tests that send hostile input to every URL (malformed ids,
off-site ``next``). The admin is left out: it is Django's, for staff only.
"""

from __future__ import annotations

import copy
import re

from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from api.services import api_token_create
from engagement.services.segments import segment_create
from notifications.services.notifications import notification_save_draft
from targeting.services.flights import flight_create
from tests.factories import known_user_group

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
SPEND_OVER_1 = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 1}]}],
}


def routes(patterns=None, prefix: str = "", namespace: str = ""):
    """Yield ``(route, name)`` for every URL pattern outside the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else ""
            yield from routes(pattern.url_patterns, route, inner or namespace)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}"


def path_parameters(route: str) -> list[str]:
    return PATH_PARAMETER.findall(route)


def path_for(route: str, values: dict[str, str]) -> str:
    """The URL path of ``route`` with each parameter replaced by its value."""
    return "/" + PATH_PARAMETER.sub(lambda m: values[m.group(1)], route)


def valid_path_values(route: str, name: str, ids: dict[str, int]) -> dict[str, str]:
    """A value for each path parameter: the id of an existing object.

    ``ids`` maps a URL name prefix (``engagement:segment``) to an object's id;
    parameters of other routes (the password reset token) get a placeholder.
    """
    owner = next((prefix for prefix in ids if name.startswith(f"{prefix}_")), None)
    # An app's page named after what it makes ("notifications:notification_
    # create") takes its namespace's app.
    app = ids.get(f"{name.partition(':')[0]}:app")
    values = {}
    for parameter in path_parameters(route):
        if parameter == "app_pk" and app:
            values[parameter] = str(app)
        else:
            values[parameter] = str(ids[owner]) if owner else "x"
    return values


def objects_to_walk(*, partner, app, user) -> dict[str, int]:
    """Create a segment, a known user group, a flight, a notification draft
    and a partner API token for the path parameters.

    Returns their ids keyed by the prefix of their URL names, as
    ``valid_path_values`` takes them.
    """
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_1, user=user
    )
    group = known_user_group(partner=partner, emails=["a@mail.example"], user=user)
    flight = flight_create(app=app, name="Beta", groups=[group], version="1.0.0.0")
    notification = notification_save_draft(
        app=app,
        values={
            "name": "Spring sale",
            "template_type": "blank",
            "title": "Spring sale",
            "text": "Everything at half price.",
            "audience": "known_user_group",
            "group": group,
        },
        user=user,
    )
    token, _secret = api_token_create(
        kind="partner", partner=partner, name="CRM sync", user=user
    )
    return {
        "api_settings:token": token.pk,
        "engagement:segment": segment.pk,
        "engagement:known_user_group": group.pk,
        "targeting:app": app.pk,
        "targeting:flight": flight.pk,
        "notifications:app": app.pk,
        "notifications:notification": notification.pk,
    }


def request_rolled_back(client: Client, method: str, path: str, data=None, **extra):
    """Send a request whose writes are undone, and keep the client signed in.

    A delete, a sign-out or a partner switch would otherwise change what the
    next request of the walk sees.
    """
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = getattr(client, method)(path, data or {}, **extra)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response
