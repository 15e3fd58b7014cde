"""The audience page: public by default, private to groups, once public
never private (and the page says why); scope and roles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from targeting.errors import AudienceError, GroupChoiceError
from targeting.models import AppAudience
from targeting.selectors.audience import app_visible_to
from targeting.services.audience import audience_make_public, audience_set_private
from tests.factories import (
    AppFactory,
    CustomerFactory,
    PartnerMembershipFactory,
    UserFactory,
)
from tests.targeting.helpers import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return CustomerFactory()


@pytest.fixture
def testers(partner, member):
    return group_with(partner, "Testers", member)


def url(app):
    return reverse("targeting:app_audience", args=[app.pk])


def errors(response):
    return {
        field: [error.code for error in errors]
        for field, errors in response.context["form"].errors.as_data().items()
    }


def test_an_app_is_public_by_default_and_may_still_go_private(editor_client, app):
    html = editor_client.get(url(app)).content.decode()
    assert "Public (the default)" in html
    assert 'id="audience-form"' in html


def test_an_editor_makes_an_app_private_until_a_date(
    editor_client, app, testers, member
):
    when = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    response = editor_client.post(
        url(app),
        {
            "audience": "private",
            "groups": [testers.pk],
            "make_public_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    audience = AppAudience.objects.get(app=app)
    assert (audience.private, audience.make_public_at) == (True, when)
    assert list(audience.groups.all()) == [testers]
    assert app_visible_to(app=app, customer=member)
    assert not app_visible_to(app=app, customer=CustomerFactory())
    html = editor_client.get(url(app)).content.decode()
    assert f"It becomes public on {when:%Y-%m-%d %H:%M} UTC." in html


def test_private_needs_groups_and_a_future_date(editor_client, app, testers):
    response = editor_client.post(url(app), {"audience": "private"})
    assert response.status_code == 400
    assert errors(response) == {"groups": [GroupChoiceError.NO_GROUPS]}
    response = editor_client.post(
        url(app),
        {
            "audience": "private",
            "groups": [testers.pk],
            "make_public_at": "2020-01-01T00:00",
        },
    )
    assert errors(response) == {"make_public_at": [AudienceError.PAST_DATE]}
    response = editor_client.post(
        url(app), {"audience": "private", "groups": ["99999999999999999999"]}
    )
    assert errors(response) == {"groups": [GroupChoiceError.UNKNOWN_GROUP]}
    assert not AppAudience.objects.exists()


def test_choosing_public_publishes_for_good_and_the_page_says_why(
    editor_client, app, testers
):
    audience_set_private(app=app, groups=[testers])
    assert editor_client.post(url(app), {"audience": "public"}).status_code == 302
    audience = AppAudience.objects.get(app=app)
    assert not audience.private
    assert audience.published_at is not None
    html = editor_client.get(url(app)).content.decode()
    assert 'id="audience-form"' not in html
    assert "cannot be made private again" in html
    response = editor_client.post(
        url(app), {"audience": "private", "groups": [testers.pk]}
    )
    assert response.status_code == 400
    assert errors(response) == {"__all__": [AudienceError.ONCE_PUBLIC]}
    assert not AppAudience.objects.get(app=app).private


def test_a_due_app_shows_as_public_before_the_task_runs(editor_client, app, testers):
    audience_set_private(
        app=app,
        groups=[testers],
        make_public_at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    html = editor_client.get(url(app)).content.decode()
    assert "Public since 2026-01-02 03:04 UTC." in html
    assert 'id="audience-form"' not in html


def test_the_page_in_french(editor_client, app):
    audience_make_public(app=app)
    response = editor_client.get(url(app), headers={"accept-language": "fr"})
    html = response.content.decode()
    assert "Public de Contoso Racer" in html
    assert "ne peut plus redevenir privée" in html


def test_viewers_read_but_never_write(viewer_client, app, testers):
    response = viewer_client.get(url(app))
    assert response.status_code == 200
    assert "read-only" in response.content.decode()
    response = viewer_client.post(
        url(app), {"audience": "private", "groups": [testers.pk]}
    )
    assert response.status_code == 403
    assert not AppAudience.objects.exists()


def test_other_partners_get_404(client, other_partner):
    app = AppFactory(partner=other_partner)
    PartnerMembershipFactory(user=UserFactory(username="stranger"))
    client.force_login(UserFactory(username="stranger"))
    assert client.get(url(app)).status_code == 404
    assert client.post(url(app), {"audience": "public"}).status_code == 404
    assert not AppAudience.objects.exists()


def test_another_partners_groups_are_refused(editor_client, app, other_partner):
    theirs = group_with(other_partner, "Theirs", CustomerFactory())
    response = editor_client.post(
        url(app), {"audience": "private", "groups": [theirs.pk]}
    )
    assert response.status_code == 400
    assert "groups" in errors(response)
    assert not AppAudience.objects.exists()
