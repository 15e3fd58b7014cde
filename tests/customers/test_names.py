"""customers.names: what a name shown to people may hold."""

import pytest
from django.core.exceptions import ValidationError

from customers.names import name_clean

ZWJ = "\u200d"
ZWNJ = "\u200c"


def code_of(value) -> str:
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
        ("", "blank"),
        ("   \n\t ", "blank"),
        (None, "blank"),
        ("Big\tspenders", "control_character"),
        ("Big\nspenders", "control_character"),
        ("Big\x00spenders", "control_character"),
        ("Big\x1bspenders", "control_character"),
        ("Big\x85spenders", "control_character"),  # C1 control NEL
        ("Big\u2028spenders", "control_character"),  # line separator
        ("Big \ufffd spenders", "invalid_text"),  # left by invalid UTF-8
        ("Big \ud800 spenders", "invalid_text"),  # a lone surrogate
        ("\u200b", "no_visible_character"),  # zero-width space alone
        ("\u200b\u200b\u200d", "no_visible_character"),
        ("\u3164", "no_visible_character"),  # Hangul filler, a "letter"
        ("\u2800\u2800", "no_visible_character"),  # braille blank
        ("\u0301\u0301", "no_visible_character"),  # accents on nothing
        ("\ufe0f", "no_visible_character"),
        ("Big\u200bspenders", "invisible_character"),
        ("\u202eBig spenders", "invisible_character"),  # right-to-left override
        ("Big\u2066 spenders", "invisible_character"),  # bidi isolate
        ("Big\u00adspenders", "invisible_character"),  # soft hyphen
        ("Big\ufeffspenders", "invisible_character"),  # BOM inside
        (f"{ZWJ}Big spenders", "invisible_character"),  # a joiner joining nothing
        (f"Big {ZWJ}spenders", "invisible_character"),
        ("Big\U000e0041 spenders", "invisible_character"),  # a stray tag
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
