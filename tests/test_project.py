"""Project-level promises: migrations committed, production settings guarded."""

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tests.processes import run_project, run_python, settings_values


@pytest.mark.django_db
def test_migrations_are_committed_for_every_model_change():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def _settings_import(**env: str) -> subprocess.CompletedProcess:
    return run_python("", **env)


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3-" + "".join(chr(97 + i % 26) for i in range(7, 67)),
    "DJANGO_ALLOWED_HOSTS": "partner.example",
}


def test_debug_off_without_secret_or_hosts_stops_with_a_clear_message():
    result = _settings_import(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_debug_off_with_secret_and_hosts_starts():
    result = _settings_import(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="partner.example",
    )
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_variables():
    result = run_project(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_redirects_to_https_and_sends_hsts_by_default():
    values = settings_values(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        **PRODUCTION,
    )
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_https_settings_follow_the_environment():
    values = settings_values(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        **PRODUCTION,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="60",
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 60,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_a_malformed_proxy_ssl_header_stops_start_up_with_a_clear_message():
    result = _settings_import(**PRODUCTION, DJANGO_SECURE_PROXY_SSL_HEADER="https")
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER must be HEADER,value" in result.stderr


def test_development_prints_e_mail_and_production_reads_email_url():
    development = settings_values("EMAIL_BACKEND")
    assert development["EMAIL_BACKEND"].endswith("console.EmailBackend")
    production = settings_values(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
        **PRODUCTION,
        EMAIL_URL="smtp+tls://mailer:secret@smtp.partner.example:587",
        DEFAULT_FROM_EMAIL="Dashboard <dashboard@partner.example>",
    )
    assert production == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.partner.example",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "DEFAULT_FROM_EMAIL": "Dashboard <dashboard@partner.example>",
    }


def test_sessions_are_read_from_a_shared_cache_only():
    """A cache of each process's own could keep serving a session another
    process ended (signed out): sessions are read from the cache only when
    CACHE_URL names one every process shares."""
    engine = "SESSION_ENGINE"
    assert settings_values(engine)[engine].endswith("backends.db")
    shared = settings_values(engine, CACHE_URL="redis://127.0.0.1:6379/1")
    assert shared[engine].endswith("backends.cached_db")
    local = settings_values(engine, CACHE_URL="locmemcache://")
    assert local[engine].endswith("backends.db")
