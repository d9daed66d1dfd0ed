"""govchain.files: the one reader of JSON someone else wrote (review s27 L-2, L-3).

Whatever the file holds - not JSON, not UTF-8, nested past the recursion limit, too large, of
another top-level type, not there - the answer is one InvalidInput naming the file, and each
loader built on it says the same.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govchain.approval.decisions import SignedDecision as CaseDecision
from govchain.cli.record import _proof_entry
from govchain.cli.rule import load_requirements
from govchain.cli.safe import _read as read_part_file
from govchain.errors import InvalidInput
from govchain.files import parse_json, read_json
from govchain.portal.accesslog import LogEntry, summarise
from govchain.services.objection_decisions import SignedDecision as ObjectionDecision
from govchain.sharing.consent import SignedConsent
from govchain.sharing.purposes import read_file as read_purposes

NESTED = "[" * 4_000 + "]" * 4_000  # 8 KB: past Python's default recursion limit


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Python's default (1000), which the CLI and the portal have (py_ecc raises it here)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_json_object_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"a": [1, 2]}')
    assert read_json(path, "thing") == {"a": [1, 2]}
    assert read_json(path, "thing", expect=None) == {"a": [1, 2]}
    assert parse_json(b"[1]", "thing", "upload", expect=list) == [1]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{", "not JSON (Expecting"),
        (b"\xff\xfe\x00", "not JSON"),
        (NESTED, "not JSON (nested too deeply)"),
        ("[1]", "expected a JSON object"),
        ('"text"', "expected a JSON object"),
        ("", "not JSON"),
    ],
)
def test_anything_else_is_one_invalid_input_naming_the_file(
    tmp_path: Path, raw: str | bytes, reason: str, default_recursion_limit: None
) -> None:
    path = tmp_path / "bad.json"
    if isinstance(raw, bytes):
        path.write_bytes(raw)
    else:
        path.write_text(raw)
    with pytest.raises(InvalidInput) as caught:
        read_json(path, "thing")
    assert caught.value.what == "thing" and caught.value.value == str(path)
    assert caught.value.reason.startswith(reason), caught.value.reason


def test_a_missing_or_too_large_file_is_refused_the_same_way(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="No such file"):
        read_json(tmp_path / "absent.json", "thing")
    big = tmp_path / "big.json"
    big.write_text("[" + "1," * 100 + "1]")
    with pytest.raises(InvalidInput, match="larger than 50 bytes"):
        read_json(big, "thing", expect=list, limit=50)
    assert len(read_json(big, "thing", expect=list)) == 101


@pytest.mark.parametrize(
    ("load", "said"),
    [
        (CaseDecision.load, "signed decision file"),
        (ObjectionDecision.load, "signed decision file"),
        (SignedConsent.read, "consent file"),
        (load_requirements, "requirements file"),
        (lambda path: _proof_entry(path, "r1", b"\0" * 32), "proofs file"),
        (read_part_file, "part file"),
    ],
    ids=["case decision", "objection decision", "consent", "requirements", "proofs", "part"],
)
def test_every_loader_refuses_a_nested_file(
    tmp_path: Path, load: object, said: str, default_recursion_limit: None
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(NESTED)
    with pytest.raises(InvalidInput, match="nested too deeply") as caught:
        load(path)  # type: ignore[operator]
    assert caught.value.what == said


def test_a_nested_access_log_line_is_skipped_and_counted(default_recursion_limit: None) -> None:
    """The node's access log is written on the department's own machine: a line its sysadmin
    nests is counted with the other unreadable lines, and the rest is still summarised."""
    good = (
        '{"event": "request", "time": "2026-11-30T09:00:00Z", "path": "/v1/records", '
        '"status": 403, "outcome": "refused", "reason": "grant_revoked", "signer": "0xab"}'
    )
    assert LogEntry.parse(NESTED) is None
    log = summarise("HRSS", "hrss.jsonl", [good, NESTED, "not json", good])
    assert (log.refused, log.skipped) == (2, 2)
    assert log.refusals[0].reason == "grant_revoked" and log.refusals[0].count == 2


def test_a_nested_published_purposes_register_gives_no_purposes(
    tmp_path: Path, default_recursion_limit: None
) -> None:
    """A published register of purpose texts (another department's file) that is nested past the
    parser's limit reads as an unreadable file does: no purposes, no traceback."""
    path = tmp_path / "register.json"
    path.write_text(NESTED)
    assert read_purposes(path) == {}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"a": 1e400}', "number 1e400 is out of range"),
        ('{"a": -1e400}', "number -1e400 is out of range"),
        ('{"a": [Infinity]}', "Infinity is not a number JSON allows"),
        ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        ('{"a": NaN}', "NaN is not a number JSON allows"),
        ('{"a": 1.5}', "number 1.5 is not a whole number"),
        ('{"a": 1e-400}', "number 1e-400 is not a whole number"),  # a float reads it as 0.0
        ('{"a": 1' + "0" * 30 + "e-31}", "is not a whole number"),
    ],
)
def test_a_number_no_integer_field_can_hold_is_refused_naming_the_file(
    tmp_path: Path, raw: str, reason: str
) -> None:
    """Review s28 L-5: ``int(inf)`` raised OverflowError inside every reader; ``int(1.5)`` read 1."""
    path = tmp_path / "n.json"
    path.write_text(raw)
    with pytest.raises(InvalidInput) as caught:
        read_json(path, "thing")
    assert caught.value.value == str(path)
    assert reason in caught.value.reason, caught.value.reason


def test_whole_numbers_in_any_spelling_and_fractions_where_asked_are_read() -> None:
    assert parse_json('{"a": 1.0, "b": 1e3, "c": -0.0, "d": 7}', "t", "s") == {
        "a": 1.0, "b": 1000.0, "c": -0.0, "d": 7,
    }  # fmt: skip
    assert parse_json('{"ms": 2.5}', "t", "s", fractions=True) == {"ms": 2.5}
    for raw in ('{"a": 1e400}', '{"a": NaN}'):
        with pytest.raises(InvalidInput):
            parse_json(raw, "t", "s", fractions=True)  # never a non-finite number


@pytest.mark.parametrize("literal", ["1e400", "NaN", "403.5"])
def test_an_access_log_line_with_a_status_no_integer_can_be_is_skipped(literal: str) -> None:
    """Review s28 L-5: one such line made the auditor's anomalies page a 500."""
    good = (
        '{"event": "request", "time": "2026-11-30T09:00:00Z", "path": "/v1/records", '
        '"status": 403, "outcome": "refused", "reason": "grant_revoked", "signer": "0xab", '
        '"duration_ms": 2.5}'
    )
    bad = good.replace('"status": 403', f'"status": {literal}')
    assert LogEntry.parse(good) is not None  # a fraction in duration_ms is the node's own
    assert LogEntry.parse(bad) is None
    log = summarise("HRSS", "hrss.jsonl", [good, bad])
    assert (log.refused, log.skipped) == (1, 1)


@pytest.mark.parametrize(
    ("load", "said"),
    [
        (CaseDecision.load, "signed decision file"),
        (ObjectionDecision.load, "signed decision file"),
        (SignedConsent.read, "consent file"),
        (load_requirements, "requirements file"),
        (lambda path: _proof_entry(path, "r1", b"\0" * 32), "proofs file"),
        (read_part_file, "part file"),
    ],
    ids=["case decision", "objection decision", "consent", "requirements", "proofs", "part"],
)
def test_every_loader_refuses_an_infinite_number(tmp_path: Path, load: object, said: str) -> None:
    path = tmp_path / "inf.json"
    path.write_text('{"step": 1e400, "deadline": 1e400, "version": 1e400}')
    with pytest.raises(InvalidInput, match="out of range") as caught:
        load(path)  # type: ignore[operator]
    assert caught.value.what == said
