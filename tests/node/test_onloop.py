"""The fetch decided on the event loop keeps every rule of the thread path (govchain.node.onloop).

- Head reads on the loop (:class:`LoopHeads`): a request is never answered by a read that began
  before it asked - it waits for the next one - and the requests waiting meanwhile share that
  read; a failed read fails those waiting for it, and the next request reads again. Against
  the devnet, requests asking after a block was mined are all judged at it.
- The loop's group commit (:class:`LoopCommits`): many coroutines spending one nonce spend it
  once, durably before any is answered, with one serve-log row; a failed transaction spends
  nothing and fails each of its requests; a request whose deadline passed, or whose caller
  gave up, before its group began writes nothing and fails ``timeout``.
- Against the devnet, in process: 24 copies of one signed request raced on one loop give one
  release, 23 ``nonce_replayed``, one serve-log row, and the answer decrypts to the record; a
  revoked grant is refused on the loop as on the thread path.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ecies
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from govchain.errors import NetworkUnavailable
from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.deadline import Deadline
from govchain.node.onloop import LoopCommits, LoopHeads
from govchain.node.protocol import Refusal
from govchain.node.release import GroupCommit
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import ServeLogEntry, Store, UsedNonce, sqlite_url
from govchain.sharing import grant_tuple
from govchain.sharing.messages import grant_id
from tests.node.conftest import (  # noqa: F401 (fixtures)
    CIVIL,
    HRSS,
    PENSION,
    Holdings,
    addresses,
    catalog,
    cats,
    civil_staff,
    grants,
    grants_domain,
    hrss,
    local,
    make_terms,
    reader,
    registry,
    rpc_url,
    w3,
)


class _GatedChain:
    """A head source whose reads block until released one by one (to order the reads)."""

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

    async def read_begins(self) -> None:
        assert await asyncio.to_thread(self.started.acquire, timeout=10), "no read began"


def _head(n: int) -> tuple[int, str]:
    return n, f"0x{n:064x}"


def test_a_read_under_way_when_a_request_asks_never_answers_it() -> None:
    chain = _GatedChain()

    async def scenario() -> None:
        with ThreadPoolExecutor(2) as pool:
            heads = LoopHeads(asyncio.get_running_loop(), chain.read, pool)
            first = heads.latest()
            await chain.read_begins()  # read 1 is under way, at height 0
            chain.height = 1  # a block is mined; these requests ask after it
            later = [heads.latest() for _ in range(6)]
            chain.gate.release()  # read 1 ends: it answers only the first request
            assert await first == _head(0)
            await chain.read_begins()  # one read 2 begins, for all six waiting
            assert not any(f.done() for f in later)
            chain.gate.release()
            assert await asyncio.gather(*later) == [_head(1)] * 6
            assert heads.reads == 2

    asyncio.run(scenario())


def test_a_failed_loop_read_fails_its_waiters_and_the_next_request_reads_again() -> None:
    chain = _GatedChain()

    async def scenario() -> None:
        with ThreadPoolExecutor(2) as pool:
            heads = LoopHeads(asyncio.get_running_loop(), chain.read, pool)
            first = heads.latest()
            await chain.read_begins()
            waiting = [heads.latest() for _ in range(3)]
            chain.gate.release()
            assert (await first)[0] == 0
            await chain.read_begins()  # read 2, shared by the three, fails
            chain.fail_next = True
            chain.gate.release()
            for outcome in await asyncio.gather(*waiting, return_exceptions=True):
                assert isinstance(outcome, NetworkUnavailable)
            chain.height = 7
            again = heads.latest()
            await chain.read_begins()
            chain.gate.release()
            assert await again == _head(7)
            assert heads.reads == 3

    asyncio.run(scenario())


def test_a_waiter_that_gave_up_does_not_stop_the_others() -> None:
    chain = _GatedChain()

    async def scenario() -> None:
        with ThreadPoolExecutor(2) as pool:
            heads = LoopHeads(asyncio.get_running_loop(), chain.read, pool)
            first = heads.latest()
            await chain.read_begins()
            gone, kept = heads.latest(), heads.latest()
            gone.cancel()  # its request timed out while it waited
            chain.gate.release()
            assert await first == _head(0)
            await chain.read_begins()
            chain.gate.release()
            assert await kept == _head(0)
            assert gone.cancelled()

    asyncio.run(scenario())


def test_loop_requests_are_judged_at_a_block_mined_before_they_asked(
    reader: RpcChain, w3: Any, rpc_url: str, addresses: Any
) -> None:
    chain = RpcChain(rpc_url, addresses, chain_id=reader.chain_id)

    async def scenario() -> list[tuple[int, str]]:
        with ThreadPoolExecutor(2) as pool:
            heads = LoopHeads(asyncio.get_running_loop(), chain.read_head_and_index, pool)
            return list(await asyncio.gather(*(heads.latest() for _ in range(32))))

    try:
        before = chain.read_head_and_index()
        w3.provider.make_request("evm_mine", [])
        seen = asyncio.run(scenario())
        assert all(h[0] == before[0] + 1 for h in seen)
        assert len({h[1] for h in seen}) == 1 and seen[0][1] != before[1]
        # one read for all 32 (they asked together, before it began), the index synced to it
        assert chain.loop_head_reads == 2
        assert chain._index is not None and chain._index.synced_at(seen[0])
    finally:
        chain.close()


# --- the loop's group commit ------------------------------------------------------------------


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


def _count(store: Store, table: Any) -> int:
    fresh = Store(store.url, create=False)  # what a new connection reads: committed rows only
    try:
        with fresh.session() as s:
            return int(s.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        fresh.dispose()


def _spending(store: Store, body: Any) -> Any:
    """Runs ``body(loop_commits, group_commit)`` on a fresh loop with a commit thread."""
    commits = GroupCommit(store)

    async def scenario() -> Any:
        with ThreadPoolExecutor(1) as pool:
            return await body(LoopCommits(asyncio.get_running_loop(), commits, pool), commits)

    return asyncio.run(scenario())


def test_coroutines_spending_one_nonce_spend_it_once_in_shared_groups(store: Store) -> None:
    signer = "0x" + "11" * 20

    async def body(loop_commits: LoopCommits, commits: GroupCommit) -> None:
        # nonce 5 sixteen times (one serve-log row each would collide), nonce 100+i once each
        results = await asyncio.gather(
            *(
                loop_commits.spend(signer, 5, _log(5), None)
                if i % 2
                else loop_commits.spend(signer, 100 + i, None, None)
                for i in range(32)
            )
        )
        assert sum(results[1::2]) == 1  # one of the sixteen copies of nonce 5
        assert all(results[0::2])  # every distinct nonce
        assert commits.spends == 32 and commits.groups <= 2  # the first alone, then the rest

    _spending(store, body)
    assert _count(store, UsedNonce) == 17
    assert _count(store, ServeLogEntry) == 1
    assert GroupCommit(store).spend(signer, 5) is False  # still spent for a new writer


def test_a_failed_loop_group_fails_each_request_and_spends_nothing(store: Store) -> None:
    signer = "0x" + "22" * 20
    bad = dict(_log(1), kind=None)  # NOT NULL: the whole transaction fails

    async def body(loop_commits: LoopCommits, commits: GroupCommit) -> None:
        first = asyncio.ensure_future(loop_commits.spend(signer, 9, None, None))
        await asyncio.sleep(0)  # its group is under way; these two form the next one
        failing = await asyncio.gather(
            loop_commits.spend(signer, 1, bad, None),
            loop_commits.spend(signer, 2, None, None),
            return_exceptions=True,
        )
        assert await first is True
        assert all(isinstance(f, IntegrityError) for f in failing)
        assert await loop_commits.spend(signer, 2, None, None) is True  # spent nothing before

    _spending(store, body)
    assert _count(store, UsedNonce) == 2  # nonces 9 and 2


def test_a_spend_whose_deadline_passed_or_was_given_up_writes_nothing(store: Store) -> None:
    signer = "0x" + "33" * 20

    async def body(loop_commits: LoopCommits, commits: GroupCommit) -> None:
        with pytest.raises(Refusal) as late:
            await loop_commits.spend(signer, 1, _log(1), Deadline(time.monotonic() - 1))
        assert late.value.reason == "timeout"
        given_up = Deadline(time.monotonic() + 60)
        assert given_up.abandon()  # the caller's timeout fired before the group began
        with pytest.raises(Refusal) as abandoned:
            await loop_commits.spend(signer, 2, _log(2), given_up)
        assert abandoned.value.reason == "timeout"
        began = Deadline(time.monotonic() + 60)
        assert await loop_commits.spend(signer, 3, _log(3), began) is True
        assert not began.abandon()  # its spend began: the caller must wait for its answer

    _spending(store, body)
    assert _count(store, UsedNonce) == 1
    assert _count(store, ServeLogEntry) == 1


# --- the whole fetch on the loop, against the devnet ------------------------------------------


def _signed(grants: Any, hrss: Holdings, reader: RpcChain, staff: Any, terms: Any) -> Any:
    client = DataNodeClient(reader, local(staff))
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=staff)
    return prepared, prepared.body(str(tx.txn_hash))


def test_copies_of_one_request_raced_on_the_loop_release_it_once(
    grants: Any, hrss: Holdings, reader: RpcChain, civil_staff: Any, chain: Any
) -> None:
    node = DataNode(NodeConfig(HRSS), hrss.store, reader)
    now = int(chain.pending_timestamp)
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=61_001)
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    prepared, body = _signed(grants, hrss, reader, civil_staff, terms)

    async def race() -> list[Any]:
        return list(
            await asyncio.gather(
                *(node.fetch_on_loop(body, Deadline(time.monotonic() + 30)) for _ in range(24)),
                return_exceptions=True,
            )
        )

    outcomes = asyncio.run(race())
    served = [o for o in outcomes if isinstance(o, dict)]
    refused = [o.reason for o in outcomes if isinstance(o, Refusal)]
    assert len(served) == 1 and refused == ["nonce_replayed"] * 23
    plain = ecies.decrypt(local(civil_staff).key, base64.b64decode(served[0]["ciphertext"]))
    inner = json.loads(plain)
    assert inner["recordId"] == "0x" + hrss.ids["pension"].hex() and inner["version"] == 2
    with hrss.store.session() as s:
        rows = s.scalar(select(func.count()).where(ServeLogEntry.request_hash == prepared.digest))
    assert rows == 1
    # the thread path agrees: the nonce is spent
    with pytest.raises(Refusal) as again:
        node.fetch(body)
    assert again.value.reason == "nonce_replayed"


def test_a_revoked_grant_is_refused_on_the_loop(
    grants: Any, hrss: Holdings, reader: RpcChain, civil_staff: Any, chain: Any
) -> None:
    node = DataNode(NodeConfig(HRSS), hrss.store, reader)
    now = int(chain.pending_timestamp)
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=61_002)
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    prepared, body = _signed(grants, hrss, reader, civil_staff, terms)
    grants.revoke(grant_id(terms), sender=hrss.citizen)

    async def ask() -> Any:
        return await node.fetch_on_loop(body, Deadline(time.monotonic() + 30))

    with pytest.raises(Refusal) as refused:
        asyncio.run(ask())
    assert refused.value.reason == "grant_revoked"
    assert _spent(hrss, civil_staff.address, prepared.message["nonce"]) == 0


def _spent(hrss: Holdings, signer: str, nonce: int) -> int:
    with hrss.store.session() as s:
        query = select(func.count()).where(
            UsedNonce.signer == signer, UsedNonce.nonce == str(nonce)
        )
        return int(s.scalar(query) or 0)
