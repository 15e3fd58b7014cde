"""axe-core finds nothing serious or critical on the pages a partner uses,
in English and French, on a desktop (1280 px) and a phone (375 px), and no
page is wider than the window (WCAG 1.4.10 Reflow, which axe cannot check).

Each test opens one page on the four screens (one browser context each, kept
for the module; the data is made once per test) and runs axe-core
(tests/browser/axe.py) on each: its failure lists, per screen, every rule
broken with the elements' selectors, their HTML and what axe says to fix.
One page: ``-k editor_with_errors``; some screens: ``AXE_SCREENS=fr-375``.
"""

import datetime as dt
import itertools
import os
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from engagement.models import Segment, SegmentRun
from engagement.services.segments import segment_create
from tests.browser.axe import AXE_VERSION, axe_failures, reflow_failures
from tests.factories import (
    PASSWORD,
    AppCustomerFactory,
    CustomerFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = [("en", 1280), ("en", 375), ("fr", 1280), ("fr", 375)]
# AXE_SCREENS=fr-375,en-1280 checks only those.
if os.environ.get("AXE_SCREENS"):
    SCREENS = [
        (lang, width)
        for lang, width in SCREENS
        if f"{lang}-{width}" in os.environ["AXE_SCREENS"].split(",")
    ]
HEIGHT = 900
LANGUAGE_COOKIE = django_settings.LANGUAGE_COOKIE_NAME

# Two OR statements with a list, a choice, a number and a range: every kind
# of value input.
TWO_OR_STATEMENTS = {
    "version": 1,
    "any": [
        {
            "all": [
                {
                    "attribute": "age_group",
                    "operator": "in",
                    "value": ["18-24", "25-34"],
                },
                {"attribute": "gender", "operator": "is", "value": "male"},
            ]
        },
        {
            "all": [
                {"attribute": "store_spend", "operator": "gt", "value": 10},
                {"attribute": "sessions_30d", "operator": "between", "value": [1, 30]},
            ]
        },
    ],
}
SMALL = {
    "version": 1,
    "any": [{"all": [{"attribute": "market", "operator": "is", "value": "IE"}]}],
}
BIG_SPENDERS = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 50}]}],
}


@pytest.fixture(scope="module")
def contexts(browser, live_server):
    """One browser context per language and width, kept for the module."""
    made = {}

    def context_for(language: str, width: int):
        if (language, width) not in made:
            context = browser.new_context(
                base_url=live_server.url,
                locale="fr-FR" if language == "fr" else "en-US",
                viewport={"width": width, "height": HEIGHT},
            )
            context.set_default_timeout(10_000)
            made[language, width] = context
        return made[language, width]

    yield context_for
    for context in made.values():
        context.close()


class Screens:
    """The four screens a test walks: ``pages()`` opens a page in each, in
    its language, signed in; ``check(page)`` runs axe-core and the reflow
    check and keeps what fails; ``assert_clean()`` fails with every screen's
    findings at once."""

    def __init__(self, contexts, live_server, test_name: str):
        self.contexts = contexts
        self.url = live_server.url
        self.test_name = test_name
        self.failures: dict[str, list[str]] = {}

    def pages(self, username: str | None = "editor"):
        session = []
        for language, width in SCREENS:
            context = self.contexts(language, width)
            context.clear_cookies()
            # The language as the language menu sets it (Django's cookie).
            cookie = {"name": LANGUAGE_COOKIE, "value": language, "url": self.url}
            context.add_cookies([cookie, *session])
            page = context.new_page()
            page.language, page.screen = language, f"{language}-{width}"
            try:
                if username and not session:
                    sign_in(page, username)
                    session = [
                        c for c in context.cookies() if c["name"] != LANGUAGE_COOKIE
                    ]
                yield page
            finally:
                page.close()

    def check(self, page) -> None:
        expect(page.locator("html")).to_have_attribute("lang", page.language)
        settle(page)
        failures = axe_failures(page, check=f"{self.test_name}[{page.screen}]")
        failures = "\n".join(filter(None, [failures, reflow_failures(page)]))
        if failures:
            key = f"{page.url.removeprefix(self.url)}\n{failures}"
            self.failures.setdefault(key, []).append(page.screen)

    def assert_clean(self) -> None:
        if self.failures:
            pytest.fail(
                f"axe-core {AXE_VERSION} (and the reflow check) found, per screen:\n"
                + "\n\n".join(
                    f"== {', '.join(screens)}: {text}"
                    for text, screens in self.failures.items()
                ),
                pytrace=False,
            )


@pytest.fixture
def screens(request, contexts, live_server):
    return Screens(contexts, live_server, request.node.name)


def settle(page):
    """Wait until htmx has no request in flight (the estimate loads after the page)."""
    page.wait_for_function("document.querySelectorAll('.htmx-request').length === 0")


def sign_in(page, username):
    """Sign in through the form by its field names (the labels are translated)."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert "/accounts/login/" not in page.url, "sign-in failed"


def each_screen(screens, path, *, then=None, username="editor"):
    """Open ``path`` on every screen, do ``then(page)`` if given, check it."""
    for page in screens.pages(username):
        page.goto(path)
        if then:
            then(page)
        screens.check(page)
    screens.assert_clean()


@pytest.fixture
def scene(partner, app, editor, settings):
    """Customers, a segment of each status, with a history, and a known user
    group: what each page shows when it holds something."""
    settings.SEGMENT_MIN_SIZE = 3
    young_man = {"birth_date": dt.date(2004, 1, 1), "gender": "male"}
    for facts, sessions in [
        (young_man, 3),
        (young_man, 0),
        ({"store_spend": Decimal("20")}, 12),
        ({"store_spend": Decimal("75.50")}, 40),
        ({}, 5),
        ({"market": "IE"}, 2),
    ]:
        AppCustomerFactory(
            app=app, customer=CustomerFactory(**facts), sessions_30d=sessions
        )

    def segment(name, definition):
        # Tests run the computation in-process when the creation commits.
        created = segment_create(
            partner=partner, app=app, name=name, definition=definition, user=editor
        )
        return Segment.objects.get(pk=created.pk)

    active = segment("Young men or regulars", TWO_OR_STATEMENTS)
    now = timezone.now()
    for days, members in [(6, 2), (5, 3), (4, 3), (3, 4), (2, 5), (1, 3)]:
        started = now - dt.timedelta(days=days)
        SegmentRun.objects.create(
            segment=active,
            version=active.version,
            trigger=SegmentRun.Trigger.SCHEDULE,
            started_at=started,
            finished_at=started + dt.timedelta(seconds=2),
            eligible_count=6,
            member_count=members,
            joined=1,
            left=1,
        )
    small = segment("Irish fans", SMALL)
    failed = segment("Big spenders", BIG_SPENDERS)
    SegmentRun.objects.create(
        segment=failed,
        version=failed.version,
        trigger=SegmentRun.Trigger.REFRESH,
        started_at=now,
        finished_at=now,
        error="canceling statement due to statement timeout",
    )
    Segment.objects.filter(pk=failed.pk).update(
        status=Segment.Status.FAILED, last_error="statement timeout"
    )
    # Addresses as long as real ones (the demo's), a third of them members.
    emails = [
        f"{first}.{last}.{n}@hotmail.mail.example"
        for n, (first, last) in enumerate(
            itertools.product(
                ("aarav", "bianca", "chloe"),
                ("andersson", "fischer", "bianchi", "okonkwo"),
            )
        )
    ]
    for email in emails[::3]:
        CustomerFactory(email=email)
    group = known_user_group(partner=partner, name="Beta testers", emails=emails)
    assert active.status == Segment.Status.ACTIVE, active.status
    assert small.is_small
    return {"active": active, "small": small, "failed": failed, "group": group}


def test_sign_in(screens, editor):
    each_screen(screens, "/accounts/login/", username=None)


def test_groups_page(screens, scene):
    each_screen(screens, "/engage/customer-groups/")


def test_new_group_chooser(screens, scene):
    each_screen(screens, "/engage/customer-groups/new/")


def test_editor_empty(screens, scene):
    each_screen(screens, "/engage/segments/new/")


def test_editor_with_two_or_statements(screens, scene):
    def filled(page):
        expect(page.locator(".condition-row")).to_have_count(4)

    each_screen(screens, f"/engage/segments/{scene['active'].pk}/edit/", then=filled)


def test_editor_with_errors(screens, scene):
    def save_with_errors(page):
        settle(page)
        page.locator("#segment-form input[name=name]").fill("")
        # The Store spend row: a negative amount is refused.
        page.locator('.condition-row[data-row="2"] input[name$="-value"]').fill("-5")
        # The visible Save (a hidden default button for Enter may come first).
        save = "#segment-form button[name=action][value=save]:not([aria-hidden=true])"
        with page.expect_navigation():
            page.locator(save).click()
        expect(page.locator("#segment-form .invalid-feedback").first).to_be_visible()

    each_screen(
        screens, f"/engage/segments/{scene['active'].pk}/edit/", then=save_with_errors
    )


@pytest.mark.parametrize("status", ["active", "small", "failed"])
def test_segment_page(screens, scene, status):
    each_screen(screens, scene[status].get_absolute_url())


def test_known_user_group_new(screens, scene):
    each_screen(screens, "/engage/known-user-groups/new/")


def test_known_user_group_detail(screens, scene):
    each_screen(screens, scene["group"].get_absolute_url())


def test_known_user_group_edit(screens, scene):
    each_screen(screens, f"/engage/known-user-groups/{scene['group'].pk}/edit/")


def test_known_user_group_import_preview(screens, scene):
    def preview(page):
        page.locator("input[type=file]").set_input_files(
            files=[
                {
                    "name": "testers.csv",
                    "mimeType": "text/csv",
                    "buffer": (
                        b"Email;Name\n"
                        b"aarav.andersson.0@hotmail.mail.example;Aarav\n"
                        b"eve.lindqvist-moreau.77@outlook.mail.example;Eve\n"
                    ),
                }
            ]
        )
        with page.expect_navigation():
            page.locator("form[enctype='multipart/form-data'] [type=submit]").click()
        expect(page.locator("input[name=payload]")).to_have_count(1)

    each_screen(
        screens, f"/engage/known-user-groups/{scene['group'].pk}/import/", then=preview
    )
