"""`govchain objection file|list|show|decide|withdraw`, `govchain audit objections` and the
citizen's trail, against the deployed reference city (deploy_all deploys ObjectionRegistry).

Also the privacy rule: the reasons (objection and rejection) never reach the chain, in any
encoding the privacy scanner knows, including their unsalted hashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account

from govchain.audit.privacy import scan_chain
from govchain.services.objections import reason_commitment
from govchain.toolchain.devnet import rpc
from tests.cli.conftest import CityRun, assert_one_line_error, new_key

REASON = "The household register lists me at Wenyi Road 88, I moved to Tianmushan Road 3 in 2024"
REJECTION = "Our register was updated from your own declaration of 2024-03-01; no change needed"


def _attested(city_run: CityRun, citizen: str) -> str:
    fields = (
        "--fields",
        "Household(bytes32 commitment)",
        "--roles",
        "staff,approver",
        "--dept",
        "PSB",
    )
    listed = city_run.json("attest", "schema", "list")
    wanted = [s["uid"] for s in listed if s["department"] == "PSB" and s["role_mask"] == 3]
    schema = (
        wanted[0]
        if wanted
        else city_run.json("--key", "psb-admin", "attest", "schema", "register", *fields)["uid"]
    )
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", citizen, "--schema", schema, "--data", "household 7",
    )  # fmt: skip
    return str(made["uid"])


def _decide(city_run: CityRun, tmp: Path, oid: str, keys: list[str], *verdict: str) -> Any:
    """``keys[0]`` signs ``verdict``, the others co-sign its file, ``keys[0]`` relays them."""
    files = []
    for i, key in enumerate(keys):
        out = tmp / f"{oid[:10]}-{key}.json"
        how = verdict if i == 0 else ("--like", str(files[0]))
        city_run.json("--key", key, "objection", "sign", oid, *how, "-o", str(out))
        files.append(out)
    args = [a for f in files for a in ("--signatures", str(f))]
    return city_run.json("--key", keys[0], "objection", "decide", oid, *args)


def test_citizen_files_department_decides_and_the_trail_shows_it(
    city_run: CityRun, tmp_path: Path
) -> None:
    start = city_run.platform.connection.w3.eth.block_number + 1
    alice, alice_address = new_key(city_run, "alice")
    uid = _attested(city_run, alice_address)

    filed = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid, "--reason", REASON
    )
    oid = filed["id"]
    assert (
        filed["state"] == "open" and filed["owner"] == "PSB" and filed["subject"] == alice_address
    )
    salt = bytes.fromhex(filed["salt"][2:])
    assert filed["reason_commitment"] == "0x" + reason_commitment(salt, REASON).hex()

    listed = city_run.json("objection", "list", "--for", alice_address)
    assert [o["id"] for o in listed] == [oid]
    assert [
        o["id"] for o in city_run.json("objection", "list", "--dept", "PSB", "--state", "open")
    ] == [oid]
    assert city_run.json("objection", "list", "--dept", "HRSS") == []

    # a department that does not own the attestation cannot sign its decision
    wrong = city_run(
        "--key", "hrss-approver1", "objection", "sign", oid, "--reject", "--reason", "no"
    )
    assert_one_line_error(wrong, 1, "not for PSB")
    # staff are not approvers
    staff = city_run("--key", "psb-staff", "objection", "sign", oid, "--reject", "--reason", "no")
    assert_one_line_error(staff, 1, "is not an APPROVER of PSB")
    # upheld only once the attestation is revoked
    early = city_run("--key", "psb-approver1", "objection", "sign", oid, "--uphold")
    assert_one_line_error(early, 1, "revoke it before upholding")
    city_run.json("--key", "psb-approver1", "attest", "revoke", uid)
    # one approver's signature is not a decision (SIGNATURES = 2)
    alone = tmp_path / "alone.json"
    city_run.json("--key", "psb-approver1", "objection", "sign", oid, "--uphold", "-o", str(alone))
    one = city_run("--key", "psb-approver1", "objection", "decide", oid, "--signatures", str(alone))
    assert_one_line_error(one, 1, "needs exactly 2 approvers' signatures, 1 were given")
    twice = city_run(
        "--key", "psb-approver1", "objection", "decide", oid,
        "--signatures", str(alone), "--signatures", str(alone),
    )  # fmt: skip
    assert_one_line_error(twice, 2, "signs twice")
    upheld = _decide(city_run, tmp_path, oid, ["psb-approver1", "psb-approver2"], "--uphold")
    assert upheld["state"] == "upheld"
    again = city_run(
        "--key", "psb-approver2", "objection", "sign", oid, "--reject", "--reason", "x"
    )
    assert_one_line_error(again, 1, "is not open")

    shown = city_run.json("objection", "show", oid)
    assert shown["state"] == "upheld" and shown["reason_text"] == REASON
    assert shown["reason_matches_chain"] is True

    # a second objection, rejected with a reason kept off chain
    uid2 = _attested(city_run, alice_address)
    oid2 = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid2, "--reason", REASON
    )["id"]
    keys = ["psb-approver2", "psb-approver3"]
    rejected = _decide(city_run, tmp_path, oid2, keys, "--reject", "--reason", REJECTION)
    assert rejected["state"] == "rejected"
    assert city_run.json("objection", "show", oid2)["signers"]
    shown2 = city_run.json("objection", "show", oid2)
    assert shown2["rejection_text"] == REJECTION and shown2["rejection_matches_chain"] is True

    trail = city_run.json("--key", alice, "citizen", "trail")
    assert [(o["id"], o["state"]) for o in trail["objections"]] == [
        (oid, "upheld"),
        (oid2, "rejected"),
    ]
    assert "upheld" in city_run("--key", alice, "citizen", "trail").stdout

    # nothing of either reason is on chain, not even as an unsalted hash
    hits = scan_chain(city_run.platform.connection.w3, [REASON, REJECTION], from_block=start)
    assert hits == []


def test_only_the_subject_or_her_agent_files(city_run: CityRun) -> None:
    _alice, alice_address = new_key(city_run, "alice")
    bob, _ = new_key(city_run, "bob")
    uid = _attested(city_run, alice_address)
    result = city_run(
        "--key", bob, "objection", "file", "--attestation", uid, "--reason", "x", "--for", alice_address
    )  # fmt: skip
    assert_one_line_error(result, 1, "is neither the owner key")
    # an attestation about someone else
    other = _attested(city_run, Account.create().address)
    result = city_run("--key", bob, "objection", "file", "--attestation", other, "--reason", "x")
    assert_one_line_error(result, 1, "is not about")


def test_audit_lists_overdue_objections_and_exits_non_zero(
    city_run: CityRun, tmp_path: Path
) -> None:
    alice, alice_address = new_key(city_run, "alice")
    uid = _attested(city_run, alice_address)
    clean = city_run("audit", "objections")
    assert clean.exit_code == 0 and "no overdue objections" in clean.stdout
    oid = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid, "--reason", REASON
    )["id"]
    assert city_run("audit", "objections").exit_code == 0  # 15 days to go
    rpc(city_run.rpc or "", "evm_increaseTime", [15 * 86_400 + 1])
    rpc(city_run.rpc or "", "evm_mine", [])
    overdue = city_run("audit", "objections")
    assert overdue.exit_code == 1, overdue.stderr
    assert f"OVERDUE {oid}" in overdue.stdout and "PSB" in overdue.stdout
    assert city_run("audit", "objections", "--dept", "HRSS").exit_code == 0
    # deciding late is still deciding: the audit is clean again
    keys = ["psb-approver3", "psb-approver1"]
    _decide(city_run, tmp_path, oid, keys, "--reject", "--reason", REJECTION)
    assert city_run("audit", "objections").exit_code == 0


def test_withdraw_and_bad_input(city_run: CityRun) -> None:
    alice, alice_address = new_key(city_run, "alice")
    uid = _attested(city_run, alice_address)
    oid = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid, "--reason", REASON
    )["id"]
    assert city_run.json("--key", alice, "objection", "withdraw", oid)["state"] == "withdrawn"
    assert city_run.json("objection", "show", oid)["state"] == "withdrawn"
    missing = city_run("objection", "show", "0x" + "44" * 32)
    assert_one_line_error(missing, 2, "not found")
    no_target = city_run("--key", alice, "objection", "file", "--reason", "x")
    assert no_target.exit_code == 2 and "Traceback" not in no_target.stderr
    no_verdict = city_run("--key", "psb-approver1", "objection", "sign", oid)
    assert no_verdict.exit_code == 2 and "choose --uphold, --reject or --like" in no_verdict.stderr
    no_files = city_run("--key", "psb-approver1", "objection", "decide", oid)
    assert no_files.exit_code == 2 and "give --signatures FILE" in no_files.stderr
