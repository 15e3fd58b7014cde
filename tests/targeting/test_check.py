"""Check a customer, partner side: the flight and visibility an e-mail
address would get, explained by the partner's known user groups only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from targeting.errors import CustomerCheckError
from targeting.selectors.check import FlightOutcome, customer_check
from targeting.selectors.flights import flight_for_customer, rollout_bucket
from targeting.services.audience import audience_make_public, audience_set_private
from targeting.services.flights import flight_create, flight_update
from tests.factories import AppCustomerFactory, CustomerFactory
from tests.targeting.helpers import (
    check_page,
    customers,
    group_with,
    unlinked_customer,
)

pytestmark = pytest.mark.django_db

ANN = "ann@mail.example"
PENDING = "bob@mail.example"


@pytest.fixture
def ann(app):
    return AppCustomerFactory(app=app, customer=CustomerFactory(email=ANN)).customer


@pytest.fixture
def testers(partner, ann):
    """Ann (a member) and bob@mail.example (pending: no customer)."""
    return group_with(partner, "Beta testers", ann, emails=[PENDING])


@pytest.fixture
def beta(app, testers):
    return flight_create(app=app, name="Beta ring", groups=[testers], version="1.4.2.0")


def check_url(app, email):
    return reverse("targeting:app_flight_list", args=[app.pk]) + f"?email={email}"


def outcomes(check):
    return [(item.flight.name, item.outcome) for item in check.flights]


# The selector ---------------------------------------------------------------


def test_a_member_gets_the_flight_of_their_group(app, ann, beta):
    check = customer_check(app=app, email=ANN)
    assert check.flight == beta
    assert check.visible
    assert outcomes(check) == [("Beta ring", FlightOutcome.GETS)]
    [listing] = check.flights[0].listings
    assert (listing.group.name, listing.member) == ("Beta testers", True)


def test_a_pending_address_gets_the_non_flighted_package(app, beta):
    check = customer_check(app=app, email=PENDING)
    assert check.flight is None
    assert outcomes(check) == [("Beta ring", FlightOutcome.PENDING)]
    assert check.flights[0].listings[0].member is False


def test_an_address_no_group_lists_gets_the_package_and_sees_a_public_app(app, beta):
    check = customer_check(app=app, email="nobody@mail.example")
    assert (check.flight, check.visible, check.listed) == (None, True, False)
    assert outcomes(check) == [("Beta ring", FlightOutcome.NOT_LISTED)]


def test_a_customer_no_group_lists_is_indistinguishable_from_nobody(app, beta):
    """Whether an address is a customer at all is never told."""
    customer = AppCustomerFactory(app=app).customer
    known = customer_check(app=app, email=customer.email)
    unknown = customer_check(app=app, email="nobody@mail.example")
    assert (known.flight, known.visible, outcomes(known)) == (
        unknown.flight,
        unknown.visible,
        outcomes(unknown),
    )


def test_a_higher_flight_wins_and_the_lower_one_says_so(partner, app, ann, testers):
    alpha = flight_create(app=app, name="Alpha", groups=[testers], version="1.0.0.0")
    insiders = group_with(partner, "Insiders", ann)
    flight_create(app=app, name="Gamma", groups=[insiders], version="1.0.0.0")
    other = group_with(partner, "Others", CustomerFactory())
    flight_create(app=app, name="Delta", groups=[other], version="1.0.0.0")
    check = customer_check(app=app, email=ANN)
    assert check.flight.name == "Gamma"
    assert outcomes(check) == [
        ("Delta", FlightOutcome.NOT_LISTED),
        ("Gamma", FlightOutcome.GETS),
        ("Alpha", FlightOutcome.RANKED_BELOW),
    ]
    assert alpha.rank == 2


def test_the_rollout_explains_and_agrees_with_the_resolution(partner, app):
    people = customers(40)
    group = group_with(partner, "Many", *people)
    half = flight_create(
        app=app, name="Half", groups=[group], version="1.0.0.0", rollout_percentage=50
    )
    flight_create(
        app=app, name="Top", groups=[group], version="2.0.0.0", rollout_percentage=20
    )
    seen = set()
    for person in people:
        check = customer_check(app=app, email=person.email)
        assert check.flight == flight_for_customer(app=app, customer=person)
        half_outcome = dict(outcomes(check))["Half"]
        inside = rollout_bucket(flight_id=half.pk, customer_id=person.pk) < 50
        assert (half_outcome != FlightOutcome.OUTSIDE_ROLLOUT) == inside
        seen |= set(dict(outcomes(check)).values())
    assert {
        FlightOutcome.GETS,
        FlightOutcome.OUTSIDE_ROLLOUT,
        FlightOutcome.RANKED_BELOW,
    } <= seen


def test_an_unlinked_customer_listed_is_pending(partner, app):
    person = unlinked_customer()
    group = group_with(partner, "Unlinked", person)
    flight_create(app=app, name="Beta", groups=[group], version="1.0.0.0")
    check = customer_check(app=app, email=person.email)
    assert check.flight is None
    assert outcomes(check) == [("Beta", FlightOutcome.PENDING)]


def test_another_partners_groups_are_never_mentioned(
    app, ann, other_partner, other_app
):
    theirs = group_with(other_partner, "Their testers", ann)
    flight_create(app=other_app, name="Theirs", groups=[theirs], version="1.0.0.0")
    check = customer_check(app=app, email=ANN)
    assert (check.flight, check.listed, check.flights) == (None, False, [])


def test_a_private_app_is_visible_to_its_audiences_members_only(
    partner, app, ann, testers
):
    audience_set_private(app=app, groups=[testers])
    member = customer_check(app=app, email=ANN)
    assert (member.private, member.visible) == (True, True)
    assert [(li.group.name, li.member) for li in member.audience_listings] == [
        ("Beta testers", True)
    ]
    pending = customer_check(app=app, email=PENDING)
    assert (pending.visible, pending.audience_listings[0].member) == (False, False)
    nobody = customer_check(app=app, email="nobody@mail.example")
    assert (nobody.visible, nobody.audience_listings) == (False, [])


def test_a_scheduled_app_is_visible_to_everyone_once_its_date_has_come(app, testers):
    now = timezone.now()
    later = now + dt.timedelta(days=1)
    audience_set_private(app=app, groups=[testers], make_public_at=later, now=now)
    before = customer_check(app=app, email="nobody@mail.example", now=now)
    assert (before.visible, before.make_public_at) == (False, later)
    after = customer_check(
        app=app, email="nobody@mail.example", now=later + dt.timedelta(seconds=1)
    )
    assert (after.visible, after.private) == (True, False)


def test_a_published_app_is_visible_to_everyone(app, testers):
    audience_make_public(app=app)
    check = customer_check(app=app, email="nobody@mail.example")
    assert (check.visible, check.private) == (True, False)


def test_the_check_takes_a_constant_number_of_queries(
    partner, app, ann, testers, django_assert_max_num_queries
):
    audience_set_private(app=app, groups=[testers])
    for index in range(6):
        group = group_with(partner, f"Group {index}", ann, *customers(3))
        flight_create(
            app=app, name=f"F{index}", groups=[group, testers], version="1.0.0.0"
        )
    with django_assert_max_num_queries(7):
        check = customer_check(app=app, email=ANN)
    assert check.flight.name == "F5"


# The page -------------------------------------------------------------------


def test_the_flights_page_offers_the_check_form(editor_client, app, beta):
    html = editor_client.get(reverse("targeting:app_flight_list", args=[app.pk]))
    html = html.content.decode()
    assert "Check a customer" in html
    assert 'id="check-result"' not in html


def test_a_check_shows_the_flight_and_the_reason(editor_client, app, beta):
    response = editor_client.get(check_url(app, "  Ann@Mail.Example "))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Flight Beta ring (#2, package 1.4.2.0)" in html
    assert "in Beta testers (member)" in html
    assert "flight Beta ring (rollout 100 %: included): the flight they get." in html
    assert "The app is public: everyone can see it." in html


def test_a_viewer_checks_too(viewer_client, app, beta):
    html = viewer_client.get(check_url(app, PENDING)).content.decode()
    assert "The non-flighted package (#1)" in html
    assert "listed in Beta testers but not yet matched to an account (pending)" in html


def test_an_address_no_group_lists_is_told_so(editor_client, app, beta):
    html = editor_client.get(check_url(app, "nobody@mail.example")).content.decode()
    assert "Not in any known user group of your flights" in html
    assert "The non-flighted package (#1)" in html


def test_a_private_app_says_who_cannot_see_it(editor_client, app, testers, beta):
    audience_set_private(app=app, groups=[testers])
    html = editor_client.get(check_url(app, "nobody@mail.example")).content.decode()
    assert "cannot see the app" in html
    assert 'id="check-visible">No<' in html


def test_the_outside_rollout_reason(editor_client, partner, app, ann, testers, beta):
    while rollout_bucket(flight_id=beta.pk, customer_id=ann.pk) < 1:
        beta = flight_create(
            app=app, name=f"B{beta.pk}", groups=[testers], version="1.0.0.0"
        )
    flight_update(
        flight=beta,
        name=beta.name,
        groups=[testers],
        version=beta.version,
        rollout_percentage=1,
    )
    html = editor_client.get(check_url(app, ANN)).content.decode()
    assert f"flight {beta.name} (rollout 1 %: not included)." in html


@pytest.mark.parametrize("value", ["not-an-address", "a@mail.example b@mail.example"])
def test_an_invalid_address_is_a_form_error(editor_client, app, beta, value):
    response = editor_client.get(
        reverse("targeting:app_flight_list", args=[app.pk]), {"email": value}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert str(CustomerCheckError.INVALID_EMAIL.message) in html
    assert 'id="check-result"' not in html
    assert response.context["check_form"].has_error("email", "check_invalid_email")


def test_an_empty_address_is_required(editor_client, app):
    response = editor_client.get(
        reverse("targeting:app_flight_list", args=[app.pk]), {"email": ""}
    )
    assert response.context["check_form"].has_error("email", "required")


def test_an_htmx_check_answers_the_check_only(editor_client, app, beta):
    response = editor_client.get(
        check_url(app, ANN),
        headers={"HX-Request": "true", "HX-Target": "customer-check"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="customer-check"' in html
    assert "Flight Beta ring" in html


def test_the_page_is_the_same_for_a_customer_and_nobody(editor_client, app, beta):
    """Byte for byte, but for the address itself and the CSRF tokens."""
    customer = AppCustomerFactory(app=app).customer
    assert check_page(editor_client, app, customer.email) == check_page(
        editor_client, app, "nobody@mail.example"
    )


def test_another_partners_app_is_404(editor_client, other_app):
    response = editor_client.get(check_url(other_app, ANN))
    assert response.status_code == 404


def test_the_check_in_french(editor_client, app, beta):
    response = editor_client.get(check_url(app, ANN), headers={"accept-language": "fr"})
    html = response.content.decode()
    assert "Vérifier un client" in html
    assert "dans « Beta testers » (membre)" in html
