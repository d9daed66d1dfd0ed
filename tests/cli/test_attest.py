"""`govchain attest`: schemas, issue (direct and relayed), revoke, verify, a subject's list."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from govchain.identity.attestations import Attestations
from govchain.identity.council import Call, Council, CouncilActions
from govchain.identity.departments import Departments
from govchain.identity.messages import salted_hash
from govchain.network import Connection
from govchain.toolchain.devnet import Devnet, rpc
from govchain.tx import Sender
from tests.cli.conftest import CityRun, Run, assert_one_line_error

REAL_NAME = "RealName(bytes32 commitment)"
PSB_CODE = b"PSB".ljust(32, b"\0")


def bdb_actions(connection: Connection) -> CouncilActions:
    council = connection.deployment.address("Council")
    return CouncilActions(Departments(connection), council)


def register(city_run: CityRun, *args: str, key: str = "psb-admin") -> str:
    data = city_run.json("--key", key, "attest", "schema", "register", *args)
    return str(data["uid"])


def real_name_schema(city_run: CityRun) -> str:
    return register(city_run, "--fields", REAL_NAME, "--roles", "staff", "--dept", "PSB")


def registry(city_run: CityRun) -> Any:
    return city_run.platform.connection.contract("AttestationRegistry")


def valid(city_run: CityRun, uid: str) -> bool:
    return bool(registry(city_run).functions.isValid(bytes.fromhex(uid[2:])).call())


def test_register_show_and_list_schemas(city_run: CityRun) -> None:
    uid = real_name_schema(city_run)
    shown = city_run.json("attest", "schema", "show", uid)
    assert shown == {
        "uid": uid,
        "fields_hash": "0x" + keccak(text=REAL_NAME).hex(),
        "department": "PSB",
        "role_mask": 1,
        "roles": ["staff"],
        "revocable": True,
        "registrant": city_run.platform.departments["PSB"].admin.address,
    }
    other = register(
        city_run, "--fields-hash", "0x" + "11" * 32, "--roles", "approver", "--irrevocable"
    )
    listed = city_run.json("attest", "schema", "list")
    assert [s["uid"] for s in listed] == [uid, other]
    assert listed[1]["department"] is None and listed[1]["revocable"] is False
    assert "irrevocable" in city_run("attest", "schema", "list").stdout


def test_issue_verify_list_and_revoke(city_run: CityRun) -> None:
    schema = real_name_schema(city_run)
    citizen = Account.create().address
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", citizen, "--schema", schema,
        "--data", "110101199001011234", "--expires", "365d",
    )  # fmt: skip
    uid, salt = made["uid"], made["salt"]
    assert set(made) == {
        "uid",
        "tx_hash",
        "block",
        "subject",
        "schema",
        "data_hash",
        "expiry",
        "salt",
    }
    # the chain holds a salted commitment, never the data or its plain hash
    assert (
        made["data_hash"]
        == "0x" + salted_hash(bytes.fromhex(salt[2:]), b"110101199001011234").hex()
    )
    assert valid(city_run, uid)

    verified = city_run.json("attest", "verify", uid)
    assert verified["valid"] is True and verified["reason"] == "valid"
    assert verified["attestation"]["subject"] == citizen
    assert verified["attestation"]["department"] == "PSB"
    assert "VALID" in city_run("attest", "verify", uid).stdout

    listed = city_run.json("attest", "list", citizen)
    assert [a["uid"] for a in listed] == [uid] and listed[0]["valid"] is True

    revoked = city_run.json("--key", "psb-staff", "attest", "revoke", uid)
    assert revoked["revoked"] is True and revoked["tx_hash"].startswith("0x")
    assert not valid(city_run, uid)
    after = city_run.json("attest", "verify", uid)
    assert after["valid"] is False and after["reason"] == "revoked"
    assert city_run.json("attest", "list", citizen)[0]["revoked"] is True
    assert city_run.json("attest", "list", citizen, "--valid") == []
    again = city_run("--key", "psb-staff", "attest", "revoke", uid)
    assert_one_line_error(again, 1, "revoked already")


def test_issue_by_signature_relayed(city_run: CityRun) -> None:
    schema = real_name_schema(city_run)
    citizen = Account.create().address
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", citizen, "--schema", schema,
        "--data-hash", "0x" + "42" * 32, "--relayer", "bdb-staff",
    )  # fmt: skip
    assert valid(city_run, made["uid"])
    shown = city_run.json("attest", "verify", made["uid"])["attestation"]
    assert shown["attester"] == city_run.platform.departments["PSB"].staff.address
    assert made["salt"] is None


def test_an_expired_attestation_is_not_valid(city_run: CityRun, devnet: Devnet) -> None:
    schema = real_name_schema(city_run)
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", Account.create().address, "--schema", schema,
        "--data-hash", "0x" + "42" * 32, "--expires", "1h",
    )  # fmt: skip
    rpc(devnet.url, "evm_increaseTime", [3700])
    rpc(devnet.url, "evm_mine", [])
    verified = city_run.json("attest", "verify", made["uid"])
    assert verified["valid"] is False and verified["reason"].startswith("expired at")


# --- refusals -------------------------------------------------------------------------------


def test_who_may_attest_and_revoke(city_run: CityRun) -> None:
    schema = real_name_schema(city_run)
    citizen = Account.create().address
    hrss = city_run(
        "--key", "hrss-staff", "attest", "issue", citizen, "--schema", schema,
        "--data-hash", "0x" + "42" * 32,
    )  # fmt: skip
    assert_one_line_error(hrss, 1, "a member of HRSS with roles staff may not attest")
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", citizen, "--schema", schema,
        "--data-hash", "0x" + "42" * 32,
    )  # fmt: skip
    other = city_run("--key", "hrss-staff", "attest", "revoke", made["uid"])
    assert_one_line_error(other, 1, "not a member of the department that issued it")
    staff = city_run("--key", "psb-staff", "attest", "schema", "register", "--fields", "x",
                     "--roles", "staff")  # fmt: skip
    assert_one_line_error(staff, 1, "is not an ADMIN of an active department")


def test_an_irrevocable_attestation_stays(city_run: CityRun) -> None:
    schema = register(city_run, "--fields", "Birth(bytes32 c)", "--roles", "staff", "--irrevocable")
    made = city_run.json(
        "--key", "civil-staff", "attest", "issue", Account.create().address, "--schema", schema,
        "--data-hash", "0x" + "42" * 32,
    )  # fmt: skip
    result = city_run("--key", "civil-staff", "attest", "revoke", made["uid"])
    assert_one_line_error(result, 1, "does not allow revocation")
    assert valid(city_run, made["uid"])


def test_bad_input(city_run: CityRun) -> None:
    unknown = "0x" + "ee" * 32
    assert_one_line_error(city_run("attest", "schema", "show", unknown), 2, "schema", "not found")
    assert_one_line_error(city_run("attest", "verify", unknown), 2, "attestation", "not found")
    assert_one_line_error(city_run("attest", "verify", "0x1234"), 2, "32 bytes")
    unknown_dept = city_run("--key", "psb-admin", "attest", "schema", "register", "--fields", "x",
                            "--roles", "staff", "--dept", "NOSUCH")  # fmt: skip
    assert_one_line_error(unknown_dept, 2, "department NOSUCH not found")
    both = city_run("--key", "psb-staff", "attest", "issue", Account.create().address,
                    "--schema", unknown)  # fmt: skip
    assert_one_line_error(both, 2, "--data")
    subject = city_run("--key", "psb-staff", "attest", "issue", "0xnope", "--schema", unknown,
                       "--data", "x")  # fmt: skip
    assert_one_line_error(subject, 2, "0xnope")
    no_schema = city_run("--key", "psb-staff", "attest", "issue", Account.create().address,
                         "--schema", unknown, "--data", "x")  # fmt: skip
    assert_one_line_error(no_schema, 2, "schema", "not found")
    roles = city_run("--key", "psb-admin", "attest", "schema", "register", "--fields", "x",
                     "--roles", "boss")  # fmt: skip
    assert_one_line_error(roles, 2, "boss")
    missing = city_run("--key", "ghost", "attest", "revoke", unknown)
    assert_one_line_error(missing, 2, "ghost")


def test_devnet_not_running(offline: Run) -> None:
    assert_one_line_error(offline("attest", "list", Account.create().address), 1, "network")


def test_council_revokes_what_a_compromised_key_issued_since_its_compromise(
    city_run: CityRun,
) -> None:
    """M-4 (review, issue 15), through the SDK: the PSB clerk's key is compromised at ``since``;
    the council lists the still-valid attestations it made since then (``issued_by``), suspends
    PSB and revokes exactly those with one proposal (``council_revoke_call``)."""
    city = city_run.platform
    connection = city.connection
    psb = city.departments["PSB"]
    schema = real_name_schema(city_run)

    def issue(n: int) -> str:
        made = city_run.json(
            "--key", "psb-staff", "attest", "issue", Account.create().address,
            "--schema", schema, "--data-hash", "0x" + f"{n:02x}" * 32,
        )  # fmt: skip
        return str(made["uid"])

    before = issue(1)
    reader = Attestations(connection)
    since = reader.now() + 60
    connection.w3.provider.make_request("evm_increaseTime", [120])  # type: ignore[arg-type]
    stolen = [issue(2), issue(3)]
    found = reader.issued_by(PSB_CODE, attester=psb.staff.address, since=since)
    assert ["0x" + a.uid.hex() for a in found] == stolen
    assert reader.issued_by(PSB_CODE)[0].uid.hex() == before[2:]

    def decide(call: Call) -> None:
        bdb = Council(connection, Sender(connection.w3, city.departments["BDB"].admin))
        hrss = Council(connection, Sender(connection.w3, city.departments["HRSS"].admin))
        proposal = bdb.propose(call, bdb.now() + 86_400).id
        hrss.approve(proposal)
        hrss.execute(proposal)

    decide(bdb_actions(connection).suspend("PSB"))
    target, data = reader.council_revoke_call(PSB_CODE, [a.uid for a in found])
    decide(Call(target, data, "revoke what the stolen PSB key issued"))
    assert [valid(city_run, u) for u in (before, *stolen)] == [True, False, False]
    assert reader.issued_by(PSB_CODE, attester=psb.staff.address, since=since) == []
