"""Schemathesis over the whole served OpenAPI document, against a live server:
for every operation, generated requests, valid and not, never get a 5xx, and
every answer matches the document (status codes, content types, headers,
bodies); a request the document says is invalid is refused.

Schemathesis signs each request with the token of the operation's scheme
(``storeToken`` or ``partnerToken``), and leaves it out where it tests a
missing token. Hypothesis's examples per operation: ``SCHEMATHESIS_EXAMPLES``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.models import ApiToken, TokenKind
from api.tokens import token_digest, token_shown
from tests.factories import AppCustomerFactory, known_user_group

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40"))
# Fixed secrets, so that the configuration below can name them before the
# test database exists; the fixture stores their digests.
SECRETS = {
    TokenKind.STORE: "cgs_schemathesis-store-token-for-tests-only-0000",
    TokenKind.PARTNER: "cgp_schemathesis-partner-token-for-tests-only-00",
}

# The document as the app serves it at /api/v1/openapi.json (read through the
# WSGI app at collection, when no server runs yet); requests then go over
# HTTP to the live server.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(
        {
            "auth": {
                "openapi": {
                    "storeToken": {"bearer": SECRETS[TokenKind.STORE]},
                    "partnerToken": {"bearer": SECRETS[TokenKind.PARTNER]},
                }
            }
        }
    ),
)
schema.app = None


@pytest.fixture
def statuses(tokens):
    """The statuses an operation answered: some must be past authentication,
    or the tokens were never sent."""
    seen: list[int] = []
    yield seen
    assert seen and set(seen) != {401}, seen


@pytest.fixture
def tokens(transactional_db, partner, app):
    """Both tokens, and something for them to find: the app's customer in a
    known user group of the partner."""
    customer = AppCustomerFactory(app=app).customer
    known_user_group(partner=partner, name="Beta", emails=[customer.email])
    for kind, secret in SECRETS.items():
        ApiToken.objects.create(
            kind=kind,
            partner=partner if kind == TokenKind.PARTNER else None,
            name="Schemathesis",
            prefix=token_shown(secret),
            key_hash=token_digest(secret),
        )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_documented(case, statuses, live_server):
    response = case.call_and_validate(
        base_url=live_server.url,
        # Schema-valid is not always acceptable: an invalid e-mail address
        # or a taken name is a 400 by the rules, whatever its JSON type.
        excluded_checks=[positive_data_acceptance],
    )
    statuses.append(response.status_code)
