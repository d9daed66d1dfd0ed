"""`govchain share request|approve|reject|list`: conditional data without a personal subject."""

from __future__ import annotations

import pytest

from govchain.sharing.purposes import legacy_purpose_hash, purpose_commitment
from tests.cli.conftest import CityRun, Run, assert_one_line_error
from tests.cli.sharing_fixtures import (  # noqa: F401
    SharingCity,
    advance,
    sharing_city_fixture,
    srun_fixture,
)

REQUEST = (
    "share", "request", "--owner", "HRSS", "--category", "HRSS.PENSION", "--purpose",
    "pension statistics", "--until", "90d",
)  # fmt: skip
REQUEST_KEYS = {
    "request_id", "grantee", "owner", "categories", "purpose_hash", "valid_from", "valid_until",
    "max_uses", "decision_deadline", "nonce", "decision_deadline_time", "requester", "status",
    "block", "grant_id", "decided_by", "reason_hash",
}  # fmt: skip


def _status(city: SharingCity, request_id: str) -> int:
    contract = city.city.connection.contract("AccessGrants")
    return int(contract.functions.requestStatus(bytes.fromhex(request_id[2:])).call())


def test_request_then_approve_creates_an_owner_approval_grant(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    filed = srun.json("--key", "civil-staff", *REQUEST, "--max-uses", "5")
    assert set(filed) == {"request_id", "tx_hash", "block", "terms"}
    assert filed["terms"]["grantee"] == "CIVIL" and filed["terms"]["max_uses"] == 5
    assert _status(sharing_city, filed["request_id"]) == 1
    result = srun("--key", "hrss-approver1", "share", "approve", filed["request_id"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("request approved: grant 0x")
    assert _status(sharing_city, filed["request_id"]) == 2
    grant_id = result.stdout.split()[3]
    grant = srun.json("grant", "show", grant_id)
    assert grant["basis"] == "OWNER_APPROVAL" and grant["status"] == "LIVE"
    assert grant["subject"] == "0x" + "00" * 20 and grant["grantee"] == "CIVIL"
    assert grant["nonce"] == str(int(filed["request_id"], 16))
    listed = srun.json("share", "list", "--owner", "HRSS")
    assert len(listed) == 1 and set(listed[0]) == REQUEST_KEYS
    assert listed[0]["status"] == "APPROVED" and listed[0]["grant_id"] == grant_id
    again = srun("--key", "hrss-approver2", "share", "approve", filed["request_id"])
    assert_one_line_error(again, 1, "was APPROVED already")


def test_reject_and_list(srun: CityRun, sharing_city: SharingCity) -> None:
    text = srun("--key", "civil-staff", *REQUEST)
    assert text.exit_code == 0, text.stderr
    assert "an APPROVER of HRSS decides before" in text.stdout
    request_id = text.stdout.split()[1]
    data = srun.json("--key", "hrss-approver3", "share", "reject", request_id, "--reason", "no")
    assert set(data) == {"request_id", "tx_hash", "block", "reason_hash", "reason_salt"}
    salt = bytes.fromhex(data["reason_salt"][2:])  # a salted commitment, never keccak256("no")
    assert data["reason_hash"] == "0x" + purpose_commitment("no", salt).hex()
    assert data["reason_hash"] != "0x" + legacy_purpose_hash("no").hex()
    assert _status(sharing_city, request_id) == 3
    other = srun.json("--key", "dpf-staff", *REQUEST, "--deadline", "1h")
    assert [r["status"] for r in srun.json("share", "list")] == ["REJECTED", "PENDING"]
    assert [r["grantee"] for r in srun.json("share", "list", "--grantee", "DPF")] == ["DPF"]
    assert srun.json("share", "list", "--status", "pending")[0]["request_id"] == other["request_id"]
    advance(srun.rpc or "", 7200)
    assert srun.json("share", "list", "--grantee", "DPF")[0]["status"] == "EXPIRED"
    late = srun("--key", "hrss-approver1", "share", "approve", other["request_id"])
    assert_one_line_error(late, 1, "passed its decision deadline")
    lines = srun("share", "list").stdout.splitlines()
    assert "REJECTED" in lines[0] and "CIVIL->HRSS" in lines[0]


def test_refusals(srun: CityRun, sharing_city: SharingCity) -> None:
    unconditional = srun("--key", "civil-staff", *REQUEST[:5], "HRSS.POLICY", *REQUEST[6:])
    assert_one_line_error(unconditional, 1, "HRSS.POLICY is UNCONDITIONAL, not CONDITIONAL")
    not_shared = srun("--key", "civil-staff", *REQUEST[:5], "HRSS.INTERNAL", *REQUEST[6:])
    assert_one_line_error(not_shared, 1, "NOT_SHARED data is never shared")
    unknown = srun("--key", "civil-staff", *REQUEST[:5], "HRSS.NOPE", *REQUEST[6:])
    assert_one_line_error(unknown, 2, "category HRSS.NOPE not found")
    owner = srun("--key", "civil-staff", *REQUEST[:3], "NOPE", *REQUEST[4:])
    assert_one_line_error(owner, 2, "department NOPE not found")
    citizen = srun("--key", "citizen", *REQUEST)
    assert_one_line_error(citizen, 1, "is not an active STAFF member of any department")
    filed = srun.json("--key", "civil-staff", *REQUEST)
    staff = srun("--key", "hrss-staff", "share", "approve", filed["request_id"])
    assert_one_line_error(staff, 1, "is not an active APPROVER of HRSS")
    missing = srun("--key", "hrss-approver1", "share", "reject", "0x" + "00" * 32, "--reason", "x")
    assert_one_line_error(missing, 2, "not found")
    assert_one_line_error(srun("--key", "hrss-approver1", "share", "approve", "0xzz"), 2, "0xzz")
    assert_one_line_error(srun("--key", "nobody", *REQUEST), 2, "key 'nobody' not found")
    deadline = srun("--key", "civil-staff", *REQUEST, "--deadline", "2020-01-01")
    assert_one_line_error(deadline, 2, "decision deadline")


def test_wrong_passphrase(srun: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    assert_one_line_error(srun("--key", "civil-staff", *REQUEST), 2, "wrong passphrase")


def test_devnet_down(offline: Run) -> None:
    assert_one_line_error(offline("share", "list"), 1, "network unavailable")
    assert_one_line_error(offline("--key", "civil-staff", *REQUEST), 1, "network unavailable")
