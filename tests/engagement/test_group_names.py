"""Group names: normalised, trimmed and visible, whatever the entry point.

Every kind of customer group is saved through ``customer_group_save``, which
cleans the name (``customers.names``); the forms show the same message on
the name field.
"""

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.errors import NamingError
from engagement.errors import GroupError
from engagement.models import CustomerGroup, KnownUserGroup, Segment
from engagement.services.known_user_groups import known_user_group_create
from engagement.services.segments import segment_create, segment_update
from tests.engagement.test_segment_views import SPEND_ROW, editor_post
from tests.factories import SPEND_OVER_10

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    ("Big\tspenders", NamingError.CONTROL_CHARACTER),
    ("Big\nspenders", NamingError.CONTROL_CHARACTER),
    ("Big\x00spenders", NamingError.CONTROL_CHARACTER),
    ("\u200b", NamingError.NO_VISIBLE_CHARACTER),
    ("\u200b \u2060", NamingError.NO_VISIBLE_CHARACTER),
    ("Big \ufffd spenders", NamingError.INVALID_TEXT),
    ("\u202eBig spenders", NamingError.INVISIBLE_CHARACTER),
    ("Big\u200bspenders", NamingError.INVISIBLE_CHARACTER),
]
IDS = [code + "-" + repr(name)[:12] for name, code in BAD_NAMES]


def _make_segment(partner, app, editor, name):
    return segment_create(
        partner=partner, app=app, name=name, definition=SPEND_OVER_10, user=editor
    )


def _make_known_user_group(partner, app, editor, name):
    return known_user_group_create(
        partner=partner, name=name, addresses=["ann@mail.example"], user=editor
    )


CREATORS = [_make_segment, _make_known_user_group]


@pytest.mark.parametrize("create", CREATORS, ids=["segment", "known_user_group"])
@pytest.mark.parametrize(("name", "code"), BAD_NAMES, ids=IDS)
def test_services_refuse_a_bad_name_on_the_name_field(
    partner, app, editor, create, name, code
):
    with pytest.raises(ValidationError) as excinfo:
        create(partner, app, editor, name)
    assert [e.code for e in excinfo.value.error_dict["name"]] == [code]
    assert not CustomerGroup.objects.exists()


@pytest.mark.parametrize("create", CREATORS, ids=["segment", "known_user_group"])
def test_services_store_the_name_normalised_and_trimmed(partner, app, editor, create):
    group = create(partner, app, editor, "  Cafe\u0301 👩\u200d💻 fans\u00a0")
    group.refresh_from_db()
    assert group.name == "Café 👩\u200d💻 fans"


def test_two_spellings_of_one_name_are_the_same_name(partner, app, editor):
    _make_segment(partner, app, editor, "Café")  # é precomposed
    with pytest.raises(ValidationError) as excinfo:
        _make_known_user_group(partner, app, editor, "Cafe\u0301")  # e + accent
    assert excinfo.value.error_dict["name"][0].code == GroupError.NAME_TAKEN


def test_renaming_a_segment_checks_the_new_name(partner, app, editor):
    segment = _make_segment(partner, app, editor, "Spenders")
    with pytest.raises(ValidationError) as excinfo:
        segment_update(
            segment=segment,
            app=app,
            name="\u200b",
            definition=SPEND_OVER_10,
            user=editor,
        )
    assert excinfo.value.error_dict["name"][0].code == NamingError.NO_VISIBLE_CHARACTER
    assert Segment.objects.get().name == "Spenders"


def test_the_segment_command_refuses_a_bad_name(partner, app, tmp_path):
    path = tmp_path / "spenders.json"
    path.write_text(
        '{"version": 1, "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}]}'
    )
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "segment_create",
            f"--partner={partner.name}",
            f"--app={app.store_product_id}",
            "--name=\u200b",
            f"--definition={path}",
            stdout=StringIO(),
        )
    assert "at least one visible" in str(excinfo.value)
    assert not Segment.objects.exists()


# Forms: the message sits on the name field --------------------------------


@pytest.mark.parametrize(("name", "code"), BAD_NAMES, ids=IDS)
def test_the_segment_editor_shows_the_name_problem_on_its_field(
    editor_client, app, name, code
):
    response = editor_client.post(
        reverse("engagement:segment_create"), editor_post(app, [SPEND_ROW], name=name)
    )
    assert response.status_code == 400
    errors = response.context["editor"].form.errors.as_data()
    if "\x00" in name:  # Django's own field check comes first
        assert [e.code for e in errors["name"]] == ["null_characters_not_allowed"]
    else:
        assert [e.code for e in errors["name"]] == [code]
    assert not Segment.objects.exists()


@pytest.mark.parametrize(("name", "code"), BAD_NAMES, ids=IDS)
def test_the_known_user_group_form_shows_the_name_problem_on_its_field(
    editor_client, name, code
):
    response = editor_client.post(
        reverse("engagement:known_user_group_create"),
        {"name": name, "addresses": "ann@mail.example"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    if "\x00" in name:
        assert [e.code for e in errors["name"]] == ["null_characters_not_allowed"]
    else:
        assert [e.code for e in errors["name"]] == [code]
    assert not KnownUserGroup.objects.exists()


@pytest.mark.parametrize(
    "url_name", ["engagement:segment_create", "engagement:known_user_group_create"]
)
def test_a_name_sent_as_invalid_utf8_is_refused(editor_client, app, url_name):
    data = {**editor_post(app, [SPEND_ROW]), "addresses": "ann@mail.example"}
    body = urlencode(data).replace("name=Big+spenders", "name=Big%FF%FEspenders")
    assert "%FF" in body
    response = editor_client.post(
        reverse(url_name), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "U+FFFD" in response.content.decode()
    assert not CustomerGroup.objects.exists()
