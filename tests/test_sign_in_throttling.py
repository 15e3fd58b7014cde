"""Sign-in resists guessing: django-axes locks an account and an address out.

Wrong passwords count per account (from any address) and per client address
(across accounts); at the limit the sign-in page says when to try again, and
even the right password is refused until the cool-off ends, support staff
delete the attempts in the admin, or ``axes_reset`` runs.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from customers.demo import support_group_upsert
from tests.factories import PASSWORD, PartnerMembershipFactory, UserFactory
from tests.processes import settings_values

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
GROUPS = reverse("engagement:customer_groups")
LOCKED = b"Too many failed sign-in attempts"
CLIENT_IP_SETTINGS = (
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    "AXES_IPWARE_PROXY_COUNT",
    "IPWARE_STRICT",
)


def sign_in(client, username, password, *, url=LOGIN, address="10.0.0.1", **headers):
    return client.post(
        url,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def guess_until_locked(client, username, *, tries, url=LOGIN, **kwargs):
    """Post wrong passwords; return how many were sent when the lock-out came."""
    for attempt in range(1, tries + 1):
        response = sign_in(client, username, f"guess-{attempt}", url=url, **kwargs)
        if response.status_code == 429:
            assert LOCKED in response.content
            return attempt
        assert response.status_code == 200  # the form with its error
    return None


def test_the_limit_is_the_documented_one():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_wrong_passwords_lock_the_account_out_then_even_the_right_one_fails(
    client, editor
):
    assert guess_until_locked(client, "editor", tries=200) == 10
    response = sign_in(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(GROUPS).status_code == 302  # still signed out


def test_the_admin_sign_in_is_throttled_too(client):
    UserFactory(username="staff", is_staff=True)
    assert guess_until_locked(client, "staff", tries=50, url=ADMIN_LOGIN) == 10
    response = sign_in(client, "staff", PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429


def test_an_account_is_locked_whatever_address_the_guesses_come_from(client, editor):
    for attempt in range(10):
        sign_in(client, "editor", "wrong", address=f"198.51.100.{attempt}")
    response = sign_in(client, "editor", PASSWORD, address="203.0.113.50")
    assert response.status_code == 429


def test_an_address_is_locked_whatever_accounts_it_guesses(client, editor):
    for attempt in range(10):
        sign_in(client, f"someone-{attempt}", "wrong", address="198.51.100.7")
    assert (
        sign_in(client, "editor", PASSWORD, address="198.51.100.7").status_code == 429
    )
    # The account itself is not locked: from another address it signs in.
    response = sign_in(client, "editor", PASSWORD, address="203.0.113.50")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_the_lock_out_page_is_the_sign_in_page_saying_when_to_try_again(client, editor):
    guess_until_locked(client, "editor", tries=10)
    response = sign_in(client, "editor", "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "<h1" in html and "Sign in" in html  # our page, not a bare 403 text
    assert "Try again in 15 minutes" in html
    french = sign_in(client, "editor", "wrong", headers={"accept-language": "fr"})
    assert french.status_code == 429
    assert '<html lang="fr">' in french.content.decode()


def test_a_few_mistakes_then_the_right_password_signs_in(client, editor):
    for _attempt in range(9):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_support_staff_unlock_an_account_in_the_admin(client, editor):
    guess_until_locked(client, "editor", tries=10)
    support = UserFactory(username="support-staff", is_staff=True)
    support.groups.add(support_group_upsert())
    client.force_login(support)
    changelist = reverse("admin:axes_accessattempt_changelist")
    listing = client.get(changelist, {"q": "editor"})
    assert listing.status_code == 200
    assert b"editor" in listing.content
    attempts = AccessAttempt.objects.filter(username="editor")
    response = client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in attempts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="editor").exists()
    client.logout()
    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_axes_reset_unlocks_everyone(client, editor):
    guess_until_locked(client, "editor", tries=10)
    call_command("axes_reset", verbosity=0)
    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_the_client_address_is_remote_addr_unless_a_proxy_header_is_configured():
    assert settings_values(*CLIENT_IP_SETTINGS) == {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
        "AXES_IPWARE_PROXY_COUNT": None,
        "IPWARE_STRICT": None,
    }
    assert settings_values(
        *CLIENT_IP_SETTINGS,
        DJANGO_CLIENT_IP_HEADER="HTTP_X_REAL_IP",
        DJANGO_CLIENT_IP_PROXY_COUNT="2",
    ) == {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_REAL_IP", "REMOTE_ADDR"],
        "AXES_IPWARE_PROXY_COUNT": 1,
        "IPWARE_STRICT": False,
    }


def test_a_forwarded_for_header_is_ignored_unless_configured(client, editor):
    """A client cannot dodge the per-address count by inventing a header."""
    for attempt in range(10):
        sign_in(
            client,
            f"someone-{attempt}",
            "wrong",
            address="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    response = sign_in(client, "editor", PASSWORD, address="198.51.100.7")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "198.51.100.7"
    }


def test_behind_a_trusted_proxy_the_client_address_comes_from_its_header(
    client, editor, settings
):
    """Configured for one proxy that appends to X-Forwarded-For: the address
    it appended counts, not what the client wrote before it."""
    configured = settings_values(
        *CLIENT_IP_SETTINGS, DJANGO_CLIENT_IP_HEADER="X-Forwarded-For"
    )
    for name, value in configured.items():
        setattr(settings, name, value)
    proxy = "10.0.0.2"
    for attempt in range(10):
        sign_in(
            client,
            f"someone-{attempt}",
            "wrong",
            address=proxy,
            HTTP_X_FORWARDED_FOR=f"6.6.6.{attempt}, 198.51.100.7",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "198.51.100.7"
    }
    locked = sign_in(
        client, "editor", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out.
    other = sign_in(
        client, "editor", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert other.status_code == 302


def test_a_browser_session_signed_in_elsewhere_is_not_affected(client, editor):
    PartnerMembershipFactory(user=UserFactory(username="colleague"))
    guess_until_locked(client, "editor", tries=10)
    assert (
        sign_in(client, "colleague", PASSWORD, address="203.0.113.50").status_code
        == 302
    )
