"""Error codes come from the enums, each with its one message (design.md §3).

``customers/errors.py``, ``engagement/errors.py``, ``targeting/errors.py``,
``notifications/errors.py`` and ``api/errors.py`` hold one enum per domain;
every ``ValidationError`` raised by the apps takes its code and its message
from a member (``Member.error(**params)``). The source walk below
fails on a code or a message written at a raise site, and on params that do
not fill a member's message.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.functional import Promise

import api.errors
import customers.errors
import engagement.errors
import notifications.errors
import targeting.errors
from customers.errors import ErrorCode

ROOT = Path(__file__).resolve().parent.parent
# config too: its error handlers (config/errors.py) answer with ApiError codes.
APPS = ("customers", "engagement", "targeting", "notifications", "api", "config")
ERROR_MODULES = (
    customers.errors,
    engagement.errors,
    targeting.errors,
    notifications.errors,
    api.errors,
)
ENUM_FILES = {Path(module.__file__).resolve() for module in ERROR_MODULES}
CODE_KEYWORDS = {"code", "violation_error_code"}
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}


def _enums() -> dict[str, type[ErrorCode]]:
    found = {}
    for module in ERROR_MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ErrorCode)
                and value is not ErrorCode
                and value.__module__ == module.__name__
            ):
                assert value.__name__ not in found, f"two enums named {value.__name__}"
                found[value.__name__] = value
    return found


ENUMS = _enums()
MEMBERS = [member for enum in ENUMS.values() for member in enum]


def _id(member: ErrorCode) -> str:
    return f"{type(member).__name__}.{member.name}"


class _Placeholders(dict):
    """Params that fill any message, noting which names it asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def __missing__(self, key: str) -> int:
        self.asked.add(key)
        return 1


def _rendered(message: str | Promise) -> tuple[str, set[str]]:
    """The message with every placeholder filled, and the placeholders' names."""
    params = _Placeholders()
    return str(message % params), params.asked


def _source_files() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
    )


# The members ----------------------------------------------------------------


def test_the_enums_are_found():
    assert {"NamingError", "DefinitionError", "KnownUserGroupError"} <= set(ENUMS)


@pytest.mark.parametrize("enum", ENUMS.values(), ids=list(ENUMS))
def test_codes_are_unique_per_enum(enum):
    # A repeated value would silently make the second member an alias.
    aliases = [name for name, member in enum.__members__.items() if member.name != name]
    assert aliases == []


@pytest.mark.parametrize("member", MEMBERS, ids=_id)
def test_every_member_has_a_message(member):
    text, _asked = _rendered(member.message)
    assert text.strip()
    error = member.error()
    assert (error.code, error.message) == (member, member.message)


@pytest.mark.parametrize(
    "member",
    [member for member in MEMBERS if isinstance(member.message, Promise)],
    ids=_id,
)
def test_every_translated_message_is_in_the_french_catalogue(member):
    english, placeholders = _rendered(member.message)
    with translation.override("fr"):
        french, french_placeholders = _rendered(member.message)
    assert french != english, "msgid missing from locale/fr"
    assert french_placeholders == placeholders


def test_params_fill_the_message_when_it_is_shown():
    error = engagement.errors.KnownUserGroupError.TOO_MANY.error(limit=10, count=12)
    assert error.messages == [
        "A known user group holds at most 10 addresses; this list has 12."
    ]
    with translation.override("fr"):
        assert error.messages == [
            "Un groupe d’utilisateurs connus contient au plus 10 adresses ; "
            "cette liste en compte 12."
        ]


# The raise sites -----------------------------------------------------------


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_written_text(node: ast.expr) -> bool:
    """A message written where it is used: text, gettext(text), text % params."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and _name(node.func) in GETTEXT:
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_written_text(node.left)
    if isinstance(node, ast.Dict):
        return any(_is_written_text(value) for value in node.values)
    if isinstance(node, ast.List | ast.Tuple):
        return any(_is_written_text(item) for item in node.elts)
    return False


def _enum_attribute(node: ast.expr) -> tuple[type[ErrorCode], str] | None:
    """``(Enum, "NAME")`` for ``Enum.NAME`` naming one of the enums."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ENUMS
    ):
        return ENUMS[node.value.id], node.attr
    return None


def _member_of(node: ast.expr) -> ErrorCode | None:
    found = _enum_attribute(node)
    if found is None or found[1] not in found[0].__members__:
        return None
    return found[0][found[1]]


def _problems(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg in CODE_KEYWORDS
            and _is_written_text(node.value)
        ):
            yield node.value.lineno, f"{node.arg}= is written text, not a member"
        if not isinstance(node, ast.Call):
            continue
        if _name(node.func) == "ValidationError":
            if node.args and _is_written_text(node.args[0]):
                yield node.lineno, "ValidationError with a message written here"
            if len(node.args) > 1 and _is_written_text(node.args[1]):
                yield node.lineno, "ValidationError with a code written here"
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "error":
            named = _enum_attribute(node.func.value)
            member = _member_of(node.func.value)
            if named and member is None:
                yield node.lineno, f"{named[0].__name__} has no member {named[1]}"
            elif member is not None and all(kw.arg for kw in node.keywords):
                # (Params passed as **mapping cannot be checked here.)
                _text, placeholders = _rendered(member.message)
                given = {kw.arg for kw in node.keywords}
                if missing := placeholders - given:
                    yield node.lineno, f"{member!r} needs {sorted(missing)}"


def _member_uses(tree: ast.AST) -> Iterator[ErrorCode]:
    for node in ast.walk(tree):
        member = _member_of(node)
        if isinstance(member, ErrorCode):
            yield member


def test_the_walk_sees_every_kind_of_written_code_and_message():
    source = """
raise ValidationError(_("No."), code="no")
raise ValidationError("No.", "no")
raise ValidationError({"name": _("No.")})
raise ValidationError([ValidationError(f"{x} no")])
raise ValidationError(_("%(n)s no") % {"n": 1})
error = ValidationError(message, code="no")
models.UniqueConstraint(F("name"), name="u", violation_error_code="taken")
raise KnownUserGroupError.TOO_MANY.error(limit=1)
raise KnownUserGroupError.NOPE.error()
raise KnownUserGroupError.TOO_MANY.error(limit=1, count=2)
raise ValidationError({"name": GroupError.NAME_TAKEN.error()})
raise ValidationError(errors)
"""
    lines = sorted(line for line, _problem in _problems(ast.parse(source)))
    assert lines == [2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]


def test_codes_and_messages_come_from_the_enums_only():
    files = _source_files()
    assert len(files) > 40  # the walk found the apps
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {problem}"
        for path in files
        for line, problem in _problems(ast.parse(path.read_text(), filename=str(path)))
    ]
    assert offending == [], "\n".join(offending)


def test_every_member_is_raised_somewhere():
    used = {
        member
        for path in _source_files()
        if path not in ENUM_FILES  # a member's declaration is no use
        for member in _member_uses(ast.parse(path.read_text(), filename=str(path)))
    }
    unused = [repr(member) for member in MEMBERS if member not in used]
    assert unused == []


def test_codes_read_as_words():
    # Codes are identifiers for clients (an API, logs): lower snake case.
    assert [m for m in MEMBERS if not re.fullmatch(r"[a-z][a-z0-9_]*", m.value)] == []
