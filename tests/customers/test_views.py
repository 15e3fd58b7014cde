"""Sign-in, partner scope and the partner switch of the dashboard."""

import pytest
from django.urls import reverse

from customers.models import PartnerMembership
from customers.scope import SESSION_KEY
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

GROUPS_URL = reverse("engagement:customer_groups")


@pytest.mark.parametrize("url", ["/", GROUPS_URL])
def test_dashboard_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders_with_the_base_template(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b"bootstrap.min.css" in response.content


def test_signing_in_reaches_the_customer_groups_page(client, editor):
    response = client.post(
        reverse("login"),
        {"username": "editor", "password": "test-password"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == GROUPS_URL
    assert b"Customer groups" in response.content
    assert b"Engage" in response.content


def test_sign_out_needs_post_and_ends_the_session(editor_client):
    response = editor_client.post(reverse("logout"))
    assert response.status_code == 302
    assert editor_client.get(GROUPS_URL).status_code == 302


def test_user_without_partner_sees_no_access_page(client):
    client.force_login(UserFactory())
    response = client.get(GROUPS_URL)
    assert response.status_code == 403
    assert b"No partner access" in response.content


def test_customer_groups_page_shows_current_partner_empty_state(editor_client):
    response = editor_client.get(GROUPS_URL)
    assert response.status_code == 200
    assert b"Contoso Games has no customer groups yet" in response.content


def test_user_in_several_partners_switches_the_current_one(client, editor):
    second = PartnerFactory(name="Fabrikam Labs")
    PartnerMembershipFactory(
        user=editor, partner=second, role=PartnerMembership.Role.VIEWER
    )
    client.force_login(editor)
    page = client.get(GROUPS_URL)
    assert b"Fabrikam Labs" in page.content  # offered in the navbar
    response = client.post(reverse("partner_switch"), {"partner": second.pk})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == second.pk
    assert b"Fabrikam Labs has no customer groups yet" in client.get(GROUPS_URL).content


def test_switching_to_another_partners_is_404(editor_client, other_partner):
    response = editor_client.post(
        reverse("partner_switch"), {"partner": other_partner.pk}
    )
    assert response.status_code == 404
    assert SESSION_KEY not in editor_client.session


def test_a_stale_partner_in_the_session_falls_back_to_a_membership(
    editor_client, other_partner
):
    session = editor_client.session
    session[SESSION_KEY] = other_partner.pk
    session.save()
    response = editor_client.get(GROUPS_URL)
    assert b"Contoso Games has no customer groups yet" in response.content
    assert b"Northwind Apps" not in response.content


def test_partner_switch_ignores_an_offsite_next_url(client, editor, partner):
    client.force_login(editor)
    response = client.post(
        reverse("partner_switch"),
        {"partner": partner.pk, "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")


def test_pages_are_translated_to_french(editor_client):
    response = editor_client.get(GROUPS_URL, headers={"accept-language": "fr"})
    assert b"Groupes de clients" in response.content
