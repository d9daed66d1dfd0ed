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

So, in the test processes only (:mod:`govchain.toolchain.testworker` installs this when pytest
imports it, before any conftest binds ``devnet.rpc``), an ``evm_snapshot`` or ``evm_revert`` sent
by any web3 ``HTTPProvider`` of the process (ape's among them) or by
:func:`govchain.toolchain.devnet.rpc` first waits until the node reports no pending transaction
(``txpool_status``), polling every 5 ms for up to :data:`SETTLE_SECONDS`. Not waited for:
a node that mines on request only (``anvil_getAutomine`` false: its pending transactions are the
test's own; interval mining reports false too), a node without ``txpool_status`` (the EthereumJS
devnet), transactions queued behind a missing nonce (they never mine). A node still busy after
:data:`SETTLE_SECONDS` gets its request anyway, with a :class:`SettleTimeout` warning.

The wait covers a revert that meets a transaction still in the pool. It does not cover other
ways of keeping the miner busy (an ``anvil_mine`` of many blocks, or interval mining, from
another thread or process: the outside review of s30 left holes that way with an empty pool;
nothing in the suite does it), nor a sender still alive that sends between the look at the pool
and the revert (the wait is for senders that have stopped: a finished test's). So every revert
is also checked, whatever caused a hole: the block number at each ``evm_snapshot`` is
remembered, and after an ``evm_revert`` the node's head must be that block again (or, when the
node refused the revert, where it was before). A head below it, or above it with a block
missing between, is a problem kept in :data:`PROBLEMS`, and the test plugin fails the test
during whose setup, call or teardown it happened (ape's isolation swallows errors raised inside
its own revert), naming the snapshot, the blocks and the test, instead of a later test failing
on a block that is not there. A head above it with every block there (a block mined just after
the revert: s31's CI run saw one, head 142 for 141) loses nothing; it is a :class:`LateBlock`
warning, which names the test.
JSON-RPC batches that hold a snapshot or a revert are waited for but not checked (nothing here
sends one).
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

SETTLING = frozenset({"evm_snapshot", "evm_revert"})
SETTLE_SECONDS = 5.0
POLL_SECONDS = 0.005  # as apecalls' receipt polls: each poll is a request to a node that is mining


class Stats:
    """How often this process waited (``waits``), and gave up waiting (``timeouts``)."""

    def __init__(self) -> None:
        self.checks = 0
        self.waits = 0
        self.timeouts = 0


STATS = Stats()


class SettleTimeout(UserWarning):
    """The node still had pending transactions after :data:`SETTLE_SECONDS`."""


class LateBlock(UserWarning):
    """A block was mined just after a revert: the head is above the snapshot's block, with no
    block missing between (nothing lost; a transaction ran after the test's revert)."""


class ChainHole(AssertionError):
    """A revert did not bring the node's head back to the snapshot's block."""


#: what :func:`check_revert` found wrong since the test plugin last took it (one line each)
PROBLEMS: list[str] = []
# per node (its URL) and snapshot id: the head block when the snapshot was taken
_SNAPSHOT_BLOCKS: dict[tuple[str, int], int] = {}


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
    while count := pending(ask):
        if time.monotonic() > deadline:
            STATS.timeouts += 1
            warnings.warn(
                SettleTimeout(
                    f"{count} transactions still pending after {SETTLE_SECONDS} s; "
                    "the snapshot or revert was sent anyway"
                ),
                stacklevel=2,
            )
            return
        time.sleep(POLL_SECONDS)


def _number(value: Any) -> int | None:
    try:
        return int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None


def _head(ask: Callable[[str], Any]) -> int | None:
    try:
        return _number(ask("eth_blockNumber"))
    except Exception:  # a node that is gone: nothing to check
        return None


#: the most blocks above the snapshot's that are looked at one by one for a hole
LATE_BLOCKS = 16


def _missing(ask: Callable[..., Any], low: int, high: int) -> list[int]:
    """The blocks ``low``..``high`` the node answers null for."""
    out = []
    for number in range(low, high + 1):
        try:
            found = ask("eth_getBlockByNumber", [hex(number), False])
        except Exception:  # a node that is gone: nothing to check
            return []
        if found is None:
            out.append(number)
    return out


def note_snapshot(node: str, snapshot: Any, ask: Callable[[str], Any]) -> None:
    """Remember the head block of ``node`` at the snapshot ``snapshot`` (its id)."""
    number, head = _number(snapshot), _head(ask)
    if number is not None and head is not None:
        _SNAPSHOT_BLOCKS[(node, number)] = head


def check_revert(
    node: str, snapshot: Any, answer: Any, before: int | None, ask: Callable[..., Any]
) -> None:
    """After ``evm_revert(snapshot)`` answered ``answer`` (the head was block ``before``): a
    revert that answered true must leave the head at the snapshot's block, one that did not must
    leave it where it was (anvil 1.7.1 moves it when asked for a snapshot an earlier revert
    discarded). Otherwise a problem is added to :data:`PROBLEMS`, unless the head is a few blocks
    above with none missing (:class:`LateBlock`). The snapshot and every later one of ``node``
    are forgotten, as the node forgets them."""
    number = _number(snapshot)
    if number is None:
        return
    expected = _SNAPSHOT_BLOCKS.get((node, number))
    for key in [k for k in _SNAPSHOT_BLOCKS if k[0] == node and k[1] >= number]:
        del _SNAPSHOT_BLOCKS[key]
    if answer is not True:
        expected = before
    if expected is None:
        return
    head = _head(ask)
    if head is None or head == expected:
        return
    what = "" if answer is True else f"refused ({answer!r}) "
    if expected < head <= expected + LATE_BLOCKS and not _missing(ask, expected + 1, head):
        warnings.warn(
            LateBlock(
                f"{node}: after the {what}evm_revert to snapshot {hex(number)} the head is block "
                f"{head}, not {expected}: a block was mined just after the revert (none missing)"
            ),
            stacklevel=2,
        )
    else:
        PROBLEMS.append(
            f"{node}: the {what}evm_revert to snapshot {hex(number)} left the head at block "
            f"{head}, not {expected}: the blocks between may be missing for good "
            "(a revert while the node was mining?)"
        )


def take_problems() -> list[str]:
    """What :func:`check_revert` found since the last call (and forget it)."""
    found = list(PROBLEMS)
    PROBLEMS.clear()
    return found


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
        if method not in SETTLING:
            return one(self, method, params)

        def ask(name: str, params: Any = ()) -> Any:
            return _result(one(self, name, list(params)))

        settle(ask)
        before = _head(ask) if method == "evm_revert" else None
        reply = one(self, method, params)
        node = str(self.endpoint_uri)
        if method == "evm_snapshot" and isinstance(reply, dict) and "result" in reply:
            note_snapshot(node, reply["result"], ask)
        elif method == "evm_revert" and isinstance(reply, dict) and params:
            check_revert(node, next(iter(params)), reply.get("result"), before, ask)
        return reply

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
        if method not in SETTLING:
            return rpc(url, method, *args, **kwargs)

        def ask(name: str, params: Any = ()) -> Any:
            return rpc(url, name, list(params))

        settle(ask)
        params = args[0] if args else kwargs.get("params")
        if method == "evm_snapshot":
            answer = rpc(url, method, *args, **kwargs)
            note_snapshot(url, answer, ask)
            return answer
        before = _head(ask)
        try:
            answer = rpc(url, method, *args, **kwargs)
        except (
            devnet.DevnetError
        ) as refused:  # anvil's error answer: checked, then raised as before
            if params:
                check_revert(url, next(iter(params)), str(refused), before, ask)
            raise
        if params:
            check_revert(url, next(iter(params)), answer, before, ask)
        return answer

    make_request._govchain_settle = True  # type: ignore[attr-defined]
    devnet_rpc._govchain_settle = True  # type: ignore[attr-defined]
    HTTPProvider.make_request = make_request  # type: ignore[method-assign]
    setattr(HTTPProvider, "make_batch_request", make_batch_request)  # noqa: B010
    devnet.rpc = devnet_rpc
