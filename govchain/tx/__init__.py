"""Sending transactions: one at a time with checks, or in bulk with a pipeline.

- :mod:`govchain.tx.sender`: :class:`Sender`, one checked transaction (``eth_call`` first, a
  revert explained with the contracts' custom errors) and :func:`encode_call`;
- :mod:`govchain.tx.bulk`: :class:`BulkSender`, pipelined raw transactions with safe retries;
- :mod:`govchain.tx.rpc`: the bulk path's JSON-RPC transport;
- :mod:`govchain.tx.receipts`: :class:`Sent`, the one transaction-result type
  (``{"tx_hash", "block"}``), and raw-receipt formatting.

Everything is importable from ``govchain.tx`` as before the split.
"""

from govchain.tx.bulk import BulkSender, ProgressCallback, SignedTx
from govchain.tx.receipts import Sent, format_log, format_receipt
from govchain.tx.rpc import BatchUnsupported, JsonRpc, RpcError, TransientRpcError
from govchain.tx.sender import DEFAULT_GAS_MARGIN, DEFAULT_TIMEOUT, Sender, encode_call

__all__ = [
    "DEFAULT_GAS_MARGIN",
    "DEFAULT_TIMEOUT",
    "BatchUnsupported",
    "BulkSender",
    "JsonRpc",
    "ProgressCallback",
    "RpcError",
    "Sender",
    "Sent",
    "SignedTx",
    "TransientRpcError",
    "encode_call",
    "format_log",
    "format_receipt",
]
