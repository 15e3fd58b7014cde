"""Browser contexts of the accessibility walks: one language and width, and
a user signed in through the translated sign-in page."""

from __future__ import annotations

from django.conf import settings as django_settings

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
