"""The partner's API tokens page (product.md §6.6): every member sees the
list, editors create a token (shown once) and revoke one (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken, TokenKind
from api.services import api_token_create, api_token_revoke, api_token_use
from api.tokens import token_digest
from tests.factories import PartnerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api_settings:token_list")
CREATE = reverse("api_settings:token_create")
TOKEN = re.compile(r"cgp_[A-Za-z0-9_-]{43}")


def revoke_url(token: ApiToken) -> str:
    return reverse("api_settings:token_revoke", args=[token.pk])


def row(html: str, token: ApiToken) -> str:
    start = html.index(f'<tr id="token-{token.pk}">')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def token(partner, editor):
    token, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=partner, name="CRM sync", user=editor
    )
    return token


# The list -------------------------------------------------------------------


def test_an_empty_list_says_so_and_offers_a_new_token(editor_client):
    html = editor_client.get(LIST).content.decode()
    assert "Contoso Games has no API tokens yet." in html
    assert f'href="{CREATE}"' in html


def test_the_list_links_the_api_reference(viewer_client):
    html = viewer_client.get(LIST).content.decode()
    assert f'href="{reverse("api:docs")}"' in html


def test_the_list_shows_each_token_by_its_prefix_never_its_digest(editor_client, token):
    html = editor_client.get(LIST).content.decode()
    cells = row(html, token)
    assert "CRM sync" in cells
    assert f"<code>{token.prefix}…</code>" in cells
    assert token.prefix.startswith("cgp_") and len(token.prefix) == 12
    assert token.key_hash not in html
    assert "Yes" in cells and "by editor" in cells
    assert "Never" in cells  # not used yet
    assert "Active" in cells
    assert f'href="{revoke_url(token)}"' in cells


def test_the_list_shows_a_read_only_token_and_its_last_use(
    editor_client, partner, editor
):
    token, secret = api_token_create(
        kind=TokenKind.PARTNER,
        partner=partner,
        name="Dashboard export",
        can_write=False,
        user=editor,
    )
    api_token_use(key=secret)
    cells = row(editor_client.get(LIST).content.decode(), token)
    assert "No (read-only)" in cells
    assert "Never" not in cells


def test_a_revoked_token_shows_as_revoked_when_and_by_whom(
    editor_client, token, editor
):
    api_token_revoke(token=token, user=editor)
    cells = row(editor_client.get(LIST).content.decode(), token)
    assert "Revoked" in cells and "Active" not in cells
    assert " by editor" in cells
    assert str(token.revoked_at.year) in cells
    assert revoke_url(token) not in cells  # nothing left to revoke


def test_the_list_holds_only_the_partners_own_tokens(
    editor_client, token, other_partner
):
    theirs, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=other_partner, name="Their sync"
    )
    store, _secret = api_token_create(kind=TokenKind.STORE, name="Store delivery")
    html = editor_client.get(LIST).content.decode()
    assert "CRM sync" in html
    assert "Their sync" not in html and theirs.prefix not in html
    assert "Store delivery" not in html and store.prefix not in html


def test_viewers_see_the_list_read_only(viewer_client, token):
    response = viewer_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "CRM sync" in html
    assert "read-only access" in html
    assert f'href="{CREATE}"' not in html
    assert revoke_url(token) not in html


def test_a_user_without_a_partner_gets_the_no_partner_page(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(LIST).status_code == 403


# Creating -------------------------------------------------------------------


def test_the_form_asks_a_name_and_can_change_groups_ticked(editor_client):
    response = editor_client.get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["name", "can_write"]
    html = response.content.decode()
    assert re.search(r'<input type="checkbox" name="can_write"[^>]* checked', html)


def test_creating_shows_the_token_once_with_a_copy_button_and_a_curl_example(
    editor_client, partner, editor
):
    response = editor_client.post(CREATE, {"name": " CRM sync ", "can_write": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = TOKEN.search(html).group(0)
    token = ApiToken.objects.get()
    assert (token.kind, token.partner, token.name, token.can_write) == (
        TokenKind.PARTNER,
        partner,
        "CRM sync",
        True,
    )
    assert token.created_by == editor
    assert token.key_hash == token_digest(secret)
    assert secret.startswith(token.prefix)
    assert api_token_use(key=secret) == token
    assert f'value="{secret}" readonly' in html
    assert 'data-copy="token-secret"' in html
    assert "it will not be shown again" in html
    assert (
        f'curl -H "Authorization: Bearer {secret}" http://testserver/api/v1/groups'
        in html
    )
    # Not in a message, the session or a URL: the next page never has it.
    assert not list(response.context["messages"])
    assert secret not in str(dict(editor_client.session.items()))
    listing = editor_client.get(LIST).content.decode()
    assert secret not in listing
    assert f"<code>{token.prefix}…</code>" in listing


def test_the_curl_example_answers_with_the_partners_groups(editor_client, partner):
    html = editor_client.post(CREATE, {"name": "CRM sync"}).content.decode()
    secret = TOKEN.search(html).group(0)
    url = re.search(r"Bearer [^\"]+\" (\S+)</code>", html).group(1)
    assert url == "http://testserver" + reverse("api:groups")
    response = Client().get(url, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "application/json" in response["Content-Type"]


def test_unticked_can_change_groups_creates_a_read_only_token(editor_client):
    response = editor_client.post(CREATE, {"name": "Reporting"})
    assert response.status_code == 200
    assert ApiToken.objects.get().can_write is False
    assert "read-only" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("\u200b", "no_visible_character"),
        ("Sync\u200bjob", "invisible_character"),
        ("Tab\there", "control_character"),
        ("x" * 101, "max_length"),
    ],
)
def test_a_bad_name_is_refused_on_the_field_and_nothing_is_created(
    editor_client, name, code
):
    response = editor_client.post(CREATE, {"name": name, "can_write": "on"})
    assert response.status_code == 400
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["name"]] == [code]
    assert not ApiToken.objects.exists()
    assert not TOKEN.search(response.content.decode())


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewers_cannot_create_a_token(viewer_client, method):
    response = getattr(viewer_client, method)(CREATE, {"name": "Mine"})
    assert response.status_code == 403
    assert "Viewers cannot create or revoke API tokens." in response.content.decode()
    assert not ApiToken.objects.exists()


# Revoking -------------------------------------------------------------------


def test_revoking_asks_to_confirm_first(editor_client, token):
    response = editor_client.get(revoke_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Revoke token CRM sync?" in html and f"{token.prefix}…" in html
    assert '<form method="post">' in html
    token.refresh_from_db()
    assert not token.is_revoked


def test_revoking_refuses_the_token_from_then_on(editor_client, token, editor):
    response = editor_client.post(revoke_url(token))
    assert response.status_code == 302
    assert response.url == LIST
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == editor
    html = editor_client.get(LIST).content.decode()
    assert "Token “CRM sync” is revoked" in html
    assert "Revoked" in row(html, token)


def test_revoking_a_revoked_token_says_so_and_changes_nothing(
    editor_client, token, partner
):
    other_editor = PartnerMembershipFactory(partner=partner).user
    api_token_revoke(token=token, user=other_editor)
    token.refresh_from_db()
    revoked_at = token.revoked_at
    html = editor_client.get(revoke_url(token)).content.decode()
    assert "This token was already revoked." in html
    assert '<form method="post">' not in html
    response = editor_client.post(revoke_url(token), follow=True)
    assert response.status_code == 200
    assert "This token was already revoked." in response.content.decode()
    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (revoked_at, other_editor)


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewers_cannot_revoke_a_token(viewer_client, token, method):
    response = getattr(viewer_client, method)(revoke_url(token))
    assert response.status_code == 403
    token.refresh_from_db()
    assert not token.is_revoked


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_partners_token_is_404(editor_client, other_partner, method):
    theirs, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=other_partner, name="Their sync"
    )
    response = getattr(editor_client, method)(revoke_url(theirs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_revoked


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_store_services_token_is_404(editor_client, method):
    store, _secret = api_token_create(kind=TokenKind.STORE, name="Store delivery")
    assert getattr(editor_client, method)(revoke_url(store)).status_code == 404
    store.refresh_from_db()
    assert not store.is_revoked


def test_the_pages_are_in_french(editor_client, token):
    editor_client.cookies.load({"django_language": "fr"})
    for url in (LIST, CREATE, revoke_url(token)):
        assert editor_client.get(url).status_code == 200, url
