"""API token services: created with a digest only, revoked once, kinds and
partners kept apart, their use noted at most once a period (issue 14)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.errors import TokenError
from api.models import ApiToken, TokenKind
from api.selectors import api_token_list
from api.services import api_token_create, api_token_revoke, api_token_use
from api.tokens import token_digest
from customers.errors import NamingError

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {
        field: [e.code for e in errors] for field, errors in error.error_dict.items()
    }


# Creating ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "start"), [("store", "cgs_"), ("partner", "cgp_")])
def test_the_row_keeps_a_digest_and_a_prefix_never_the_token(partner, kind, start):
    token, secret = api_token_create(
        kind=kind,
        name="Sync",
        partner=partner if kind == TokenKind.PARTNER else None,
    )
    assert re.fullmatch(rf"{start}[A-Za-z0-9_-]{{43}}", secret)
    row = ApiToken.objects.get(pk=token.pk)
    assert row.key_hash == token_digest(secret)
    assert len(row.key_hash) == 64 and row.key_hash != secret
    assert row.prefix == secret[:12]
    # The token itself is nowhere in the row, nor any long piece of it.
    stored = [str(getattr(row, field.attname)) for field in ApiToken._meta.fields]
    assert not [value for value in stored if secret in value or secret[12:] in value]


def test_each_token_is_new():
    secrets = {
        api_token_create(kind=TokenKind.STORE, name=f"Store {n}")[1] for n in range(20)
    }
    assert len(secrets) == 20
    assert ApiToken.objects.values("key_hash").distinct().count() == 20


def test_the_digest_is_unique_in_the_database():
    token, _secret = api_token_create(kind=TokenKind.STORE, name="Store")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            kind=TokenKind.STORE, name="Copy", prefix="cgs_", key_hash=token.key_hash
        )


def test_the_name_is_cleaned_and_the_creator_kept(partner, editor):
    token, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=partner, name="  Cafe\u0301 sync ", user=editor
    )
    assert token.name == "Café sync"
    assert token.created_by == editor
    assert token.last_used_at is None and token.revoked_at is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", NamingError.BLANK),
        ("\u200b", NamingError.NO_VISIBLE_CHARACTER),
        ("Line\nbreak", NamingError.CONTROL_CHARACTER),
    ],
)
def test_a_bad_name_is_refused_on_the_name(partner, name, code):
    with pytest.raises(ValidationError) as caught:
        api_token_create(kind=TokenKind.PARTNER, partner=partner, name=name)
    assert codes(caught.value) == {"name": [code]}
    assert not ApiToken.objects.exists()


def test_a_partner_token_needs_its_partner():
    with pytest.raises(ValidationError) as caught:
        api_token_create(kind=TokenKind.PARTNER, name="CRM")
    assert codes(caught.value) == {"partner": [TokenError.PARTNER_REQUIRED]}
    assert not ApiToken.objects.exists()


def test_a_store_services_token_belongs_to_no_partner(partner):
    with pytest.raises(ValidationError) as caught:
        api_token_create(kind=TokenKind.STORE, name="Store", partner=partner)
    assert codes(caught.value) == {"partner": [TokenError.PARTNER_FORBIDDEN]}
    assert not ApiToken.objects.exists()


def test_the_database_keeps_kinds_and_partners_apart(partner):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            kind=TokenKind.STORE, partner=partner, name="x", prefix="p", key_hash="1"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            kind=TokenKind.PARTNER, name="x", prefix="p", key_hash="2"
        )


def test_only_a_partner_token_can_be_read_only(partner):
    store, _secret = api_token_create(kind=TokenKind.STORE, name="S", can_write=False)
    reader, _secret = api_token_create(
        kind=TokenKind.PARTNER, partner=partner, name="R", can_write=False
    )
    assert (store.can_write, reader.can_write) == (True, False)


def test_the_list_holds_the_partners_tokens_only(partner, other_partner):
    ours, _secret = api_token_create(kind=TokenKind.PARTNER, partner=partner, name="A")
    api_token_create(kind=TokenKind.PARTNER, partner=other_partner, name="B")
    api_token_create(kind=TokenKind.STORE, name="C")
    api_token_revoke(token=ours)
    assert list(api_token_list(partner=partner)) == [ours]


# Revoking ---------------------------------------------------------------------


def test_revoking_twice_is_refused_and_keeps_the_first_revocation(partner, editor):
    token, secret = api_token_create(kind=TokenKind.PARTNER, partner=partner, name="A")
    api_token_revoke(token=token, user=editor)
    assert token.is_revoked and token.revoked_by == editor
    first = token.revoked_at
    with pytest.raises(ValidationError) as caught:
        api_token_revoke(token=token)
    assert caught.value.code == TokenError.ALREADY_REVOKED
    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (first, editor)
    # A revoked token is still found (to say it is revoked), never used.
    used = api_token_use(key=secret)
    assert used == token and used.is_revoked and used.last_used_at is None


def test_a_stale_copy_cannot_revoke_again():
    token, _secret = api_token_create(kind=TokenKind.STORE, name="S")
    stale = ApiToken.objects.get(pk=token.pk)
    api_token_revoke(token=token)
    with pytest.raises(ValidationError):
        api_token_revoke(token=stale)


# Using ------------------------------------------------------------------------


def test_an_unknown_key_finds_nothing():
    api_token_create(kind=TokenKind.STORE, name="S")
    assert api_token_use(key="cgs_" + "A" * 43) is None
    assert api_token_use(key="") is None


def test_the_last_use_is_written_at_most_once_a_period(settings, partner):
    settings.API_TOKEN_LAST_USED_SECONDS = 60
    token, secret = api_token_create(kind=TokenKind.PARTNER, partner=partner, name="A")
    start = timezone.now()

    def last_used() -> dt.datetime | None:
        return ApiToken.objects.get(pk=token.pk).last_used_at

    assert api_token_use(key=secret, now=start).last_used_at == start
    assert last_used() == start
    # Within the period: read, not written.
    later = start + dt.timedelta(seconds=59)
    assert api_token_use(key=secret, now=later).last_used_at == start
    assert last_used() == start
    # Past it: written again.
    past = start + dt.timedelta(seconds=61)
    assert api_token_use(key=secret, now=past).last_used_at == past
    assert last_used() == past


def test_a_busy_token_costs_one_query_a_use(settings, django_assert_num_queries):
    settings.API_TOKEN_LAST_USED_SECONDS = 60
    _token, secret = api_token_create(kind=TokenKind.STORE, name="S")
    now = timezone.now()
    with django_assert_num_queries(2):  # the read, the first write
        api_token_use(key=secret, now=now)
    with django_assert_num_queries(1):  # the read only
        api_token_use(key=secret, now=now + dt.timedelta(seconds=30))
