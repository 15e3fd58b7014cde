"""Every error under /api/ is JSON with a stable code: never an HTML page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.helpers import bearer, call, partner_token, store_token

GROUPS = "/api/v1/groups"
CREATE = "/api/v1/known-user-groups"


@pytest.fixture
def token(partner):
    return partner_token(partner)


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/groups/",  # no trailing slash in the API
        "/api/v1/groups/99999999999999999999",  # past bigint
        "/api/v1/groups/abc",
        "/api/v2/groups",
    ],
)
def test_an_unknown_address_is_a_json_404(client, token, path):
    assert_json_error(client.get(path, headers=bearer(token)), 404, "not_found")


def test_a_method_not_allowed_is_a_json_405(client, token):
    body = assert_json_error(
        client.delete(GROUPS, headers=bearer(token)), 405, "method_not_allowed"
    )
    assert "DELETE" in body["message"]


def test_a_body_that_is_not_json_is_400_or_415(client, token):
    broken = client.post(
        CREATE, "{not json", content_type="application/json", headers=bearer(token)
    )
    assert_json_error(broken, 400, "parse_error")
    form = client.post(CREATE, {"name": "x"}, headers=bearer(token))
    assert_json_error(form, 415, "unsupported_media_type")


def test_a_body_over_the_limit_is_413_before_it_is_read(client, token, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"name": "Big", "addresses": [f"a{n}@mail.example" for n in range(100)]}
    response = call(client, "POST", CREATE, token, body)
    assert_json_error(response, 413, "too_big")
    # Refused before the token is even looked at: no body read, nothing saved.
    assert_json_error(
        client.post(CREATE, "x" * 2000, content_type="application/json"), 413, "too_big"
    )


def test_a_throttled_token_gets_429_with_retry_after(client, partner, settings):
    settings.API_THROTTLE_RATES = {"partner": "2/minute", "store": "2/minute"}
    token, other = partner_token(partner), partner_token(partner, name="Other")
    for _ in range(2):
        assert call(client, "GET", GROUPS, token).status_code == 200
    throttled = call(client, "GET", GROUPS, token)
    assert_json_error(throttled, 429, "throttled")
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert call(client, "GET", GROUPS, other).status_code == 200  # per token


def test_a_crash_is_a_json_500(partner, monkeypatch):
    token = partner_token(partner)

    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("api.views.partner.partner_group_get", crash)
    client = Client(raise_request_exception=False)
    response = client.get(reverse("api:group", args=[1]), headers=bearer(token))
    assert_json_error(response, 500, "server_error")


def test_dashboard_errors_stay_html(client):
    response = client.get("/engage/nothing-here/")
    assert response.status_code in (302, 404)
    assert not response["Content-Type"].startswith("application/json")


def test_a_store_token_on_a_store_endpoint_with_a_wrong_method(client, app):
    token = store_token()
    url = reverse("api:store_targeting", args=[app.store_product_id])
    assert_json_error(
        client.post(url, headers=bearer(token)), 405, "method_not_allowed"
    )


@pytest.mark.parametrize(
    "product_id", ["%00AAAAAAAAAAA", "9N7RIJ75M9Z%00", "ÉÉÉÉÉÉÉÉÉÉÉÉ", "short"]
)
def test_a_product_id_that_cannot_be_one_is_404_not_a_database_error(
    client, db, product_id
):
    token = store_token()
    response = client.get(
        f"/api/v1/store/apps/{product_id}/targeting",
        {"customer_id": 1},
        headers=bearer(token),
    )
    assert_json_error(response, 404, "unknown_app")


@pytest.mark.parametrize(
    "raw",
    [
        "p=abc",  # not a pk
        "p=99999999999999999999",  # past bigint
        "p=%00",  # NUL
        "o=-1",
        "o=x",
    ],
)
def test_a_forged_cursor_is_400(client, token, raw):
    import base64

    cursor = base64.b64encode(raw.encode()).decode()
    response = call(client, "GET", GROUPS, token, cursor=cursor)
    body = assert_json_error(response, 400, "invalid")
    assert body["errors"]["cursor"][0]["code"] == "bad_cursor"
