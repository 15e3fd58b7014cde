"""An editor writes a toast to a known user group and sends it: the local WNS
stand-in receives it once, and the notification's page says it was sent. And
axe-core finds nothing serious on the notification pages, in English and
French, at 1280 and 375 px, none wider than the screen."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagement.models import KnownUserGroup
from notifications import tasks
from notifications.models import AudienceKind, Notification, NotificationStatus
from notifications.services.channels import channel_register
from notifications.services.credentials import wns_credentials_set
from notifications.services.notifications import (
    notification_save_draft,
    notification_schedule,
)
from tests.browser.contexts import language_context, sign_in_by_name, walk_failures
from tests.factories import (
    AppCustomerFactory,
    CustomerFactory,
    known_user_group,
)
from tests.notifications.standin import wns_standin  # noqa: F401

# The live server's thread runs the tasks (eagerly) and must see the rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wns(settings, wns_standin, monkeypatch):  # noqa: F811
    """The stand-in as WNS, with a client of its own for the live server."""
    settings.WNS_TOKEN_URL = wns_standin.token_url
    monkeypatch.setattr(tasks, "_client", None)
    yield wns_standin
    if tasks._client is not None:
        tasks._client.close()


@pytest.fixture
def scene(app, partner, editor, wns):
    """Ann, a customer of the app with a channel at the stand-in, the one
    member of Beta testers; the app's WNS credentials."""
    ann = AppCustomerFactory(
        app=app, customer=CustomerFactory(email="ann@mail.example")
    )
    channel_register(app_customer=ann, uri=wns.channel_uri("ann"))
    known_user_group(partner=partner, name="Beta testers", emails=["ann@mail.example"])
    wns_credentials_set(
        app=app, package_sid="ms-app://s-1-15-2-1", client_secret="s3cret", user=editor
    )


def test_an_editor_sends_a_toast_to_a_known_user_group(
    page, sign_in, scene, wns, axe_check
):
    sign_in("editor")
    page.get_by_role("link", name="Notifications", exact=True).click()
    page.get_by_role("link", name="Contoso Racer").click()
    expect(
        page.get_by_role("heading", name="Notifications of Contoso Racer")
    ).to_be_visible()
    page.get_by_role("link", name="New notification").click()

    page.get_by_label("Notification name").fill("Rate us")
    page.get_by_label("Template").select_option(label="Ask for ratings")
    # htmx fills the title and text in place.
    expect(page.get_by_label("Title")).to_have_value("Enjoying Contoso Racer?")
    expect(page.get_by_label("Text")).to_have_value(
        "Rate it in the Store: it helps us a lot."
    )
    page.get_by_label("A known user group").check()
    page.get_by_label("Known user group", exact=True).select_option(
        label="Beta testers"
    )
    expect(page.get_by_label("Send immediately")).to_be_checked()
    axe_check(page, "notification form")

    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_role("heading", name="Rate us")).to_be_visible()
    expect(page.locator("#notification-status")).to_contain_text("Sent")
    expect(page.locator("#result-sent")).to_have_text("1")
    expect(page.locator("#result-targeted")).to_have_text("1")
    expect(page.locator("#toast-preview")).to_contain_text("Enjoying Contoso Racer?")
    axe_check(page, "notification page")

    assert wns.stats()["posts"] == 1
    [post] = wns.posts("ann")
    assert post["status"] == 200
    assert "Enjoying Contoso Racer?" in post["body"]


@pytest.mark.parametrize(
    ("language", "width"), [("en", 1280), ("en", 375), ("fr", 1280), ("fr", 375)]
)
def test_the_notification_pages_are_accessible_and_fit_the_screen(
    browser, live_server, scene, app, partner, editor, language, width
):
    group = KnownUserGroup.objects.get(name="Beta testers")
    draft = notification_save_draft(
        app=app,
        values={
            "name": "Rate us",
            "template_type": "ask_rating",
            "title": "Enjoying Contoso Racer?",
            "text": "Rate it in the Store: it helps us a lot.",
            "launch": "action=rate&source=toast",
            "audience": AudienceKind.KNOWN_USER_GROUP,
            "group": group,
        },
        user=editor,
    )
    toast = {
        "name": "Spring sale",
        "template_type": "promote_sale",
        "title": "Sale on Contoso Racer",
        "text": "Add-ons are on sale for a limited time.",
        "audience": AudienceKind.ALL,
    }
    sending = notification_save_draft(app=app, values=toast, user=editor)
    Notification.objects.filter(pk=sending.pk).update(
        status=NotificationStatus.SENDING,
        started_at=timezone.now(),
        targeted=40,
        channels=30,
        sent=12,
        failed=1,
    )
    later = timezone.now() + dt.timedelta(days=2)
    notification_schedule(
        notification=notification_save_draft(
            app=app, values={**toast, "name": "Later", "send_at": later}, user=editor
        )
    )
    near = notification_save_draft(
        app=app,
        values={**toast, "name": "Near", "send_at": later + dt.timedelta(minutes=5)},
        user=editor,
    )
    context = language_context(browser, live_server.url, language, width)
    page = context.new_page()
    try:
        sign_in_by_name(page, "editor")
        failures = walk_failures(
            page,
            language=language,
            label="notifications",
            steps=[
                ("/engage/notifications/", None),
                (f"/engage/apps/{app.pk}/notifications/", None),
                (f"/engage/apps/{app.pk}/notifications/new/", None),
                (f"/engage/apps/{app.pk}/notifications/new/", save_empty),
                (f"/engage/notifications/{draft.pk}/edit/", None),
                (f"/engage/notifications/{draft.pk}/", None),
                (f"/engage/notifications/{sending.pk}/", None),
                (f"/engage/notifications/{near.pk}/", send_near),
                (f"/engage/apps/{app.pk}/notifications/settings/", None),
            ],
        )
        assert not failures, "\n\n".join(failures)
    finally:
        context.close()


def send_near(page):
    """Send a draft due 5 minutes after another: the page asks to confirm."""
    with page.expect_navigation():
        page.locator("#notification-actions button[type=submit]").click()
    expect(page.locator("#confirmation")).to_be_visible()


def save_empty(page):
    """Save the form with nothing in it: every error shown."""
    with page.expect_navigation():
        page.locator(
            "#notification-form button[name=action][value=draft]:not([aria-hidden])"
        ).click()
    expect(page.locator("#form-errors")).to_be_visible()
