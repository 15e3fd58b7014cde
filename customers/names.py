"""Names people read (groups now; offers and flights later): one rule for all.

A name is shown in lists, tables, select boxes and CSV files, so it must be
text a person can see and tell apart:

- normalised to NFC (``Cafe`` + combining accent and ``Café`` are one name,
  so the unique-name constraint sees them as one) and trimmed of white
  space at both ends (any Unicode white space, no-break space included);
- no control characters (Unicode category Cc: tabs, line breaks, NUL, C1
  controls) nor line or paragraph separators;
- no U+FFFD (what invalid UTF-8 decodes to) nor lone surrogates: the text
  was damaged on its way in;
- no invisible format characters (category Cf: zero-width space, soft
  hyphen, byte order mark, word joiner, bidirectional overrides and
  isolates, which can make one name look like another), with two
  exceptions that visible text needs: the zero-width joiner and non-joiner
  *between* two visible characters (emoji sequences such as 👩‍💻, Persian
  and Indic words), and the tag characters of a subdivision flag (🏴 + tags
  + cancel tag, e.g. the flag of Wales);
- at least one visible character: a letter, digit, punctuation mark or
  symbol that is not a blank filler (Hangul fillers, braille blank).
  Combining marks and variation selectors are kept but do not count.

Each refusal is a ``ValidationError`` with a code and a message naming the
character (``U+200B ZERO WIDTH SPACE``).
"""

from __future__ import annotations

import re
import unicodedata

from customers.errors import NamingError

JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner, joiner
# A subdivision flag: black flag, tag letters, cancel tag.
FLAG_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
# Characters of visible categories that show nothing (Unicode's
# Default_Ignorable_Code_Point fillers, and the braille blank).
BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
LINE_SEPARATORS = frozenset("\u2028\u2029")


def name_normalise(value: object) -> str:
    """The name as stored and compared: NFC, trimmed (no check)."""
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", value).strip()


def _character(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``, for a message."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _is_visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in BLANK_FILLERS


def _joins_two_visible(name: str, index: int) -> bool:
    """A joiner with visible text (or its marks) on both sides."""
    if not 0 < index < len(name) - 1:
        return False
    before, after = name[index - 1], name[index + 1]
    return unicodedata.category(before)[0] in "LNPSM" and _is_visible(after)


def name_clean(value: object) -> str:
    """Return ``value`` as a name to store, or raise ``ValidationError``.

    Codes: the members of ``customers.errors.NamingError``.
    """
    name = name_normalise(value)
    if not name:
        raise NamingError.BLANK.error()
    for char in name:
        category = unicodedata.category(char)
        if category == "Cc" or char in LINE_SEPARATORS:
            raise NamingError.CONTROL_CHARACTER.error(character=f"U+{ord(char):04X}")
        if char == "\ufffd" or category == "Cs":
            raise NamingError.INVALID_TEXT.error(character=f"U+{ord(char):04X}")
    # A well-formed flag counts as its visible black flag.
    plain = FLAG_TAG_SEQUENCE.sub("\U0001f3f4", name)
    if not any(_is_visible(char) for char in plain):
        raise NamingError.NO_VISIBLE_CHARACTER.error()
    for index, char in enumerate(plain):
        if unicodedata.category(char) == "Cf" and not (
            char in JOINERS and _joins_two_visible(plain, index)
        ):
            raise NamingError.INVISIBLE_CHARACTER.error(character=_character(char))
    return name
