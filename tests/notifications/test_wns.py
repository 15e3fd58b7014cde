"""The WNS client (``notifications.wns``): the toast XML, the access token, and
each answer of WNS turned into an outcome, against the real stand-in (and
``httpx.MockTransport`` for what the stand-in never answers)."""

import datetime as dt
import email.utils
import socket
import threading
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications import wns
from notifications.wns import (
    LAUNCH_MAX_LENGTH,
    PAYLOAD_MAX_BYTES,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    AccessToken,
    Credentials,
    Outcome,
    Result,
    TokenError,
    WnsClient,
    toast_xml,
)

CREDENTIALS = Credentials(
    package_sid="ms-app://s-1-15-2-1111", client_secret="s3cret+/="
)
WRONG = Credentials(package_sid="ms-app://s-1-15-2-2222", client_secret="wrong")
PAYLOAD = toast_xml(title="Sale", text="50% off today", launch="sale=42")


@pytest.fixture
def client(wns_standin):
    with WnsClient(token_url=wns_standin.token_url, timeout=5) as client:
        yield client


def _send(client, standin, channel, **kwargs):
    return client.send(
        channel_uri=standin.channel_uri(channel),
        payload=kwargs.pop("payload", PAYLOAD),
        credentials=kwargs.pop("credentials", CREDENTIALS),
        **kwargs,
    )


def _read_back(payload: str) -> tuple[str | None, list[str]]:
    root = ET.fromstring(payload)
    assert root.tag == "toast"
    (visual,) = root
    assert visual.tag == "visual"
    (binding,) = visual
    assert (binding.tag, binding.attrib) == ("binding", {"template": "ToastGeneric"})
    assert [child.tag for child in binding] == ["text", "text"]
    return root.get("launch"), [child.text or "" for child in binding]


def _free_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The toast --------------------------------------------------------------------


def test_toast_xml_is_the_wns_toast_generic_shape():
    assert toast_xml(title="Hello", text="World", launch="a=1&b=2") == (
        '<toast launch="a=1&amp;b=2"><visual><binding template="ToastGeneric">'
        "<text>Hello</text><text>World</text></binding></visual></toast>"
    )


def test_toast_xml_leaves_an_empty_launch_out():
    payload = toast_xml(title="Hello", text="World")
    assert "launch" not in payload
    assert _read_back(payload) == (None, ["Hello", "World"])


HOSTILE = [
    "<script>alert('x')</script>",
    "Tom & Jerry &amp; &#x3C; &lt;",
    "He said \"hi\" and 'bye'",
    "]]> <![CDATA[ x ]]>",
    "🎉 Soldes d'été 👍🏽 — 50 % · 日本語",
    "</text></binding></visual></toast><toast>",
    "<!-- comment --> <?pi x?> <!DOCTYPE x>",
    "  spaces  and\ttabs\nand lines  ",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_toast_xml_escapes_hostile_values(hostile):
    payload = toast_xml(title=hostile, text=hostile[::-1], launch=hostile)
    assert _read_back(payload) == (hostile, [hostile, hostile[::-1]])


# XML 1.0 carries every character but the C0 controls (less tab, line feed and
# carriage return, which a parser turns into a line feed), surrogates and
# U+FFFE/U+FFFF.
XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
    ),
    max_size=60,
)


@given(title=XML_TEXT, text=XML_TEXT, launch=XML_TEXT)
def test_toast_xml_reads_back_whatever_the_values(title, text, launch):
    assert _read_back(toast_xml(title=title, text=text, launch=launch)) == (
        launch or None,
        [title, text],
    )


@pytest.mark.parametrize("bad", ["\x00", "bell\x07", "\x1b[31m", "\ud800", "\uffff"])
def test_toast_xml_refuses_characters_xml_cannot_carry(bad):
    with pytest.raises(ValueError, match="title"):
        toast_xml(title=bad, text="text")


def test_the_limits_are_those_of_wns_and_the_model():
    assert (TITLE_MAX_LENGTH, TEXT_MAX_LENGTH, LAUNCH_MAX_LENGTH) == (64, 200, 1024)
    assert PAYLOAD_MAX_BYTES == 5000


def test_toast_xml_accepts_a_payload_of_exactly_the_limit_and_no_more():
    overhead = len(toast_xml(title="t", text="x").encode()) - 1
    at_limit = toast_xml(title="t", text="x" * (PAYLOAD_MAX_BYTES - overhead))
    assert len(at_limit.encode()) == PAYLOAD_MAX_BYTES
    with pytest.raises(ValueError, match=r"5001 bytes; WNS accepts at most 5000"):
        toast_xml(title="t", text="x" * (PAYLOAD_MAX_BYTES - overhead + 1))


def test_the_payload_limit_counts_utf8_bytes_and_escapes_not_characters():
    # Fields within their lengths can still make a payload WNS refuses (413):
    # a launch of 1024 quotes is 6144 bytes escaped.
    toast_xml(
        title="t" * TITLE_MAX_LENGTH,
        text="x" * TEXT_MAX_LENGTH,
        launch="l" * LAUNCH_MAX_LENGTH,
    )
    with pytest.raises(ValueError, match="WNS accepts at most 5000"):
        toast_xml(title="t", text="x", launch='"' * LAUNCH_MAX_LENGTH)
    with pytest.raises(ValueError, match="WNS accepts at most 5000"):
        toast_xml(title="t", text="🎉" * 1250)  # 1250 characters, 5000 bytes


# Each answer of WNS ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SENT),
        (404, Outcome.EXPIRED),
        (410, Outcome.EXPIRED),
        (406, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (400, Outcome.FAILED),
        (403, Outcome.FAILED),
        (413, Outcome.FAILED),
    ],
)
def test_each_wns_answer_has_its_outcome(client, wns_standin, status, outcome):
    channel = "c" if status == 200 else f"c~{status}"
    result = _send(client, wns_standin, channel)
    assert (result.outcome, result.status) == (outcome, status)
    if status == 200:
        assert result.detail == "received"  # X-WNS-Status
    else:
        assert result.detail  # X-WNS-Error-Description
    assert [post["status"] for post in wns_standin.posts(channel)] == [status]


def test_a_payload_over_5_kb_is_refused_by_wns_413(client, wns_standin):
    payload = "<toast>" + "x" * PAYLOAD_MAX_BYTES + "</toast>"
    result = _send(client, wns_standin, "big", payload=payload)
    assert (result.outcome, result.status) == (Outcome.FAILED, 413)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, Outcome.SENT),
        (302, Outcome.FAILED),  # never followed
        (405, Outcome.FAILED),
        (429, Outcome.FAILED),  # WNS throttles with 406
        (502, Outcome.RETRY),
    ],
)
def test_other_answers(status, outcome):
    seen = []

    def answer(request):
        seen.append(request.url.path)
        if request.url.path == "/token":
            return httpx.Response(
                200, json={"access_token": "t", "token_type": "bearer", "expires_in": 9}
            )
        return httpx.Response(status, headers={"Location": "https://elsewhere/x"})

    with WnsClient(
        token_url="https://login.test/token", transport=httpx.MockTransport(answer)
    ) as client:
        result = client.send(
            channel_uri="https://wns.test/c", payload=PAYLOAD, credentials=CREDENTIALS
        )
    assert (result.outcome, result.status) == (outcome, status)
    assert seen == ["/token", "/c"]


def _mock_client(answer_channel):
    def answer(request):
        if request.url.path == "/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "bearer", "expires_in": 3600},
            )
        return answer_channel(request)

    return WnsClient(
        token_url="https://login.test/token", transport=httpx.MockTransport(answer)
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("30", 30.0), ("0", 0.0), ("1.5", 1.5), ("soon", None), ("-4", 0.0), ("", None)],
)
def test_retry_after_in_seconds(header, seconds):
    with _mock_client(
        lambda request: httpx.Response(503, headers={"Retry-After": header})
    ) as client:
        result = client.send(
            channel_uri="https://wns.test/c", payload=PAYLOAD, credentials=CREDENTIALS
        )
    assert result == Result(Outcome.RETRY, 503, "Service Unavailable", seconds)


def test_retry_after_as_an_http_date():
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    header = email.utils.format_datetime(when, usegmt=True)
    with _mock_client(
        lambda request: httpx.Response(406, headers={"Retry-After": header})
    ) as client:
        result = client.send(
            channel_uri="https://wns.test/c", payload=PAYLOAD, credentials=CREDENTIALS
        )
    assert result.outcome == Outcome.RETRY
    assert 100 < result.retry_after <= 120


def test_the_detail_is_truncated_to_300_characters():
    with _mock_client(
        lambda request: httpx.Response(
            400, headers={"X-WNS-Error-Description": "e" * 1000}
        )
    ) as client:
        result = client.send(
            channel_uri="https://wns.test/c", payload=PAYLOAD, credentials=CREDENTIALS
        )
    assert result.outcome == Outcome.FAILED
    assert len(result.detail) == 300


# The access token ---------------------------------------------------------------


def test_the_token_is_obtained_once_and_reused_across_sends(client, wns_standin):
    assert client.token_obtained_at is None
    before = dt.datetime.now(dt.UTC)
    for index in range(5):
        assert _send(client, wns_standin, f"c{index}").outcome == Outcome.SENT
    assert wns_standin.stats()["tokens"] == 1
    assert before <= client.token_obtained_at <= dt.datetime.now(dt.UTC)
    assert client.token_obtained_at.tzinfo is dt.UTC
    assert client.token_obtained_at_for(CREDENTIALS.package_sid) == (
        client.token_obtained_at
    )
    assert client.token_obtained_at_for("ms-app://another") is None
    tokens = {post["headers"]["authorization"] for post in wns_standin.posts()}
    assert len(tokens) == 1


def test_a_token_per_package_sid(client, wns_standin):
    other = Credentials(package_sid="ms-app://s-1-15-2-3333", client_secret="x")
    for credentials in (CREDENTIALS, other, CREDENTIALS, other):
        assert _send(client, wns_standin, "c", credentials=credentials).status == 200
    assert wns_standin.stats()["tokens"] == 2


def test_a_changed_secret_gets_a_new_token(client, wns_standin):
    rotated = Credentials(package_sid=CREDENTIALS.package_sid, client_secret="new")
    _send(client, wns_standin, "c")
    _send(client, wns_standin, "c", credentials=rotated)
    assert wns_standin.stats()["tokens"] == 2
    # and a wrong new secret surfaces at once
    with pytest.raises(TokenError):
        _send(
            client,
            wns_standin,
            "c",
            credentials=Credentials(rotated.package_sid, "wrong"),
        )


def test_the_token_request_is_oauth_client_credentials():
    requests = []

    def answer(request):
        requests.append(request)
        return httpx.Response(
            200,
            json={"access_token": "tok", "token_type": "Bearer", "expires_in": 86400},
        )

    with WnsClient(
        token_url="https://login.test/accesstoken.srf",
        transport=httpx.MockTransport(answer),
    ) as client:
        token = client.token(CREDENTIALS)
    (request,) = requests
    assert (request.method, str(request.url)) == (
        "POST",
        "https://login.test/accesstoken.srf",
    )
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode(), strict_parsing=True) == {
        "grant_type": ["client_credentials"],
        "client_id": [CREDENTIALS.package_sid],
        "client_secret": [CREDENTIALS.client_secret],
        "scope": ["notify.windows.com"],
    }
    assert token.value == "tok"
    assert token.usable()


def test_the_production_token_url():
    assert wns.PRODUCTION_TOKEN_URL == "https://login.live.com/accesstoken.srf"


@pytest.mark.parametrize(("expires_in", "requests"), [(3600, 1), (61, 1), (59, 3)])
def test_a_token_is_kept_until_a_minute_before_it_expires(expires_in, requests):
    seen = []

    def answer(request):
        seen.append(request.url.path)
        if request.url.path == "/token":
            return httpx.Response(
                200,
                json={
                    "access_token": f"t{len(seen)}",
                    "token_type": "bearer",
                    "expires_in": expires_in,
                },
            )
        return httpx.Response(200)

    with WnsClient(
        token_url="https://login.test/token", transport=httpx.MockTransport(answer)
    ) as client:
        for _ in range(3):
            client.send(
                channel_uri="https://wns.test/c",
                payload=PAYLOAD,
                credentials=CREDENTIALS,
            )
    assert seen.count("/token") == requests


def test_access_token_usable_until_60_seconds_before_expiry():
    token = AccessToken(value="t", expires_at=1000.0)
    assert token.usable(now=939.9)
    assert not token.usable(now=940.0)
    assert "s3cret" not in repr(AccessToken(value="s3cret", expires_at=1.0))


def test_credentials_never_show_their_secret():
    assert CREDENTIALS.client_secret not in repr(CREDENTIALS)
    assert CREDENTIALS.package_sid in repr(CREDENTIALS)


def test_threads_sharing_a_client_obtain_one_token(client, wns_standin):
    barrier = threading.Barrier(8)
    results = []

    def send(index):
        barrier.wait(timeout=10)
        results.append(_send(client, wns_standin, f"c{index}").outcome)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [Outcome.SENT] * 8
    assert wns_standin.stats()["tokens"] == 1


# 401: one refresh ---------------------------------------------------------------


def test_a_401_refreshes_the_token_once_and_the_post_succeeds(client, wns_standin):
    _send(client, wns_standin, "warm")  # a cached token
    first_obtained = client.token_obtained_at
    result = _send(client, wns_standin, "c~401x1")
    assert (result.outcome, result.status) == (Outcome.SENT, 200)
    assert wns_standin.stats()["tokens"] == 2
    posts = wns_standin.posts("c~401x1")
    assert [post["status"] for post in posts] == [401, 200]
    assert posts[0]["headers"]["authorization"] != posts[1]["headers"]["authorization"]
    assert posts[0]["body"] == posts[1]["body"] == PAYLOAD
    assert client.token_obtained_at > first_obtained
    # the new token is the one kept
    _send(client, wns_standin, "after")
    assert wns_standin.stats()["tokens"] == 2
    assert (
        wns_standin.posts("after")[0]["headers"]["authorization"]
        == posts[1]["headers"]["authorization"]
    )


@pytest.mark.parametrize("channel", ["c~401x2", "c~401"])
def test_a_second_401_fails_after_exactly_one_refresh(client, wns_standin, channel):
    result = _send(client, wns_standin, channel)
    assert (result.outcome, result.status) == (Outcome.FAILED, 401)
    assert wns_standin.stats()["tokens"] == 2
    assert [post["status"] for post in wns_standin.posts(channel)] == [401, 401]


def test_tokens_wns_no_longer_accepts_are_replaced(client, wns_standin):
    _send(client, wns_standin, "c")
    wns_standin.expire_tokens()
    result = _send(client, wns_standin, "c")
    assert (result.outcome, result.status) == (Outcome.SENT, 200)
    assert wns_standin.stats()["tokens"] == 2


# Token errors -------------------------------------------------------------------


def test_a_wrong_secret_is_a_clear_token_error(client, wns_standin):
    with pytest.raises(TokenError) as caught:
        _send(client, wns_standin, "c", credentials=WRONG)
    error = caught.value
    assert (error.status, error.retryable) == (400, False)
    assert error.detail.startswith("invalid_client")
    assert str(error).startswith(
        "WNS refused the credentials (HTTP 400: invalid_client"
    )
    assert "check the package SID and the client secret" in str(error)
    assert wns_standin.posts() == []
    assert client.token_obtained_at is None


def test_a_refresh_refused_raises_the_token_error():
    answers = iter([200, 400])

    def answer(request):
        if request.url.path == "/token":
            status = next(answers)
            if status == 400:
                return httpx.Response(400, json={"error": "invalid_client"})
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "bearer", "expires_in": 9e3},
            )
        return httpx.Response(401)

    with (
        WnsClient(
            token_url="https://login.test/token", transport=httpx.MockTransport(answer)
        ) as client,
        pytest.raises(TokenError, match="invalid_client"),
    ):
        client.send(
            channel_uri="https://wns.test/c", payload=PAYLOAD, credentials=CREDENTIALS
        )


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, text="<html>"), "unreadable token answer"),
        (httpx.Response(200, json={"token_type": "bearer"}), "unreadable"),
        (
            httpx.Response(
                200, json={"access_token": "t", "token_type": "mac", "expires_in": 9}
            ),
            "unexpected token_type 'mac'",
        ),
        (httpx.Response(503, text="down for maintenance"), "down for maintenance"),
    ],
)
def test_token_answers_that_are_no_token(response, message):
    with (
        WnsClient(
            token_url="https://login.test/token",
            transport=httpx.MockTransport(lambda request: response),
        ) as client,
        pytest.raises(TokenError, match=message) as caught,
    ):
        client.token(CREDENTIALS)
    assert caught.value.retryable == (response.status_code == 503)


def test_an_unreachable_token_endpoint_is_a_retryable_token_error():
    port = _free_closed_port()
    with (
        WnsClient(
            token_url=f"http://127.0.0.1:{port}/accounts/token", timeout=5
        ) as client,
        pytest.raises(TokenError) as caught,
    ):
        client.token(CREDENTIALS)
    assert (caught.value.status, caught.value.retryable) == (None, True)
    assert str(caught.value).startswith("the WNS token endpoint could not be reached")


# Network errors -----------------------------------------------------------------


def test_a_closed_port_is_retry_without_status(client, wns_standin):
    port = _free_closed_port()
    result = client.send(
        channel_uri=f"http://127.0.0.1:{port}/channels/c",
        payload=PAYLOAD,
        credentials=CREDENTIALS,
    )
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert result.detail.startswith("ConnectError")
    assert result.retry_after is None


def test_a_timeout_is_retry_without_status(wns_standin):
    with WnsClient(token_url=wns_standin.token_url, timeout=0.2) as client:
        result = _send(client, wns_standin, "c~slow5000")
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert "Timeout" in result.detail


@pytest.mark.parametrize("uri", ["ftp://wns.test/c", "not a uri"])
def test_a_channel_uri_no_retry_fixes_fails(client, uri):
    result = client.send(channel_uri=uri, payload=PAYLOAD, credentials=CREDENTIALS)
    assert (result.outcome, result.status) == (Outcome.FAILED, None)


# What reaches WNS ---------------------------------------------------------------


def test_the_post_carries_exactly_the_headers_wns_expects(client, wns_standin):
    _send(client, wns_standin, "c")
    (post,) = wns_standin.posts("c")
    headers = post["headers"]
    token = headers["authorization"].removeprefix("Bearer ")
    assert headers["authorization"] == f"Bearer {token}" and token
    assert headers["content-type"] == "text/xml"
    assert headers["x-wns-type"] == "wns/toast"
    assert headers["content-length"] == str(len(PAYLOAD.encode()))
    assert headers["host"] == f"127.0.0.1:{wns_standin.port}"
    assert {name for name in headers if name.startswith("x-wns-")} == {"x-wns-type"}
    assert set(headers) <= {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-length",
        "content-type",
        "x-wns-type",
        "authorization",
    }
    assert post["body"] == PAYLOAD


def test_the_payload_is_sent_as_utf8(client, wns_standin):
    payload = toast_xml(title="Été 🎉", text="日本語")
    _send(client, wns_standin, "c", payload=payload)
    (post,) = wns_standin.posts("c")
    assert post["body"] == payload
    assert post["headers"]["content-length"] == str(len(payload.encode("utf-8")))


def test_x_wns_ttl_is_sent_when_given(client, wns_standin):
    _send(client, wns_standin, "with", ttl_seconds=3600)
    _send(client, wns_standin, "zero", ttl_seconds=0)
    _send(client, wns_standin, "without")
    assert wns_standin.posts("with")[0]["headers"]["x-wns-ttl"] == "3600"
    assert wns_standin.posts("zero")[0]["headers"]["x-wns-ttl"] == "0"
    assert "x-wns-ttl" not in wns_standin.posts("without")[0]["headers"]
    with pytest.raises(ValueError, match="ttl_seconds"):
        _send(client, wns_standin, "negative", ttl_seconds=-1)


def test_one_connection_is_kept_alive_across_sends(client, wns_standin):
    for index in range(20):
        _send(client, wns_standin, f"c{index}")
    with wns_standin._server.connections_lock:
        assert len(wns_standin._server.connections) == 1
