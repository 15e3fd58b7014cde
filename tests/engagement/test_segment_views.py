"""Segment pages: the groups table, the editor, the segment page, estimate."""

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagement.models import Segment
from engagement.services import membership
from engagement.services.segments import segment_create
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    AppFactory,
    CustomerFactory,
)

pytestmark = pytest.mark.django_db

GROUPS = reverse("engagement:customer_groups")
CREATE = reverse("engagement:segment_create")


def editor_post(app, rows, name="Big spenders", action="save", **extra):
    data = {
        "name": name,
        "app": app.pk,
        "action": action,
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"conditions-{i}-{key}"] = value
    data.update(extra)
    return data


def select_of(html: str, name: str) -> str:
    """The ``<select>`` element named ``name`` in ``html``."""
    start = html.index(f'<select name="{name}"')
    return html[start : html.index("</select>", start)]


def options_of(html: str, name: str) -> list[str]:
    """The values a select offers."""
    return re.findall(r'<option value="([^"]*)"', select_of(html, name))


def chosen_of(html: str, name: str) -> list[str]:
    """The values a select has selected."""
    return re.findall(r'<option value="([^"]*)" selected', select_of(html, name))


SPEND_ROW = {
    "block": 0,
    "category": "store_spend",
    "attribute": "store_spend",
    "operator": "gt",
    "value": "10",
}


@pytest.fixture
def segment(partner, app, editor):
    return segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )


@pytest.fixture
def computed(segment, app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30", "40"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    segment.refresh_from_db()
    return segment


def test_groups_page_lists_segments_with_app_size_and_status(editor_client, computed):
    html = editor_client.get(GROUPS).content.decode()
    assert "Spenders" in html
    assert "Contoso Racer" in html
    assert ">3<" in html.replace(" ", "").replace("\n", "")
    assert "Active" in html


def test_groups_page_shows_small_never_the_number_below_the_minimum(
    editor_client, computed, settings
):
    settings.SEGMENT_MIN_SIZE = 100
    html = editor_client.get(GROUPS).content.decode()
    assert "Small" in html
    assert ">3<" not in html.replace(" ", "").replace("\n", "")


def test_groups_page_filters_by_app_status_and_kind(editor_client, partner, editor):
    other_app = AppFactory(partner=partner, name="Contoso Chess")
    segment_create(
        partner=partner,
        app=other_app,
        name="Chess fans",
        definition=SPEND_OVER_10,
        user=editor,
    )
    html = editor_client.get(GROUPS, {"app": other_app.pk}).content.decode()
    assert "Chess fans" in html
    html = editor_client.get(GROUPS, {"status": "active"}).content.decode()
    assert "Chess fans" not in html
    assert "No customer group matches these filters" in html
    html = editor_client.get(GROUPS, {"kind": "segment"}).content.decode()
    assert "Chess fans" in html


def test_groups_table_alone_is_returned_to_htmx(editor_client, segment):
    response = editor_client.get(
        GROUPS,
        {"kind": "segment"},
        headers={"hx-request": "true", "hx-target": "groups-table"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="groups-table">')
    assert "Segment templates" not in html


def test_groups_page_offers_the_six_templates_with_copy(editor_client):
    html = editor_client.get(GROUPS).content.decode()
    for name in (
        "Big spenders",
        "Young adults",
        "At risk of churning",
        "Lapsed users",
        "Happy raters",
        "New customers",
    ):
        assert name in html
    assert f"{CREATE}?template=big-spenders" in html


def test_copying_a_template_opens_the_editor_prefilled(editor_client):
    html = editor_client.get(CREATE, {"template": "lapsed-users"}).content.decode()
    assert 'value="Lapsed users"' in html
    assert "Last used not in last 30 days" in html


def test_inactive_segments_section_lists_small_segments_with_refresh(
    editor_client, computed, settings
):
    settings.SEGMENT_MIN_SIZE = 10
    membership.segment_recompute(
        segment_id=computed.pk,
        version=membership.segment_request_recompute(
            segment=computed, trigger="save", enqueue=False
        ),
    )
    html = editor_client.get(GROUPS).content.decode()
    section = html[html.index('id="inactive-segments"') :]
    assert "Spenders" in section
    assert reverse("engagement:segment_refresh", args=[computed.pk]) in section


def test_create_asks_for_the_kind_of_group_first(editor_client):
    html = editor_client.get(reverse("engagement:group_create")).content.decode()
    assert "Create a segment" in html
    assert "Known user group" in html


def test_saving_a_valid_segment_redirects_to_its_page(editor_client, app, partner):
    response = editor_client.post(CREATE, editor_post(app, [SPEND_ROW]))
    segment = Segment.objects.get(partner=partner, name="Big spenders")
    assert response.status_code == 302
    assert response.url == segment.get_absolute_url()
    assert segment.definition == SPEND_OVER_10
    assert segment.pending_version == 1


def test_a_bad_row_keeps_everything_entered_and_shows_the_error_next_to_it(
    editor_client, app
):
    rows = [
        SPEND_ROW,
        {
            "block": 1,
            "category": "rating",
            "attribute": "rating",
            "operator": "eq",
            "value": "7",
        },
    ]
    response = editor_client.post(CREATE, editor_post(app, rows, name="Keep me"))
    html = response.content.decode()
    assert response.status_code == 400
    assert not Segment.objects.exists()
    assert 'value="Keep me"' in html
    assert 'value="7"' in html and 'value="10"' in html
    row = html[html.index('data-row="1"') :]
    assert "OR statement 2, filter 1: rating must be 1–5" in row


def test_a_missing_value_is_reported_on_its_row(editor_client, app):
    row = {**SPEND_ROW, "value": ""}
    html = editor_client.post(CREATE, editor_post(app, [row])).content.decode()
    assert "Enter a value." in html


def test_a_taken_name_is_reported_on_the_name_field(editor_client, app, segment):
    response = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], name="SPENDERS")
    )
    assert response.status_code == 400
    assert "already has a customer group with this name" in response.content.decode()


def test_another_partners_app_cannot_be_chosen(editor_client, other_app):
    response = editor_client.post(CREATE, editor_post(other_app, [SPEND_ROW]))
    assert response.status_code == 400
    assert not Segment.objects.exists()


def test_add_filter_and_or_statement_work_without_javascript(editor_client, app):
    html = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], action="add_filter:0")
    ).content.decode()
    assert 'name="conditions-TOTAL_FORMS" value="2"' in html
    html = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], action="add_block")
    ).content.decode()
    assert "OR statement 2" in html
    assert 'value="10"' in html  # what was typed stays


def test_removing_a_filter_and_a_block(editor_client, app):
    rows = [SPEND_ROW, {**SPEND_ROW, "block": 1, "value": "99"}]
    html = editor_client.post(
        CREATE, editor_post(app, rows, action="remove_block:0")
    ).content.decode()
    assert 'name="conditions-TOTAL_FORMS" value="1"' in html
    assert 'value="99"' in html and 'value="10"' not in html
    html = editor_client.post(
        CREATE, editor_post(app, rows, action="remove_filter:1")
    ).content.decode()
    assert 'value="99"' not in html and 'value="10"' in html


def test_changing_the_category_offers_only_its_attributes_and_operators(
    editor_client, app
):
    row = {**SPEND_ROW, "category": "demographic"}
    response = editor_client.post(
        CREATE,
        editor_post(app, [row], action="refresh"),
        headers={"hx-request": "true", "hx-target": "segment-conditions"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="segment-conditions"')
    attribute = select_of(html, "conditions-0-attribute")
    assert '<option value="" selected>Choose…</option>' in attribute
    assert '<option value="gender">' in attribute
    assert 'value="app_spend"' not in attribute
    # The spend attribute left behind leaves the operator to choose, too.
    assert options_of(html, "conditions-0-operator") == [""]
    assert "conditions-updated" in response.headers["HX-Trigger"]


def test_the_definition_text_follows_the_rows(editor_client, app):
    rows = [
        {
            "block": 0,
            "category": "demographic",
            "attribute": "age_group",
            "operator": "is",
            "value": "18-24",
        },
        {
            "block": 0,
            "category": "demographic",
            "attribute": "gender",
            "operator": "is",
            "value": "male",
        },
        {**SPEND_ROW, "block": 1},
    ]
    html = editor_client.post(
        CREATE, editor_post(app, rows, action="refresh")
    ).content.decode()
    assert (
        "(Age group == 18 to 24 &amp;&amp; Gender == Male) || "
        "(Total Store spend (USD) &gt; $10.00)"
    ) in html


def test_estimate_counts_with_the_compiler_and_respects_small(
    editor_client, app, settings
):
    settings.SEGMENT_MIN_SIZE = 2
    for spend in ("20", "30", "5"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    url = reverse("engagement:segment_estimate")
    html = editor_client.post(url, editor_post(app, [SPEND_ROW])).content.decode()
    assert 'id="estimate-members">2<' in html
    assert "Available app customers: 3" in html
    settings.SEGMENT_MIN_SIZE = 3
    html = editor_client.post(url, editor_post(app, [SPEND_ROW])).content.decode()
    assert 'id="estimate-members">Small<' in html


def test_estimate_of_incomplete_conditions_says_so(editor_client, app):
    url = reverse("engagement:segment_estimate")
    html = editor_client.post(
        url, editor_post(app, [{**SPEND_ROW, "value": ""}])
    ).content.decode()
    assert "complete the conditions" in html


def test_estimate_never_counts_another_partners_app(editor_client, other_app):
    url = reverse("engagement:segment_estimate")
    response = editor_client.post(url, editor_post(other_app, [SPEND_ROW]))
    assert response.status_code == 400
    assert "estimate-members" not in response.content.decode()


def test_editing_prefills_and_a_changed_definition_asks_for_a_recompute(
    editor_client, segment, app
):
    url = reverse("engagement:segment_edit", args=[segment.pk])
    html = editor_client.get(url).content.decode()
    assert 'value="Spenders"' in html and 'value="10"' in html
    response = editor_client.post(
        url, editor_post(app, [{**SPEND_ROW, "value": "25"}], name="Spenders")
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.definition["any"][0]["all"][0]["value"] == 25
    assert segment.pending_version == 2


def test_renaming_alone_does_not_recompute(editor_client, segment, app):
    url = reverse("engagement:segment_edit", args=[segment.pk])
    editor_client.post(url, editor_post(app, [SPEND_ROW], name="Renamed"))
    segment.refresh_from_db()
    assert segment.name == "Renamed"
    assert segment.pending_version == 1


def test_duplicate_opens_a_prefilled_copy_saved_only_on_save(editor_client, segment):
    html = editor_client.get(
        reverse("engagement:segment_duplicate", args=[segment.pk])
    ).content.decode()
    assert 'value="Copy of Spenders"' in html
    assert Segment.objects.count() == 1


def test_segment_page_shows_definition_statistics_history_and_runs(
    editor_client, computed
):
    html = editor_client.get(computed.get_absolute_url()).content.decode()
    assert "Total Store spend (USD) &gt; $10.00" in html
    assert 'id="stat-eligible">3<' in html
    assert "Customers in this segment" in html
    assert "<svg" in html and "<polyline" in html
    assert 'id="segment-runs"' in html


def test_segment_page_polls_while_a_recompute_is_pending(editor_client, segment):
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Computing" in html


def test_row_endpoint_renders_one_polling_row(editor_client, segment):
    response = editor_client.get(reverse("engagement:segment_row", args=[segment.pk]))
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="segment-row-{segment.pk}"')
    assert "every 2s" in html


def test_refresh_is_throttled_with_a_message(editor_client, segment):
    url = reverse("engagement:segment_refresh", args=[segment.pk])
    editor_client.post(url)
    response = editor_client.post(url, follow=True)
    assert "You can refresh it again at" in response.content.decode()


def test_delete_asks_for_confirmation_then_deletes(editor_client, segment):
    url = reverse("engagement:segment_delete", args=[segment.pk])
    assert "cannot be undone" in editor_client.get(url).content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()
    response = editor_client.post(url)
    assert response.status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_export_definition_downloads_the_json(editor_client, segment):
    response = editor_client.get(
        reverse("engagement:segment_definition_export", args=[segment.pk])
    )
    assert response["Content-Disposition"] == 'attachment; filename="spenders.json"'
    assert json.loads(response.content) == SPEND_OVER_10


def test_import_definition_replaces_the_rows(editor_client, app):
    upload = SimpleUploadedFile(
        "young.json",
        json.dumps(
            {
                "version": 1,
                "any": [
                    {
                        "all": [
                            {
                                "attribute": "age_group",
                                "operator": "in",
                                "value": ["18-24", "25-34"],
                            }
                        ]
                    }
                ],
            }
        ).encode(),
    )
    html = editor_client.post(
        CREATE,
        {**editor_post(app, [SPEND_ROW], action="import"), "definition_file": upload},
    ).content.decode()
    assert "Definition imported" in html
    assert "Age group in [18 to 24, 25 to 34]" in html


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"\x00\x01binary", "not valid JSON"),
        (
            b'{"version": 1, "any": [{"all": [{"attribute": "rating", "operator": "eq", "value": 9}]}]}',
            "rating must be 1–5",
        ),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_a_bad_definition_file_gets_a_clear_error_and_keeps_the_rows(
    editor_client, app, content, problem
):
    upload = SimpleUploadedFile("bad.json", content)
    html = editor_client.post(
        CREATE,
        {**editor_post(app, [SPEND_ROW], action="import"), "definition_file": upload},
    ).content.decode()
    assert "could not be imported" in html and problem in html
    assert 'value="10"' in html


def test_viewers_get_403_on_the_editor_and_cannot_post(viewer_client, segment, app):
    url = reverse("engagement:segment_edit", args=[segment.pk])
    assert viewer_client.get(url).status_code == 403  # not even read-only
    assert viewer_client.post(url, editor_post(app, [SPEND_ROW])).status_code == 403
    assert viewer_client.get(CREATE).status_code == 403
    assert viewer_client.post(CREATE, editor_post(app, [SPEND_ROW])).status_code == 403
    delete = reverse("engagement:segment_delete", args=[segment.pk])
    assert viewer_client.post(delete).status_code == 403
    refresh = reverse("engagement:segment_refresh", args=[segment.pk])
    assert viewer_client.post(refresh).status_code == 403
    page = viewer_client.get(segment.get_absolute_url()).content.decode()
    assert (
        "Delete" not in page
        and "Create new group" not in viewer_client.get(GROUPS).content.decode()
    )


@pytest.mark.parametrize(
    "name",
    [
        "segment_detail",
        "segment_edit",
        "segment_delete",
        "segment_row",
        "segment_definition_export",
        "segment_duplicate",
    ],
)
def test_another_partners_segment_is_404(
    client, other_partner, other_app, segment, name
):
    from tests.factories import PartnerMembershipFactory

    outsider = PartnerMembershipFactory(partner=other_partner).user
    client.force_login(outsider)
    assert (
        client.get(reverse(f"engagement:{name}", args=[segment.pk])).status_code == 404
    )
    assert segment.name not in client.get(GROUPS).content.decode()


def test_an_estimate_reads_the_app_customers_once(editor_client, app):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import AppCustomer

    AppCustomerFactory(app=app, customer=CustomerFactory(store_spend=Decimal("20")))
    url = reverse("engagement:segment_estimate")
    table = AppCustomer._meta.db_table
    for _available_count_uncached_then_cached in range(2):
        with CaptureQueriesContext(connection) as queries:
            html = editor_client.post(url, editor_post(app, [SPEND_ROW])).content
        assert b"Available app customers: 1" in html
        # One statement, so the web statement timeout bounds the estimate.
        assert sum(table in query["sql"] for query in queries) == 1


# The segment page's live region (issue 11, point 3).

LIVE = {"hx-request": "true", "hx-target": "segment-live"}


def live_region(html: str) -> str:
    start = html.index('<div id="segment-live"')
    return html[start:]


def test_the_live_region_holds_statistics_status_chart_and_runs(
    editor_client, computed
):
    membership.segment_request_recompute(
        segment=computed, trigger="save", enqueue=False
    )
    response = editor_client.get(computed.get_absolute_url(), headers=LIVE)
    html = response.content.decode()
    # The poll gets the whole region back, and nothing else of the page.
    assert html.lstrip().startswith('<div id="segment-live"')
    assert "segment-definition" not in html
    for part in ('id="stat-members"', 'id="stat-status"', "<svg", 'id="segment-runs"'):
        assert part in html, part
    assert 'hx-trigger="every 2s"' in html
    assert "Updating" in html

    # The computation ends: the next poll brings all four parts at once, and
    # polling stops.
    membership.segment_recompute(
        segment_id=computed.pk, version=computed.pending_version
    )
    html = editor_client.get(computed.get_absolute_url(), headers=LIVE).content.decode()
    assert re.search(r'id="stat-members">\s*3\s*<', html) and "Active" in html
    assert len(re.findall(r"<circle ", html)) == 2
    assert html.count('text-bg-success">Done') == 2
    assert "every 2s" not in html and "Updating" not in html


def test_the_whole_page_polls_one_region_only(editor_client, segment):
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert html.count("hx-trigger") == 1
    region = live_region(html)
    assert 'hx-trigger="every 2s"' in region[: region.index(">")]
    for part in ('id="stat-status"', "The chart appears", "not been computed yet"):
        assert part in region


def test_a_poll_that_would_show_the_same_swaps_nothing(editor_client, segment):
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    state = re.search(r'data-state="([^"]+)"', html).group(1)
    url = segment.get_absolute_url()
    assert editor_client.get(url, {"state": state}, headers=LIVE).status_code == 204
    assert editor_client.get(url, {"state": "x"}, headers=LIVE).status_code == 200


def test_a_failed_segment_stops_polling_until_a_new_computation_is_asked(
    editor_client, segment
):
    from engagement.models import SegmentRun

    SegmentRun.objects.create(
        segment=segment,
        version=segment.pending_version,
        started_at=segment.created_at,
        finished_at=segment.created_at,
        error="boom",
    )
    Segment.objects.filter(pk=segment.pk).update(status=Segment.Status.FAILED)
    segment.refresh_from_db()
    assert segment.recompute_pending  # the failed version was never applied
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert "every 2s" not in html
    assert "Updating" not in html and "Failed" in html
    row = editor_client.get(
        reverse("engagement:segment_row", args=[segment.pk])
    ).content.decode()
    assert "every 2s" not in row

    membership.segment_request_recompute(
        segment=segment, trigger="refresh", enqueue=False
    )
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in html


def _classes(html: str, pattern: str) -> set[str]:
    return set(re.search(pattern, html).group(1).split())


def test_refresh_looks_like_its_neighbours(editor_client, segment):
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    refresh = _classes(html, r'<button type="submit" class="([^"]+)"[^>]*>Refresh<')
    duplicate = _classes(html, r'<a class="([^"]+)" href="[^"]+/duplicate/">')
    assert refresh == duplicate


def test_after_refresh_the_button_is_disabled_until_the_time_in_the_partners_zone(
    editor_client, segment, partner
):
    import datetime as dt

    from django.utils import timezone

    partner.time_zone = "Europe/Paris"
    partner.save()
    refreshed_at = timezone.now()
    Segment.objects.filter(pk=segment.pk).update(refresh_requested_at=refreshed_at)
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    available = (refreshed_at + dt.timedelta(minutes=5)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    zone = available.strftime("%Z")
    assert zone in ("CET", "CEST")
    assert f"Available at {available:%H:%M} {zone}" in html
    button = re.search(r"<button[^>]*>Refresh</button>", html).group(0)
    assert "disabled" in button

    # Ten minutes later Refresh may be pressed again.
    Segment.objects.filter(pk=segment.pk).update(
        refresh_requested_at=refreshed_at - dt.timedelta(minutes=10)
    )
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    assert "Available at" not in html
    assert re.search(r'<button type="submit"[^>]*>Refresh</button>', html)


def test_times_on_the_segment_page_are_in_the_partners_zone(
    editor_client, computed, partner
):
    partner.time_zone = "Asia/Tokyo"
    partner.save()
    html = editor_client.get(computed.get_absolute_url()).content.decode()
    assert re.search(r"Last computed [^<]+ JST<", html)
    assert "When (Asia/Tokyo)" in html


def test_a_refresh_too_soon_names_the_time_and_its_zone(
    editor_client, segment, partner
):
    partner.time_zone = "America/New_York"
    partner.save()
    url = reverse("engagement:segment_refresh", args=[segment.pk])
    editor_client.post(url)
    html = editor_client.post(url, follow=True).content.decode()
    assert re.search(r"You can refresh it again at \d\d:\d\d E[SD]T", html)


def test_support_sets_a_partners_time_zone_in_the_admin(support_client, partner):
    url = reverse("admin:customers_partner_change", args=[partner.pk])
    html = support_client.get(url).content.decode()
    assert 'name="time_zone"' in html and '<option value="Europe/Paris"' in html
