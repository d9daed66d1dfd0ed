"""Tamper audit: recompute every record of a department's store against the chain's anchors.

For each row of the store (:mod:`govchain.node.store`) the record hash is recomputed from ALL
its columns — category, record id, version, the department (owner), subject, media type,
content and salt — never taken from its ``content_hash`` column, which a DBA who edits a
column can rewrite too; a one-byte edit of any column is reported with that record id. The
columns the node relies on beyond the hash are bound too: a row whose ``content_hash`` column
is not its recomputed hash (the node would refuse every release of it), or whose ``subject``
is not in canonical form (None or checksummed: the node looks rows up by it), is ``altered``.

- a single anchor: the ``recordHash`` of ``RecordAnchored(category, recordId, owner, version)``
  (or ``FirstVersionPinned``, version 1) must equal the recomputed hash;
- a Merkle batch: its root rebuilt from the store's leaves must be a ``BatchAnchored`` root of
  that category with that leaf count. The leaf count is only declared by the publisher: a
  mismatch is one ``missing`` finding ("declares N leaves, the store holds M", absent positions
  as ranges), so the audit's cost depends on the stored rows, never on the declared number. The chain pins every root, so an old batch cannot be
  rewritten or dropped without this audit naming it (as signed tree heads pin a Certificate
  Transparency log, RFC 9162);
- history (invariant 1): over the single anchors and the leaves of every reproduced batch, one
  (record, version) with two different hashes is ``reanchored`` — a record published again as
  version 1 in a second batch, or a batch leaf and a single anchor that disagree — and a batch
  leaf of a version other than 1 is ``reanchored`` too (batches publish first versions only).

Statuses: ``ok``; ``altered`` (the columns no longer hash to the anchor); ``missing`` (on chain,
not in the store: a deleted row, or a batch leaf gone); ``not_anchored`` (in the store, claimed
anchored or outside the outbox, but not on chain); ``pending`` (waiting in the outbox, not a
problem); ``unverified`` (a row of a batch that fails as a whole when the rows at fault cannot be
told apart); ``reanchored`` (see above). Everything but ``ok`` and ``pending`` is a problem.

The chain's anchors are read once from the ``AnchorRegistry`` events filtered by the owner
department; the store is streamed in (batch, leaf) order with Core queries, so a million
records are checked in seconds (``benchmarks/bench_audit.py``).

The report types live in :mod:`govchain.audit.tamper_report`, the store's rows in
:mod:`govchain.audit.tamper_rows`; every public name is importable from here too.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from govchain import events
from govchain.audit.chainlog import get_logs, topic32
from govchain.audit.tamper_report import (
    ALTERED,
    MISSING,
    NOT_ANCHORED,
    OK,
    PENDING_STATUS,
    PROBLEMS,
    REANCHORED,
    STATUSES,
    UNVERIFIED,
    Finding,
    Progress,
    TamperReport,
)
from govchain.audit.tamper_rows import _anchored_row, _Row, _rows, _unanchored
from govchain.node.chain import (
    BATCH_ANCHORED_TOPIC,
    FIRST_VERSION_PINNED_TOPIC,
    RECORD_ANCHORED_TOPIC,
    RpcChain,
)
from govchain.node.store import BATCH, Batch, Store
from govchain.sharing.merkle import RecordTree

__all__ = [
    "ALTERED",
    "MISSING",
    "NOT_ANCHORED",
    "OK",
    "PENDING_STATUS",
    "PROBLEMS",
    "REANCHORED",
    "STATUSES",
    "UNVERIFIED",
    "ChainAnchors",
    "Finding",
    "Progress",
    "TamperReport",
    "audit_store",
    "audit_tamper",
    "read_anchors",
]


@dataclass(frozen=True)
class ChainAnchors:
    """What the chain anchors for one owner department."""

    singles: dict[tuple[bytes, bytes, int], bytes]  # (category, record id, version) -> hash
    batches: dict[tuple[bytes, bytes], int]  # (category, root) -> leaf count


def read_anchors(chain: RpcChain, owner: bytes, from_block: int = 0) -> ChainAnchors:
    """Every ``RecordAnchored``, ``FirstVersionPinned`` and ``BatchAnchored`` event of ``owner``
    (one log query)."""
    topics = [
        [
            "0x" + RECORD_ANCHORED_TOPIC.hex(),
            "0x" + BATCH_ANCHORED_TOPIC.hex(),
            "0x" + FIRST_VERSION_PINNED_TOPIC.hex(),
        ],
        None,
        None,
        topic32(owner),
    ]
    singles: dict[tuple[bytes, bytes, int], bytes] = {}
    batches: dict[tuple[bytes, bytes], int] = {}
    for log in get_logs(chain, chain.addresses.anchors, topics, from_block):
        topic0 = bytes.fromhex(log["topics"][0][2:])
        if topic0 == RECORD_ANCHORED_TOPIC:
            a = events.decode("AnchorRegistry", "RecordAnchored", log)
            key = (events.b32(a["category"]), events.b32(a["recordId"]), int(a["version"]))
            singles[key] = events.b32(a["recordHash"])
        elif topic0 == FIRST_VERSION_PINNED_TOPIC:
            a = events.decode("AnchorRegistry", "FirstVersionPinned", log)
            key = (events.b32(a["category"]), events.b32(a["recordId"]), 1)
            singles[key] = events.b32(a["recordHash"])
        else:
            a = events.decode("AnchorRegistry", "BatchAnchored", log)
            batches[(events.b32(a["category"]), events.b32(a["root"]))] = int(a["leafCount"])
    return ChainAnchors(singles, batches)


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
    leaves = _Leaves()
    current: list[_Row] = []
    current_id: int | None = None

    def flush() -> None:
        if current_id is not None and current:
            _check_batch(report, anchors, batches.get(current_id), current, seen_batches, leaves)
        current.clear()

    for n, row in enumerate(_rows(store, department), 1):
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
    _check_history(report, anchors, leaves, seen_singles)
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
        _anchored_row(report, row)
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
            f"the record's columns no longer hash to the anchored hash ({how})",
            row.pk,
        )
    )


@dataclass
class _Leaves:
    """Leaves of the batches the store reproduces: (category, record id, version) -> each
    (hash, root, row) the chain pins through a batch root."""

    by_key: dict[tuple[bytes, bytes, int], list[tuple[bytes, bytes, _Row]]] = field(
        default_factory=dict
    )

    def add(self, row: _Row, hash_: bytes, root: bytes) -> None:
        key = (row.category, row.record_id, row.version)
        self.by_key.setdefault(key, []).append((hash_, root, row))


def _check_history(
    report: TamperReport,
    anchors: ChainAnchors,
    leaves: _Leaves,
    seen_singles: set[tuple[bytes, bytes, int]],
) -> None:
    """Invariant 1 over everything the chain pins: one content per (record, version), and a
    batch leaf is a first version."""
    for (category, record_id, version), items in sorted(leaves.by_key.items()):
        hashes = {h for h, _, _ in items}
        single = anchors.singles.get((category, record_id, version))
        if single is not None:
            seen_singles.add((category, record_id, version))
            hashes.add(single)
        _, root, row = items[0]
        if len(hashes) > 1:
            where = ", ".join(f"batch 0x{r.hex()}" for _, r, _ in items)
            if single is not None:
                where += ", a single anchor"
            report.add(
                Finding(
                    REANCHORED,
                    category,
                    record_id,
                    version,
                    f"version {version} is anchored with {len(hashes)} different contents "
                    f"({where}): a second anchoring of the record",
                    row.pk,
                    root,
                    row.leaf_index,
                )
            )
        for _, leaf_root, leaf_row in items:
            if version != 1:
                report.add(
                    Finding(
                        REANCHORED,
                        category,
                        record_id,
                        version,
                        f"a batch leaf carries version {version}; batches publish version 1 only",
                        leaf_row.pk,
                        leaf_root,
                        leaf_row.leaf_index,
                    )
                )


def _check_batch(
    report: TamperReport,
    anchors: ChainAnchors,
    batch: tuple[bytes, bytes, int] | None,
    rows: list[_Row],
    seen: set[tuple[bytes, bytes]],
    leaves: _Leaves,
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
    # the declared leaf count is the publisher's word (the chain cannot check it): the audit's
    # cost depends on the rows the store holds only, never on that number
    absent = _absent_ranges(chain_count, (row.leaf_index for row in rows))
    if not absent and len(rows) == chain_count:
        recomputed = _root(category, ((r.record_id, r.version, r.recomputed) for r in rows))
        if recomputed == root:
            for row in rows:
                leaves.add(row, row.recomputed, root)
                _anchored_row(report, row, root)
            return
        if _root(category, ((r.record_id, r.version, r.stored) for r in rows)) == root:
            # the stored hashes are the anchored ones: the rows whose columns differ are altered
            for row in rows:
                leaves.add(row, row.stored, root)
                if row.recomputed == row.stored:
                    _anchored_row(report, row, root)
                else:
                    report.add(
                        Finding(
                            ALTERED,
                            row.category,
                            row.record_id,
                            row.version,
                            "the record's columns no longer hash to its leaf of the anchored batch",
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
    if absent:
        shown = ", ".join(_span(a, b) for a, b in absent[:_SHOWN_RANGES])
        more = (
            f" and {len(absent) - _SHOWN_RANGES} more ranges" if len(absent) > _SHOWN_RANGES else ""
        )
        count = sum(b - a + 1 for a, b in absent)
        report.add(
            Finding(
                MISSING,
                category,
                None,
                None,
                f"the batch declares {chain_count} leaves on chain, the store holds {len(rows)} "
                f"rows of it: {count} leaves are not in the store (positions {shown}{more})",
                batch_root=root,
                leaf_index=absent[0][0],
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


_SHOWN_RANGES = 10  # absent leaf ranges named in a finding's text


def _absent_ranges(declared: int, present: Iterable[int | None]) -> list[tuple[int, int]]:
    """The leaf positions in ``[0, declared)`` that no stored row holds, as inclusive ranges
    (at most one more range than there are rows: the cost is the store's, not ``declared``)."""
    held = sorted({i for i in present if i is not None and 0 <= i < declared})
    out: list[tuple[int, int]] = []
    start = 0
    for i in held:
        if i > start:
            out.append((start, i - 1))
        start = i + 1
    if start < declared:
        out.append((start, declared - 1))
    return out


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _root(category: bytes, records: Iterable[tuple[bytes, int, bytes]]) -> bytes:
    return RecordTree.of_records(category, records).root


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
