"""A local stand-in for WNS: its token endpoint and its notification channels.

For tests (``WnsStandin(...).start()`` in a thread) and for developers
(``manage.py wns_standin --port 8600``), on 127.0.0.1 by default. Standard
library only; no database. It answers as WNS does (``notifications.wns``
describes the protocol) and records what it received:

``POST /accounts/token``
    OAuth 2.0 client credentials, form-encoded: ``grant_type`` must be
    ``client_credentials``, ``scope`` ``notify.windows.com``, ``client_id``
    and ``client_secret`` non-empty (else 400 ``invalid_request``). A
    ``client_secret`` of ``wrong`` is refused: 400 ``invalid_client``.
    Otherwise 200 ``{"access_token": <random>, "token_type": "bearer",
    "expires_in": 86400}``.
``POST /channels/<channel id>``
    A toast. 401 without ``Authorization: Bearer <a token it issued>``; 400
    without ``X-WNS-Type: wns/toast``, without ``Content-Type: text/xml``,
    with an ``X-WNS-TTL`` that is not a whole number of seconds, or with a
    body that is not XML; 413 over 5000 bytes (as WNS). Then the channel's
    answer (below): 200 comes with ``X-WNS-Status: received``, any other
    status with an ``X-WNS-Error-Description``.
``GET /_stats``
    ``{"tokens", "posts", "channels", "duplicates", "duplicate_bodies"}``:
    tokens issued, posts received (whatever they were answered), distinct
    channels posted to, and posts answered 200 on a channel already answered
    200 before — a toast delivered twice, which the delivery code must keep
    at 0 — of which ``duplicate_bodies`` had the very same body (two
    notifications to one channel are duplicates, not duplicate bodies).
``GET /_posts?channel=<id>``
    The posts recorded (all, or one channel's), oldest first: ``channel``,
    ``headers`` (names in lower case), ``body``, ``status`` answered,
    ``time`` (Unix seconds).
``POST /_reset``
    Forget the records, counts and channel answers. The tokens already
    issued stay valid, so a client's cached token keeps working.

**How a channel answers: its id says so.** This works from any process,
without set-up. A channel id is a name followed by directives, each after a
``~``; a part after ``~`` that is no directive is part of the name:

- ``<name>``: 200.
- ``<name>~410``: always 410; likewise ``~400``, ``~403``, ``~404``,
  ``~406``, ``~413``, ``~500``, ``~503``, any status from 200 to 599.
- ``<name>~500x2``: 500 to the first 2 posts, then 200 (``~401x1``: a token
  WNS no longer accepts, once).
- ``<name>~slow250``: answers 250 ms late (up to 60 000), then as the other
  directives say: ``a~slow250~503x1``.

Posts refused by the checks above (401 for a token it never issued, 400,
413) do not count toward ``x<n>``. In the same process a test may instead
queue answers: ``standin.answer("a", [503, 410])`` answers 503, then 410,
then as the id says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from notifications.wns import PAYLOAD_MAX_BYTES, SCOPE, TOAST_TYPE

TOKEN_PATH = "/accounts/token"
CHANNELS_PATH = "/channels/"
TOKEN_LIFETIME_SECONDS = 86400
WRONG_SECRET = "wrong"
SLOW_MAX_MS = 60_000
# Posts kept for ``posts()``; the counts cover every post whatever this is.
MAX_POSTS_KEPT = 100_000
# A keep-alive connection idle this long is closed.
IDLE_TIMEOUT_SECONDS = 120
# Bodies the stand-in reads at most (a token form, a toast over the limit).
MAX_BODY_BYTES = 1 << 20

GRAMMAR_HELP = (
    "channel ids: <name> answers 200; <name>~410 always 410 (any status); "
    "<name>~500x2 500 twice, then 200; <name>~slow250 250 ms late; "
    "directives combine: <name>~slow250~503x1"
)

_STATUS = re.compile(r"([2-5][0-9]{2})(?:x([0-9]{1,6}))?")
_SLOW = re.compile(r"slow([0-9]{1,5})")

_ERROR_DESCRIPTIONS = {
    400: "Bad request: a header or the payload is malformed",
    401: "The access token has expired or is invalid",
    403: "The token is not authorized to send to this channel",
    404: "The channel URI is not valid or not recognized by WNS",
    405: "Invalid method",
    406: "The cloud service exceeded its throttle limit",
    410: "The channel expired",
    413: "The notification payload exceeds the 5000 byte limit",
    500: "An internal failure caused notification delivery to fail",
    503: "The server is currently unavailable",
}


@dataclass(frozen=True)
class ChannelAnswer:
    """What a channel id asks for: a status (for ``times`` posts, None for
    every post) and a delay."""

    status: int = 200
    times: int | None = None
    slow_ms: int = 0


def channel_answer(channel_id: str) -> ChannelAnswer:
    """Read the directives at the end of a channel id (module docstring)."""
    status, times, slow_ms = 200, None, 0
    for part in channel_id.split("~")[1:]:
        if match := _STATUS.fullmatch(part):
            status = int(match[1])
            times = int(match[2]) if match[2] else None
        elif match := _SLOW.fullmatch(part):
            slow_ms = min(int(match[1]), SLOW_MAX_MS)
    return ChannelAnswer(status, times, slow_ms)


class _State:
    """The records, behind one lock."""

    def __init__(self, max_posts: int) -> None:
        self.lock = threading.Lock()
        self.issued: dict[str, str] = {}  # token → client_id; survives reset()
        self.max_posts = max_posts
        self.clear()

    def clear(self) -> None:
        self.tokens = 0
        self.post_count = 0
        self.posts: deque[dict[str, Any]] = deque(maxlen=self.max_posts)
        self.channels: set[str] = set()
        self.answered: Counter[str] = Counter()  # posts past the checks
        self.delivered: set[str] = set()
        self.delivered_bodies: set[tuple[str, bytes]] = set()
        self.duplicates = 0
        self.duplicate_bodies = 0
        self.queued: dict[str, deque[int]] = {}

    def stats(self) -> dict[str, int]:
        return {
            "tokens": self.tokens,
            "posts": self.post_count,
            "channels": len(self.channels),
            "duplicates": self.duplicates,
            "duplicate_bodies": self.duplicate_bodies,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # ThreadingHTTPServer binds with SO_REUSEADDR; a fixed port is free again
    # as soon as the previous stand-in stopped.

    def __init__(self, address: tuple[str, int], state: _State, log: bool) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self.log = log
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()  # cuts a slow answer short
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer's would look the host's name up in the DNS: no need.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (a timeout, a stop) is no error of ours.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """End the keep-alive connections, so that their threads end too."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "WNS-standin/1"
    sys_version = ""
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive
    timeout = IDLE_TIMEOUT_SECONDS

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)

    # Answers -------------------------------------------------------------

    def _answer(
        self,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        content_type: str | None = None,
    ) -> None:
        """One write per answer, always with a Content-Length."""
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Stand-in"
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Length: {len(body)}",
        ]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)
        self.log_request(status, len(body))

    def _json(self, status: int, value: Any) -> None:
        self._answer(
            status, json.dumps(value).encode(), content_type="application/json"
        )

    def _body(self) -> bytes | None:
        """The request body, or None (answered) when it cannot be read."""
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                self._answer(411)
                return None
            return b""
        try:
            size = int(length)
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_BODY_BYTES:
            self.close_connection = True
            self._answer(413 if size > MAX_BODY_BYTES else 400)
            return None
        return self.rfile.read(size)

    # Routes --------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        state = self.server.state
        if url.path == "/_stats":
            with state.lock:
                stats = state.stats()
            self._json(200, stats)
        elif url.path == "/_posts":
            channel = parse_qs(url.query).get("channel", [None])[0]
            self._json(200, _posts(state, channel))
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        body = self._body()
        if body is None:
            return
        path = urlsplit(self.path).path
        if path == TOKEN_PATH:
            self._token(body)
        elif path.startswith(CHANNELS_PATH) and len(path) > len(CHANNELS_PATH):
            self._toast(unquote(path[len(CHANNELS_PATH) :]), body)
        elif path == "/_reset":
            with self.server.state.lock:
                self.server.state.clear()
            self._json(200, {"reset": True})
        else:
            self._json(404, {"error": "not_found"})

    def _token(self, body: bytes) -> None:
        form = {
            name: values[0]
            for name, values in parse_qs(body.decode("utf-8", "replace")).items()
        }
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("scope") != SCOPE
            or not form.get("client_id")
            or not form.get("client_secret")
        ):
            self._json(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "grant_type must be client_credentials, "
                    f"scope {SCOPE}, client_id and client_secret set",
                },
            )
            return
        if form["client_secret"] == WRONG_SECRET:
            self._json(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "The client secret is wrong",
                },
            )
            return
        token = secrets.token_urlsafe(32)
        state = self.server.state
        with state.lock:
            state.issued[token] = form["client_id"]
            state.tokens += 1
        self._json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
            },
        )

    def _toast(self, channel: str, body: bytes) -> None:
        state = self.server.state
        status = self._refusal(body)
        delay = 0
        with state.lock:
            if status is None:
                wanted = channel_answer(channel)
                delay = wanted.slow_ms
                queued = state.queued.get(channel)
                if queued:
                    status = queued.popleft()
                elif wanted.times is None or state.answered[channel] < wanted.times:
                    status = wanted.status
                else:
                    status = 200
                state.answered[channel] += 1
            if status == 200:
                key = (channel, hashlib.blake2b(body, digest_size=16).digest())
                if channel in state.delivered:
                    state.duplicates += 1
                    state.duplicate_bodies += key in state.delivered_bodies
                state.delivered.add(channel)
                state.delivered_bodies.add(key)
            state.post_count += 1
            state.channels.add(channel)
            state.posts.append(
                {
                    "channel": channel,
                    "headers": {
                        name.lower(): value for name, value in self.headers.items()
                    },
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "time": time.time(),
                }
            )
        if delay:
            self.server.stopping.wait(delay / 1000)
        if status == 200:
            headers = [
                ("X-WNS-Status", "received"),
                ("X-WNS-Msg-ID", secrets.token_hex(8)),
            ]
        else:
            description = _ERROR_DESCRIPTIONS.get(status, "The stand-in said so")
            headers = [("X-WNS-Error-Description", description)]
        self._answer(status, headers=headers)

    def _refusal(self, body: bytes) -> int | None:
        """The status of a post WNS would refuse whatever the channel, or None."""
        authorization = self.headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        with self.server.state.lock:
            known = token.strip() in self.server.state.issued
        if scheme.lower() != "bearer" or not known:
            return 401
        if self.headers.get("X-WNS-Type") != TOAST_TYPE:
            return 400
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "text/xml":
            return 400
        ttl = self.headers.get("X-WNS-TTL")
        if ttl is not None and not ttl.isdigit():
            return 400
        if len(body) > PAYLOAD_MAX_BYTES:
            return 413
        try:
            ET.fromstring(body)
        except ET.ParseError:
            return 400
        return None


def _posts(state: _State, channel: str | None) -> list[dict[str, Any]]:
    with state.lock:
        return [
            {**post, "headers": dict(post["headers"])}
            for post in state.posts
            if channel is None or post["channel"] == channel
        ]


class WnsStandin:
    """The stand-in server: ``start()`` it in a thread, or ``serve_forever()``.

    ``port=0`` picks a free port; ``url`` says which. ``log=True`` prints a
    line per request on stderr.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log: bool = False,
        max_posts: int = MAX_POSTS_KEPT,
    ) -> None:
        self._state = _State(max_posts)
        self._server = _Server((host, port), self._state, log)
        self._thread: threading.Thread | None = None
        self._serving_lock = threading.Lock()
        self._serving = False
        self._stopped = False

    # Life -----------------------------------------------------------------

    def start(self) -> WnsStandin:
        """Serve in a background (daemon) thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever,
                name=f"wns-standin-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop()`` is called from another."""
        with self._serving_lock:
            if self._stopped:
                return
            self._serving = True
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving, end the open connections, free the port."""
        with self._serving_lock:
            if self._stopped:
                return
            self._stopped = True
            serving = self._serving
        self._server.stopping.set()
        if serving:  # shutdown() waits for serve_forever(): only if it runs
            self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> WnsStandin:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses ------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def channel_uri(self, channel_id: str) -> str:
        """The URI of a channel, its id quoted (``~`` kept)."""
        return self.url + CHANNELS_PATH + quote(channel_id, safe="~")

    # Records and answers ----------------------------------------------------

    def stats(self) -> dict[str, int]:
        """What ``GET /_stats`` answers."""
        with self._state.lock:
            return self._state.stats()

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """What ``GET /_posts`` answers."""
        return _posts(self._state, channel)

    def reset(self) -> None:
        """What ``POST /_reset`` does."""
        with self._state.lock:
            self._state.clear()

    def answer(self, channel_id: str, statuses: Iterable[int]) -> None:
        """Answer the next posts to ``channel_id`` (past the checks) with
        ``statuses``, in order; then as its id says."""
        statuses = [int(status) for status in statuses]
        for status in statuses:
            if not 200 <= status <= 599:
                raise ValueError(f"not a status WNS answers: {status}")
        with self._state.lock:
            self._state.queued.setdefault(channel_id, deque()).extend(statuses)

    def expire_tokens(self) -> None:
        """Refuse every token issued so far (401), as when they expire."""
        with self._state.lock:
            self._state.issued.clear()
