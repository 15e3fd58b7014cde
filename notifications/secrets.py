"""Secrets stored encrypted at rest: an app's WNS client secret.

Fernet (the ``cryptography`` library: AES-128-CBC with an HMAC-SHA256, a
timestamp and a version byte) under ``MultiFernet``: the first key of
``SECRETS_ENCRYPTION_KEYS`` encrypts, every key decrypts, so keys rotate by
putting the new one first. Without that setting the one key is derived from
``SECRET_KEY`` (SHA-256 of a purpose string and the key), so a clean
checkout works; production sets its own keys, kept apart from the database.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt"]


def _fernet() -> MultiFernet:
    keys = list(settings.SECRETS_ENCRYPTION_KEYS)
    if not keys:
        derived = hashlib.sha256(
            b"customer-groups secrets at rest:" + settings.SECRET_KEY.encode()
        ).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(secret: str) -> str:
    """The secret as a Fernet token (text, safe to store)."""
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret a token holds; ``InvalidToken`` if no key opens it."""
    return _fernet().decrypt(token.encode()).decode()
