"""Every URL answers a malformed id with 400 or 404, never with a 500.

The walk resolves the project's URLconf (the admin aside) and sends each
hostile value in each id position: the path's parameters, each id-like query
parameter (GET) and body parameter (POST), and all of them at once (GET and
POST), each with and without htmx, signed in as an editor. On PostgreSQL a
number past bigint is a ``DataError``; on SQLite an ``OverflowError``.
"""

import re
from pathlib import Path

import pytest
from django import forms
from django.urls import reverse
from django_filters import FilterSet

from engagement.forms.segments import PREFIX
from tests import url_walk

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_IDS = ("abc", "-1", "99999999999999999999", "")
# Where views read an id, a number or an index: the query string (filters,
# pages) and the body (forms, the editor's rows and structural actions).
QUERY_PARAMETERS = ("app", "page", "template", "kind", "status")
BODY_PARAMETERS = (
    "app",
    "partner",
    f"{PREFIX}-TOTAL_FORMS",
    f"{PREFIX}-0-block",
    "groups",
    "rollout_percentage",
    "segment",
    "known_user_group",
)
ACTION_VERBS = ("add_filter", "remove_filter", "remove_block")
# Read by views, but not an id: checked by the redirect walk, or plain words
# (q: the text of a search; state: what a poll already shows; a notification
# template's name and the title and text it fills; confirmed: "1" or not).
NOT_IDS = {
    "next",
    "action",
    "state",
    "q",
    "template_type",
    "title",
    "text",
    "confirmed",
}
HTMX = ({}, {"HX-Request": "true"})
READS = re.compile(r"""request\.(GET|POST)(?:\.get|\.getlist)?[(\[]\s*["'](\w+)""")

ROUTES = sorted(url_walk.routes())


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _numeric_fields(cls) -> set[str]:
    fields = getattr(cls, "base_fields", None) or getattr(cls, "base_filters", {})
    return {
        f"{PREFIX}-0-{name}" if name == "block" else name
        for name, field in fields.items()
        if issubclass(
            getattr(field, "field_class", type(field)),
            (forms.ModelChoiceField, forms.IntegerField),
        )
    }


def _ours(cls) -> bool:
    module = cls.__module__
    return (
        module.startswith(("customers.", "engagement.", "targeting.", "notifications."))
        and ".admin" not in module
    )


def test_the_walk_covers_every_parameter_our_views_read():
    """A view that starts reading a new id parameter must join the walk."""
    query, body = set(), set()
    for path in [
        *ROOT.glob("customers/*.py"),
        *ROOT.glob("engagement/views/*.py"),
        *ROOT.glob("targeting/views/*.py"),
        *ROOT.glob("notifications/views/*.py"),
        ROOT / "api" / "views" / "tokens.py",
    ]:
        for method, name in READS.findall(path.read_text()):
            (query if method == "GET" else body).add(name)
    for cls in _subclasses(FilterSet):
        if _ours(cls):
            query |= _numeric_fields(cls)
    for cls in _subclasses(forms.BaseForm):
        if _ours(cls):
            body |= _numeric_fields(cls)
    assert query - NOT_IDS <= set(QUERY_PARAMETERS)
    assert body - NOT_IDS <= set(BODY_PARAMETERS)
    assert len(ROUTES) > 20


@pytest.fixture
def ids(partner, app, editor):
    return url_walk.objects_to_walk(partner=partner, app=app, user=editor)


def _cases(route: str, name: str, ids: dict):
    """Yield ``(method, path, data)``: each hostile value in each id position."""
    valid = url_walk.valid_path_values(route, name, ids)
    path = url_walk.path_for(route, valid)
    for value in HOSTILE_IDS:
        for parameter in valid:
            hostile = url_walk.path_for(route, {**valid, parameter: value})
            yield "get", hostile, {}
            yield "post", hostile, {}
        for parameter in QUERY_PARAMETERS:
            yield "get", path, {parameter: value}
        for parameter in BODY_PARAMETERS:
            yield "post", path, {parameter: value}
        for verb in ACTION_VERBS:
            yield "post", path, {"action": f"{verb}:{value}"}
        yield "get", path, dict.fromkeys(QUERY_PARAMETERS, value)
        yield "post", path, dict.fromkeys(BODY_PARAMETERS, value)


# Known defects the walk found, by route name: fix them, then remove them here.
KNOWN_500: dict[str, bool] = {}


def _route_params():
    for route, name in ROUTES:
        marks = []
        if KNOWN_500.get(name):
            marks.append(pytest.mark.xfail(strict=True, reason="a known 500"))
        yield pytest.param(route, name, id=name, marks=marks)


@pytest.mark.parametrize(("route", "name"), list(_route_params()))
def test_malformed_ids_never_answer_500(client, editor, ids, route, name):
    client.force_login(editor)
    client.raise_request_exception = False
    failures = []
    for method, path, data in _cases(route, name, ids):
        for headers in HTMX:
            response = url_walk.request_rolled_back(
                client, method, path, data, headers=headers
            )
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path} {data} {headers}")
    assert not failures, "answered 500:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("value", [v for v in HOSTILE_IDS if v])
def test_an_estimate_for_a_malformed_app_is_a_400_fragment_with_a_message(
    editor_client, app, value
):
    response = editor_client.post(
        reverse("engagement:segment_estimate"),
        {"app": value},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert b"<html" not in response.content
    assert b"Choose one of your apps" in response.content


def test_an_estimate_without_an_app_asks_for_one(editor_client):
    response = editor_client.post(reverse("engagement:segment_estimate"), {"app": ""})
    assert response.status_code == 200
    assert b"choose an app to see an estimate" in response.content


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_switching_to_a_malformed_partner_is_404(editor_client, value):
    response = editor_client.post(reverse("partner_switch"), {"partner": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808"])
def test_an_id_past_bigint_in_the_path_is_404(editor_client, value):
    response = editor_client.get(f"/engage/segments/{value}/")
    assert response.status_code == 404
