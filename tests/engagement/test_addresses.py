"""Reading addresses from the box and from .csv files, and escaping formulas."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from engagement.addresses import (
    addresses_check,
    addresses_from_csv,
    addresses_parse,
    formula_escape,
    formula_unescape,
)
from engagement.errors import KnownUserGroupError

INVALID = KnownUserGroupError.INVALID_ADDRESS

LOCAL = st.from_regex(r"[a-z0-9](?:[a-z0-9_+-]{0,10}[a-z0-9])?", fullmatch=True)
LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


def refusal(check, *args, **kwargs) -> list[tuple[KnownUserGroupError, dict | None]]:
    """The code and params of each error ``check`` raises: what it will say."""
    with pytest.raises(ValidationError) as excinfo:
        check(*args, **kwargs)
    return [(error.code, error.params) for error in excinfo.value.error_list]


ADDRESS = st.builds(
    lambda local, labels, tld, upper: (
        f"{local}@{'.'.join(labels)}.{tld}".upper()
        if upper
        else f"{local}@{'.'.join(labels)}.{tld}"
    ),
    LOCAL,
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "fr", "example", "io"]),
    st.booleans(),
)
SEPARATOR = st.lists(
    st.sampled_from([" ", ",", ";", "\n", "\r\n", "\t"]), min_size=1, max_size=4
).map("".join)


@given(addresses=st.lists(ADDRESS, min_size=1, max_size=30), data=st.data())
def test_any_addresses_joined_with_any_separators_parse_back_to_the_same_set(
    addresses, data
):
    text = data.draw(SEPARATOR)  # leading separators
    for address in addresses:
        text += address + data.draw(SEPARATOR)
    parsed = addresses_parse(text)
    assert parsed.invalid == []
    assert set(parsed.addresses) == {a.lower() for a in addresses}
    assert parsed.duplicates == len(addresses) - len(parsed.addresses)


def test_addresses_are_trimmed_lower_cased_and_deduplicated_in_order():
    parsed = addresses_parse("  B@Mail.Example ,a@mail.example;;b@mail.example\n\n")
    assert parsed.addresses == ["b@mail.example", "a@mail.example"]
    assert parsed.duplicates == 1


def test_every_invalid_address_is_listed_with_its_position():
    parsed = addresses_parse("ok@mail.example nope also@bad second@mail.example x@")
    assert parsed.invalid == [(2, "nope"), (3, "also@bad"), (5, "x@")]
    assert refusal(addresses_check, parsed) == [
        (INVALID, {"position": 2, "value": "nope"}),
        (INVALID, {"position": 3, "value": "also@bad"}),
        (INVALID, {"position": 5, "value": "x@"}),
    ]


def test_only_the_first_fifty_invalid_addresses_are_listed_then_a_count():
    parsed = addresses_parse(" ".join(f"bad{i}" for i in range(75)))
    errors = refusal(addresses_check, parsed)
    assert [code for code, _params in errors] == [INVALID] * 50 + [
        KnownUserGroupError.MORE_INVALID_ADDRESSES
    ]
    assert errors[-1][1] == {"count": 25, "shown": "25"}


@pytest.mark.parametrize(
    "count, ok", [(0, False), (1, True), (10_000, True), (10_001, False)]
)
def test_a_group_holds_one_to_ten_thousand_addresses(count, ok):
    parsed = addresses_parse(" ".join(f"user{i}@mail.example" for i in range(count)))
    if ok:
        assert len(addresses_check(parsed)) == count
    else:
        assert refusal(addresses_check, parsed) == [
            (KnownUserGroupError.NO_ADDRESSES, None)
            if count == 0
            else (KnownUserGroupError.TOO_MANY, {"limit": "10,000", "count": "10,001"})
        ]


@pytest.mark.parametrize(
    "content",
    [
        b"email\r\nA@mail.example\r\nb@mail.example\r\n",  # Excel, CRLF
        b"\xef\xbb\xbfEmail\na@mail.example\nb@mail.example\n",  # BOM, any case
        b"name;EMAIL\nAnn;a@mail.example\nBob;b@mail.example\n",  # semicolons
        b"a@mail.example\nb@mail.example\n",  # no header
        b'"a@mail.example","Ann, A."\n\n\n"b@mail.example","Bob"\n',  # quoted
        b"\n\nemail\n\na@mail.example\n,\nb@mail.example\n\n",  # blank lines
        b"email,status\na@mail.example,member\nb@mail.example,pending\n",
    ],
)
def test_csv_variants_read_the_same_addresses(content):
    parsed = addresses_from_csv(io.BytesIO(content))
    assert parsed.invalid == []
    assert parsed.addresses == ["a@mail.example", "b@mail.example"]


def test_an_escaped_formula_cell_reads_back_as_written():
    parsed = addresses_from_csv(
        io.BytesIO(b"email\n'=cmd@mail.example\n'-x@mail.example\n")
    )
    assert parsed.addresses == ["=cmd@mail.example", "-x@mail.example"]


def test_bad_rows_are_reported_by_file_row():
    parsed = addresses_from_csv(io.BytesIO(b"email\na@mail.example\nnot-an-address\n"))
    assert parsed.invalid == [(3, "not-an-address")]
    assert refusal(addresses_check, parsed, rows=True) == [
        (
            KnownUserGroupError.INVALID_ROW,
            {"position": 3, "value": "not-an-address"},
        )
    ]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", KnownUserGroupError.EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", KnownUserGroupError.NOT_TEXT),
        ("email\nzoé@mail.example\n".encode("latin-1"), KnownUserGroupError.NOT_UTF8),
        (b"email\n" + b"a@mail.example\n" * 80_000, KnownUserGroupError.TOO_BIG),
        (b'email\n"unterminated\n', KnownUserGroupError.NOT_CSV),
    ],
)
def test_bad_files_get_one_clear_error(content, code):
    [(refused, _params)] = refusal(addresses_from_csv, io.BytesIO(content))
    assert refused == code


@pytest.mark.parametrize(
    "content, addresses",
    [
        (b"a@mail.example", ["a@mail.example"]),  # one cell, no line break
        (b"Email\r\na@mail.example\r\n", ["a@mail.example"]),
        (b'"a@mail.example"\n"b@mail.example"\n', ["a@mail.example", "b@mail.example"]),
        (
            b"'=a@mail.example\n'+b@mail.example\n",
            ["=a@mail.example", "+b@mail.example"],
        ),
        (
            b"o'brien@mail.example\nann@mail.example\n",
            ["o'brien@mail.example", "ann@mail.example"],
        ),
    ],
)
def test_a_one_column_file_reads_each_line_as_one_address(content, addresses):
    # The sniffer finds no delimiter in one column and says so: the file is
    # read with a comma, which splits nothing.
    with pytest.raises(csv.Error):
        csv.Sniffer().sniff(content.decode(), delimiters=",;")
    parsed = addresses_from_csv(io.BytesIO(content))
    assert parsed.invalid == []
    assert parsed.addresses == addresses


@pytest.mark.parametrize(
    "content",
    [
        b'name;email\n"Doe, Ann";a@mail.example\n"Roe, Bob";b@mail.example\n',
        b'name,email\n"Doe; Ann",a@mail.example\n"Roe; Bob",b@mail.example\n',
        b"email;status\n'=a@mail.example;pending\n'+b@mail.example;member\n",
    ],
)
def test_quoted_or_escaped_cells_do_not_mislead_the_delimiter(content):
    parsed = addresses_from_csv(io.BytesIO(content))
    assert parsed.invalid == []
    assert len(parsed.addresses) == 2


def test_rows_wider_than_a_one_column_header_read_their_first_cell():
    parsed = addresses_from_csv(
        io.BytesIO(b"email\na@mail.example,Ann\nb@mail.example,Bob\n")
    )
    assert parsed.addresses == ["a@mail.example", "b@mail.example"]


def test_blank_lines_before_the_rows_do_not_hide_the_delimiter():
    # Semicolons on every row but no header: the first lines decide together.
    content = b"\n\n" + b"".join(
        f"user{i}@mail.example;User {i}\n".encode() for i in range(30)
    )
    parsed = addresses_from_csv(io.BytesIO(content))
    assert parsed.invalid == []
    assert len(parsed.addresses) == 30


def hostile_csv() -> str:
    """Read a 1 MB line built to make the sniffer's quote patterns backtrack."""
    line = b',"a' * ((1024 * 1024 - 10) // 3)
    try:
        addresses_from_csv(io.BytesIO(b"email\n" + line))
    except ValidationError as exc:
        return exc.code
    return "read"


def test_a_file_built_to_slow_the_sniffer_is_read_in_bounded_work(cpu_bounded):
    assert cpu_bounded(hostile_csv) == KnownUserGroupError.NOT_CSV


class CountingFile(io.BytesIO):
    """A file that records how many bytes were asked of it."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return super().read(size)


def test_a_file_over_1_mb_is_refused_after_reading_1_mb_and_says_its_size():
    upload = CountingFile(b"email\n" + b"a@mail.example\n" * 200_000)
    assert refusal(addresses_from_csv, upload) == [
        (KnownUserGroupError.TOO_BIG, {"size": "2.9 MB"})
    ]
    assert upload.asked == [1024 * 1024 + 1]


def test_a_file_of_exactly_1_mb_is_read():
    row = b"a@mail.example\n"
    content = row * (1024 * 1024 // len(row))
    content += b"\n" * (1024 * 1024 - len(content))
    parsed = addresses_from_csv(io.BytesIO(content))
    assert parsed.addresses == ["a@mail.example"]


@pytest.mark.parametrize(
    "cell, escaped",
    [
        ("=cmd@mail.example", "'=cmd@mail.example"),
        ("+a@mail.example", "'+a@mail.example"),
        ("-b@mail.example", "'-b@mail.example"),
        ("@c@mail.example", "'@c@mail.example"),
        ("\tt@mail.example", "'\tt@mail.example"),
        ("plain@mail.example", "plain@mail.example"),
        ("o'brien@mail.example", "o'brien@mail.example"),
    ],
)
def test_formula_cells_are_escaped_and_read_back_as_written(cell, escaped):
    assert formula_escape(cell) == escaped
    assert formula_unescape(escaped) == cell
