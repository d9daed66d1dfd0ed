"""`govchain case`: cases routed DPF -> CIVIL -> FINANCE on the reference city, decided by
signed decisions relayed by anyone, on-chain votes, rejection, withdrawal and expiry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from govchain.approval import CaseStatus
from govchain.approval.access import department_status_slot, member_slot
from govchain.approval.cases import (
    Cases,
    SignedDecision,
    comment_commitment,
    documents_root,
    sign_decision,
)
from govchain.approval.messages import ANY_SIGNER
from govchain.audit.privacy import patterns, scan_bytes, scan_chain
from govchain.deploy import department_code
from govchain.identity.messages import schema_uid
from govchain.keystore import Keystore
from govchain.reference import ROLE_APPROVER
from govchain.toolchain.devnet import free_port, rpc
from govchain.tx import Sender
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, Run, assert_one_line_error

ROUTE = ("DPF:1:7d", "CIVIL:2:8d", "FINANCE:2:9d")
CITIZEN = Account.create().address


def open_case(
    city_run: CityRun, tmp_path: Path, *extra: str, route: tuple[str, ...] = ROUTE
) -> dict[str, Any]:
    docs = []
    for name, body in (("application.pdf", b"%PDF subsidy"), ("income.json", b'{"m":1}')):
        path = tmp_path / name
        path.write_bytes(body)
        docs += ["--doc", str(path)]
    steps = [arg for s in route for arg in ("--step", s)]
    return dict(
        city_run.json(
            "--key", "civil-staff", "case", "open", "--citizen", CITIZEN, *steps, *docs, *extra
        )
    )


def open_case_result(city_run: CityRun, tmp_path: Path, *extra: str) -> Any:
    return city_run("--key", "civil-staff", "case", "open", "--citizen", CITIZEN,
                    "--step", "DPF:1:7d", "--documents-hash", "0x" + "22" * 32, *extra)  # fmt: skip


def sign(
    city_run: CityRun, key: str, case_id: str, out: Path, *extra: str, verdict: str = "--approve"
) -> Path:
    result = city_run("--key", key, "case", "sign", case_id, verdict, "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    return out


def sign_step(
    city_run: CityRun, tmp_path: Path, case_id: str, step: int, keys: list[str], *extra: str
) -> list[str]:
    return [
        str(sign(city_run, key, case_id, tmp_path / f"s{step}-{key}.json", *extra)) for key in keys
    ]


def state(city_run: CityRun, case_id: str) -> Any:
    return Cases(city_run.platform.connection).state(bytes.fromhex(case_id[2:]))


def test_three_step_route_approved_by_signed_decisions_issues_the_attestation(
    city_run: CityRun, tmp_path: Path
) -> None:
    city = city_run.platform
    attestations = city.connection.contract("AttestationRegistry")
    fields = bytes(keccak(text="SubsidyGranted(bytes32 caseId)"))
    Sender(city.connection.w3, city.departments["BDB"].admin, city.connection.decoder()).transact(
        attestations.functions.registerSchema(fields, ROLE_APPROVER, b"\0" * 32, True)
    )
    schema = schema_uid(fields, ROLE_APPROVER, b"\0" * 32, True)

    opened = open_case(city_run, tmp_path, "--schema", "0x" + schema.hex())
    case_id = opened["case_id"]
    assert opened["documents"] == ["application.pdf", "income.json"]
    salt = bytes.fromhex(opened["salt"][2:])
    recomputed = documents_root([tmp_path / "income.json", tmp_path / "application.pdf"], salt)
    assert "0x" + recomputed.root.hex() == opened["documents_hash"]
    assert [s["department"] for s in opened["route"]] == ["DPF", "CIVIL", "FINANCE"]

    plan = [
        (0, ["dpf-approver2"]),
        (1, ["civil-approver3", "civil-approver1"]),
        (2, ["finance-approver1", "finance-approver2"]),
    ]
    salt = "0x" + "5a" * 32  # the co-signers of a decision share its comment's salt
    for step, keys in plan:
        files = sign_step(
            city_run, tmp_path, case_id, step, keys, "--comment", "checked", "--comment-salt", salt
        )
        submitted = city_run.json(
            "--key", "hrss-staff", "case", "submit", case_id, str(step), *files
        )
        assert submitted["step"] == step and submitted["tx_hash"].startswith("0x")
    assert submitted["status"] == "approved"
    # the SDK sent the registry slots the signers' check reads as an EIP-2930 access list
    sent = city.connection.w3.eth.get_transaction(submitted["tx_hash"])
    finance = city.departments["FINANCE"]
    registry = city.connection.contract("DepartmentRegistry").address
    [listed] = sent["accessList"]
    assert listed["address"] == registry
    assert sorted(bytes(HexBytes(k)) for k in listed["storageKeys"]) == sorted(
        [department_status_slot(department_code("FINANCE"))]
        + [member_slot(finance.approvers[i].address) for i in (0, 1)]
    )

    shown = city_run.json("case", "show", case_id)
    assert shown["status"] == "approved" and shown["current_step"] == 2
    assert shown["documents_hash"] == opened["documents_hash"]
    assert shown["applicant_citizen"] == CITIZEN and shown["applicant_department"] is None
    assert shown["schema"] == "0x" + schema.hex()
    events = [e["event"] for e in shown["history"]]
    assert events == ["CaseOpened", "StepDecided", "StepDecided", "StepDecided", "CaseApproved"]
    decided = shown["history"][2]
    civil = [city.departments["CIVIL"].approvers[i].address for i in (0, 2)]
    assert decided["signers"] == sorted(civil, key=lambda a: int(a, 16))
    assert decided["submitter"] == city.departments["HRSS"].staff.address
    uid = shown["outcome"]
    assert shown["history"][-1]["attestationUid"] == uid
    record = attestations.functions.getAttestation(bytes.fromhex(uid[2:])).call()
    assert record[1] > 0  # issuedAt: the attestation exists
    assert attestations.functions.isValid(bytes.fromhex(uid[2:])).call()
    text = city_run("case", "show", case_id).stdout
    assert "status     approved" in text
    assert "step 1 (CIVIL) approved by 2 signature(s)" in text
    assert f"case approved; attestation {uid}" in text


def test_show_json_shape_and_text(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    shown = city_run.json("case", "show", case_id)
    assert set(shown) == {
        "case_id", "status", "current_step", "step_count", "approvals", "rejections", "opener",
        "opened_at", "documents_hash", "outcome", "accepting_department", "applicant_citizen",
        "applicant_department", "schema", "attestation_expiry", "attestation_ref_uid",
        "previous_case", "route", "history",
    }  # fmt: skip
    assert shown["status"] == "open" and shown["step_count"] == 3
    assert shown["accepting_department"] == "CIVIL"
    assert shown["opener"] == city_run.platform.departments["CIVIL"].staff.address
    assert set(shown["route"][0]) == {"step", "department", "threshold", "deadline"}
    assert shown["history"][0]["event"] == "CaseOpened"
    text = city_run("case", "show", case_id)
    assert text.exit_code == 0
    assert "open at step 0 (DPF" in text.stdout and "step 2  FINANCE" in text.stdout


def test_signed_decision_file_is_portable_json(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    printed = city_run("--key", "dpf-approver1", "case", "sign", case_id, "--approve")
    assert printed.exit_code == 0, printed.stderr
    data = json.loads(printed.stdout)
    assert data["format"] == "govchain.approval.decision/3"
    assert data["signer"] == city_run.platform.departments["DPF"].approvers[0].address
    assert data["step"] == 0 and data["approve"] is True
    assert data["comment_hash"] == "0x" + "00" * 32
    decision = SignedDecision.from_dict(data)
    assert decision.recovered() == decision.signer
    cases = Cases(city_run.platform.connection)
    # a key signs the decision's one Decision for keys: signer zero
    onchain = cases.decision_hash(
        decision.case_id, 0, True, decision.comment_hash, ANY_SIGNER, decision.deadline
    )
    assert "0x" + onchain.hex() == data["digest"]
    # the default deadline is the step's
    assert data["deadline"] == city_run.json("case", "show", case_id)["route"][0]["deadline"]
    out = tmp_path / "d.json"
    written = city_run.json("--key", "dpf-approver1", "case", "sign", case_id, "--reject",
                            "--comment", "no", "-o", str(out))  # fmt: skip
    assert written["file"] == str(out)
    assert json.loads(out.read_text())["approve"] is False


def test_rejection_closes_the_case_with_the_reason_hash(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    reason = "disability certificate not found"
    out = sign(city_run, "dpf-approver3", case_id, tmp_path / "r.json", "--comment", reason,
               verdict="--reject")  # fmt: skip
    result = city_run.json("--key", "civil-staff", "case", "submit", case_id, "0", str(out))
    assert result["status"] == "rejected"
    salt = json.loads(out.read_text())["comment_salt"]  # kept off chain with the decision
    assert result["outcome"] == "0x" + comment_commitment(bytes.fromhex(salt[2:]), reason).hex()
    assert result["outcome"] != "0x" + keccak(text=reason).hex()  # never the unsalted hash
    shown = city_run.json("case", "show", case_id)
    assert shown["history"][-1]["event"] == "CaseRejected"
    assert shown["history"][-1]["department"] == "0x" + department_code("DPF").hex()
    again = city_run("--key", "civil-staff", "case", "submit", case_id, "0", str(out))
    assert_one_line_error(again, 1, "is closed (rejected)")
    # the applicant re-submits: a new case naming the rejected one
    resubmitted = open_case(city_run, tmp_path, "--previous", case_id)
    assert resubmitted["case_id"] != case_id
    shown = city_run.json("case", "show", resubmitted["case_id"])
    assert shown["previous_case"] == case_id and shown["status"] == "open"
    still_open = open_case_result(city_run, tmp_path, "--previous", resubmitted["case_id"])
    assert_one_line_error(still_open, 1, "is still open, or was approved")


def test_approvers_decide_on_chain(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path, route=("CIVIL:2:7d", "DPF:1:8d"))["case_id"]
    first = city_run.json("--key", "civil-approver1", "case", "decide", case_id, "--approve")
    assert first["status"] == "open" and first["current_step"] == 0
    assert state(city_run, case_id).approvals == 1
    text = city_run("case", "show", case_id).stdout
    assert "votes      1 approve, 0 reject" in text
    assert (
        f"step 0 approved on chain by {city_run.platform.departments['CIVIL'].approvers[0].address}"
        in text
    )
    twice = city_run("--key", "civil-approver1", "case", "decide", case_id, "--approve")
    assert_one_line_error(twice, 1, "already voted on step 0")
    second = city_run.json("--key", "civil-approver2", "case", "decide", case_id, "--approve")
    assert second["current_step"] == 1
    done = city_run("--key", "dpf-approver1", "case", "decide", case_id, "--approve")
    assert done.exit_code == 0 and "approved" in done.stdout
    assert state(city_run, case_id).status == CaseStatus.APPROVED
    outsider = city_run("--key", "hrss-approver1", "case", "decide", case_id, "--approve")
    assert_one_line_error(outsider, 1, "is closed (approved)")


def test_withdraw_by_the_opener_with_a_reason(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    stranger = city_run("--key", "hrss-staff", "case", "withdraw", case_id, "--reason", "x")
    assert_one_line_error(stranger, 1, "is neither the opener nor acting for the applicant")
    result = city_run.json("--key", "civil-staff", "case", "withdraw", case_id,
                           "--reason", "applicant moved away")  # fmt: skip
    assert result["status"] == "withdrawn" and result["tx_hash"].startswith("0x")
    current = state(city_run, case_id)
    assert current.status == CaseStatus.WITHDRAWN
    salt = bytes.fromhex(result["reason_salt"][2:])
    assert current.outcome == comment_commitment(salt, "applicant moved away")
    assert current.history[-1].name == "CaseWithdrawn"


def test_a_department_applicant_withdraws_through_its_staff(
    city_run: CityRun, tmp_path: Path
) -> None:
    opened = city_run.json("--key", "civil-staff", "case", "open", "--applicant-dept", "hrss",
                           "--step", "DPF:1:7d", "--documents-hash", "0x" + "33" * 32)  # fmt: skip
    case_id = opened["case_id"]
    shown = city_run.json("case", "show", case_id)
    assert shown["applicant_department"] == "HRSS" and shown["applicant_citizen"] is None
    assert city_run.json("case", "list", "--dept", "HRSS")[0]["applicant"] == "HRSS"
    city_run.json("--key", "hrss-staff", "case", "withdraw", case_id, "--reason", "duplicate")
    assert state(city_run, case_id).status == CaseStatus.WITHDRAWN


def test_a_wrong_passphrase_is_bad_input(
    city_run: CityRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "wrong")
    result = city_run("--key", "dpf-approver1", "case", "sign", case_id, "--approve")
    assert_one_line_error(result, 2, "wrong passphrase")


def test_a_step_past_its_deadline_expires_the_case(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path, route=("DPF:1:1h", "CIVIL:1:2h"))["case_id"]
    early_file = sign(city_run, "dpf-approver1", case_id, tmp_path / "early.json")
    early = city_run("--key", "hrss-staff", "case", "expire", case_id)
    assert_one_line_error(early, 1, "still within its deadline")
    rpc(city_run.rpc or "", "evm_increaseTime", [2 * 3600])
    rpc(city_run.rpc or "", "evm_mine", [])
    late = city_run("--key", "dpf-approver1", "case", "sign", case_id, "--approve")
    assert_one_line_error(late, 1, "passed its deadline", "case expire")
    relay = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(early_file))
    assert_one_line_error(relay, 1, "passed its deadline")
    result = city_run.json("--key", "hrss-staff", "case", "expire", case_id)
    assert result["status"] == "expired"
    assert state(city_run, case_id).status == CaseStatus.EXPIRED


def test_submit_refuses_bad_signature_sets(city_run: CityRun, tmp_path: Path) -> None:
    city = city_run.platform
    case_id = open_case(city_run, tmp_path, route=("CIVIL:2:7d", "DPF:1:8d"))["case_id"]
    one = sign(city_run, "civil-approver1", case_id, tmp_path / "one.json")
    submit = ("--key", "hrss-staff", "case", "submit", case_id, "0")
    # duplicated signer
    assert_one_line_error(city_run(*submit, str(one), str(one)), 1, "signed step 0 twice")
    # too few
    assert_one_line_error(city_run(*submit, str(one)), 1, "needs 2 approvers' signatures, got 1")
    # signer not an approver of the step's department (signed without the CLI's checks)
    cases = Cases(city.connection)
    base = SignedDecision.load(one)
    foreign = sign_decision(
        city.departments["HRSS"].approvers[0], cases.domain, base.case_id, 0, True,
        base.comment_hash, base.deadline,
    )  # fmt: skip
    (tmp_path / "foreign.json").write_text(foreign.to_json())
    result = city_run(*submit, str(one), str(tmp_path / "foreign.json"))
    assert_one_line_error(result, 1, f"{foreign.signer} is not an active APPROVER of CIVIL")
    # a signature claimed for someone else: it does not recover to the claimed signer
    forged = json.loads(one.read_text())
    forged["signer"] = city.departments["CIVIL"].approvers[1].address
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    result = city_run(*submit, str(one), str(tmp_path / "forged.json"))
    assert_one_line_error(result, 1, "is not theirs")
    # the signing command itself refuses a non-approver
    refused = city_run("--key", "hrss-approver1", "case", "sign", case_id, "--approve")
    assert_one_line_error(refused, 1, "is not an active APPROVER of CIVIL")
    assert state(city_run, case_id).status == CaseStatus.OPEN


def test_submit_refuses_the_wrong_step(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    first = sign(city_run, "dpf-approver1", case_id, tmp_path / "s0.json")
    mislabelled = city_run("--key", "hrss-staff", "case", "submit", case_id, "1", str(first))
    assert_one_line_error(mislabelled, 2, "it is for step 0")
    assert (
        city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(first)).exit_code == 0
    )
    replay = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(first))
    assert_one_line_error(replay, 1, "is for step 0 but step 1 (CIVIL) is open")
    wrong = city_run("--key", "civil-approver1", "case", "sign", case_id, "--approve",
                     "--step", "2")  # fmt: skip
    assert_one_line_error(wrong, 1, "step 2 is not open; step 1 is")


def test_list_by_department_open_and_awaiting(city_run: CityRun, tmp_path: Path) -> None:
    a = open_case(city_run, tmp_path)["case_id"]
    b = open_case(city_run, tmp_path, route=("HRSS:1:7d",))["case_id"]
    city_run.json("--key", "civil-staff", "case", "withdraw", b)
    listed = city_run.json("case", "list")
    ids = [c["case_id"] for c in listed]
    assert a in ids and b in ids
    assert set(listed[0]) == {
        "case_id", "status", "accepting_department", "applicant", "current_step",
        "step_department", "step_deadline", "route", "opened_block", "opener",
    }  # fmt: skip
    assert [c["case_id"] for c in city_run.json("case", "list", "--open")] == [a]
    assert [c["case_id"] for c in city_run.json("case", "list", "--dept", "hrss")] == [b]
    assert [c["case_id"] for c in city_run.json("case", "list", "--awaiting", "DPF")] == [a]
    assert city_run.json("case", "list", "--awaiting", "CIVIL") == []
    text = city_run("case", "list", "--dept", "FINANCE")
    assert text.exit_code == 0 and "DPF>CIVIL>FINANCE" in text.stdout


def test_hash_matches_the_contract(city_run: CityRun, tmp_path: Path) -> None:
    case_id = "0x" + "ab" * 32
    salt = b"\x07" * 32
    data = city_run.json("case", "hash", case_id, "1", "--reject", "--comment", "late",
                         "--comment-salt", "0x" + salt.hex(), "--deadline", "1900000000")  # fmt: skip
    assert data["match"] is True and data["digest"] == data["local_digest"]
    # the one Decision every approver's key signs: signer zero
    assert data["signer"] == ANY_SIGNER and data["wallet"] is False
    late = comment_commitment(salt, "late")
    assert data["comment_hash"] == "0x" + late.hex() and data["comment_salt"] == "0x" + salt.hex()
    assert data["deadline"] == 1_900_000_000 and data["approve"] is False
    cases = Cases(city_run.platform.connection)
    assert (
        data["digest"]
        == "0x"
        + cases.decision_hash(
            bytes.fromhex("ab" * 32), 1, False, late, ANY_SIGNER, 1_900_000_000
        ).hex()
    )
    # R2-5: a wallet's Decision names the wallet, so its digest is another
    other = city_run.json("case", "hash", case_id, "1", "--reject", "--comment", "late",
                          "--comment-salt", "0x" + salt.hex(), "--deadline", "1900000000",
                          "--wallet", CITIZEN)  # fmt: skip
    assert other["digest"] != data["digest"] and other["match"] is True
    assert other["signer"] == CITIZEN and other["wallet"] is True


def test_open_refuses_a_non_staff_key(city_run: CityRun, tmp_path: Path) -> None:
    result = city_run("--key", "dpf-approver1", "case", "open", "--dept", "CIVIL",
                      "--citizen", CITIZEN, "--step", "DPF:1:7d",
                      "--documents-hash", "0x" + "11" * 32)  # fmt: skip
    assert_one_line_error(result, 1, "is not an active STAFF member of CIVIL")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["case", "show", "0x1234"], ["expected 32 bytes"]),
        (["case", "show", "0x" + "00" * 32], ["not found"]),
        (["--key", "civil-staff", "case", "open", "--citizen", "0x123", "--step", "DPF:1:7d",
          "--documents-hash", "0x" + "11" * 32], ["address"]),
        (["--key", "civil-staff", "case", "open", "--citizen", CITIZEN, "--step", "NOPE:1:7d",
          "--documents-hash", "0x" + "11" * 32], ["department NOPE not found"]),
        (["--key", "civil-staff", "case", "open", "--citizen", CITIZEN, "--step", "DPF:1:soon",
          "--documents-hash", "0x" + "11" * 32], ["expected a duration"]),
        (["--key", "civil-staff", "case", "open", "--citizen", CITIZEN, "--step", "DPF:x:7d",
          "--documents-hash", "0x" + "11" * 32], ["DEPT:K:WHEN"]),
        (["--key", "civil-staff", "case", "open", "--step", "DPF:1:7d",
          "--documents-hash", "0x" + "11" * 32], ["name one applicant"]),
        (["--key", "nobody", "case", "open", "--citizen", CITIZEN, "--step", "DPF:1:7d",
          "--documents-hash", "0x" + "11" * 32], ["nobody"]),
        (["--key", "dpf-approver1", "case", "sign", "0x" + "00" * 32], ["--approve or --reject"]),
        (["case", "list", "--dept", "NOPE"], ["department NOPE not found"]),
        (["case", "hash", "0x" + "00" * 32, "0", "--approve", "--deadline", "tomorrow",
          "--wallet", CITIZEN], ["expected a duration"]),
        (["case", "hash", "0x" + "00" * 32, "0", "--approve", "--deadline", "1d",
          "--wallet", "0x12"], ["address"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(
    city_run: CityRun, args: list[str], fragments: list[str]
) -> None:
    assert_one_line_error(city_run(*args), 2, *fragments)


def test_a_signature_file_that_is_not_a_decision(city_run: CityRun, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    case_id = "0x" + "00" * 32
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "not JSON")
    bad.write_text(json.dumps({"format": "something else"}))
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "govchain.approval.decision/3")
    # files of the older formats: no signer field (/1), each key naming itself (/2, 85-byte entries)
    bad.write_text(json.dumps({"format": "govchain.approval.decision/1"}))
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "no longer accepts; sign the decision again")
    bad.write_text(json.dumps({"format": "govchain.approval.decision/2", "signer": CITIZEN}))
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "each key's decision named the key", "sign the decision again")
    # a file that does not say which signer its signature is for, or says it badly
    base = {"format": "govchain.approval.decision/3", "chain_id": 1, "step": 0, "deadline": 1,
            "approve": True, "contract": CITIZEN, "case_id": case_id,
            "comment_hash": "0x" + "00" * 32, "signature": "0x" + "11" * 65}  # fmt: skip
    bad.write_text(json.dumps(base))
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "missing or malformed field 'signer'")
    bad.write_text(json.dumps({**base, "signer": "0x1234"}))
    result = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(bad))
    assert_one_line_error(result, 2, "0x1234")
    missing = city_run("--key", "hrss-staff", "case", "submit", case_id, "0", str(tmp_path / "no"))
    assert_one_line_error(missing, 2, "No such file")


def test_devnet_not_running(offline: Run) -> None:
    result = offline("case", "show", "0x" + "00" * 32)
    assert_one_line_error(result, 1, "network unavailable")
    result = offline("case", "list")
    assert_one_line_error(result, 1, "network unavailable")


def test_documents_root_is_order_free_and_salted(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "b.txt").write_bytes(b"b")
    salt = b"\x01" * 32
    one = documents_root([tmp_path / "a.txt", tmp_path / "b.txt"], salt)
    two = documents_root([tmp_path / "b.txt", tmp_path / "a.txt"], salt)
    assert one.root == two.root and one.files == ("a.txt", "b.txt")
    assert documents_root([tmp_path / "a.txt", tmp_path / "b.txt"], b"\x02" * 32).root != one.root


def test_sign_offline_needs_no_node_and_submits(city_run: CityRun, tmp_path: Path) -> None:
    case_id = open_case(city_run, tmp_path)["case_id"]
    deadline = city_run.json("case", "show", case_id)["route"][0]["deadline"]
    online = sign(city_run, "dpf-approver1", case_id, tmp_path / "online.json")
    dead = f"http://127.0.0.1:{free_port()}"
    chain_id = str(city_run.platform.connection.chain_id)
    args = ["--rpc", dead, "--chain-id", chain_id, "--key", "dpf-approver1", "case", "sign",
            case_id, "--approve", "--offline", "--step", "0",
            "--deadline", str(deadline)]  # fmt: skip
    result = city_run(*args, rpc_url=False)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(online.read_text())
    (tmp_path / "offline.json").write_text(result.stdout)
    done = city_run.json("--key", "hrss-staff", "case", "submit", case_id, "0",
                         str(tmp_path / "offline.json"))  # fmt: skip
    assert done["current_step"] == 1
    incomplete = city_run(*[a for a in args if a != "--chain-id" and a != chain_id], rpc_url=False)
    assert_one_line_error(incomplete, 2, "--offline needs")


def test_a_department_wallet_signs_through_erc1271(city_run: CityRun, tmp_path: Path) -> None:
    city = city_run.platform
    connection = city.connection
    owner, stranger = Account.create(), Account.create()
    keystore = Keystore(city_run.home, kdf="pbkdf2", iterations=2)
    for name, account in (("wallet-owner", owner), ("wallet-stranger", stranger)):
        if keystore.exists(name):
            keystore.path(name).unlink()
        keystore.new(name, CITY_PASSPHRASE, private_key=account.key)
    dpf = city.departments["DPF"]
    deployer = Sender(connection.w3, dpf.admin, connection.decoder())
    artifacts = connection.artifacts
    receipt = deployer.deploy(
        artifacts.abi("TestContractWallet"), artifacts.bytecode("TestContractWallet"), owner.address
    )
    wallet = receipt["contractAddress"]
    registry = connection.contract("DepartmentRegistry")
    deployer.transact(registry.functions.addMember(wallet, ROLE_APPROVER))
    # The wallet accepts the offer itself: its owner makes it call acceptMembership.
    deployer.send({"to": owner.address, "value": 10**17})
    dpf_code = department_code("DPF")
    accept = registry.functions.acceptMembership(dpf_code)._encode_transaction_data()
    wallet_contract = connection.w3.eth.contract(
        address=wallet, abi=artifacts.abi("TestContractWallet")
    )
    Sender(connection.w3, owner, connection.decoder()).transact(
        wallet_contract.functions.execute(registry.address, accept)
    )

    case_id = open_case(city_run, tmp_path)["case_id"]
    refused = city_run("--key", "wallet-stranger", "case", "sign", case_id, "--approve",
                       "--wallet", wallet)  # fmt: skip
    assert_one_line_error(refused, 1, f"wallet {wallet} does not accept this signature")
    out = sign(city_run, "wallet-owner", case_id, tmp_path / "w.json", "--wallet", wallet)
    data = json.loads(out.read_text())
    assert data["signer"] == wallet and data["erc1271"] is True
    done = city_run.json("--key", "hrss-staff", "case", "submit", case_id, "0", str(out))
    assert done["current_step"] == 1
    decided = city_run.json("case", "show", case_id)["history"][-1]
    assert decided["event"] == "StepDecided" and decided["signers"] == [wallet]


def test_a_comment_goes_on_chain_only_as_a_salted_commitment(
    city_run: CityRun, tmp_path: Path
) -> None:
    """An approver types a phone number as a comment: the privacy scanner, which finds the
    unsalted hash the CLI used to put on chain, finds nothing in the vote or the withdrawal."""
    phone = "13800138000"
    assert scan_bytes(keccak(text=phone), patterns([phone]))  # the old encoding is caught
    w3 = city_run.platform.connection.w3
    start = w3.eth.block_number + 1
    case_id = open_case(city_run, tmp_path, route=("CIVIL:2:7d",))["case_id"]
    voted = city_run.json("--key", "civil-approver1", "case", "decide", case_id, "--reject",
                          "--comment", phone)  # fmt: skip
    salt = bytes.fromhex(voted["comment_salt"][2:])
    assert len(salt) == 32
    withdrawn = city_run.json("--key", "civil-staff", "case", "withdraw", case_id,
                              "--reason", phone)  # fmt: skip
    assert withdrawn["reason_salt"] != voted["comment_salt"]  # a fresh salt each time
    assert scan_chain(w3, [phone], from_block=start) == []
    assert state(city_run, case_id).outcome == comment_commitment(
        bytes.fromhex(withdrawn["reason_salt"][2:]), phone
    )


def test_a_schema_case_without_a_step_of_the_issuing_department_is_refused(
    city_run: CityRun, tmp_path: Path
) -> None:
    """H-1 through the CLI: refused before sending, in plain words."""
    city = city_run.platform
    attestations = city.connection.contract("AttestationRegistry")
    fields = bytes(keccak(text="Granted(bytes32 caseId)"))
    Sender(city.connection.w3, city.departments["BDB"].admin, city.connection.decoder()).transact(
        attestations.functions.registerSchema(fields, ROLE_APPROVER, b"\0" * 32, True)
    )
    schema = "0x" + schema_uid(fields, ROLE_APPROVER, b"\0" * 32, True).hex()
    result = open_case_result(city_run, tmp_path, "--schema", schema)
    assert_one_line_error(result, 1, "the route has no step of CIVIL")
