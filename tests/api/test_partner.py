"""Partner endpoints: groups with the Small rule, known user groups maintained
whole through the API, exports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.models import KnownUserGroup
from tests.api.helpers import call, partner_token, store_token
from tests.factories import CustomerFactory, known_user_group
from tests.targeting.offer_helpers import computed_segment, spender

GROUPS = "/api/v1/groups"
CREATE = "/api/v1/known-user-groups"


def addresses_url(group) -> str:
    return reverse("api:known_user_group_addresses", args=[group.pk])


@pytest.fixture
def token(partner):
    return partner_token(partner)


@pytest.fixture
def groups(app, settings):
    """An active segment (2 members), a Small one, a known user group with a
    member and a pending address, and another partner's group."""
    settings.SEGMENT_MIN_SIZE = 2
    spender(app, 50)
    spender(app, 40)
    active = computed_segment(app, name="Spenders", over=10)
    small = computed_segment(app, name="Big spenders", over=45)
    member = CustomerFactory()
    beta = known_user_group(
        partner=app.partner, name="Beta", emails=[member.email, "later@mail.example"]
    )
    return {"active": active, "small": small, "beta": beta, "member": member}


def test_groups_list_every_kind_with_sizes_and_the_small_rule(
    client, token, groups, other_partner
):
    known_user_group(partner=other_partner, name="Theirs", emails=["x@mail.example"])
    response = call(client, "GET", GROUPS, token)
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"Spenders", "Big spenders", "Beta"}
    spenders = rows["Spenders"]
    assert (
        spenders["kind"],
        spenders["status"],
        spenders["small"],
        spenders["size"],
    ) == (
        "segment",
        "active",
        False,
        2,
    )
    assert spenders["app"]["store_product_id"] == groups["active"].app.store_product_id
    small = rows["Big spenders"]
    assert (small["status"], small["small"], small["size"]) == ("inactive", True, None)
    beta = rows["Beta"]
    assert (beta["kind"], beta["app"], beta["status"], beta["size"]) == (
        "known_user_group",
        None,
        None,
        1,
    )


def test_groups_filter_by_kind_and_app(client, token, groups, app):
    kugs = call(client, "GET", GROUPS, token, kind="known_user_group").json()
    assert [row["name"] for row in kugs["results"]] == ["Beta"]
    of_app = call(client, "GET", GROUPS, token, app=app.store_product_id.lower())
    assert {row["name"] for row in of_app.json()["results"]} == {
        "Spenders",
        "Big spenders",
    }
    bad = call(client, "GET", GROUPS, token, kind="cohort")
    assert bad.status_code == 400
    assert "kind" in bad.json()["errors"]


def test_groups_page_with_a_cursor(client, token, groups):
    first = call(client, "GET", GROUPS, token, page_size=2).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"], headers={"Authorization": f"Bearer {token}"})
    names = [r["name"] for r in first["results"] + second.json()["results"]]
    assert sorted(names) == ["Beta", "Big spenders", "Spenders"]
    bad = call(client, "GET", GROUPS, token, cursor="garbage")
    assert (bad.status_code, bad.json()["errors"]["cursor"][0]["code"]) == (
        400,
        "bad_cursor",
    )


def test_a_segment_reads_with_its_definition(client, token, groups):
    segment = groups["active"]
    body = call(client, "GET", reverse("api:group", args=[segment.pk]), token).json()
    assert body["segment"]["definition"] == segment.definition
    assert "Store spend" in body["segment"]["definition_text"]
    assert body["segment"]["definition_problems"] == []
    assert body["known_user_group"] is None
    assert body["size"] == 2


def test_a_known_user_group_reads_with_its_counts(client, token, groups):
    beta = groups["beta"]
    body = call(client, "GET", reverse("api:group", args=[beta.pk]), token).json()
    assert body["known_user_group"] == {
        "address_count": 2,
        "member_count": 1,
        "pending_count": 1,
    }
    assert body["segment"] is None


def test_another_partners_group_is_404(client, token, other_partner):
    theirs = known_user_group(
        partner=other_partner, name="Theirs", emails=["x@m.example"]
    )
    for url in [
        reverse("api:group", args=[theirs.pk]),
        addresses_url(theirs),
        reverse("api:known_user_group_addresses_csv", args=[theirs.pk]),
    ]:
        response = call(client, "GET", url, token)
        assert (response.status_code, response.json()["code"]) == (404, "unknown_group")
    replaced = call(
        client, "PUT", addresses_url(theirs), token, {"addresses": ["a@b.example"]}
    )
    assert replaced.status_code == 404
    assert list(theirs.addresses.values_list("email", flat=True)) == ["x@m.example"]


def test_a_known_user_group_is_created(client, token, partner, editor):
    member = CustomerFactory(email="ann@mail.example")
    response = call(
        client,
        "POST",
        CREATE,
        token,
        {
            "name": " Beta testers ",
            "addresses": ["ANN@mail.example", "bob@mail.example", "ann@mail.example"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["kind"]) == ("Beta testers", "known_user_group")
    assert body["known_user_group"] == {
        "address_count": 2,
        "member_count": 1,
        "pending_count": 1,
    }
    group = KnownUserGroup.objects.get(pk=body["id"])
    assert group.partner == partner
    assert group.addresses.get(email="ann@mail.example").customer == member


def test_bad_addresses_are_listed_with_positions_and_nothing_is_saved(client, token):
    response = call(
        client,
        "POST",
        CREATE,
        token,
        {"name": "Beta", "addresses": ["ok@mail.example", "not-an-address", "", "x@y"]},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]["addresses"]
    assert [(e["code"], e["position"], e["value"]) for e in errors] == [
        ("invalid_address", 2, "not-an-address"),
        ("invalid_address", 3, ""),
        ("invalid_address", 4, "x@y"),
    ]
    assert not KnownUserGroup.objects.exists()


def test_the_limit_and_the_name_rules_hold(client, token, partner, settings):
    settings.KNOWN_USER_GROUP_MAX_EMAILS = 2
    too_many = call(
        client,
        "POST",
        CREATE,
        token,
        {"name": "Beta", "addresses": ["a@m.example", "b@m.example", "c@m.example"]},
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"]["addresses"][0]["code"] == "too_many"
    none = call(client, "POST", CREATE, token, {"name": "Beta", "addresses": []})
    assert none.json()["errors"]["addresses"][0]["code"] == "no_addresses"
    known_user_group(partner=partner, name="Beta", emails=["a@m.example"])
    taken = call(
        client, "POST", CREATE, token, {"name": "BETA", "addresses": ["a@m.example"]}
    )
    assert taken.status_code == 400
    assert taken.json()["errors"]["name"][0]["code"] == "name_taken"
    assert KnownUserGroup.objects.count() == 1


def test_addresses_are_replaced_whole(client, token, groups):
    beta = groups["beta"]
    response = call(
        client,
        "PUT",
        addresses_url(beta),
        token,
        {"addresses": [groups["member"].email, "new@mail.example"]},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["added"], body["removed"], body["kept"]) == (1, 1, 1)
    assert body["group"]["known_user_group"]["address_count"] == 2
    assert set(beta.addresses.values_list("email", flat=True)) == {
        groups["member"].email,
        "new@mail.example",
    }


def test_a_bad_replacement_changes_nothing(client, token, groups):
    beta = groups["beta"]
    before = set(beta.addresses.values_list("email", flat=True))
    response = call(
        client,
        "PUT",
        addresses_url(beta),
        token,
        {"addresses": ["fine@m.example", "bad"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"]["addresses"][0]["position"] == 2
    assert set(beta.addresses.values_list("email", flat=True)) == before


def test_a_read_only_token_reads_but_never_writes(client, partner, groups):
    token = partner_token(partner, name="Reporting", can_write=False)
    assert call(client, "GET", GROUPS, token).status_code == 200
    created = call(
        client, "POST", CREATE, token, {"name": "X", "addresses": ["a@m.example"]}
    )
    assert (created.status_code, created.json()["code"]) == (403, "read_only_token")
    replaced = call(
        client,
        "PUT",
        addresses_url(groups["beta"]),
        token,
        {"addresses": ["a@m.example"]},
    )
    assert replaced.status_code == 403
    assert groups["beta"].addresses.count() == 2


def test_addresses_export_as_paged_json(client, token, partner):
    members = [CustomerFactory(email=f"m{n}@mail.example") for n in range(3)]
    group = known_user_group(
        partner=partner,
        name="Big",
        emails=[m.email for m in members] + ["p1@mail.example", "p2@mail.example"],
    )
    first = call(client, "GET", addresses_url(group), token, page_size=2).json()
    assert first["results"] == [
        {"email": "m0@mail.example", "status": "member"},
        {"email": "m1@mail.example", "status": "member"},
    ]
    rows = list(first["results"])
    page = first
    while page["next"]:
        page = client.get(
            page["next"], headers={"Authorization": f"Bearer {token}"}
        ).json()
        rows += page["results"]
    assert [r["email"] for r in rows] == sorted(
        [m.email for m in members] + ["p1@mail.example", "p2@mail.example"]
    )
    pending = call(client, "GET", addresses_url(group), token, status="pending").json()
    assert [r["email"] for r in pending["results"]] == [
        "p1@mail.example",
        "p2@mail.example",
    ]
    bad = call(client, "GET", addresses_url(group), token, status="maybe")
    assert (bad.status_code, bad.json()["errors"]["status"][0]["code"]) == (
        400,
        "bad_status",
    )


def test_addresses_export_as_csv(client, token, partner):
    CustomerFactory(email="ann@mail.example")
    group = known_user_group(
        partner=partner,
        name="Beta testers",
        emails=["ann@mail.example", "=cmd@mail.example"],
    )
    response = call(
        client,
        "GET",
        reverse("api:known_user_group_addresses_csv", args=[group.pk]),
        token,
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="beta-testers.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines() == [
        "email,status",
        "'=cmd@mail.example,pending",
        "ann@mail.example,member",
    ]


def test_a_store_token_never_opens_a_partner_endpoint(client, groups):
    token = store_token()
    for method, url in [
        ("GET", GROUPS),
        ("GET", reverse("api:group", args=[groups["beta"].pk])),
        ("POST", CREATE),
        ("GET", addresses_url(groups["beta"])),
        ("PUT", addresses_url(groups["beta"])),
    ]:
        response = call(
            client, method, url, token, {} if method in ("POST", "PUT") else None
        )
        assert (response.status_code, response.json()["code"]) == (
            401,
            "wrong_token_kind",
        ), url


def test_pages_of_addresses_end_on_an_internationalised_address(client, token, partner):
    emails = ["a@exämple.com", "b@exämple.com", "c@example.com"]
    group = known_user_group(partner=partner, name="World", emails=emails)
    page = call(client, "GET", addresses_url(group), token, page_size=1).json()
    rows = list(page["results"])
    while page["next"]:
        page = client.get(
            page["next"], headers={"Authorization": f"Bearer {token}"}
        ).json()
        rows += page["results"]
    assert [r["email"] for r in rows] == sorted(emails)


def test_a_forged_address_cursor_is_400(client, token, groups):
    import base64

    cursor = base64.b64encode(b"p=a%00b").decode()
    response = call(client, "GET", addresses_url(groups["beta"]), token, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["errors"]["cursor"][0]["code"] == "bad_cursor"


@pytest.mark.parametrize("query", [{"kind": ""}, {"app": " "}])
def test_a_filter_sent_empty_is_400(client, token, groups, query):
    response = call(client, "GET", GROUPS, token, **query)
    assert response.status_code == 400
    [name] = query
    assert response.json()["errors"][name][0]["code"] == "blank"


def test_an_address_status_sent_empty_is_400(client, token, groups):
    response = call(client, "GET", addresses_url(groups["beta"]), token, status="")
    assert response.status_code == 400
    assert response.json()["errors"]["status"][0]["code"] == "bad_status"
