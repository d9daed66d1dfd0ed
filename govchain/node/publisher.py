"""Publishing records: the record and its outbox row in one transaction, anchoring by a worker.

Guarantees (tested by killing a real publisher process at each step):

- **Never lost.** :meth:`Publisher.publish` commits the record and its outbox row together; a
  crash before the commit leaves neither, a crash after it leaves a pending row that the next
  worker run anchors.
- **Idempotent.** Publishing a record with the same content, subject and media type as its
  latest stored version is a no-op that returns that version, so re-running a killed publish
  with the same input (killed at any point, even while rows are being written) stores and
  anchors each record exactly once.
- **First versions in batches, later versions single.** A batch holds only version 1 of its
  records (the chain can refuse only what it sees, and a batch is one slot); version 2 of a
  batched record is anchored by ``anchorRecordAfterBatch`` with the proof of version 1, and
  every later version by ``anchorRecord``. A version waits until the previous one is anchored.
- **Never twice.** Before any transaction the worker asks the chain whether the anchor exists
  (that version of that record with this record hash; that batch root). A Merkle batch's
  leaves and root are committed to the database *before* its transaction, so a restarted
  worker re-checks the same root instead of building a new batch around the same records.
  The contract refuses a second anchor of a version (``AnchorVersionExists``) as a last guard.

Crash points (``hook(name)`` is called at each, for tests): ``row_written`` (a row added,
its transaction not committed), ``published`` (after the record commit), ``batch_prepared`` (batch committed, nothing sent), ``tx_sent`` (transaction sent, not
mined), ``tx_mined`` (mined, database not yet updated).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
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
    canonical_subject,
    utcnow,
)
from govchain.sharing.merkle import RecordTree, new_salt, record_hash, record_leaf

Hook = Callable[[str], None]


class AnchorConflict(GovchainError):
    """The chain holds another record hash for a version this store wants to anchor."""

    def __init__(self, category: bytes, record_id: bytes, version: int) -> None:
        super().__init__(
            f"version {version} of record 0x{record_id.hex()} ({_name(category)}) is anchored "
            "on chain with a different record hash; publish a new version instead"
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
    content_hash: bytes  # the record hash
    created: bool = True  # False: the same content was the latest version already (no-op)


class Publisher:
    """Writes department ``owner``'s records into its store, each with an outbox row."""

    def __init__(self, store: Store, owner: bytes, hook: Hook | None = None) -> None:
        if len(owner) != 32 or owner == b"\0" * 32:
            raise ValueError("owner must be the department's 32-byte code")
        self.store = store
        self.owner = owner
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
        """Stores the next version of a record and queues it for anchoring (one transaction).

        A no-op (``created`` False) if the latest stored version has the same content,
        subject and media type. ``mode`` BATCH applies to a first version only: a later
        version is always anchored on its own.
        """
        item = PublishItem(category, record_id, content, subject, mode, media_type)
        return self.publish_many([item])[0]

    def publish_many(self, items: Iterable[PublishItem], *, chunk: int = 500) -> list[Published]:
        """:meth:`publish` for many records, ``chunk`` rows a transaction (each chunk is stored
        whole or not at all, so a kill while rows are written loses nothing and a re-run of
        the same items carries on: what is stored already is a no-op)."""
        out: list[Published] = []
        pending: list[PublishItem] = []
        for item in items:
            pending.append(item)
            if len(pending) >= chunk:
                out += self._publish_chunk(pending)
                pending = []
        if pending:
            out += self._publish_chunk(pending)
        return out

    def _publish_chunk(self, items: list[PublishItem]) -> list[Published]:
        prepared = [_prepare(item) for item in items]
        out: list[Published] = []
        created: list[tuple[int, Record]] = []
        with self.store.session() as s:
            latest = _latest_rows(s, {(p.category, p.record_id) for p in prepared})
            for p in prepared:
                last = latest.get((p.category, p.record_id))
                if (
                    last is not None
                    and last.content == p.raw
                    and _same_subject(last.subject, p.subject)
                    and last.media_type == p.media_type
                ):
                    out.append(
                        Published(
                            last.id, p.category, p.record_id, last.version, last.content_hash, False
                        )
                    )
                    continue
                version = (last.version if last else 0) + 1
                salt = new_salt()
                record = Record(
                    category=p.category,
                    record_id=p.record_id,
                    version=version,
                    subject=p.subject,
                    media_type=p.media_type,
                    content=p.raw,
                    salt=salt,
                    content_hash=record_hash(
                        p.category,
                        p.record_id,
                        version,
                        self.owner,
                        p.subject,
                        p.media_type,
                        p.raw,
                        salt,
                    ),
                    anchor_kind=p.mode if version == 1 else SINGLE,
                )
                s.add(record)
                created.append((len(out), record))
                latest[(p.category, p.record_id)] = record
                out.append(Published(0, p.category, p.record_id, version, record.content_hash))
                if self.hook:
                    self.hook("row_written")  # inside the transaction: a kill here rolls back
            s.flush()
            for index, record in created:
                s.add(OutboxEntry(record_pk=record.id, mode=record.anchor_kind))
                out[index] = dataclasses.replace(out[index], pk=record.id)
        if self.hook:
            for done in out:
                if done.created:
                    self.hook("published")
        return out


@dataclass(frozen=True)
class PublishItem:
    """One record to publish (see :meth:`Publisher.publish`)."""

    category: bytes
    record_id: bytes
    content: bytes | Mapping[str, Any]
    subject: str | None = None
    mode: str = SINGLE
    media_type: str | None = None


@dataclass(frozen=True)
class _Prepared:
    category: bytes
    record_id: bytes
    raw: bytes
    subject: str | None
    media_type: str
    mode: str


def _prepare(item: PublishItem) -> _Prepared:
    if item.mode not in (SINGLE, BATCH):
        raise ValueError(f"mode must be {SINGLE!r} or {BATCH!r}")
    if len(item.category) != 32 or len(item.record_id) != 32:
        raise ValueError("category and record id must be 32 bytes")
    content = item.content
    raw = content if isinstance(content, bytes) else canonical_json(content)
    kind = item.media_type or (
        "application/octet-stream" if isinstance(content, bytes) else "application/json"
    )
    who = canonical_subject(item.subject) if item.subject else None
    return _Prepared(item.category, item.record_id, raw, who, kind, item.mode)


def _same_subject(stored: str | None, subject: str | None) -> bool:
    """Whether a stored subject column names ``subject`` (addresses compared, not texts)."""
    try:
        return canonical_subject(stored) == subject
    except ValueError:
        return False


def _latest_rows(s: Session, keys: set[tuple[bytes, bytes]]) -> dict[tuple[bytes, bytes], Record]:
    """The latest stored version of each (category, record id) of ``keys`` (one query)."""
    out: dict[tuple[bytes, bytes], Record] = {}
    ids = {r for _, r in keys}
    for row in s.scalars(select(Record).where(Record.record_id.in_(ids))):
        key = (row.category, row.record_id)
        if key in keys and (key not in out or out[key].version < row.version):
            out[key] = row
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
            if done == 0:  # nothing left, or nothing that can progress (a failed predecessor)
                break
        return total

    def run_once(self) -> int:
        done = 0
        for batch_id in self._prepared_batches():  # first finish what a crash left behind
            done += self._anchor_batch(batch_id)
        for batch_id in self._prepare_batches():  # first versions, before their successors
            done += self._anchor_batch(batch_id)
        for outbox_id in self._pending(SINGLE):  # in publication order: v1 before v2
            done += self._anchor_single(outbox_id)
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
            previous = (
                s.scalar(
                    select(Record).where(
                        Record.category == record.category,
                        Record.record_id == record.record_id,
                        Record.version == record.version - 1,
                    )
                )
                if record.version > 1
                else None
            )
            if record.version > 1 and (previous is None or not previous.anchored):
                return 0  # the previous version is not anchored yet: a later round
            after_batch = (
                _batch_proof(s, previous)
                if previous is not None and previous.version == 1 and previous.anchor_kind == BATCH
                else None
            )
        category, record_id, version, content_hash = key
        digest = self.sink.single_digest(category, record_id, version)
        tx_hash: str | None = None
        if digest is None:
            try:
                if (
                    after_batch is not None
                    and self.sink.single_digest(category, record_id, 1) is None
                ):
                    root, first_hash, proof = after_batch
                    tx_hash = self.sink.submit_after_batch(
                        category, record_id, root, first_hash, proof, content_hash
                    )
                else:
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
                    leaves = [
                        record_leaf(category, r.record_id, r.version, r.content_hash)
                        for _, r in chunk
                    ]
                    tree = RecordTree(leaves)
                    existing = s.scalar(
                        select(Batch).where(Batch.category == category, Batch.root == tree.root)
                    )
                    if existing is not None:  # same leaves again (cannot happen normally)
                        raise GovchainError("a batch with this root exists already")
                    batch = Batch(category=category, root=tree.root, leaf_count=len(chunk))
                    s.add(batch)
                    s.flush()
                    for leaf, (entry, record) in zip(leaves, chunk, strict=True):
                        entry.state = BATCHED
                        record.batch_id, record.leaf_index = batch.id, tree.position(leaf)
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


def _batch_proof(s: Session, first: Record) -> tuple[bytes, bytes, list[bytes]] | None:
    """(root, record hash, proof) of version 1 of a record in its anchored batch, or None."""
    if first.batch_id is None:
        return None
    batch = s.get(Batch, first.batch_id)
    if batch is None:
        return None
    rows = s.execute(
        select(Record.category, Record.record_id, Record.version, Record.content_hash).where(
            Record.batch_id == first.batch_id
        )
    ).all()
    tree = RecordTree([record_leaf(c, r, v, h) for c, r, v, h in rows])
    leaf = record_leaf(first.category, first.record_id, 1, first.content_hash)
    try:
        return tree.root, first.content_hash, tree.proof_of(leaf)
    except KeyError:
        return None


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
