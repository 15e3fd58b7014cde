"""customers.names: what a name shown to people may hold."""

import pytest
from django.core.exceptions import ValidationError

from customers.errors import NamingError
from customers.names import name_clean

ZWJ = "\u200d"
ZWNJ = "\u200c"
BLANK = NamingError.BLANK
CONTROL = NamingError.CONTROL_CHARACTER
INVALID_TEXT = NamingError.INVALID_TEXT
NOTHING_VISIBLE = NamingError.NO_VISIBLE_CHARACTER
INVISIBLE = NamingError.INVISIBLE_CHARACTER


def code_of(value) -> NamingError:
    with pytest.raises(ValidationError) as excinfo:
        name_clean(value)
    [error] = excinfo.value.error_list
    return error.code


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Big spenders \n", "Big spenders"),
        ("Cafe\u0301 regulars", "Café regulars"),  # NFC: one é, not e + accent
        ("\u00a0Testers\u3000", "Testers"),  # any white space is trimmed
        (f"👩{ZWJ}💻 Developers", f"👩{ZWJ}💻 Developers"),  # an emoji sequence
        (f"❤️{ZWJ}🔥 fans", f"❤️{ZWJ}🔥 fans"),  # ZWJ after a variation selector
        (f"می{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),  # Persian needs its non-joiner
        (
            "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Wales fans",
            None,
        ),
        ("السلام عليكم", None),
        ("Beta ring 1.4", None),
    ],
)
def test_a_name_is_stored_normalised(given, stored):
    assert name_clean(given) == (stored or given)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", BLANK),
        ("   \n\t ", BLANK),
        (None, BLANK),
        ("Big\tspenders", CONTROL),
        ("Big\nspenders", CONTROL),
        ("Big\x00spenders", CONTROL),
        ("Big\x1bspenders", CONTROL),
        ("Big\x85spenders", CONTROL),  # C1 control NEL
        ("Big\u2028spenders", CONTROL),  # line separator
        ("Big \ufffd spenders", INVALID_TEXT),  # left by invalid UTF-8
        ("Big \ud800 spenders", INVALID_TEXT),  # a lone surrogate
        ("\u200b", NOTHING_VISIBLE),  # zero-width space alone
        ("\u200b\u200b\u200d", NOTHING_VISIBLE),
        ("\u3164", NOTHING_VISIBLE),  # Hangul filler, a "letter"
        ("\u2800\u2800", NOTHING_VISIBLE),  # braille blank
        ("\u0301\u0301", NOTHING_VISIBLE),  # accents on nothing
        ("\ufe0f", NOTHING_VISIBLE),
        ("Big\u200bspenders", INVISIBLE),
        ("\u202eBig spenders", INVISIBLE),  # right-to-left override
        ("Big\u2066 spenders", INVISIBLE),  # bidi isolate
        ("Big\u00adspenders", INVISIBLE),  # soft hyphen
        ("Big\ufeffspenders", INVISIBLE),  # BOM inside
        (f"{ZWJ}Big spenders", INVISIBLE),  # a joiner joining nothing
        (f"Big {ZWJ}spenders", INVISIBLE),
        ("Big\U000e0041 spenders", INVISIBLE),  # a stray tag
    ],
)
def test_a_name_that_hides_or_breaks_text_is_refused_with_its_code(name, code):
    assert code_of(name) == code


def test_the_message_names_the_character():
    with pytest.raises(ValidationError) as excinfo:
        name_clean("Big\u200bspenders")
    assert excinfo.value.messages == [
        "The name holds an invisible character (U+200B ZERO WIDTH SPACE); remove it."
    ]
    with pytest.raises(ValidationError) as excinfo:
        name_clean("Big\tspenders")
    assert excinfo.value.messages == [
        "The name holds a control character such as a tab or a line break "
        "(U+0009); remove it."
    ]
