"""What a block proves without a node: its header hashes to the block hash, and its receipts
(and transactions) are the leaves of the tries whose roots the header names.

Everything here works on the raw JSON-RPC objects (hex strings as the node sent them), so a
bundle keeps them verbatim and a third party re-derives every hash from the fields:

* header hash = ``keccak256(rlp([parentHash, sha3Uncles, miner, stateRoot, transactionsRoot,
  receiptsRoot, logsBloom, difficulty, number, gasLimit, gasUsed, timestamp, extraData,
  mixHash, nonce, baseFeePerGas?, withdrawalsRoot?, blobGasUsed?, excessBlobGas?,
  parentBeaconBlockRoot?, requestsHash?]))`` — the optional fields are those of the forks
  after London, present in the order they were added (EIP-1559, 4895, 4844, 4788, 7685);
* a receipt is ``type || rlp([status, cumulativeGasUsed, logsBloom, logs])`` (no type byte for
  legacy receipts), a log ``[address, topics, data]``; the receipts root is the Merkle-Patricia
  trie root with ``rlp(transaction index)`` as keys;
* a transaction's leaf is its raw signed encoding, whose ``keccak256`` is its hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rlp
from eth_utils.crypto import keccak
from trie import HexaryTrie

#: Header fields in RLP order; everything after ``nonce`` is fork-dependent and optional.
HEADER_FIELDS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot",
    "logsBloom", "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData",
    "mixHash", "nonce",
)  # fmt: skip
OPTIONAL_FIELDS = (
    "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
    "parentBeaconBlockRoot", "requestsHash",
)  # fmt: skip
_INTEGERS = {
    "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas",
    "blobGasUsed", "excessBlobGas",
}  # fmt: skip


class ProofError(ValueError):
    """A block, receipt or transaction does not hash to what it claims."""


def _bytes(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ProofError(f"{name} is not 0x-hex")
    text = value[2:]
    try:
        return bytes.fromhex(text if len(text) % 2 == 0 else "0" + text)
    except ValueError:
        raise ProofError(f"{name} is not 0x-hex") from None


def _int(value: Any, name: str) -> bytes:
    raw = _bytes(value, name)
    return raw.lstrip(b"\0")


def header_fields(block: dict[str, Any]) -> dict[str, str]:
    """The header part of a JSON-RPC block (what the hash covers), in RLP order."""
    out = {name: block[name] for name in HEADER_FIELDS if name in block}
    missing = [name for name in HEADER_FIELDS if name not in block]
    if missing:
        raise ProofError(f"block header lacks {', '.join(missing)}")
    present = [name for name in OPTIONAL_FIELDS if block.get(name) is not None]
    if present != list(OPTIONAL_FIELDS[: len(present)]):
        raise ProofError(f"block header has fork fields out of order: {', '.join(present)}")
    out.update({name: block[name] for name in present})
    return out


def header_hash(header: dict[str, str]) -> bytes:
    """``keccak256`` of the RLP header: the block hash, computed from the fields."""
    items = []
    for name in (*HEADER_FIELDS, *OPTIONAL_FIELDS):
        if name not in header:
            continue
        value = header[name]
        items.append(_int(value, name) if name in _INTEGERS else _bytes(value, name))
    return keccak(rlp.encode(items))


def receipt_bytes(receipt: dict[str, Any]) -> bytes:
    """The consensus encoding of a JSON-RPC receipt (post-Byzantium: with a status)."""
    logs = [
        [
            _bytes(log["address"], "log address"),
            [_bytes(t, "topic") for t in log["topics"]],
            _bytes(log["data"], "log data"),
        ]
        for log in receipt["logs"]
    ]
    body: bytes = rlp.encode(
        [
            _int(receipt["status"], "status"),
            _int(receipt["cumulativeGasUsed"], "cumulativeGasUsed"),
            _bytes(receipt["logsBloom"], "logsBloom"),
            logs,
        ]
    )
    kind = int(receipt.get("type") or "0x0", 16)
    return body if kind == 0 else bytes([kind]) + body


def _access_list(entries: Any) -> list[list[Any]]:
    return [
        [_bytes(e["address"], "access list address"), [_bytes(k, "storage key") for k in
         e["storageKeys"]]]
        for e in entries or []
    ]  # fmt: skip


def raw_transaction(tx: dict[str, Any]) -> bytes:
    """The signed encoding of a JSON-RPC transaction (types 0, 1 and 2), for a node without
    ``eth_getRawTransactionByHash`` (EthereumJS): ``keccak256`` of it is the transaction's hash,
    which :func:`check_block` checks, so a wrong rebuild is refused, never trusted."""
    kind = int(tx.get("type") or "0x0", 16)
    to = b"" if tx.get("to") is None else _bytes(tx["to"], "to")
    data = _bytes(tx.get("input", tx.get("data", "0x")), "input")
    common = [_int(tx["gas"], "gas"), to, _int(tx["value"], "value"), data]
    signature = [_int(tx["r"], "r"), _int(tx["s"], "s")]
    if kind == 0:
        return bytes(rlp.encode(
            [_int(tx["nonce"], "nonce"), _int(tx["gasPrice"], "gasPrice"), *common,
             _int(tx["v"], "v"), *signature]
        ))  # fmt: skip
    parity = _int(tx.get("yParity", tx.get("v")), "yParity")
    head = [_int(tx["chainId"], "chainId"), _int(tx["nonce"], "nonce")]
    if kind == 1:
        fees = [_int(tx["gasPrice"], "gasPrice")]
    elif kind == 2:
        fees = [_int(tx["maxPriorityFeePerGas"], "tip"), _int(tx["maxFeePerGas"], "fee cap")]
    else:
        raise ProofError(f"transaction type {kind} cannot be rebuilt from its fields")
    body = [*head, *fees, *common, _access_list(tx.get("accessList")), parity, *signature]
    return bytes([kind]) + bytes(rlp.encode(body))


def trie_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the Merkle-Patricia trie keyed by ``rlp(index)``."""
    trie = HexaryTrie({})
    for index, leaf in enumerate(leaves):
        trie[rlp.encode(index)] = leaf
    root: bytes = trie.root_hash
    return root


def check_block(
    block_hash: str,
    header: dict[str, str],
    receipts: Sequence[dict[str, Any]],
    raw_transactions: Sequence[str],
) -> None:
    """The header hashes to ``block_hash``; every receipt and raw transaction of the block is in
    the tries the header names, in order. :class:`ProofError` names the first mismatch."""
    computed = header_hash(header)
    if "0x" + computed.hex() != block_hash.lower():
        raise ProofError(
            f"the block header's fields hash to 0x{computed.hex()}, not to block hash {block_hash}"
        )
    ordered = sorted(receipts, key=lambda r: int(r["transactionIndex"], 16))
    if [int(r["transactionIndex"], 16) for r in ordered] != list(range(len(ordered))):
        raise ProofError("the block's receipts are not complete (transaction indexes have gaps)")
    root = trie_root([receipt_bytes(r) for r in ordered])
    if "0x" + root.hex() != header["receiptsRoot"].lower():
        raise ProofError("the receipts do not rebuild the header's receiptsRoot")
    if len(raw_transactions) != len(ordered):
        raise ProofError("the block's transactions and receipts differ in number")
    raws = [_bytes(raw, "raw transaction") for raw in raw_transactions]
    for raw, receipt in zip(raws, ordered, strict=True):
        if "0x" + keccak(raw).hex() != receipt["transactionHash"].lower():
            raise ProofError(
                f"raw transaction {receipt['transactionIndex']} does not hash to its receipt's"
            )
    if "0x" + trie_root(raws).hex() != header["transactionsRoot"].lower():
        raise ProofError("the transactions do not rebuild the header's transactionsRoot")
