"""`govchain attest export --vc` and `govchain vc verify|disclose`: credentials of attestations
with an EIP-712 proof, selective disclosure, and the chain as the source of revocation and
expiry. Each refusal is one line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak
from web3.middleware import Web3Middleware

from govchain.interop.membership import Membership, membership_at
from govchain.interop.vc import CREDENTIAL, _domain, _message, verify
from govchain.timefmt import utc_iso
from govchain.toolchain.devnet import rpc
from govchain.tx import Sender
from tests.cli.conftest import CityRun, assert_one_line_error

SCHEMA = "RealName(bytes32 commitment)"
FIELDS = ("name=张三", "id_number=110101199001011234", "verified=true")


def schema_uid(city_run: CityRun) -> str:
    for schema in city_run.json("attest", "schema", "list"):
        if (
            schema["fields_hash"] == "0x" + keccak(text=SCHEMA).hex()
            and schema["department"] == "PSB"
        ):
            return str(schema["uid"])
    return str(
        city_run.json(
            "--key", "psb-admin", "attest", "schema", "register", "--fields", SCHEMA,
            "--roles", "staff", "--dept", "PSB",
        )["uid"]
    )  # fmt: skip


def attestation(city_run: CityRun, expires: str = "365d") -> tuple[str, str]:
    schema = schema_uid(city_run)
    citizen = Account.create().address
    made = city_run.json(
        "--key", "psb-staff", "attest", "issue", citizen, "--schema", schema,
        "--data", "real-name verified", "--expires", expires,
    )  # fmt: skip
    return str(made["uid"]), citizen


def export(city_run: CityRun, uid: str, out: Path, *extra: str) -> dict[str, Any]:
    args = [a for f in FIELDS for a in ("--field", f)]
    made = city_run("--key", "psb-staff", "attest", "export", uid, "--vc", str(out), *args, *extra)
    assert made.exit_code == 0, made.stderr
    vc: dict[str, Any] = json.loads(out.read_text())
    return vc


def save(path: Path, vc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(vc, ensure_ascii=False))
    return path


def test_export_verify_and_selective_disclosure(city_run: CityRun, tmp_path: Path) -> None:
    uid, citizen = attestation(city_run)
    vc = export(city_run, uid, tmp_path / "vc.json", "--disclose", "name", "--disclose", "verified")
    chain = city_run.platform.connection.chain_id
    assert vc["credentialSubject"] == {
        "id": f"did:ethr:{hex(chain)}:{citizen.lower()}",
        "fields": {"name": "张三", "verified": "true"},
    }
    assert set(vc["govchain"]["commitments"]) == {"name", "id_number", "verified"}
    assert "id_number" not in vc["govchain"]["salts"]
    assert "110101199001011234" not in (tmp_path / "vc.json").read_text()
    assert (
        vc["issuer"]["id"].endswith(":PSB") and vc["proof"]["type"] == "EthereumEip712Signature2021"
    )
    assert vc["credentialStatus"]["attestation"] == uid
    ok = city_run.json("vc", "verify", str(tmp_path / "vc.json"))
    assert ok["verified"] is True and ok["department"] == "PSB"
    assert ok["disclosed"] == ["name", "verified"] and ok["withheld"] == ["id_number"]
    assert ok["signer"] == city_run.platform.departments["PSB"].staff.address
    # the citizen drops one more field, with no key and no network: still valid
    smaller = tmp_path / "smaller.json"
    dropped = city_run(
        "--rpc",
        "http://127.0.0.1:9",
        "vc",
        "disclose",
        str(tmp_path / "vc.json"),
        "--only",
        "verified",
        "--out",
        str(smaller),
    )
    assert dropped.exit_code == 0, dropped.stderr
    assert city_run.json("vc", "verify", str(smaller))["disclosed"] == ["verified"]
    not_there = city_run(
        "vc", "disclose", str(smaller), "--only", "id_number", "--out", str(smaller)
    )
    assert_one_line_error(not_there, 1, "does not disclose id_number")


def test_tampered_credentials_are_refused(city_run: CityRun, tmp_path: Path) -> None:
    uid, _ = attestation(city_run)
    vc = export(city_run, uid, tmp_path / "vc.json")

    def refused(change: Any, *reason: str) -> None:
        copy = json.loads(json.dumps(vc))
        change(copy)
        result = city_run("vc", "verify", str(save(tmp_path / "bad.json", copy)))
        assert_one_line_error(result, 1, "credential NOT VERIFIED", *reason)

    refused(lambda c: c["credentialSubject"]["fields"].update(name="李四"), "'name' does not match")

    def withheld_commitment(c: dict[str, Any]) -> None:
        c["credentialSubject"]["fields"].pop("verified")
        c["govchain"]["salts"].pop("verified")
        c["govchain"]["commitments"]["verified"] = "0x" + "11" * 32

    refused(withheld_commitment, "not signed by")
    refused(lambda c: c.update(expirationDate="2099-01-01T00:00:00Z"), "not signed by")
    refused(lambda c: c.update(issuanceDate="2020-01-01T00:00:00Z"), "not signed by")
    refused(
        lambda c: c["credentialSubject"].update(id="did:ethr:0x7a69:" + "0x" + "22" * 20),
        "not signed by",
    )
    refused(lambda c: c.update(note="trust me"), "unsigned content 'note'")
    refused(lambda c: c["proof"].update(verificationMethod="did:web:x"), "malformed", "DID")
    refused(lambda c: c["proof"].update(proofValue="0x1234"), "signature is malformed")
    refused(
        lambda c: c["credentialStatus"].update(attestation="0x" + "00" * 32), "another attestation"
    )
    refused(lambda c: c.update(type=["VerifiableCredential"]), "not a govchain")
    bad_json = tmp_path / "x.json"
    bad_json.write_text("{")
    assert_one_line_error(city_run("vc", "verify", str(bad_json)), 1, "not JSON")


def test_signer_must_be_a_member_of_the_issuer(city_run: CityRun, tmp_path: Path) -> None:
    uid, _ = attestation(city_run)
    vc = export(city_run, uid, tmp_path / "vc.json")
    outsider = Account.create()
    conn = city_run.platform.connection
    registry = conn.deployment.address("AttestationRegistry")
    department = b"PSB".ljust(32, b"\0")
    body = _message(vc, department)
    vc["proof"]["proofValue"] = (
        "0x" + CREDENTIAL.sign(outsider.key, _domain(conn.chain_id, registry), body).hex()
    )
    vc["proof"]["verificationMethod"] = (
        f"did:ethr:{hex(conn.chain_id)}:{outsider.address.lower()}#controller"
    )
    result = city_run("vc", "verify", str(save(tmp_path / "outsider.json", vc)))
    assert_one_line_error(result, 1, "was not an active member of PSB at block")
    # and export refuses a key of another department before signing
    args = [a for f in FIELDS for a in ("--field", f)]
    other = city_run(
        "--key", "hrss-staff", "attest", "export", uid, "--vc", str(tmp_path / "o.json"), *args
    )
    assert_one_line_error(other, 1, "is not an active member of PSB")


def resigned(city_run: CityRun, vc: dict[str, Any], key: Any) -> dict[str, Any]:
    """``vc`` with its proof made by ``key`` instead (as a key holder could, off chain)."""
    conn = city_run.platform.connection
    copy = json.loads(json.dumps(vc))
    domain = _domain(conn.chain_id, conn.deployment.address("AttestationRegistry"))
    body = _message(copy, b"PSB".ljust(32, b"\0"))
    copy["proof"]["proofValue"] = "0x" + CREDENTIAL.sign(key.key, domain, body).hex()
    copy["proof"]["verificationMethod"] = (
        f"did:ethr:{hex(conn.chain_id)}:{key.address.lower()}#controller"
    )
    return copy


def test_signer_must_hold_a_role_that_may_attest(city_run: CityRun, tmp_path: Path) -> None:
    """Review L-2: the field values are the signer's word, so only a key that could have made
    the attestation (a role in the schema's roleMask) may sign for them."""
    schema = city_run.json(
        "--key", "psb-admin", "attest", "schema", "register", "--fields",
        "Approved(bytes32 commitment)", "--roles", "approver", "--dept", "PSB",
    )["uid"]  # fmt: skip
    citizen = Account.create().address
    uid = city_run.json(
        "--key", "psb-approver1", "attest", "issue", citizen, "--schema", schema,
        "--data", "approved", "--expires", "365d",
    )["uid"]  # fmt: skip
    args = [a for f in FIELDS for a in ("--field", f)]
    path = tmp_path / "vc.json"
    made = city_run("--key", "psb-approver1", "attest", "export", uid, "--vc", str(path), *args)
    assert made.exit_code == 0, made.stderr
    ok = city_run.json("vc", "verify", str(path))
    psb = city_run.platform.departments["PSB"]
    assert ok["signer"] == psb.approvers[0].address and ok["signer_roles"] == "approver"
    # export refuses, before signing, the PSB auditor and staff keys: not APPROVERs
    for key in ("psb-auditor", "psb-staff"):
        other = tmp_path / f"{key}.json"
        refused = city_run("--key", key, "attest", "export", uid, "--vc", str(other), *args)
        assert_one_line_error(refused, 1, "holds no role that may attest schema", "needs approver")
        assert not other.exists()
    # and a credential the auditor (or staff) key signed itself is refused by verify
    vc = json.loads(path.read_text())
    for key in (psb.auditor, psb.staff):
        forged = save(tmp_path / "forged.json", resigned(city_run, vc, key))
        assert_one_line_error(
            city_run("vc", "verify", str(forged)), 1, f"{key.address} held no role that may attest",
            "needs approver",
        )  # fmt: skip
    # the review's case: a staff-attested schema, the auditor key signing
    staff_uid, _ = attestation(city_run)
    staff_vc = export(city_run, staff_uid, tmp_path / "staff.json")
    by_auditor = save(tmp_path / "auditor.json", resigned(city_run, staff_vc, psb.auditor))
    assert_one_line_error(city_run("vc", "verify", str(by_auditor)), 1, "needs staff")
    assert city_run.json("vc", "verify", str(tmp_path / "staff.json"))["signer_roles"] == "staff"


def test_revoked_and_expired_credentials_are_refused(city_run: CityRun, tmp_path: Path) -> None:
    uid, _ = attestation(city_run)
    path = tmp_path / "vc.json"
    export(city_run, uid, path)
    assert city_run("--key", "psb-staff", "attest", "revoke", uid).exit_code == 0
    assert_one_line_error(city_run("vc", "verify", str(path)), 1, "is revoked on chain")
    args = [a for f in FIELDS for a in ("--field", f)]
    again = city_run("--key", "psb-staff", "attest", "export", uid, "--vc", str(path), *args)
    assert_one_line_error(again, 1, "is revoked")

    short, _ = attestation(city_run, expires="1h")
    export(city_run, short, path)
    assert city_run.json("vc", "verify", str(path))["verified"] is True
    assert city_run.rpc is not None
    rpc(city_run.rpc, "evm_increaseTime", [7200])
    rpc(city_run.rpc, "evm_mine", [])
    assert_one_line_error(city_run("vc", "verify", str(path)), 1, "expired at")


def test_export_usage_errors(city_run: CityRun, tmp_path: Path) -> None:
    uid, _ = attestation(city_run)
    out = str(tmp_path / "vc.json")
    assert_one_line_error(
        city_run("--key", "psb-staff", "attest", "export", uid, "--vc", out), 2, "--field"
    )
    bad = city_run("--key", "psb-staff", "attest", "export", uid, "--vc", out, "--field", "novalue")
    assert_one_line_error(bad, 2, "NAME=VALUE")
    hidden = city_run(
        "--key",
        "psb-staff",
        "attest",
        "export",
        uid,
        "--vc",
        out,
        "--field",
        "a=1",
        "--disclose",
        "b",
    )
    assert_one_line_error(hidden, 1, "no field named b")
    never = city_run(
        "--key", "psb-staff", "attest", "export", "0x" + "00" * 32, "--vc", out, "--field", "a=1"
    )
    assert_one_line_error(never, 1, "was never made")


def test_issuer_membership_at_issuance_is_read_from_events(
    city_run: CityRun, tmp_path: Path
) -> None:
    """`vc verify` reads the signer's membership at the credential's block from
    DepartmentRegistry's events (the answer memberOf gives at that block on this archive-like
    devnet), and asks no state of an old block: a full node suffices. Since review s26 V-1 the
    signer must also still be a member at the block verify reads: a credential whose signer left
    is refused (a current member re-exports it), signed before or after the removal."""
    uid, _ = attestation(city_run)
    vc = export(city_run, uid, tmp_path / "vc.json")
    issued = int(vc["govchain"]["issuedBlock"])
    conn = city_run.platform.connection
    w3 = conn.w3
    psb = city_run.platform.departments["PSB"]
    registry = conn.contract("DepartmentRegistry")
    removed = Sender(w3, psb.admin, conn.decoder()).transact(
        registry.functions.removeMember(psb.staff.address)
    )
    gone = int(removed["blockNumber"])
    for account in (psb.staff.address, psb.admin.address, Account.create().address):
        for block in (
            conn.deployment.contracts["DepartmentRegistry"].block,
            issued,
            gone - 1,
            gone,
        ):
            dept, roles, active = registry.functions.memberOf(account).call(block_identifier=block)
            assert membership_at(conn, account, block) == Membership(
                bytes(dept), int(roles), bool(active)
            ), (account, block)

    # the signer has left PSB since: its credential, made while it was a member, is refused
    stale = city_run("vc", "verify", str(tmp_path / "vc.json"))
    assert_one_line_error(
        stale, 1, "credential NOT VERIFIED", f"signer {psb.staff.address} is no longer an active "
        "member of PSB", "ask a current member of PSB to re-export the credential",
    )  # fmt: skip
    # a current member (the PSB admin, given STAFF) re-exports it, and every state read is of
    # the one block verify read first: the latest, never an old one
    roles = city_run(
        "--key", "psb-admin", "dept", "set-roles", "psb-admin", "--role", "admin,staff"
    )
    assert roles.exit_code == 0, roles.stderr
    args = [a for f in FIELDS for a in ("--field", f)]
    again = tmp_path / "again.json"
    redone = city_run("--key", "psb-admin", "attest", "export", uid, "--vc", str(again), *args)
    assert redone.exit_code == 0, redone.stderr
    asked: list[tuple[str, Any]] = []

    class Recording(Web3Middleware):
        def request_processor(self, method: Any, params: Any) -> Any:
            asked.append((str(method), params))
            return method, params

    head = int(w3.eth.block_number)
    w3.middleware_onion.add(Recording, name="recording")
    try:
        result = verify(conn, json.loads(again.read_text()))
    finally:
        w3.middleware_onion.remove("recording")
    assert result["verified"] is True and result["signer"] == psb.admin.address
    assert result["checked_block"] == head
    state_reads = {"eth_call", "eth_getBalance", "eth_getStorageAt", "eth_getCode"}
    assert any(method == "eth_getLogs" for method, _ in asked)
    # the views (eth_call) all at that block; the contracts' code checks at the latest
    calls = [p[-1] for m, p in asked if m == "eth_call"]
    assert calls and set(calls) == {hex(head)}, calls
    assert {p[-1] for m, p in asked if m in state_reads} <= {hex(head), "latest"}

    # the removed key signing at the current block is refused as before
    late_head = w3.eth.get_block("latest")
    vc["govchain"]["issuedBlock"] = int(late_head["number"])
    vc["issuanceDate"] = vc["proof"]["created"] = utc_iso(int(late_head["timestamp"]))
    body = _message(vc, b"PSB".ljust(32, b"\0"))
    domain = _domain(conn.chain_id, conn.deployment.address("AttestationRegistry"))
    vc["proof"]["proofValue"] = "0x" + CREDENTIAL.sign(psb.staff.key, domain, body).hex()
    late = city_run("vc", "verify", str(save(tmp_path / "late.json", vc)))
    assert_one_line_error(late, 1, "was not an active member of PSB at block")
