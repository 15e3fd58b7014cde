"""An app's WNS credentials: set by an editor, the secret encrypted at rest
and never shown again."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser

from customers.models import App
from notifications import wns
from notifications.models import WnsCredentials
from notifications.secrets import InvalidToken, secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)


def wns_credentials_set(
    *, app: App, package_sid: str, client_secret: str, user: AbstractBaseUser | None
) -> WnsCredentials:
    """Store the app's package SID and client secret (encrypted); a new
    secret replaces the old one, and the last token's time is forgotten."""
    credentials, _created = WnsCredentials.objects.update_or_create(
        app=app,
        defaults={
            "package_sid": package_sid.strip(),
            "client_secret_encrypted": secret_encrypt(client_secret),
            "updated_by": user,
            "token_obtained_at": None,
        },
    )
    logger.info("wns_credentials_set app=%s user=%s", app.pk, getattr(user, "pk", None))
    return credentials


def wns_credentials_read(*, app_id: int) -> wns.Credentials | None:
    """The app's credentials to post with, or None if none are set or the
    secret no longer decrypts (the encryption keys changed: set it again)."""
    row = (
        WnsCredentials.objects.filter(app_id=app_id)
        .values("package_sid", "client_secret_encrypted")
        .first()
    )
    if row is None:
        return None
    try:
        secret = secret_decrypt(row["client_secret_encrypted"])
    except InvalidToken:
        logger.error("wns_secret_undecryptable app=%s", app_id)
        return None
    return wns.Credentials(package_sid=row["package_sid"], client_secret=secret)
