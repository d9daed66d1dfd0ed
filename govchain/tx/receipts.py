"""Receipts and the result of a mined transaction.

:class:`Sent` is the SDK's one transaction-result type: every client that sends returns it
(alone or inside its own result), and it prints as ``{"tx_hash": ..., "block": ...}``.
:func:`format_receipt` turns a raw JSON-RPC receipt into what ``w3.eth`` returns (the bulk path
fetches receipts in batches, past web3's formatters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from hexbytes import HexBytes
from web3 import Web3
from web3.datastructures import AttributeDict
from web3.types import TxReceipt


@dataclass(frozen=True)
class Sent:
    """A mined transaction: its hash and block. JSON: ``{"tx_hash", "block"}``."""

    tx_hash: str
    block: int

    @classmethod
    def of(cls, receipt: Mapping[str, Any]) -> Sent:
        return cls(HexBytes(receipt["transactionHash"]).to_0x_hex(), int(receipt["blockNumber"]))

    def as_dict(self) -> dict[str, Any]:
        return {"tx_hash": self.tx_hash, "block": self.block}


_RECEIPT_INTS = frozenset(
    {"blockNumber", "cumulativeGasUsed", "effectiveGasPrice", "gasUsed", "status",
     "transactionIndex", "type", "blobGasUsed", "blobGasPrice", "logIndex"}
)  # fmt: skip
_RECEIPT_BYTES = frozenset({"blockHash", "transactionHash", "logsBloom", "data"})


def _receipt_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _RECEIPT_INTS:
        return int(value, 16) if isinstance(value, str) else int(value)
    if key in _RECEIPT_BYTES:
        return HexBytes(value)
    if key == "topics":
        return [HexBytes(t) for t in value]
    if key == "logs":
        return [format_log(log) for log in value]
    if key in ("from", "to", "contractAddress", "address"):
        return Web3.to_checksum_address(value)
    return value


def format_log(log: Mapping[str, Any]) -> AttributeDict[str, Any]:
    """A raw JSON-RPC log as web3 formats it (ints, HexBytes, checksummed addresses)."""
    return AttributeDict({k: _receipt_value(k, v) for k, v in log.items()})


def format_receipt(raw: Mapping[str, Any]) -> TxReceipt:
    """A raw ``eth_getTransactionReceipt`` result as ``w3.eth.get_transaction_receipt`` gives it
    (the bulk path fetches receipts in JSON-RPC batches, past web3's formatters)."""
    return cast(TxReceipt, format_log(raw))
