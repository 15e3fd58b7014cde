"""An editor creates an API token from the navigation, copies it with the
Copy button, finds it in the list by its first characters only, and revokes
it. And axe-core finds nothing serious on the token pages, in English and
French, at 1280 and 375 px, none wider than the screen."""

import re

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke, api_token_use
from tests.browser.contexts import language_context, sign_in_by_name, walk_failures

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_editor_creates_copies_and_revokes_a_token(
    browser, live_server, editor, axe_check
):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_by_name(page, "editor")
        page.get_by_role("link", name="API tokens").click()
        expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
        page.get_by_role("link", name="New token").click()
        page.get_by_label("Token name").fill("Nightly CRM sync")
        expect(page.get_by_label("Can change groups")).to_be_checked()
        page.get_by_label("Can change groups").uncheck()
        page.get_by_role("button", name="Create token").click()

        expect(page.locator("#token-warning")).to_contain_text(
            "it will not be shown again"
        )
        secret = page.get_by_label("Token").input_value()
        assert re.fullmatch(r"cgp_[A-Za-z0-9_-]{43}", secret)
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        axe_check(page, "token created")
        token = api_token_use(key=secret)
        assert token.name == "Nightly CRM sync" and not token.can_write

        page.get_by_role("link", name="I have copied it").click()
        row = page.locator(f"#token-{token.pk}")
        expect(row).to_contain_text(f"{secret[:12]}…")
        expect(row).to_contain_text("No (read-only)")
        assert secret not in page.content()

        row.get_by_role("link", name="Revoke").click()
        page.get_by_role("button", name="Revoke").click()
        expect(page.get_by_role("alert")).to_contain_text("is revoked")
        expect(row).to_contain_text("Revoked")
        assert ApiToken.objects.get(pk=token.pk).is_revoked
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "width"), [("en", 1280), ("en", 375), ("fr", 1280), ("fr", 375)]
)
def test_the_token_pages_are_accessible_and_fit_the_screen(
    browser, live_server, partner, editor, language, width
):
    active, _secret = api_token_create(
        kind="partner", partner=partner, name="Nightly CRM sync", user=editor
    )
    revoked, _secret = api_token_create(
        kind="partner",
        partner=partner,
        name="Old export",
        can_write=False,
        user=editor,
    )
    api_token_revoke(token=revoked, user=editor)
    context = language_context(browser, live_server.url, language, width)
    page = context.new_page()
    try:
        sign_in_by_name(page, "editor")
        failures = walk_failures(
            page,
            language=language,
            label="api tokens",
            steps=[
                ("/settings/api-tokens/", None),
                ("/settings/api-tokens/new/", None),
                ("/settings/api-tokens/new/", submit_empty),
                ("/settings/api-tokens/new/", create),
                (f"/settings/api-tokens/{active.pk}/revoke/", None),
                (f"/settings/api-tokens/{revoked.pk}/revoke/", None),
            ],
        )
        assert not failures, "\n\n".join(failures)
    finally:
        context.close()


def submit_empty(page):
    with page.expect_navigation():
        page.locator("#token-form button[type=submit]").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()


def create(page):
    page.locator("input[name=name]").fill("Reporting")
    with page.expect_navigation():
        page.locator("#token-form button[type=submit]").click()
    expect(page.locator("#token-secret")).to_be_visible()
