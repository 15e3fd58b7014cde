"""The customer groups page: search, sort, pages, relative times, and Refresh
from the list of inactive segments (issue 11, point 5)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.models import Segment
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10, known_user_group

pytestmark = pytest.mark.django_db

GROUPS = reverse("engagement:customer_groups")


def names(html: str) -> list[str]:
    """The group names of the table, in order."""
    table = html[html.index('<div id="groups-table">') :]
    return re.findall(
        r'class="group-row".*?<td><a href="[^"]+">([^<]+)</a>', table, re.S
    )


def make_segment(partner, app, editor, name, **state):
    segment = segment_create(
        partner=partner, app=app, name=name, definition=SPEND_OVER_10, user=editor
    )
    if state:
        Segment.objects.filter(pk=segment.pk).update(**state)
        segment.refresh_from_db()
    return segment


@pytest.fixture
def groups(partner, app, editor, settings):
    settings.SEGMENT_MIN_SIZE = 100
    now = timezone.now()

    def computed(days_ago, members, status=Segment.Status.ACTIVE):
        return {
            "member_count": members,
            "status": status,
            "computed_at": now - dt.timedelta(days=days_ago),
            "version": 1,
        }

    make_segment(partner, app, editor, "Alpha", **computed(2, 500))
    make_segment(partner, app, editor, "Bravo", **computed(3, 200))
    make_segment(
        partner, app, editor, "Charlie", **computed(1, 40, Segment.Status.INACTIVE)
    )
    make_segment(partner, app, editor, "Delta")  # never computed
    known_user_group(partner=partner, name="Echo", emails=["e@mail.example"])
    make_segment(
        partner, app, editor, "Foxtrot", **computed(4, 10, Segment.Status.INACTIVE)
    )


def test_search_by_name_ignores_case(editor_client, groups):
    html = editor_client.get(GROUPS, {"q": "ALP"}).content.decode()
    assert names(html) == ["Alpha"]
    assert names(editor_client.get(GROUPS, {"q": "ech"}).content.decode()) == ["Echo"]
    html = editor_client.get(GROUPS, {"q": "zulu"}).content.decode()
    assert names(html) == [] and "No customer group matches" in html


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]),
        ("-name", ["Foxtrot", "Echo", "Delta", "Charlie", "Bravo", "Alpha"]),
        # Small segments sort as one size, by name, never by their hidden
        # count (Foxtrot has 10, Charlie 40); a group with no size comes last.
        ("size", ["Charlie", "Echo", "Foxtrot", "Bravo", "Alpha", "Delta"]),
        ("-size", ["Alpha", "Bravo", "Charlie", "Echo", "Foxtrot", "Delta"]),
        ("computed", ["Foxtrot", "Bravo", "Alpha", "Charlie", "Delta", "Echo"]),
        ("-computed", ["Charlie", "Alpha", "Bravo", "Foxtrot", "Delta", "Echo"]),
    ],
)
def test_each_sort(editor_client, groups, sort, expected):
    html = editor_client.get(GROUPS, {"sort": sort}).content.decode()
    assert names(html) == expected


def test_the_sort_is_offered_with_the_search(editor_client, groups):
    html = editor_client.get(GROUPS).content.decode()
    assert 'type="search" name="q"' in html
    sort = html[html.index('<select name="sort"') :]
    sort = sort[: sort.index("</select>")]
    assert re.findall(r'<option value="([^"]*)"', sort) == [
        "name",
        "-name",
        "size",
        "-size",
        "computed",
        "-computed",
    ]


def test_25_groups_a_page_with_the_count_and_page_links(
    editor_client, partner, app, editor
):
    for number in range(26):
        make_segment(partner, app, editor, f"Segment {number:02}")
    html = editor_client.get(GROUPS).content.decode()
    assert "26 groups" in html
    assert len(names(html)) == 25
    assert 'href="?page=2"' in html
    page_two = editor_client.get(GROUPS, {"page": 2}).content.decode()
    assert names(page_two) == ["Segment 25"]
    assert (
        '<li class="page-item active" aria-current="page"><span class="page-link">2'
        in page_two
    )
    one = editor_client.get(GROUPS, {"q": "Segment 07"}).content.decode()
    assert "1 group" in one and "1 groups" not in one


def test_relative_times_say_just_now_never_zero_minutes(
    editor_client, partner, app, editor
):
    make_segment(
        partner,
        app,
        editor,
        "Fresh",
        computed_at=timezone.now(),
        version=1,
        status=Segment.Status.ACTIVE,
        member_count=500,
    )
    make_segment(
        partner,
        app,
        editor,
        "Older",
        version=1,
        member_count=500,
        status=Segment.Status.ACTIVE,
        computed_at=timezone.now() - dt.timedelta(hours=3, minutes=5),
    )
    known_user_group(partner=partner, name="Testers", emails=["t@mail.example"])
    html = editor_client.get(GROUPS).content.decode()
    assert "0 minutes" not in html
    assert re.search(r">\s*just now\s*</time>", html)
    assert re.search(
        r">3\shours ago</time>", html
    )  # timesince joins with a no-break space
    row = html[html.index('data-kind="known_user_group"') :]
    row = row[: row.index("</tr>")]
    # The known user group's time sits in the "Last updated" column, labelled.
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert "updated just now" in cells[6]
    assert "updated" not in cells[5]
    assert "Last updated" in html


def test_secondary_columns_hide_on_small_screens(editor_client, groups):
    html = editor_client.get(GROUPS).content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    hidden = re.findall(r'<th scope="col" class="d-none[^"]*">([^<]+)</th>', head)
    shown = re.findall(r'<th scope="col">([^<]+)</th>', head)
    assert shown == ["Name", "Size", "Status"]
    assert set(hidden) == {"Kind", "App", "Last computed", "Last updated"}


@pytest.fixture
def small(partner, app, editor, settings):
    settings.SEGMENT_MIN_SIZE = 100
    return make_segment(
        partner,
        app,
        editor,
        "Tiny",
        member_count=5,
        version=1,
        status=Segment.Status.INACTIVE,
        computed_at=timezone.now(),
    )


def test_refresh_from_the_list_answers_htmx_with_the_row_and_the_message(
    editor_client, small
):
    url = reverse("engagement:segment_refresh", args=[small.pk])
    target = f"inactive-segment-{small.pk}"
    response = editor_client.post(
        url, {"next": GROUPS}, headers={"hx-request": "true", "hx-target": target}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="list-group-item')
    assert f'id="{target}"' in html
    assert re.search(r"<button[^>]*disabled[^>]*>Refresh</button>", html)
    assert "Available at" in html
    message = html[html.index('id="groups-message"') :]
    assert 'hx-swap-oob="innerHTML"' in message
    assert "A new computation of “Tiny” is queued" in message
    assert f"segment-refreshed-{small.pk}" in response.headers["HX-Trigger"]
    # The message was shown on the list: it does not wait for the next page.
    assert "is queued" not in editor_client.get(GROUPS).content.decode()

    again = editor_client.post(
        url, {"next": GROUPS}, headers={"hx-request": "true", "hx-target": target}
    ).content.decode()
    assert "You can refresh it again at" in again


def test_refresh_from_the_list_without_javascript_comes_back_to_the_list(
    editor_client, small
):
    html = editor_client.get(GROUPS).content.decode()
    item = html[html.index(f'id="inactive-segment-{small.pk}"') :]
    assert f'<input type="hidden" name="next" value="{GROUPS}">' in item[:2000]
    response = editor_client.post(
        reverse("engagement:segment_refresh", args=[small.pk]), {"next": GROUPS}
    )
    assert response.status_code == 302 and response.url == GROUPS


def test_a_listed_row_reloads_when_its_segment_is_refreshed(editor_client, small):
    html = editor_client.get(GROUPS).content.decode()
    row = html[html.index(f'id="segment-row-{small.pk}"') :]
    row = row[: row.index(">")]
    assert f'hx-trigger="segment-refreshed-{small.pk} from:body"' in row
