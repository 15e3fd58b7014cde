"""Audience: public by default, private to known user groups until published."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from targeting.errors import AudienceError, GroupChoiceError
from targeting.models import AppAudience
from targeting.selectors.audience import app_visible_to, audience_get
from targeting.services import audience as services
from targeting.tasks.audience import audience_publish_due as publish_task
from tests.factories import AppFactory, CustomerFactory
from tests.targeting.helpers import group_with, unlinked_customer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def ann(db):
    return CustomerFactory(email="ann@mail.example")


@pytest.fixture
def testers(partner, ann):
    """Ann (a member) and bob@mail.example (pending: no customer)."""
    return group_with(partner, "Testers", ann, emails=["bob@mail.example"])


def private(app, groups, **kwargs):
    return services.audience_set_private(app=app, groups=groups, now=NOW, **kwargs)


def test_an_app_is_public_by_default(app):
    assert audience_get(app=app) is None
    assert app_visible_to(app=app, customer=CustomerFactory())


def test_a_private_app_is_visible_to_its_groups_members_only(
    partner, app, ann, testers
):
    carl = CustomerFactory()
    private(app, [testers, group_with(partner, "Others", carl)])
    assert app_visible_to(app=app, customer=ann)
    assert app_visible_to(app=app, customer=carl)
    assert not app_visible_to(app=app, customer=CustomerFactory())


def test_pending_and_unmatched_addresses_never_count(partner, app, testers):
    sleeper = unlinked_customer()
    private(app, [testers, group_with(partner, "Sleepers", sleeper)])
    assert not app_visible_to(app=app, customer=sleeper)
    stranger = CustomerFactory(email="bob@mail.example", authenticated=False)
    assert not app_visible_to(app=app, customer=stranger)


def test_groups_of_another_apps_audience_do_not_apply(partner, app, ann, testers):
    other = AppFactory(partner=partner)
    private(other, [testers])
    private(app, [group_with(partner, "Others", CustomerFactory())])
    assert app_visible_to(app=other, customer=ann)
    assert not app_visible_to(app=app, customer=ann)


def test_a_private_audience_can_be_changed_until_published(partner, app, ann, testers):
    private(app, [testers])
    others = group_with(partner, "Others", CustomerFactory())
    audience = private(app, [others], make_public_at=NOW + dt.timedelta(days=2))
    assert list(audience.groups.all()) == [others]
    assert not app_visible_to(app=app, customer=ann, now=NOW)


def test_a_private_audience_needs_groups_of_the_apps_partner(
    app, testers, other_partner
):
    with pytest.raises(ValidationError) as excinfo:
        private(app, [])
    assert excinfo.value.error_dict["groups"][0].code == GroupChoiceError.NO_GROUPS
    foreign = group_with(other_partner, "Theirs", CustomerFactory())
    with pytest.raises(ValidationError) as excinfo:
        private(app, [testers, foreign])
    assert excinfo.value.error_dict["groups"][0].code == GroupChoiceError.FOREIGN_GROUP
    assert audience_get(app=app) is None


# Once public, never private ------------------------------------------------


def test_publishing_makes_the_app_public_for_good(app, testers):
    private(app, [testers])
    audience = services.audience_make_public(app=app, now=NOW)
    assert (audience.private, audience.published_at) == (False, NOW)
    assert list(audience.groups.all()) == []
    assert app_visible_to(app=app, customer=CustomerFactory())
    with pytest.raises(ValidationError) as excinfo:
        private(app, [testers])
    assert excinfo.value.code == AudienceError.ONCE_PUBLIC
    assert not AppAudience.objects.get(app=app).private


def test_an_app_chosen_public_first_can_never_be_private(app, testers):
    services.audience_make_public(app=app, now=NOW)
    with pytest.raises(ValidationError) as excinfo:
        private(app, [testers])
    assert excinfo.value.code == AudienceError.ONCE_PUBLIC


def test_publishing_again_changes_nothing(app):
    services.audience_make_public(app=app, now=NOW)
    later = services.audience_make_public(app=app, now=NOW + dt.timedelta(days=1))
    assert later.published_at == NOW


def test_the_database_refuses_a_published_app_made_private(app, testers):
    services.audience_make_public(app=app, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppAudience.objects.filter(app=app).update(private=True)


def test_the_database_refuses_a_schedule_on_a_public_app(app):
    with pytest.raises(IntegrityError), transaction.atomic():
        AppAudience.objects.create(app=app, make_public_at=NOW)


# Scheduled publication -----------------------------------------------------


def test_a_publication_date_must_be_in_the_future(app, testers):
    with pytest.raises(ValidationError) as excinfo:
        private(app, [testers], make_public_at=NOW)
    assert excinfo.value.error_dict["make_public_at"][0].code == AudienceError.PAST_DATE


def test_a_scheduled_publication_is_applied_once(app, ann, testers):
    due = NOW + dt.timedelta(hours=3)
    private(app, [testers], make_public_at=due)
    stranger = CustomerFactory()
    assert services.audience_publish_due(now=due - dt.timedelta(seconds=1)) == 0
    assert not app_visible_to(app=app, customer=stranger, now=due - dt.timedelta(1))
    # Visible from the date on, before the task has run.
    assert app_visible_to(app=app, customer=stranger, now=due)
    assert services.audience_publish_due(now=due) == 1
    assert services.audience_publish_due(now=due + dt.timedelta(hours=1)) == 0
    audience = AppAudience.objects.get(app=app)
    assert (audience.private, audience.published_at, audience.make_public_at) == (
        False,
        due,
        None,
    )
    assert list(audience.groups.all()) == []
    assert app_visible_to(app=app, customer=stranger)
    with pytest.raises(ValidationError) as excinfo:
        private(app, [testers])
    assert excinfo.value.code == AudienceError.ONCE_PUBLIC


def test_a_due_app_cannot_go_private_before_the_task_runs(app, testers):
    due = NOW + dt.timedelta(hours=3)
    private(app, [testers], make_public_at=due)
    with pytest.raises(ValidationError) as excinfo:
        services.audience_set_private(app=app, groups=[testers], now=due)
    assert excinfo.value.code == AudienceError.ONCE_PUBLIC
    assert AppAudience.objects.get(app=app).make_public_at == due


def test_the_beat_task_publishes_due_apps_only(partner, app, testers):
    later = AppFactory(partner=partner)
    private(app, [testers], make_public_at=NOW + dt.timedelta(minutes=1))  # long past
    private(later, [testers], make_public_at=timezone.now() + dt.timedelta(days=1))
    assert publish_task() == 1
    assert publish_task() == 0
    assert not AppAudience.objects.get(app=app).private
    assert AppAudience.objects.get(app=later).private


def test_the_beat_schedule_runs_the_task_every_minute():
    task = PeriodicTask.objects.get(name="Publish private apps that are due")
    assert task.task == "targeting.tasks.audience.audience_publish_due"
    assert (task.interval.every, task.interval.period) == (1, "minutes")


# Queries -------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_visibility_takes_one_query_whatever_the_number_of_groups(
    partner, app, django_assert_num_queries, count
):
    member = CustomerFactory()
    private(app, [group_with(partner, f"Group {i}", member) for i in range(count)])
    for customer in (member, CustomerFactory()):
        with django_assert_num_queries(1):
            app_visible_to(app=app, customer=customer)
