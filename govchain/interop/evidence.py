"""Electronic evidence (电子存证): one self-contained file proving that a record's content was
anchored on chain, which a third party checks with only the file and a node, or with no
network against a block hash it trusts.

The bundle (``govchain.Evidence/1``) holds the record's columns and salt (the content itself
only if the holder chooses), the anchor (a single-record ``RecordAnchored`` or a batch's
``BatchAnchored`` with the OpenZeppelin StandardMerkleTree proof), the anchoring transaction,
every receipt and raw transaction of its block, the block header's fields, the chain id and the
contract addresses, and the ``AccessRecorded`` events of the record's category, owner and
subject. :func:`verify` re-derives every hash (see :mod:`govchain.interop.blockproof`) and
returns what is proven and what is not (:class:`Verdict`); a file that does not hold together
raises :class:`EvidenceRefused` naming the first broken link.

The file's contract addresses are the exporter's word: anyone can deploy a look-alike
AnchorRegistry over their own DepartmentRegistry on the same chain and anchor a forged record
for a department code of their choosing. So the verifier names the addresses it trusts
(``trusted``): online, the platform's deployment (every contract the file names must be the
platform's; the department's name is read from the trusted DepartmentRegistry); offline, at
least the AnchorRegistry. Offline without it the verdict is not complete
(:attr:`Verdict.complete` false), and says so.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain import events
from govchain.errors import GovchainError, InvalidInput
from govchain.interop.blockproof import ProofError, check_block, header_fields, raw_transaction
from govchain.interop.evidence_trust import EvidenceRefused as EvidenceRefused  # the API's
from govchain.interop.evidence_trust import check_contracts, department_name, same_chain
from govchain.interop.numbers import UINT32, UINT64, whole
from govchain.sharing.acceptance import RecordColumns
from govchain.sharing.base import code_name
from govchain.sharing.merkle import RECORD_HASH_TAG, process_proof, record_hash, record_leaf
from govchain.timefmt import utc_iso

if TYPE_CHECKING:
    from web3 import Web3

    from govchain.network import Connection

FORMAT = "govchain.Evidence/1"
# topic0 of the anchoring events, from the packaged ABIs (govchain.events), as 0x hex
RECORD_ANCHORED = "0x" + events.topic("AnchorRegistry", "RecordAnchored").hex()
BATCH_ANCHORED = "0x" + events.topic("AnchorRegistry", "BatchAnchored").hex()


def _hex(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


def _b(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise EvidenceRefused(f"{what} is missing or not 0x-hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise EvidenceRefused(f"{what} is not 0x-hex") from None
    if size is not None and len(raw) != size:
        raise EvidenceRefused(f"{what} is not {size} bytes")
    return raw


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    """A raw JSON-RPC call: the node's own hex fields, untouched by web3's formatters."""
    answer = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in answer:
        raise InvalidInput(method, params, str(answer["error"]))
    return answer["result"]


def _raw_transaction(w3: Web3, tx_hash: str) -> str:
    """The signed transaction's bytes: ``eth_getRawTransactionByHash`` (geth, Besu, anvil), or
    rebuilt from ``eth_getTransactionByHash`` where the node lacks it (EthereumJS)."""
    answer = w3.provider.make_request("eth_getRawTransactionByHash", [tx_hash])  # type: ignore[arg-type]
    if "error" not in answer and answer.get("result"):
        return str(answer["result"])
    return "0x" + raw_transaction(_rpc(w3, "eth_getTransactionByHash", tx_hash)).hex()


# --- export ----------------------------------------------------------------------------------


def export(
    connection: Connection,
    record: RecordColumns,
    include_content: bool,
    batch: tuple[bytes, list[bytes]] | None = None,
) -> dict[str, Any]:
    """The evidence bundle of ``record``: its single anchor, or its leaf in ``batch``
    (root, proof). :class:`EvidenceRefused` if the chain holds no such anchor."""
    w3 = connection.w3
    registry = connection.contract("AnchorRegistry")
    digest = record_hash(
        record.category, record.record_id, record.version, record.owner, record.subject,
        record.media_type, record.content, record.salt,
    )  # fmt: skip
    anchor: dict[str, Any]
    if batch is None:
        found = [
            log
            for log in registry.events.RecordAnchored().get_logs(
                from_block=connection.deployment.deploy_block,
                argument_filters={"category": record.category, "recordId": record.record_id},
            )
            # the indexed arguments re-checked: a node may ignore them (EthereumJS 0.10.5)
            if int(log["args"]["version"]) == record.version
            and bytes(log["args"]["category"]) == record.category
            and bytes(log["args"]["recordId"]) == record.record_id
        ]
        if not found or bytes(found[0]["args"]["recordHash"]) != digest:
            raise EvidenceRefused(
                f"version {record.version} of record {_hex(record.record_id)} is not anchored "
                "with this content, salt and columns"
            )
        anchor = {"kind": "single"}
    else:
        root, proof = batch
        leaf = record_leaf(record.category, record.record_id, 1, digest)
        if process_proof(proof, leaf) != root:
            raise EvidenceRefused("the Merkle proof does not lead from this record to the root")
        found = [
            log
            for log in registry.events.BatchAnchored().get_logs(
                from_block=connection.deployment.deploy_block,
                argument_filters={"category": record.category, "root": root},
            )
            if bytes(log["args"]["category"]) == record.category
            and bytes(log["args"]["root"]) == root
        ]
        if not found:
            raise EvidenceRefused(f"batch root {_hex(root)} is not anchored")
        anchor = {"kind": "batch", "root": _hex(root), "proof": [_hex(p) for p in proof]}
    log = found[0]
    tx_hash = _hex(log["transactionHash"])
    block = _rpc(w3, "eth_getBlockByNumber", hex(int(log["blockNumber"])), False)
    receipts = [_rpc(w3, "eth_getTransactionReceipt", h) for h in block["transactions"]]
    raws = [_raw_transaction(w3, h) for h in block["transactions"]]
    anchor |= {"transaction_hash": tx_hash, "log_index": int(log["logIndex"])}
    departments = connection.contract("DepartmentRegistry")
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "chain_id": connection.chain_id,
        "contracts": {
            name: connection.deployment.address(name)
            for name in ("AnchorRegistry", "DepartmentRegistry", "AccessGrants")
        },
        "record": {
            "category": _hex(record.category),
            "record_id": _hex(record.record_id),
            "version": record.version,
            "owner": _hex(record.owner),
            "owner_name": departments.functions.department(record.owner).call()[1],
            "subject": record.subject,
            "media_type": record.media_type,
            "content_digest": _hex(keccak(record.content)),
            "salt": _hex(record.salt),
            "record_hash": _hex(digest),
        },
        "anchor": anchor,
        "transaction": _rpc(w3, "eth_getTransactionByHash", tx_hash),
        "block": {
            "hash": block["hash"],
            "header": header_fields(block),
            "receipts": receipts,
            "raw_transactions": raws,
        },
        "access_records": _access_records(connection, record),
    }
    if include_content:
        bundle["record"]["content_base64"] = base64.b64encode(record.content).decode()
    return bundle


def _access_records(connection: Connection, record: RecordColumns) -> list[dict[str, Any]]:
    grants = connection.contract("AccessGrants")
    filters: dict[str, Any] = {"owner": record.owner}
    if record.subject:
        filters["subject"] = record.subject
    out = []
    for log in grants.events.AccessRecorded().get_logs(
        from_block=connection.deployment.deploy_block, argument_filters=filters
    ):
        args = log["args"]
        # every filter re-checked: a node may ignore indexed-argument filters (EthereumJS)
        if (
            bytes(args["category"]) != record.category
            or bytes(args["owner"]) != record.owner
            or (
                record.subject
                and to_checksum_address(args["subject"]) != to_checksum_address(record.subject)
            )
        ):
            continue
        out.append(
            {
                "block": int(log["blockNumber"]),
                "transaction_hash": _hex(log["transactionHash"]),
                "subject": args["subject"],
                "grantee": _hex(args["grantee"]),
                "member": args["member"],
                "purpose_hash": _hex(args["purposeHash"]),
                "request_hash": _hex(args["requestHash"]),
                "grant_id": _hex(args["grantId"]),
            }
        )
    return out


# --- verify ----------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What an evidence file proves, what it does not, and how it was checked."""

    mode: str
    block: int
    timestamp: int
    department: str
    record_hash: str
    proven: list[str] = field(default_factory=list)
    not_proven: list[str] = field(default_factory=list)
    #: False offline when no AnchorRegistry was trusted: the file holds together, but nothing
    #: ties it to the platform's deployment (a look-alike registry passes every other check)
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.complete,
            "mode": self.mode,
            "block": self.block,
            "timestamp": self.timestamp,
            "time": utc_iso(self.timestamp),
            "department": self.department,
            "record_hash": self.record_hash,
            "proven": self.proven,
            "not_proven": self.not_proven,
        }


def _anchor_log(bundle: dict[str, Any], receipt: dict[str, Any]) -> dict[str, Any]:
    anchor = bundle["anchor"]
    registry = str(bundle["contracts"]["AnchorRegistry"]).lower()
    logs = [lg for lg in receipt["logs"] if str(lg["address"]).lower() == registry]
    index = anchor.get("log_index")
    chosen = [lg for lg in logs if int(lg["logIndex"], 16) == index]
    if not chosen:
        raise EvidenceRefused(
            "the receipt has no log of the AnchorRegistry at the anchor's log index"
        )
    found: dict[str, Any] = chosen[0]
    return found


def verify(
    bundle: dict[str, Any],
    w3: Web3 | None = None,
    trusted_block_hash: str | None = None,
    content: bytes | None = None,
    trusted: Mapping[str, str] | None = None,
) -> Verdict:
    """Check ``bundle`` on its own, then against the node ``w3`` (online) or the block hash the
    verifier trusts (offline). ``content`` supplies content the file left out.

    ``trusted`` maps contract names to the platform's addresses, as the verifier knows them (not
    from the file). Online it is required: every contract the file names must be there with the
    same address. Offline its ``AnchorRegistry``, if given, must be the file's; without it the
    verdict is not :attr:`~Verdict.complete`."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise EvidenceRefused(f"not a {FORMAT} file")
    if trusted_block_hash is None and w3 is not None and not trusted:
        raise EvidenceRefused(
            "online verification needs the platform's contract addresses to compare the file's with"
        )
    try:
        return _verify(bundle, w3, trusted_block_hash, content, dict(trusted or {}))
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
        if isinstance(exc, GovchainError):
            raise
        raise EvidenceRefused(f"malformed file ({type(exc).__name__}: {str(exc)[:200]})") from None


def _verify(
    bundle: dict[str, Any],
    w3: Web3 | None,
    trusted_hash: str | None,
    content: bytes | None,
    trusted: dict[str, str],
) -> Verdict:
    online = trusted_hash is None and w3 is not None
    record, anchor, block = bundle["record"], bundle["anchor"], bundle["block"]
    # the file's numbers, in the ranges their uses allow (review s26 L-1); the header's are hex
    whole(bundle["chain_id"], "chain_id", 1, UINT64, EvidenceRefused)
    version = whole(record["version"], "record version", 1, UINT32, EvidenceRefused)
    whole(anchor.get("log_index"), "anchor log_index", 0, UINT32, EvidenceRefused)
    if online and w3 is not None:
        same_chain(w3, bundle)  # first: another chain's file names other addresses anyway
    registry_trusted = check_contracts(bundle, trusted, online)
    category = _b(record["category"], "category", 32)
    rid = _b(record["record_id"], "record id", 32)
    owner = _b(record["owner"], "owner", 32)
    digest_of_content = _b(record["content_digest"], "content digest", 32)
    if "content_base64" in record:
        shipped = base64.b64decode(record["content_base64"], validate=True)
        if content is not None and content != shipped:
            raise EvidenceRefused("the content given differs from the content in the file")
        content = shipped
    if content is not None and keccak(content) != digest_of_content:
        raise EvidenceRefused("the content does not hash to the file's content digest (altered)")
    salt = _b(record["salt"], "salt", 32)
    subject = record["subject"]
    computed = record_hash_of_digest(
        category, rid, version, owner, subject, str(record["media_type"]), digest_of_content, salt
    )
    if _hex(computed) != str(record["record_hash"]).lower():
        raise EvidenceRefused(
            "the record's columns and salt do not hash to its record hash (altered)"
        )
    # the block: header fields -> block hash; receipts and transactions -> the header's roots
    try:
        check_block(block["hash"], block["header"], block["receipts"], block["raw_transactions"])
    except ProofError as exc:
        raise EvidenceRefused(str(exc)) from None
    tx_hash = str(anchor["transaction_hash"]).lower()
    receipts = [r for r in block["receipts"] if str(r["transactionHash"]).lower() == tx_hash]
    if not receipts or int(receipts[0]["status"], 16) != 1:
        raise EvidenceRefused(
            "the anchoring transaction is not a successful transaction of the block"
        )
    if str(bundle["transaction"]["hash"]).lower() != tx_hash:
        raise EvidenceRefused("the transaction in the file is not the anchoring transaction")
    log = _anchor_log(bundle, receipts[0])
    topics = [_b(t, "topic", 32) for t in log["topics"]]
    if len(topics) != 4 or topics[3] != owner:
        raise EvidenceRefused("the anchor event does not name the record's owner department")
    if anchor["kind"] == "single":
        if _hex(topics[0]) != RECORD_ANCHORED or topics[1] != category or topics[2] != rid:
            raise EvidenceRefused("the anchor event is not this record's RecordAnchored")
        logged_version, logged_hash, publisher = abi_decode(
            ["uint32", "bytes32", "address"], _b(log["data"], "log data")
        )
        if int(logged_version) != version or bytes(logged_hash) != computed:
            raise EvidenceRefused("the anchored version or record hash differs from the record's")
        how = f"record hash anchored as version {version} by {to_checksum_address(publisher)}"
    elif anchor["kind"] == "batch":
        root = _b(anchor["root"], "root", 32)
        if version != 1:
            raise EvidenceRefused("a batch anchors version 1 only")
        leaf = record_leaf(category, rid, 1, computed)
        if process_proof([_b(p, "proof", 32) for p in anchor["proof"]], leaf) != root:
            raise EvidenceRefused(
                "the Merkle proof does not lead from the record to the batch root"
            )
        if _hex(topics[0]) != BATCH_ANCHORED or topics[1] != category or topics[2] != root:
            raise EvidenceRefused("the anchor event is not this batch's BatchAnchored")
        _count, publisher = abi_decode(["uint64", "address"], _b(log["data"], "log data"))
        how = f"record is a leaf of batch {_hex(root)} anchored by {to_checksum_address(publisher)}"
    else:
        raise EvidenceRefused(f"unknown anchor kind {anchor['kind']!r}")
    header = block["header"]
    number, timestamp = int(header["number"], 16), int(header["timestamp"], 16)
    mode = _anchor_block(bundle, w3, trusted_hash, number)
    name = code_name(owner)
    if mode == "online" and w3 is not None:
        name += f" ({department_name(w3, trusted, owner)})"
    verdict = Verdict(mode, number, timestamp, name, _hex(computed), complete=registry_trusted)
    verdict.proven += [
        f"the record hash {_hex(computed)} binds category, record id, version {version}, owner, "
        "subject, media type, the content digest and the salt",
        f"{how}, in transaction {tx_hash} of block {number} (hash {block['hash']}), "
        f"block time {utc_iso(timestamp)}",
        f"so this content existed no later than block {number} at {utc_iso(timestamp)}, anchored "
        f"for department {name} by the AnchorRegistry at {bundle['contracts']['AnchorRegistry']}",
    ]
    if content is not None:
        verdict.proven.append(
            "the content given hashes to the anchored content digest: unchanged since"
        )
    else:
        verdict.not_proven.append(
            "the content itself: the file holds its digest only; give the content to check it"
        )
    if w3 is not None and mode == "online":
        _confirm_anchor(w3, bundle, category, rid, computed, number)
        verdict.proven.append(
            "the AnchorRegistry on the node confirms the anchor itself "
            "(verifyRecord / verifyLeaf answer this block)"
        )
        latest = _latest_version(w3, bundle, category, rid)
        verdict.proven.append(
            f"the chain's latest single-anchored version of this record is {latest} "
            + (
                "(this one)"
                if latest == version
                else "(0: only its batch leaf)"
                if latest == 0
                else f"(this version {version} is superseded)"
            )
        )
    else:
        verdict.not_proven.append(
            "that no later version supersedes it (verify online, or 'record verify')"
        )
    verdict.not_proven += [
        "that the content is true, or who wrote it: only that it was anchored unchanged",
        "the access records listed: they are copied from the chain's AccessRecorded events of "
        "this category, owner and subject as exported; they name a request hash, not the record",
    ]
    if mode == "offline":
        verdict.not_proven.append(
            "that the block is on the consortium's canonical chain: the verifier trusts the "
            "block hash it gave"
        )
        if record.get("owner_name"):
            verdict.not_proven.append(
                f"the department's name {record['owner_name']!r}: the file states it; the chain "
                f"names the code {code_name(owner)} only"
            )
        if registry_trusted:
            verdict.proven.append(
                f"the AnchorRegistry {bundle['contracts']['AnchorRegistry']} is the one the "
                "verifier trusts as the platform's"
            )
        else:
            verdict.not_proven.insert(
                0,
                f"that the AnchorRegistry at {bundle['contracts']['AnchorRegistry']} is this "
                "platform's: anyone can deploy a look-alike registry and anchor a forged record "
                "under any department code; without the platform's address (--trust-registry) "
                "this is NOT a full verification",
            )
    else:
        verdict.proven.append(
            f"the file's {', '.join(sorted(bundle['contracts']))} are this platform's deployment "
            "(the verifier's own manifest, not the file); the department's name is read from "
            "that DepartmentRegistry"
        )
    return verdict


def _confirm_anchor(
    w3: Web3, bundle: dict[str, Any], category: bytes, rid: bytes, digest: bytes, number: int
) -> None:
    """Ask the live AnchorRegistry (online mode): it must know this anchor at this block."""
    target = to_checksum_address(bundle["contracts"]["AnchorRegistry"])
    anchor = bundle["anchor"]
    if anchor["kind"] == "single":
        selector = keccak(text="verifyRecord(bytes32,bytes32,bytes32)")[:4]
        answer = w3.eth.call({"to": target, "data": selector + category + rid + digest})
        anchored, version, _latest, block, _time = abi_decode(
            ["bool", "uint32", "bool", "uint64", "uint64"], bytes(answer)
        )
        ok = anchored and int(version) == int(bundle["record"]["version"])
    else:
        selector = keccak(text="verifyLeaf(bytes32,bytes32,bytes32,bytes32,bytes32[])")[:4]
        proof = [_b(p, "proof", 32) for p in anchor["proof"]]
        args = abi_encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32[]"],
            [category, _b(anchor["root"], "root", 32), rid, digest, proof],
        )
        answer = w3.eth.call({"to": target, "data": selector + args})
        anchored, block, _time = abi_decode(["bool", "uint64", "uint64"], bytes(answer))
        ok = bool(anchored)
    if not ok or int(block) != number:
        raise EvidenceRefused("the AnchorRegistry on the node does not confirm this anchor")


def _latest_version(w3: Web3, bundle: dict[str, Any], category: bytes, rid: bytes) -> int:
    selector = keccak(text="latestVersion(bytes32,bytes32)")[:4]
    answer = w3.eth.call(
        {
            "to": to_checksum_address(bundle["contracts"]["AnchorRegistry"]),
            "data": selector + category + rid,
        }
    )
    return int.from_bytes(bytes(answer)[:32], "big")


def _anchor_block(bundle: dict[str, Any], w3: Web3 | None, trusted: str | None, number: int) -> str:
    """``online`` (the node serves the same block and contract) or ``offline`` (trusted hash)."""
    block_hash = str(bundle["block"]["hash"]).lower()
    if trusted is not None:
        if trusted.lower() != block_hash:
            raise EvidenceRefused(
                f"the file's block hash {block_hash} is not the trusted {trusted}"
            )
        return "offline"
    if w3 is None:
        raise EvidenceRefused("give an RPC endpoint or a trusted block hash to anchor the block")
    same_chain(w3, bundle)
    served = _rpc(w3, "eth_getBlockByNumber", hex(number), False)
    if served is None or str(served["hash"]).lower() != block_hash:
        raise EvidenceRefused(f"the node's block {number} is not the file's block {block_hash}")
    return "online"


def record_hash_of_digest(
    category: bytes, record_id: bytes, version: int, owner: bytes, subject: str | None,
    media_type: str, content_digest: bytes, salt: bytes,
) -> bytes:  # fmt: skip
    """:func:`govchain.sharing.merkle.record_hash` from the content's ``keccak256``."""
    who = bytes.fromhex(subject[2:]) if subject else b"\0" * 20
    if len(who) != 20:
        raise EvidenceRefused("the subject is not a 20-byte address")
    return keccak(
        RECORD_HASH_TAG + category + record_id + version.to_bytes(32, "big") + owner
        + b"\0" * 12 + who + keccak(media_type.encode()) + content_digest + salt
    )  # fmt: skip
