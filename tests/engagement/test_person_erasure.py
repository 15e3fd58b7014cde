"""Erasing a person: customer accounts and every listed address, logged."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from engagement.models import KnownUserGroupAddress, PersonErasure
from tests.engagement.known_user_group_helpers import beta_testers
from tests.factories import AppCustomerFactory, known_user_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(partner):
    return beta_testers(partner)


def test_erasing_a_person_removes_them_everywhere_and_logs_who_asked(
    group, partner, app
):
    other = known_user_group(partner=partner, name="Other", emails=["ann@mail.example"])
    AppCustomerFactory(app=app, customer=Customer.objects.get(email="ann@mail.example"))
    out = StringIO()
    call_command(
        "erase_person", "ANN@mail.example", "--requested-by=ticket 42", stdout=out
    )
    assert (
        "Erased 1 customer account(s) and 2 known user group address(es)"
        in out.getvalue()
    )
    assert not Customer.objects.filter(email="ann@mail.example").exists()
    assert not KnownUserGroupAddress.objects.filter(email="ann@mail.example").exists()
    group.refresh_from_db()
    other.refresh_from_db()
    assert (group.address_count, group.member_count, other.address_count) == (1, 0, 0)
    erasure = PersonErasure.objects.get()
    assert erasure.requested_by == "ticket 42"
    assert "ann@mail.example" not in erasure.email_sha256
    assert len(erasure.email_sha256) == 64


def test_erase_person_needs_a_valid_address_and_a_requester():
    with pytest.raises(CommandError):
        call_command("erase_person", "nobody", "--requested-by=me")
    with pytest.raises(CommandError):
        call_command("erase_person", "a@mail.example", "--requested-by= ")
