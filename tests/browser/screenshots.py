"""The README's screenshots: `make screenshots` writes docs/screenshots/*.png.

Not a test (pytest collects it only when named: the Makefile does). It
seeds the demo data `make run` shows (`seed_demo`: 20,000 customers), adds a
segment with two OR statements and two weeks of daily computations, signs
in as the demo editor against a live server and photographs the main pages.
SCREENSHOTS_DIR writes them elsewhere.
"""

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from customers.demo import DEMO_PASSWORD
from customers.models import Partner
from engagement.models import KnownUserGroup, Segment, SegmentRun
from engagement.services.segments import segment_create

pytestmark = pytest.mark.django_db(transaction=True)

OUT = Path(
    os.environ.get("SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[2] / "docs" / "screenshots"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# A page longer than this is cut (the PNGs stay small); a short one is cut
# below its content, at MIN_HEIGHT at least.
MAX_HEIGHT = 1500
MIN_HEIGHT = 480

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
                {"attribute": "store_spend", "operator": "gt", "value": 20},
            ]
        },
        {
            "all": [
                {"attribute": "rating", "operator": "gte", "value": 4},
                {"attribute": "sessions_30d", "operator": "between", "value": [10, 60]},
            ]
        },
    ],
}


def import_csv(group: KnownUserGroup) -> bytes:
    """The group's list with its last three addresses gone and five new."""
    kept = list(group.addresses.values_list("email", flat=True))[:-3]
    added = [f"player{i}@example.com" for i in range(1, 6)]
    return ("Email\n" + "".join(f"{email}\n" for email in kept + added)).encode()


def history_add(segment: Segment, days: int = 14) -> None:
    """Daily computations before today's, growing towards today's count."""
    now = timezone.now()
    members = segment.member_count or 0
    for day in range(days, 0, -1):
        count = round(members * (1 - 0.018 * day + 0.01 * (day % 3)))
        started = now - dt.timedelta(days=day)
        SegmentRun.objects.create(
            segment=segment,
            version=segment.version,
            trigger=SegmentRun.Trigger.SCHEDULE,
            started_at=started,
            finished_at=started + dt.timedelta(seconds=1, milliseconds=300),
            eligible_count=segment.eligible_count,
            member_count=count,
            joined=max(count // 40, 1),
            left=max(count // 60, 1),
        )


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    partner = Partner.objects.get(name="Demo Studio")
    editor = get_user_model().objects.get(username="demo")
    spenders = Segment.objects.get(partner=partner, name="Big spenders")
    history_add(spenders)
    mixed = segment_create(
        partner=partner,
        app=spenders.app,
        name="Young spenders or regulars",
        definition=TWO_OR_STATEMENTS,
        user=editor,
    )
    return {
        "spenders": spenders,
        "mixed": mixed,
        "testers": KnownUserGroup.objects.get(partner=partner, name="Beta testers"),
    }


def open_page(browser, live_server, *, language="en", viewport=DESKTOP):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR" if language == "fr" else "en-US",
        viewport=viewport,
        device_scale_factor=1,
    )
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("demo")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    return page


def shoot(page, name: str) -> None:
    """Wait for htmx to finish, then save the page down to the end of its
    content (MIN_HEIGHT to MAX_HEIGHT pixels) as docs/screenshots/<name>.png."""
    page.wait_for_function("document.querySelectorAll('.htmx-request').length === 0")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    content = page.evaluate("document.body.scrollHeight") + 24
    height = max(MIN_HEIGHT, min(content, MAX_HEIGHT))
    width = page.viewport_size["width"]
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=OUT / f"{name}.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": height},
        animations="disabled",
        caret="hide",
    )


def test_screenshots(browser, live_server, demo):
    page = open_page(browser, live_server)
    page.goto("/engage/customer-groups/")
    shoot(page, "groups")

    page.goto(f"/engage/segments/{demo['mixed'].pk}/edit/")
    expect(page.locator(".condition-row")).to_have_count(4)
    expect(page.locator("#segment-estimate")).to_contain_text("estimate")
    shoot(page, "editor")

    page.goto(demo["spenders"].get_absolute_url())
    expect(page.locator("figure svg").first).to_be_visible()
    shoot(page, "segment")

    page.goto(f"/engage/known-user-groups/{demo['testers'].pk}/import/")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "testers.csv",
                "mimeType": "text/csv",
                "buffer": import_csv(demo["testers"]),
            }
        ]
    )
    with page.expect_navigation():
        page.locator("form[enctype='multipart/form-data'] [type=submit]").click()
    expect(page.locator("input[name=payload]")).to_have_count(1)
    shoot(page, "known-user-group-import")
    page.context.close()

    page = open_page(browser, live_server, language="fr")
    page.goto(demo["spenders"].get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shoot(page, "segment-fr")
    page.context.close()

    page = open_page(browser, live_server, viewport=PHONE)
    page.goto("/engage/customer-groups/")
    shoot(page, "groups-mobile")
    page.context.close()
