"""Cut ape's per-call work in the test workers: what a test checks stays the same (issue 20).

Loaded by :mod:`govchain.toolchain.testworker` (``testrun``'s pytest plugin), never by the
SDK or the CLI. Each patch removes work ape 0.8 repeats on every JSON-RPC call or every
transaction although its answer cannot have changed; the transactions sent, their gas, fees,
nonces, receipts and errors are the same.

* **Proxy settings.** ``requests`` walks ``os.environ`` for proxy settings on every request
  of a session that trusts the environment (``Session.merge_environment_settings``): once per
  JSON-RPC call of web3's ``HTTPProvider``. Sessions to a loopback URL get
  ``trust_env = False`` (a loopback anvil is never reached through a proxy).
* **The node-process map.** ape records every anvil it starts in
  ``~/.ape/processes/nodes.json`` and never removes the entry of an anvil that ape-foundry
  stopped (it looks the entry up after forgetting the anvil's URL), and every connect and
  disconnect compares each entry with the provider, rebuilding the provider's settings per
  entry. Entries whose process is gone are removed when pytest starts and ends.
* **Code at an address.** ape asks ``eth_getCode`` before every contract call and
  transaction (``_validate_is_contract``) and again after every transaction. On a
  development network ape never remembers code (a snapshot revert can remove it). Here
  code once seen is remembered per provider until anything in this process sends a request
  that can remove or replace code (:data:`FORGETTING`: ``evm_revert``, ``anvil_reset``,
  ``anvil_setCode``, ``anvil_loadState``, ...) or the provider connects or disconnects.
  An empty answer is never remembered (a deployment can fill it), nor an EIP-7702
  delegation (a later authorisation can clear it).
* **Block gas limit and mining mode.** ape's local network sends each transaction with the
  block gas limit (``gas_limit: max``), read from the latest block every time, and asks
  anvil whether it mines automatically (``anvil_getAutomine``) after every send. Both are
  remembered per provider until a request of :data:`FORGETTING` (which includes the
  requests that change them).
* **The transport.** JSON-RPC posts of any web3 ``HTTPProvider`` of this process to a
  loopback URL skip ``requests`` and go through urllib3 directly
  (:mod:`govchain.toolchain.rpctransport`: same body, headers, timeout and exceptions).
* **Configuration.** ape rebuilds ``Ethereum.default_transaction_type`` (a pydantic
  *settings* object, which reads the environment) and ``NetworkAPI.config`` (validated
  again; read for ``required_confirmations``, ``base_fee_multiplier``,
  ``transaction_acceptance_timeout``) on every transaction from a configuration loaded
  once. Both are remembered per ecosystem or network object (and active provider) until
  any provider connects or disconnects. Nothing in ``tests/`` or the package changes ape's
  configuration at run time (no ``config_manager``, ``isolate_data_folder``, network
  switching or ``use_provider``); a test that did would have to reconnect.
* **Receipts by hash.** ``ChainManager.get_receipt(hash)`` goes through ape's history,
  which first takes the hash's last 20 bytes for an address and asks its nonce
  (``eth_getTransactionCount``), two or three times per reverted transaction. Here a
  32-byte hash is looked up as a receipt straight away (the same receipt, the same
  ``TransactionNotFoundError``).
* **Signer recovery.** ape checks the signature each time it serialises a transaction (to
  send it, and for every ``txn_hash``); the recovered signer is remembered per signed
  bytes, so a signature that does not match its sender still raises ``SignatureError``.
* **Receipt polls.** An automining anvil answers ``eth_sendRawTransaction`` before the
  block is in; web3 then sleeps 0.1 s before asking for the receipt again. For loopback
  nodes it asks every 5 ms for the first 0.1 s, then every 0.1 s (unless the caller chose a
  latency); the receipt and the timeout error are the same.
* **The nonce after a mined receipt.** ape waits for the sender's nonce to pass the
  transaction's (``ReceiptAPI._await_sender_nonce_increment``, one ``eth_getTransactionCount``
  per transaction) even when the receipt it holds was read from a block. A mined transaction has
  used its nonce, so for a receipt with a block number the answer is already known; ape's
  receipts of transactions not in a block (block number -1: manual mining, a refused send)
  are asked about as before.
* **Console logs.** After every transaction to a contract ape traces it
  (``debug_traceTransaction``) to print ``console.log`` lines; no contract here uses
  ``console.sol``. The trace is skipped unless ``GOVCHAIN_TEST_CONSOLE_LOGS=1``.

``GOVCHAIN_TEST_APE_CALLS=0`` leaves ape as it is (to compare, or to rule these patches
out). Not remembered, ever: nonces, fees, the base fee, balances (other clients of this
process send from the same accounts). Not seen: a request of :data:`FORGETTING` that another
process sends to the worker's anvil; no test does that (the CLI's and the shared city's
reverts go to their own devnets).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from govchain.toolchain.rpctransport import (
    loopback,
    post_loopback_through_urllib3,
)

CONSOLE_LOGS_VARIABLE = "GOVCHAIN_TEST_CONSOLE_LOGS"
SWITCH_VARIABLE = "GOVCHAIN_TEST_APE_CALLS"
# requests after which code, the block gas limit or the mining mode may differ
FORGETTING = frozenset(
    {
        "evm_revert",
        "anvil_revert",
        "anvil_reset",
        "hardhat_reset",
        "anvil_rollback",
        "anvil_loadState",
        "anvil_setCode",
        "hardhat_setCode",
        "anvil_setAutomine",
        "evm_setAutomine",
        "anvil_setIntervalMining",
        "evm_setIntervalMining",
        "evm_setBlockGasLimit",
        "anvil_setBlockGasLimit",
    }
)
RECEIPT_POLL_SECONDS = 0.005
QUICK_RECEIPT_SECONDS = 0.1
TRANSACTION_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
DELEGATION_PREFIX = bytes.fromhex("ef0100")  # EIP-7702: an account's delegated code


class Memo:
    """What ape asked once and cannot have changed since, per provider (``id``)."""

    def __init__(self) -> None:
        self.code: dict[tuple[int, str], Any] = {}
        self.max_gas: dict[int, int] = {}
        self.auto_mine: dict[int, bool] = {}
        self.forgotten = 0
        # ape's configuration, read per transaction: (what, id of the ecosystem or network)
        # -> (that object, the active provider, the answer); kept until a connect or
        # disconnect, and the stored object guards against a reused id
        self.settings: dict[tuple[str, int], tuple[object, object, Any]] = {}
        self.settings_forgotten = 0

    def forget(self, settings: bool = False) -> None:
        self.code.clear()
        self.max_gas.clear()
        self.auto_mine.clear()
        self.forgotten += 1
        if settings:
            self.settings.clear()
            self.settings_forgotten += 1

    def remembered(
        self, what: str, owner: object, provider: object, read: Callable[[], Any]
    ) -> Any:
        """``read()``'s answer for ``owner`` while ``provider`` is the active one."""
        key = (what, id(owner))
        entry = self.settings.get(key)
        if entry is not None and entry[0] is owner and entry[1] is provider:
            return entry[2]
        value = read()
        self.settings[key] = (owner, provider, value)
        return value


MEMO = Memo()


def forgets(method: object) -> bool:
    return method in FORGETTING


def no_proxy_lookup_on_loopback() -> None:
    """Sessions of web3's HTTP providers to loopback URLs do not read proxy settings."""
    from web3._utils.http_session_manager import HTTPSessionManager

    take = HTTPSessionManager.cache_and_return_session
    if getattr(take, "_govchain", False):
        return

    @functools.wraps(take)
    def cache_and_return_session(
        self: HTTPSessionManager, endpoint_uri: Any, *args: Any, **kwargs: Any
    ) -> Any:
        session = take(self, endpoint_uri, *args, **kwargs)
        if session.trust_env and loopback(endpoint_uri):
            session.trust_env = False
        return session

    cache_and_return_session._govchain = True  # type: ignore[attr-defined]
    HTTPSessionManager.cache_and_return_session = cache_and_return_session  # type: ignore[method-assign]


def forget_on_state_changes() -> None:
    """Any web3 HTTP provider of this process (ape's, the SDK's, a test's) sending a request
    of :data:`FORGETTING` clears the memo, and so does ``govchain.toolchain.devnet.rpc``."""
    from web3.providers.rpc import HTTPProvider

    import govchain.toolchain.devnet as devnet

    one = HTTPProvider.make_request
    if getattr(one, "_govchain", False):
        return

    @functools.wraps(one)
    def make_request(self: HTTPProvider, method: Any, params: Any) -> Any:
        if forgets(method):
            MEMO.forget()
        return one(self, method, params)

    batch = HTTPProvider.make_batch_request

    @functools.wraps(batch)
    def make_batch_request(self: HTTPProvider, requests: Iterable[tuple[Any, Any]]) -> Any:
        requests = list(requests)
        if any(forgets(method) for method, _ in requests):
            MEMO.forget()
        return batch(self, requests)

    rpc = devnet.rpc

    @functools.wraps(rpc)
    def devnet_rpc(url: str, method: str, *args: Any, **kwargs: Any) -> object:
        if forgets(method):
            MEMO.forget()
        return rpc(url, method, *args, **kwargs)

    make_request._govchain = True  # type: ignore[attr-defined]
    HTTPProvider.make_request = make_request  # type: ignore[method-assign]
    setattr(HTTPProvider, "make_batch_request", make_batch_request)  # noqa: B010
    devnet.rpc = devnet_rpc


def remember_code() -> None:
    """``ChainManager.get_code`` remembers non-empty code per provider (see above)."""
    from ape.managers.chain import ChainManager

    get = ChainManager.get_code
    if getattr(get, "_govchain", False):
        return

    @functools.wraps(get)
    def get_code(self: ChainManager, address: Any, block_id: Any = None) -> Any:
        if block_id is not None:
            return get(self, address, block_id=block_id)
        key = (id(self.provider), address)
        if (code := MEMO.code.get(key)) is not None:
            return code
        code = get(self, address)
        if len(code) and not bytes(code).startswith(DELEGATION_PREFIX):
            MEMO.code[key] = code
        return code

    get_code._govchain = True  # type: ignore[attr-defined]
    ChainManager.get_code = get_code  # type: ignore[method-assign]


def remember_gas_limit_and_mining() -> None:
    """ape-foundry's ``max_gas`` and ``auto_mine`` remembered per provider (see above);
    a connect or disconnect forgets everything."""
    from ape_foundry.provider import FoundryProvider

    if getattr(FoundryProvider.connect, "_govchain", False):
        return
    max_gas = FoundryProvider.max_gas
    auto_mine = FoundryProvider.auto_mine
    assert isinstance(max_gas, property) and max_gas.fget is not None
    assert isinstance(auto_mine, property) and auto_mine.fget and auto_mine.fset

    def memoised(table: Callable[[], dict[int, Any]], read: Callable[[Any], Any]) -> Any:
        def get(self: FoundryProvider) -> Any:
            memo = table()
            if (value := memo.get(id(self))) is None:
                value = memo[id(self)] = read(self)
            return value

        return get

    gas_limit = property(memoised(lambda: MEMO.max_gas, max_gas.fget))
    mining = property(memoised(lambda: MEMO.auto_mine, auto_mine.fget), auto_mine.fset)
    setattr(FoundryProvider, "max_gas", gas_limit)  # noqa: B010
    setattr(FoundryProvider, "auto_mine", mining)  # noqa: B010

    for name in ("connect", "disconnect"):
        method = getattr(FoundryProvider, name)

        def forgetting(self: FoundryProvider, _method: Callable[[Any], Any] = method) -> Any:
            MEMO.forget(settings=True)
            try:
                return _method(self)
            finally:
                MEMO.forget(settings=True)

        functools.update_wrapper(forgetting, method)
        setattr(forgetting, "_govchain", True)  # noqa: B010
        setattr(FoundryProvider, name, forgetting)


def remember_configuration() -> None:
    """``Ethereum.default_transaction_type`` and ``NetworkAPI.config`` remembered per
    ecosystem or network object and active provider until a connect or disconnect (see
    above): ape builds them anew from its loaded configuration on every transaction."""
    from ape.api.networks import NetworkAPI
    from ape_ethereum.ecosystem import Ethereum

    config = vars(NetworkAPI)["config"]
    if getattr(config.fget, "_govchain", False):
        return
    transaction_type = vars(Ethereum)["default_transaction_type"]
    assert isinstance(config, property) and config.fget is not None
    assert isinstance(transaction_type, property) and transaction_type.fget is not None
    read_config, read_type = config.fget, transaction_type.fget

    def network_config(self: NetworkAPI) -> Any:
        return MEMO.remembered("config", self, None, lambda: read_config(self))

    def default_transaction_type(self: Ethereum) -> Any:
        provider = self.network_manager.active_provider
        return MEMO.remembered("transaction type", self, provider, lambda: read_type(self))

    for new, old in ((network_config, read_config), (default_transaction_type, read_type)):
        functools.update_wrapper(new, old)
        setattr(new, "_govchain", True)  # noqa: B010
    setattr(NetworkAPI, "config", property(network_config))  # noqa: B010
    setattr(Ethereum, "default_transaction_type", property(default_transaction_type))  # noqa: B010


def receipts_by_hash() -> None:
    """``ChainManager.get_receipt(hash)`` reads the receipt without asking the nonce of the
    hash's last 20 bytes taken as an address (ape's history lookup tries an account first);
    a 32-byte hash is never an address with transactions, so the answer is the same."""
    from ape.exceptions import TransactionNotFoundError
    from ape.managers.chain import ChainManager

    get = ChainManager.get_receipt
    if getattr(get, "_govchain", False):
        return

    @functools.wraps(get)
    def get_receipt(self: ChainManager, transaction_hash: str) -> Any:
        if (
            not isinstance(transaction_hash, str)
            or not TRANSACTION_HASH.fullmatch(transaction_hash)
            or self.network_manager.active_provider is None
        ):
            return get(self, transaction_hash)
        try:
            return self.history._get_receipt(transaction_hash)
        except Exception as error:  # ape's history answers "not found" to any failure here
            raise TransactionNotFoundError(transaction_hash=transaction_hash) from error

    get_receipt._govchain = True  # type: ignore[attr-defined]
    ChainManager.get_receipt = get_receipt  # type: ignore[method-assign]


def no_nonce_wait_after_a_mined_receipt() -> None:
    """Skip ape's nonce poll for a receipt read from a block (see the module docstring)."""
    from ape.api.transactions import ReceiptAPI

    wait: Callable[[Any], None] = ReceiptAPI._await_sender_nonce_increment
    if getattr(wait, "_govchain", False):
        return

    @functools.wraps(wait)
    def await_sender_nonce_increment(self: ReceiptAPI) -> None:
        if isinstance(self.block_number, int) and self.block_number >= 0:
            return  # read from a block: the sender's nonce is past this transaction's
        wait(self)

    await_sender_nonce_increment._govchain = True  # type: ignore[attr-defined]
    setattr(ReceiptAPI, "_await_sender_nonce_increment", await_sender_nonce_increment)  # noqa: B010


class RememberedRecovery:
    """``eth_account.Account`` for ``ape_ethereum.transactions``, whose serialisation recovers
    the signer of the same signed bytes every time a transaction's hash is asked for."""

    def __getattr__(self, name: str) -> Any:
        from eth_account import Account

        return getattr(Account, name)

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def recover_transaction(serialized: Any) -> Any:
        from eth_account import Account

        return Account.recover_transaction(serialized)


def remember_signer_recovery() -> None:
    """A pure function of the signed bytes, remembered (see :class:`RememberedRecovery`)."""
    import ape_ethereum.transactions as transactions

    if not isinstance(vars(transactions).get("EthAccount"), RememberedRecovery):
        setattr(transactions, "EthAccount", RememberedRecovery())  # noqa: B010


def poll_receipts_quickly() -> None:
    """web3's ``wait_for_transaction_receipt`` on a loopback node, unless its caller chose a
    latency, asks every :data:`RECEIPT_POLL_SECONDS` for the first
    :data:`QUICK_RECEIPT_SECONDS`, then every 0.1 s as before: an automining anvil answers
    ``eth_sendRawTransaction`` before the block is in, so the first ask often finds no receipt
    (the more often the faster the client), and each miss slept 0.1 s where the receipt was
    there within ~3 ms. A node that mines at intervals is not asked more than 20 extra times.
    The receipt and the ``TimeExhausted`` raised (with web3's message) are the same."""
    from hexbytes import HexBytes
    from web3.eth import Eth
    from web3.exceptions import TimeExhausted

    wait = Eth.wait_for_transaction_receipt
    if getattr(wait, "_govchain", False):
        return

    @functools.wraps(wait)
    def wait_for_transaction_receipt(
        self: Eth, transaction_hash: Any, timeout: float = 120, poll_latency: float | None = None
    ) -> Any:
        if poll_latency is not None or not loopback(getattr(self.w3.provider, "endpoint_uri", "")):
            return wait(
                self, transaction_hash, timeout, 0.1 if poll_latency is None else poll_latency
            )
        quick = min(timeout, QUICK_RECEIPT_SECONDS)
        try:
            return wait(self, transaction_hash, quick, RECEIPT_POLL_SECONDS)
        except TimeExhausted:
            if timeout <= quick:
                raise
        try:
            return wait(self, transaction_hash, timeout - quick, 0.1)
        except TimeExhausted as error:
            raise TimeExhausted(
                f"Transaction {HexBytes(transaction_hash)!r} is not in the chain "
                f"after {timeout} seconds"
            ) from error

    wait_for_transaction_receipt._govchain = True  # type: ignore[attr-defined]
    Eth.wait_for_transaction_receipt = wait_for_transaction_receipt  # type: ignore[method-assign]


def skip_console_logs() -> None:
    """No debug trace per transaction for ``console.log`` lines unless
    ``GOVCHAIN_TEST_CONSOLE_LOGS=1`` (ape's own post-send step minus the trace)."""
    if os.environ.get(CONSOLE_LOGS_VARIABLE) == "1":
        return
    import ape_ethereum.provider as ethereum_provider
    from ape.logging import logger

    def post_send_transaction(tx: Any, receipt: Any) -> None:
        logger.info(f"Confirmed {receipt.txn_hash} (total fees paid = {receipt.total_fees_paid})")

    setattr(ethereum_provider, "_post_send_transaction", post_send_transaction)  # noqa: B010


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune_node_map() -> list[int]:
    """Remove the entries of processes that are gone from ape's node-process map; their pids."""
    from ape import networks

    nodes = networks.running_nodes
    dead = [pid for pid in nodes.process_ids if not alive(pid)]
    if dead:
        nodes.remove_processes(*dead)
    return dead


def install() -> None:
    """All patches, and the node map pruned; nothing when ``GOVCHAIN_TEST_APE_CALLS=0``."""
    if os.environ.get(SWITCH_VARIABLE) == "0":
        return
    prune_node_map()
    no_proxy_lookup_on_loopback()
    post_loopback_through_urllib3()
    forget_on_state_changes()
    remember_code()
    remember_gas_limit_and_mining()
    remember_configuration()
    receipts_by_hash()
    no_nonce_wait_after_a_mined_receipt()
    remember_signer_recovery()
    poll_receipts_quickly()
    skip_console_logs()
