"""seed_demo fills every targeting page: flights, a private app, offers."""

from io import StringIO

import pytest
from django.core.management import call_command

from targeting.models import AppAudience, Flight, Offer

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command(
        "seed_demo", "--customers=600", "--apps=2", "--today=2026-11-28", stdout=out
    )
    return out.getvalue()


def test_the_demo_has_flights_a_private_app_and_offers_and_a_rerun_keeps_them(
    settings,
):
    settings.SEGMENT_MIN_SIZE = 5
    output = seed()
    flights = Flight.objects.order_by("-rank")
    assert [(f.name, f.rank, f.rollout_percentage) for f in flights] == [
        ("Beta ring", 3, 100),
        ("Early access", 2, 50),
    ]
    assert all(f.groups.get().name == "Beta testers" for f in flights)
    audience = AppAudience.objects.get()
    assert audience.private and audience.make_public_at is not None
    assert audience.app != flights[0].app
    assert sorted(Offer.objects.values_list("name", flat=True)) == [
        "Come back reward",
        "Spring discount",
        "Try Pro free",
    ]
    assert "flight Beta ring" in output and "offer Spring discount" in output
    seed()
    assert (Flight.objects.count(), Offer.objects.count()) == (2, 3)
    assert AppAudience.objects.count() == 1


def test_an_offer_whose_demo_segment_is_small_is_reported_not_added(settings):
    settings.SEGMENT_MIN_SIZE = 10_000
    output = seed()
    assert not Offer.objects.exists()
    assert "offer Spring discount of Pixel Quest not added" in output
