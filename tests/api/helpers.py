"""What the API tests share: tokens, and calls with a bearer token."""

from __future__ import annotations

import json
from typing import Any

from api.services import api_token_create


def store_token(name: str = "Delivery service") -> str:
    """A new store-services token (the secret)."""
    return api_token_create(kind="store", name=name)[1]


def partner_token(partner, name: str = "CI", **kwargs: Any) -> str:
    """A new token of ``partner`` (the secret)."""
    return api_token_create(kind="partner", partner=partner, name=name, **kwargs)[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client, method: str, url: str, token: str | None, body: Any = None, **query):
    """Call the API as a client would: JSON body, bearer token."""
    headers = bearer(token) if token else {}
    send = getattr(client, method.lower())
    if body is None:
        return send(url, query or None, headers=headers)
    return send(url, json.dumps(body), content_type="application/json", headers=headers)
