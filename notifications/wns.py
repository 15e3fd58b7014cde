"""The Windows Push Notification Services (WNS) protocol: toast XML, the
access token and the post of a toast to a notification channel.

No models and no database: whatever the delivery needs (the token endpoint,
an app's credentials, the channel URI) arrives as an argument, so the stand-in
(``notifications.standin``) and the tests use this module as production does.

What WNS does, in words:

1. **Access token.** The cloud service authenticates with OAuth 2.0 client
   credentials: it posts, form-encoded, ``grant_type=client_credentials``,
   ``client_id=<the app's package SID>``, ``client_secret=<its client secret>``
   and ``scope=notify.windows.com`` to the token endpoint (in production
   ``https://login.live.com/accesstoken.srf``, ``PRODUCTION_TOKEN_URL``). The
   answer is JSON: ``access_token``, ``token_type`` ("bearer") and
   ``expires_in`` (seconds, about a day). Wrong credentials answer 400 with
   ``{"error": "invalid_client"}``.
2. **The post.** The toast is an XML document posted to the channel URI the
   app registered for its customer, with ``Content-Type: text/xml``,
   ``X-WNS-Type: wns/toast``, ``Authorization: Bearer <access token>`` and,
   optionally, ``X-WNS-TTL: <seconds>`` after which WNS drops a toast it could
   not deliver yet. A payload may not exceed 5 KB.
3. **The answer.** 200: WNS accepted the toast (``X-WNS-Status: received``).
   401: the token expired or is invalid, get a new one and post again.
   404 or 410: the channel is not valid or expired, never post to it again.
   406: this cloud service is throttled, try later. 413: the payload is over
   5 KB. 400: a header or the payload is malformed. 403: the token does not
   authorise this channel (another app's). 500 or 503: WNS failed or is
   unavailable, try later. Errors come with an ``X-WNS-Error-Description``
   header.

``WnsClient.send`` turns each answer into an ``Outcome`` the delivery code
acts on; it never raises for a channel's answer, only ``TokenError`` when no
token can be obtained.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

import httpx

PRODUCTION_TOKEN_URL = "https://login.live.com/accesstoken.srf"

# The limits of a toast (the model fields follow them) and of its payload:
# WNS answers 413 to a payload over 5 KB.
TITLE_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 200
LAUNCH_MAX_LENGTH = 1024
PAYLOAD_MAX_BYTES = 5000

# A cached token is used until this many seconds before it expires.
TOKEN_EXPIRY_MARGIN_SECONDS = 60.0
# What ``Result.detail`` and ``TokenError.detail`` keep of a message.
DETAIL_MAX_LENGTH = 300

SCOPE = "notify.windows.com"
TOAST_TYPE = "wns/toast"
USER_AGENT = "customer-groups-wns/1"


def toast_xml(*, title: str, text: str, launch: str = "") -> str:
    """The WNS toast payload of a title, a text and its launch arguments.

    ``<toast launch="…"><visual><binding template="ToastGeneric"><text>TITLE
    </text><text>TEXT</text></binding></visual></toast>``, built by
    ElementTree so that every character is escaped; ``launch`` is left out
    when empty. Raise ``ValueError`` when the UTF-8 payload is over
    ``PAYLOAD_MAX_BYTES`` (WNS would answer 413) or when a value holds a
    character XML 1.0 cannot carry (a control character: no parser would
    read the toast back).
    """
    for name, value in (("title", title), ("text", text), ("launch", launch)):
        _require_xml_chars(name, value)
    toast = ET.Element("toast", {"launch": launch} if launch else {})
    visual = ET.SubElement(toast, "visual")
    binding = ET.SubElement(visual, "binding", {"template": "ToastGeneric"})
    ET.SubElement(binding, "text").text = title
    ET.SubElement(binding, "text").text = text
    payload = ET.tostring(toast, encoding="unicode")
    size = len(payload.encode("utf-8"))
    if size > PAYLOAD_MAX_BYTES:
        raise ValueError(
            f"the toast payload is {size} bytes; WNS accepts at most "
            f"{PAYLOAD_MAX_BYTES}"
        )
    return payload


def _require_xml_chars(name: str, value: str) -> None:
    for char in value:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or code in (0xFFFE, 0xFFFF):
            raise ValueError(f"the {name} holds U+{code:04X}, which XML cannot carry")
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"the {name} holds a lone surrogate U+{code:04X}")


@dataclass(frozen=True)
class Credentials:
    """An app's WNS identity, as the partner entered it in the Dev Center."""

    package_sid: str
    client_secret: str

    def __repr__(self) -> str:  # never the secret in a log or a traceback
        return f"Credentials(package_sid={self.package_sid!r}, client_secret=***)"


@dataclass(frozen=True)
class AccessToken:
    """A WNS access token and when it expires.

    ``expires_at`` is on the ``time.monotonic()`` clock of the process that
    obtained it (a change of the wall clock does not move it): compare it
    with ``time.monotonic()``, never store it.
    """

    value: str
    expires_at: float

    def __repr__(self) -> str:
        return f"AccessToken(value=***, expires_at={self.expires_at!r})"

    def usable(self, now: float | None = None) -> bool:
        """Whether it is good for a post: not within a minute of expiring."""
        now = time.monotonic() if now is None else now
        return now < self.expires_at - TOKEN_EXPIRY_MARGIN_SECONDS


class Outcome(StrEnum):
    """What the delivery does after a post."""

    SENT = "sent"  # 200: WNS accepted the toast
    EXPIRED = "expired"  # 404, 410: the channel is gone; deactivate it
    RETRY = "retry"  # 406, 5xx, network error or timeout: try later
    FAILED = "failed"  # 400, 403, 413, a second 401, any other answer


@dataclass(frozen=True)
class Result:
    """WNS's answer to one post.

    ``status`` is None when no answer came (a network error or a timeout);
    ``detail`` is WNS's ``X-WNS-Error-Description`` (else its
    ``X-WNS-Status``) or the exception's text, at most 300 characters;
    ``retry_after`` the seconds of a ``Retry-After`` header, if any.
    """

    outcome: Outcome
    status: int | None
    detail: str = ""
    retry_after: float | None = None


class TokenError(Exception):
    """No access token: the token endpoint refused the credentials, answered
    something unreadable, or could not be reached (``status`` None).

    ``retryable`` tells a passing failure (no answer, 429, 5xx) from
    credentials to fix (400 ``invalid_client``): the delivery retries the
    former and fails the notification on the latter.
    """

    def __init__(self, status: int | None, detail: str) -> None:
        self.status = status
        self.detail = _truncate(detail)
        super().__init__(self.status, self.detail)

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500

    def __str__(self) -> str:
        if self.status is None:
            return f"the WNS token endpoint could not be reached: {self.detail}"
        if self.status in (400, 401, 403):
            return (
                f"WNS refused the credentials (HTTP {self.status}: {self.detail}); "
                "check the package SID and the client secret"
            )
        return f"the WNS token endpoint answered HTTP {self.status}: {self.detail}"


def _truncate(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DETAIL_MAX_LENGTH:
        return text
    return text[: DETAIL_MAX_LENGTH - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def outcome_of(status: int) -> Outcome:
    """The outcome of a WNS answer (a 401 here is one after a fresh token)."""
    if 200 <= status < 300:
        return Outcome.SENT
    if status in (404, 410):
        return Outcome.EXPIRED
    if status == 406 or 500 <= status < 600:
        return Outcome.RETRY
    return Outcome.FAILED


class WnsClient:
    """Posts toasts to WNS over one pooled, keep-alive ``httpx.Client``.

    Create one per worker process and keep it (``close()`` or ``with`` at
    the end): it caches an access token per package SID until a minute
    before it expires, and its connections stay open between posts. Safe to
    share between threads.
    """

    def __init__(
        self,
        *,
        token_url: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.token_url = token_url
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._lock = threading.Lock()  # guards the dictionaries below
        self._sid_locks: dict[str, threading.Lock] = {}
        # package SID → (client secret, token): a changed secret gets a new one.
        self._tokens: dict[str, tuple[str, AccessToken]] = {}
        self._obtained_at: dict[str, dt.datetime] = {}
        self._last_obtained_at: dt.datetime | None = None

    def __enter__(self) -> WnsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    @property
    def token_obtained_at(self) -> dt.datetime | None:
        """When (UTC) this client last obtained a token, for any app."""
        return self._last_obtained_at

    def token_obtained_at_for(self, package_sid: str) -> dt.datetime | None:
        """When (UTC) this client last obtained a token for this package SID."""
        return self._obtained_at.get(package_sid)

    def token(self, credentials: Credentials) -> AccessToken:
        """A usable access token for ``credentials``: the cached one, else a
        new one from the token endpoint (OAuth 2.0 client credentials).

        Raise ``TokenError`` when the endpoint answers anything but 200 with
        a bearer token, or cannot be reached (``status`` None).
        """
        sid = credentials.package_sid
        with self._lock:
            cached = self._cached(credentials)
            if cached is not None:
                return cached
            sid_lock = self._sid_locks.setdefault(sid, threading.Lock())
        # One request per package SID at a time: the threads needing its token
        # wait for it; the other apps' posts go on.
        with sid_lock:
            with self._lock:
                cached = self._cached(credentials)
            if cached is not None:
                return cached
            token = self._request_token(credentials)
            obtained_at = dt.datetime.now(dt.UTC)
            with self._lock:
                self._tokens[sid] = (credentials.client_secret, token)
                self._obtained_at[sid] = obtained_at
                self._last_obtained_at = obtained_at
            return token

    def _cached(self, credentials: Credentials) -> AccessToken | None:
        cached = self._tokens.get(credentials.package_sid)
        if (
            cached is not None
            and cached[0] == credentials.client_secret
            and cached[1].usable()
        ):
            return cached[1]
        return None

    def forget_token(
        self, credentials: Credentials, token: AccessToken | None = None
    ) -> None:
        """Drop the cached token of ``credentials`` (only if it is ``token``,
        when given: another thread may have replaced it already)."""
        with self._lock:
            cached = self._tokens.get(credentials.package_sid)
            if cached is not None and (token is None or cached[1] == token):
                del self._tokens[credentials.package_sid]

    def _request_token(self, credentials: Credentials) -> AccessToken:
        started = time.monotonic()
        try:
            response = self._http.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials.package_sid,
                    "client_secret": credentials.client_secret,
                    "scope": SCOPE,
                },
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise TokenError(None, _exception_text(exc)) from exc
        if response.status_code != 200:
            raise TokenError(response.status_code, _token_error_detail(response))
        try:
            answer = response.json()
            value = answer["access_token"]
            token_type = answer.get("token_type", "bearer")
            expires_in = float(answer["expires_in"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TokenError(
                200, f"unreadable token answer ({exc!r}): {response.text}"
            ) from exc
        if not isinstance(value, str) or not value:
            raise TokenError(200, "the token answer has no access_token")
        if str(token_type).lower() != "bearer":
            raise TokenError(200, f"unexpected token_type {token_type!r}")
        # From when the request left: the token cannot outlive that.
        return AccessToken(value=value, expires_at=started + expires_in)

    def send(
        self,
        *,
        channel_uri: str,
        payload: str,
        credentials: Credentials,
        ttl_seconds: int | None = None,
    ) -> Result:
        """Post the toast ``payload`` to ``channel_uri``; say what WNS answered.

        A 401 (the token expired or was revoked) drops the cached token and
        posts once more with a new one; a second 401 is FAILED. A network
        error or timeout is RETRY with ``status`` None. Raise ``TokenError``
        when no token can be obtained, at first or on that refresh.
        """
        headers = {"Content-Type": "text/xml", "X-WNS-Type": TOAST_TYPE}
        if ttl_seconds is not None:
            if ttl_seconds < 0:
                raise ValueError(f"ttl_seconds must be 0 or more, not {ttl_seconds}")
            headers["X-WNS-TTL"] = str(int(ttl_seconds))
        body = payload.encode("utf-8")
        token = self.token(credentials)
        result = self._post(channel_uri, body, headers, token)
        if result.status == 401:
            self.forget_token(credentials, token)
            token = self.token(credentials)
            result = self._post(channel_uri, body, headers, token)
        return result

    def _post(
        self, channel_uri: str, body: bytes, headers: dict[str, str], token: AccessToken
    ) -> Result:
        try:
            response = self._http.post(
                channel_uri,
                content=body,
                headers={**headers, "Authorization": f"Bearer {token.value}"},
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            # No retry fixes the URI itself.
            return Result(Outcome.FAILED, None, _exception_text(exc))
        except httpx.TransportError as exc:
            return Result(Outcome.RETRY, None, _exception_text(exc))
        status = response.status_code
        detail = (
            response.headers.get("X-WNS-Error-Description")
            or response.headers.get("X-WNS-Status")
            or ("" if status == 200 else response.reason_phrase)
        )
        return Result(
            outcome=outcome_of(status),
            status=status,
            detail=_truncate(detail),
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )


def _exception_text(exc: Exception) -> str:
    text = str(exc)
    return _truncate(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _token_error_detail(response: httpx.Response) -> str:
    """``error: error_description`` of an OAuth error answer, else its text."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("error"):
        description = answer.get("error_description")
        error = str(answer["error"])
        return f"{error}: {description}" if description else error
    return response.text or response.reason_phrase
