"""seed_demo makes a notification sendable from a fresh clone: the demo
app's WNS credentials, its customers' channels at the stand-in, a draft."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import AppCustomer
from notifications.models import Channel, Notification, NotificationStatus
from notifications.services.credentials import wns_credentials_read
from notifications.services.demo import CHANNEL_SHARE

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command(
        "seed_demo", "--customers=600", "--apps=1", "--today=2026-11-28", stdout=out
    )
    return out.getvalue()


def test_the_demo_app_can_send_to_its_customers_channels(settings):
    settings.SEGMENT_MIN_SIZE = 5
    settings.WNS_STANDIN_URL = "http://127.0.0.1:8600"
    output = seed()
    customers = AppCustomer.objects.count()
    channels = Channel.objects.select_related("app_customer")
    share = channels.count() / customers
    assert abs(share - CHANNEL_SHARE) < 0.1
    channel = channels.first()
    assert (
        channel.uri == f"http://127.0.0.1:8600/channels/demo-{channel.app_customer_id}"
    )
    assert channel.active and channel.expires_at > channel.registered_at
    (draft,) = Notification.objects.all()
    assert (draft.status, draft.group.name) == (
        NotificationStatus.DRAFT,
        "Beta testers",
    )
    assert wns_credentials_read(app_id=draft.app_id).client_secret
    assert "channels at http://127.0.0.1:8600" in output

    seed()  # again: nothing doubled
    assert Notification.objects.count() == 1
    assert Channel.objects.count() == pytest.approx(share * AppCustomer.objects.count())


def test_make_run_starts_the_stand_in_where_development_posts():
    from pathlib import Path

    from tests.processes import settings_values

    procfile = (Path(__file__).resolve().parents[2] / "Procfile.dev").read_text()
    (wns,) = [line for line in procfile.splitlines() if line.startswith("wns:")]
    assert wns.endswith("wns_standin --port 8600")
    development = settings_values("WNS_TOKEN_URL", "WNS_STANDIN_URL")
    assert development == {
        "WNS_TOKEN_URL": "http://127.0.0.1:8600/accounts/token",
        "WNS_STANDIN_URL": "http://127.0.0.1:8600",
    }
    production = settings_values(
        "WNS_TOKEN_URL",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="partner.example",
    )
    assert production["WNS_TOKEN_URL"] == "https://login.live.com/accesstoken.srf"
