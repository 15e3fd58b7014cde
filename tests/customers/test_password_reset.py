"""Password reset by e-mail: the link arrives, and a failed send is said so.

The failing mail servers are real sockets: a port that refuses connections,
and an SMTP server that answers every connection with 554.
"""

import re
import socket
import threading

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")


@pytest.fixture
def user():
    return UserFactory(username="reset-me", email="reset-me@partner.example")


def test_the_sign_in_page_links_to_password_reset(client):
    assert RESET.encode() in client.get(reverse("login")).content


def test_a_reset_e_mail_carries_a_link_that_sets_a_new_password(client, user):
    response = client.post(RESET, {"email": "reset-me@partner.example"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link.group(1)).url  # Django swaps the token for a session
    response = client.post(
        form_url,
        {"new_password1": "a-new-pass-phrase", "new_password2": "a-new-pass-phrase"},
    )
    assert response.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("a-new-pass-phrase")


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client):
    response = client.post(RESET, {"email": "nobody@partner.example"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def _refusing_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: connections are refused


@pytest.fixture
def rejecting_smtp_server():
    """An SMTP server that greets every client with 554 and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"554 5.3.2 No service here\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("server", ["refusing", "rejecting"])
def test_a_failed_send_says_so_instead_of_claiming_the_e_mail_left(
    client, user, settings, server, request
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = (
        _refusing_port()
        if server == "refusing"
        else request.getfixturevalue("rejecting_smtp_server")
    )
    settings.EMAIL_TIMEOUT = 5
    response = client.post(RESET, {"email": "reset-me@partner.example"})
    assert response.status_code == 503
    assert b"The e-mail could not be sent" in response.content
    assert b"Check your e-mail" not in response.content
