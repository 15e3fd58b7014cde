"""Shared fixtures: a partner with an app, and its editor and viewer clients."""

import pytest

from customers.models import PartnerMembership
from tests.factories import (
    AppFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    UserFactory,
)


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Contoso Games")


@pytest.fixture
def app(partner):
    return AppFactory(partner=partner, name="Contoso Racer")


@pytest.fixture
def editor(partner):
    return PartnerMembershipFactory(
        partner=partner, user=UserFactory(username="editor")
    ).user


@pytest.fixture
def viewer(partner):
    return PartnerMembershipFactory(
        partner=partner,
        user=UserFactory(username="viewer"),
        role=PartnerMembership.Role.VIEWER,
    ).user


@pytest.fixture
def other_partner(db):
    return PartnerFactory(name="Northwind Apps")


@pytest.fixture
def other_app(other_partner):
    return AppFactory(partner=other_partner, name="Northwind Notes")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts in English with an empty cache: a request in French
    leaves French active in the thread, and ids repeat across tests."""
    from django.core.cache import cache
    from django.utils import translation

    translation.activate("en")
    cache.clear()
    yield
    cache.clear()
    translation.activate("en")


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Restore the rows data migrations create (segment templates, beat
    schedules): the flush after a transactional test deletes them for every
    test that runs later."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    from importlib import import_module

    from django.apps import apps

    for module, function in (
        ("0002_segment_templates", "create_templates"),
        ("0003_daily_recompute_schedule", "create_schedule"),
        ("0005_known_user_group_linker_schedule", "create_schedule"),
        ("0007_segment_recompute_sweeper", "create_schedule"),
    ):
        getattr(import_module(f"engagement.migrations.{module}"), function)(apps, None)
