"""Support admin of notifications: read-only, the client secret never shown."""

import pytest
from django.urls import reverse

from notifications.models import AudienceKind, Channel, Notification, WnsCredentials
from notifications.services.channels import channel_register
from notifications.services.credentials import wns_credentials_set
from tests.factories import AppCustomerFactory

pytestmark = pytest.mark.django_db


def test_support_sees_notifications_channels_and_credentials_read_only(
    admin_client, app
):
    wns_credentials_set(app=app, package_sid="sid-1", client_secret="s3cret", user=None)
    channel_register(
        app_customer=AppCustomerFactory(app=app),
        uri="https://db5p.notify.windows.com/?token=1",
    )
    sent = Notification.objects.create(
        app=app,
        name="Spring sale",
        template_type=Notification.Template.BLANK,
        title="Hi",
        text="There",
        audience=AudienceKind.ALL,
    )
    for model, obj in [
        (Notification, sent),
        (Channel, Channel.objects.get()),
        (WnsCredentials, WnsCredentials.objects.get()),
    ]:
        meta = model._meta
        listing = admin_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        )
        assert listing.status_code == 200
        page = admin_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        )
        assert page.status_code == 200
        html = page.content.decode()
        assert "s3cret" not in html
        assert 'name="_save"' not in html  # read-only
    credentials = WnsCredentials.objects.get()
    html = admin_client.get(
        reverse("admin:notifications_wnscredentials_change", args=[credentials.pk])
    ).content.decode()
    assert "set (encrypted, never shown)" in html
    assert credentials.client_secret_encrypted not in html
