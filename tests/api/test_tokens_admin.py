"""Support admin of API tokens: store-services tokens created (shown once)
and revoked; partner tokens read-only, revoked when one leaks (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from api.models import ApiToken, StoreServiceToken, TokenKind
from api.services import api_token_create, api_token_revoke, api_token_use
from api.tokens import token_digest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STORE_LIST = reverse("admin:api_storeservicetoken_changelist")
STORE_ADD = reverse("admin:api_storeservicetoken_add")
PARTNER_LIST = reverse("admin:api_apitoken_changelist")
STORE_TOKEN = re.compile(r"cgs_[A-Za-z0-9_-]{43}")


@pytest.fixture
def store_token(db):
    token, _secret = api_token_create(kind=TokenKind.STORE, name="Store delivery")
    return token


@pytest.fixture
def partner_token(partner, editor):
    token, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=partner, name="CRM sync", user=editor
    )
    return token


def revoke(client, changelist: str, *tokens: ApiToken, confirmed: bool = True):
    data = {"action": "revoke", "_selected_action": [t.pk for t in tokens]}
    if confirmed:
        data["post"] = "yes"
    return client.post(changelist, data, follow=confirmed)


# Store-services tokens -------------------------------------------------------


def test_the_add_form_asks_a_name_only(support_client):
    response = support_client.get(STORE_ADD)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == ["name"]
    html = response.content.decode()
    assert 'name="_addanother"' not in html and 'name="_continue"' not in html


def test_adding_shows_the_token_once_and_stores_only_its_digest(support_client):
    response = support_client.post(STORE_ADD, {"name": " Store delivery "})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = STORE_TOKEN.search(html).group(0)
    assert f'value="{secret}" readonly' in html
    assert "it will not be shown again" in html
    assert not list(response.context["messages"])  # no cookie or session copy
    token = ApiToken.objects.get()
    assert (token.kind, token.partner, token.name, token.can_write) == (
        TokenKind.STORE,
        None,
        "Store delivery",
        True,
    )
    assert token.created_by.username == "support"
    assert token.key_hash == token_digest(secret)
    assert token.prefix == secret[:12]
    values = [str(getattr(token, field.attname)) for field in ApiToken._meta.fields]
    assert not [value for value in values if secret in value]
    assert api_token_use(key=secret) == token
    assert LogEntry.objects.get(object_id=str(token.pk)).action_flag == ADDITION
    # The list and the token's page never show it again, nor its digest.
    for url in (
        STORE_LIST,
        reverse("admin:api_storeservicetoken_change", args=[token.pk]),
    ):
        page = support_client.get(url).content.decode()
        assert secret not in page and token.key_hash not in page
        assert f"{token.prefix}…" in page


@pytest.mark.parametrize("name", ["", "\u200b", "Tab\there"])
def test_a_bad_name_is_refused_on_the_field_and_nothing_is_created(
    support_client, name
):
    response = support_client.post(STORE_ADD, {"name": name})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()
    assert not STORE_TOKEN.search(response.content.decode())


def test_the_store_list_holds_store_tokens_only(
    support_client, store_token, partner_token
):
    response = support_client.get(STORE_LIST)
    assert list(response.context["cl"].queryset) == [store_token]
    html = response.content.decode()
    assert "Store delivery" in html and "CRM sync" not in html
    change = reverse("admin:api_storeservicetoken_change", args=[partner_token.pk])
    assert support_client.get(change).status_code == 302  # not found: to the list


def test_a_token_page_is_read_only_and_never_shows_the_digest(
    support_client, store_token
):
    url = reverse("admin:api_storeservicetoken_change", args=[store_token.pk])
    html = support_client.get(url).content.decode()
    assert store_token.key_hash not in html
    assert 'name="_save"' not in html and 'name="name"' not in html
    response = support_client.post(url, {"name": "Renamed"})
    assert response.status_code == 403
    store_token.refresh_from_db()
    assert store_token.name == "Store delivery"


def test_tokens_are_never_deleted(support_client, store_token, partner_token):
    for name, token in (
        ("storeservicetoken", store_token),
        ("apitoken", partner_token),
    ):
        url = reverse(f"admin:api_{name}_delete", args=[token.pk])
        assert support_client.post(url, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in support_client.get(STORE_LIST).content.decode()
    assert ApiToken.objects.count() == 2


def test_revoking_asks_to_confirm_then_revokes(support_client, store_token):
    response = revoke(support_client, STORE_LIST, store_token, confirmed=False)
    assert response.status_code == 200
    assert "Store delivery" in response.content.decode()
    store_token.refresh_from_db()
    assert not store_token.is_revoked
    response = revoke(support_client, STORE_LIST, store_token)
    assert "Revoked 1 token" in response.content.decode()
    store_token.refresh_from_db()
    assert store_token.is_revoked
    assert store_token.revoked_by.username == "support"
    entry = LogEntry.objects.get(object_id=str(store_token.pk))
    assert entry.action_flag == CHANGE


def test_revoking_a_revoked_token_says_so(support_client, store_token):
    api_token_revoke(token=store_token)
    store_token.refresh_from_db()
    revoked_at = store_token.revoked_at
    response = revoke(support_client, STORE_LIST, store_token)
    assert response.status_code == 200
    assert "1 token was already revoked." in response.content.decode()
    store_token.refresh_from_db()
    assert store_token.revoked_at == revoked_at


def test_staff_without_the_permissions_see_no_tokens(client, store_token):
    client.force_login(UserFactory(username="intern", is_staff=True))
    assert client.get(STORE_LIST).status_code == 403
    assert client.get(STORE_ADD).status_code == 403
    assert client.get(PARTNER_LIST).status_code == 403


# Partner tokens ---------------------------------------------------------------


def test_partner_tokens_are_listed_read_only_with_their_partner(
    support_client, partner_token, store_token
):
    response = support_client.get(PARTNER_LIST)
    assert list(response.context["cl"].queryset) == [partner_token]
    html = response.content.decode()
    assert "CRM sync" in html and "Contoso Games" in html
    assert "Store delivery" not in html
    assert partner_token.key_hash not in html
    assert support_client.get(reverse("admin:api_apitoken_add")).status_code == 403
    change = reverse("admin:api_apitoken_change", args=[partner_token.pk])
    page = support_client.get(change).content.decode()
    assert "Contoso Games" in page and partner_token.key_hash not in page
    assert 'name="_save"' not in page


def test_partner_tokens_filter_by_partner(support_client, partner_token, other_partner):
    theirs, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=other_partner, name="Their sync"
    )
    response = support_client.get(
        PARTNER_LIST, {"partner__id__exact": other_partner.pk}
    )
    assert list(response.context["cl"].queryset) == [theirs]


def test_a_leaked_partner_token_is_found_by_itself_or_its_prefix_and_revoked(
    support_client, partner, editor
):
    leaked, secret = api_token_create(
        kind=TokenKind.PARTNER, partner=partner, name="Leaked", user=editor
    )
    api_token_create(kind=TokenKind.PARTNER, partner=partner, name="Other")
    for term in (secret, f"{leaked.prefix}…", leaked.prefix[:8], "leak"):
        response = support_client.get(PARTNER_LIST, {"q": term})
        assert list(response.context["cl"].queryset) == [leaked], term
    response = revoke(support_client, PARTNER_LIST, leaked)
    assert "Revoked 1 token" in response.content.decode()
    leaked.refresh_from_db()
    assert leaked.is_revoked
    assert api_token_use(key=secret).is_revoked


def test_the_proxy_is_the_store_kind_of_the_same_table(store_token):
    assert StoreServiceToken.objects.get(pk=store_token.pk).kind == TokenKind.STORE
