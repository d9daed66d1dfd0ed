"""`govchain council`: proposals, approvals on chain and by signature, execution, reads."""

from __future__ import annotations

from typing import Any

from eth_account import Account

from govchain.deploy import department_code
from govchain.reference import COUNCIL
from tests.cli.conftest import CityRun, Run, assert_one_line_error, new_key

NEW = "TAX"


def propose_department(city_run: CityRun) -> str:
    """TAX applies with a fresh admin key; returns that key's address."""
    key, admin = new_key(city_run, "tax-admin")
    result = city_run(
        "--key", key, "dept", "propose", NEW, "--name", "Tax Bureau", "--region", "330100",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return admin


def propose(city_run: CityRun, *args: str, key: str = "bdb-admin") -> dict[str, Any]:
    data: dict[str, Any] = city_run.json("--key", key, "council", "propose", *args)
    return data


def status(city_run: CityRun, code: str) -> int:
    registry = city_run.platform.connection.contract("DepartmentRegistry")
    return int(registry.functions.departmentStatus(department_code(code)).call())


def test_a_new_department_is_admitted_with_a_signature_collected_off_chain(
    city_run: CityRun,
) -> None:
    propose_department(city_run)
    assert status(city_run, NEW) == 1  # Proposed
    made = propose(city_run, "admit", NEW, "--expires", "3d")
    assert made["action"] == "admit TAX"
    pid = made["id"]

    # a second member signs offline; anyone (here a staff key) submits the signature
    signed = city_run.json("--key", "psb-admin", "council", "sign", pid)
    psb = city_run.platform.departments["PSB"].admin.address
    assert signed["signer"] == psb and signed["token"].startswith(psb + ":0x")
    shown = city_run.json("council", "show", pid)
    assert shown["approvals"] == 1 and shown["state"] == "open"  # signing sent nothing

    submitted = city_run.json(
        "--key", "civil-staff", "council", "approve", pid, "--signature", signed["token"]
    )
    assert submitted["approvers"] == [psb] and submitted["tx_hash"].startswith("0x")
    shown = city_run.json("council", "show", pid)
    assert shown["state"] == "ready" and psb in shown["approvers"]

    executed = city_run("--key", "civil-staff", "council", "execute", pid)
    assert executed.exit_code == 0, executed.stderr
    assert "executed" in executed.stdout and "admit TAX" in executed.stdout
    assert status(city_run, NEW) == 2  # Active
    assert city_run.json("dept", "show", NEW)["status"] == "Active"
    assert city_run.json("council", "show", pid)["state"] == "executed"


def test_suspend_by_on_chain_approvals_and_listing(city_run: CityRun) -> None:
    made = propose(city_run, "suspend", "housing")
    approved = city_run.json("--key", "hrss-admin", "council", "approve", made["id"])
    assert approved["approvers"] == [city_run.platform.departments["HRSS"].admin.address]
    listed = city_run.json("council", "list", "--open")
    assert [p["id"] for p in listed] == [made["id"]]
    assert set(listed[0]) >= {"id", "action", "state", "approvals", "threshold", "expires_at"}
    text = city_run("council", "list")
    assert "suspend HOUSING" in text.stdout and "ready" in text.stdout
    assert city_run("--key", "hrss-admin", "council", "execute", made["id"]).exit_code == 0
    assert status(city_run, "HOUSING") == 3  # Suspended
    assert city_run.json("council", "list", "--open") == []


def test_replace_admin_of_a_department(city_run: CityRun) -> None:
    new_admin = Account.create().address
    old = city_run.platform.departments["DPF"].admin.address
    made = propose(city_run, "replace-admin", "DPF", "--old", "dpf-admin", "--new", new_admin)
    assert made["action"] == f"replace-admin DPF {old} -> {new_admin}"
    city_run.json("--key", "psb-admin", "council", "approve", made["id"])
    city_run.json("--key", "psb-admin", "council", "execute", made["id"])
    members = city_run.json("dept", "members", "DPF")
    accounts = {m["account"]: m["role_names"] for m in members}
    assert accounts[new_admin] == ["admin"] and old not in accounts


def test_council_removes_and_marks_compromised_a_key_of_a_suspended_department(
    city_run: CityRun,
) -> None:
    keys = city_run.platform.departments["HOUSING"]
    made = propose(city_run, "suspend", "HOUSING")
    city_run.json("--key", "psb-admin", "council", "approve", made["id"])
    city_run.json("--key", "psb-admin", "council", "execute", made["id"])
    removal = propose(city_run, "remove-member", "housing-staff")
    assert removal["action"] == f"remove-member {keys.staff.address} from HOUSING"
    city_run.json("--key", "psb-admin", "council", "approve", removal["id"])
    city_run.json("--key", "psb-admin", "council", "execute", removal["id"])
    assert city_run.json("dept", "whois", "housing-staff")["department"] is None
    mark = propose(city_run, "mark-compromised", "housing-approver1")
    assert mark["action"] == f"mark-compromised {keys.approvers[0].address}"
    city_run.json("--key", "psb-admin", "council", "approve", mark["id"])
    city_run.json("--key", "psb-admin", "council", "execute", mark["id"])
    again = city_run("--key", "bdb-admin", "council", "propose", "mark-compromised",
                     "housing-approver1")  # fmt: skip
    assert_one_line_error(again, 1, "marked compromised already")


def test_cancel_and_withdraw(city_run: CityRun) -> None:
    made = propose(city_run, "suspend", "HOUSING")
    city_run.json("--key", "psb-admin", "council", "approve", made["id"])
    withdrawn = city_run.json("--key", "psb-admin", "council", "withdraw", made["id"])
    assert withdrawn["member"] == city_run.platform.departments["PSB"].admin.address
    assert city_run.json("council", "show", made["id"])["approvals"] == 1
    not_proposer = city_run("--key", "psb-admin", "council", "cancel", made["id"])
    assert_one_line_error(not_proposer, 1, "only the proposer")
    cancelled = city_run.json("--key", "bdb-admin", "council", "cancel", made["id"])
    assert cancelled["state"] == "cancelled"
    assert city_run.json("council", "show", made["id"])["state"] == "cancelled"
    late = city_run("--key", "psb-admin", "council", "approve", made["id"])
    assert_one_line_error(late, 1, "was cancelled")


def test_members_lists_the_council(city_run: CityRun) -> None:
    data = city_run.json("council", "members")
    assert data == {
        "members": [city_run.platform.departments[c].admin.address for c in COUNCIL],
        "threshold": 2,
    }
    assert "threshold 2 of 3" in city_run("council", "members").stdout


# --- refusals -------------------------------------------------------------------------------


def test_an_unknown_department_is_refused_before_sending(city_run: CityRun) -> None:
    result = city_run("--key", "bdb-admin", "council", "propose", "admit", "NOSUCH")
    assert_one_line_error(result, 2, "department NOSUCH not found")
    assert city_run.json("council", "list") == []


def test_a_malformed_department_code_or_address_is_bad_input(city_run: CityRun) -> None:
    too_long = "X" * 33
    assert_one_line_error(
        city_run("--key", "bdb-admin", "council", "propose", "admit", too_long), 2, "1 to 29"
    )
    result = city_run(
        "--key", "bdb-admin", "council", "propose", "replace-admin", "DPF", "--new", "0x1234"
    )
    assert_one_line_error(result, 2, "0x1234")
    assert_one_line_error(city_run("council", "show", "0x12"), 2, "32 bytes")


def test_a_non_member_may_not_propose(city_run: CityRun) -> None:
    result = city_run("--key", "civil-admin", "council", "propose", "suspend", "HRSS")
    admin = city_run.platform.departments["CIVIL"].admin.address
    assert_one_line_error(result, 1, f"{admin} is not a council member")


def test_approving_twice_and_executing_too_early_are_refused(city_run: CityRun) -> None:
    made = propose(city_run, "suspend", "HOUSING")
    bdb = city_run.platform.departments["BDB"].admin.address
    again = city_run("--key", "bdb-admin", "council", "approve", made["id"])
    assert_one_line_error(again, 1, f"{bdb} approved proposal {made['id']} already")
    early = city_run("--key", "bdb-admin", "council", "execute", made["id"])
    assert_one_line_error(early, 1, "has 1 of the 2 approvals it needs")


def test_a_signature_by_someone_else_is_refused(city_run: CityRun) -> None:
    made = propose(city_run, "suspend", "HOUSING")
    signed = city_run.json("--key", "psb-admin", "council", "sign", made["id"])
    forged = city_run.platform.departments["HRSS"].admin.address + ":" + signed["signature"]
    result = city_run(
        "--key", "civil-staff", "council", "approve", made["id"], "--signature", forged
    )
    assert_one_line_error(result, 1, "is not its approval")
    garbled = city_run(
        "--key", "civil-staff", "council", "approve", made["id"], "--signature", "nonsense"
    )
    assert_one_line_error(garbled, 2, "SIGNER:0xSIGNATURE")


def test_expiry_beyond_thirty_days_and_expired_proposals(city_run: CityRun) -> None:
    far = city_run(
        "--key", "bdb-admin", "council", "propose", "suspend", "HOUSING", "--expires", "31d"
    )
    assert_one_line_error(far, 1, "more than 30 days ahead")
    bad = city_run(
        "--key", "bdb-admin", "council", "propose", "suspend", "HOUSING", "--expires", "soon"
    )
    assert_one_line_error(bad, 2, "expected a duration")
    made = propose(city_run, "suspend", "HOUSING", "--expires", "1h")
    city_run.platform.connection.w3.provider.make_request("evm_increaseTime", [7200])  # type: ignore[arg-type]
    city_run.platform.connection.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert city_run.json("council", "show", made["id"])["state"] == "expired"
    late = city_run("--key", "psb-admin", "council", "approve", made["id"])
    assert_one_line_error(late, 1, "expired at")


def test_an_unknown_proposal_and_a_missing_key(city_run: CityRun) -> None:
    unknown = "0x" + "ab" * 32
    assert_one_line_error(city_run("council", "show", unknown), 2, "council proposal", "not found")
    missing = city_run("--key", "nobody", "council", "approve", unknown)
    assert_one_line_error(missing, 2, "nobody")
    no_key = city_run("council", "propose", "admit", "HRSS")
    assert_one_line_error(no_key, 2, "--key")


def test_devnet_not_running(offline: Run) -> None:
    assert_one_line_error(offline("council", "list"), 1, "network unavailable")
    assert_one_line_error(offline("council", "members"), 1, "network unavailable")


def test_json_shapes_of_sign_and_show(city_run: CityRun) -> None:
    made = propose(city_run, "retire", "DPF")
    signed = city_run.json("--key", "hrss-admin", "council", "sign", made["id"])
    assert set(signed) == {"proposal", "signer", "signature", "token"}
    assert len(bytes.fromhex(signed["signature"][2:])) == 65
    shown = city_run.json("council", "show", made["id"])
    assert set(shown) == {
        "id", "action", "target", "data", "expiry", "expires_at", "proposer", "approvals",
        "threshold", "approvers", "executed", "cancelled", "state",
    }  # fmt: skip
