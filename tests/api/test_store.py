"""Store-services endpoints: targeting for one customer, channels, conversions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_revoke
from notifications.models import Channel
from targeting.models import OfferConversion, OfferTracking
from targeting.services.audience import audience_set_private
from targeting.services.flights import flight_create
from tests.api.helpers import call, partner_token, store_token
from tests.factories import AppCustomerFactory, CustomerFactory, known_user_group
from tests.targeting.offer_helpers import computed_segment, offer, spender

WNS_URI = "https://db5p.notify.windows.com/?token=AwYAAAB"


def targeting_url(app) -> str:
    return reverse("api:store_targeting", args=[app.store_product_id])


def channels_url(app) -> str:
    return reverse("api:store_channels", args=[app.store_product_id])


CONVERSIONS = "/api/v1/store/conversions"


@pytest.fixture
def token(db):
    return store_token()


@pytest.fixture
def world(app, settings):
    """A customer in an active segment with an offer, in a known user group
    that a flight and the private audience use; another in nothing."""
    settings.SEGMENT_MIN_SIZE = 2
    ann = spender(app, 50)
    spender(app, 40)
    spender(app, 1)
    segment = computed_segment(app, name="Spenders", over=10)
    offer(segment)
    beta = known_user_group(partner=app.partner, name="Beta", emails=[ann.email])
    flight = flight_create(app=app, name="Beta ring", groups=[beta], version="1.4.2.0")
    audience_set_private(app=app, groups=[beta])
    return {"ann": ann, "segment": segment, "beta": beta, "flight": flight}


def test_targeting_answers_segments_groups_flight_visibility_and_offers(
    client, app, token, world
):
    ann = world["ann"]
    response = call(client, "GET", targeting_url(app), token, email=ann.email.upper())
    assert response.status_code == 200
    body = response.json()
    assert body["app"] == {"store_product_id": app.store_product_id, "name": app.name}
    assert body["customer"] == {"id": ann.pk, "email": ann.email}
    assert body["acquired"] is True
    assert body["segments"] == [{"id": world["segment"].pk, "name": "Spenders"}]
    assert body["known_user_groups"] == [{"id": world["beta"].pk, "name": "Beta"}]
    assert body["flight"] == {
        "id": world["flight"].pk,
        "name": "Beta ring",
        "package_version": "1.4.2.0",
        "rank": world["flight"].rank,
    }
    assert body["visible"] is True
    [entry] = body["offers"]
    assert entry["offers"] == ["9NBLGGH4R315"]
    uuid.UUID(entry["trackingId"])
    by_id = call(client, "GET", targeting_url(app), token, customer_id=ann.pk)
    assert by_id.json() == body


def test_targeting_of_a_customer_in_nothing_is_the_non_flighted_package(
    client, app, token, world
):
    stranger = CustomerFactory()
    body = call(client, "GET", targeting_url(app), token, email=stranger.email).json()
    assert body["acquired"] is False
    assert body["segments"] == body["known_user_groups"] == body["offers"] == []
    assert body["flight"] is None
    assert body["visible"] is False  # the app is private to Beta


def test_targeting_leaves_out_a_segment_that_became_small(
    client, app, token, world, settings
):
    settings.SEGMENT_MIN_SIZE = 50
    body = call(
        client, "GET", targeting_url(app), token, email=world["ann"].email
    ).json()
    assert body["segments"] == [] and body["offers"] == []


def test_targeting_answers_in_a_constant_number_of_queries(
    client, app, token, world, django_assert_max_num_queries, settings
):
    ann = world["ann"]
    call(client, "GET", targeting_url(app), token, email=ann.email)  # last used
    with django_assert_max_num_queries(9) as few:
        call(client, "GET", targeting_url(app), token, email=ann.email)
    for n in range(4):
        segment = computed_segment(app, name=f"More {n}", over=n)
        offer(segment, name=f"Offer {n}", addon=f"9NBLGGH4R32{n}")
        group = known_user_group(partner=app.partner, name=f"G{n}", emails=[ann.email])
        flight_create(app=app, name=f"Ring {n}", groups=[group], version="1.0.0.0")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = call(client, "GET", targeting_url(app), token, email=ann.email).json()
    assert len(body["segments"]) == 5 and len(body["known_user_groups"]) == 5


@pytest.mark.parametrize(
    "query",
    [{}, {"email": "a@b.example", "customer_id": 1}, {"email": "not an address"}],
)
def test_targeting_needs_one_customer_named_one_way(client, app, token, query):
    response = call(client, "GET", targeting_url(app), token, **query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    codes = {e["code"] for items in body["errors"].values() for e in items}
    assert codes & {"one_customer", "invalid"}


def test_unknown_app_and_customer_are_404_with_their_code(client, app, token):
    customer = CustomerFactory()
    unknown_app = call(
        client,
        "GET",
        reverse("api:store_targeting", args=["9NZZZZZZZZZZ"]),
        token,
        email=customer.email,
    )
    assert (unknown_app.status_code, unknown_app.json()["code"]) == (
        404,
        "unknown_app",
    )
    unknown = call(
        client, "GET", targeting_url(app), token, email="nobody@mail.example"
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_customer")


def test_a_channel_is_registered_then_refreshed(client, app, token):
    customer = AppCustomerFactory(app=app).customer
    response = call(
        client,
        "POST",
        channels_url(app),
        token,
        {"email": customer.email, "uri": WNS_URI},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires - timezone.now() > dt.timedelta(days=29, hours=23)
    Channel.objects.update(active=False)
    again = call(
        client,
        "POST",
        channels_url(app),
        token,
        {"customer_id": customer.pk, "uri": WNS_URI},
    )
    assert again.status_code == 200
    channel = Channel.objects.get()
    assert channel.active and channel.uri == WNS_URI


@pytest.mark.parametrize(
    "uri",
    [
        "http://db5p.notify.windows.com/?token=1",
        "https://attacker.example/collect",
        "https://notify.windows.com.attacker.example/",
        "not a uri",
    ],
)
def test_a_channel_that_is_not_wns_is_refused(client, app, token, uri):
    customer = AppCustomerFactory(app=app).customer
    response = call(
        client, "POST", channels_url(app), token, {"email": customer.email, "uri": uri}
    )
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]["uri"]] == ["channel_not_wns"]
    assert not Channel.objects.exists()


def test_a_channel_needs_a_customer_of_the_app(client, app, other_app, token):
    customer = AppCustomerFactory(app=other_app).customer
    response = call(
        client,
        "POST",
        channels_url(app),
        token,
        {"email": customer.email, "uri": WNS_URI},
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_app_customer")


def test_channel_registration_takes_a_constant_number_of_queries(
    client, app, token, django_assert_max_num_queries
):
    customer = AppCustomerFactory(app=app).customer
    body = {"email": customer.email, "uri": WNS_URI}
    call(client, "POST", channels_url(app), token, body)
    with django_assert_max_num_queries(8):
        assert call(client, "POST", channels_url(app), token, body).status_code == 200


@pytest.fixture
def tracking(world) -> str:
    return str(OfferTracking.objects.get(segment=world["segment"]).tracking_id)


def conversion(tracking, customer, **fields):
    return {
        "tracking_id": tracking,
        "addon_product_id": "9nblggh4r315",
        "email": customer.email,
        "order_id": "order-1",
        **fields,
    }


def test_a_conversion_is_recorded_once_per_order(client, token, world, tracking):
    ann = world["ann"]
    first = call(client, "POST", CONVERSIONS, token, conversion(tracking, ann))
    assert first.status_code == 201, first.json()
    assert first.json()["addon_product_id"] == "9NBLGGH4R315"
    again = call(client, "POST", CONVERSIONS, token, conversion(tracking, ann))
    assert again.status_code == 200
    assert again.json() == first.json()
    other = call(
        client,
        "POST",
        CONVERSIONS,
        token,
        conversion(tracking, ann, order_id="order-2"),
    )
    assert other.status_code == 201
    assert OfferConversion.objects.count() == 2


def test_a_conversion_refuses_unknown_tracking_or_addon_or_another_addon(
    client, token, world, tracking
):
    ann = world["ann"]
    unknown = call(
        client, "POST", CONVERSIONS, token, conversion(str(uuid.uuid4()), ann)
    )
    assert unknown.status_code == 400
    assert (
        unknown.json()["errors"]["tracking_id"][0]["code"]
        == "offer_unknown_tracking_id"
    )
    call(client, "POST", CONVERSIONS, token, conversion(tracking, ann))
    other_addon = call(
        client,
        "POST",
        CONVERSIONS,
        token,
        conversion(tracking, ann, addon_product_id="9NBLGGH4R399"),
    )
    assert other_addon.status_code == 400
    assert OfferConversion.objects.count() == 1


def test_a_conversion_takes_a_constant_number_of_queries(
    client, token, world, tracking, django_assert_max_num_queries
):
    body = conversion(tracking, world["ann"])
    call(client, "POST", CONVERSIONS, token, body)
    with django_assert_max_num_queries(8):
        assert call(client, "POST", CONVERSIONS, token, body).status_code == 200


# Tokens


def test_no_token_is_401_with_the_scheme_to_use(client, app):
    response = client.get(targeting_url(app), {"email": "a@b.example"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header, code",
    [
        ("Bearer", "malformed_token"),
        ("Token abc", "malformed_token"),
        ("Bearer cgs_not-a-token", "invalid_token"),
        ("Bearer a b", "malformed_token"),
    ],
)
def test_a_bad_token_is_401(client, app, header, code):
    response = client.get(
        targeting_url(app), {"email": "a@b.example"}, headers={"Authorization": header}
    )
    assert (response.status_code, response.json()["code"]) == (401, code)


def test_a_revoked_token_is_401(client, app, token):
    api_token_revoke(token=ApiToken.objects.get())
    response = call(client, "GET", targeting_url(app), token, email="a@b.example")
    assert (response.status_code, response.json()["code"]) == (401, "revoked_token")


def test_a_partner_token_never_opens_a_store_endpoint(client, app, partner):
    token = partner_token(partner)
    for method, url in [
        ("GET", targeting_url(app)),
        ("POST", channels_url(app)),
        ("POST", CONVERSIONS),
    ]:
        response = call(client, method, url, token, {} if method == "POST" else None)
        assert (response.status_code, response.json()["code"]) == (
            401,
            "wrong_token_kind",
        ), url
