"""The privacy rule (product.md §6.6), over every partner operation of the
OpenAPI document: no answer names a segment's members or tells whether one
identified person is in a segment.

The walk reads the operations from the served document, so an endpoint
added later is checked too (and the test fails if one is not exercised).
"""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import bearer, partner_token
from tests.factories import CustomerFactory, known_user_group
from tests.targeting.offer_helpers import computed_segment, spender

# A key that would carry a person: never in a partner answer about segments.
PERSON_KEYS = {"customer", "customer_id", "customers", "members", "member_ids"}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _operations(client) -> list[tuple[str, str, dict]]:
    document = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if any("partnerToken" in s for s in operation.get("security", []))
    ]


@pytest.fixture
def person_in_a_segment(app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    person = spender(app, 50)
    spender(app, 40)
    segment = computed_segment(app, name="Spenders", over=10)
    assert segment.member_count == 2
    return person, segment


def test_no_partner_answer_names_a_segment_member(client, partner, person_in_a_segment):
    person, segment = person_in_a_segment
    token = partner_token(partner)
    group = known_user_group(
        partner=partner, name="Beta", emails=[CustomerFactory().email]
    )
    bodies = {
        "POST": {"name": "Made here", "addresses": ["new@mail.example"]},
        "PUT": {"addresses": ["new@mail.example", "other@mail.example"]},
    }
    exercised = set()
    for method, path, _operation in _operations(client):
        ids = [segment.pk, group.pk] if "{pk}" in path else [None]
        for pk in ids:
            url = path.replace("{pk}", str(pk)) if pk else path
            if method == "GET":
                plain = client.get(url, headers=bearer(token))
                asked = client.get(
                    url,
                    {
                        "email": person.email,
                        "customer_id": person.pk,
                        "q": person.email,
                    },
                    headers=bearer(token),
                )
                # Naming the person changes nothing in the answer.
                assert (asked.status_code, _text(asked)) == (
                    plain.status_code,
                    _text(plain),
                )
                responses = [plain]
            else:
                responses = [
                    client.generic(
                        method,
                        url,
                        json.dumps(bodies[method]),
                        content_type="application/json",
                        headers=bearer(token),
                    )
                ]
            for response in responses:
                text = _text(response)
                assert person.email not in text, url
                if response["Content-Type"].startswith("application/json"):
                    assert not _keys(response.json()) & PERSON_KEYS, url
            exercised.add((method, path))
    assert exercised == {(m, p) for m, p, _ in _operations(client)}
    assert len(exercised) >= 6


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()
