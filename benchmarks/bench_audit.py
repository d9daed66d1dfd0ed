"""Tamper audit of 1,000,000 records: recompute every record of a store against its anchor.

The HRSS store (SQLite) is filled straight through its tables with 1,000,000 pension records
in Merkle batches of 1,000 (what the outbox worker does in bulk mode), plus 1,000 singly
anchored records; the 1,000 batch roots and 1,000 single anchors are sent to the test anvil with
``BulkSender``. The audit (``govchain.audit.tamper.audit_tamper``, what ``govchain audit tamper``
runs) then reads the department's anchor events, streams every row, recomputes each salted
content hash from content and salt, rebuilds each batch's Merkle root and compares. A second
run with one row edited checks that the edit is found at this size. Goal: < 60 s.

Figures are reported, not asserted. Writes ``benchmarks/results/audit.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_audit.py -s``.
"""

# ruff: noqa: F811  (the shared fixtures are imported into this module, outside tests/)
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from govchain.audit.tamper import audit_tamper
from govchain.node.anchors import ANCHOR_BATCH, ANCHOR_RECORD
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.store import BATCH, SINGLE, Batch, Record, Store, sqlite_url
from govchain.sharing.merkle import RecordTree, record_hash
from govchain.tx import BulkSender
from tests.conftest import citizens, council, departments, deployer, depts, outsider  # noqa: F401
from tests.node.conftest import (  # noqa: F401
    HRSS,
    PENSION,
    addresses,
    catalog,
    cats,
    grants,
    local,
    reader,
    registry,
    rpc_url,
    w3,
)

RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"
RECORDS = int(os.environ.get("GOVCHAIN_BENCH_AUDIT_RECORDS", "1000000"))
BATCH_SIZE = 1000
SINGLES = int(os.environ.get("GOVCHAIN_BENCH_AUDIT_SINGLES", "1000"))
GOAL_S = 60.0


def _fill(store: Store, txs: list[dict[str, Any]], anchors: str) -> float:
    """Writes the records and batches; queues the anchoring transactions. Returns seconds."""
    started = time.perf_counter()
    subject = "0x" + "11" * 20
    salt = b"\x5a" * 32
    records, batches = Record.__table__, Batch.__table__
    with store.engine.begin() as conn:
        for b in range(RECORDS // BATCH_SIZE):
            rows = []
            for i in range(BATCH_SIZE):
                n = b * BATCH_SIZE + i
                content = b'{"month":%d,"paid":%d}' % (n % 12, 3000 + n % 997)
                rows.append(
                    {
                        "category": PENSION,
                        "record_id": n.to_bytes(32, "big"),
                        "version": 1,
                        "subject": subject,
                        "media_type": "application/json",
                        "content": content,
                        "salt": salt,
                        "content_hash": record_hash(
                            PENSION,
                            n.to_bytes(32, "big"),
                            1,
                            HRSS,
                            subject,
                            "application/json",
                            content,
                            salt,
                        ),
                        "anchored": True,
                        "anchor_kind": BATCH,
                        "batch_id": b + 1,
                        "leaf_index": i,
                    }
                )
            tree = RecordTree.of_records(
                PENSION, ((r["record_id"], 1, r["content_hash"]) for r in rows)
            )
            conn.execute(
                batches.insert(),
                {
                    "id": b + 1,
                    "category": PENSION,
                    "root": tree.root,
                    "leaf_count": BATCH_SIZE,
                    "state": "done",
                },
            )
            conn.execute(records.insert(), rows)
            txs.append({"to": anchors, "data": ANCHOR_BATCH.data(PENSION, tree.root, BATCH_SIZE)})
        singles = []
        for n in range(SINGLES):
            content = b'{"single":%d}' % n
            record_id = (10**9 + n).to_bytes(32, "big")
            content_hash = record_hash(
                PENSION, record_id, 1, HRSS, subject, "application/json", content, salt
            )
            singles.append(
                {
                    "category": PENSION,
                    "record_id": record_id,
                    "version": 1,
                    "subject": subject,
                    "media_type": "application/json",
                    "content": content,
                    "salt": salt,
                    "content_hash": content_hash,
                    "anchored": True,
                    "anchor_kind": SINGLE,
                }
            )
            txs.append(
                {"to": anchors, "data": ANCHOR_RECORD.data(PENSION, record_id, 1, content_hash)}
            )
        if singles:
            conn.execute(records.insert(), singles)
    return time.perf_counter() - started


@pytest.mark.timeout(1800)
def test_tamper_audit_of_a_million_records(
    tmp_path: Path, w3: Any, depts: Any, cats: Any, addresses: ChainAddresses, reader: RpcChain
) -> None:
    store = Store(sqlite_url(tmp_path / "hrss.db"))
    txs: list[dict[str, Any]] = []
    fill_s = _fill(store, txs, addresses.anchors)
    started = time.perf_counter()
    bulk = BulkSender(w3, local(depts["HRSS"].staff))
    bulk.send(txs)  # type: ignore[arg-type]
    anchor_s = time.perf_counter() - started

    report = audit_tamper(store, reader, HRSS)
    total = RECORDS + SINGLES
    assert report.records == total
    clean = {
        "seconds": round(report.seconds, 2),
        "records_per_s": round(total / report.seconds),
        "counts": report.counts,
        "clean": report.clean,
    }
    print(f"tamper audit, clean: {clean}")

    with store.engine.begin() as conn:  # a DBA edits one row of a batch
        conn.execute(
            update(Record.__table__)
            .where(Record.__table__.c.record_id == (RECORDS // 2).to_bytes(32, "big"))
            .values(content=b'{"month":1,"paid":99999}')
        )
    edited = audit_tamper(store, reader, HRSS)
    found = {
        "seconds": round(edited.seconds, 2),
        "altered": edited.counts["altered"],
        "found_the_row": [f.record_id for f in edited.findings]
        == [(RECORDS // 2).to_bytes(32, "big")],
    }
    print(f"tamper audit, one row edited: {found}")
    store.dispose()

    results = {
        "benchmark": "tamper audit (govchain audit tamper)",
        "records": total,
        "batches": RECORDS // BATCH_SIZE,
        "batch_size": BATCH_SIZE,
        "single_anchors": SINGLES,
        "store": "SQLite file",
        "fill_s": round(fill_s, 1),
        "anchor_txs": len(txs),
        "anchor_s": round(anchor_s, 1),
        "clean_run": clean,
        "edited_run": found,
        "goal_s": GOAL_S,
        "met": report.seconds < GOAL_S,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
