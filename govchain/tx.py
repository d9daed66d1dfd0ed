"""Sending transactions: one at a time with checks, or in bulk with a pipeline.

:class:`Sender` builds, signs locally, sends and waits for one transaction. Before it spends
gas it runs the transaction as an ``eth_call``: a revert is decoded with the contracts' custom
errors and raised as :class:`~govchain.errors.ChainRefused` with its plain-language
explanation. A transaction that is mined but fails is replayed to find the same reason.

:class:`BulkSender` is the fast path for thousands of transactions: it keeps its own nonce,
signs everything locally, pushes the raw transactions back to back (as JSON-RPC batches where
the node takes them), and only then collects the receipts, in order. A transient RPC failure
(connection dropped, timeout, 502/503/504/429) is retried by resending *the same signed bytes*,
so the transaction hash cannot change and nothing is sent twice: a node that already has it
answers "already known", or "nonce too low" once it is mined - both are success when the
node knows our hash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import httpx
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.datastructures import AttributeDict
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from govchain.errors import (
    ChainRefused,
    ErrorDecoder,
    InsufficientFunds,
    NetworkUnavailable,
    TransactionFailed,
    revert_data,
)
from govchain.httprpc import client
from govchain.network import confirmations, fee_fields

DEFAULT_GAS_MARGIN = 1.2
DEFAULT_TIMEOUT = 120.0

ProgressCallback = Callable[[str, int, int], None]
"""``(phase, done, total)`` with phase ``"signed"``, ``"sent"`` or ``"mined"``."""


def _hex_or_none(value: Any) -> str | None:
    return None if value is None else HexBytes(value).to_0x_hex()


class Sender:
    """Send transactions from one local account, explaining refusals before spending gas."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: ErrorDecoder | None = None,
        *,
        gas_margin: float = DEFAULT_GAS_MARGIN,
        timeout: float = DEFAULT_TIMEOUT,
        poll_latency: float = 0.05,
        confirmations: int | None = None,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder or ErrorDecoder()
        self.gas_margin = gas_margin
        self.timeout = timeout
        self.poll_latency = poll_latency
        self.confirmations = _confirmations() if confirmations is None else max(1, confirmations)
        self._chain_id: int | None = None
        self._pending_tag = True  # whether the node answers eth_call at "pending"

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _refusal(self, exc: BaseException, tx_hash: str | None = None) -> ChainRefused | None:
        data = revert_data(exc)
        return None if data is None else self.decoder.refusal(data, tx_hash)

    def call(self, tx: TxParams, block: int | str = "pending") -> bytes:
        """Run ``tx`` as ``eth_call`` from this account; a revert raises :class:`ChainRefused`."""
        request = cast(TxParams, {"from": self.address, **tx})
        for key in ("nonce", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"):
            request.pop(key, None)  # type: ignore[misc]
        if block == "pending" and not self._pending_tag:
            block = "latest"
        try:
            return bytes(self.w3.eth.call(request, block_identifier=block))  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            if block == "pending" and _pending_unsupported(exc):
                # e.g. the EthereumJS client: '"pending" is not yet supported'
                self._pending_tag = False
                return self.call(tx, "latest")
            refusal = self._refusal(exc)
            if refusal is None:
                raise TransactionFailed(_message(exc)) from None
            raise refusal from None

    def preflight(self, tx: TxParams) -> None:
        """Explain a refusal before anything is signed (see :meth:`call`)."""
        self.call(tx)

    def estimate_gas(self, tx: TxParams) -> int:
        request = cast(TxParams, {"from": self.address, **tx})
        try:
            estimate = int(self.w3.eth.estimate_gas(request))
        except (ContractLogicError, Web3RPCError) as exc:
            refusal = self._refusal(exc)
            if refusal is None:
                # e.g. "gas required exceeds allowance: 0": the node caps gas at balance / price
                raise self._unfunded(tx) or TransactionFailed(_message(exc)) from None
            raise refusal from None
        return max(21_000, int(estimate * self.gas_margin))

    def _unfunded(self, tx: Mapping[str, Any], tx_hash: str | None = None) -> Exception | None:
        """:class:`InsufficientFunds` if this key cannot pay even a plain transfer's gas at
        ``tx``'s price (read only after a failure, so the happy path costs nothing)."""
        price = int(tx.get("maxFeePerGas") or tx.get("gasPrice") or 0)
        if price == 0:
            return None
        balance = int(self.w3.eth.get_balance(self.address))
        if balance >= price * 21_000 + int(tx.get("value") or 0):
            return None
        return InsufficientFunds(self.address, balance, price, tx_hash)

    def build(self, tx: TxParams) -> TxParams:
        """Fill sender, chain id, nonce, fees and gas (each only where missing)."""
        built = cast(TxParams, {"value": Wei(0), **tx, "from": self.address})
        built.setdefault("chainId", self.chain_id)
        built.setdefault("nonce", self.w3.eth.get_transaction_count(self.address, "pending"))
        if not any(k in built for k in ("gasPrice", "maxFeePerGas")):
            built.update(fee_fields(self.w3, self.address))
        if "maxFeePerGas" in built:
            # say so: a node may read fee fields without a type as a legacy transaction at gas
            # price 0 (the EthereumJS client does in eth_estimateGas)
            built.setdefault("type", 2)
        if "gas" not in built:
            built["gas"] = self.estimate_gas(built)
        return built

    def submit(self, tx: TxParams, *, preflight: bool = True) -> tuple[str, TxParams]:
        """Check, build, sign and send without waiting: the hash and the transaction as sent."""
        if preflight:
            self.preflight(tx)
        built = self.build(tx)
        signed = self.account.sign_transaction(cast(dict[str, Any], built))
        tx_hash = signed.hash.to_0x_hex()
        try:
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            unfunded = self._unfunded(built, tx_hash)
            raise unfunded or TransactionFailed(_message(exc), tx_hash) from None
        return tx_hash, built

    def send(self, tx: TxParams, *, preflight: bool = True) -> TxReceipt:
        """Check, build, sign, send and wait; returns the receipt of a successful transaction."""
        tx_hash, built = self.submit(tx, preflight=preflight)
        return self.wait(tx_hash, built)

    def wait(self, tx_hash: str, tx: TxParams | None = None) -> TxReceipt:
        receipt = self._poll_receipt(tx_hash)
        if receipt["status"] != 1:
            raise self._failure(tx_hash, receipt, tx)
        if self.confirmations > 1:
            self._await_depth(tx_hash, int(receipt["blockNumber"]))
        return receipt

    def _poll_receipt(self, tx_hash: str) -> TxReceipt:
        """The receipt once mined. "Not found" is "not yet", including the EthereumJS client's
        'value for 0x… not found in DB' while a sealed block is still being stored."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                pass
            except Web3RPCError as exc:
                if "not found" not in str(exc).lower():
                    raise TransactionFailed(_message(exc), tx_hash) from None
            if time.monotonic() > deadline:
                raise TransactionFailed(f"not mined within {self.timeout:.0f}s", tx_hash)
            time.sleep(self.poll_latency)

    def _await_depth(self, tx_hash: str, mined: int) -> None:
        """Wait until ``confirmations - 1`` blocks are sealed on top of the receipt's block, then
        check the transaction is still in the canonical chain."""
        deadline = time.monotonic() + self.timeout
        target = mined + self.confirmations - 1
        while int(self.w3.eth.block_number) < target:
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"not {self.confirmations} blocks deep within {self.timeout:.0f}s", tx_hash
                )
            time.sleep(max(self.poll_latency, 0.2))
        receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        if int(receipt["blockNumber"]) != mined:
            raise TransactionFailed("moved to another block by a reorganisation", tx_hash)

    def _failure(self, tx_hash: str, receipt: TxReceipt, tx: TxParams | None) -> Exception:
        """Why a mined transaction failed: replay it as a call on the block it was mined in.

        The block's own state and clock come first: a transaction mined just after a deadline
        passed only when its block's timestamp is used (the state before, at block - 1, still
        has the earlier clock and accepts it). If that replay passes (a later transaction of the
        same block changed the state), the state before the block is tried.
        """
        if tx is not None:
            replay = {k: v for k, v in tx.items() if k in ("to", "data", "value", "gas")}
            mined = int(receipt["blockNumber"])
            for block in (mined, mined - 1):
                try:
                    self.call(cast(TxParams, replay), block=block)
                except ChainRefused as refused:
                    return ChainRefused(
                        refused.error_name,
                        refused.arguments,
                        refused.explanation,
                        refused.data,
                        tx_hash,
                    )
                except TransactionFailed:
                    pass
        return TransactionFailed(
            f"reverted on chain (gas used {receipt['gasUsed']} of {tx.get('gas') if tx else '?'})",
            tx_hash,
        )

    def transact(
        self, function: ContractFunction, *, value: int = 0, gas: int | None = None
    ) -> TxReceipt:
        """Send a contract call, e.g. ``sender.transact(registry.functions.addMember(a, 1))``."""
        tx: TxParams = {
            "to": function.address,
            "data": encode_call(function),
            "value": Wei(value),
        }
        if gas is not None:
            tx["gas"] = gas
        return self.send(tx)

    def deploy(self, abi: Sequence[Mapping[str, Any]], bytecode: bytes, *args: Any) -> TxReceipt:
        """Deploy a contract; the receipt's ``contractAddress`` is its address."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        return self.send({"data": data})


def _confirmations() -> int:
    return confirmations()


def _pending_unsupported(exc: BaseException) -> bool:
    text = str(exc).lower()
    return not isinstance(exc, ContractLogicError) and "pending" in text and "support" in text


def encode_call(function: ContractFunction) -> HexStr:
    """The call data of ``contract.functions.name(*args)`` (web3's public ``encode_abi``)."""
    factory = function.w3.eth.contract(abi=[function.abi])
    return HexStr(
        factory.encode_abi(
            str(function.abi_element_identifier), args=function.args, kwargs=function.kwargs
        )
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, Mapping):
        error = exc.rpc_response.get("error")
        if isinstance(error, Mapping) and "message" in error:
            return str(error["message"])
    text = str(exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__


# --- JSON-RPC transport for the bulk path ---------------------------------------------------


class TransientRpcError(Exception):
    """The request may not have reached the node, or its answer was lost: safe to resend."""


@dataclass(frozen=True)
class RpcError:
    """An error reply to one JSON-RPC call."""

    code: int
    message: str
    data: Any = None

    @property
    def text(self) -> str:
        return self.message.lower()


_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
_TRANSIENT_RPC_CODES = {-32005}  # "limit exceeded" / rate limiting (Infura, Besu)


class JsonRpc:
    """A small JSON-RPC 2.0 client over HTTP with batches and a kept-alive session."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self.session = client(timeout)
        self._ids = 0
        self._lock = threading.Lock()

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _post(self, payload: object) -> Any:
        try:
            response = self.session.post(self.url, json=payload)
        except (httpx.HTTPError, OSError) as exc:
            raise TransientRpcError(f"{type(exc).__name__}: {exc}") from None
        if response.status_code in _TRANSIENT_HTTP:
            raise TransientRpcError(f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            if response.status_code >= 400:
                raise TransientRpcError(f"HTTP {response.status_code}") from None
            raise TransientRpcError("unreadable reply") from None

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; an error reply is returned as :class:`RpcError`, not raised."""
        reply = self._post(
            {"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": list(params)}
        )
        return _result(reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many calls in one request; results (or :class:`RpcError`) in the order of ``calls``."""
        if not calls:
            return []
        ids = [self._next_id() for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        reply = self._post(payload)
        if isinstance(reply, Mapping):  # the node refused the batch as a whole
            result = _result(reply)
            if isinstance(result, RpcError):
                raise BatchUnsupported(result.message)
        if not isinstance(reply, list):
            raise TransientRpcError("batch reply is not a list")
        by_id = {item.get("id"): item for item in reply if isinstance(item, Mapping)}
        if any(i not in by_id for i in ids):
            raise TransientRpcError("batch reply is missing answers")
        return [_result(by_id[i]) for i in ids]


class BatchUnsupported(Exception):
    """The node does not take JSON-RPC batches."""


def _result(reply: Any) -> Any:
    if not isinstance(reply, Mapping):
        raise TransientRpcError("reply is not a JSON-RPC object")
    if "error" in reply and reply["error"] is not None:
        error = reply["error"]
        if isinstance(error, Mapping):
            return RpcError(
                int(error.get("code", 0)), str(error.get("message", "")), error.get("data")
            )
        return RpcError(0, str(error))
    return reply.get("result")


# --- the bulk path --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedTx:
    nonce: int
    raw: bytes
    hash: str  # 0x-hex

    @property
    def raw_hex(self) -> str:
        return "0x" + self.raw.hex()


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
        self.window = max(window, 1)
        self.nudged = 0  # blocks mined to unstick an automining dev node (see _nudge)
        self._dev_node: bool | None = None
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
        progress_at = time.monotonic()
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
            if now > deadline:
                raise TransactionFailed(
                    f"{total - len(found)} transactions not mined within {self.timeout:.0f}s",
                    signed[first].hash,
                )
            if sent - first >= self.window or sent == total:
                time.sleep(self.poll_latency)
        return [found[i] for i in range(total)]

    def _nudge(self) -> bool:
        """On an automining dev node, mine a block when ready transactions sit in its pool.

        anvil's automine can leave transactions that arrived while it was mining in the pool
        until the next one arrives; a real network's next block picks them up by itself.
        """
        if self._dev_node is None:
            version = self._call("web3_clientVersion")
            self._dev_node = isinstance(version, str) and version.lower().startswith(
                ("anvil", "hardhatnetwork", "ganache")
            )
        if not self._dev_node:
            return False
        self._call("evm_mine")
        self.nudged += 1
        return True

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
