"""What the node shares between concurrent requests never weakens a single request's checks.

- Shared head reads (:class:`govchain.node.index.HeadReads`): a request is never answered with
  a head read that began before it asked - it waits for the next read - and the requests
  waiting meanwhile share that next read; a failed read fails the requests waiting for it
  (and the next request reads again).
- Against the devnet: a block mined while requests are waiting is the head they are judged at.
- Group commit (:class:`govchain.node.release.GroupCommit`): many threads spending the same nonce
  at once spend it exactly once, in one or more shared transactions; a spent nonce stays spent
  in a fresh store connection (the commit is durable before ``spend`` returns); a serve-log
  row is written only with the spend that succeeded.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from govchain.errors import NetworkUnavailable
from govchain.node.chain import RpcChain
from govchain.node.index import HeadReads
from govchain.node.release import GroupCommit
from govchain.node.store import ServeLogEntry, Store, UsedNonce, sqlite_url


class _GatedChain:
    """A head source whose reads block until released one by one (to order threads)."""

    def __init__(self) -> None:
        self.height = 0
        self.started = threading.Semaphore(0)
        self.gate = threading.Semaphore(0)
        self.fail_next = False

    def read(self) -> tuple[int, str]:
        height = self.height  # the chain as the read finds it when it begins
        self.started.release()
        self.gate.acquire()
        if self.fail_next:
            self.fail_next = False
            raise NetworkUnavailable("test://", "refused")
        return height, f"0x{height:064x}"


def _waiting(heads: HeadReads, n: int) -> None:
    """Until ``n`` callers wait on ``heads`` (CPython's Condition keeps its waiters)."""
    deadline = time.monotonic() + 10
    while len(heads._cond._waiters) < n:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "callers did not arrive"
        time.sleep(0.005)


def test_a_read_under_way_when_a_request_arrives_never_answers_it() -> None:
    chain = _GatedChain()
    heads = HeadReads(chain.read)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(heads.latest)
        chain.started.acquire()  # read 1 is under way, at height 0
        chain.height = 1  # a block is mined; these requests arrive after it
        later = [pool.submit(heads.latest) for _ in range(6)]
        _waiting(heads, 6)
        chain.gate.release()  # read 1 ends: answers only the first request
        assert first.result(timeout=10) == (0, f"0x{0:064x}")
        chain.started.acquire()  # one read 2 begins, for all six waiting
        chain.gate.release()
        assert {f.result(timeout=10) for f in later} == {(1, f"0x{1:064x}")}
    assert heads.reads == 2


def test_a_failed_read_fails_the_requests_waiting_for_it_and_the_next_reads_again() -> None:
    chain = _GatedChain()
    heads = HeadReads(chain.read)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(heads.latest)
        chain.started.acquire()  # read 1 under way
        waiting = [pool.submit(heads.latest) for _ in range(3)]
        _waiting(heads, 3)
        chain.gate.release()
        assert first.result(timeout=10)[0] == 0
        chain.started.acquire()  # read 2, shared by the three, fails
        chain.fail_next = True
        chain.gate.release()
        for f in waiting:
            with pytest.raises(NetworkUnavailable):
                f.result(timeout=10)
    chain.height = 7
    chain.gate.release()  # the next request reads again, and sees the chain
    assert heads.latest() == (7, f"0x{7:064x}")
    assert heads.reads == 3


def test_requests_waiting_for_the_head_are_judged_at_a_block_mined_after_they_arrived(
    reader: RpcChain, w3: Any, rpc_url: str, addresses: Any
) -> None:
    chain = RpcChain(rpc_url, addresses, chain_id=reader.chain_id)
    try:
        before = chain._head_block()
        w3.provider.make_request("evm_mine", [])
        with ThreadPoolExecutor(8) as pool:
            heads = list(pool.map(lambda _: chain._head_block(), range(32)))
        assert all(h[0] == before[0] + 1 for h in heads)
        assert len({h[1] for h in heads}) == 1 and heads[0][1] != before[1]
        assert chain._heads.reads <= 1 + 32
    finally:
        chain.close()


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(sqlite_url(tmp_path / "node.db"))
    yield s
    s.dispose()


def _log(n: int) -> dict[str, Any]:
    return {
        "kind": "grant",
        "requester": "0x" + "11" * 20,
        "request_hash": n.to_bytes(32, "big"),
        "category": b"c" * 32,
        "record_id": b"r" * 32,
        "version": 1,
        "content_hash": b"h" * 32,
    }


def test_concurrent_spends_of_one_nonce_spend_it_once(store: Store) -> None:
    commits = GroupCommit(store)
    signer = "0x" + "11" * 20
    start = threading.Barrier(16)

    def spend(i: int) -> bool:
        start.wait()
        # nonce 5 sixteen times (one serve-log row each would collide), nonce 100+i once each
        return commits.spend(signer, 5, _log(5)) if i % 2 else commits.spend(signer, 100 + i)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(spend, range(16)))
    assert sum(results[1::2]) == 1  # one of the eight copies of nonce 5
    assert all(results[0::2])  # every distinct nonce
    assert commits.spends == 16 and commits.groups <= 16
    fresh = Store(store.url, create=False)
    try:
        with fresh.session() as s:
            assert s.scalar(select(func.count()).select_from(UsedNonce)) == 9
            assert s.scalar(select(func.count()).select_from(ServeLogEntry)) == 1
    finally:
        fresh.dispose()
    assert GroupCommit(store).spend(signer, 5) is False  # still spent for a new writer


def test_a_failed_group_fails_each_of_its_requests_and_spends_nothing(store: Store) -> None:
    commits = GroupCommit(store)
    bad = dict(_log(1), kind=None)  # NOT NULL: the whole transaction fails
    with pytest.raises(IntegrityError):
        commits.spend("0x" + "22" * 20, 1, bad)
    assert commits.spend("0x" + "22" * 20, 1, _log(1)) is True
