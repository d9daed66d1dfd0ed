"""`govchain evidence export|verify`: a bundle a third party checks with an RPC endpoint or with
no network against a trusted block hash; each broken link is refused with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils.crypto import keccak

from govchain.deploy import Web3Backend
from govchain.interop import evidence
from govchain.interop.blockproof import check_block, header_fields, header_hash, raw_transaction
from govchain.interop.evidence import EvidenceRefused, record_hash_of_digest
from govchain.network import Connection, Deployment
from govchain.sharing.acceptance import RecordColumns
from govchain.sharing.anchors import record_id
from govchain.sharing.base import code
from govchain.sharing.catalog import SharingClass
from govchain.sharing.merkle import record_hash
from govchain.toolchain.devnet import rpc
from govchain.tx import Sender
from tests.cli.conftest import CityRun, assert_one_line_error
from tests.cli.sharing_fixtures import (  # noqa: F401
    SharingCity,
    sharing_city_fixture,
    srun_fixture,
)

SALT = "0x" + "5a" * 32
PENSION = '{"pension": 3200, "since": "2019-01"}'


def anchored(srun: CityRun, subject: str, record: str = "P-7") -> None:
    made = srun(
        "--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", record,
        "--content", PENSION, "--salt", SALT, "--subject", subject,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr


def export(srun: CityRun, out: Path, *extra: str, record: str = "P-7") -> dict[str, Any]:
    data = srun.json(
        "evidence",
        "export",
        record,
        "--content",
        PENSION,
        "--salt",
        SALT,
        "--out",
        str(out),
        *extra,
    )
    assert data["file"] == str(out)
    bundle: dict[str, Any] = json.loads(out.read_text())
    return bundle


def rewrite(path: Path, bundle: dict[str, Any], change: Any) -> Path:
    copy = json.loads(json.dumps(bundle))
    change(copy)
    target = path.with_name("tampered.json")
    target.write_text(json.dumps(copy))
    return target


def test_record_hash_from_digest_equals_the_contract_formula() -> None:
    cat, rid, owner, salt = code("HRSS.PENSION"), record_id("P-7"), code("HRSS"), b"\x01" * 32
    subject = "0x" + "ab" * 20
    assert record_hash_of_digest(
        cat, rid, 3, owner, subject, "text/plain", keccak(b"abc"), salt
    ) == record_hash(cat, rid, 3, owner, subject, "text/plain", b"abc", salt)


def test_export_and_verify_online_and_offline(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    citizen = sharing_city.citizen.address
    anchored(srun, citizen)
    grant = "0x" + sharing_city.give(categories=("HRSS.PENSION",)).grant_id.hex()
    used = srun("--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION")
    assert used.exit_code == 0, used.stderr
    out = tmp_path / "evidence.json"
    bundle = export(srun, out, "--subject", citizen)
    assert bundle["chain_id"] == srun.platform.connection.chain_id
    assert bundle["anchor"]["kind"] == "single" and "content_base64" not in bundle["record"]
    assert [a["grant_id"] for a in bundle["access_records"]] == [grant]
    # the header fields hash to the node's block hash
    block = rpc(str(srun.rpc), "eth_getBlockByNumber", [bundle["block"]["header"]["number"], False])
    assert "0x" + header_hash(bundle["block"]["header"]).hex() == block["hash"]

    online = srun.json("evidence", "verify", str(out))
    assert online["mode"] == "online" and online["department"].startswith("HRSS")
    assert online["block"] == int(block["number"], 16)
    assert online["timestamp"] == int(block["timestamp"], 16)
    assert any(
        "latest single-anchored version of this record is 1 (this one)" in p
        for p in online["proven"]
    )
    assert any("the content itself" in n for n in online["not_proven"])
    assert any("confirms the anchor itself" in p for p in online["proven"])
    content = tmp_path / "content.json"
    content.write_text(PENSION)
    with_content = srun.json("evidence", "verify", str(out), "--content-file", str(content))
    assert any("unchanged since" in p for p in with_content["proven"])

    assert any("are this platform's deployment" in p for p in online["proven"])

    # offline: no network at all (the rpc points nowhere), the trusted block hash and registry
    registry = srun.platform.connection.deployment.address("AnchorRegistry")
    nowhere = ("--rpc", "http://127.0.0.1:9", "evidence", "verify", str(out))
    offline = srun(*nowhere, "--trust-block-hash", block["hash"], "--trust-registry", registry)
    assert offline.exit_code == 0, offline.stderr
    assert offline.stdout.startswith("VERIFIED (offline): block ")
    assert "the verifier trusts the block hash it gave" in offline.stdout
    assert f"the AnchorRegistry {registry} is the one the verifier trusts" in offline.stdout
    # without the registry: the report, but NOT VERIFIED and exit 1 (a look-alike passes too)
    partial = srun(*nowhere, "--trust-block-hash", block["hash"])
    assert partial.exit_code == 1 and partial.stderr == ""
    assert partial.stdout.startswith("NOT VERIFIED (offline): the file holds together")
    not_proven = partial.stdout.split("not proven:")[1]
    assert f"that the AnchorRegistry at {registry} is this platform's" in not_proven
    assert "NOT a full verification" in not_proven
    as_json = json.loads(srun("--json", *nowhere, "--trust-block-hash", block["hash"]).stdout)
    assert as_json["verified"] is False
    wrong = srun("evidence", "verify", str(out), "--trust-block-hash", "0x" + "00" * 32)
    assert_one_line_error(wrong, 1, "is not the trusted")
    alone = srun("evidence", "verify", str(out), "--trust-registry", registry)
    assert_one_line_error(alone, 2, "--trust-registry goes with --trust-block-hash")
    bad = srun(*nowhere, "--trust-block-hash", block["hash"], "--trust-registry", "0x12")
    assert_one_line_error(bad, 2, "0x12")

    # a later version: online verification says this one is superseded
    srun("--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-7", "--content", "v2")
    again = srun.json("evidence", "verify", str(out))
    assert any("superseded" in p for p in again["proven"])


def test_the_department_name_comes_from_the_chain_online(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    """The file's ``owner_name`` is hashed nowhere: online the name is the DepartmentRegistry's,
    offline it is listed as the file's word."""
    anchored(srun, sharing_city.citizen.address, record="P-10")
    out = tmp_path / "evidence.json"
    bundle = export(srun, out, "--subject", sharing_city.citizen.address, record="P-10")
    real = bundle["record"]["owner_name"]
    renamed = rewrite(out, bundle, lambda b: b["record"].update(owner_name="Supreme Court"))
    online = srun.json("evidence", "verify", str(renamed))
    assert online["department"] == f"HRSS ({real})"
    registry = srun.platform.connection.deployment.address("AnchorRegistry")
    offline = srun.json(
        "evidence", "verify", str(renamed), "--trust-block-hash", bundle["block"]["hash"],
        "--trust-registry", registry,
    )  # fmt: skip
    assert offline["department"] == "HRSS"
    assert any("name 'Supreme Court': the file states it" in n for n in offline["not_proven"])


def forged_bundle(srun: CityRun) -> dict[str, Any]:
    """The review's H-2 attack: anyone deploys a look-alike DepartmentRegistry (themselves HRSS's
    founder admin) and an AnchorRegistry over it on the platform's own chain, anchors a forged
    pension record for 'HRSS' and exports the bundle, whose ``contracts`` name their copies."""
    real = srun.platform.connection
    forger = Account.create()
    assert srun.rpc is not None
    rpc(srun.rpc, "anvil_setBalance", [forger.address, hex(10**21)])
    backend = Web3Backend(real, forger)
    founder = (code("HRSS"), "Human Resources and Social Security Bureau", 330100, "http://x",
               b"\0" * 32, forger.address)  # fmt: skip
    fake_depts, start, _ = backend.deploy("DepartmentRegistry", forger.address, [founder])
    fake_anchors, _, _ = backend.deploy("AnchorRegistry", fake_depts)
    sender = Sender(real.w3, forger, real.decoder())
    anchors = real.contract("AnchorRegistry", fake_anchors)
    cat = code("HRSS.PENSION")
    sender.transact(
        anchors.functions.registerCategory(
            cat, int(SharingClass.CONDITIONAL), False, b"\x5c" * 32, 30 * 86400
        )
    )
    rec = RecordColumns(cat, record_id("P-forged"), 1, code("HRSS"), None, "application/json",
                        b'{"pension": "forged"}', b"\x01" * 32)  # fmt: skip
    sender.transact(anchors.functions.anchorRecord(cat, rec.record_id, 1, rec.record_hash()))
    look_alike = Deployment(real.chain_id)
    look_alike.add("DepartmentRegistry", fake_depts, start)
    look_alike.add("AnchorRegistry", fake_anchors, start)
    look_alike.add("AccessGrants", real.deployment.address("AccessGrants"), start)
    forged = Connection(real.w3, real.url, real.chain_id, real.home, real.artifacts, look_alike)
    return evidence.export(forged, rec, include_content=True)


def test_a_look_alike_deployment_is_refused(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path
) -> None:
    bundle = forged_bundle(srun)
    connection = srun.platform.connection
    platform = {n: str(c.address) for n, c in connection.deployment.contracts.items()}
    assert bundle["contracts"]["AnchorRegistry"] != platform["AnchorRegistry"]
    out = tmp_path / "forged.json"
    out.write_text(json.dumps(bundle))
    # online: the file's contracts are compared with the connection's manifest
    online = srun("evidence", "verify", str(out))
    assert_one_line_error(
        online, 1, "evidence refused", "the file's AnchorRegistry", "is not this platform's",
        "look-alike",
    )  # fmt: skip
    # ... only the registry swapped, the department registry left the platform's: still refused
    half = rewrite(
        out,
        bundle,
        lambda b: b["contracts"].update(DepartmentRegistry=platform["DepartmentRegistry"]),
    )
    assert_one_line_error(srun("evidence", "verify", str(half)), 1, "AnchorRegistry")
    # offline, with the platform's registry trusted: refused, no network needed
    offline = srun(
        "--rpc", "http://127.0.0.1:9", "evidence", "verify", str(out),
        "--trust-block-hash", bundle["block"]["hash"],
        "--trust-registry", platform["AnchorRegistry"],
    )  # fmt: skip
    assert_one_line_error(offline, 1, "is not the trusted", "not the platform's deployment")
    # offline without it: the file holds together (the block is real), but NOT VERIFIED
    unsure = srun(
        "--rpc", "http://127.0.0.1:9", "evidence", "verify", str(out),
        "--trust-block-hash", bundle["block"]["hash"],
    )  # fmt: skip
    assert unsure.exit_code == 1 and unsure.stdout.startswith("NOT VERIFIED (offline)")
    # the SDK: online needs the trusted addresses, and refuses the look-alike with them
    with pytest.raises(EvidenceRefused, match="needs the platform's contract addresses"):
        evidence.verify(bundle, connection.w3)
    with pytest.raises(EvidenceRefused, match="is not this platform's"):
        evidence.verify(bundle, connection.w3, trusted=platform)
    verdict = evidence.verify(bundle, None, trusted_block_hash=bundle["block"]["hash"])
    assert verdict.complete is False and verdict.as_dict()["verified"] is False


TAMPERS = {
    "content digest": (
        lambda b: b["record"].update(content_digest="0x" + "11" * 32),
        "content digest",
    ),
    "salt": (lambda b: b["record"].update(salt="0x" + "22" * 32), "record hash"),
    "record hash": (lambda b: b["record"].update(record_hash="0x" + "33" * 32), "record hash"),
    "header time": (lambda b: b["block"]["header"].update(timestamp="0x1"), "hash to"),
    "receipt": (
        lambda b: b["block"]["receipts"][0].update(cumulativeGasUsed="0x1"),
        "receiptsRoot",
    ),
    "transactions": (lambda b: b["block"].update(raw_transactions=[]), "differ in number"),
    "anchor tx": (
        lambda b: b["anchor"].update(transaction_hash="0x" + "44" * 32),
        "not a successful",
    ),
    "format": (lambda b: b.update(format="x"), "not a govchain.Evidence/1"),
    "content": (lambda b: b["record"].update(content_base64="eA=="), "altered"),
}


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_tampered_files_are_refused(
    srun: CityRun, sharing_city: SharingCity, tmp_path: Path, what: str
) -> None:
    anchored(srun, sharing_city.citizen.address, record="P-8")
    out = tmp_path / "evidence.json"
    bundle = export(
        srun, out, "--subject", sharing_city.citizen.address, "--include-content", record="P-8"
    )
    change, reason = TAMPERS[what]
    result = srun("evidence", "verify", str(rewrite(out, bundle, change)))
    assert_one_line_error(result, 1, "evidence refused", reason)


def test_batch_record_evidence(srun: CityRun, sharing_city: SharingCity, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(json.dumps({"id": f"B-{i}", "content": f"row {i}"}) for i in range(5)) + "\n"
    )
    made = srun("--key", "hrss-staff", "record", "anchor-batch", "HRSS.PENSION", str(rows))
    assert made.exit_code == 0, made.stderr
    proofs = tmp_path / "rows.proofs.json"
    out = tmp_path / "batch-evidence.json"
    data = srun.json(
        "evidence",
        "export",
        "B-3",
        "--content",
        "row 3",
        "--proofs",
        str(proofs),
        "--out",
        str(out),
    )
    assert data["anchor"] == "batch"
    verdict = srun.json("evidence", "verify", str(out))
    assert any("leaf of batch" in p for p in verdict["proven"])
    assert any("confirms the anchor itself" in p for p in verdict["proven"])
    bundle = json.loads(out.read_text())
    bad = rewrite(
        out,
        bundle,
        lambda b: b["anchor"]["proof"].reverse() or b["anchor"]["proof"].append("0x" + "00" * 32),
    )
    assert_one_line_error(srun("evidence", "verify", str(bad)), 1, "Merkle proof")


def test_export_refusals(srun: CityRun, sharing_city: SharingCity, tmp_path: Path) -> None:
    anchored(srun, sharing_city.citizen.address, record="P-9")
    out = tmp_path / "e.json"
    wrong = srun(
        "evidence",
        "export",
        "P-9",
        "--content",
        "forged",
        "--salt",
        SALT,
        "--subject",
        sharing_city.citizen.address,
        "--out",
        str(out),
    )
    assert_one_line_error(wrong, 1, "is not anchored with this content")
    never = srun("evidence", "export", "NOPE", "--content", "x", "--salt", SALT, "--out", str(out))
    assert_one_line_error(never, 2, "no anchors found")
    no_salt = srun("evidence", "export", "P-9", "--content", PENSION, "--out", str(out))
    assert_one_line_error(no_salt, 2, "--salt")
    assert not out.exists()
    nothing = srun(
        "evidence", "verify", str(tmp_path / "missing.json"), "--trust-block-hash", "0x" + "00" * 32
    )
    assert_one_line_error(nothing, 2, "evidence file")


def test_every_devnet_block_rehashes_from_its_fields(
    srun: CityRun, sharing_city: SharingCity
) -> None:
    """The header RLP and both tries hold for every block so far (empty ones included), not
    only for the anchor's: deploys, grants, anchors, batches, EIP-1559 fee fields."""
    url = str(srun.rpc)
    head = int(rpc(url, "eth_blockNumber", []), 16)
    assert head > 20
    for number in range(0, head + 1):
        block = rpc(url, "eth_getBlockByNumber", [hex(number), False])
        receipts = [rpc(url, "eth_getTransactionReceipt", [h]) for h in block["transactions"]]
        raws = [rpc(url, "eth_getRawTransactionByHash", [h]) for h in block["transactions"]]
        check_block(block["hash"], header_fields(block), receipts, raws)
        # the rebuild for nodes without eth_getRawTransactionByHash gives the same bytes
        rebuilt = [
            "0x" + raw_transaction(rpc(url, "eth_getTransactionByHash", [h])).hex()
            for h in block["transactions"]
        ]
        assert rebuilt == raws


def as_rpc(raw: bytes, kind: int) -> dict[str, Any]:
    """A node's JSON view of a signed transaction of type 0 or 1 (hex fields)."""

    def h(value: bytes) -> str:
        return "0x" + value.hex() if value else "0x0"

    if kind == 0:
        nonce, price, gas, to, value, data, v, r, s = rlp.decode(raw)
        return {"type": "0x0", "nonce": h(nonce), "gasPrice": h(price), "gas": h(gas),
                "to": "0x" + to.hex(), "value": h(value), "input": "0x" + data.hex(),
                "v": h(v), "r": h(r), "s": h(s)}  # fmt: skip
    chain, nonce, price, gas, to, value, data, access, parity, r, s = rlp.decode(raw[1:])
    return {"type": "0x1", "chainId": h(chain), "nonce": h(nonce), "gasPrice": h(price),
            "gas": h(gas), "to": "0x" + to.hex(), "value": h(value), "input": "0x" + data.hex(),
            "accessList": [{"address": "0x" + a.hex(), "storageKeys": ["0x" + k.hex() for k in ks]}
                           for a, ks in access],
            "yParity": h(parity), "r": h(r), "s": h(s)}  # fmt: skip


def test_legacy_and_access_list_transactions_rebuild() -> None:
    """Types 0 and 1 (anvil's own transactions above are type 2), signed here."""
    from eth_account import Account

    key = Account.create()
    base = {"nonce": 7, "gas": 50_000, "to": "0x" + "11" * 20, "value": 5, "data": b"\x01"}
    legacy = key.sign_transaction({**base, "gasPrice": 10**9, "chainId": 31337})
    typed = key.sign_transaction(
        {
            **base, "gasPrice": 10**9, "chainId": 31337, "type": 1,
            "accessList": [{"address": "0x" + "22" * 20, "storageKeys": ["0x" + "00" * 31 + "01"]}],
        }
    )  # fmt: skip
    for signed, kind in ((legacy, 0), (typed, 1)):
        decoded = as_rpc(bytes(signed.raw_transaction), kind)
        assert raw_transaction(decoded) == bytes(signed.raw_transaction)
        assert keccak(raw_transaction(decoded)) == bytes(signed.hash)
