"""The French dashboard uses the product's own French words, those of the
original Partner Center page (seed-create-customer-groups.fr.md): groupes de
clients, segments, groupes d’utilisateurs connus, vol de packages, public
privé."""

import pytest
from django.urls import reverse

FRENCH = {"accept-language": "fr"}


def _html(client, url):
    response = client.get(url, headers=FRENCH)
    assert response.status_code == 200
    return response.content.decode()


def test_the_groups_pages_say_groupes_de_clients(editor_client):
    html = _html(editor_client, reverse("engagement:customer_groups"))
    assert "Groupes de clients" in html
    chooser = _html(editor_client, reverse("engagement:group_create"))
    assert "Segment" in chooser
    assert "Groupe d’utilisateurs connus" in chooser


def test_flights_are_vols_de_packages_never_versions_d_evaluation(editor_client, app):
    html = _html(editor_client, reverse("targeting:app_flight_list", args=[app.pk]))
    assert "Vols de packages" in html
    assert "version d’évaluation" not in html.lower()


@pytest.mark.parametrize("words", ["Public privé"])
def test_the_audience_page_says_public_prive(editor_client, app, words):
    html = _html(editor_client, reverse("targeting:app_audience", args=[app.pk]))
    assert words in html
    assert "Audience privée" not in html
