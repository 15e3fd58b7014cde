"""The WNS stand-in (``notifications.standin``) over HTTP: its checks, the
channel grammar, its records, keep-alive, and ``manage.py wns_standin``."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.management.commands.wns_standin import is_loopback
from notifications.standin import ChannelAnswer, WnsStandin, channel_answer
from notifications.wns import Credentials, Outcome, WnsClient, toast_xml

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = toast_xml(title="Sale", text="50% off today")
FORM = {
    "grant_type": "client_credentials",
    "client_id": "ms-app://s-1-15-2-1111",
    "client_secret": "s3cret",
    "scope": "notify.windows.com",
}


@pytest.fixture
def http(wns_standin):
    with httpx.Client(base_url=wns_standin.url, timeout=10) as client:
        yield client


@pytest.fixture
def token(http):
    return http.post("/accounts/token", data=FORM).json()["access_token"]


def _toast(http, channel, token, *, body=PAYLOAD, **headers):
    sent = {
        "Content-Type": "text/xml",
        "X-WNS-Type": "wns/toast",
        "Authorization": f"Bearer {token}",
    }
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return http.post(
        f"/channels/{channel}",
        content=body.encode() if isinstance(body, str) else body,
        headers={name: value for name, value in sent.items() if value is not None},
    )


def _statuses(http, channel, token, posts):
    return [_toast(http, channel, token).status_code for _ in range(posts)]


# The grammar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "answer"),
    [
        ("abc", ChannelAnswer(200, None, 0)),
        ("abc~410", ChannelAnswer(410, None, 0)),
        ("abc~500x2", ChannelAnswer(500, 2, 0)),
        ("abc~401x1", ChannelAnswer(401, 1, 0)),
        ("abc~slow250", ChannelAnswer(200, None, 250)),
        ("abc~slow100~503x1", ChannelAnswer(503, 1, 100)),
        ("abc~slow999999", ChannelAnswer(200, None, 0)),  # 6 digits: no directive
        ("abc~slow99999", ChannelAnswer(200, None, 60_000)),  # capped
        ("abc~hello", ChannelAnswer(200, None, 0)),  # part of the name
        ("abc~600", ChannelAnswer(200, None, 0)),  # no status
        ("abc~199", ChannelAnswer(200, None, 0)),
        ("~404", ChannelAnswer(404, None, 0)),
        ("a~b~c~410", ChannelAnswer(410, None, 0)),
    ],
)
def test_the_grammar(channel, answer):
    assert channel_answer(channel) == answer


@pytest.mark.parametrize("status", [400, 403, 404, 406, 410, 413, 500, 503])
def test_a_status_channel_always_answers_it(http, token, status):
    assert _statuses(http, f"dev-1~{status}", token, 3) == [status] * 3
    response = _toast(http, f"dev-1~{status}", token)
    assert response.headers["X-WNS-Error-Description"]
    assert "X-WNS-Status" not in response.headers


def test_a_plain_channel_answers_200_received(http, token):
    response = _toast(http, "dev-1", token)
    assert response.status_code == 200
    assert response.headers["X-WNS-Status"] == "received"
    assert response.headers["Content-Length"] == "0"
    assert response.content == b""


def test_500x2_answers_500_twice_then_200(http, token):
    assert _statuses(http, "dev~500x2", token, 4) == [500, 500, 200, 200]


def test_401x1_answers_401_once_then_200(http, token):
    assert _statuses(http, "dev~401x1", token, 3) == [401, 200, 200]


def test_the_counts_are_per_channel(http, token):
    assert _statuses(http, "a~503x1", token, 2) == [503, 200]
    assert _statuses(http, "b~503x1", token, 2) == [503, 200]


def test_slow_answers_late(http, token):
    started = time.monotonic()
    assert _toast(http, "dev~slow150", token).status_code == 200
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    assert _statuses(http, "dev~slow100~503x1", token, 2) == [503, 200]
    assert time.monotonic() - started >= 0.2


def test_in_process_answers_come_first(wns_standin, http, token):
    wns_standin.answer("dev~500x1", [503, 410])
    assert _statuses(http, "dev~500x1", token, 4) == [503, 410, 200, 200]
    wns_standin.answer("other", [406])
    assert _statuses(http, "other", token, 2) == [406, 200]
    with pytest.raises(ValueError, match="not a status"):
        wns_standin.answer("other", [99])


def test_a_quoted_channel_id_is_read_unquoted(wns_standin, http, token):
    channel = "dev 1/é~410"
    uri = wns_standin.channel_uri(channel)
    assert uri.endswith("/channels/dev%201%2F%C3%A9~410")
    response = httpx.post(
        uri,
        content=PAYLOAD,
        headers={
            "Content-Type": "text/xml",
            "X-WNS-Type": "wns/toast",
            "Authorization": f"Bearer {token}",
        },
    )
    assert response.status_code == 410
    assert [post["channel"] for post in wns_standin.posts()] == [channel]


# The checks WNS makes -----------------------------------------------------------


def test_the_token_endpoint_issues_bearer_tokens(wns_standin, http):
    response = http.post("/accounts/token", data=FORM)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"access_token", "token_type", "expires_in"}
    assert (answer["token_type"], answer["expires_in"]) == ("bearer", 86400)
    assert len(answer["access_token"]) >= 32
    assert (
        http.post("/accounts/token", data=FORM).json()["access_token"]
        != (answer["access_token"])
    )
    assert wns_standin.stats()["tokens"] == 2


def test_a_wrong_secret_is_invalid_client(wns_standin, http):
    response = http.post("/accounts/token", data={**FORM, "client_secret": "wrong"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert wns_standin.stats()["tokens"] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"grant_type": "password"},
        {"scope": "s.notify.live.net"},
        {"client_id": ""},
        {"client_secret": ""},
    ],
)
def test_a_malformed_token_request_is_invalid_request(wns_standin, http, change):
    response = http.post("/accounts/token", data={**FORM, **change})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert wns_standin.stats()["tokens"] == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": None}, 401),
        ({"Authorization": "Bearer not-issued"}, 401),
        ({"Authorization": "Basic abc"}, 401),
        ({"X_WNS_Type": None}, 400),
        ({"X_WNS_Type": "wns/raw"}, 400),
        ({"Content_Type": None}, 400),
        ({"Content_Type": "application/json"}, 400),
        ({"Content_Type": "text/xml; charset=utf-8"}, 200),
        ({"X_WNS_TTL": "soon"}, 400),
        ({"X_WNS_TTL": "60"}, 200),
    ],
)
def test_the_post_checks(wns_standin, http, token, headers, status):
    response = _toast(http, "dev", token, **headers)
    assert response.status_code == status
    assert wns_standin.posts("dev")[-1]["status"] == status


def test_a_body_that_is_not_xml_is_400(http, token):
    assert _toast(http, "dev", token, body="<toast>").status_code == 400


def test_a_body_over_5000_bytes_is_413(http, token):
    body = "<toast>" + "x" * (5000 - len("<toast></toast>")) + "</toast>"
    assert _toast(http, "dev", token, body=body).status_code == 200
    assert _toast(http, "dev", token, body=body + " ").status_code == 413


def test_refused_posts_do_not_count_toward_the_directive(http, token):
    assert _toast(http, "dev~503x1", "not-issued").status_code == 401
    assert _statuses(http, "dev~503x1", token, 2) == [503, 200]


def test_expired_tokens_are_refused(wns_standin, http, token):
    assert _toast(http, "dev", token).status_code == 200
    wns_standin.expire_tokens()
    assert _toast(http, "dev", token).status_code == 401


def test_unknown_paths_are_404(http):
    assert http.get("/nothing").status_code == 404
    assert http.post("/channels/").status_code == 404
    assert http.post("/nothing", content=b"x").status_code == 404


# Records ------------------------------------------------------------------------


def test_stats_and_posts_over_http(wns_standin, http, token):
    _toast(http, "a", token, X_WNS_TTL="60")
    _toast(http, "b~410", token)
    _toast(http, "a", token, body=PAYLOAD.replace("Sale", "Soldes"))
    assert http.get("/_stats").json() == {
        "tokens": 1,
        "posts": 3,
        "channels": 2,
        "duplicates": 1,
        "duplicate_bodies": 0,
    }
    posts = http.get("/_posts", params={"channel": "a"}).json()
    assert [(post["channel"], post["status"]) for post in posts] == [
        ("a", 200),
        ("a", 200),
    ]
    assert posts[0]["body"] == PAYLOAD
    assert posts[0]["headers"]["x-wns-ttl"] == "60"
    assert posts[0]["headers"]["authorization"] == f"Bearer {token}"
    assert posts[0]["time"] <= posts[1]["time"] <= time.time()
    assert len(http.get("/_posts").json()) == 3
    assert http.get("/_posts").json() == wns_standin.posts()


def _duplicates(standin):
    stats = standin.stats()
    return stats["duplicates"], stats["duplicate_bodies"]


def test_duplicates_count_200s_to_a_channel_already_answered_200(
    wns_standin, http, token
):
    _toast(http, "a", token)
    assert wns_standin.stats()["duplicates"] == 0
    _toast(http, "a", token)  # the same toast twice
    assert _duplicates(wns_standin) == (1, 1)
    _toast(http, "a", token, body="<toast>another</toast>")  # another toast
    assert _duplicates(wns_standin) == (2, 1)
    # A retry after a failure is no duplicate: the first post was not delivered.
    assert _statuses(http, "b~500x1", token, 2) == [500, 200]
    assert _statuses(http, "c~410", token, 2) == [410, 410]
    assert wns_standin.stats()["duplicates"] == 2
    assert wns_standin.stats()["channels"] == 3


def test_reset_clears_records_and_counts_but_keeps_tokens_valid(
    wns_standin, http, token
):
    _toast(http, "a", token)
    _toast(http, "a", token)
    assert _toast(http, "b~500x1", token).status_code == 500
    wns_standin.answer("c", [503])
    assert http.post("/_reset").status_code == 200
    assert wns_standin.stats() == {
        "tokens": 0,
        "posts": 0,
        "channels": 0,
        "duplicates": 0,
        "duplicate_bodies": 0,
    }
    assert wns_standin.posts() == []
    assert _toast(http, "a", token).status_code == 200  # the token still works
    assert _toast(http, "b~500x1", token).status_code == 500  # counted anew
    assert _toast(http, "c", token).status_code == 200  # the queue is gone
    assert wns_standin.stats()["duplicates"] == 0
    wns_standin.reset()
    assert wns_standin.stats()["posts"] == 0


def test_at_most_max_posts_are_kept_but_all_are_counted():
    with WnsStandin(max_posts=3) as standin, httpx.Client(base_url=standin.url) as http:
        token = http.post("/accounts/token", data=FORM).json()["access_token"]
        for index in range(5):
            _toast(http, f"c{index}", token)
        assert [post["channel"] for post in standin.posts()] == ["c2", "c3", "c4"]
        assert standin.stats()["posts"] == 5


# Keep-alive, threads, stop ------------------------------------------------------


def test_posts_share_one_keep_alive_connection(wns_standin, token):
    connection = HTTPConnection("127.0.0.1", wns_standin.port, timeout=10)
    headers = {
        "Content-Type": "text/xml",
        "X-WNS-Type": "wns/toast",
        "Authorization": f"Bearer {token}",
    }
    try:
        sockets = set()
        for index in range(50):
            connection.request("POST", f"/channels/c{index}", PAYLOAD, headers)
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Content-Length") == "0"
            assert response.getheader("Connection") is None
            response.read()
            sockets.add(id(connection.sock))
        assert len(sockets) == 1
    finally:
        connection.close()
    assert wns_standin.stats()["posts"] == 50


def test_thousands_of_posts_over_one_keep_alive_connection(wns_standin, token):
    """Counted, not timed: the rate is printed (``-s``) for the record."""
    connection = HTTPConnection("127.0.0.1", wns_standin.port, timeout=10)
    headers = {
        "Content-Type": "text/xml",
        "X-WNS-Type": "wns/toast",
        "Authorization": f"Bearer {token}",
    }
    posts = 3000
    try:
        started = time.perf_counter()
        for index in range(posts):
            connection.request("POST", f"/channels/c{index % 100}", PAYLOAD, headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    stats = wns_standin.stats()
    assert (stats["posts"], stats["channels"]) == (posts, 100)
    assert stats["duplicates"] == posts - 100
    print(f"\nstand-in: {posts / elapsed:.0f} posts/s over one keep-alive connection")


def test_concurrent_clients_are_all_recorded(wns_standin, token):
    def post(index):
        with httpx.Client(base_url=wns_standin.url, timeout=10) as http:
            for number in range(50):
                assert _toast(http, f"t{index}-{number}", token).status_code == 200

    threads = [threading.Thread(target=post, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stats = wns_standin.stats()
    assert (stats["posts"], stats["channels"], stats["duplicates"]) == (400, 400, 0)


def test_stop_ends_open_connections_and_frees_the_port():
    standin = WnsStandin().start()
    port = standin.port
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/_stats")
    assert connection.getresponse().read()
    before = threading.active_count()
    standin.stop()
    standin.stop()  # twice is harmless
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    # the connection's thread ended with it
    deadline = time.monotonic() + 10
    while threading.active_count() >= before:
        assert time.monotonic() < deadline, threading.enumerate()
        time.sleep(0.01)
    connection.close()


def test_stop_without_start_and_the_context_manager():
    WnsStandin().stop()
    with WnsStandin() as standin:
        assert httpx.get(f"{standin.url}/_stats").status_code == 200
    assert standin.url.startswith("http://127.0.0.1:")
    assert standin.token_url == f"{standin.url}/accounts/token"


def test_a_slow_answer_does_not_hold_stop():
    standin = WnsStandin().start()
    with WnsClient(token_url=standin.token_url, timeout=0.1) as client:
        result = client.send(
            channel_uri=standin.channel_uri("c~slow60000"),
            payload=PAYLOAD,
            credentials=Credentials("ms-app://s", "x"),
        )
    assert result.outcome == Outcome.RETRY
    started = time.monotonic()
    standin.stop()
    assert time.monotonic() - started < 10


# manage.py wns_standin ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, deadline_seconds: float = 60):
    deadline = time.monotonic() + deadline_seconds
    while True:
        assert process.poll() is None, process.communicate()
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.05)


def test_the_command_serves_until_sigterm(tmp_path):
    port = _free_port()
    output = tmp_path / "out.txt"
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "wns_standin", f"--port={port}"],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{url}/_stats", process).json()["posts"] == 0
        with WnsClient(token_url=f"{url}/accounts/token") as client:
            result = client.send(
                channel_uri=f"{url}/channels/dev~500x1",
                payload=PAYLOAD,
                credentials=Credentials("ms-app://s", "x"),
            )
            assert (result.outcome, result.status) == (Outcome.RETRY, 500)
            result = client.send(
                channel_uri=f"{url}/channels/dev~500x1",
                payload=PAYLOAD,
                credentials=Credentials("ms-app://s", "x"),
            )
            assert result.outcome == Outcome.SENT
        assert httpx.get(f"{url}/_stats").json()["posts"] == 2

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.read_text()
    assert f"listening on {url}" in text
    assert f"token URL: {url}/accounts/token" in text
    assert "~500x2" in text  # the grammar
    assert "stopped" in text
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.invalid"])
def test_the_command_refuses_a_remote_host(host):
    with pytest.raises(CommandError, match="--allow-remote"):
        call_command("wns_standin", host=host, port=0)


def test_the_command_refuses_a_remote_host_from_the_shell():
    result = subprocess.run(
        [sys.executable, "manage.py", "wns_standin", "--host=0.0.0.0", "--port=0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "not a loopback address" in result.stderr
    assert "--allow-remote" in result.stderr


def test_the_command_says_when_the_port_is_taken(wns_standin):
    with pytest.raises(
        CommandError, match=f"cannot listen on 127.0.0.1:{wns_standin.port}"
    ):
        call_command("wns_standin", port=wns_standin.port)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("example.invalid", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
