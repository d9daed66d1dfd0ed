"""The store's side of the tamper audit: each row streamed with its record hash recomputed from
ALL its columns, and the columns the node relies on beyond the hash checked (see
:mod:`govchain.audit.tamper`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from govchain.audit.tamper_report import (
    ALTERED,
    NOT_ANCHORED,
    OK,
    PENDING_STATUS,
    Finding,
    TamperReport,
)
from govchain.node.store import FAILED, PENDING, OutboxEntry, Record, Store, canonical_subject
from govchain.sharing.merkle import record_hash


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
    fault: str | None = None  # a stored column the node relies on, not as the hash implies


def _column_fault(recomputed: bytes, stored: bytes, subject: Any) -> str | None:
    """Why a row whose columns hash to its anchor is still not as published (None: it is).

    Every column the node relies on is bound: the ``content_hash`` column (the node releases
    only where its recomputation equals it) and the subject's text form (the node looks rows
    up by it, the publisher compares it): canonical is None or the checksummed address."""
    if stored != recomputed:
        return "the stored record hash column differs from the hash of the record's columns"
    try:
        canonical = canonical_subject(subject)
    except ValueError:
        return "the subject column is not an address"
    if subject != canonical:
        return f"the subject column is not in canonical (checksummed) form: {subject!r}"
    return None


_COLUMNS = (
    Record.id,
    Record.category,
    Record.record_id,
    Record.version,
    Record.salt,
    Record.content,
    Record.content_hash,
    Record.subject,
    Record.media_type,
    Record.anchored,
    Record.anchor_kind,
    Record.batch_id,
    Record.leaf_index,
    OutboxEntry.state,
)


def _recompute(owner: bytes, r: Any) -> bytes:
    """The record hash of a row from all its columns (a malformed column hashes to nothing)."""
    try:
        return record_hash(
            bytes(r[1]), bytes(r[2]), int(r[3]), owner, r[7], str(r[8]), bytes(r[5]), bytes(r[4])
        )
    except (ValueError, TypeError):
        return b"\0" * 32


def _rows(store: Store, owner: bytes, chunk: int = 20_000) -> Iterator[_Row]:
    query = (
        select(*_COLUMNS)
        .outerjoin(OutboxEntry, OutboxEntry.record_pk == Record.id)
        .order_by(Record.batch_id, Record.leaf_index, Record.id)
        .execution_options(yield_per=chunk)
    )
    with store.engine.connect() as conn:
        for r in conn.execute(query):
            recomputed, stored = _recompute(owner, r), bytes(r[6])
            yield _Row(
                pk=r[0],
                category=bytes(r[1]),
                record_id=bytes(r[2]),
                version=int(r[3]),
                recomputed=recomputed,
                stored=stored,
                anchored=bool(r[9]),
                kind=r[10],
                batch_id=r[11],
                leaf_index=r[12],
                outbox=r[13],
                fault=_column_fault(recomputed, stored, r[7]),
            )


def _anchored_row(report: TamperReport, row: _Row, root: bytes | None = None) -> None:
    """A row whose columns hash to what the chain anchors: ``ok`` unless a stored column the
    node relies on was edited (then ``altered``, naming the record)."""
    if row.fault is None:
        report.counts[OK] += 1
        return
    report.add(
        Finding(
            ALTERED,
            row.category,
            row.record_id,
            row.version,
            row.fault,
            row.pk,
            root,
            row.leaf_index,
        )
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
