"""One transaction at a time, checked before it spends gas.

:class:`Sender` builds, signs locally, sends and waits for one transaction. Before it spends
gas it runs the transaction as an ``eth_call``: a revert is decoded with the contracts' custom
errors and raised as :class:`~govchain.errors.ChainRefused` with its plain-language
explanation. A transaction that is mined but fails is replayed to find the same reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import TxParams, TxReceipt, Wei

from govchain.errors import (
    ChainRefused,
    ErrorDecoder,
    InsufficientFunds,
    TransactionFailed,
    revert_data,
)
from govchain.network import confirmations, fee_fields

DEFAULT_GAS_MARGIN = 1.2
DEFAULT_TIMEOUT = 120.0


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
