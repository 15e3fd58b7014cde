"""customers.hooks: what follows a change of customer data is reached through
settings that name a callable, so customers imports nothing above it."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers import hooks

calls = []


def recorder(**arguments):
    """A hook that records its arguments and reports one line."""
    calls.append(arguments)
    return ["recorded"]


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()


@pytest.fixture
def recording(settings):
    settings.CUSTOMER_DATA_CHANGED = f"{__name__}.recorder"
    settings.DEMO_DATA_SEEDED = f"{__name__}.recorder"


def test_a_hook_calls_the_callable_its_setting_names(recording):
    since = timezone.now()
    assert hooks.customer_data_changed(app_ids=[3, 1, 3], since=since) == ["recorded"]
    assert calls == [{"app_ids": frozenset({1, 3}), "since": since}]


def test_a_list_of_hooks_is_called_in_order(settings):
    settings.DEMO_DATA_SEEDED = [f"{__name__}.recorder", f"{__name__}.recorder"]
    lines = hooks.demo_data_seeded(app=None, email_suffix=".demo.example")
    assert lines == ["recorded", "recorded"]
    assert len(calls) == 2


@pytest.mark.parametrize("unset", [None, "", []])
def test_an_unset_hook_calls_nothing(settings, unset):
    settings.CUSTOMER_DATA_CHANGED = unset
    settings.DEMO_DATA_SEEDED = unset
    assert hooks.customer_data_changed(app_ids=[1], since=timezone.now()) == []
    assert hooks.demo_data_seeded(app=None, email_suffix=".demo.example") == []


CSV = (
    "email,authenticated,birth_date,gender,market,store_spend,"
    "acquired_on,acquisition_type,platform\n"
    "new@mail.example,true,1990-01-01,female,FR,99,2026-01-05,free,windows11\n"
)


@pytest.mark.django_db
def test_an_import_tells_the_hook_which_apps_and_since_when(recording, app, tmp_path):
    data = tmp_path / "customers.csv"
    data.write_text(CSV)
    before = timezone.now()
    out = StringIO()
    call_command(
        "import_customers", str(data), f"--app={app.store_product_id}", stdout=out
    )
    assert out.getvalue().splitlines() == ["read 1, loaded 1, rejected 0", "recorded"]
    [call] = calls
    assert call["app_ids"] == frozenset({app.pk})
    assert before - dt.timedelta(seconds=1) <= call["since"] <= timezone.now()


@pytest.mark.django_db
def test_an_import_that_loads_nothing_calls_no_hook(recording, tmp_path):
    data = tmp_path / "customers.csv"
    data.write_text("email,authenticated,gender,market\nnot-an-address,true,male,FR\n")
    with pytest.raises(Exception, match="1 rows rejected"):
        call_command("import_customers", str(data), stdout=StringIO())
    assert calls == []


@pytest.mark.django_db
def test_an_import_without_a_hook_leaves_segments_alone(settings, app, tmp_path):
    from engagement.models import Segment
    from engagement.services.segments import segment_create

    segment = segment_create(
        partner=app.partner,
        app=app,
        name="Spenders",
        definition={
            "version": 1,
            "any": [
                {"all": [{"attribute": "store_spend", "operator": "gt", "value": 1}]}
            ],
        },
        user=None,
        enqueue=False,
    )
    settings.CUSTOMER_DATA_CHANGED = None
    data = tmp_path / "customers.csv"
    data.write_text(CSV)
    call_command(
        "import_customers",
        str(data),
        f"--app={app.store_product_id}",
        stdout=StringIO(),
    )
    assert Segment.objects.get(pk=segment.pk).pending_version == segment.pending_version


@pytest.mark.django_db
def test_seed_demo_adds_the_demo_groups_through_its_hook(recording):
    from customers.demo import demo_store_product_id

    out = StringIO()
    call_command("seed_demo", "--customers=20", "--today=2026-11-28", stdout=out)
    [call] = calls
    assert call["app"].store_product_id == demo_store_product_id(name="Pixel Quest")
    assert call["email_suffix"] == ".demo.example"
    assert "Demo recorded" in out.getvalue().splitlines()


@pytest.mark.django_db
def test_seed_demo_without_a_hook_creates_no_groups(settings):
    from engagement.models import CustomerGroup

    settings.DEMO_DATA_SEEDED = None
    call_command("seed_demo", "--customers=20", "--today=2026-11-28", stdout=StringIO())
    assert not CustomerGroup.objects.exists()
