"""The segment editor tells the truth as you type (issue 11, point 2).

What the estimate counts and says, the change against a segment's members,
the error summary of a failed Save, the names proposed for copies and the
messages of a definition import.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagement.models import Segment
from engagement.services import membership
from engagement.services.known_user_groups import known_user_group_create
from engagement.services.segments import segment_create
from tests.engagement.test_segment_views import CREATE, SPEND_ROW, editor_post
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    CustomerFactory,
    PartnerMembershipFactory,
)

pytestmark = pytest.mark.django_db

ESTIMATE = reverse("engagement:segment_estimate")
TEXT = re.compile(r'<code class="segment-definition">(.*?)</code>', re.DOTALL)
MEMBERS = re.compile(r'id="estimate-members">([^<]*)<')
YOUNG_ROW = {
    "category": "demographic",
    "attribute": "age_group",
    "operator": "is",
    "value": "18-24",
}
INCOMPLETE_ROW = {"category": "demographic"}


@pytest.fixture
def customers(app, settings):
    """Big spenders of $20 and $30, and two young customers who spent nothing."""
    settings.SEGMENT_MIN_SIZE = 1
    today = dt.date.today()
    young = today.replace(year=today.year - 20, month=1, day=1)
    for spend in ("20", "30"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    for _ in range(2):
        AppCustomerFactory(app=app, customer=CustomerFactory(birth_date=young))


def rows(*blocks: list[dict]) -> list[dict]:
    """Editor rows of these OR statements, in order."""
    return [{**row, "block": b} for b, block in enumerate(blocks) for row in block]


def estimate(client, app, *blocks, **extra) -> tuple[str, str, str]:
    """The count, the definition text and the whole answer of the estimate."""
    html = client.post(ESTIMATE, editor_post(app, rows(*blocks), **extra)).content
    html = html.decode()
    members = MEMBERS.search(html)
    text = TEXT.search(html)
    return (
        members.group(1) if members else "",
        text.group(1).replace("&amp;", "&").replace("&gt;", ">") if text else "",
        html,
    )


# The estimate counts the complete OR statements, and names the others -------


def test_a_complete_or_statement_counts_while_another_is_incomplete(
    editor_client, app, customers
):
    members, text, html = estimate(editor_client, app, [SPEND_ROW], [INCOMPLETE_ROW])
    assert members == "2"
    assert text == "Total Store spend (USD) > $10.00"
    assert "— OR statement 2 is incomplete and not counted" in html
    # The definition text beside it says the same.
    assert "(OR statement 2 is incomplete and not counted)" in html


def test_an_or_statement_with_an_incomplete_filter_is_left_out_whole(
    editor_client, app, customers
):
    """Counting the spend filter alone would count customers the statement,
    once its second filter is complete, leaves out: the text would show
    fewer filters than the partner sees in the statement."""
    members, text, html = estimate(
        editor_client, app, [SPEND_ROW, INCOMPLETE_ROW], [YOUNG_ROW]
    )
    assert text == "Age group == 18 to 24"
    assert members == "2"  # the young customers, not the spenders
    assert "OR statement 1 is incomplete and not counted" in html


def test_several_or_statements_left_out_are_named_together(
    editor_client, app, customers
):
    _members, _text, html = estimate(
        editor_client,
        app,
        [SPEND_ROW],
        [INCOMPLETE_ROW],
        [{**SPEND_ROW, "value": ""}],
    )
    assert "OR statements 2 and 3 are incomplete and not counted" in html


def test_nothing_complete_asks_for_the_conditions(editor_client, app, customers):
    members, text, html = estimate(editor_client, app, [INCOMPLETE_ROW])
    assert (members, text) == ("", "")
    assert "complete the conditions to see an estimate" in html


def test_the_editor_names_the_left_out_statement_beside_its_text(
    editor_client, app, customers
):
    html = editor_client.post(
        CREATE, editor_post(app, rows([SPEND_ROW], [INCOMPLETE_ROW]), action="refresh")
    ).content.decode()
    assert "(OR statement 2 is incomplete and not counted)" in html


# The change against the current members ---------------------------------------


@pytest.fixture
def spenders(partner, app, editor, customers):
    """A computed segment whose members are the two big spenders."""
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    segment.refresh_from_db()
    assert segment.member_count == 2
    return segment


def change_of(html: str) -> str:
    found = re.search(r'id="estimate-change">(.*?)<span class="small', html, re.S)
    if not found:
        return ""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1)))
    return text.replace(" ,", ",").strip()


def test_editing_shows_who_would_join_and_leave(editor_client, app, spenders):
    # Spend over $25, or young: the $20 spender leaves, the young two join.
    members, _text, html = estimate(
        editor_client,
        app,
        [{**SPEND_ROW, "value": "25"}],
        [YOUNG_ROW],
        segment=spenders.pk,
    )
    assert members == "3"
    assert change_of(html) == "+2 would join, −1 would leave"


def test_the_change_follows_the_small_rule(editor_client, app, spenders, settings):
    settings.SEGMENT_MIN_SIZE = 2
    _m, _t, html = estimate(
        editor_client, app, [{**SPEND_ROW, "value": "25"}], segment=spenders.pk
    )
    # One would leave: below the minimum size, never the exact number.
    assert change_of(html) == "+0 would join, fewer than 2 would leave"


def test_the_change_is_counted_in_one_statement_over_the_app_customers(
    editor_client, app, spenders
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import AppCustomer

    with CaptureQueriesContext(connection) as queries:
        estimate(editor_client, app, [SPEND_ROW], segment=spenders.pk)
    table = AppCustomer._meta.db_table
    assert sum(table in query["sql"] for query in queries) == 1


@pytest.mark.parametrize("posted", ["", "abc", "-1", "99999999999999999999"])
def test_no_change_without_a_segment_of_the_partner(
    editor_client, app, spenders, posted
):
    members, _text, html = estimate(editor_client, app, [SPEND_ROW], segment=posted)
    assert members == "2"
    assert 'id="estimate-change"' not in html


def test_another_partners_segment_shows_no_change(
    client, other_partner, other_app, spenders, customers
):
    outsider = PartnerMembershipFactory(partner=other_partner).user
    client.force_login(outsider)
    AppCustomerFactory(app=other_app, customer=CustomerFactory())
    _members, _text, html = estimate(
        client, other_app, [SPEND_ROW], segment=spenders.pk
    )
    assert "estimate-members" in html
    assert 'id="estimate-change"' not in html and "would leave" not in html


def test_a_segment_never_computed_shows_no_change(editor_client, app, partner, editor):
    segment = segment_create(
        partner=partner, app=app, name="New", definition=SPEND_OVER_10, user=editor
    )
    _m, _t, html = estimate(editor_client, app, [SPEND_ROW], segment=segment.pk)
    assert 'id="estimate-change"' not in html


def test_the_edit_page_posts_its_segment_with_the_estimate(editor_client, spenders):
    html = editor_client.get(
        reverse("engagement:segment_edit", args=[spenders.pk])
    ).content.decode()
    assert f'<input type="hidden" name="segment" value="{spenders.pk}">' in html
    assert 'id="segment-estimate" class="border rounded p-3" aria-live="polite"' in html
    assert 'id="definition-text" aria-live="polite"' in html


# A failed Save: the error summary, and each error next to its input ----------

BETWEEN_ROW = {
    "block": 0,
    "category": "store_spend",
    "attribute": "store_spend",
    "operator": "between",
    "value": "5",
    "value_to": "",
}


@pytest.mark.parametrize("htmx", [False, True], ids=["full post", "htmx"])
def test_a_failed_save_shows_an_error_summary_linking_each_field(
    editor_client, app, htmx
):
    headers = {"HX-Request": "true"} if htmx else {}
    response = editor_client.post(
        CREATE, editor_post(app, [BETWEEN_ROW], name=""), headers=headers
    )
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[
        html.index('id="error-summary"') : html.index(
            "</ul>", html.index('id="error-summary"')
        )
    ]
    assert 'role="alert" tabindex="-1"' in summary
    assert 'href="#id_name"' in summary
    assert 'href="#id_conditions-0-value_to"' in summary
    assert "OR statement 1, filter 1, upper value: Enter a value." in summary
    # The upper bound's error sits right after its own input, which names it.
    value_to = html.index('id="id_conditions-0-value_to"')
    error = html.index('id="id_conditions-0-value_to_error"')
    assert value_to < error
    assert 'aria-describedby="id_conditions-0-value_to_error"' in html
    if htmx:
        assert response["HX-Retarget"] == "#segment-fields"
        assert response["HX-Reselect"] == "#segment-fields"
        assert response["HX-Reswap"] == "outerHTML"


def test_a_rule_error_sits_next_to_the_value(editor_client, app):
    row = {**SPEND_ROW, "category": "rating", "attribute": "rating", "operator": "eq"}
    html = editor_client.post(
        CREATE, editor_post(app, [{**row, "value": "9"}])
    ).content.decode()
    assert 'href="#id_conditions-0-value"' in html
    value = html.index('id="id_conditions-0-value"')
    error = html.index('id="id_conditions-0-value_error"')
    assert value < error and "rating must be 1–5" in html[error : error + 300]


def test_enter_in_a_field_saves(editor_client, app):
    """The form's default button (its first submit button) is Save, not the
    first row's remove button."""
    html = editor_client.get(CREATE).content.decode()
    form = html[html.index('id="segment-form"') :]
    first = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'value="save"' in first


# Structural actions say where the focus goes ----------------------------------


def autofocused(html: str) -> list[str]:
    return re.findall(r'<select name="([^"]+)"[^>]* autofocus', html)


@pytest.mark.parametrize(
    "blocks, action, focused",
    [
        ([[SPEND_ROW]], "add_filter:0", "conditions-1-category"),
        ([[SPEND_ROW], [SPEND_ROW]], "add_block", "conditions-2-category"),
        (
            [[SPEND_ROW, SPEND_ROW, SPEND_ROW]],
            "remove_filter:2",
            "conditions-1-category",
        ),
        ([[SPEND_ROW, SPEND_ROW]], "remove_filter:0", "conditions-0-category"),
        (
            [[SPEND_ROW, SPEND_ROW], [SPEND_ROW]],
            "remove_block:1",
            "conditions-1-category",
        ),
        ([[SPEND_ROW], [SPEND_ROW]], "remove_block:0", "conditions-0-category"),
    ],
)
def test_structural_actions_focus_the_first_field_of_a_row(
    editor_client, app, blocks, action, focused
):
    html = editor_client.post(
        CREATE,
        editor_post(app, rows(*blocks), action=action),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert autofocused(html) == [focused]


def test_choosing_a_value_focuses_nothing(editor_client, app):
    html = editor_client.post(
        CREATE,
        editor_post(app, [SPEND_ROW], action="refresh_row:0"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert autofocused(html) == []


# "is any of": checkboxes ------------------------------------------------------


def test_is_any_of_is_a_list_of_checkboxes_with_the_chosen_values(editor_client, app):
    row = {
        "block": 0,
        "category": "demographic",
        "attribute": "market",
        "operator": "in",
        "value_for": "market:list",
    }
    data = editor_post(app, [row], action="refresh")
    data["conditions-0-value"] = ["FR", "CA"]
    html = editor_client.post(CREATE, data).content.decode()
    assert '<select name="conditions-0-value"' not in html
    assert re.findall(
        r'type="checkbox" name="conditions-0-value" value="(FR|CA)" id="[^"]+" checked',
        html,
    ) == ["CA", "FR"]
    assert "Chosen: Canada, France" in html
    # 249 markets: a box filters them.
    assert 'class="form-control form-control-sm mb-1 condition-choices-filter"' in html
    assert "Market in [Canada, France]" in html or "Market in [France, Canada]" in html


# Copies propose a free name ---------------------------------------------------


def test_copying_a_template_proposes_a_free_name(editor_client, partner, app, editor):
    url = f"{CREATE}?template=big-spenders"
    page = editor_client.get(url).content.decode()
    assert 'value="Big spenders"' in page
    segment_create(
        partner=partner,
        app=app,
        name="big SPENDERS",
        definition=SPEND_OVER_10,
        user=editor,
    )
    assert 'value="Big spenders (2)"' in editor_client.get(url).content.decode()
    known_user_group_create(
        partner=partner,
        name="Big spenders (2)",
        addresses=["a@example.com"],
        user=editor,
    )
    page = editor_client.get(url).content.decode()
    assert 'value="Big spenders (3)"' in page

    from tests.engagement.test_segment_editor import page_post

    response = editor_client.post(CREATE, page_post(page, action="save"))
    assert response.status_code == 302
    assert Segment.objects.filter(name="Big spenders (3)").exists()


def test_duplicating_proposes_a_free_name(editor_client, partner, app, editor):
    source = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    url = reverse("engagement:segment_duplicate", args=[source.pk])
    assert 'value="Copy of Spenders"' in editor_client.get(url).content.decode()
    segment_create(
        partner=partner,
        app=app,
        name="Copy of Spenders",
        definition=SPEND_OVER_10,
        user=editor,
    )
    assert 'value="Copy of Spenders (2)"' in editor_client.get(url).content.decode()


def test_a_long_name_is_shortened_before_its_number(
    editor_client, partner, app, editor
):
    long_name = "S" * 100
    source = segment_create(
        partner=partner, app=app, name=long_name, definition=SPEND_OVER_10, user=editor
    )
    url = reverse("engagement:segment_duplicate", args=[source.pk])
    segment_create(
        partner=partner,
        app=app,
        name=("Copy of " + long_name)[:100],
        definition=SPEND_OVER_10,
        user=editor,
    )
    page = editor_client.get(url).content.decode()
    proposed = re.search(r'name="name" value="([^"]*)"', page).group(1)
    assert proposed.endswith(" (2)") and len(proposed) == 100


# Importing a definition: the editor's words, one problem a line ----------------


def imported(client, app, upload) -> str:
    data = editor_post(app, [SPEND_ROW], action="import")
    if upload is not None:
        data["definition_file"] = upload
    return client.post(CREATE, data).content.decode()


def problems_of(html: str) -> list[str]:
    start = html.index('id="editor-message"')
    block = html[start : html.index("</div>", start)]
    items = re.findall(r"<li>(.*?)</li>", block)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def test_importing_without_a_file_asks_for_one(editor_client, app):
    assert "Choose a .json file" in imported(editor_client, app, None)


def definition_file(*conditions) -> SimpleUploadedFile:
    body = {"version": 1, "any": [{"all": list(conditions)}]}
    return SimpleUploadedFile("bad.json", json.dumps(body).encode())


def test_import_errors_use_the_editors_words_one_a_line(editor_client, app):
    html = imported(
        editor_client,
        app,
        definition_file(
            {"attribute": "gender", "operator": "gt", "value": "male"},
            {"attribute": "store_spend", "operator": "gte", "value": "ten"},
            {"attribute": "rating", "operator": "bigger", "value": 3},
            {"attribute": "age_group", "operator": "is_not", "value": "kids"},
        ),
    )
    problems = problems_of(html)
    assert problems == [
        "OR statement 1, filter 1: gender cannot use “greater than”; choose one of "
        "“is”, “is not”, “is any of”, “is none of”",
        "OR statement 1, filter 2: total Store spend (USD) must be an amount from "
        "0 to 10,000,000,000 with at most 2 decimals",
        'OR statement 1, filter 3: rating: unknown operator "bigger"; choose one of '
        "“equals”, “does not equal”, “greater than”, “at least”, “less than”, "
        "“at most”, “between”",
        "OR statement 1, filter 4: age group must be one of 18 to 24, 25 to 34, "
        "35 to 49, 50 or older",
    ]
    for key in ("gt", "gte", "is_not", "18-24"):
        assert not any(re.search(rf"(?<![\w-]){key}(?![\w-])", p) for p in problems), (
            key
        )
    assert 'value="10"' in html  # the rows stay as they were


def test_a_list_operator_error_names_the_operator_by_its_label(editor_client, app):
    html = imported(
        editor_client,
        app,
        definition_file({"attribute": "market", "operator": "not_in", "value": []}),
    )
    assert problems_of(html) == [
        "OR statement 1, filter 1: “is none of” needs a list of 1 to 100 values"
    ]


def test_a_filter_refused_at_the_limit_keeps_the_focus_in_its_or_statement(
    editor_client, app
):
    full = [SPEND_ROW] * 20
    html = editor_client.post(
        CREATE,
        editor_post(app, rows(full, [SPEND_ROW]), action="add_filter:0"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "An OR statement has at most 20 filters." in html
    assert autofocused(html) == ["conditions-19-category"]
