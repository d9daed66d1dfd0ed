"""A number JSON allows but no field can hold, in a file someone else wrote, is one readable
line, never a traceback (review s28 L-5).

Python's JSON parser reads ``1e400`` as ``float('inf')`` and the literals ``Infinity``/``NaN`` as
``inf``/``nan``; ``int()`` of those raises ``OverflowError``/``ValueError`` inside the readers,
and ``int(1.5)`` quietly reads a step or a version as 1. :func:`govchain.files.parse_json`
refuses them as it parses, for every reader. The commands run in a child process, as a user runs
them, against an RPC address where nothing listens (each reads its file before it connects).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_files_from_others import _govchain, _one_line

DEAD = "0x000000000000000000000000000000000000dEaD"
H32 = "0x" + "11" * 32
SIG = "0x" + "11" * 65

CONSENT = {
    "format": "govchain.GrantConsent/1",
    "terms": {
        "subject": DEAD, "grantee": "CIVIL", "owner": "HRSS", "categories": ["HRSS.PENSION"],
        "purpose_hash": H32, "basis": "CONSENT", "valid_from": 1, "valid_until": 2,
    },
    "deadline": 1, "signer": DEAD, "signature": SIG, "chain_id": 31337,
    "verifying_contract": DEAD,
}  # fmt: skip
DECISION = {
    "format": "govchain.approval.decision/3", "step": 0, "chain_id": 31337, "deadline": 1,
    "approve": True, "contract": DEAD, "case_id": H32, "comment_hash": H32, "signer": DEAD,
    "signature": SIG,
}  # fmt: skip
OBJECTION = {
    "format": "govchain.objection.decision/1", "decision": "uphold", "objection": H32,
    "corrected_version": 1, "reason_commitment": H32, "deadline": 1, "signer": DEAD,
    "signature": SIG,
}  # fmt: skip
RULE = {
    "format": "govchain.rules.change/2", "action": "register", "department": "CIVIL",
    "name": "elderly", "version": 1, "deadline": 1, "signer": DEAD, "signature": SIG,
    "requirements": [],
}  # fmt: skip


def _with(document: dict[str, object], field: str, literal: str) -> str:
    """``document`` as JSON text with ``field`` (a dotted path) written as ``literal``."""
    copy = json.loads(json.dumps(document))
    target = copy
    *parents, last = field.split(".")
    for p in parents:
        target = target[p]
    target[last] = "__NUMBER__"
    return json.dumps(copy).replace('"__NUMBER__"', literal)


COMMANDS = [
    (("grant", "submit", "{f}"), CONSENT, "terms.valid_from", "consent file"),
    (("grant", "submit", "{f}"), CONSENT, "deadline", "consent file"),
    (("case", "submit", H32, "0", "{f}"), DECISION, "step", "signed decision file"),
    (("objection", "decide", H32, "--signatures", "{f}"), OBJECTION, "corrected_version",
     "decision file"),
    (("rule", "register", "{f}"), RULE, "version", "signed rule change file"),
]  # fmt: skip
IDS = ["grant-valid_from", "grant-deadline", "case-submit", "objection-decide", "rule-register"]


def _refused(tmp_path: Path, argv: tuple[str, ...], text: str, said: str, reason: str) -> None:
    path = tmp_path / "file.json"
    path.write_text(text)
    done = _govchain(tmp_path, *(a.format(f=path) for a in argv))
    _one_line(done, 2, said, str(path), reason)
    assert "OverflowError" not in done.stderr


@pytest.mark.parametrize(("argv", "document", "field", "said"), COMMANDS, ids=IDS)
def test_1e400_in_any_signed_file_is_one_line_naming_the_file(
    tmp_path: Path, argv: tuple[str, ...], document: dict[str, object], field: str, said: str
) -> None:
    """The probe's five commands (it showed each a traceback on main at 92f68d3)."""
    _refused(tmp_path, argv, _with(document, field, "1e400"), said, "number 1e400 is out of range")


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("-1e400", "number -1e400 is out of range"),
        ("Infinity", "Infinity is not a number JSON allows"),
        ("NaN", "NaN is not a number JSON allows"),
        ("1.5", "number 1.5 is not a whole number"),
    ],
)
def test_infinity_nan_or_a_fraction_is_one_line_too(
    tmp_path: Path, literal: str, reason: str
) -> None:
    """``rule register``: a version of 1.5 is refused, not read as 1."""
    argv, document, field, said = COMMANDS[-1]
    _refused(tmp_path, argv, _with(document, field, literal), said, reason)
