"""The OpenAPI document and its reference page."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command

SCHEMA = "/api/v1/openapi.json"


def test_the_document_is_served_without_a_token_and_is_valid(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {
        "storeToken",
        "partnerToken",
    }
    # drf-spectacular validates the document against the OpenAPI 3 schema,
    # and fails on any warning (a view it could not describe).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_operation_takes_one_kind_of_token_and_documents_its_errors(client):
    document = client.get(SCHEMA).json()
    operations = [
        (path, op) for path, item in document["paths"].items() for op in item.values()
    ]
    assert len(operations) == 9
    for path, operation in operations:
        [scheme] = [name for item in operation["security"] for name in item]
        assert scheme == (
            "storeToken" if path.startswith("/api/v1/store/") else "partnerToken"
        )
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), path
        error = responses["401"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/Error"), path


def test_the_reference_page_uses_vendored_assets_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert SCHEMA in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert not re.search(r"https?://", html)
