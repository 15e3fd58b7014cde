"""An app's WNS client secret at rest: encrypted, rotated, never readable
from the database row (issue 13, point 2)."""

import pytest
from cryptography.fernet import Fernet

from notifications.models import WnsCredentials
from notifications.secrets import InvalidToken, secret_decrypt, secret_encrypt
from notifications.services.credentials import wns_credentials_read, wns_credentials_set
from tests.processes import run_python

pytestmark = pytest.mark.django_db


def test_the_secret_is_stored_encrypted_and_read_back(app, editor):
    wns_credentials_set(
        app=app, package_sid=" sid ", client_secret="s3cret", user=editor
    )
    row = WnsCredentials.objects.get(app=app)
    assert "s3cret" not in row.client_secret_encrypted
    assert row.package_sid == "sid"
    read = wns_credentials_read(app_id=app.pk)
    assert (read.package_sid, read.client_secret) == ("sid", "s3cret")
    assert "s3cret" not in repr(read)


def test_keys_rotate_by_putting_the_new_one_first(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = [old]
    token = secret_encrypt("s3cret")
    settings.SECRETS_ENCRYPTION_KEYS = [new, old]
    assert secret_decrypt(token) == "s3cret"
    rotated = secret_encrypt("s3cret")
    settings.SECRETS_ENCRYPTION_KEYS = [new]
    assert secret_decrypt(rotated) == "s3cret"
    with pytest.raises(InvalidToken):
        secret_decrypt(token)


def test_a_secret_no_key_opens_reads_as_no_credentials(app, settings):
    wns_credentials_set(app=app, package_sid="sid", client_secret="s3cret", user=None)
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert wns_credentials_read(app_id=app.pk) is None


def test_a_malformed_key_stops_start_up_with_a_clear_message():
    result = run_python("", SECRETS_ENCRYPTION_KEYS="not-a-key")
    assert result.returncode != 0
    assert "SECRETS_ENCRYPTION_KEYS must be Fernet keys" in result.stderr
    good = Fernet.generate_key().decode()
    assert run_python("", SECRETS_ENCRYPTION_KEYS=good).returncode == 0
