"""`govchain evidence export|verify`: a bundle a third party checks with an RPC endpoint or with
no network against a trusted block hash; each broken link is refused with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_utils.crypto import keccak

from govchain.interop.blockproof import check_block, header_fields, header_hash, raw_transaction
from govchain.interop.evidence import record_hash_of_digest
from govchain.sharing.anchors import record_id
from govchain.sharing.base import code
from govchain.sharing.merkle import record_hash
from govchain.toolchain.devnet import rpc
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

    # offline: no network at all (the rpc points nowhere), only the trusted block hash
    offline = srun(
        "--rpc",
        "http://127.0.0.1:9",
        "evidence",
        "verify",
        str(out),
        "--trust-block-hash",
        block["hash"],
    )
    assert offline.exit_code == 0, offline.stderr
    assert offline.stdout.startswith("VERIFIED (offline): block ")
    assert "the verifier trusts the block hash it gave" in offline.stdout
    wrong = srun("evidence", "verify", str(out), "--trust-block-hash", "0x" + "00" * 32)
    assert_one_line_error(wrong, 1, "is not the trusted")

    # a later version: online verification says this one is superseded
    srun("--key", "hrss-staff", "record", "anchor", "HRSS.PENSION", "P-7", "--content", "v2")
    again = srun.json("evidence", "verify", str(out))
    assert any("superseded" in p for p in again["proven"])


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
