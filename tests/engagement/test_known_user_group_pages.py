"""Known user group pages a partner reads: the import preview, the search and
pages of a group's addresses, and errors written as sentences."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from engagement.models import KnownUserGroupAddress
from tests.engagement.known_user_group_helpers import beta_testers
from tests.factories import known_user_group

pytestmark = pytest.mark.django_db

CREATE = reverse("engagement:known_user_group_create")


def csv_upload(content: bytes):
    return SimpleUploadedFile("list.csv", content, content_type="text/csv")


def section(html: str, element_id: str) -> str:
    """The text of the element with this id, up to its closing tag."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def emails_of(group) -> list[str]:
    return sorted(group.addresses.values_list("email", flat=True))


# The import preview ----------------------------------------------------------


def test_the_import_preview_lists_what_would_be_added_and_removed(
    editor_client, partner
):
    old = [f"old{i:03}@mail.example" for i in range(60)]
    group = known_user_group(partner=partner, emails=[*old, "kept@mail.example"])
    new = [f"new{i:03}@mail.example" for i in range(120)]
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    content = "email\n" + "\n".join(["kept@mail.example", *reversed(new)])
    response = editor_client.post(url, {"csv_file": csv_upload(content.encode())})
    html = response.content.decode()

    assert "This import adds 120, removes 60, keeps 1." in html
    added = section(html, "import-added")
    assert "120 addresses would be added" in added
    assert re.findall(r"new\d{3}@mail\.example", added) == sorted(new)[:50]
    assert "and 70 more" in added
    removed = section(html, "import-removed")
    assert "60 addresses would be removed" in removed
    assert re.findall(r"old\d{3}@mail\.example", removed) == old[:50]
    assert "and 10 more" in removed
    assert "kept@mail.example" not in added + removed
    # Nothing is saved before Confirm.
    assert emails_of(group) == sorted([*old, "kept@mail.example"])
    assert "Confirm import" in html


def test_a_preview_that_removes_nothing_says_so(editor_client, partner):
    group = known_user_group(partner=partner, emails=["a@mail.example"])
    url = reverse("engagement:known_user_group_import", args=[group.pk])
    response = editor_client.post(
        url, {"csv_file": csv_upload(b"a@mail.example\nb@mail.example\n")}
    )
    html = response.content.decode()
    assert "b@mail.example" in section(html, "import-added")
    assert "more" not in section(html, "import-added")
    removed = section(html, "import-removed")
    assert "0 addresses would be removed" in removed and "None." in removed


# Searching and paging a group's addresses --------------------------------------

MANY = [f"customer{i}@mail.example" for i in range(10_000)]


@pytest.fixture
def big_group(partner):
    return known_user_group(partner=partner, name="Everyone", emails=MANY)


def rows(html: str) -> list[str]:
    table = html[html.index('id="kug-addresses"') : html.index("</table>")]
    return re.findall(r'<td class="text-break">([^<]+)</td>', table)


def test_the_group_page_shows_fifty_addresses_a_page_and_the_count(
    editor_client, big_group
):
    url = big_group.get_absolute_url()
    html = editor_client.get(url).content.decode()
    assert "10,000 addresses." in html
    assert "Showing 1–50." in html and "Page 1 of 200" in html
    assert rows(html) == sorted(MANY)[:50]
    html = editor_client.get(url, {"page": 2}).content.decode()
    assert "Showing 51–100." in html
    assert rows(html) == sorted(MANY)[50:100]


def test_a_page_reads_one_page_of_addresses_not_all_of_them(editor_client, big_group):
    table = KnownUserGroupAddress._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(big_group.get_absolute_url(), {"page": 3})
    assert response.status_code == 200
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{table}"' in q["sql"] and "COUNT(" not in q["sql"].upper()
    ]
    assert reads and all("LIMIT 50" in sql for sql in reads), "\n".join(reads)


def test_search_finds_addresses_containing_the_text_in_any_case(
    editor_client, big_group
):
    url = big_group.get_absolute_url()
    html = editor_client.get(url, {"q": "  Customer123@ "}).content.decode()
    assert rows(html) == ["customer123@mail.example"]
    assert "1 address contains “Customer123@”." in html
    html = editor_client.get(url, {"q": "CUSTOMER123"}).content.decode()
    expected = sorted(
        ["customer123@mail.example"]
        + [f"customer123{d}@mail.example" for d in range(10)]
    )
    assert rows(html) == expected
    assert "11 addresses contain “CUSTOMER123”." in html
    assert 'value="customer123"' in html.lower()
    html = editor_client.get(url, {"q": "nobody"}).content.decode()
    assert "No address matches this search." in html


def test_search_pages_keep_the_search_and_the_status(editor_client, partner):
    group = beta_testers(partner)  # ann is a member, bob pending
    url = group.get_absolute_url()
    html = editor_client.get(url, {"q": "ann", "status": "pending"}).content.decode()
    assert "No address matches this search." in html
    html = editor_client.get(url, {"q": "mail", "status": "member"}).content.decode()
    assert rows(html) == ["ann@mail.example"]
    assert '<input type="hidden" name="status" value="member">' in html
    # Changing the status keeps the search.
    assert escape("?q=mail&status=pending") in html


def test_search_text_is_shown_escaped(editor_client, partner):
    group = beta_testers(partner)
    html = editor_client.get(
        group.get_absolute_url(), {"q": "<b>x</b>"}
    ).content.decode()
    assert "<b>x</b>" not in html
    assert escape("<b>x</b>") in html


# Errors are sentences ------------------------------------------------------------


def test_every_invalid_address_is_a_sentence_naming_its_position(editor_client):
    typed = " ".join(["ok@mail.example", *(f"bad{i}@" for i in range(55))])
    response = editor_client.post(CREATE, {"name": "Testers", "addresses": typed})
    html = response.content.decode()
    errors = re.findall(
        r'<p id="error_\d+_id_addresses"><strong>([^<]+)</strong>', html
    )
    assert errors[0] == "Address 2: “bad0@” is not a valid e-mail address."
    assert errors[49] == "Address 51: “bad49@” is not a valid e-mail address."
    assert errors[50] == "5 more invalid addresses are not listed here."
    assert len(errors) == 51
    assert all(error[0].isupper() or error[0].isdigit() for error in errors)
    assert all(error.endswith(".") for error in errors)


def test_a_bad_csv_row_is_a_sentence_naming_its_row(editor_client):
    response = editor_client.post(
        CREATE,
        {"name": "T", "csv_file": csv_upload(b"email\n\nok@mail.example\nnope\n")},
    )
    assert "Row 4: “nope” is not a valid e-mail address." in response.content.decode()


def test_a_very_long_invalid_value_is_cut_with_an_ellipsis(editor_client):
    response = editor_client.post(CREATE, {"name": "T", "addresses": "x" * 300})
    assert f"Address 1: “{'x' * 99}…” is not" in response.content.decode()


def test_counts_in_errors_follow_the_language(editor_client, settings):
    settings.KNOWN_USER_GROUP_MAX_EMAILS = 1_000
    typed = " ".join(f"u{i}@mail.example" for i in range(1_234))
    response = editor_client.post(CREATE, {"name": "T", "addresses": typed})
    assert "at most 1,000 addresses; this list has 1,234." in response.content.decode()
    response = editor_client.post(
        CREATE, {"name": "T", "addresses": typed}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "au plus 1\u202f000 adresses" in response.content.decode()
