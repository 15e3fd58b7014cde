"""Money, numbers and dates as the active language writes them.

French writes ``50,00 $US`` and ``12 415`` (CLDR: a no-break space before
the currency, a narrow no-break space between thousands); English ``$50.00``
and ``12,415``. The exact characters are spelled out: ``\\xa0`` is U+00A0
NO-BREAK SPACE, ``\\u202f`` U+202F NARROW NO-BREAK SPACE.
"""

import datetime as dt
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format

from customers.formats import money_format
from engagement.models import KnownUserGroup, Segment
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10, known_user_group

NNBSP = "\u202f"
NBSP = "\xa0"


def rendered(source: str, **context) -> str:
    return Template("{% load formats humanize %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "language, amount, expected",
    [
        ("en", Decimal("50"), "$50.00"),
        ("fr", Decimal("50"), f"50,00{NBSP}$US"),
        ("en", Decimal("12415.5"), "$12,415.50"),
        ("fr", Decimal("12415.5"), f"12{NNBSP}415,50{NBSP}$US"),
        ("en", 0, "$0.00"),
        ("fr", "9999999999.99", f"9{NNBSP}999{NNBSP}999{NNBSP}999,99{NBSP}$US"),
    ],
)
def test_money_follows_the_language(language, amount, expected):
    with translation.override(language):
        assert money_format(amount) == expected
        assert rendered("{{ amount|money }}", amount=amount) == expected


def test_money_takes_another_currency_and_passes_non_numbers_through():
    with translation.override("fr"):
        assert rendered('{{ amount|money:"EUR" }}', amount=5) == f"5,00{NBSP}€"
    with translation.override("en"):
        assert rendered("{{ amount|money }}", amount=None) == ""
        assert rendered("{{ amount|money }}", amount="n/a") == "n/a"
        assert money_format(Decimal("NaN")) == "NaN"


@pytest.mark.parametrize(
    "language, expected", [("en", "12,415"), ("fr", f"12{NNBSP}415")]
)
def test_counts_group_thousands_as_the_language_does(language, expected):
    with translation.override(language):
        assert intcomma(12415) == expected
        assert number_format(12415, force_grouping=True) == expected
        assert rendered("{{ n|intcomma }}", n=12415) == expected
        # The same character as Babel (CLDR), which writes money.
        assert expected == format_decimal(12415, locale=language)


def test_numbers_are_not_grouped_where_they_are_identifiers():
    """USE_THOUSAND_SEPARATOR stays off: ids in URLs and form values, and
    chart coordinates, are written as plain numbers."""
    with translation.override("fr"):
        assert rendered('<input value="{{ pk }}">', pk=12415) == '<input value="12415">'


@pytest.mark.parametrize(
    "language, expected", [("en", "Nov. 29, 2026"), ("fr", "29 novembre 2026")]
)
def test_dates_follow_the_language(language, expected):
    with translation.override(language):
        assert date_format(dt.date(2026, 11, 29)) == expected


@pytest.mark.django_db
def test_groups_page_and_group_page_write_sizes_for_the_language(
    editor_client, partner, app
):
    group = known_user_group(partner=partner, emails=["a@mail.example"])
    KnownUserGroup.objects.filter(pk=group.pk).update(
        member_count=12415,
        address_count=12500,
        updated_at=dt.datetime(2026, 3, 1, 14, 5, tzinfo=dt.UTC),
    )
    segment = segment_create(
        partner=partner,
        app=app,
        name="Big spenders",
        definition=SPEND_OVER_10,
        user=None,
        enqueue=False,
    )
    Segment.objects.filter(pk=segment.pk).update(member_count=23456)
    groups = reverse("engagement:customer_groups")
    french = editor_client.get(groups, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f"12{NNBSP}415 / 12{NNBSP}500" in french
    assert f"23{NNBSP}456" in french
    english = editor_client.get(groups, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "12,415 / 12,500" in english and "23,456" in english
    page = editor_client.get(
        group.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert f"12{NNBSP}415 / 12{NNBSP}500" in page
    assert "1 mars 2026 14:05" in page  # when it was updated
