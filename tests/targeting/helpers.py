"""What the targeting tests share: known user groups with members and not."""

import re
from urllib.parse import quote

from django.urls import reverse

from tests.factories import CustomerFactory, known_user_group

CSRF_TOKEN = re.compile(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]*"')


def group_with(partner, name, *customers, emails=()):
    """A known user group listing ``customers`` (members when authenticated)
    and ``emails`` no customer has (pending)."""
    return known_user_group(
        partner=partner,
        name=name,
        emails=[c.email for c in customers] + list(emails),
    )


def customers(count, **kwargs):
    """``count`` authenticated customers."""
    return [CustomerFactory(**kwargs) for _ in range(count)]


def unlinked_customer():
    """A customer who has not signed in: listed, never a member."""
    return CustomerFactory(authenticated=False)


def check_page(client, app, email):
    """The Package flights page checking ``email``, with the address and the
    CSRF tokens (new on each response) blanked out, to compare two checks."""
    url = reverse("targeting:app_flight_list", args=[app.pk])
    html = client.get(url, {"email": email}).content.decode()
    html = CSRF_TOKEN.sub("", html).replace(email, "EMAIL")
    return html.replace(quote(email), "EMAIL")
