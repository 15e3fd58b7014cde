"""An app's notification settings: its WNS credentials, the client secret
stored encrypted and never shown again (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import WnsCredentials
from notifications.secrets import secret_decrypt
from notifications.services.credentials import wns_credentials_set

pytestmark = pytest.mark.django_db

SECRET = "Zx9-very-secret-value"


def settings_url(app) -> str:
    return reverse("notifications:app_notification_settings", args=[app.pk])


def test_an_app_without_credentials_says_not_set_and_never(editor_client, app):
    html = editor_client.get(settings_url(app)).content.decode()
    assert "Not set" in html
    assert "Last access token obtained" in html and "never" in html
    assert 'type="password"' in html and 'autocomplete="new-password"' in html


def test_saving_stores_the_secret_encrypted_and_never_shows_it(
    editor_client, app, editor
):
    response = editor_client.post(
        settings_url(app),
        {"package_sid": " ms-app://s-1-15-2-42 ", "client_secret": SECRET},
    )
    assert response.status_code == 302
    assert response.url == settings_url(app)
    row = WnsCredentials.objects.get(app=app)
    assert row.package_sid == "ms-app://s-1-15-2-42"
    assert row.updated_by == editor
    assert SECRET not in row.client_secret_encrypted
    assert secret_decrypt(row.client_secret_encrypted) == SECRET
    html = editor_client.get(settings_url(app)).content.decode()
    assert SECRET not in html
    assert "The WNS credentials of Contoso Racer are saved." in html
    assert "A client secret is set (updated " in html and " by editor)." in html
    assert 'value="ms-app://s-1-15-2-42"' in html  # the SID is no secret


def test_a_failed_save_never_sends_the_secret_back(editor_client, app):
    response = editor_client.post(
        settings_url(app), {"package_sid": "", "client_secret": SECRET}
    )
    assert response.status_code == 400
    assert "package_sid" in response.context["form"].errors
    assert SECRET not in response.content.decode()
    assert not WnsCredentials.objects.exists()


def test_both_fields_are_needed_every_time(editor_client, app, editor):
    wns_credentials_set(
        app=app, package_sid="ms-app://old", client_secret="old", user=editor
    )
    response = editor_client.post(
        settings_url(app), {"package_sid": "ms-app://new", "client_secret": ""}
    )
    assert response.status_code == 400
    assert "client_secret" in response.context["form"].errors
    row = WnsCredentials.objects.get(app=app)
    assert (row.package_sid, secret_decrypt(row.client_secret_encrypted)) == (
        "ms-app://old",
        "old",
    )


def test_the_last_token_time_is_shown(editor_client, app, editor):
    wns_credentials_set(
        app=app, package_sid="ms-app://s", client_secret="s", user=editor
    )
    WnsCredentials.objects.filter(app=app).update(token_obtained_at=timezone.now())
    html = editor_client.get(settings_url(app)).content.decode()
    token = html[html.index('id="token-status"') :]
    assert "never" not in token[: token.index("</dd>")]
