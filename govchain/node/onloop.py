"""The grant-checked fetch decided on the event loop, its blocking parts batched.

Before this, every ``POST /v1/records/fetch`` went to one of 40 pool threads, which waited there
for its head read and its group commit on condition variables that woke every waiter: about 25
context switches per request and a third of its CPU in the kernel (docs/nodeperf.md, round 6).
Here the request's own work (parsing, the signature's recovery, the checks, the record read, the
answer's encryption) runs on the event loop, which holds the GIL between awaits anyway, and only
what blocks leaves it - once per batch of requests, not once per request:

- :class:`LoopHeads` - the head read. A request awaits a read that *began after it asked*: with
  no read under way one begins now; with one under way the request waits for the next one,
  which every request arriving meanwhile shares (the rule of
  :class:`govchain.node.index.HeadReads`). The read runs on a chain thread, followed there by
  the access index's sync to that head, and its answer settles the waiting requests' futures
  on the loop: one hand-over to the thread and one back per read.
- :class:`LoopCommits` - the group commit. The spends (nonce and serve-log row) queued while a
  commit runs go together into the next transaction, written on the commit thread by
  :meth:`govchain.node.release.GroupCommit.commit_group`; a request is answered only after the
  transaction holding its nonce is committed and (SQLite, ``synchronous=FULL``) fsynced. A spend
  whose request's deadline passed, or whose caller gave up, before its group began is left out
  and fails ``timeout`` (:mod:`govchain.node.deadline`).
- The views (per-block cache) and the access record (index) are read on the loop when they are
  held; a miss (a new head's views, a request the index does not know: the receipt) is read on
  a chain thread, as the thread path reads it.

What a request is judged by and in which order is :class:`govchain.node.server.DataNode`'s, the
same functions the thread path calls (``_fetch_request``, ``_fetch_checked``, ``_find_release``,
``_answer``); only where the blocking reads and writes run changed. Other routes (subject
requests, offers, objection texts) still run on the app's thread pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from govchain.node.chain import RpcChain
from govchain.node.chaintypes import RequestContext
from govchain.node.deadline import Deadline
from govchain.node.protocol import Refusal
from govchain.node.release import GroupCommit, NotFound, Spend, serve_log

if TYPE_CHECKING:
    from govchain.node.server import DataNode

T = TypeVar("T")

#: threads for the chain's blocking reads (head reads, a new head's views, receipts)
CHAIN_THREADS = 4


class LoopHeads:
    """Head reads shared by the coroutines waiting for them (used on one event loop only)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        read: Callable[[], tuple[int, str]],
        executor: ThreadPoolExecutor,
    ) -> None:
        self._loop = loop
        self._read = read
        self._executor = executor
        self._reading = False  # a read is under way, or about to begin
        self._begun = False  # it has been handed to its thread (it may have begun)
        self._current: list[asyncio.Future[tuple[int, str]]] = []  # waiting for that read
        self._next: list[asyncio.Future[tuple[int, str]]] = []  # waiting for the one after it
        self.reads = 0

    def latest(self) -> asyncio.Future[tuple[int, str]]:
        """The head, from a read that begins after this call."""
        waiter: asyncio.Future[tuple[int, str]] = self._loop.create_future()
        if not self._reading:
            self._current = [waiter]
            self._schedule()
        elif not self._begun:  # handed to its thread at the end of this pass of the loop
            self._current.append(waiter)
        else:  # the read under way may have begun before this call
            self._next.append(waiter)
        return waiter

    def _schedule(self) -> None:
        # the read is handed over once the loop has run what is ready now, so the requests that
        # reach this point in the same pass share it (each asked before it began)
        self._reading, self._begun = True, False
        self._loop.call_soon(self._begin)

    def _begin(self) -> None:
        self._begun = True
        read = self._loop.run_in_executor(self._executor, self._read)
        read.add_done_callback(self._done)

    def _done(self, read: asyncio.Future[tuple[int, str]]) -> None:
        self.reads += 1
        waiting, self._current = self._current, []
        error = read.exception()
        for waiter in waiting:
            if waiter.done():  # its request gave up
                continue
            if error is None:
                waiter.set_result(read.result())
            else:
                waiter.set_exception(error)
        if self._next:
            self._current, self._next = self._next, []
            self._schedule()
        else:
            self._reading = False


class LoopCommits:
    """The group commit for coroutines (used on one event loop only): the spends queued while
    a commit runs are written together by the next one, on the commit thread."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, commits: GroupCommit, executor: ThreadPoolExecutor
    ) -> None:
        self._loop = loop
        self._commits = commits
        self._executor = executor
        self._busy = False
        self._queue: list[tuple[Spend, asyncio.Future[Spend]]] = []

    async def spend(
        self, signer: str, nonce: int, log: Mapping[str, Any] | None, deadline: Deadline | None
    ) -> bool:
        """True once ``(signer, nonce)`` is spent and ``log`` written, durably; False if the
        nonce was spent before (nothing written)."""
        waiter: asyncio.Future[Spend] = self._loop.create_future()
        self._queue.append((self._commits.item(signer, nonce, log, deadline), waiter))
        if not self._busy:
            # the group begins once the loop has run what is ready now: the spends queued in
            # the same pass go with it
            self._busy = True
            self._loop.call_soon(self._begin)
        return GroupCommit.result(await waiter)

    def _begin(self) -> None:
        queued, self._queue = self._queue, []
        group = GroupCommit.begin([item for item, _ in queued])  # the deadlines checked
        commit = self._loop.run_in_executor(self._executor, self._commits.commit_group, group)
        commit.add_done_callback(lambda done: self._done(queued, done))

    def _done(self, queued: list[tuple[Spend, asyncio.Future[Spend]]], commit: Any) -> None:
        error = commit.exception()  # commit_group keeps a failed transaction's error per spend
        for item, waiter in queued:
            if error is not None and item.spent is None and item.error is None:
                item.error = error
            if not waiter.done():  # done: cancelled, its request gave up before the group
                waiter.set_result(item)
        if self._queue:
            self._loop.call_soon(self._begin)
        else:
            self._busy = False


class LoopSide:
    """A node's reads and writes for requests decided on one event loop."""

    def __init__(self, node: DataNode, loop: asyncio.AbstractEventLoop) -> None:
        self.node = node
        self.loop = loop
        self.chain_threads = ThreadPoolExecutor(CHAIN_THREADS, thread_name_prefix="govchain-chain")
        self.commit_thread = ThreadPoolExecutor(1, thread_name_prefix="govchain-commit")
        self.commits = LoopCommits(loop, node.commits, self.commit_thread)
        chain = node.chain
        self.rpc = chain if isinstance(chain, RpcChain) else None
        self.heads = (
            LoopHeads(loop, self.rpc.read_head_and_index, self.chain_threads)
            if self.rpc is not None
            else None
        )

    def close(self) -> None:
        """Lets its threads end once their work is done (the node moved to another loop)."""
        self.chain_threads.shutdown(wait=False)
        self.commit_thread.shutdown(wait=False)

    def on_chain_thread(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return self.loop.run_in_executor(self.chain_threads, fn, *args)

    async def context(
        self,
        signer: str,
        grant_id: bytes,
        category: bytes,
        access_tx: str,
        terms: Mapping[str, Any] | None,
        request_hash: bytes,
        owner: bytes,
    ) -> RequestContext:
        """:meth:`govchain.node.chain.RpcChain.request_context`, with the head read shared on
        the loop and only the reads the cache and the index do not hold sent to a thread."""
        chain, heads = self.rpc, self.heads
        if chain is None or heads is None:  # another ChainView: its own reads, on a thread
            return await self.on_chain_thread(
                lambda: self.node.chain.request_context(
                    signer, grant_id, category, access_tx, terms, request_hash, owner
                )
            )
        block = await heads.latest()
        calls = chain.context_calls(signer, category, terms, owner)
        answers = chain.cached_views(block, calls)
        if answers is None:
            answers = await self.on_chain_thread(chain._views_at, block, calls)
        found = chain.indexed_records(block, access_tx, request_hash)
        if found is None:
            found = await self.on_chain_thread(
                chain._access_records, block, access_tx, request_hash
            )
        return chain.context_of(block, answers, found, terms is not None, True)

    async def release(
        self,
        deadline: Deadline,
        signer: str,
        msg: Mapping[str, Any],
        digest: bytes,
        *,
        kind: str,
        department: bytes,
        access_tx: str,
        owner_status: int | None,
    ) -> tuple[Any, dict[str, Any]]:
        """:meth:`govchain.node.release.Releaser._release`, the spend through the loop's group
        commit: nothing is returned before the transaction holding the nonce is committed."""
        node = self.node
        found = node._find_release(msg, owner_status)
        if isinstance(found, NotFound):
            # the nonce is spent all the same (the access record is used up); nothing released
            if not await self.commits.spend(signer, msg["nonce"], None, deadline):
                raise _replayed(signer, msg["nonce"])
            raise node._not_found(found, msg)
        rec, anchor = found
        log = serve_log(signer, msg, digest, rec, kind, department, access_tx)
        if not await self.commits.spend(signer, msg["nonce"], log, deadline):
            raise _replayed(signer, msg["nonce"])
        return rec, anchor


def _replayed(signer: str, nonce: int) -> Refusal:
    return Refusal("nonce_replayed", f"nonce {nonce} of {signer} was used")
