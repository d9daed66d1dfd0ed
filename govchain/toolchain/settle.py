"""Snapshots and reverts of a settled anvil, in the test processes (stop 29's red CI run).

anvil 1.7.1 answers ``eth_sendRawTransaction`` (and ``eth_sendTransaction``) before the
transaction is mined; automine then mines it on a task of its own. An ``evm_revert`` that
arrives while that block is being mined removes the blocks above the snapshot, and the block
being mined is then stored at the number it was given before the revert: the node's head is
that number, the blocks between the snapshot and it are gone (``eth_getBlockByNumber``
answers null), and every later snapshot is taken above the hole, so no revert of the session
removes it. Probes on the 2-core machine: three transfers sent without waiting for them, then a
revert, left such a hole after 289 of 300 reverts, and after none when the pool was empty
first; one transaction that burns 29M gas, then a revert, after 10-19 of 20 in two anvil starts
of three (in the third anvil had mined before it answered the send).

A test worker reverts its anvil after every test (ape's isolation) and the Hypothesis machines
after every example. A test whose last transaction is still in flight when it ends (sent by a
thread, by a node or by a subprocess it killed) can so leave a hole in the worker's chain, and
a later test on that worker that reads old blocks fails far from the cause: stop 29's CI run,
``tests/indexer/test_postgres.py``, "eth_getBlockByNumber failed: block 144 not found".

So, in the test processes only (:mod:`govchain.toolchain.testworker` installs this), an
``evm_snapshot`` or ``evm_revert`` sent by any web3 ``HTTPProvider`` of the process (ape's
among them) or by :func:`govchain.toolchain.devnet.rpc` first waits until the node reports no
pending transaction (``txpool_status``), polling every millisecond for up to
:data:`SETTLE_SECONDS`. Not waited for: a node that mines on request only (``anvil_getAutomine``
false: its pending transactions are the test's own), a node without ``txpool_status`` (the
EthereumJS devnet), transactions queued behind a missing nonce (they never mine). A node still
busy after :data:`SETTLE_SECONDS` gets its request anyway and the wait is counted in
:data:`STATS` (``timeouts``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

SETTLING = frozenset({"evm_snapshot", "evm_revert"})
SETTLE_SECONDS = 5.0
POLL_SECONDS = 0.001


class Stats:
    """How often this process waited (``waits``), and gave up waiting (``timeouts``)."""

    def __init__(self) -> None:
        self.checks = 0
        self.waits = 0
        self.timeouts = 0


STATS = Stats()


def pending(ask: Callable[[str], Any]) -> int:
    """The node's pending transactions (0 when it cannot say); ``ask(method)`` -> result."""
    try:
        status = ask("txpool_status")
    except Exception:  # a node without the method, or one that is gone
        return 0
    if not isinstance(status, dict):
        return 0
    value = status.get("pending", 0)
    try:
        return int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return 0


def automining(ask: Callable[[str], Any]) -> bool:
    try:
        return ask("anvil_getAutomine") is not False
    except Exception:  # not anvil: judge by the pool alone
        return True


def settle(ask: Callable[[str], Any]) -> None:
    """Wait until the node behind ``ask`` has mined what it was sent (see the module's text)."""
    STATS.checks += 1
    if not pending(ask) or not automining(ask):
        return
    STATS.waits += 1
    deadline = time.monotonic() + SETTLE_SECONDS
    while pending(ask):
        if time.monotonic() > deadline:
            STATS.timeouts += 1
            return
        time.sleep(POLL_SECONDS)


def _result(reply: Any) -> Any:
    if isinstance(reply, dict) and "error" not in reply:
        return reply.get("result")
    raise LookupError(reply)


def install() -> None:
    """Wrap web3's ``HTTPProvider`` requests and ``devnet.rpc`` (idempotent)."""
    from web3.providers.rpc import HTTPProvider

    import govchain.toolchain.devnet as devnet

    one = HTTPProvider.make_request
    if getattr(one, "_govchain_settle", False):
        return

    @functools.wraps(one)
    def make_request(self: HTTPProvider, method: Any, params: Any) -> Any:
        if method in SETTLING:
            settle(lambda name: _result(one(self, name, [])))
        return one(self, method, params)

    batch = HTTPProvider.make_batch_request

    @functools.wraps(batch)
    def make_batch_request(self: HTTPProvider, requests: Iterable[tuple[Any, Any]]) -> Any:
        requests = list(requests)
        if any(method in SETTLING for method, _ in requests):
            settle(lambda name: _result(one(self, name, [])))
        return batch(self, requests)

    rpc = devnet.rpc

    @functools.wraps(rpc)
    def devnet_rpc(url: str, method: str, *args: Any, **kwargs: Any) -> object:
        if method in SETTLING:
            settle(lambda name: rpc(url, name, []))
        return rpc(url, method, *args, **kwargs)

    make_request._govchain_settle = True  # type: ignore[attr-defined]
    devnet_rpc._govchain_settle = True  # type: ignore[attr-defined]
    HTTPProvider.make_request = make_request  # type: ignore[method-assign]
    setattr(HTTPProvider, "make_batch_request", make_batch_request)  # noqa: B010
    devnet.rpc = devnet_rpc
