"""The segment editor binds its rows once, from the POST.

Each step posts what a browser posts from the page the step before answered
(the form read from its HTML: every enabled control, the first option of a
select that has none selected), as a partner does without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from engagement import rules
from engagement.models import Segment
from engagement.services.estimates import segment_estimate
from engagement.services.segments import segment_create
from tests.engagement.test_request_size import as_post_data, form_fields
from tests.engagement.test_segment_views import (
    CREATE,
    SPEND_OVER_10,
    SPEND_ROW,
    chosen_of,
    editor_post,
    options_of,
)
from tests.factories import AppCustomerFactory, AppFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ESTIMATE = reverse("engagement:segment_estimate")
TEXT = re.compile(r'<code class="segment-definition">(.*?)</code>', re.DOTALL)
MEMBERS = re.compile(r'id="estimate-members">([^<]*)<')


@pytest.fixture
def customers(app, settings):
    """Two big spenders and two young customers who spent nothing."""
    settings.SEGMENT_MIN_SIZE = 1
    today = dt.date.today()
    young = today.replace(year=today.year - 20, month=1, day=1)
    for spend in ("20", "30"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    for _ in range(2):
        AppCustomerFactory(app=app, customer=CustomerFactory(birth_date=young))


def checked_of(html: str, name: str) -> list[str]:
    """The values a checkbox list has checked."""
    return re.findall(rf'name="{name}" value="([^"]*)" id="[^"]*" checked', html)


def page_post(page: str, **changes) -> dict[str, list[str]]:
    """What a browser posts from ``page`` once the partner made ``changes``."""
    data = as_post_data(form_fields(page, "segment-form"))
    data.update(
        {
            name: value if isinstance(value, list) else [value]
            for name, value in changes.items()
        }
    )
    return data


def step(client, page: str, **changes) -> str:
    """Post the page with the partner's changes; the page that comes back."""
    response = client.post(CREATE, page_post(page, **changes))
    assert response.status_code in (200, 400), response.status_code
    return response.content.decode()


def shown_text(page: str) -> str:
    found = TEXT.search(page)
    return html_lib.unescape(found.group(1)) if found else ""


def estimate_of(client, page: str) -> tuple[str, str]:
    """The estimate of the page's fields as the page would ask for it: the
    count shown and the definition text that came with it."""
    answer = client.post(ESTIMATE, page_post(page)).content.decode()
    found = MEMBERS.search(answer)
    return (found.group(1) if found else ""), shown_text(answer)


def test_a_new_or_statement_starts_at_choose_and_counts_for_nothing(
    editor_client, app, customers
):
    page = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], action="add_block")
    ).content.decode()
    for field in ("category", "attribute", "operator"):
        assert chosen_of(page, f"conditions-1-{field}") == [""], field
    assert options_of(page, "conditions-1-attribute") == [""]

    page = step(
        editor_client,
        page,
        action="refresh",
        **{"conditions-1-category": "demographic"},
    )
    assert chosen_of(page, "conditions-1-attribute") == [""]
    assert "age_group" in options_of(page, "conditions-1-attribute")
    page = step(
        editor_client, page, action="refresh", **{"conditions-1-attribute": "market"}
    )
    assert chosen_of(page, "conditions-1-operator") == [""]
    page = step(
        editor_client, page, action="refresh", **{"conditions-1-operator": "is"}
    )
    # The value too starts at "Choose…": no market is chosen for the partner.
    assert chosen_of(page, "conditions-1-value") == [""]

    members, _text = estimate_of(editor_client, page)
    assert members == "2"  # the big spenders; the new row counts for nothing


def test_the_text_describes_exactly_what_the_estimate_counted(
    editor_client, app, customers
):
    """After "+ OR statement" and a category alone, the text left the new row
    out while the estimate counted its first value (Age group == 18 to 24)."""
    page = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], action="add_block")
    ).content.decode()
    page = step(
        editor_client,
        page,
        action="refresh",
        **{"conditions-1-category": "demographic"},
    )
    text = shown_text(page)
    members, estimate_text = estimate_of(editor_client, page)

    # The text names the first OR statement alone, and so does the count.
    assert text == rules.definition_text(SPEND_OVER_10)
    counted = segment_estimate(app=app, definition=SPEND_OVER_10)
    assert members == str(counted.members)
    # The estimate brings the text of what it counted, from the same rows.
    assert estimate_text == text
    assert "(OR statement 2 is incomplete and not counted)" in page


def test_switching_to_a_list_operator_keeps_no_hidden_selection(
    editor_client, app, customers
):
    market_is = {
        "block": 0,
        "category": "demographic",
        "attribute": "market",
        "operator": "is",
        "value": "",
    }
    page = editor_client.post(
        CREATE, editor_post(app, [market_is], action="refresh")
    ).content.decode()
    page = step(editor_client, page, action="refresh", **{"conditions-0-value": "ZW"})
    assert chosen_of(page, "conditions-0-value") == ["ZW"]
    assert shown_text(page) == "Market == Zimbabwe"

    page = step(
        editor_client, page, action="refresh", **{"conditions-0-operator": "in"}
    )

    # Zimbabwe would be chosen out of sight in a long list. Nothing is
    # chosen, and nothing is counted or described.
    assert checked_of(page, "conditions-0-value") == []
    assert shown_text(page) == ""
    assert estimate_of(editor_client, page) == ("", "")


def test_changing_the_operator_within_its_kind_keeps_the_value(editor_client, app):
    page = editor_client.post(
        CREATE, editor_post(app, [SPEND_ROW], action="refresh")
    ).content.decode()
    page = step(
        editor_client, page, action="refresh", **{"conditions-0-operator": "lt"}
    )
    assert shown_text(page) == "Total Store spend (USD) < $10.00"


def test_with_several_apps_the_partner_must_choose_one(editor_client, partner, app):
    AppFactory(partner=partner, name="Aardvark Arcade")  # sorts first
    page = editor_client.get(CREATE, {"template": "big-spenders"}).content.decode()
    assert chosen_of(page, "app") == [""]
    assert "Choose an app" in page

    response = editor_client.post(CREATE, page_post(page, action="save"))

    assert response.status_code == 400
    assert "Choose an app." in response.content.decode()
    assert not Segment.objects.exists()


def test_with_one_app_it_is_chosen(editor_client, app):
    page = editor_client.get(CREATE, {"template": "big-spenders"}).content.decode()
    assert options_of(page, "app") == [str(app.pk)]
    response = editor_client.post(CREATE, page_post(page, action="save"))
    assert response.status_code == 302
    assert Segment.objects.get().app == app


def test_the_estimate_asks_for_an_app_when_none_is_chosen(editor_client, app):
    data = editor_post(app, [SPEND_ROW])
    data["app"] = ""
    html = editor_client.post(ESTIMATE, data).content.decode()
    assert "choose an app to see an estimate" in html
    assert shown_text(html) == rules.definition_text(SPEND_OVER_10)


# A stored definition that no longer validates ---------------------------------

SPEND_CONDITION = SPEND_OVER_10["any"][0]["all"][0]
STALE = {
    "version 99": (
        {"version": 99, "any": [{"all": [SPEND_CONDITION]}]},
        "Unsupported definition version 99",
    ),
    "unknown attribute": (
        {
            "version": 1,
            "any": [
                {"all": [{"attribute": "shoe_size", "operator": "eq", "value": 9}]},
                {"all": [SPEND_CONDITION]},
            ],
        },
        "OR statement 1, filter 1",
    ),
    "wrong type": (
        {
            "version": 1,
            "any": [
                {
                    "all": [
                        {"attribute": "store_spend", "operator": "gt", "value": "ten"},
                        SPEND_CONDITION,
                    ]
                }
            ],
        },
        "OR statement 1, filter 1",
    ),
}


def stored(*, partner, app, kind: str) -> tuple[Segment, str]:
    """A segment whose stored definition the rules reject (written to its row
    directly, as support might), and the reason they give."""
    definition, reason = STALE[kind]
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=None
    )
    Segment.objects.filter(pk=segment.pk).update(definition=definition)
    segment.refresh_from_db()
    return segment, reason


@pytest.fixture(params=list(STALE))
def stale(request, partner, app):
    return stored(partner=partner, app=app, kind=request.param)


def test_the_editor_opens_a_stale_definition_with_what_it_can_read(
    editor_client, stale
):
    segment, reason = stale
    url = reverse("engagement:segment_edit", args=[segment.pk])
    response = editor_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "no longer passes the rules" in page and reason in page
    assert 'value="Spenders"' in page
    # The spend filter every one of them still has is shown as stored (an
    # unknown attribute is left out, so it is the first row everywhere).
    assert chosen_of(page, "conditions-0-attribute") == ["store_spend"]
    assert 'value="10"' in page


def test_a_stale_definition_can_be_duplicated(editor_client, stale):
    segment, reason = stale
    response = editor_client.get(
        reverse("engagement:segment_duplicate", args=[segment.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This is a copy of" in page and reason in page


def test_a_stale_definition_shows_through_an_oversized_edit(editor_client, stale):
    segment, reason = stale
    url = reverse("engagement:segment_edit", args=[segment.pk])
    response = editor_client.post(url, {"padding": "x" * 3_000_000, "action": "save"})
    assert response.status_code == 413
    assert reason in response.content.decode()


def test_saving_the_readable_rows_of_a_stale_definition(editor_client, partner, app):
    segment, _reason = stored(partner=partner, app=app, kind="version 99")
    url = reverse("engagement:segment_edit", args=[segment.pk])
    page = editor_client.get(url).content.decode()

    response = editor_client.post(url, page_post(page, action="save"))

    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.definition == SPEND_OVER_10


def test_a_wrong_type_is_shown_for_the_partner_to_correct(editor_client, partner, app):
    segment, _reason = stored(partner=partner, app=app, kind="wrong type")
    url = reverse("engagement:segment_edit", args=[segment.pk])
    page = editor_client.get(url).content.decode()
    assert 'value="ten"' in page

    response = editor_client.post(url, page_post(page, action="save"))

    assert response.status_code == 400
    assert "Enter an amount such as 10 or 9.99." in response.content.decode()
