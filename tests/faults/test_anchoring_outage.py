"""The anchoring worker loses its chain node (the RPC connection cut by a TCP proxy) while it
drains a large outbox; once the link is back and the worker drains again, every record is
anchored exactly once: none lost, none twice, no transaction wasted on a refused duplicate.

The cuts land at each of the worker's critical points (a single anchor sent and not yet
confirmed, mined but not yet noted in the store, a Merkle batch prepared, a batch sent, a batch
mined) and, in the second test, at random moments while requests are in flight.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3

from govchain.errors import NetworkUnavailable
from govchain.network import make_web3
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import (
    BATCH_ANCHORED_TOPIC,
    RECORD_ANCHORED_TOPIC,
    ChainAddresses,
    RpcChain,
)
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.store import BATCH, DONE, SINGLE, Batch, OutboxEntry, Record, Store, sqlite_url
from govchain.sharing.merkle import RecordTree
from tests.faults.helpers import Outages, proxy_to
from tests.node.conftest import PENSION, local
from tests.node.helpers import TcpProxy

SINGLES, BATCHED, BATCH_SIZE = 120, 400, 50

HRSS_OWNER = b"HRSS".ljust(32, b"\0")


@dataclass
class Setup:
    store: Store
    proxy: TcpProxy
    sink: ChainAnchorSink
    staff: Any
    start_block: int
    nonce_before: int


@pytest.fixture
def setup(
    tmp_path: Path, w3: Web3, rpc_url: str, addresses: ChainAddresses, depts: Any, cats: Any
) -> Iterator[Setup]:
    """A store with a large pending outbox (singles and batched), a worker's sink behind a proxy."""
    store = Store(sqlite_url(tmp_path / "outbox.db"))
    pub = Publisher(store, HRSS_OWNER)
    tag = secrets.token_hex(4)
    for i in range(SINGLES + BATCHED):
        mode = SINGLE if i < SINGLES else BATCH
        record_id = f"{tag}-{mode}-{i}".encode().ljust(32, b"\0")
        pub.publish(PENSION, record_id, {"i": i, "tag": tag}, mode=mode)
    staff = depts["HRSS"].staff
    with proxy_to(rpc_url) as proxy:
        sink = ChainAnchorSink(make_web3(proxy.url), addresses, local(staff))
        yield Setup(
            store,
            proxy,
            sink,
            staff,
            w3.eth.block_number + 1,
            w3.eth.get_transaction_count(staff.address),
        )
    store.dispose()


def drain_through_outages(worker: AnchorWorker, limit: float = 60.0) -> list[str]:
    """What a supervisor does: drain, and on a lost chain wait a moment and drain again."""
    failures: list[str] = []
    deadline = time.monotonic() + limit
    while True:
        try:
            worker.drain()
        except NetworkUnavailable as exc:  # the one error a lost chain raises
            failures.append(type(exc).__name__)
            assert time.monotonic() < deadline, f"still failing after {limit} s: {failures[-5:]}"
            time.sleep(0.05)
            continue
        if worker.pending() == 0:
            return failures


@dataclass
class Tally:
    lost: int
    duplicated: int
    events: int


def tally(store: Store, reader: RpcChain, addresses: ChainAddresses, start_block: int) -> Tally:
    """Counts each record's anchors among the chain's events since ``start_block``."""
    with store.session() as s:
        records = list(s.scalars(select(Record)))
        states = Counter(s.scalars(select(OutboxEntry.state)))
        batches = {b.root: b.id for b in s.scalars(select(Batch))}
    assert states == {DONE: SINGLES + BATCHED}
    assert all(r.anchored for r in records)
    singles = reader.logs(addresses.anchors, ["0x" + RECORD_ANCHORED_TOPIC.hex()], start_block)
    roots = reader.logs(addresses.anchors, ["0x" + BATCH_ANCHORED_TOPIC.hex()], start_block)
    per_record: Counter[bytes] = Counter()
    for log in singles:
        per_record[bytes.fromhex(log["topics"][2][2:])] += 1
    unknown = 0
    for log in roots:
        root = bytes.fromhex(log["topics"][2][2:])
        if root not in batches:
            unknown += 1
            continue
        members = sorted(
            (r for r in records if r.batch_id == batches[root]), key=lambda r: r.leaf_index or 0
        )
        assert (
            RecordTree.of_records(
                PENSION, ((r.record_id, r.version, r.content_hash) for r in members)
            ).root
            == root
        )
        for r in members:
            per_record[r.record_id] += 1
    lost = sum(1 for r in records if per_record[r.record_id] == 0)
    duplicated = sum(n - 1 for n in per_record.values() if n > 1) + unknown
    for r in records:
        if r.anchor_kind == SINGLE:
            assert (
                reader.record_version(PENSION, r.record_id, r.version).digest == r.content_hash[:22]
            )
    return Tally(lost, duplicated, len(singles) + len(roots))


def check_exactly_once(
    setup: Setup, reader: RpcChain, addresses: ChainAddresses, w3: Web3
) -> Tally:
    result = tally(setup.store, reader, addresses, setup.start_block)
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.events == SINGLES + BATCHED // BATCH_SIZE
    # every transaction the worker sent is one of those anchors: none refused as a duplicate
    sent = w3.eth.get_transaction_count(setup.staff.address) - setup.nonce_before
    assert sent == result.events
    print(f"records {SINGLES + BATCHED}: lost {result.lost}, duplicated {result.duplicated}, "
          f"anchor transactions {sent}")  # fmt: skip
    return result


# cut points: (crash point, how many times reached); singles come first, then the batches
CUTS = {
    ("tx_sent", 10),  # a single anchor sent, its receipt not yet read
    ("tx_mined", 40),  # a single anchor mined, the store not yet updated
    ("tx_sent", 90),
    ("batch_prepared", 1),  # batches committed, nothing sent
    ("tx_sent", SINGLES + 2),  # a batch root sent
    ("tx_mined", SINGLES + 5),  # a batch root mined, its records not yet marked
}


def test_worker_cut_off_at_each_critical_point_anchors_every_record_once(
    setup: Setup, reader: RpcChain, addresses: ChainAddresses, w3: Web3
) -> None:
    outages = Outages(setup.proxy, CUTS, down_for=0.3)
    worker = AnchorWorker(setup.store, setup.sink, batch_size=BATCH_SIZE, hook=outages.hook)
    failures = drain_through_outages(worker)
    outages.wait_up()
    assert sorted(outages.cuts) == sorted(f"{n}:{k}" for n, k in CUTS)
    assert len(failures) >= len(CUTS)  # each cut stopped a drain at least once
    print(f"cuts {len(outages.cuts)}, drains stopped {len(failures)}")
    check_exactly_once(setup, reader, addresses, w3)


def test_worker_cut_off_at_random_moments_anchors_every_record_once(
    setup: Setup, reader: RpcChain, addresses: ChainAddresses, w3: Web3
) -> None:
    outages = Outages(setup.proxy, down_for=0.4)
    worker = AnchorWorker(setup.store, setup.sink, batch_size=BATCH_SIZE, hook=outages.hook)
    with outages.chaos(seed=20, up=(0.3, 0.9)):  # a cut every 0.3-0.9 s, wherever the worker is
        failures = drain_through_outages(worker)
    assert len(outages.cuts) >= 3 and failures
    print(f"cuts {len(outages.cuts)}, drains stopped {len(failures)}")
    check_exactly_once(setup, reader, addresses, w3)
