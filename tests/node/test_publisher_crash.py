"""The publisher killed (SIGKILL, a real subprocess) between the database write and the anchor
transaction, and restarted: every record is anchored exactly once - none lost, none twice."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govchain.node.chain import (
    BATCH_ANCHORED_TOPIC,
    RECORD_ANCHORED_TOPIC,
    ChainAddresses,
    RpcChain,
)
from govchain.node.store import DONE, Batch, OutboxEntry, Record, Store, sqlite_url
from govchain.sharing.merkle import RecordTree
from govchain.toolchain.paths import PROJECT_ROOT
from tests.node.publisher_proc import BATCHED, CATEGORY, SINGLES

# each plan: the crash points hit one after the other, then a clean run
PLANS = {
    "while_rows_are_written": ["row_written:3"],
    "after_record_write": ["published:2"],
    "batch_prepared_not_sent": ["batch_prepared:1"],
    # the worker anchors batches (first versions) before singles: transaction 1 is the batch
    "batch_tx_sent_not_mined": ["tx_sent:1"],
    "batch_tx_mined_db_not_updated": ["tx_mined:1"],
    "single_tx_sent_not_mined": ["tx_sent:2"],
    "single_tx_mined_db_not_updated": ["tx_mined:3"],
    "crash_after_crash": ["published:4", "batch_prepared:1", "tx_mined:1", "tx_mined:1"],
}


def run(args: list[str], crash_at: str) -> str:
    cmd = [sys.executable, "-m", "tests.node.publisher_proc", *args]
    if crash_at:
        cmd += ["--crash-at", crash_at]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line.startswith("CRASHPOINT"):
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    else:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    return line


@pytest.mark.parametrize("name", list(PLANS))
def test_killed_publisher_anchors_every_record_exactly_once(
    name: str, tmp_path: Path, rpc_url: str, addresses: ChainAddresses, reader: RpcChain,
    depts: Any, cats: Any, w3: Any,
) -> None:  # fmt: skip
    db = sqlite_url(tmp_path / "publisher.db")
    staff = depts["HRSS"].staff
    start_block = w3.eth.block_number + 1
    nonce_before = w3.eth.get_transaction_count(staff.address)
    args = [
        "--db", db, "--rpc", rpc_url, "--key", staff.private_key, "--prefix", name[:20],
        "--addresses", json.dumps(dataclasses.asdict(addresses)),
    ]  # fmt: skip
    for crash_at in PLANS[name]:
        assert run(args, crash_at) == f"CRASHPOINT {crash_at.partition(':')[0]}"
    assert run(args, "") == "DRAINED"

    store = Store(db)
    with store.session() as s:
        records = list(s.scalars(select(Record)))
        states = list(s.scalars(select(OutboxEntry.state)))
        batches = list(s.scalars(select(Batch)))
        members = {b.id: [r for r in records if r.batch_id == b.id] for b in batches}
    store.dispose()
    assert len(records) == SINGLES + BATCHED and set(states) == {DONE}

    singles = reader.logs(addresses.anchors, ["0x" + RECORD_ANCHORED_TOPIC.hex()], start_block)
    roots = reader.logs(addresses.anchors, ["0x" + BATCH_ANCHORED_TOPIC.hex()], start_block)
    anchors_per_record: dict[bytes, int] = {r.record_id: 0 for r in records}
    for log in singles:
        anchors_per_record[bytes.fromhex(log["topics"][2][2:])] = (
            anchors_per_record.get(bytes.fromhex(log["topics"][2][2:]), 0) + 1
        )
    by_root = {b.root: b for b in batches}
    unknown_batches = 0
    for log in roots:
        root = bytes.fromhex(log["topics"][2][2:])
        if root not in by_root:
            unknown_batches += 1
            continue
        batch = by_root[root]
        tree = RecordTree.of_records(
            CATEGORY, ((r.record_id, r.version, r.content_hash) for r in members[batch.id])
        )
        assert tree.root == root
        for r in members[batch.id]:
            anchors_per_record[r.record_id] += 1
    lost = sum(1 for n in anchors_per_record.values() if n == 0)
    duplicated = sum(n - 1 for n in anchors_per_record.values() if n > 1) + unknown_batches
    txs_sent = w3.eth.get_transaction_count(staff.address) - nonce_before
    assert (lost, duplicated) == (0, 0)
    assert txs_sent == len(singles) + len(roots)  # no reverted second attempt either
    for r in records:
        if r.anchor_kind == "single":
            anchor = reader.record_version(CATEGORY, r.record_id, r.version)
            assert anchor.digest == r.content_hash[:22]
