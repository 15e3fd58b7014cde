"""Browser contexts of the accessibility walks: one language and width, a
user signed in through the translated sign-in page, and the walk itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.browser.axe import axe_failures, reflow_failures
from tests.factories import PASSWORD

HEIGHT = 900


def language_context(browser, base_url: str, language: str, width: int):
    """A new context in ``language`` ("en" or "fr") at ``width`` pixels."""
    context = browser.new_context(
        base_url=base_url,
        locale="fr-FR" if language == "fr" else "en-US",
        viewport={"width": width, "height": HEIGHT},
    )
    context.add_cookies(
        [
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": base_url,
            }
        ]
    )
    context.set_default_timeout(10_000)
    return context


def sign_in_by_name(page, username: str) -> None:
    """Sign in by the fields' names: the labels are translated."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def walk_failures(
    page, *, language: str, label: str, steps: list[tuple[str, Callable | None]]
) -> list[str]:
    """Open each page (then act on it, if a step says how) and return the
    axe-core and reflow failures found on each, named by page and action."""
    failures = []
    for path, then in steps:
        page.goto(path)
        if then:
            then(page)
        expect(page.locator("html")).to_have_attribute("lang", language)
        found = "\n".join(
            filter(
                None,
                [
                    axe_failures(page, check=f"{label} {path}"),
                    reflow_failures(page),
                ],
            )
        )
        if found:
            failures.append(f"{path} {then.__name__ if then else ''}:\n{found}")
    return failures
