"""The chain node and the anchoring client both killed in the middle of batches, 24 times.

A private devnet keeps its state in a file. At each crash point the anchoring worker (the
client) dies where it stands and the devnet is stopped and started again from its saved state;
a fresh worker then drains the outbox. Every record must end anchored exactly once: none lost,
none twice. (The RPC link cut without a restart is in test_anchoring_outage.py; the publisher
killed as a process in tests/node/test_publisher_crash.py.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select

from govchain.errors import NetworkUnavailable
from govchain.network import Connection, make_web3
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.store import BATCH, DONE, SINGLE, Batch, OutboxEntry, Record, Store, sqlite_url
from govchain.reference import build_city
from govchain.sharing import SharingClass, category_code
from govchain.sharing.merkle import RecordTree
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port, rpc
from govchain.tx import Sender

PENSION = category_code("HRSS.PENSION")
SINGLES, BATCHED, BATCH_SIZE = 8, 600, 20
# The worker reports each crash point it passes (a single's tx sent, then mined; the batches
# prepared; each root's tx sent, then mined). In round k it dies at the CRASH_AT[k]-th point it
# reaches, and the chain restarts: 24 rounds, landing on every kind of point.
CRASH_AT = [1, 2, 3, 4, 5, 2, 1, 3, 2, 4, 1, 2, 3, 1, 2, 5, 1, 2, 3, 4, 2, 1, 3, 2]

HRSS_OWNER = b"HRSS".ljust(32, b"\0")


class ClientKilled(Exception):
    """The worker dies at a crash point (as a killed process would: no cleanup)."""


class Chain:
    """A devnet whose state survives restarts on the same port."""

    def __init__(self, folder: Path) -> None:
        self.config = DevnetConfig(port=free_port(), state_file=folder / "state.json")
        self.devnet = Devnet(self.config, log_file=folder / "anvil.log").start()
        self.restarts = 0

    @property
    def url(self) -> str:
        return self.config.url

    def restart(self) -> None:
        self.devnet.stop()  # SIGTERM: anvil writes its state file as it exits
        self.devnet = Devnet(self.config, log_file=self.devnet.log_file).start()
        self.restarts += 1

    def stop(self) -> None:
        self.devnet.stop()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    running = Chain(tmp_path)
    yield running
    running.stop()


def test_chain_and_client_killed_at_24_crash_points_lose_and_duplicate_nothing(
    chain: Chain, tmp_path: Path
) -> None:
    connection = Connection.open(chain.url, tmp_path / "home")
    deployer = Account.create()
    fund = lambda address: rpc(chain.url, "anvil_setBalance", [address, hex(10**21)])  # noqa: E731
    fund(deployer.address)
    city = build_city(connection, deployer, fund)
    hrss = city.departments["HRSS"]
    catalog = connection.contract("AnchorRegistry")
    Sender(connection.w3, hrss.admin, connection.decoder()).transact(
        catalog.functions.registerCategory(
            PENSION, int(SharingClass.CONDITIONAL), False, b"\1" * 32, 0
        )
    )
    addresses = ChainAddresses.from_names(
        {n: c.address for n, c in city.report.deployment.contracts.items()}
    )
    store = Store(sqlite_url(tmp_path / "hrss.db"))
    # the staff key's own transactions before anchoring (accepting its membership) are not anchors
    before = connection.w3.eth.get_transaction_count(hrss.staff.address)
    publisher = Publisher(store, HRSS_OWNER)
    for i in range(SINGLES + BATCHED):
        mode = SINGLE if i < SINGLES else BATCH
        publisher.publish(PENSION, f"rec-{i}".encode().ljust(32, b"\0"), {"i": i}, mode=mode)

    crashes: list[str] = []
    for nth in CRASH_AT:
        passed: list[str] = []

        def hook(name: str, nth: int = nth, passed: list[str] = passed) -> None:
            passed.append(name)
            if len(passed) == nth:
                raise ClientKilled(name)

        sink = _sink(chain.url, addresses, hrss.staff)
        worker = AnchorWorker(store, sink, batch_size=BATCH_SIZE, hook=hook)
        try:
            worker.drain()
        except ClientKilled as killed:
            crashes.append(str(killed))
        chain.restart()
    final = AnchorWorker(store, _sink(chain.url, addresses, hrss.staff), batch_size=BATCH_SIZE)
    for _ in range(3):
        try:
            final.drain()
            break
        except NetworkUnavailable:  # the restarted node may still be warming up
            continue
    assert final.pending() == 0
    assert len(crashes) == len(CRASH_AT) == chain.restarts, (crashes, chain.restarts)
    assert {"tx_sent", "tx_mined"} <= set(crashes), Counter(crashes)

    sent = connection.w3.eth.get_transaction_count(hrss.staff.address) - before
    lost, duplicated = _tally(store, RpcChain(chain.url, addresses), sent)
    print(f"crash points {len(crashes)} {dict(Counter(crashes))}, chain restarts {chain.restarts}, records "
          f"{SINGLES + BATCHED}: lost {lost}, duplicated {duplicated}")  # fmt: skip
    assert (lost, duplicated) == (0, 0)
    store.dispose()


def _sink(url: str, addresses: ChainAddresses, staff: Any) -> ChainAnchorSink:
    return ChainAnchorSink(make_web3(url), addresses, staff)


def _tally(store: Store, reader: RpcChain, sent: int) -> tuple[int, int]:
    """(records not anchored on chain, anchors beyond one per record), read from the contract.

    Counted from storage views, not events: anvil, restarted from its state file, keeps every
    block's state but not always the logs of the blocks before the restart.
    """
    with store.session() as s:
        records = list(s.scalars(select(Record)))
        states = Counter(s.scalars(select(OutboxEntry.state)))
        roots = {b.id: b.root for b in s.scalars(select(Batch))}
    assert states == {DONE: SINGLES + BATCHED}
    lost = 0
    for r in records:
        if r.anchor_kind == SINGLE:
            anchored = reader.record_version(PENSION, r.record_id, r.version)
            lost += anchored.digest != r.content_hash[:22]
        else:
            members = sorted(
                (m for m in records if m.batch_id == r.batch_id), key=lambda m: m.leaf_index or 0
            )
            tree = RecordTree.of_records(
                PENSION, ((m.record_id, m.version, m.content_hash) for m in members)
            )
            root = roots[r.batch_id] if r.batch_id is not None else b""
            lost += tree.root != root or reader.batch_anchor(PENSION, root).leaf_count == 0
    # one batch per BATCH_SIZE records (none re-made), one transaction per anchor (none twice)
    needed = SINGLES + len(roots)
    duplicated = (len(roots) - BATCHED // BATCH_SIZE) + (sent - needed)
    return lost, duplicated
