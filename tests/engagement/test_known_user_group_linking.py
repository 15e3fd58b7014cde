"""Linking addresses to customers: at save, after an import, and the periodic
linker with its watermark."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer
from engagement.services.known_user_group_linking import (
    known_user_groups_link_changed,
)
from tests.engagement.known_user_group_helpers import beta_testers, link
from tests.factories import CustomerFactory, known_user_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(partner):
    return beta_testers(partner)


def test_saving_links_authenticated_customers_only(partner):
    CustomerFactory(email="ann@mail.example", authenticated=True)
    CustomerFactory(email="bob@mail.example", authenticated=False)
    group = known_user_group(
        partner=partner,
        emails=["ann@mail.example", "bob@mail.example", "cy@mail.example"],
    )
    assert (group.member_count, group.address_count) == (1, 3)
    member = group.addresses.get(email="ann@mail.example")
    assert member.is_member and member.customer.email == "ann@mail.example"


def test_late_linking_catches_customers_who_sign_in_or_arrive_later(group, partner):
    link()  # the watermark catches up
    bob = CustomerFactory(email="bob@mail.example", authenticated=False)
    link()
    group.refresh_from_db()
    assert group.member_count == 1
    bob.authenticated = True
    bob.save()
    assert link() == 1
    group.refresh_from_db()
    assert group.member_count == 2
    ann = Customer.objects.get(email="ann@mail.example")
    ann.authenticated = False
    ann.save()
    link()
    group.refresh_from_db()
    assert group.member_count == 1
    assert not group.addresses.get(email="ann@mail.example").is_member


def test_the_linker_leaves_customers_written_moments_ago_for_the_next_pass(group):
    link()
    CustomerFactory(email="bob@mail.example")
    assert known_user_groups_link_changed(now=timezone.now()) == 0
    assert link() == 1
    group.refresh_from_db()
    assert group.member_count == 2


def test_importing_customers_links_their_addresses_at_once(group, tmp_path):
    data = tmp_path / "customers.csv"
    data.write_text(
        "email,authenticated,gender,market\nbob@mail.example,true,male,FR\n"
    )
    call_command("import_customers", str(data), stdout=StringIO())
    group.refresh_from_db()
    assert group.member_count == 2


def test_the_linker_works_in_batches_without_skipping_anyone(partner):
    group = known_user_group(
        partner=partner, emails=[f"u{i}@mail.example" for i in range(7)]
    )
    link()
    for i in range(7):
        CustomerFactory(email=f"u{i}@mail.example")
    assert link(batch_size=3) == 7
    group.refresh_from_db()
    assert group.member_count == 7
    assert link(batch_size=3) == 0
