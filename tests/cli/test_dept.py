"""`govchain dept`: discovery, members, and what a department's ADMIN may change."""

from __future__ import annotations

import pytest
from eth_account import Account

from govchain.deploy import department_code
from govchain.reference import DEPARTMENTS
from tests.cli.conftest import CityRun, Run, assert_one_line_error, new_key


def registry(city_run: CityRun):  # type: ignore[no-untyped-def]
    return city_run.platform.connection.contract("DepartmentRegistry")


def roles_of(city_run: CityRun, code: str, address: str) -> int:
    return int(registry(city_run).functions.rolesOf(department_code(code), address).call())


def test_list_and_show(city_run: CityRun) -> None:
    listed = city_run.json("dept", "list")
    assert [d["code"] for d in listed] == [d.code for d in DEPARTMENTS]
    assert all(d["status"] == "Active" for d in listed)
    shown = city_run.json("dept", "show", "hrss")
    assert set(shown) == {
        "code", "code_hex", "name", "region", "status", "endpoint", "metadata_hash", "admin_count",
    }  # fmt: skip
    assert shown["code"] == "HRSS" and shown["region"] == 330100 and shown["admin_count"] == 1
    assert shown["code_hex"] == "0x" + department_code("HRSS").hex()
    text = city_run("dept", "show", "HRSS").stdout
    assert "Human Resources and Social Security Bureau" in text and "Active" in text


def test_members_lists_current_keys_and_roles(city_run: CityRun) -> None:
    keys = city_run.platform.departments["CIVIL"]
    members = city_run.json("dept", "members", "CIVIL")
    by_account = {m["account"]: m["role_names"] for m in members}
    assert by_account[keys.admin.address] == ["admin"]
    assert by_account[keys.staff.address] == ["staff"]
    assert by_account[keys.auditor.address] == ["auditor"]
    assert all(by_account[a.address] == ["approver"] for a in keys.approvers)
    assert len(members) == 6
    assert set(members[0]) == {"account", "roles", "role_names"}


def test_add_set_roles_and_remove_a_member(city_run: CityRun) -> None:
    key, newcomer = new_key(city_run, "civil-newcomer")
    added = city_run.json(
        "--key", "civil-admin", "dept", "add-member", newcomer, "--role", "staff,approver"
    )
    assert added["roles"] == 3 and added["tx_hash"].startswith("0x")
    assert added["status"] == "offered" and added["department"] == "CIVIL"
    assert roles_of(city_run, "CIVIL", newcomer) == 0  # not without the key's consent (L-3)
    accepted = city_run.json("--key", key, "dept", "accept", "CIVIL")
    assert accepted["roles"] == 3 and accepted["department"] == "CIVIL"
    assert roles_of(city_run, "CIVIL", newcomer) == 3
    assert newcomer in [m["account"] for m in city_run.json("dept", "members", "CIVIL")]

    changed = city_run("--key", "civil-admin", "dept", "set-roles", newcomer, "--role", "auditor")
    assert changed.exit_code == 0 and "tx 0x" in changed.stdout
    assert roles_of(city_run, "CIVIL", newcomer) == 8

    who = city_run.json("dept", "whois", newcomer)
    assert who == {
        "account": newcomer, "department": "CIVIL", "roles": 8, "role_names": ["auditor"],
        "active": True,
    }  # fmt: skip

    removed = city_run("--key", "civil-admin", "dept", "remove-member", newcomer)
    assert removed.exit_code == 0, removed.stderr
    assert roles_of(city_run, "CIVIL", newcomer) == 0
    assert newcomer not in [m["account"] for m in city_run.json("dept", "members", "CIVIL")]


def test_set_endpoint_and_metadata(city_run: CityRun) -> None:
    url = "https://node.hrss.example:8443"
    assert city_run.json("--key", "hrss-admin", "dept", "set-endpoint", url)["endpoint"] == url
    digest = "0x" + "5a" * 32
    city_run.json("--key", "hrss-admin", "dept", "set-metadata", digest)
    shown = city_run.json("dept", "show", "HRSS")
    assert shown["endpoint"] == url and shown["metadata_hash"] == digest


def test_propose_a_department(city_run: CityRun) -> None:
    key, admin = new_key(city_run, "edu-admin")
    data = city_run.json(
        "--key", key, "dept", "propose", "EDU", "--name", "Education Bureau",
        "--region", "330102", "--endpoint", "http://edu.example",
    )  # fmt: skip
    assert data["code"] == "EDU" and data["status"] == "Proposed"
    shown = city_run.json("dept", "show", "EDU")
    assert shown["status"] == "Proposed" and shown["endpoint"] == "http://edu.example"
    assert [m["account"] for m in city_run.json("dept", "members", "EDU")] == [admin]


# --- refusals -------------------------------------------------------------------------------


def test_unknown_department_and_malformed_address(city_run: CityRun) -> None:
    assert_one_line_error(city_run("dept", "show", "NOSUCH"), 2, "department NOSUCH not found")
    assert_one_line_error(city_run("dept", "members", "NOSUCH"), 2, "NOSUCH")
    bad = city_run("--key", "civil-admin", "dept", "add-member", "0xnothex", "--role", "staff")
    assert_one_line_error(bad, 2, "0xnothex")
    role = city_run("--key", "civil-admin", "dept", "add-member", "civil-staff", "--role", "chief")
    assert_one_line_error(role, 2, "chief")
    none = city_run("--key", "civil-admin", "dept", "add-member", Account.create().address)
    assert_one_line_error(none, 2, "--role")


def test_only_an_admin_of_the_department_may_change_it(city_run: CityRun) -> None:
    staff = city_run.platform.departments["CIVIL"].staff.address
    result = city_run("--key", "civil-staff", "dept", "set-endpoint", "http://x.example")
    assert_one_line_error(result, 1, f"{staff} is not an ADMIN of CIVIL")
    other = city_run("--key", "hrss-admin", "dept", "remove-member", "civil-staff")
    assert_one_line_error(other, 1, f"{staff} is not a member of HRSS")


def test_a_key_belongs_to_one_department_only(city_run: CityRun) -> None:
    result = city_run("--key", "civil-admin", "dept", "add-member", "hrss-staff", "--role", "staff")
    assert_one_line_error(result, 1, "already belongs to HRSS")


def test_the_last_admin_cannot_be_removed(city_run: CityRun) -> None:
    result = city_run("--key", "civil-admin", "dept", "remove-member", "civil-admin")
    assert_one_line_error(result, 1, "last ADMIN")


def test_proposing_an_existing_code_or_a_bad_region(city_run: CityRun) -> None:
    key, admin = new_key(city_run, "applicant")
    taken = city_run(
        "--key", key, "dept", "propose", "HRSS", "--name", "x", "--region", "330100",
    )  # fmt: skip
    assert_one_line_error(taken, 1, "department HRSS exists already")
    region = city_run(
        "--key", key, "dept", "propose", "EDU", "--name", "x", "--region", "33",
        "--admin", admin,
    )  # fmt: skip
    assert_one_line_error(region, 2, "six-digit")


def test_a_department_is_proposed_by_its_own_admin_key(city_run: CityRun) -> None:
    stranger = Account.create().address
    result = city_run(
        "--key", "psb-staff", "dept", "propose", "EDU", "--name", "x", "--region", "330100",
        "--admin", stranger,
    )  # fmt: skip
    assert_one_line_error(result, 1, "proposed by its own first ADMIN key")


def test_an_offer_is_accepted_only_by_its_key_and_only_once(city_run: CityRun) -> None:
    key, newcomer = new_key(city_run, "hrss-newcomer")
    none = city_run("--key", key, "dept", "accept", "HRSS")
    assert_one_line_error(none, 1, f"HRSS offered {newcomer} no membership")
    city_run.json("--key", "hrss-admin", "dept", "add-member", newcomer, "--role", "staff")
    city_run.json("--key", key, "dept", "accept", "HRSS")
    again = city_run("--key", key, "dept", "accept", "HRSS")
    assert_one_line_error(again, 1, "no membership")


def test_an_applicant_withdraws_its_proposal_and_the_code_is_free_again(
    city_run: CityRun,
) -> None:
    key, _admin = new_key(city_run, "edu-admin")
    args = ("dept", "propose", "EDU", "--name", "Education", "--region", "330100")
    assert city_run("--key", key, *args).exit_code == 0
    withdrawn = city_run.json("--key", key, "dept", "withdraw-proposal", "EDU")
    assert withdrawn["status"] == "Retired"
    other, _ = new_key(city_run, "edu-admin2")
    again = city_run("--key", other, *args)
    assert again.exit_code == 0, again.stderr


def test_a_suspended_departments_admin_loses_its_rights(city_run: CityRun) -> None:
    made = city_run.json("--key", "bdb-admin", "council", "propose", "suspend", "CIVIL")
    city_run.json("--key", "psb-admin", "council", "approve", made["id"])
    city_run.json("--key", "psb-admin", "council", "execute", made["id"])
    result = city_run("--key", "civil-admin", "dept", "set-endpoint", "http://x.example")
    assert_one_line_error(result, 1, "department CIVIL is Suspended, not Active")


def test_missing_keystore(city_run: CityRun) -> None:
    missing = city_run("--key", "ghost", "dept", "set-endpoint", "http://x.example")
    assert_one_line_error(missing, 2, "ghost")


def test_devnet_not_running(offline: Run) -> None:
    assert_one_line_error(offline("dept", "list"), 1, "network unavailable")


def test_wrong_passphrase(city_run: CityRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", "not the passphrase")
    result = city_run("--key", "hrss-admin", "dept", "set-endpoint", "http://x.example")
    assert_one_line_error(result, 2, "wrong passphrase")
    assert city_run.json("dept", "show", "HRSS")["endpoint"] == ""
