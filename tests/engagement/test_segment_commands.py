"""Support and scripting commands: segment_create, segment_members, recompute."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engagement.models import Segment
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def definition_file(tmp_path):
    path = tmp_path / "spenders.json"
    path.write_text(json.dumps(SPEND_OVER_10))
    return path


def create(partner, app, definition_file, name="Spenders"):
    out, _err = run(
        "segment_create",
        f"--partner={partner.name}",
        f"--app={app.store_product_id}",
        f"--name={name}",
        f"--definition={definition_file}",
    )
    return Segment.objects.get(pk=int(out.strip()))


def test_segment_create_prints_the_new_id(partner, app, definition_file):
    segment = create(partner, app, definition_file)
    assert segment.name == "Spenders"
    assert segment.definition == SPEND_OVER_10


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"version": 1, "any": []}), "1 to 20 OR statements"),
    ],
)
def test_segment_create_rejects_a_bad_definition(
    partner, app, tmp_path, content, message
):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        create(partner, app, path)
    assert not Segment.objects.exists()


def test_segment_create_names_a_missing_partner_app_or_file(
    partner, app, definition_file
):
    with pytest.raises(CommandError, match="No partner named"):
        run(
            "segment_create",
            "--partner=Nobody",
            f"--app={app.store_product_id}",
            "--name=x",
            f"--definition={definition_file}",
        )
    with pytest.raises(CommandError, match="No app with Store product ID"):
        run(
            "segment_create",
            f"--partner={partner.name}",
            "--app=9NXXXXXXXXXX",
            "--name=x",
            f"--definition={definition_file}",
        )
    with pytest.raises(CommandError, match="Cannot read"):
        run(
            "segment_create",
            f"--partner={partner.name}",
            f"--app={app.store_product_id}",
            "--name=x",
            "--definition=/nonexistent.json",
        )


def test_segment_members_prints_the_materialised_members_sorted(
    partner, app, definition_file
):
    for email, spend in [
        ("zoe@mail.example", "20"),
        ("adam@mail.example", "30"),
        ("poor@mail.example", "1"),
    ]:
        AppCustomerFactory(
            app=app, customer=CustomerFactory(email=email, store_spend=Decimal(spend))
        )
    segment = create(partner, app, definition_file)
    out, err = run("segment_members", str(segment.pk))
    assert out == ""
    assert "has not been computed yet" in err
    run("recompute_segments", f"--segment={segment.pk}", "--sync")
    out, err = run("segment_members", str(segment.pk))
    assert out.splitlines() == ["adam@mail.example", "zoe@mail.example"]
    assert err == ""


def test_recompute_segments_sync_reports_each_result(partner, app, definition_file):
    AppCustomerFactory(app=app, customer=CustomerFactory(store_spend=Decimal("50")))
    segment = create(partner, app, definition_file)
    out, _err = run("recompute_segments", f"--app={app.store_product_id}", "--sync")
    assert f"{segment.pk}\tSpenders\t1 members\t+1 -0" in out
    out, _err = run("recompute_segments", "--all")
    assert "queued (version 3)" in out


def test_recompute_segments_fails_loudly_for_a_failing_segment(
    partner, app, definition_file
):
    segment = create(partner, app, definition_file)
    Segment.objects.filter(pk=segment.pk).update(definition={"broken": True})
    with pytest.raises(CommandError, match="1 segment"):
        run("recompute_segments", f"--segment={segment.pk}", "--sync")


def test_recompute_segments_names_unknown_targets():
    with pytest.raises(CommandError, match="No segment with id"):
        run("recompute_segments", "--segment=999")
    with pytest.raises(CommandError, match="No app"):
        run("recompute_segments", "--app=9NXXXXXXXXXX")


def test_segment_members_of_an_unknown_segment():
    with pytest.raises(CommandError, match="No segment with id 42"):
        run("segment_members", "42")
