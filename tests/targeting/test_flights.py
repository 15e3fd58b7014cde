"""Package flights: ranks, moves, deletes, rules and who gets which flight."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from targeting.errors import FlightError, GroupChoiceError
from targeting.models import NON_FLIGHTED_RANK, Flight, FlightMove
from targeting.selectors.flights import (
    flight_for_customer,
    flight_list,
    rollout_bucket,
)
from targeting.services import flights as services
from tests.factories import AppFactory, CustomerFactory
from tests.targeting.helpers import customers, group_with, unlinked_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return CustomerFactory(email="ann@mail.example")


@pytest.fixture
def testers(partner, ann):
    """Ann (a member) and bob@mail.example (pending: no customer)."""
    return group_with(partner, "Testers", ann, emails=["bob@mail.example"])


def flight(app, name, groups, **kwargs):
    return services.flight_create(
        app=app,
        name=name,
        groups=groups,
        version=kwargs.pop("version", "1.0.0.0"),
        **kwargs,
    )


def ranked(app):
    """The app's flight names and ranks, highest first."""
    return [(f.name, f.rank) for f in flight_list(app=app)]


def error_code(excinfo, field):
    return excinfo.value.error_dict[field][0].code


# Ranks ---------------------------------------------------------------------


def test_a_new_flight_ranks_highest_above_the_non_flighted_package(app, testers):
    for name in ("Alpha", "Beta", "Gamma"):
        flight(app, name, [testers])
    assert NON_FLIGHTED_RANK == 1
    assert ranked(app) == [("Gamma", 4), ("Beta", 3), ("Alpha", 2)]


def test_ranks_are_per_app(partner, app, testers):
    other = AppFactory(partner=partner)
    flight(app, "Alpha", [testers])
    assert flight(other, "Alpha", [testers]).rank == 2


def test_moving_up_and_down_swaps_with_the_neighbour(app, testers):
    alpha, _beta, gamma = (
        flight(app, n, [testers]) for n in ("Alpha", "Beta", "Gamma")
    )
    services.flight_move(flight=alpha, direction=FlightMove.UP)
    assert alpha.rank == 3
    assert ranked(app) == [("Gamma", 4), ("Alpha", 3), ("Beta", 2)]
    services.flight_move(flight=gamma, direction="down")
    assert ranked(app) == [("Alpha", 4), ("Gamma", 3), ("Beta", 2)]


def test_moving_the_top_up_or_the_bottom_down_changes_nothing(app, testers):
    alpha, beta = flight(app, "Alpha", [testers]), flight(app, "Beta", [testers])
    services.flight_move(flight=beta, direction=FlightMove.UP)
    services.flight_move(flight=alpha, direction=FlightMove.DOWN)
    assert ranked(app) == [("Beta", 3), ("Alpha", 2)]


def test_a_single_flight_moves_nowhere(app, testers):
    alpha = flight(app, "Alpha", [testers])
    for direction in FlightMove:
        services.flight_move(flight=alpha, direction=direction)
    assert ranked(app) == [("Alpha", 2)]


def test_an_unknown_direction_is_refused(app, testers):
    alpha = flight(app, "Alpha", [testers])
    with pytest.raises(ValueError):
        services.flight_move(flight=alpha, direction="sideways")


@pytest.mark.parametrize("deleted", ["Alpha", "Beta", "Delta"])
def test_deleting_keeps_the_ranks_contiguous(app, testers, deleted):
    made = {n: flight(app, n, [testers]) for n in ("Alpha", "Beta", "Gamma", "Delta")}
    services.flight_delete(flight=made[deleted])
    names = [n for n in ("Delta", "Gamma", "Beta", "Alpha") if n != deleted]
    assert ranked(app) == list(zip(names, [4, 3, 2], strict=True))
    assert flight(app, "Epsilon", [testers]).rank == 5


def test_deleting_the_last_flight_leaves_the_package_alone(app, testers):
    services.flight_delete(flight=flight(app, "Alpha", [testers]))
    assert ranked(app) == []
    assert flight(app, "Beta", [testers]).rank == 2


def test_moving_or_deleting_a_deleted_flight_changes_nothing(app, testers):
    alpha = flight(app, "Alpha", [testers])
    flight(app, "Beta", [testers])
    services.flight_delete(flight=alpha)
    services.flight_move(flight=alpha, direction=FlightMove.UP)
    services.flight_delete(flight=alpha)
    assert ranked(app) == [("Beta", 2)]


def test_the_database_refuses_two_flights_of_one_rank_and_the_package_rank(
    app, testers
):
    alpha = flight(app, "Alpha", [testers])
    with pytest.raises(IntegrityError), transaction.atomic():
        Flight.objects.create(app=app, name="Beta", version="1.0.0.0", rank=alpha.rank)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flight.objects.create(
            app=app, name="Gamma", version="1.0.0.0", rank=NON_FLIGHTED_RANK
        )


def test_two_editors_moving_and_deleting_at_once_keep_ranks_contiguous(
    transactional_db, partner, app, monkeypatch
):
    if connection.vendor == "sqlite":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writes")
    testers = group_with(partner, "Testers", CustomerFactory())
    made = {n: flight(app, n, [testers]) for n in ("A", "B", "C", "D", "E")}
    inside = threading.Event()
    original = services._ranks_apply

    def slow(**kwargs):
        if threading.current_thread().name == "first":
            inside.set()
            threading.Event().wait(1.0)  # hold the app's lock while others arrive
        return original(**kwargs)

    monkeypatch.setattr(services, "_ranks_apply", slow)
    errors = []

    def editor(action):
        try:
            action()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # The first editor moves B up while holding the lock; the others read the
    # ranks it leaves: they move A up, delete C and move E down.
    first = threading.Thread(
        name="first",
        target=editor,
        args=(lambda: services.flight_move(flight=made["B"], direction="up"),),
    )
    first.start()
    assert inside.wait(5)
    others = [
        threading.Thread(target=editor, args=(action,))
        for action in (
            lambda: services.flight_move(flight=made["A"], direction="up"),
            lambda: services.flight_delete(flight=made["C"]),
            lambda: services.flight_move(flight=made["E"], direction="down"),
        )
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(20)
    assert errors == []
    ranks = sorted(Flight.objects.filter(app=app).values_list("rank", flat=True))
    assert ranks == [2, 3, 4, 5]
    # Whatever order the others ran in after B went above C, E is below D,
    # and A and B (in either order) below them both.
    order = [name for name, _rank in ranked(app)]
    assert order[:2] == ["D", "E"]
    assert set(order[2:]) == {"A", "B"}


def test_concurrent_creates_rank_one_above_the_other(transactional_db, partner, app):
    if connection.vendor == "sqlite":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writes")
    testers = group_with(partner, "Testers", CustomerFactory())
    barrier = threading.Barrier(4)
    errors = []

    def editor(name):
        try:
            barrier.wait(5)
            flight(app, name, [testers])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=editor, args=(n,)) for n in "ABCD"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert sorted(rank for _name, rank in ranked(app)) == [2, 3, 4, 5]


# Rules -----------------------------------------------------------------------


def test_names_are_unique_per_app_ignoring_case(partner, app, testers):
    flight(app, "Beta ring", [testers])
    with pytest.raises(ValidationError) as excinfo:
        flight(app, "  BETA RING ", [testers])
    assert error_code(excinfo, "name") == FlightError.NAME_TAKEN
    assert (
        flight(AppFactory(partner=partner), "Beta ring", [testers]).name == "Beta ring"
    )


def test_renaming_to_a_taken_name_is_refused(app, testers):
    flight(app, "Alpha", [testers])
    beta = flight(app, "Beta", [testers])
    with pytest.raises(ValidationError) as excinfo:
        services.flight_update(
            flight=beta,
            name="alpha",
            groups=[testers],
            version="1.0.0.0",
            rollout_percentage=100,
        )
    assert error_code(excinfo, "name") == FlightError.NAME_TAKEN


@pytest.mark.parametrize(
    "version",
    ["1.4.2", "1.4.2.0.1", "1.4.2.x", "v1.4.2.0", "1.4.2.65536", "1..2.3"],
)
def test_a_version_is_four_dotted_numbers(app, testers, version):
    with pytest.raises(ValidationError) as excinfo:
        flight(app, "Alpha", [testers], version=version)
    assert error_code(excinfo, "version") == FlightError.INVALID_VERSION


@pytest.mark.parametrize("version", ["1.4.2.0", "0.0.0.0", "65535.65535.65535.65535"])
def test_valid_versions(app, testers, version):
    assert flight(app, "Alpha", [testers], version=version).version == version


@pytest.mark.parametrize("percentage", [0, 101])
def test_a_rollout_is_1_to_100_percent(app, testers, percentage):
    with pytest.raises(ValidationError) as excinfo:
        flight(app, "Alpha", [testers], rollout_percentage=percentage)
    assert error_code(excinfo, "rollout_percentage") == FlightError.INVALID_ROLLOUT
    with pytest.raises(IntegrityError), transaction.atomic():
        Flight.objects.create(
            app=app,
            name="Beta",
            version="1.0.0.0",
            rank=2,
            rollout_percentage=percentage,
        )


def test_a_flight_needs_a_group_of_the_apps_partner(app, testers, other_partner):
    with pytest.raises(ValidationError) as excinfo:
        flight(app, "Alpha", [])
    assert error_code(excinfo, "groups") == GroupChoiceError.NO_GROUPS
    foreign = group_with(other_partner, "Theirs", CustomerFactory())
    with pytest.raises(ValidationError) as excinfo:
        flight(app, "Alpha", [testers, foreign])
    assert error_code(excinfo, "groups") == GroupChoiceError.FOREIGN_GROUP
    alpha = flight(app, "Alpha", [testers])
    with pytest.raises(ValidationError) as excinfo:
        services.flight_update(
            flight=alpha,
            name="Alpha",
            groups=[foreign],
            version="1.0.0.0",
            rollout_percentage=100,
        )
    assert error_code(excinfo, "groups") == GroupChoiceError.FOREIGN_GROUP
    assert list(alpha.groups.all()) == [testers]
    assert Flight.objects.count() == 1


def test_editing_changes_everything_but_the_rank(partner, app, testers):
    alpha = flight(app, "Alpha", [testers])
    flight(app, "Beta", [testers])
    others = group_with(partner, "Others", CustomerFactory())
    services.flight_update(
        flight=alpha,
        name="Alpha 2",
        groups=[testers, others],
        version="2.0.0.0",
        rollout_percentage=30,
    )
    alpha = Flight.objects.get(pk=alpha.pk)
    assert (alpha.name, alpha.version, alpha.rollout_percentage, alpha.rank) == (
        "Alpha 2",
        "2.0.0.0",
        30,
        2,
    )
    assert set(alpha.groups.all()) == {testers, others}


def test_an_edit_made_from_a_stale_copy_keeps_a_move_made_since(app, testers):
    alpha = flight(app, "Alpha", [testers])
    flight(app, "Beta", [testers])
    stale = Flight.objects.get(pk=alpha.pk)
    services.flight_move(flight=alpha, direction=FlightMove.UP)
    services.flight_update(
        flight=stale,
        name="Alpha",
        groups=[testers],
        version="1.0.0.1",
        rollout_percentage=100,
    )
    assert ranked(app) == [("Alpha", 3), ("Beta", 2)]


# Who gets which flight -----------------------------------------------------------


def test_the_highest_ranked_flight_of_a_members_groups_wins(partner, app, ann, testers):
    carl = CustomerFactory()
    others = group_with(partner, "Others", carl)
    low = flight(app, "Low", [testers], version="9.0.0.0")
    high = flight(app, "High", [testers, others], version="1.0.0.0")
    assert flight_for_customer(app=app, customer=ann) == high  # despite its version
    assert flight_for_customer(app=app, customer=carl) == high
    services.flight_move(flight=high, direction=FlightMove.DOWN)
    assert flight_for_customer(app=app, customer=ann) == low
    assert flight_for_customer(app=app, customer=carl) == high


def test_a_flight_with_several_groups_reaches_each_groups_members(partner, app):
    people = customers(3)
    groups = [group_with(partner, f"Group {i}", c) for i, c in enumerate(people)]
    beta = flight(app, "Beta", groups)
    assert [flight_for_customer(app=app, customer=c) for c in people] == [beta] * 3


def test_pending_and_unmatched_addresses_never_count(partner, app, testers):
    sleeper = unlinked_customer()
    group = group_with(partner, "Sleepers", sleeper, emails=["nobody@mail.example"])
    flight(app, "Beta", [testers, group])
    stranger = CustomerFactory(email="bob@mail.example", authenticated=False)
    assert flight_for_customer(app=app, customer=sleeper) is None
    assert flight_for_customer(app=app, customer=stranger) is None
    assert flight_for_customer(app=app, customer=CustomerFactory()) is None


def test_flights_of_another_app_do_not_apply(partner, app, ann, testers):
    flight(AppFactory(partner=partner), "Elsewhere", [testers])
    assert flight_for_customer(app=app, customer=ann) is None


def test_the_rollout_bucket_is_a_stable_hash_of_flight_and_customer():
    assert rollout_bucket(flight_id=7, customer_id=42) == rollout_bucket(
        flight_id=7, customer_id=42
    )
    # sha256("7:42") begins 0x…; the bucket is its first 32 bits modulo 100.
    import hashlib

    expected = int(hashlib.sha256(b"7:42").hexdigest()[:8], 16) % 100
    assert rollout_bucket(flight_id=7, customer_id=42) == expected
    buckets = {rollout_bucket(flight_id=1, customer_id=c) for c in range(2_000)}
    assert buckets == set(range(100))


def test_raising_the_rollout_only_adds_people(partner, app):
    people = customers(60)
    group = group_with(partner, "Everyone", *people)
    beta = flight(app, "Beta", [group], rollout_percentage=10)
    reached = []
    for percentage in (10, 40, 75, 100):
        services.flight_update(
            flight=beta,
            name="Beta",
            groups=[group],
            version="1.0.0.0",
            rollout_percentage=percentage,
        )
        reached.append(
            {c.pk for c in people if flight_for_customer(app=app, customer=c) == beta}
        )
    assert reached[0] < reached[1] < reached[2] < reached[3] == {c.pk for c in people}
    for people_in, percentage in zip(reached, (10, 40, 75, 100), strict=True):
        assert all(
            rollout_bucket(flight_id=beta.pk, customer_id=pk) < percentage
            for pk in people_in
        )


def test_a_customer_outside_a_rollout_falls_to_the_next_flight(partner, app):
    people = customers(30)
    group = group_with(partner, "Everyone", *people)
    low = flight(app, "Low", [group])
    high = flight(app, "High", [group], rollout_percentage=50)
    got = {c.pk: flight_for_customer(app=app, customer=c) for c in people}
    for c in people:
        inside = rollout_bucket(flight_id=high.pk, customer_id=c.pk) < 50
        assert got[c.pk] == (high if inside else low)
    assert {high, low} == set(got.values())


@pytest.mark.parametrize("count", [1, 20])
def test_resolution_takes_one_query_whatever_the_number_of_flights_and_groups(
    partner, app, django_assert_num_queries, count
):
    member = CustomerFactory()
    groups = [group_with(partner, f"Group {i}", member) for i in range(count)]
    for i in range(count):
        flight(app, f"Flight {i}", groups, rollout_percentage=1)
    stranger = CustomerFactory()
    for customer in (member, stranger):
        with django_assert_num_queries(1):
            flight_for_customer(app=app, customer=customer)
