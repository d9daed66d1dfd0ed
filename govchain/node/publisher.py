"""Publishing records: the record and its outbox row in one transaction, anchoring by a worker.

Guarantees (tested by killing a real publisher process at each step):

- **Never lost.** :meth:`Publisher.publish` commits the record and its outbox row together; a
  crash before the commit leaves neither, a crash after it leaves a pending row that the next
  worker run anchors.
- **Never twice.** Before any transaction the worker asks the chain whether the anchor exists
  (that version of that record with this content hash; that batch root). A Merkle batch's
  leaves and root are committed to the database *before* its transaction, so a restarted
  worker re-checks the same root instead of building a new batch around the same records.
  The contract refuses a second anchor of a version (``AnchorVersionExists``) as a last guard.

Crash points (``hook(name)`` is called at each, for tests): ``published`` (after the record
commit), ``batch_prepared`` (batch committed, nothing sent), ``tx_sent`` (transaction sent, not
mined), ``tx_mined`` (mined, database not yet updated).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govchain.errors import ChainRefused, GovchainError
from govchain.node.anchors import DIGEST_BYTES, AnchorSink
from govchain.node.store import (
    BATCH,
    BATCHED,
    DONE,
    FAILED,
    PENDING,
    PREPARED,
    SINGLE,
    Batch,
    OutboxEntry,
    Record,
    Store,
    utcnow,
)
from govchain.sharing.merkle import MerkleTree, new_salt, salted_content_hash

Hook = Callable[[str], None]


class AnchorConflict(GovchainError):
    """The chain holds another content hash for a version this store wants to anchor."""

    def __init__(self, category: bytes, record_id: bytes, version: int) -> None:
        super().__init__(
            f"version {version} of record 0x{record_id.hex()} ({_name(category)}) is anchored "
            "on chain with a different content hash; publish a new version instead"
        )


def _name(code: bytes) -> str:
    return code.rstrip(b"\0").decode("ascii", "replace")


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces: the bytes a JSON record is hashed and served as."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Published:
    pk: int
    category: bytes
    record_id: bytes
    version: int
    content_hash: bytes


class Publisher:
    """Writes a department's records into its store, each with an outbox row."""

    def __init__(self, store: Store, hook: Hook | None = None) -> None:
        self.store = store
        self.hook = hook

    def publish(
        self,
        category: bytes,
        record_id: bytes,
        content: bytes | Mapping[str, Any],
        *,
        subject: str | None = None,
        mode: str = SINGLE,
        media_type: str | None = None,
    ) -> Published:
        """Stores the next version of a record and queues it for anchoring (one transaction)."""
        if mode not in (SINGLE, BATCH):
            raise ValueError(f"mode must be {SINGLE!r} or {BATCH!r}")
        if len(category) != 32 or len(record_id) != 32:
            raise ValueError("category and record id must be 32 bytes")
        raw = content if isinstance(content, bytes) else canonical_json(content)
        kind = media_type or (
            "application/octet-stream" if isinstance(content, bytes) else "application/json"
        )
        salt = new_salt()
        with self.store.session() as s:
            last = s.scalar(
                select(func.max(Record.version)).where(
                    Record.category == category, Record.record_id == record_id
                )
            )
            record = Record(
                category=category,
                record_id=record_id,
                version=(last or 0) + 1,
                subject=subject,
                media_type=kind,
                content=raw,
                salt=salt,
                content_hash=salted_content_hash(salt, raw),
                anchor_kind=mode,
            )
            s.add(record)
            s.flush()
            s.add(OutboxEntry(record_pk=record.id, mode=mode))
            out = Published(record.id, category, record_id, record.version, record.content_hash)
        if self.hook:
            self.hook("published")
        return out


class AnchorWorker:
    """Anchors pending outbox rows, singly or in Merkle batches per category, exactly once."""

    def __init__(
        self, store: Store, sink: AnchorSink, *, batch_size: int = 512, hook: Hook | None = None
    ) -> None:
        self.store = store
        self.sink = sink
        self.batch_size = batch_size
        self.hook = hook

    def _at(self, point: str) -> None:
        if self.hook:
            self.hook(point)

    def pending(self) -> int:
        with self.store.session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(OutboxEntry)
                    .where(OutboxEntry.state.in_((PENDING, BATCHED)))
                )
                or 0
            )

    def drain(self, max_rounds: int = 1000) -> int:
        """Runs until nothing is pending; returns how many records were anchored."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            total += done
            if done == 0 and self.pending() == 0:
                break
        return total

    def run_once(self) -> int:
        done = 0
        for batch_id in self._prepared_batches():  # first finish what a crash left behind
            done += self._anchor_batch(batch_id)
        for outbox_id in self._pending(SINGLE):
            done += self._anchor_single(outbox_id)
        for batch_id in self._prepare_batches():
            done += self._anchor_batch(batch_id)
        return done

    # --- singles ----------------------------------------------------------------------------

    def _pending(self, mode: str) -> list[int]:
        with self.store.session() as s:
            return list(
                s.scalars(
                    select(OutboxEntry.id)
                    .where(OutboxEntry.state == PENDING, OutboxEntry.mode == mode)
                    .order_by(OutboxEntry.id)
                )
            )

    def _anchor_single(self, outbox_id: int) -> int:
        with self.store.session() as s:
            entry = s.get(OutboxEntry, outbox_id)
            assert entry is not None
            record = s.get(Record, entry.record_pk)
            assert record is not None
            key = (record.category, record.record_id, record.version, record.content_hash)
        category, record_id, version, content_hash = key
        digest = self.sink.single_digest(category, record_id, version)
        tx_hash: str | None = None
        if digest is None:
            try:
                tx_hash = self.sink.submit_single(category, record_id, version, content_hash)
            except ChainRefused as refused:
                if refused.error_name != "AnchorVersionExists":
                    self._note_error(outbox_id, str(refused))
                    raise
                digest = self.sink.single_digest(category, record_id, version)
            else:
                self._at("tx_sent")
                self.sink.wait(tx_hash)
                self._at("tx_mined")
                digest = content_hash[:DIGEST_BYTES]
        if digest != content_hash[:DIGEST_BYTES]:
            self._note_error(outbox_id, str(AnchorConflict(category, record_id, version)), FAILED)
            return 0
        with self.store.session() as s:
            entry = s.get(OutboxEntry, outbox_id)
            record = s.get(Record, entry.record_pk) if entry else None
            assert entry is not None and record is not None
            entry.state, entry.done_at, entry.tx_hash = DONE, utcnow(), tx_hash
            entry.attempts += 1
            record.anchored, record.anchor_tx = True, tx_hash
        return 1

    def _note_error(self, outbox_id: int, message: str, state: str | None = None) -> None:
        with self.store.session() as s:
            entry = s.get(OutboxEntry, outbox_id)
            if entry is not None:
                entry.attempts += 1
                entry.last_error = message[:500]
                if state:
                    entry.state = state

    # --- batches ----------------------------------------------------------------------------

    def _prepared_batches(self) -> list[int]:
        with self.store.session() as s:
            return list(
                s.scalars(select(Batch.id).where(Batch.state == PREPARED).order_by(Batch.id))
            )

    def _prepare_batches(self) -> list[int]:
        """Groups pending batch-mode rows by category into batches, committed before sending."""
        created: list[int] = []
        with self.store.session() as s:
            rows = s.execute(
                select(OutboxEntry, Record)
                .join(Record, Record.id == OutboxEntry.record_pk)
                .where(OutboxEntry.state == PENDING, OutboxEntry.mode == BATCH)
                .order_by(OutboxEntry.id)
            ).all()
            by_category: dict[bytes, list[tuple[OutboxEntry, Record]]] = {}
            for entry, record in rows:
                by_category.setdefault(record.category, []).append((entry, record))
            for category, items in by_category.items():
                for start in range(0, len(items), self.batch_size):
                    chunk = items[start : start + self.batch_size]
                    tree = MerkleTree.from_records((r.record_id, r.content_hash) for _, r in chunk)
                    existing = s.scalar(
                        select(Batch).where(Batch.category == category, Batch.root == tree.root)
                    )
                    if existing is not None:  # same leaves again (cannot happen normally)
                        raise GovchainError("a batch with this root exists already")
                    batch = Batch(category=category, root=tree.root, leaf_count=len(chunk))
                    s.add(batch)
                    s.flush()
                    for index, (entry, record) in enumerate(chunk):
                        entry.state = BATCHED
                        record.batch_id, record.leaf_index = batch.id, index
                    created.append(batch.id)
        if created:
            self._at("batch_prepared")
        return created

    def _anchor_batch(self, batch_id: int) -> int:
        with self.store.session() as s:
            batch = s.get(Batch, batch_id)
            assert batch is not None
            category, root, count = batch.category, batch.root, batch.leaf_count
        tx_hash: str | None = None
        if not self.sink.batch_anchored(category, root):
            try:
                tx_hash = self.sink.submit_batch(category, root, count)
            except ChainRefused as refused:
                if refused.error_name != "AnchorBatchExists":
                    raise
            else:
                self._at("tx_sent")
                self.sink.wait(tx_hash)
                self._at("tx_mined")
        with self.store.session() as s:
            return _finish_batch(s, batch_id, tx_hash)


def _finish_batch(s: Session, batch_id: int, tx_hash: str | None) -> int:
    batch = s.get(Batch, batch_id)
    assert batch is not None
    batch.state, batch.tx_hash = DONE, tx_hash or batch.tx_hash
    rows = s.execute(
        select(OutboxEntry, Record)
        .join(Record, Record.id == OutboxEntry.record_pk)
        .where(Record.batch_id == batch_id)
    ).all()
    now = utcnow()
    for entry, record in rows:
        entry.state, entry.done_at, entry.tx_hash = DONE, now, tx_hash
        entry.attempts += 1
        record.anchored, record.anchor_tx = True, tx_hash
    return len(rows)
