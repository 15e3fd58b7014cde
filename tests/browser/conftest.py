"""Playwright driving Debian's Chromium against pytest-django's live server.

Chromium comes from Debian (`apt-get install chromium`), never from
Playwright's own download. Without it the browser tests skip, unless
REQUIRE_BROWSER is set (CI sets it), where they fail instead.

``axe_check`` runs axe-core (vendored: ``vendor/axe.min.js``, version in
``AXE_VERSION``, from the npm registry's ``axe-core`` package; no CDN) on a
page and fails on every serious or critical violation.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

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

AXE_VERSION = "4.14.1"  # tests/browser/vendor/axe.min.js (npm: axe-core)
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_FAILING_IMPACTS = ("serious", "critical")
# Set AXE_REPORT=path to append every check's violations (all impacts) to
# that file as JSON lines: what a findings list is written from.
AXE_REPORT = os.environ.get("AXE_REPORT")


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


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; every violation, any impact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        AXE_TAGS,
    )
    return results["violations"]


def axe_failures_describe(url: str, violations: list[dict]) -> str:
    """One paragraph per rule: id, impact, help and link, then each element
    (its selector and a bit of its HTML) and what axe says to fix."""
    lines = [f"axe-core {AXE_VERSION}: {len(violations)} rule(s) violated on {url}"]
    for violation in violations:
        lines.append("")
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(json.dumps(part) for part in node["target"])
            lines.append(f"  - {target}")
            lines.append(f"    {node['html'][:200]}")
            summary = node.get("failureSummary") or ""
            for detail in summary.splitlines()[:4]:
                lines.append(f"    {detail.strip()}")
    return "\n".join(lines)


@pytest.fixture
def axe_check(request):
    """``axe_check(page, name=None)``: run axe-core on the page and fail on
    every serious or critical violation, naming rule, elements and fix.

    ``name`` labels the check in the AXE_REPORT file (default: the test id).
    Returns every violation found (moderate and minor included).
    """

    def axe_check(page, name: str | None = None) -> list[dict]:
        violations = axe_violations(page)
        if AXE_REPORT:
            record = {
                "check": name or request.node.name,
                "url": page.url,
                "viewport": page.viewport_size,
                # Wider than the viewport: the page scrolls sideways.
                "document_width": page.evaluate("document.documentElement.scrollWidth"),
                "violations": [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "help": v["help"],
                        "nodes": [
                            {
                                "target": n["target"],
                                "html": n["html"][:300],
                                "summary": n.get("failureSummary", ""),
                            }
                            for n in v["nodes"]
                        ],
                    }
                    for v in violations
                ],
            }
            with open(AXE_REPORT, "a", encoding="utf-8") as report:
                report.write(json.dumps(record) + "\n")
        failing = [v for v in violations if v["impact"] in AXE_FAILING_IMPACTS]
        if failing:
            pytest.fail(axe_failures_describe(page.url, failing), pytrace=False)
        return violations

    return axe_check
