"""Playwright driving Debian's Chromium against pytest-django's live server.

Chromium comes from Debian (`apt-get install chromium`), never from
Playwright's own download. Without it the browser tests skip, unless
REQUIRE_BROWSER is set (CI sets it), where they fail instead.

``axe_check(page)`` runs axe-core (tests/browser/axe.py) on a page and fails
on every serious or critical violation.
"""

import os
import shutil

import pytest

from tests.browser.axe import AXE_VERSION, axe_failures

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    """Sign in through the login form, as a partner would."""

    def sign_in(username: str, password: str = "test-password") -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return sign_in


@pytest.fixture
def axe_check(request):
    """``axe_check(page)``: run axe-core on the page as it is now (WCAG 2 A
    and AA, best practices) and fail on every serious or critical violation,
    naming the rule, each element's selector and HTML, and the fix."""

    def axe_check(page, name: str | None = None) -> None:
        failures = axe_failures(page, check=name or request.node.name)
        if failures:
            pytest.fail(
                f"axe-core {AXE_VERSION} on {page.url}:\n{failures}", pytrace=False
            )

    return axe_check
