"""Tamper audit: recompute every record of a department's store against its on-chain anchor.

For each row of the store (:mod:`govchain.node.store`) the salted content hash is recomputed
from the row's *content and salt* — never taken from its ``content_hash`` column, which a DBA
who edits the content can rewrite too — and compared with the chain:

- a single anchor: the ``contentHash`` of ``RecordAnchored(category, recordId, owner, version)``;
- a Merkle batch: the root rebuilt from every row of the batch must be a ``BatchAnchored`` root
  of that category with that leaf count.

Statuses: ``ok``; ``altered`` (the content no longer hashes to the anchor); ``missing`` (on chain,
not in the store: a deleted row, or a batch leaf gone); ``not_anchored`` (in the store, claimed
anchored or outside the outbox, but not on chain); ``pending`` (waiting in the outbox, not a
problem); ``unverified`` (a row of a batch that fails as a whole when the rows at fault cannot be
told apart — a leaf deleted, or content and stored hash rewritten together; the chain keeps only
the root). Everything but ``ok`` and ``pending`` is a problem.

The chain's anchors are read once from the ``AnchorRegistry`` events filtered by the owner
department; the store is streamed in (batch, leaf) order with Core queries, so a million
records are checked in seconds (``benchmarks/bench_audit.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_abi.abi import decode
from sqlalchemy import select

from govchain.audit.chainlog import get_logs, topic32
from govchain.node.chain import BATCH_ANCHORED_TOPIC, RECORD_ANCHORED_TOPIC, RpcChain
from govchain.node.store import BATCH, FAILED, PENDING, Batch, OutboxEntry, Record, Store
from govchain.sharing.merkle import MerkleTree, keccak256

OK, ALTERED, MISSING, NOT_ANCHORED, PENDING_STATUS, UNVERIFIED = (
    "ok",
    "altered",
    "missing",
    "not_anchored",
    "pending",
    "unverified",
)
STATUSES = (OK, ALTERED, MISSING, NOT_ANCHORED, PENDING_STATUS, UNVERIFIED)
PROBLEMS = (ALTERED, MISSING, NOT_ANCHORED, UNVERIFIED)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ChainAnchors:
    """What the chain anchors for one owner department."""

    singles: dict[tuple[bytes, bytes, int], bytes]  # (category, record id, version) -> hash
    batches: dict[tuple[bytes, bytes], int]  # (category, root) -> leaf count


def read_anchors(chain: RpcChain, owner: bytes, from_block: int = 0) -> ChainAnchors:
    """Every ``RecordAnchored`` and ``BatchAnchored`` event of ``owner`` (one log query)."""
    topics = [
        ["0x" + RECORD_ANCHORED_TOPIC.hex(), "0x" + BATCH_ANCHORED_TOPIC.hex()],
        None,
        None,
        topic32(owner),
    ]
    singles: dict[tuple[bytes, bytes, int], bytes] = {}
    batches: dict[tuple[bytes, bytes], int] = {}
    for log in get_logs(chain, chain.addresses.anchors, topics, from_block):
        t = [bytes.fromhex(x[2:]) for x in log["topics"]]
        data = bytes.fromhex(log["data"][2:])
        if t[0] == RECORD_ANCHORED_TOPIC:
            version, content_hash, _ = decode(["uint32", "bytes32", "address"], data)
            singles[(t[1], t[2], int(version))] = bytes(content_hash)
        else:
            leaf_count, _ = decode(["uint64", "address"], data)
            batches[(t[1], t[2])] = int(leaf_count)
    return ChainAnchors(singles, batches)


@dataclass(frozen=True)
class Finding:
    """One record (or batch leaf) that is not ``ok``."""

    status: str
    category: bytes
    record_id: bytes | None  # None for a missing batch leaf (the chain keeps only the root)
    version: int | None
    reason: str
    row: int | None = None  # the store's primary key
    batch_root: bytes | None = None
    leaf_index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("category", "record_id", "batch_root"):
            if out[key] is not None:
                out[key] = "0x" + out[key].hex()
        return out


@dataclass
class TamperReport:
    department: bytes
    records: int = 0  # rows of the store checked
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> int:
        return sum(self.counts[s] for s in PROBLEMS)

    @property
    def clean(self) -> bool:
        return self.problems == 0

    def add(self, finding: Finding) -> None:
        self.counts[finding.status] += 1
        self.findings.append(finding)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": "0x" + self.department.hex(),
            "records": self.records,
            "counts": dict(self.counts),
            "problems": self.problems,
            "clean": self.clean,
            "findings": [f.as_dict() for f in self.findings],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Row:
    pk: int
    category: bytes
    record_id: bytes
    version: int
    recomputed: bytes
    stored: bytes
    anchored: bool
    kind: str
    batch_id: int | None
    leaf_index: int | None
    outbox: str | None


_COLUMNS = (
    Record.id,
    Record.category,
    Record.record_id,
    Record.version,
    Record.salt,
    Record.content,
    Record.content_hash,
    Record.anchored,
    Record.anchor_kind,
    Record.batch_id,
    Record.leaf_index,
    OutboxEntry.state,
)


def _rows(store: Store, chunk: int = 20_000) -> Iterator[_Row]:
    query = (
        select(*_COLUMNS)
        .outerjoin(OutboxEntry, OutboxEntry.record_pk == Record.id)
        .order_by(Record.batch_id, Record.leaf_index, Record.id)
        .execution_options(yield_per=chunk)
    )
    h = keccak256
    with store.engine.connect() as conn:
        for r in conn.execute(query):
            yield _Row(
                pk=r[0],
                category=bytes(r[1]),
                record_id=bytes(r[2]),
                version=int(r[3]),
                recomputed=h(bytes(r[4]) + bytes(r[5])),
                stored=bytes(r[6]),
                anchored=bool(r[7]),
                kind=r[8],
                batch_id=r[9],
                leaf_index=r[10],
                outbox=r[11],
            )


def _unanchored(report: TamperReport, row: _Row, root: bytes | None = None) -> None:
    if not row.anchored and row.outbox in (PENDING, "batched"):
        status, reason = PENDING_STATUS, "waiting in the outbox to be anchored"
    elif row.outbox == FAILED:
        status, reason = NOT_ANCHORED, "the outbox gave up: the chain holds another content"
    elif row.anchored:
        status, reason = NOT_ANCHORED, "marked anchored in the store, but no anchor on chain"
    else:
        status, reason = NOT_ANCHORED, "not anchored on chain and not queued in the outbox"
    report.add(
        Finding(
            status,
            row.category,
            row.record_id,
            row.version,
            reason,
            row.pk,
            root,
            row.leaf_index,
        )
    )


def audit_store(
    store: Store,
    anchors: ChainAnchors,
    department: bytes,
    progress: Progress | None = None,
) -> TamperReport:
    """Checks every row of ``store`` against ``anchors`` (see the module notes)."""
    started = time.perf_counter()
    report = TamperReport(department)
    with store.session() as s:
        batches = {b.id: (b.category, b.root, b.leaf_count) for b in s.scalars(select(Batch))}
    seen_singles: set[tuple[bytes, bytes, int]] = set()
    seen_batches: set[tuple[bytes, bytes]] = set()
    current: list[_Row] = []
    current_id: int | None = None

    def flush() -> None:
        if current_id is not None and current:
            _check_batch(report, anchors, batches.get(current_id), current, seen_batches)
        current.clear()

    for n, row in enumerate(_rows(store), 1):
        report.records += 1
        if row.kind == BATCH and row.batch_id is not None:
            if row.batch_id != current_id:
                flush()
                current_id = row.batch_id
            current.append(row)
        else:
            _check_single(report, anchors, row, seen_singles)
        if progress is not None and n % 10_000 == 0:
            progress(n)
    flush()
    for (category, record_id, version), _ in sorted(anchors.singles.items()):
        if (category, record_id, version) not in seen_singles:
            report.add(
                Finding(
                    MISSING, category, record_id, version, "anchored on chain, not in the store"
                )
            )
    for (category, root), count in sorted(anchors.batches.items()):
        if (category, root) not in seen_batches:
            report.add(
                Finding(
                    MISSING,
                    category,
                    None,
                    None,
                    f"a batch of {count} records is anchored on chain, none is in the store",
                    batch_root=root,
                )
            )
    if progress is not None:
        progress(report.records)
    report.seconds = time.perf_counter() - started
    return report


def _check_single(
    report: TamperReport,
    anchors: ChainAnchors,
    row: _Row,
    seen: set[tuple[bytes, bytes, int]],
) -> None:
    key = (row.category, row.record_id, row.version)
    on_chain = anchors.singles.get(key)
    if on_chain is None:
        _unanchored(report, row)
        return
    seen.add(key)
    if on_chain == row.recomputed:
        report.counts[OK] += 1
        return
    how = (
        "the stored hash was rewritten to match"
        if row.stored == row.recomputed
        else "the stored hash still has the anchored value"
        if row.stored == on_chain
        else "the stored hash matches neither"
    )
    report.add(
        Finding(
            ALTERED,
            row.category,
            row.record_id,
            row.version,
            f"the content no longer hashes to the anchored hash ({how})",
            row.pk,
        )
    )


def _check_batch(
    report: TamperReport,
    anchors: ChainAnchors,
    batch: tuple[bytes, bytes, int] | None,
    rows: list[_Row],
    seen: set[tuple[bytes, bytes]],
) -> None:
    if batch is None:  # rows point at a batch row that is gone
        for row in rows:
            _unanchored(report, row)
        return
    category, root, _stored_count = batch
    chain_count = anchors.batches.get((category, root))
    if chain_count is None:
        for row in rows:
            _unanchored(report, row, root)
        return
    seen.add((category, root))
    present = {row.leaf_index for row in rows}
    absent = [i for i in range(chain_count) if i not in present]
    if not absent and len(rows) == chain_count:
        recomputed = _root((r.record_id, r.recomputed) for r in rows)
        if recomputed == root:
            report.counts[OK] += len(rows)
            return
        if _root((r.record_id, r.stored) for r in rows) == root:
            # the stored hashes are the anchored ones: the rows whose content differs are altered
            for row in rows:
                if row.recomputed == row.stored:
                    report.counts[OK] += 1
                else:
                    report.add(
                        Finding(
                            ALTERED,
                            row.category,
                            row.record_id,
                            row.version,
                            "the content no longer hashes to its leaf of the anchored batch",
                            row.pk,
                            root,
                            row.leaf_index,
                        )
                    )
            return
        reason = "the batch root rebuilt from the store differs from the anchored root"
    else:
        reason = (
            f"the batch has {chain_count} leaves on chain, {len(rows)} rows in the store; "
            "without every leaf no row of it can be verified"
        )
    for index in absent:
        report.add(
            Finding(
                MISSING,
                category,
                None,
                None,
                f"leaf {index} of the anchored batch is not in the store",
                batch_root=root,
                leaf_index=index,
            )
        )
    for row in rows:
        status = ALTERED if row.recomputed != row.stored else UNVERIFIED
        report.add(
            Finding(
                status,
                row.category,
                row.record_id,
                row.version,
                reason,
                row.pk,
                root,
                row.leaf_index,
            )
        )


def _root(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    return MerkleTree.from_records(pairs).root


def audit_tamper(
    store: Store,
    chain: RpcChain,
    department: bytes,
    from_block: int = 0,
    progress: Progress | None = None,
) -> TamperReport:
    """Reads the department's anchors from the chain and checks the whole store against them."""
    started = time.perf_counter()
    anchors = read_anchors(chain, department, from_block)
    report = audit_store(store, anchors, department, progress)
    report.seconds = time.perf_counter() - started
    return report
