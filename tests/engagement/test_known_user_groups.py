"""Known user groups: create, edit, import, export, scope."""

import csv
import io
from io import StringIO

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagement.addresses import addresses_from_csv
from engagement.errors import GroupError, KnownUserGroupError
from engagement.models import KnownUserGroup, KnownUserGroupAddress
from engagement.selectors.known_user_groups import (
    AddressChange,
    known_user_group_diff,
    known_user_group_export_rows,
)
from engagement.services import known_user_groups as services
from tests.engagement.known_user_group_helpers import beta_testers, link
from tests.factories import (
    CustomerFactory,
    PartnerMembershipFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("engagement:known_user_group_create")
GROUPS = reverse("engagement:customer_groups")


def emails_of(group):
    return sorted(group.addresses.values_list("email", flat=True))


def csv_upload(content: bytes, name="list.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def group(partner):
    return beta_testers(partner)


# Services ------------------------------------------------------------------


def test_update_replaces_the_addresses_and_reports_the_change(group):
    change = services.known_user_group_update(
        group=group, addresses=["bob@mail.example", "dee@mail.example"], user=None
    )
    assert (change.added, change.removed, change.kept) == (1, 1, 1)
    assert emails_of(group) == ["bob@mail.example", "dee@mail.example"]
    group.refresh_from_db()
    assert (group.member_count, group.address_count) == (0, 2)


def test_the_name_never_changes(group):
    with pytest.raises(ValidationError) as excinfo:
        services.known_user_group_update(
            group=group, addresses=["x@mail.example"], user=None, name="Renamed"
        )
    assert (
        excinfo.value.error_dict["name"][0].code == KnownUserGroupError.NAME_IMMUTABLE
    )
    assert emails_of(group) == ["ann@mail.example", "bob@mail.example"]


def test_names_are_unique_per_partner_across_all_kinds_of_group(
    group, partner, other_partner
):
    with pytest.raises(ValidationError) as excinfo:
        known_user_group(
            partner=partner, name="BETA TESTERS", emails=["z@mail.example"]
        )
    assert excinfo.value.error_dict["name"][0].code == GroupError.NAME_TAKEN
    known_user_group(
        partner=other_partner, name="Beta testers", emails=["z@mail.example"]
    )


def test_an_invalid_list_saves_nothing(partner):
    with pytest.raises(ValidationError):
        known_user_group(partner=partner, emails=["not an address"])
    assert not KnownUserGroup.objects.exists()


def test_export_escapes_formula_cells_and_round_trips(partner):
    group = known_user_group(
        partner=partner,
        emails=[
            "=cmd@mail.example",
            "+a@mail.example",
            "-b@mail.example",
            "@c@mail.example"[1:],
            "z@mail.example",
        ],
    )
    CustomerFactory(email="z@mail.example")
    link()
    rows = list(known_user_group_export_rows(group=group))
    assert rows[0] == ["email", "status"]
    assert rows[1:] == [
        ["'+a@mail.example", "pending"],
        ["'-b@mail.example", "pending"],
        ["'=cmd@mail.example", "pending"],
        ["c@mail.example", "pending"],
        ["z@mail.example", "member"],
    ]
    buffer = StringIO()
    csv.writer(buffer).writerows(rows)
    parsed = addresses_from_csv(io.BytesIO(buffer.getvalue().encode()))
    assert known_user_group_diff(group=group, addresses=parsed.addresses) == (
        AddressChange(added=0, removed=0, kept=5)
    )


# Scale ---------------------------------------------------------------------

MANY = [f"customer{i}@mail.example" for i in range(10_000)]


def bulk_statements(rows: int) -> int:
    """Statements that grow with ``rows`` here: customer lookups and INSERTs.
    SQLite caps the parameters of a statement; PostgreSQL takes 2,000 rows
    an INSERT and every lookup at once."""
    from django.db import connection

    fields = KnownUserGroupAddress._meta.concrete_fields
    per_insert = min(2_000, connection.ops.bulk_batch_size(fields, [None] * rows))
    per_lookup = connection.ops.bulk_batch_size(["email"], [None] * rows) or rows
    return -(-rows // per_insert) + -(-rows // per_lookup)


def test_saving_ten_thousand_addresses_runs_a_bounded_number_of_queries(
    partner, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20 + bulk_statements(10_000)):
        group = known_user_group(partner=partner, emails=MANY)
    assert group.address_count == 10_000
    with django_assert_max_num_queries(20 + bulk_statements(10_000)):
        services.known_user_group_update(
            group=group, addresses=[*MANY[5:], "new@mail.example"], user=None
        )


def test_importing_ten_thousand_addresses_runs_a_bounded_number_of_queries(
    editor_client, partner, django_assert_max_num_queries
):
    group = known_user_group(partner=partner, emails=["old@mail.example"])
    upload = csv_upload(("email\n" + "\n".join(MANY)).encode())
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    response = editor_client.post(url, {"csv_file": upload})
    payload = response.context["confirm"].initial["payload"]
    with django_assert_max_num_queries(30 + bulk_statements(10_000)):
        editor_client.post(url, {"payload": payload})
    group.refresh_from_db()
    assert group.address_count == 10_000


# Pages ---------------------------------------------------------------------


def test_create_from_typed_addresses_with_mixed_separators(editor_client, partner):
    response = editor_client.post(
        CREATE,
        {
            "name": "Testers",
            "addresses": " A@mail.example,b@mail.example;\n\na@mail.example  c@mail.example ;",
        },
        follow=True,
    )
    group = KnownUserGroup.objects.get(partner=partner)
    assert emails_of(group) == ["a@mail.example", "b@mail.example", "c@mail.example"]
    html = response.content.decode()
    assert "1 duplicate address was dropped." in html
    assert "0 / 3" in html


def test_create_with_an_invalid_address_keeps_the_text_and_lists_it(editor_client):
    typed = "ok@mail.example, broken@, second@mail.example"
    response = editor_client.post(CREATE, {"name": "Testers", "addresses": typed})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Address 2: “broken@” is not a valid e-mail address." in html
    assert typed in html
    assert not KnownUserGroup.objects.exists()


def test_create_over_the_limit_says_the_count(editor_client, settings):
    settings.KNOWN_USER_GROUP_MAX_EMAILS = 2
    response = editor_client.post(
        CREATE,
        {"name": "T", "addresses": "a@mail.example b@mail.example c@mail.example"},
    )
    assert "at most 2 addresses; this list has 3" in response.content.decode()


def test_create_from_a_csv_file(editor_client, partner):
    response = editor_client.post(
        CREATE,
        {
            "name": "From file",
            "csv_file": csv_upload(b"\xef\xbb\xbfEmail;Name\na@mail.example;A\n"),
        },
    )
    assert response.status_code == 302
    assert emails_of(KnownUserGroup.objects.get(partner=partner)) == ["a@mail.example"]


def test_create_rejects_a_binary_file_with_a_clear_message(editor_client):
    response = editor_client.post(
        CREATE, {"name": "Bad", "csv_file": csv_upload(b"\x00\x01\x02", "list.csv")}
    )
    assert "not a text .csv file" in response.content.decode()
    assert not KnownUserGroup.objects.exists()


def test_edit_shows_the_name_read_only_and_replaces_the_addresses(editor_client, group):
    url = reverse("engagement:known_user_group_edit", args=[group.pk])
    html = editor_client.get(url).content.decode()
    # Plain text, not a field that looks editable but is not.
    assert '<p class="form-control-plaintext' in html
    assert 'id="group-name">Beta testers</p>' in html
    assert 'value="Beta testers"' not in html and "readonly" not in html
    assert 'name="name"' not in html
    response = editor_client.post(
        url,
        {"name": "Hacked", "addresses": "bob@mail.example\ncy@mail.example"},
        follow=True,
    )
    assert "Saved: 1 added, 1 removed, 1 kept." in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Beta testers"
    assert emails_of(group) == ["bob@mail.example", "cy@mail.example"]


def test_import_shows_the_change_and_applies_it_only_on_confirmation(
    editor_client, group
):
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    response = editor_client.post(
        url,
        {
            "csv_file": csv_upload(
                b"email\nbob@mail.example\ndee@mail.example\neve@mail.example\n"
            )
        },
    )
    html = response.content.decode()
    assert "This import adds 2, removes 1, keeps 1." in html
    assert emails_of(group) == ["ann@mail.example", "bob@mail.example"]
    payload = response.context["confirm"].initial["payload"]
    response = editor_client.post(url, {"payload": payload}, follow=True)
    assert "Imported: 2 added, 1 removed, 1 kept." in response.content.decode()
    assert emails_of(group) == [
        "bob@mail.example",
        "dee@mail.example",
        "eve@mail.example",
    ]


def test_a_tampered_confirmation_changes_nothing(editor_client, group):
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    response = editor_client.post(url, {"payload": "forged"})
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert emails_of(group) == ["ann@mail.example", "bob@mail.example"]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"email\nfine@mail.example\nwrong\n",
            "Row 3: “wrong” is not a valid e-mail address.",
        ),
        (b"", "The submitted file is empty."),
        (b"\x00" * 10, "not a text .csv file"),
        (b"email\n" + b"a@mail.example\n" * 140_000, "at most 1 MB"),
    ],
)
def test_a_bad_import_file_gets_a_clear_error_and_changes_nothing(
    editor_client, group, content, message
):
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    response = editor_client.post(url, {"csv_file": csv_upload(content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert emails_of(group) == ["ann@mail.example", "bob@mail.example"]


def test_group_page_shows_members_over_listed_and_filters_by_status(
    editor_client, group
):
    url = group.get_absolute_url()
    html = editor_client.get(url).content.decode()
    assert "1 / 2" in html
    members = editor_client.get(url, {"status": "member"}).content.decode()
    assert "ann@mail.example" in members and "bob@mail.example" not in members
    pending = editor_client.get(url, {"status": "pending"}).content.decode()
    assert "bob@mail.example" in pending and "ann@mail.example" not in pending


def test_export_downloads_email_status_rows(editor_client, group):
    response = editor_client.get(
        reverse("engagement:known_user_group_export", args=[group.pk])
    )
    assert response["Content-Disposition"] == 'attachment; filename="beta-testers.csv"'
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["email", "status"],
        ["ann@mail.example", "member"],
        ["bob@mail.example", "pending"],
    ]


def test_groups_page_lists_known_user_groups_next_to_segments(editor_client, group):
    html = editor_client.get(GROUPS).content.decode()
    assert "Beta testers" in html and "Known user group" in html and "1 / 2" in html
    html = editor_client.get(GROUPS, {"kind": "segment"}).content.decode()
    assert "Beta testers" not in html
    html = editor_client.get(GROUPS, {"kind": "known_user_group"}).content.decode()
    assert "Beta testers" in html


def test_create_new_group_offers_known_user_groups(editor_client):
    html = editor_client.get(reverse("engagement:group_create")).content.decode()
    assert CREATE in html


def test_viewers_read_but_cannot_change(viewer_client, group):
    assert viewer_client.get(group.get_absolute_url()).status_code == 200
    assert (
        "Edit addresses"
        not in viewer_client.get(group.get_absolute_url()).content.decode()
    )
    edit = reverse("engagement:known_user_group_edit", args=[group.pk])
    assert viewer_client.get(edit).status_code == 403  # not even read-only
    assert viewer_client.post(edit, {"addresses": "x@mail.example"}).status_code == 403
    imp = reverse("engagement:known_user_group_import", args=[group.pk])
    assert (
        viewer_client.post(imp, {"csv_file": csv_upload(b"x@mail.example")}).status_code
        == 403
    )
    assert viewer_client.get(CREATE).status_code == 403
    assert emails_of(group) == ["ann@mail.example", "bob@mail.example"]


@pytest.mark.parametrize(
    "name",
    [
        "known_user_group_detail",
        "known_user_group_edit",
        "known_user_group_import",
        "known_user_group_export",
    ],
)
def test_another_partners_group_is_404(client, other_partner, group, name):
    client.force_login(PartnerMembershipFactory(partner=other_partner).user)
    assert client.get(reverse(f"engagement:{name}", args=[group.pk])).status_code == 404


def test_there_is_no_delete_for_partners_or_in_the_admin(group, rf):
    model_admin = admin.site._registry[KnownUserGroup]
    request = rf.get("/")
    assert not model_admin.has_delete_permission(request, group)
    assert "name" in model_admin.get_readonly_fields(request, group)
    assert not [
        u
        for u in ("delete",)
        if u in str(reverse("engagement:known_user_group_detail", args=[group.pk]))
    ]
