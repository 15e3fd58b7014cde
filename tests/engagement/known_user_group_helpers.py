"""What the known user group tests share: the usual group and a linker pass."""

import datetime as dt

from django.utils import timezone

from engagement.services.known_user_group_linking import (
    known_user_groups_link_changed,
)
from tests.factories import CustomerFactory, known_user_group


def beta_testers(partner):
    """ "Beta testers": Ann, an authenticated customer, and Bob, not a customer."""
    CustomerFactory(email="ann@mail.example", authenticated=True)
    return known_user_group(
        partner=partner, emails=["ann@mail.example", "bob@mail.example"]
    )


def link(**kwargs) -> int:
    """One linker pass, late enough that customers just written are due."""
    return known_user_groups_link_changed(
        now=timezone.now() + dt.timedelta(minutes=1), **kwargs
    )
