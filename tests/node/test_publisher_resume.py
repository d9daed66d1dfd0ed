"""A killed publish re-run with the same input anchors each record exactly once (client fault:
``node publish`` of 10,000 records killed after 4,037 were stored anchored those 4,037 again as
version 2). The publisher is stopped at every kind of kill point - while rows are being
written (inside a transaction: rolled back), after N rows were stored, and at each named crash
point of the worker - then the same publish is run again, to the end.

The chain is a faithful in-memory model of ``AnchorRegistry`` (contiguous versions, one content
per version, one slot per batch root, version 2 after a batch proves version 1), so 10,000
records take seconds; the same crash points against a real chain and a SIGKILLed process are in
``test_publisher_crash.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govchain.errors import ChainRefused
from govchain.node.publisher import AnchorWorker, Publisher, PublishItem
from govchain.node.store import BATCH, DONE, SINGLE, OutboxEntry, Record, Store, sqlite_url
from govchain.sharing.merkle import process_proof, record_leaf

CATEGORY = b"HRSS.PENSION".ljust(32, b"\0")
OWNER = b"HRSS".ljust(32, b"\0")
TOTAL = 10_000  # the reported fault's size
# every other kill point: still five chunks of 500 rows and five batches of up to 512 (each kill
# point lands mid-run), at a quarter of the reported size's CPU (issue 20)
SMALL = 2_500


class Killed(BaseException):
    """The process died here (BaseException: nothing in the publisher catches it)."""


class ModelChain:
    """AnchorRegistry's anchor rules in memory; counts every anchoring transaction."""

    def __init__(self) -> None:
        self.singles: dict[tuple[bytes, bytes, int], bytes] = {}
        self.batches: dict[tuple[bytes, bytes], int] = {}
        self.sent: Counter[str] = Counter()
        self.anchorings: Counter[tuple[bytes, int]] = Counter()  # (record, version) -> times

    # --- AnchorSink -------------------------------------------------------------------------

    def single_digest(self, category: bytes, record_id: bytes, version: int) -> bytes | None:
        h = self.singles.get((category, record_id, version))
        return h[:22] if h else None

    def submit_single(
        self, category: bytes, record_id: bytes, version: int, content_hash: bytes
    ) -> str:
        if (category, record_id, version) in self.singles:
            raise ChainRefused("AnchorVersionExists")
        if version > 1 and (category, record_id, version - 1) not in self.singles:
            raise ChainRefused("AnchorVersionGap")
        self.singles[(category, record_id, version)] = content_hash
        self.sent["single"] += 1
        self.anchorings[(record_id, version)] += 1
        return f"0x{len(self.sent):064x}"

    def submit_after_batch(
        self,
        category: bytes,
        record_id: bytes,
        root: bytes,
        first_hash: bytes,
        proof: list[bytes],
        record_hash: bytes,
    ) -> str:
        if (category, record_id, 1) in self.singles:
            raise ChainRefused("AnchorVersionExists")
        assert (category, root) in self.batches
        assert process_proof(proof, record_leaf(category, record_id, 1, first_hash)) == root
        self.singles[(category, record_id, 1)] = first_hash
        self.singles[(category, record_id, 2)] = record_hash
        self.sent["after_batch"] += 1
        self.anchorings[(record_id, 2)] += 1
        return f"0x{len(self.sent):064x}"

    def batch_anchored(self, category: bytes, root: bytes) -> bool:
        return (category, root) in self.batches

    def submit_batch(self, category: bytes, root: bytes, leaf_count: int) -> str:
        if (category, root) in self.batches:
            raise ChainRefused("AnchorBatchExists")
        self.batches[(category, root)] = leaf_count
        self.sent["batch"] += 1
        return f"0x{len(self.sent):064x}"

    def wait(self, tx_hash: str) -> int:
        return 1


def _input(total: int, edited: bool = False) -> list[tuple[bytes, dict[str, int], str]]:
    out = []
    for i in range(total):
        rid = f"rec-{i:05d}".encode().ljust(32, b"\0")
        out.append((rid, {"i": i, "monthly": 3000 + i + (7 if edited and i % 10 == 0 else 0)}, ""))
    return out


def _killer(point: str, nth: int) -> Callable[[str], None]:
    seen: Counter[str] = Counter()

    def hook(name: str) -> None:
        seen[name] += 1
        if name == point and seen[name] == nth:
            raise Killed(f"{name}:{nth}")

    return hook


def _run(
    store: Store, chain: ModelChain, rows: list[tuple[bytes, dict[str, int], str]], mode: str,
    kill: tuple[str, int] | None = None,
) -> bool:  # fmt: skip
    """One ``node publish``: every row published, then the worker drained. True if killed."""
    hook = _killer(*kill) if kill else None
    try:
        publisher = Publisher(store, OWNER, hook=hook)
        publisher.publish_many(
            PublishItem(CATEGORY, rid, content, mode=mode) for rid, content, _ in rows
        )
        AnchorWorker(store, chain, batch_size=512, hook=hook).drain()  # type: ignore[arg-type]
    except Killed:
        return True
    return False


def _assert_exactly_once(store: Store, chain: ModelChain, expected_rows: int) -> None:
    with store.session() as s:
        rows = s.execute(select(Record.record_id, Record.version, Record.anchor_kind)).all()
        states = Counter(s.scalars(select(OutboxEntry.state)))
    assert len(rows) == expected_rows
    assert states == Counter({DONE: len(rows)})  # every row anchored
    assert all(n == 1 for n in chain.anchorings.values())  # no version anchored twice
    # one batch leaf per batched first version: no batch re-made around the same records
    assert sum(chain.batches.values()) == sum(1 for _, v, k in rows if v == 1 and k == BATCH)
    single_rows = {(r, v) for r, v, k in rows if k == SINGLE}
    assert single_rows == set(chain.anchorings)


KILLS = [
    (TOTAL, "published", 4_037),  # 4,037 of 10,000 rows committed (the fault as reported)
    (SMALL, "row_written", 1),
    (SMALL, "row_written", 1_037),  # a chunk of 500 rows half written: rolled back
    (SMALL, "published", 1_037),
    (SMALL, "published", SMALL),
    (SMALL, "batch_prepared", 1),
    (SMALL, "tx_sent", 3),
    (SMALL, "tx_mined", 4),
]


@pytest.mark.parametrize(
    ("total", "point", "nth"), KILLS, ids=[f"{t}-{p}:{n}" for t, p, n in KILLS]
)
def test_client_fault_killed_publish_rerun_anchors_each_record_once(
    tmp_path: Path, total: int, point: str, nth: int
) -> None:
    """Client fault (publish not resumable): ``total`` records, killed at the ``nth``
    ``point``, re-run."""
    store = Store(sqlite_url(tmp_path / "store.db"))
    chain = ModelChain()
    rows = _input(total)
    assert _run(store, chain, rows, BATCH, (point, nth)) is True
    assert _run(store, chain, rows, BATCH) is False
    with store.session() as s:
        assert s.scalar(select(func.max(Record.version))) == 1  # nothing became version 2
    _assert_exactly_once(store, chain, total)
    # a third run of identical content is a no-op: no row, no transaction
    sent = sum(chain.sent.values())
    assert _run(store, chain, rows, BATCH) is False
    assert sum(chain.sent.values()) == sent
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == total
    store.dispose()


@pytest.mark.parametrize(
    "kill", [("row_written", 50), ("published", 33), ("tx_sent", 2), ("tx_mined", 5)]
)
def test_a_changed_rerun_publishes_version_two_once_after_a_batch(
    tmp_path: Path, kill: tuple[str, int]
) -> None:
    """Records first published in batches, then one in ten changed: the changed ones become
    version 2 (proving version 1 from its batch), once each, whatever the kill point."""
    total = 1_000
    store = Store(sqlite_url(tmp_path / "store.db"))
    chain = ModelChain()
    assert _run(store, chain, _input(total), BATCH) is False
    edited = _input(total, edited=True)
    assert _run(store, chain, edited, BATCH, kill) is True
    assert _run(store, chain, edited, BATCH) is False
    with store.session() as s:
        second = list(s.scalars(select(Record).where(Record.version == 2)))
        assert s.scalar(select(func.max(Record.version))) == 2
    assert len(second) == total // 10 and all(r.anchor_kind == SINGLE for r in second)
    assert chain.sent["after_batch"] == total // 10 and chain.sent["single"] == 0
    _assert_exactly_once(store, chain, total + total // 10)
    store.dispose()


def test_singles_resume_too(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "store.db"))
    chain = ModelChain()
    rows = _input(500)
    assert _run(store, chain, rows, SINGLE, ("tx_mined", 100)) is True
    assert _run(store, chain, rows, SINGLE) is False
    assert chain.sent["single"] == 500 and len(chain.singles) == 500
    _assert_exactly_once(store, chain, 500)
    store.dispose()


def test_publish_is_a_no_op_only_for_identical_columns(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "store.db"))
    pub = Publisher(store, OWNER)
    rid = b"r".ljust(32, b"\0")
    subject = "0x" + "ab" * 20
    first = pub.publish(CATEGORY, rid, {"a": 1}, subject=subject)
    again = pub.publish(CATEGORY, rid, {"a": 1}, subject=subject.upper().replace("0X", "0x"))
    assert (again.version, again.created, again.pk) == (1, False, first.pk)
    assert pub.publish(CATEGORY, rid, {"a": 1}, subject=None).version == 2  # subject changed
    assert pub.publish(CATEGORY, rid, {"a": 1}).version == 2  # same as v2: no-op
    assert pub.publish(CATEGORY, rid, b'{"a":1}').version == 3  # media type changed
    assert pub.publish(CATEGORY, rid, {"a": 2}, mode=BATCH).version == 4
    with store.session() as s:
        v4 = s.scalar(select(Record).where(Record.version == 4))
        assert v4 is not None and v4.anchor_kind == SINGLE  # a batch holds first versions only
    store.dispose()
