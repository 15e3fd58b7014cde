"""What the partners of ``make load`` do (``manage.py load_dashboard`` runs it).

Locust loads this file in its own process, headless; it is not a test, and
pytest never collects it (it lives outside ``tests/``). Every user signs in
through the real login form; the clock of ``--browse-seconds`` starts once
every one has (a password hash costs ~0.5 s of CPU each, which is not
browsing). Then each, without pause, opens one of:

- the dashboard: its home (the trivial view: a redirect after the session,
  user and partner lookup that every page does) then the customer groups page;
- a segment page;
- the editor of a segment, then two live estimates of its definition (the
  page sends one when it loads and one after each change), posted with the
  editor's form fields as its htmx does.

At exit it writes the figures to ``--summary-file`` (JSON) for the command.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser

import gevent
from gevent.event import Event
from locust import HttpUser, constant, events, task
from locust.exception import StopUser

LOGIN_URL = "/accounts/login/"
HOME_URL = "/"
GROUPS_URL = "/engage/customer-groups/"
ESTIMATE_URL = "/engage/segments/estimate/"
SEGMENT_LINK = re.compile(r'href="/engage/segments/(\d+)/"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Above gunicorn's 30 s worker timeout: a request the server gives up on is
# counted as the error it gets, not cut short by the client.
REQUEST_TIMEOUT = 60
# What a count looks like in the estimate fragment; an answer without one
# (an incomplete definition, or a query that took too long) is counted apart,
# and the answer of a query stopped by the statement timeout once more.
ESTIMATE_COUNT_MARK = 'id="estimate-members"'
ESTIMATE_TIMED_OUT_MARK = 'id="estimate-timed-out"'

GROUPS, SEGMENT, EDITOR, ESTIMATE = "groups", "segment", "editor", "estimate"
TRIVIAL, SIGN_IN = "home (trivial)", "sign-in"

_statuses: dict[str, Counter] = defaultdict(Counter)
_errors_by_status: Counter = Counter()
_estimates_without_count = 0
_estimates_timed_out = 0
_times: dict[str, float] = {}
_sign_ins_done = 0
_everyone_signed_in = Event()


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument("--summary-file", default="", help="Write the figures here.")
    parser.add_argument("--dashboard-username", default="demo")
    parser.add_argument("--dashboard-password", default="")
    parser.add_argument("--browse-seconds", type=float, default=60)


class FormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the form with ``form_id``.

    Submit buttons and file inputs are left out, as htmx leaves them out of
    a request that no button triggered; unchecked boxes are not sent.
    """

    SKIPPED_TYPES = frozenset({"submit", "button", "image", "reset", "file"})

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in self.SKIPPED_TYPES:
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.append((name, attributes.get("value") or default))
        elif tag == "select" and name:
            self._select = {
                "name": name,
                "multiple": "multiple" in attributes,
                "options": [],
                "selected": [],
            }
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            self._select["options"].append(value)
            if "selected" in attributes:
                self._select["selected"].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            values = select["selected"]
            if not values and not select["multiple"] and select["options"]:
                values = select["options"][:1]  # what a browser shows first
            self.fields.extend((select["name"], value) for value in values)
        elif tag == "textarea" and self._textarea is not None:
            name, *text = self._textarea
            self._textarea = None
            self.fields.append((name, "".join(text)))


def form_fields(html: str, *, form_id: str) -> list[tuple[str, str]]:
    """Return what a browser would submit from the form ``form_id`` of ``html``."""
    parser = FormFields(form_id)
    parser.feed(html)
    parser.close()
    return parser.fields


class PartnerUser(HttpUser):
    """A partner's browser: signs in through the login form, then browses the
    dashboard, segment pages and the editor's live estimate without pause."""

    wait_time = constant(0)
    segment_ids: list[int]

    def on_start(self) -> None:
        try:
            self._sign_in()
        finally:
            _sign_in_done(self.environment)
        _everyone_signed_in.wait()
        self.segment_ids = self._segments(self.page(GROUPS_URL, name=GROUPS))
        if not self.segment_ids:
            raise StopUser()

    def _sign_in(self) -> None:
        options = self.environment.parsed_options
        with self.client.get(
            LOGIN_URL, name=SIGN_IN, catch_response=True, timeout=REQUEST_TIMEOUT
        ) as response:
            token = CSRF_FIELD.search(response.text or "")
            if token is None:
                response.failure(f"no sign-in form (status {response.status_code})")
                raise StopUser()
        with self.client.post(
            LOGIN_URL,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": options.dashboard_username,
                "password": options.dashboard_password,
                "next": "",
            },
            name=SIGN_IN,
            allow_redirects=False,
            catch_response=True,
            timeout=REQUEST_TIMEOUT,
        ) as response:
            if response.status_code != 302 or LOGIN_URL in response.headers.get(
                "Location", LOGIN_URL
            ):
                response.failure(f"sign-in refused (status {response.status_code})")
                raise StopUser()

    def page(self, url: str, *, name: str) -> str:
        """GET a page like a browser following a link; return its HTML."""
        response = self.client.get(url, name=name, timeout=REQUEST_TIMEOUT)
        return response.text or ""

    @staticmethod
    def _segments(html: str) -> list[int]:
        return sorted({int(pk) for pk in SEGMENT_LINK.findall(html)})

    @task
    def dashboard(self) -> None:
        with self.client.get(
            HOME_URL,
            name=TRIVIAL,
            allow_redirects=False,
            catch_response=True,
            timeout=REQUEST_TIMEOUT,
        ) as response:
            if response.status_code != 302:
                response.failure(f"expected a redirect, got {response.status_code}")
        self.segment_ids = self._segments(self.page(GROUPS_URL, name=GROUPS)) or (
            self.segment_ids
        )

    @task
    def segment(self) -> None:
        pk = random.choice(self.segment_ids)
        self.page(f"/engage/segments/{pk}/", name=SEGMENT)

    @task
    def edit(self) -> None:
        url = f"/engage/segments/{random.choice(self.segment_ids)}/edit/"
        fields = form_fields(self.page(url, name=EDITOR), form_id="segment-form")
        if not fields:
            return  # the editor failed; its error is already counted
        for _ in range(2):  # on load, then after a change (here to the same values)
            self.estimate(fields=fields, page_url=url)

    def estimate(self, *, fields: list[tuple[str, str]], page_url: str) -> None:
        """POST the form as the estimate's ``hx-post`` with ``hx-include`` does
        (multipart, because the form's encoding is)."""
        global _estimates_without_count, _estimates_timed_out
        response = self.client.post(
            ESTIMATE_URL,
            files=[(name, (None, value)) for name, value in fields],
            headers={
                "HX-Request": "true",
                "HX-Target": "segment-estimate",
                "HX-Trigger": "segment-estimate",
                "HX-Current-URL": f"{self.host}{page_url}",
            },
            name=ESTIMATE,
            timeout=REQUEST_TIMEOUT,
        )
        text = response.text or ""
        if response.ok and ESTIMATE_COUNT_MARK not in text:
            _estimates_without_count += 1
            _estimates_timed_out += ESTIMATE_TIMED_OUT_MARK in text


@events.request.add_listener
def _count_status(name, response, exception, **kwargs) -> None:
    code = getattr(response, "status_code", 0)
    status = str(code) if code else type(exception).__name__
    _statuses[name][status] += 1
    if exception is not None:
        _errors_by_status[status] += 1


def _sign_in_done(environment) -> None:
    """Count a sign-in (or a failed one); after the last, start the clock."""
    global _sign_ins_done
    _sign_ins_done += 1
    if _sign_ins_done < environment.parsed_options.num_users:
        return
    _times["start"] = time.monotonic()
    gevent.spawn_later(environment.parsed_options.browse_seconds, _stop, environment)
    _everyone_signed_in.set()


def _stop(environment) -> None:
    _times["stop"] = time.monotonic()
    environment.runner.quit()  # users finish their request within --stop-timeout


def _entry_figures(entry, *, seconds: float) -> dict:
    has = entry.num_requests > 0

    def percentile(share: float) -> int | None:
        return entry.get_response_time_percentile(share) if has else None

    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "rps": round(entry.num_requests / seconds, 2) if seconds else 0.0,
        "mean_ms": round(entry.avg_response_time) if has else None,
        "p50_ms": percentile(0.50),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "max_ms": round(entry.max_response_time) if has else None,
        "statuses": dict(_statuses.get(entry.name, {})),
    }


@events.quitting.add_listener
def _write_summary(environment, **kwargs) -> None:
    path = environment.parsed_options.summary_file
    if not path:
        return
    stats = environment.stats
    if "start" in _times:
        seconds = _times.get("stop", time.monotonic()) - _times["start"]
    else:
        seconds = 0.0  # never got past signing in
    pages = {
        name: _entry_figures(entry, seconds=seconds)
        for (name, _method), entry in sorted(stats.entries.items())
    }
    browsing = {name: page for name, page in pages.items() if name != SIGN_IN}
    # Requests, requests per second and the slowest answer are the partners'
    # browsing: signing in happens before the clock starts. Errors are every
    # failed request, signing in included.
    requests = sum(page["requests"] for page in browsing.values())
    summary = {
        "measured_seconds": round(seconds, 2),
        "requests": requests,
        "errors": stats.total.num_failures,
        "rps": round(requests / seconds, 2) if seconds else 0.0,
        "groups_p95_ms": pages.get(GROUPS, {}).get("p95_ms"),
        "segment_p95_ms": pages.get(SEGMENT, {}).get("p95_ms"),
        "estimate_p95_ms": pages.get(ESTIMATE, {}).get("p95_ms"),
        "max_ms": max((p["max_ms"] or 0 for p in browsing.values()), default=None),
        "sign_in_max_ms": pages.get(SIGN_IN, {}).get("max_ms"),
        "errors_by_status": dict(_errors_by_status),
        "estimates_without_count": _estimates_without_count,
        "estimates_timed_out": _estimates_timed_out,
        "error_messages": [
            {"page": error.name, "error": str(error.error), "count": error.occurrences}
            for error in stats.errors.values()
        ],
        "pages": pages,
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=1)
