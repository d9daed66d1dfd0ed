"""Review s26 L-1: a number out of range in an evidence file or a credential is one line and
exit 1 (as the other malformed files), never a traceback.

``int.to_bytes`` of a negative ``version``, or ``int(inf)`` of JSON's ``1e400``, raised
``OverflowError`` out of ``govchain evidence verify`` / ``vc verify``. Every number these files
carry as a JSON number is now checked against its range when the file is read; each is tried
here with -1, 1e400 (a float infinity once parsed), a 400-digit integer and the first value
past its range, through the real CLI (the review's probes,
``/work/wt-review/tests/probes/test_review_s26_bad_files.py``, turned to assert the refusal).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import CityRun, Run, assert_one_line_error, offline  # noqa: F401 (fixture)
from tests.interop.test_vc import attestation, export

ONE = "0x" + "00" * 31 + "01"
HUGE = str(10**400)
BAD = ["-1", "1e400", HUGE, "1.5", "true", '"7"']


def evidence() -> dict[str, Any]:
    """An evidence file whose numbers are in range (refused later: its hashes do not hold)."""
    return {
        "format": "govchain.Evidence/1",
        "chain_id": 31337,
        "contracts": {"AnchorRegistry": "0x" + "00" * 19 + "01"},
        "record": {
            "category": ONE,
            "record_id": ONE,
            "version": 2,
            "owner": ONE,
            "subject": None,
            "media_type": "text/plain",
            "content_digest": ONE,
            "salt": ONE,
            "record_hash": ONE,
        },
        "anchor": {"kind": "single", "log_index": 3},
        "block": {},
    }


# (the field's JSON text in evidence(), its name in the refusal, the first value past its top)
EVIDENCE_FIELDS = [
    ('"chain_id": 31337', "chain_id", str(2**64)),
    ('"version": 2', "record version", str(2**32)),
    ('"log_index": 3', "anchor log_index", str(2**32)),
]


def _said(value: str, name: str) -> tuple[str, ...]:
    """What the refusal names: 1e400 is refused as the file is parsed (review s28 L-5,
    :mod:`govchain.files`), every other bad number by the field's range check."""
    if value == "1e400":
        return ("the file is not usable JSON (number 1e400 is out of range)",)
    return (f"{name} ", "is not a whole number from")


@pytest.mark.parametrize(("field", "name", "past"), EVIDENCE_FIELDS)
def test_evidence_verify_refuses_an_out_of_range_number(
    offline: Run,  # noqa: F811
    tmp_path: Path,
    field: str,
    name: str,
    past: str,
) -> None:
    text = json.dumps(evidence())
    assert field in text
    key = field.split(":")[0]
    for value in [*BAD, past]:
        path = tmp_path / "evidence.json"
        path.write_text(text.replace(field, f"{key}: {value}"))
        result = offline("evidence", "verify", str(path), "--trust-block-hash", ONE)
        assert_one_line_error(result, 1, "evidence refused", *_said(value, name))
    # zero is out of range for a chain id and a version, in range for a log index
    path.write_text(text.replace(field, f"{key}: 0"))
    result = offline("evidence", "verify", str(path), "--trust-block-hash", ONE)
    if name == "anchor log_index":
        assert_one_line_error(result, 1, "evidence refused", "do not hash to its record hash")
    else:
        assert_one_line_error(result, 1, "evidence refused", f"{name} 0 is not a whole number")


def test_evidence_verify_online_refuses_an_out_of_range_number(
    city_run: CityRun, tmp_path: Path
) -> None:
    """Online (against the devnet and its manifest) the numbers are checked before the chain
    id is compared or any contract named."""
    text = json.dumps(evidence())
    path = tmp_path / "evidence.json"
    for field, name, past in EVIDENCE_FIELDS:
        key = field.split(":")[0]
        for value in ["-1", "1e400", HUGE, past]:
            path.write_text(text.replace(field, f"{key}: {value}"))
            result = city_run("evidence", "verify", str(path))
            assert_one_line_error(result, 1, "evidence refused", *_said(value, name))


def test_vc_verify_refuses_an_out_of_range_number(city_run: CityRun, tmp_path: Path) -> None:
    uid, _ = attestation(city_run)
    vc = export(city_run, uid, tmp_path / "vc.json")
    text = json.dumps(vc, ensure_ascii=False)

    def refused(old: str, new: str, *reason: str) -> None:
        assert old in text, old
        path = tmp_path / "bad.json"
        path.write_text(text.replace(old, new))
        result = city_run("vc", "verify", str(path))
        assert_one_line_error(result, 1, "credential NOT VERIFIED", *reason)

    block = f'"issuedBlock": {vc["govchain"]["issuedBlock"]}'
    for value in [*BAD, str(2**64)]:
        refused(block, f'"issuedBlock": {value}', *_said(value, "issuedBlock"))
    # the dates are ISO strings; a number, or a time before 1970, is refused
    for name in ("issuanceDate", "expirationDate"):
        date = f'"{name}": "{vc[name]}"'
        for value in ["-1", HUGE]:
            refused(date, f'"{name}": {value}', f"{name} is not an ISO time")
        refused(date, f'"{name}": 1e400', *_said("1e400", name))
        refused(
            date, f'"{name}": "1960-01-01T00:00:00Z"', f"{name} 1960-01-01T00:00:00Z is before 1970"
        )
    assert city_run.json("vc", "verify", str(tmp_path / "vc.json"))["verified"] is True
