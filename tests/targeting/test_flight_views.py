"""Package flight pages: list, create, edit, move, delete; scope and roles."""

import re

import pytest
from django.urls import reverse

from targeting.errors import FlightError, GroupChoiceError
from targeting.models import Flight
from targeting.services.flights import flight_create
from tests.factories import (
    AppFactory,
    CustomerFactory,
    PartnerMembershipFactory,
    UserFactory,
)
from tests.targeting.helpers import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def testers(partner):
    return group_with(partner, "Testers", CustomerFactory())


@pytest.fixture
def flights(app, testers):
    """Alpha (#2) and Beta (#3) of the app."""
    return [
        flight_create(app=app, name=name, groups=[testers], version="1.0.0.0")
        for name in ("Alpha", "Beta")
    ]


def ranked(app):
    return list(
        Flight.objects.filter(app=app).order_by("-rank").values_list("name", "rank")
    )


def form(testers, **overrides):
    return {
        "name": "Gamma",
        "groups": [testers.pk],
        "version": "1.4.2.0",
        "rollout_percentage": "50",
        **overrides,
    }


def test_the_apps_page_counts_flights_and_links_each_app(editor_client, app, flights):
    html = editor_client.get(reverse("targeting:flight_apps")).content.decode()
    assert reverse("targeting:app_flight_list", args=[app.pk]) in html
    assert "2 flights" in html


def test_the_list_shows_flights_highest_first_and_the_package_last_as_1(
    editor_client, app, flights
):
    response = editor_client.get(reverse("targeting:app_flight_list", args=[app.pk]))
    html = response.content.decode()
    assert html.index("Beta") < html.index("Alpha") < html.index("Non-flighted package")
    assert html.index("#3") < html.index("#2") < html.index("#1")
    assert "Testers" in html


def test_the_list_in_french(editor_client, app, flights):
    response = editor_client.get(
        reverse("targeting:app_flight_list", args=[app.pk]),
        headers={"accept-language": "fr"},
    )
    assert "Vols de packages" in response.content.decode()


def test_an_editor_creates_a_flight_that_ranks_highest(
    editor_client, app, testers, flights
):
    response = editor_client.post(
        reverse("targeting:app_flight_create", args=[app.pk]), form(testers)
    )
    assert response.status_code == 302
    assert ranked(app)[0] == ("Gamma", 4)
    gamma = Flight.objects.get(name="Gamma")
    assert (gamma.version, gamma.rollout_percentage) == ("1.4.2.0", 50)
    assert list(gamma.groups.all()) == [testers]


def test_service_errors_show_on_their_fields(editor_client, app, testers, flights):
    response = editor_client.post(
        reverse("targeting:app_flight_create", args=[app.pk]),
        form(testers, name="alpha"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert errors["name"][0].code == FlightError.NAME_TAKEN
    assert Flight.objects.filter(app=app).count() == 2


def test_a_bad_version_is_shown_on_its_field(editor_client, app, testers):
    response = editor_client.post(
        reverse("targeting:app_flight_create", args=[app.pk]),
        form(testers, version="1.4"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert errors["version"][0].code == FlightError.INVALID_VERSION


def test_another_partners_groups_are_not_offered(
    editor_client, app, testers, other_partner
):
    theirs = group_with(other_partner, "Theirs", CustomerFactory())
    response = editor_client.post(
        reverse("targeting:app_flight_create", args=[app.pk]),
        form(testers, groups=[theirs.pk]),
    )
    assert response.status_code == 400
    assert "groups" in response.context["form"].errors
    assert not Flight.objects.exists()


def test_an_editor_edits_a_flight_and_its_rank_stays(
    editor_client, app, testers, flights
):
    alpha = flights[0]
    url = reverse("targeting:flight_edit", args=[alpha.pk])
    assert "1.0.0.0" in editor_client.get(url).content.decode()
    response = editor_client.post(url, form(testers, name="Alpha 2"))
    assert response.status_code == 302
    assert ranked(app) == [("Beta", 3), ("Alpha 2", 2)]


def test_moving_with_plain_submits(editor_client, app, flights):
    alpha = flights[0]
    url = reverse("targeting:flight_move", args=[alpha.pk])
    response = editor_client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert response.url == reverse("targeting:app_flight_list", args=[app.pk])
    assert ranked(app) == [("Alpha", 3), ("Beta", 2)]
    editor_client.post(url, {"direction": "up"})  # the top: nothing to do
    assert ranked(app) == [("Alpha", 3), ("Beta", 2)]
    editor_client.post(url, {"direction": "down"})
    assert ranked(app) == [("Beta", 3), ("Alpha", 2)]
    assert editor_client.post(url, {"direction": "sideways"}).status_code == 400
    assert editor_client.get(url).status_code == 405


def test_moving_with_htmx_swaps_the_table_and_keeps_the_focus(
    editor_client, app, flights
):
    alpha, beta = flights
    url = reverse("targeting:flight_move", args=[alpha.pk])
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "flights-table"}
    response = editor_client.post(url, {"direction": "up"}, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div class="table-responsive" id="flights-table">')
    assert ranked(app) == [("Alpha", 3), ("Beta", 2)]
    # Alpha is now the top, so Move up is disabled: its Move down gets focus.
    assert re.search(rf'id="flight-{alpha.pk}-down"[^>]*autofocus', html)
    assert (
        "autofocus"
        not in html.replace(f'id="flight-{alpha.pk}-down"', "", 1).split(
            f'id="flight-{alpha.pk}-down"'
        )[0]
        or html.count("autofocus") == 1
    )
    html = editor_client.post(
        reverse("targeting:flight_move", args=[beta.pk]), {"direction": "up"}, **htmx
    ).content.decode()
    assert ranked(app) == [("Beta", 3), ("Alpha", 2)]
    assert re.search(rf'id="flight-{beta.pk}-down"[^>]*autofocus', html)


def test_the_move_buttons_post_with_htmx_and_without(editor_client, app, flights):
    html = editor_client.get(
        reverse("targeting:app_flight_list", args=[app.pk])
    ).content.decode()
    move = reverse("targeting:flight_move", args=[flights[0].pk])
    assert f'action="{move}"' in html and f'hx-post="{move}"' in html
    assert 'hx-target="#flights-table"' in html


def test_deleting_asks_first_then_closes_the_gap(editor_client, app, testers, flights):
    alpha = flights[0]
    url = reverse("targeting:flight_delete", args=[alpha.pk])
    assert "Delete flight Alpha?" in editor_client.get(url).content.decode()
    assert ranked(app) == [("Beta", 3), ("Alpha", 2)]
    assert editor_client.post(url).status_code == 302
    assert ranked(app) == [("Beta", 2)]


def _urls(app, flight):
    return {
        "list": reverse("targeting:app_flight_list", args=[app.pk]),
        "create": reverse("targeting:app_flight_create", args=[app.pk]),
        "edit": reverse("targeting:flight_edit", args=[flight.pk]),
        "move": reverse("targeting:flight_move", args=[flight.pk]),
        "delete": reverse("targeting:flight_delete", args=[flight.pk]),
    }


def test_other_partners_get_404_on_every_flight_url(client, other_partner):
    app = AppFactory(partner=other_partner)
    theirs = group_with(other_partner, "Theirs", CustomerFactory())
    flight = flight_create(app=app, name="Theirs", groups=[theirs], version="1.0.0.0")
    # An editor of another partner:
    PartnerMembershipFactory(user=UserFactory(username="stranger"))
    client.force_login(UserFactory(username="stranger"))
    for name, url in _urls(app, flight).items():
        for method in ("get", "post"):
            if (name, method) == ("move", "get"):
                continue  # POST only: 405 before any lookup
            response = getattr(client, method)(url, {"direction": "up"})
            assert response.status_code == 404, (name, method)
    assert ranked(app) == [("Theirs", 2)]


def test_viewers_read_but_never_write(viewer_client, app, testers, flights):
    alpha = flights[0]
    urls = _urls(app, alpha)
    html = viewer_client.get(urls["list"]).content.decode()
    assert "Move up" not in html
    assert "New flight" not in html
    assert urls["edit"] not in html
    assert viewer_client.get(urls["edit"]).status_code == 403
    assert viewer_client.get(urls["create"]).status_code == 403
    for name in ("create", "edit", "move", "delete"):
        response = viewer_client.post(urls[name], {**form(testers), "direction": "up"})
        assert response.status_code == 403, name
    assert ranked(app) == [("Beta", 3), ("Alpha", 2)]


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999"])
def test_a_group_that_cannot_be_an_id_is_refused_on_its_field(
    editor_client, app, testers, value
):
    response = editor_client.post(
        reverse("targeting:app_flight_create", args=[app.pk]),
        form(testers, groups=[testers.pk, value]),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert errors["groups"][0].code == GroupChoiceError.UNKNOWN_GROUP
