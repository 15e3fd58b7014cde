"""Demo notifications for ``seed_demo``: the app's WNS credentials and its
customers' channels, pointing at the local WNS stand-in, and a draft.

Channels go to a realistic share of the app's customers (not every
customer runs an app version that registers one): those whose sample key is
in the first ``CHANNEL_SHARE`` of its range, a uniform share, in one
``INSERT … SELECT`` (a million customers seed in seconds). The stand-in
(``manage.py wns_standin``, which ``make run`` starts) answers them: a fresh
clone can send a toast and see it delivered.
"""

from __future__ import annotations

from django.conf import settings

from customers.models import SAMPLE_KEY_RANGE, App, AppCustomer
from engagement.models import KnownUserGroup
from engagement.services.demo import BETA_TESTERS
from notifications.models import AudienceKind, Channel, Notification
from notifications.services.channels import channels_register_at
from notifications.services.credentials import wns_credentials_set
from notifications.services.notifications import notification_save_draft

CHANNEL_SHARE = 0.6
DEMO_PACKAGE_SID = "ms-app://s-1-15-2-1234567890-demo"
DEMO_CLIENT_SECRET = "demo-client-secret"  # the stand-in takes any but "wrong"
DEMO_DRAFT = "Welcome to the beta"


def demo_notifications_seed(*, app: App, email_suffix: str) -> list[str]:
    """Set the app's demo credentials, register its customers' channels at
    the stand-in, and write a draft to the beta testers."""
    if not hasattr(app, "wns_credentials"):
        wns_credentials_set(
            app=app,
            package_sid=DEMO_PACKAGE_SID,
            client_secret=DEMO_CLIENT_SECRET,
            user=None,
        )
    channels = _channels_seed(app=app)
    beta = KnownUserGroup.objects.filter(partner=app.partner, name=BETA_TESTERS).first()
    if (
        beta is not None
        and not Notification.objects.filter(app=app, name=DEMO_DRAFT).exists()
    ):
        notification_save_draft(
            app=app,
            values={
                "name": DEMO_DRAFT,
                "template_type": Notification.Template.BLANK,
                "title": f"Welcome to the {app.name} beta",
                "text": "Thanks for testing: tell us what you think.",
                "launch": "page=beta",
                "audience": AudienceKind.KNOWN_USER_GROUP,
                "group": beta,
                "send_at": None,
                "expires_at": None,
            },
            user=None,
        )
    return [
        f"notifications of {app.name}: {channels:,} channels at "
        f"{settings.WNS_STANDIN_URL} (the WNS stand-in), a draft to {BETA_TESTERS}"
    ]


def _channels_seed(*, app: App) -> int:
    """Register a channel for the share of the app's customers that has none."""
    channels_register_at(
        app_customers=AppCustomer.objects.filter(
            app=app, sample_key__lt=int(SAMPLE_KEY_RANGE * CHANNEL_SHARE)
        )
        .exclude(notification_channels__isnull=False)
        .order_by("pk"),
        prefix=f"{settings.WNS_STANDIN_URL.rstrip('/')}/channels/demo-",
    )
    return Channel.objects.filter(app_customer__app=app).count()
