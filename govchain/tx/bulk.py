"""The bulk path: thousands of transactions, pipelined, with safe retries.

:class:`BulkSender` keeps its own nonce, signs everything locally, pushes the raw transactions
back to back (as JSON-RPC batches where the node takes them), and only then collects the
receipts, in order. A transient RPC failure (connection dropped, timeout, 502/503/504/429) is
retried by resending *the same signed bytes*, so the transaction hash cannot change and nothing
is sent twice: a node that already has it answers "already known", or "nonce too low" once it
is mined - both are success when the node knows our hash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import Nonce, TxParams, TxReceipt

from govchain.errors import ErrorDecoder, NetworkUnavailable, TransactionFailed
from govchain.network import fee_fields
from govchain.tx.receipts import format_receipt
from govchain.tx.rpc import BatchUnsupported, JsonRpc, RpcError, TransientRpcError
from govchain.tx.sender import DEFAULT_GAS_MARGIN, DEFAULT_TIMEOUT

ProgressCallback = Callable[[str, int, int], None]
"""``(phase, done, total)`` with phase ``"signed"``, ``"sent"`` or ``"mined"``."""


@dataclass(frozen=True)
class SignedTx:
    nonce: int
    raw: bytes
    hash: str  # 0x-hex

    @property
    def raw_hex(self) -> str:
        return "0x" + self.raw.hex()


REPUSH_AFTER = 5.0
"""Seconds without a new receipt after which the unmined transactions are pushed again."""

_DEV_NODES = ("anvil", "hardhatnetwork", "ganache")


def _rpc_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


_RPC_TX_KEYS = {
    "from": "from", "to": "to", "value": "value", "data": "data", "gas": "gas",
    "gasPrice": "gasPrice", "maxFeePerGas": "maxFeePerGas",
    "maxPriorityFeePerGas": "maxPriorityFeePerGas", "nonce": "nonce", "type": "type",
}  # fmt: skip


def _already_accepted(error: RpcError) -> bool:
    text = error.text
    return any(
        marker in text
        for marker in ("already known", "known transaction", "alreadyknown", "already imported")
    )


def _nonce_used(error: RpcError) -> bool:
    text = error.text
    return "nonce too low" in text or "noncetoolow" in text or "nonce is too low" in text


class BulkSender:
    """Local signing, own nonces, pipelined raw transactions, safe retries, ordered receipts."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: ErrorDecoder | None = None,
        *,
        url: str | None = None,
        batch_size: int = 100,
        use_batch: bool = True,
        retries: int = 8,
        backoff: float = 0.05,
        timeout: float = DEFAULT_TIMEOUT,
        poll_latency: float = 0.02,
        gas_margin: float = DEFAULT_GAS_MARGIN,
        progress: ProgressCallback | None = None,
        stall_after: float = 0.2,
        window: int = 1000,
    ) -> None:
        endpoint = url or getattr(w3.provider, "endpoint_uri", None)
        if not endpoint:
            raise TransactionFailed("the bulk path needs an HTTP JSON-RPC endpoint")
        self.w3 = w3
        self.account = account
        self.decoder = decoder or ErrorDecoder()
        self.rpc = JsonRpc(str(endpoint), timeout=min(timeout, 60.0))
        self.batch_size = max(1, batch_size)
        self.use_batch = use_batch
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.poll_latency = poll_latency
        self.gas_margin = gas_margin
        self.progress = progress
        self.retried = 0  # how many requests were resent after a transient failure
        self.absorbed = 0  # resent transactions the node already had ("already known"...)
        self.stall_after = stall_after
        self.repushed = 0
        self.window = max(window, 1)
        self.nudged = 0  # blocks mined to unstick an automining dev node (see _nudge)
        self.unstuck = 0  # times anvil's pool was cleared of our stuck transactions (_repush)
        self._client: str | None = None
        self._nonce: int | None = None
        self._chain_id: int | None = None
        self._lock = threading.RLock()

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    # -- transport with retries --

    def _with_retries(self, what: str, request: Callable[[], Any]) -> Any:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return request()
            except TransientRpcError as exc:
                if attempt == self.retries:
                    raise NetworkUnavailable(self.rpc.url, f"{what}: {exc}") from None
                self.retried += 1
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def _call(self, method: str, params: Sequence[Any] = ()) -> Any:
        result = self._with_retries(method, lambda: self.rpc.call(method, params))
        if isinstance(result, RpcError):
            raise TransactionFailed(f"{method}: {result.message}")
        return result

    def _many(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Calls as one batch (or back to back when batches are off), each retried safely."""
        if self.use_batch:
            try:
                return cast(
                    list[Any], self._with_retries(calls[0][0], lambda: self.rpc.batch(calls))
                )
            except BatchUnsupported:
                self.use_batch = False
        return [
            self._with_retries(m, lambda m=m, p=p: self.rpc.call(m, p))  # type: ignore[misc]
            for m, p in calls
        ]

    def _chunks(self, items: Sequence[Any]) -> Iterable[Sequence[Any]]:
        for start in range(0, len(items), self.batch_size):
            yield items[start : start + self.batch_size]

    def _report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    # -- nonces --

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(str(self._call("eth_chainId")), 16)
        return self._chain_id

    def resync_nonce(self) -> int:
        """Forget the local nonce; the next transaction starts from the node's pending count."""
        with self._lock:
            self._nonce = int(
                str(self._call("eth_getTransactionCount", [self.address, "pending"])), 16
            )
            return self._nonce

    def _take_nonce(self) -> int:
        with self._lock:
            if self._nonce is None:
                self.resync_nonce()
            assert self._nonce is not None
            nonce = self._nonce
            self._nonce += 1
            return nonce

    # -- preparing --

    def _estimate(self, txs: Sequence[TxParams]) -> list[int]:
        calls = [
            (
                "eth_estimateGas",
                [{_RPC_TX_KEYS[k]: _rpc_value(v) for k, v in tx.items() if k in _RPC_TX_KEYS}],
            )
            for tx in txs
        ]
        estimates: list[int] = []
        for chunk in self._chunks(calls):
            for result in self._many(chunk):
                if isinstance(result, RpcError):
                    if result.data is not None or "revert" in result.text:
                        raise self.decoder.refusal(
                            result.data if isinstance(result.data, str) else None
                        )
                    raise TransactionFailed(f"eth_estimateGas: {result.message}")
                estimates.append(max(21_000, int(int(str(result), 16) * self.gas_margin)))
        return estimates

    def sign(self, txs: Iterable[TxParams], fees: TxParams | None = None) -> list[SignedTx]:
        """Fill and sign ``txs`` with consecutive nonces; nothing is sent.

        Transactions without ``gas`` are estimated first (in batches), which also explains a
        refusal (:class:`ChainRefused`) before anything is signed.
        """
        pending = [cast(TxParams, {"value": 0, **tx, "from": self.address}) for tx in txs]
        chain_id = self.chain_id()
        fee = fees if fees is not None else fee_fields(self.w3, self.address)
        missing = [i for i, tx in enumerate(pending) if "gas" not in tx]
        if missing:
            estimates = self._estimate([pending[i] for i in missing])
            for i, gas in zip(missing, estimates, strict=True):
                pending[i]["gas"] = gas
        signed: list[SignedTx] = []
        with self._lock:
            for tx in pending:
                tx.setdefault("chainId", chain_id)
                if not any(k in tx for k in ("gasPrice", "maxFeePerGas")):
                    tx.update(fee)
                tx.pop("from")
                tx["nonce"] = Nonce(self._take_nonce())
                result = self.account.sign_transaction(cast(dict[str, Any], tx))
                signed.append(
                    SignedTx(
                        int(tx["nonce"]), bytes(result.raw_transaction), result.hash.to_0x_hex()
                    )
                )
                if len(signed) % 500 == 0:
                    self._report("signed", len(signed), len(pending))
        self._report("signed", len(signed), len(pending))
        return signed

    # -- sending --

    def push(self, signed: Sequence[SignedTx]) -> None:
        """Send raw transactions back to back in chunks (no waiting for receipts)."""
        for chunk in self._chunks(signed):
            self._push_chunk(chunk)

    def _push_chunk(self, chunk: Sequence[SignedTx]) -> None:
        results = self._many([("eth_sendRawTransaction", [s.raw_hex]) for s in chunk])
        errors = [(tx, r) for tx, r in zip(chunk, results, strict=True) if isinstance(r, RpcError)]
        if errors:
            self._settle_send_errors(errors)

    def _settle_send_errors(self, errors: Sequence[tuple[SignedTx, RpcError]]) -> None:
        """A resent transaction the node already has is fine; anything else is a failure.

        "already known": the node holds our bytes. "nonce too low": the nonce is used - by our
        transaction (the node knows its hash: success) or by another one (a real conflict).
        """
        unsettled = [(tx, e) for tx, e in errors if not _already_accepted(e)]
        self.absorbed += len(errors) - len(unsettled)
        used = [tx for tx, e in unsettled if _nonce_used(e)]
        known = self._many([("eth_getTransactionByHash", [tx.hash]) for tx in used]) if used else []
        ours = {
            tx.hash for tx, found in zip(used, known, strict=True) if isinstance(found, Mapping)
        }
        for tx, error in unsettled:
            if tx.hash in ours:
                self.absorbed += 1
                continue
            self.resync_nonce()
            if _nonce_used(error):
                raise TransactionFailed(
                    f"nonce {tx.nonce} was used by another transaction from {self.address}",
                    tx.hash,
                )
            raise TransactionFailed(error.message, tx.hash)

    def receipts(self, signed: Sequence[SignedTx]) -> list[TxReceipt]:
        """Wait for the receipts of transactions already pushed; in the order of ``signed``."""
        return self.pipeline(signed, already_sent=len(signed))

    def pipeline(self, signed: Sequence[SignedTx], already_sent: int = 0) -> list[TxReceipt]:
        """Push ``signed`` keeping at most ``window`` unmined, and collect every receipt.

        The window keeps the node's pool small (nodes limit transactions per sender, and a
        flooded pool slows a dev node down). One sender's transactions are mined in nonce
        order, so receipts are polled from the first missing one onwards.
        """
        total = len(signed)
        found: dict[int, TxReceipt] = {}
        sent, first = already_sent, 0
        deadline = time.monotonic() + self.timeout
        progress_at = pushed_at = time.monotonic()
        while first < total:
            while sent < total and sent - first < self.window:
                chunk = signed[sent : min(sent + self.batch_size, total, first + self.window)]
                self._push_chunk(chunk)
                sent += len(chunk)
                self._report("sent", sent, total)
                deadline = max(deadline, time.monotonic() + self.timeout)
            before = len(found)
            for ids in self._chunks(range(first, sent)):
                results = self._many([("eth_getTransactionReceipt", [signed[i].hash]) for i in ids])
                for i, result in zip(ids, results, strict=True):
                    if isinstance(result, Mapping):
                        found[i] = format_receipt(result)
                if any(i not in found for i in ids):
                    break
            while first < total and first in found:
                first += 1
            if len(found) > before:
                self._report("mined", len(found), total)
            if first == total:
                break
            now = time.monotonic()
            if len(found) > before:
                progress_at = now
                deadline = max(deadline, now + self.timeout)
            elif now - progress_at > self.stall_after and self._nudge():
                progress_at = now
            if len(found) == before and now - pushed_at > REPUSH_AFTER:
                # nothing mined for a while: push the unmined ones again (the same bytes, so
                # "already known" is absorbed) in case one never reached the node's pool - a
                # lost transaction holds every later nonce back
                self._repush(signed[first:sent])
                pushed_at = now
            elif len(found) > before:
                pushed_at = now
            if now > deadline:
                raise TransactionFailed(
                    f"{total - len(found)} transactions not mined within {self.timeout:.0f}s",
                    signed[first].hash,
                )
            if sent - first >= self.window or sent == total:
                time.sleep(self.poll_latency)
        return [found[i] for i in range(total)]

    def _client_version(self) -> str:
        if self._client is None:
            version = self._call("web3_clientVersion")
            self._client = version.lower() if isinstance(version, str) else ""
        return self._client

    def _nudge(self) -> bool:
        """On an automining dev node, mine a block when ready transactions sit in its pool.

        anvil's automine can leave transactions that arrived while it was mining in the pool
        until the next one arrives; a real network's next block picks them up by itself.
        """
        if not self._client_version().startswith(_DEV_NODES):
            return False
        self._call("evm_mine")
        self.nudged += 1
        return True

    def _repush(self, unmined: Sequence[SignedTx]) -> None:
        """Push the unmined transactions again: the same bytes, so the hashes stay.

        anvil (1.7.1) can hold a transaction in its pool as waiting for the one before it, when
        that one was mined between anvil reading the account's nonce and adding the new one: a
        batch of raw transactions arriving while automine mines does it, more often on a loaded
        machine. Nothing provides that wait again, so neither a new block (``_nudge``) nor the
        same bytes ("transaction already imported") mine it or any later nonce. Seen: the chain
        at nonce N, the pool holding N..499 as queued. When the chain's nonce is the first unmined
        transaction's and anvil has it in its pool (after ``REPUSH_AFTER`` seconds of empty
        blocks), this sender's transactions are removed from the pool
        (``anvil_removePoolTransactions``) before the same bytes are pushed; anvil then reads
        the nonce again and mines them. The sender owns its key's nonces (see
        :meth:`resync_nonce`), so only its own transactions are in that pool.
        """
        if unmined and self._stuck_in_anvils_pool(unmined[0]):
            self._call("anvil_removePoolTransactions", [self.address])
            self.unstuck += 1
        for chunk in self._chunks(unmined):
            self._push_chunk(chunk)
        self.repushed += 1

    def _stuck_in_anvils_pool(self, tx: SignedTx) -> bool:
        """anvil holds ``tx`` unmined although the chain's nonce is ``tx``'s (see _repush)."""
        if not self._client_version().startswith("anvil"):
            return False
        nonce = int(str(self._call("eth_getTransactionCount", [self.address, "latest"])), 16)
        if nonce != tx.nonce:
            return False
        pooled = self._call("eth_getTransactionByHash", [tx.hash])
        return isinstance(pooled, Mapping) and pooled.get("blockNumber") is None

    def send(
        self, txs: Iterable[TxParams], fees: TxParams | None = None, check_status: bool = True
    ) -> list[TxReceipt]:
        """Sign, push and wait: the receipts in the order of ``txs``.

        With ``check_status`` a failed transaction raises :class:`TransactionFailed` naming it
        (after all receipts are in, so no transaction is left unaccounted for).
        """
        signed = self.sign(txs, fees)
        receipts = self.pipeline(signed)
        if check_status:
            failed = [(s, r) for s, r in zip(signed, receipts, strict=True) if r["status"] != 1]
            if failed:
                raise TransactionFailed(
                    f"{len(failed)} of {len(signed)} transactions reverted", failed[0][0].hash
                )
        return receipts
