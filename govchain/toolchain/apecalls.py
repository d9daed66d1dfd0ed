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
* **Console logs.** After every transaction to a contract ape traces it
  (``debug_traceTransaction``) to print ``console.log`` lines; no contract here uses
  ``console.sol``. The trace is skipped unless ``GOVCHAIN_TEST_CONSOLE_LOGS=1``.

``GOVCHAIN_TEST_APE_CALLS=0`` leaves ape as it is (to compare, or to rule these patches out). Not seen: a request of :data:`FORGETTING`
that another process sends to the worker's anvil; no test does that (the CLI's and the
shared city's reverts go to their own devnets).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
import urllib3.exceptions as urllib3_errors
from requests.structures import CaseInsensitiveDict
from requests.utils import default_headers, get_encoding_from_headers
from urllib3 import HTTPConnectionPool, Timeout
from urllib3.connectionpool import connection_from_url
from urllib3.util.retry import Retry

CONSOLE_LOGS_VARIABLE = "GOVCHAIN_TEST_CONSOLE_LOGS"
SWITCH_VARIABLE = "GOVCHAIN_TEST_APE_CALLS"
LOOPBACK = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")
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


def loopback(url: object) -> bool:
    return str(url).startswith(LOOPBACK)


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


class LoopbackTransport:
    """JSON-RPC posts to loopback endpoints through one urllib3 pool per endpoint (see above).

    What ``requests`` would send and raise, without its per-request layers: the same body,
    the headers a ``requests.Session`` sends (its defaults, then web3's ``Content-Type`` and
    ``User-Agent``, and ``Content-Length``), the same urllib3 call (no redirects, retries
    ``Retry(0, read=False)``, web3's timeout as both connect and read timeout) and the same
    ``requests`` exception for each urllib3 failure, as ``HTTPAdapter.send`` and
    ``Response.content`` map them; an HTTP status of 400 or more raises ``requests.HTTPError``
    from ``Response.raise_for_status`` with the same message and a ``Response`` to read.
    """

    RETRIES = Retry(0, read=False)  # requests' HTTPAdapter default
    POOL_SIZE = 10  # requests' DEFAULT_POOLSIZE; more threads open extra, unpooled connections

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: dict[tuple[int, str], tuple[HTTPConnectionPool, str, str]] = {}
        self.headers: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self.timeouts: dict[Any, Timeout] = {}
        self.posts = 0

    def endpoint(self, uri: str) -> tuple[HTTPConnectionPool, str, str]:
        """(pool, path, url) of ``uri`` in this process (a forked child makes its own)."""
        key = (os.getpid(), uri)
        if (found := self.endpoints.get(key)) is None:
            with self.lock:
                if (found := self.endpoints.get(key)) is None:
                    prepared = requests.Request("POST", uri).prepare()
                    url = str(prepared.url)
                    pool = connection_from_url(url, maxsize=self.POOL_SIZE, block=False)
                    found = self.endpoints[key] = (pool, prepared.path_url, url)
        return found

    def request_headers(self, given: Mapping[str, str] | None, length: int) -> dict[str, str]:
        items = tuple((given or {}).items())
        if (merged := self.headers.get(items)) is None:
            # a Session's headers, then the request's (case-insensitive), as requests merges
            headers = default_headers()
            headers.update(dict(items))
            merged = self.headers[items] = {k: v for k, v in headers.items() if v is not None}
        return {**merged, "Content-Length": str(length)}

    def timeout(self, value: Any) -> Timeout:
        if isinstance(value, Timeout):
            return value
        if (found := self.timeouts.get(value)) is None:
            if isinstance(value, tuple):
                connect, read = value
                found = Timeout(connect=connect, read=read)
            else:
                found = Timeout(connect=value, read=value)
            self.timeouts[value] = found
        return found

    def post(self, uri: str, body: bytes, headers: Mapping[str, str] | None, timeout: Any) -> bytes:
        pool, path, url = self.endpoint(uri)
        self.posts += 1
        try:
            raw = pool.urlopen(
                "POST",
                path,
                body=body,
                headers=self.request_headers(headers, len(body)),
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self.RETRIES,
                timeout=self.timeout(timeout),
                chunked=False,
            )
        except (urllib3_errors.ProtocolError, OSError) as err:
            raise requests.ConnectionError(err) from err
        except urllib3_errors.MaxRetryError as err:
            reason = err.reason
            if isinstance(reason, urllib3_errors.ConnectTimeoutError) and not isinstance(
                reason, urllib3_errors.NewConnectionError
            ):
                raise requests.ConnectTimeout(err) from err
            if isinstance(reason, urllib3_errors.ResponseError):
                raise requests.exceptions.RetryError(err) from err
            raise requests.ConnectionError(err) from err
        except urllib3_errors.ClosedPoolError as err:
            raise requests.ConnectionError(err) from err
        except urllib3_errors.ReadTimeoutError as err:
            raise requests.ReadTimeout(err) from err
        except urllib3_errors.InvalidHeader as err:
            raise requests.exceptions.InvalidHeader(err) from err
        try:
            content = raw.read(decode_content=True)
        except urllib3_errors.ProtocolError as err:
            raw.close()
            raise requests.exceptions.ChunkedEncodingError(err) from err
        except urllib3_errors.DecodeError as err:
            raw.close()
            raise requests.exceptions.ContentDecodingError(err) from err
        except urllib3_errors.ReadTimeoutError as err:
            raw.close()
            raise requests.ConnectionError(err) from err
        finally:
            raw.release_conn()
        if raw.status >= 400:
            response = requests.Response()
            response.status_code = raw.status
            response.reason = raw.reason  # type: ignore[assignment]
            response.headers = CaseInsensitiveDict(raw.headers)
            response.encoding = get_encoding_from_headers(response.headers)
            response.url = url
            response._content = content
            response.raise_for_status()
        return content


TRANSPORT = LoopbackTransport()
# what the leaner path can carry; anything else (a proxy, auth, a certificate, a stream,
# a form body, an explicit session) stays on requests
PLAIN_KWARGS = frozenset({"headers", "timeout", "stream"})


def post_loopback_through_urllib3() -> None:
    """web3's ``HTTPSessionManager.make_post_request`` sends plain JSON-RPC posts to loopback
    endpoints through :data:`TRANSPORT` (see the module's docstring)."""
    from web3._utils.http import DEFAULT_HTTP_TIMEOUT
    from web3._utils.http_session_manager import HTTPSessionManager

    post = HTTPSessionManager.make_post_request
    if getattr(post, "_govchain", False):
        return

    @functools.wraps(post)
    def make_post_request(
        self: HTTPSessionManager, endpoint_uri: Any, data: Any, **kwargs: Any
    ) -> bytes:
        if (
            loopback(endpoint_uri)
            and isinstance(data, bytes)
            and kwargs.keys() <= PLAIN_KWARGS
            and not kwargs.get("stream")
            and getattr(self, "_explicit_session", None) is None
        ):
            timeout = kwargs.get("timeout", DEFAULT_HTTP_TIMEOUT)
            return TRANSPORT.post(str(endpoint_uri), data, kwargs.get("headers"), timeout)
        return post(self, endpoint_uri, data, **kwargs)

    make_post_request._govchain = True  # type: ignore[attr-defined]
    HTTPSessionManager.make_post_request = make_post_request  # type: ignore[method-assign]


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
    skip_console_logs()
