"""The largest valid definition saves through the editor; bodies over the
request limits get the page's own message, never the bare 400 page.

The posts here are what a browser sends: the page's form read from its HTML
(every named, enabled control, one field per chosen option), posted as
multipart/form-data like the editor form, through a client that enforces
CSRF as production does (the CSRF middleware is what reads the body first).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from engagement.models import KnownUserGroup, Segment
from engagement.rules import (
    ATTRIBUTES,
    MAX_BLOCKS,
    MAX_CONDITIONS,
    MAX_JSON_BYTES,
    MAX_LIST_VALUES,
    ValueType,
    definition_validate,
)
from engagement.services.segments import segment_create
from tests.engagement.test_segment_views import SPEND_ROW, editor_post
from tests.factories import known_user_group

pytestmark = pytest.mark.django_db

TOO_BIG = "more than one request may carry, so nothing was saved"


class _FormReader(HTMLParser):
    """The fields a browser submits for one form (submit buttons excluded)."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.disabled_depth = 0  # inside a disabled fieldset
        self.fields: list[tuple[str, str]] = []
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        if tag == "fieldset" and "disabled" in attrs:
            self.disabled_depth += 1
        enabled = "disabled" not in attrs and not self.disabled_depth
        name = attrs.get("name")
        if tag == "input" and name and enabled:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name and enabled:
            self._select = (name, "multiple" in attrs)
            self._options = []
        elif tag == "option" and self._select:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
        elif tag == "textarea" and name and enabled:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "fieldset" and self.disabled_depth:
            self.disabled_depth -= 1
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            self._options.append((text if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not multiple and not chosen and self._options:
                chosen = [self._options[0][0]]
            self.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one line break that follows <textarea>.
            name, text = self._textarea
            self.fields.append((name, text.removeprefix("\n")))
            self._textarea = None


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields


def as_post_data(fields: list[tuple[str, str]], **extra) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    data.update({name: [value] for name, value in extra.items()})
    return data


def counted_bytes(data: dict[str, list]) -> int:
    """What Django counts against DATA_UPLOAD_MAX_MEMORY_SIZE for multipart:
    each field's name + 2 and its value."""
    return sum(
        len(name.encode()) + 2 + len(str(value).encode())
        for name, values in data.items()
        for value in values
    )


@pytest.fixture
def browser(editor) -> Client:
    """A client that enforces CSRF, signed in as the partner's editor."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    return client


def _most_fields_attribute() -> tuple[str, list[str]]:
    """The choice attribute whose list posts the most fields, and its values."""
    choice = [a for a in ATTRIBUTES.values() if a.type is ValueType.CHOICE]
    widest = max(choice, key=lambda a: len(a.choices()))
    return widest.key, list(widest.choices())[:MAX_LIST_VALUES]


def largest_definition() -> dict:
    """The definition with the most editor fields: every OR statement full,
    every filter a list of as many choices as a list may hold."""
    key, values = _most_fields_attribute()
    assert len(values) == MAX_LIST_VALUES
    filters = [
        {"attribute": key, "operator": "not_in", "value": values}
        for _ in range(MAX_CONDITIONS)
    ]
    return definition_validate(
        {"version": 1, "any": [{"all": filters} for _ in range(MAX_BLOCKS)]}
    )


def _save_page_as_is(browser: Client, url: str, html: str, **extra):
    data = as_post_data(form_fields(html, "segment-form"), action="save", **extra)
    return browser.post(url, data), data


def test_the_largest_definition_is_saved_through_the_editor(
    browser, partner, app, editor
):
    definition = largest_definition()
    segment = segment_create(
        partner=partner, app=app, name="Everyone but", definition=definition, user=None
    )
    url = reverse("engagement:segment_edit", args=[segment.pk])
    page = browser.get(url).content.decode()

    response, data = _save_page_as_is(browser, url, page, name="Everyone but, again")

    assert response.status_code == 302, response.content.decode()[:2000]
    segment.refresh_from_db()
    assert segment.name == "Everyone but, again"
    assert segment.definition == definition
    # What the limits must hold, measured on what was posted.
    fields = sum(len(values) for values in data.values())
    assert fields >= MAX_BLOCKS * MAX_CONDITIONS * MAX_LIST_VALUES
    assert fields <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert counted_bytes(data) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_an_exported_largest_definition_imports_and_saves(browser, partner, app):
    definition = largest_definition()
    source = segment_create(
        partner=partner, app=app, name="Source", definition=definition, user=None
    )
    exported = browser.get(
        reverse("engagement:segment_definition_export", args=[source.pk])
    ).content
    url = reverse("engagement:segment_create")
    blank = browser.get(url).content.decode()
    data = as_post_data(form_fields(blank, "segment-form"), action="import")
    data["name"] = ["Imported"]
    data["definition_file"] = SimpleUploadedFile(
        "source.json", exported, content_type="application/json"
    )

    shown = browser.post(url, data)

    assert shown.status_code == 200
    assert "Definition imported" in shown.content.decode()
    response, _data = _save_page_as_is(browser, url, shown.content.decode())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Segment.objects.get(name="Imported").definition == definition


def test_long_text_lists_within_the_import_limit_save_through_the_editor(
    browser, partner, app
):
    # Text lists post one field a filter but the most bytes: as many OR
    # statements of campaign-ID lists as a definition file may hold.
    values = [f"{i:03d}-" + "c" * 60 for i in range(MAX_LIST_VALUES)]
    block = {
        "all": [
            {"attribute": "campaign_id", "operator": "in", "value": values}
            for _ in range(MAX_CONDITIONS)
        ]
    }
    blocks = [block]
    while len(json.dumps({"version": 1, "any": [*blocks, block]}, indent=2)) < (
        MAX_JSON_BYTES
    ):
        blocks.append(block)
    definition = {"version": 1, "any": blocks}
    segment = segment_create(
        partner=partner, app=app, name="Campaigns", definition=definition, user=None
    )
    url = reverse("engagement:segment_edit", args=[segment.pk])

    response, data = _save_page_as_is(browser, url, browser.get(url).content.decode())

    assert response.status_code == 302
    assert counted_bytes(data) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# Bodies over the limits ----------------------------------------------------


def _too_many_fields(data: dict) -> dict:
    return {
        **data,
        **{f"x{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)},
    }


def _too_many_bytes(data: dict) -> dict:
    return {**data, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}


OVERSIZE = [_too_many_fields, _too_many_bytes]
OVERSIZE_IDS = ["fields", "bytes"]


def _csrf(browser: Client, url: str) -> str:
    return dict(form_fields(browser.get(url).content.decode()))["csrfmiddlewaretoken"]


@pytest.mark.parametrize("oversize", OVERSIZE, ids=OVERSIZE_IDS)
@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_an_oversized_editor_save_gets_the_editor_with_a_message(
    browser, app, oversize, encoding
):
    url = reverse("engagement:segment_create")
    data = oversize(
        {**editor_post(app, [SPEND_ROW]), "csrfmiddlewaretoken": _csrf(browser, url)}
    )
    if encoding == "multipart":
        response = browser.post(url, data)
    else:
        from urllib.parse import urlencode

        response = browser.post(
            url, urlencode(data), content_type="application/x-www-form-urlencoded"
        )

    assert response.status_code == 413
    html = response.content.decode()
    assert TOO_BIG in html
    assert 'id="segment-form"' in html  # the editor itself, not an error page
    assert not Segment.objects.exists()


@pytest.mark.parametrize("oversize", OVERSIZE, ids=OVERSIZE_IDS)
def test_an_oversized_edit_keeps_the_segment_and_shows_it_with_a_message(
    browser, partner, app, editor, oversize
):
    segment = segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=editor_definition(),
        user=editor,
    )
    url = reverse("engagement:segment_edit", args=[segment.pk])
    data = oversize(
        {
            **editor_post(app, [{**SPEND_ROW, "value": "99"}], name="Renamed"),
            "csrfmiddlewaretoken": _csrf(browser, url),
        }
    )

    response = browser.post(url, data)

    assert response.status_code == 413
    assert TOO_BIG in response.content.decode()
    segment.refresh_from_db()
    assert segment.name == "Spenders"
    assert segment.definition == editor_definition()


def editor_definition() -> dict:
    return {
        "version": 1,
        "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}],
    }


@pytest.mark.parametrize("oversize", OVERSIZE, ids=OVERSIZE_IDS)
def test_an_oversized_htmx_action_or_estimate_answers_413(browser, app, oversize):
    create = reverse("engagement:segment_create")
    token = _csrf(browser, create)
    headers = {"hx-request": "true", "x-csrftoken": token}
    for url, action in (
        (create, "add_block"),
        (reverse("engagement:segment_estimate"), "save"),
    ):
        data = oversize(editor_post(app, [SPEND_ROW], action=action))
        response = browser.post(url, data, headers=headers)
        assert response.status_code == 413
        assert TOO_BIG in response.content.decode()


def test_an_oversized_post_without_a_csrf_token_changes_nothing(browser, app):
    # The page is shown with its message, but nothing can be written: the
    # body was never read, so no request is trusted to change anything.
    url = reverse("engagement:segment_create")
    response = browser.post(url, _too_many_bytes(editor_post(app, [SPEND_ROW])))
    assert response.status_code == 413
    assert not Segment.objects.exists()


def test_a_post_within_the_limits_still_needs_its_csrf_token(browser, app):
    url = reverse("engagement:segment_create")
    response = browser.post(url, editor_post(app, [SPEND_ROW]))
    assert response.status_code == 403
    assert not Segment.objects.exists()


@pytest.mark.parametrize("oversize", OVERSIZE, ids=OVERSIZE_IDS)
def test_an_oversized_address_box_gets_the_form_with_a_message(
    browser, partner, oversize
):
    url = reverse("engagement:known_user_group_create")
    box = "\n".join(f"person{i}@mail.example" for i in range(10))
    data = oversize(
        {
            "name": "Testers",
            "addresses": box,
            "csrfmiddlewaretoken": _csrf(browser, url),
        }
    )

    response = browser.post(url, data)

    assert response.status_code == 413
    html = response.content.decode()
    assert TOO_BIG in html
    assert 'id="known-user-group-form"' in html
    assert not KnownUserGroup.objects.exists()


def test_an_address_box_over_the_body_limit_gets_the_form_with_a_message(
    browser, partner
):
    url = reverse("engagement:known_user_group_create")
    box = "\n".join(f"person{i:07d}@a-long-mail-domain.example" for i in range(70_000))
    assert len(box) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = browser.post(
        url,
        {
            "name": "Everyone",
            "addresses": box,
            "csrfmiddlewaretoken": _csrf(browser, url),
        },
    )
    assert response.status_code == 413
    assert TOO_BIG in response.content.decode()
    assert not KnownUserGroup.objects.exists()


@pytest.mark.parametrize("page", ["edit", "import"])
@pytest.mark.parametrize("oversize", OVERSIZE, ids=OVERSIZE_IDS)
def test_an_oversized_edit_or_import_keeps_the_addresses(
    browser, partner, page, oversize
):
    group = known_user_group(partner=partner, emails=["ann@mail.example"])
    url = reverse(f"engagement:known_user_group_{page}", args=[group.pk])
    data = oversize(
        {
            "addresses": "bob@mail.example",
            "payload": "x",
            "csrfmiddlewaretoken": _csrf(browser, url),
        }
    )

    response = browser.post(url, data)

    assert response.status_code == 413
    assert TOO_BIG in response.content.decode()
    assert list(group.addresses.values_list("email", flat=True)) == ["ann@mail.example"]
