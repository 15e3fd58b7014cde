"""Reads survive a stored definition that no longer validates.

A rule tightened after a segment was saved, or a row edited by support,
leaves a definition in the database that ``rules.definition_validate``
rejects. Every page that reads it, the support admin and the recompute must
still work: pages show the stored JSON with the validation messages, the
recompute marks the segment failed with them. The bad definitions are
written straight into the row, as support would.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from engagement import rules
from engagement.models import Segment, SegmentMembership, SegmentTemplate
from engagement.services import membership
from engagement.tasks.segments import segment_recompute_task
from tests.engagement import test_segment_views
from tests.factories import SPEND_OVER_10

pytestmark = pytest.mark.django_db

# The segment pages' fixtures: "Spenders" (store spend > 10), and the same
# computed with three members.
segment = test_segment_views.segment
computed = test_segment_views.computed

STORED = {
    "unsupported version": {"version": 99},
    "unknown attribute": {
        "version": 1,
        "any": [{"all": [{"attribute": "shoe_size", "operator": "is", "value": "42"}]}],
    },
    "value of the wrong type": {
        "version": 1,
        "any": [
            {"all": [{"attribute": "store_spend", "operator": "gt", "value": "ten"}]}
        ],
    },
}
bad_definitions = pytest.mark.parametrize(
    "stored", list(STORED.values()), ids=list(STORED)
)


def problems_of(definition: dict) -> list[str]:
    """The messages the validator gives for ``definition`` today."""
    with pytest.raises(ValidationError) as info:
        rules.definition_validate(definition)
    return info.value.messages


def page(client, url: str, **headers: str) -> str:
    """The HTML of ``url``, which must answer 200 (``HX_Target=…`` sends
    ``HX-Target``)."""
    response = client.get(
        url, headers={name.replace("_", "-"): v for name, v in headers.items()}
    )
    assert response.status_code == 200
    return response.content.decode()


def assert_names_problems(html: str, stored: dict) -> None:
    """The page shows every validation message of ``stored``."""
    for message in problems_of(stored):
        assert escape(message) in html


def assert_shows_stored_definition(html: str, stored: dict) -> None:
    """The page shows the stored JSON and every validation message."""
    assert escape(json.dumps(stored, indent=2, ensure_ascii=False)) in html
    assert_names_problems(html, stored)


def store(segment: Segment, definition: dict) -> dict:
    """Write ``definition`` into the row; return it as the database gives it
    back (PostgreSQL's jsonb orders keys its own way)."""
    Segment.objects.filter(pk=segment.pk).update(definition=definition)
    return Segment.objects.values_list("definition", flat=True).get(pk=segment.pk)


def recompute(segment: Segment) -> None:
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    segment_recompute_task.apply(args=(segment.pk, version, "save")).get()


# --------------------------------------------------------------------------
# Partner pages


@bad_definitions
def test_segment_page_shows_the_stored_definition_with_its_problems(
    editor_client, segment, stored
):
    stored = store(segment, stored)
    url = reverse("engagement:segment_detail", args=[segment.pk])
    assert_shows_stored_definition(page(editor_client, url), stored)


@bad_definitions
def test_segment_status_fragment_renders_a_stored_definition_that_fails(
    editor_client, segment, stored
):
    store(segment, stored)
    url = reverse("engagement:segment_detail", args=[segment.pk])
    html = page(editor_client, url, HX_Request="true", HX_Target="segment-live")
    assert html.lstrip().startswith('<div id="segment-live"')


@bad_definitions
def test_segment_row_renders_a_stored_definition_that_fails(
    editor_client, segment, stored
):
    store(segment, stored)
    url = reverse("engagement:segment_row", args=[segment.pk])
    assert "Spenders" in page(editor_client, url)


@bad_definitions
def test_groups_page_lists_a_segment_whose_definition_fails(
    editor_client, segment, stored
):
    store(segment, stored)
    url = reverse("engagement:customer_groups")
    assert "Spenders" in page(editor_client, url)
    table = page(editor_client, url, HX_Request="true", HX_Target="groups-table")
    assert "Spenders" in table


@bad_definitions
def test_groups_page_shows_a_segment_template_that_fails_with_its_problems(
    editor_client, stored
):
    broken = SegmentTemplate.objects.exclude(name="Big spenders")
    broken.update(definition=stored)
    stored = broken.values_list("definition", flat=True).first()
    html = page(editor_client, reverse("engagement:customer_groups"))
    assert_shows_stored_definition(html, stored)
    # A template that still validates reads as text.
    assert "Total Store spend (USD) &gt; $50.00" in html


@bad_definitions
def test_definition_export_downloads_the_stored_definition_as_it_is(
    editor_client, segment, stored
):
    store(segment, stored)
    response = editor_client.get(
        reverse("engagement:segment_definition_export", args=[segment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="spenders.json"'
    assert json.loads(response.content) == stored


@bad_definitions
def test_duplicate_opens_a_new_segment_and_says_why_the_definition_was_not_copied(
    editor_client, segment, stored
):
    store(segment, stored)
    url = reverse("engagement:segment_duplicate", args=[segment.pk])
    html = page(editor_client, url)
    assert "Copy of Spenders" in html
    assert_names_problems(html, stored)


def test_a_valid_definition_still_reads_as_text_and_exports_canonical(
    editor_client, segment
):
    html = editor_client.get(
        reverse("engagement:segment_detail", args=[segment.pk])
    ).content.decode()
    assert "Total Store spend (USD) &gt; $10.00" in html
    exported = editor_client.get(
        reverse("engagement:segment_definition_export", args=[segment.pk])
    )
    assert json.loads(exported.content) == SPEND_OVER_10


# --------------------------------------------------------------------------
# The recompute


@bad_definitions
def test_recompute_marks_the_segment_failed_with_the_validation_message(
    computed, stored, caplog
):
    members = set(
        SegmentMembership.objects.filter(segment=computed).values_list(
            "customer_id", flat=True
        )
    )
    store(computed, stored)
    with caplog.at_level(logging.INFO, logger="engagement"):
        recompute(computed)  # through the task: it must neither raise nor retry
    computed.refresh_from_db()
    expected = "\n".join(problems_of(stored))
    assert computed.status == Segment.Status.FAILED
    assert computed.last_error == expected
    run = computed.runs.order_by("-started_at").first()
    assert run.error == expected
    assert run.finished_at is not None
    # The previous members stay in force.
    assert computed.member_count == 3
    assert (
        set(
            SegmentMembership.objects.filter(segment=computed).values_list(
                "customer_id", flat=True
            )
        )
        == members
    )
    # Logged as a problem of the stored data, not as a crash with a traceback.
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split()[0] for r in failures] == [
        "segment_definition_invalid"
    ]
    assert all(r.exc_info is None for r in failures)


@bad_definitions
def test_staff_see_the_last_error_on_the_segment_page_partners_a_plain_message(
    client, editor, viewer, computed, stored
):
    store(computed, stored)
    recompute(computed)
    computed.refresh_from_db()
    url = reverse("engagement:segment_detail", args=[computed.pk])
    client.force_login(viewer)
    html = client.get(url).content.decode()
    assert "The last computation of this segment failed" in html
    assert "Last error" not in html
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    client.force_login(editor)
    html = client.get(url).content.decode()
    assert "Last error" in html
    assert escape(computed.last_error) in html


# --------------------------------------------------------------------------
# The support admin


@bad_definitions
def test_admin_segment_change_page_shows_the_stored_definition_with_its_problems(
    admin_client, segment, stored
):
    stored = store(segment, stored)
    url = reverse("admin:engagement_segment_change", args=[segment.pk])
    html = page(admin_client, url)
    assert_names_problems(html, stored)
    # The read-only definition field shows the JSON as stored.
    assert escape(json.dumps(stored)) in html


@bad_definitions
def test_admin_segment_list_shows_a_segment_whose_definition_fails(
    admin_client, segment, stored
):
    store(segment, stored)
    url = reverse("admin:engagement_segment_changelist")
    assert "Spenders" in page(admin_client, url)
