"""The tokens themselves: made of random bits, kept as a digest. No database."""

from __future__ import annotations

import hashlib
import secrets

# A token reads ``cgs_`` (store services) or ``cgp_`` (partner), then 43
# url-safe characters (256 random bits).
PREFIXES = {"store": "cgs_", "partner": "cgp_"}
SHOWN_CHARACTERS = 12  # the prefix a list shows: ``cgp_`` and 8 characters


def token_generate(kind: str) -> str:
    """Return a new token of ``kind``."""
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_shown(token: str) -> str:
    """Return the first characters of a token, kept to recognise it."""
    return token[:SHOWN_CHARACTERS]
