"""Where a data node's time goes: CPU per fully verified request, by phase, in process.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_node_cpu.py``; writes
``benchmarks/results/node_cpu.json``. ``GOVCHAIN_NODE_CPU_REQUESTS`` changes the size (300).

Wall-clock throughput on the shared 2-core machine depends on whatever else runs; CPU time per
request does not. Valid requests (each with its own access record, sent beforehand) are answered
by ``DataNode.fetch`` called directly (no HTTP), first with the per-block view cache and the
AccessRecorded index, then with both off (every request reads every answer from the chain),
under cProfile, one request at a time. Reported: CPU ms per request (so requests per
CPU-second, the ceiling per core), wall ms per request, and the functions with the most
cumulative time. A third run, ``concurrent``, answers requests from ``THREADS`` threads at once
(no cProfile, cache and index on): there the shared head reads and the group commit pay off, and
it reports head reads and database commits per request beside CPU and wall time.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import platform
import pstats
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvloop

from benchmarks.bench_node import commit
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.deadline import Deadline
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.sharing import grant_tuple
from govchain.tx import BulkSender
from tests.node.conftest import CIVIL, HRSS, PENSION, local, make_terms, rid

RESULTS = Path(__file__).parent / "results" / "node_cpu.json"
REQUESTS = int(os.environ.get("GOVCHAIN_NODE_CPU_REQUESTS", "300"))
THREADS = int(os.environ.get("GOVCHAIN_NODE_CPU_THREADS", "8"))
RECORDS = 50
TOP = 14


def _concurrent(
    node: DataNode, chain_view: RpcChain, bodies: list[dict[str, Any]]
) -> dict[str, Any]:
    """``bodies`` answered by ``THREADS`` threads at once: CPU (all threads), wall, head reads
    and commit groups per request."""
    chunks = [bodies[i::THREADS] for i in range(THREADS)]
    reads0, groups0 = chain_view._heads.reads, node.commits.groups

    failures: list[str] = []

    def run(chunk: list[dict[str, Any]]) -> None:
        for body in chunk:
            try:
                node.fetch(body)
            except Exception as exc:  # reported and asserted below
                failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    n = len(bodies)
    return {
        "requests": n,
        "threads": THREADS,
        "cpu_ms_per_request": round(1000 * cpu / n, 3),
        "requests_per_cpu_second": round(n / cpu, 1),
        "requests_per_second_wall": round(n / wall, 1),
        "head_reads_per_request": round((chain_view._heads.reads - reads0) / n, 3),
        "commits_per_request": round((node.commits.groups - groups0) / n, 3),
        "failures": failures[:5],
    }


def _on_loop(node: DataNode, chain_view: RpcChain, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """``bodies`` decided on one event loop (uvloop), ``THREADS`` x 4 in flight at once
    (``DataNode.fetch_on_loop``, what the HTTP workers run): CPU (all threads), wall, head reads
    and commit groups per request."""
    reads0, groups0 = chain_view.head_reads, node.commits.groups
    failures: list[str] = []

    async def main() -> None:
        gate = asyncio.Semaphore(4 * THREADS)

        async def one(body: dict[str, Any]) -> None:
            async with gate:
                try:
                    await node.fetch_on_loop(body, Deadline(time.monotonic() + 60))
                except Exception as exc:  # reported and asserted below
                    failures.append(repr(exc))

        await asyncio.gather(*(one(b) for b in bodies))

    cpu0, wall0 = time.process_time(), time.perf_counter()
    uvloop.run(main())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    n = len(bodies)
    return {
        "requests": n,
        "in_flight": 4 * THREADS,
        "cpu_ms_per_request": round(1000 * cpu / n, 3),
        "requests_per_cpu_second": round(n / cpu, 1),
        "requests_per_second_wall": round(n / wall, 1),
        "head_reads_per_request": round((chain_view.head_reads - reads0) / n, 3),
        "commits_per_request": round((node.commits.groups - groups0) / n, 3),
        "failures": failures[:5],
    }


def _measure(node: DataNode, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    profile = cProfile.Profile()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    profile.enable()
    for body in bodies:
        node.fetch(body)
    profile.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_, calls, _tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(file).name}:{line} {name}"
        rows.append((ct, calls, where))
    rows.sort(reverse=True)
    n = len(bodies)
    return {
        "requests": n,
        "cpu_ms_per_request": round(1000 * cpu / n, 3),
        "requests_per_cpu_second": round(n / cpu, 1),
        "wall_ms_per_request": round(1000 * wall / n, 3),
        "top_cumulative_ms_per_request": [
            {"function": where, "ms": round(1000 * ct / n, 3), "calls_per_request": calls / n}
            for ct, calls, where in rows[:TOP]
        ],
    }


@pytest.mark.timeout(900)
def test_node_cpu_per_request(
    tmp_path: Path, w3: Any, rpc_url: str, addresses: ChainAddresses, reader: RpcChain,
    depts: Any, citizens: list[Any], grants: Any, cats: Any, chain: Any,
) -> None:  # fmt: skip
    store = Store(sqlite_url(tmp_path / "hrss.db"))
    alice = citizens[0]
    pub = Publisher(store, HRSS)
    record_ids = [rid(f"cpu-{i}") for i in range(RECORDS)]
    for i, record_id in enumerate(record_ids):
        mode = BATCH if i % 2 else "single"
        pub.publish(PENSION, record_id, {"i": i}, subject=alice.address, mode=mode)
    AnchorWorker(store, ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))).drain()
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=alice)
    staff = local(depts["CIVIL"].staff)
    client = DataNodeClient(reader, staff)
    expiry = int(time.time()) + 3000  # sending the access records may take minutes
    prepared = [
        client.prepare(terms, PENSION, record_ids[i % RECORDS], expiry=expiry)
        for i in range(4 * REQUESTS)
    ]
    receipts = BulkSender(w3, staff, url=rpc_url).send(
        [client.access_call(p) for p in prepared]  # type: ignore[misc]
    )
    bodies = [
        p.body(r["transactionHash"].to_0x_hex()) for p, r in zip(prepared, receipts, strict=True)
    ]
    results = {}
    for name, index, part in (
        ("cache_and_index", True, bodies[:REQUESTS]),
        ("no_cache_no_index", False, bodies[REQUESTS : 2 * REQUESTS]),
    ):
        chain_view = RpcChain(rpc_url, addresses, chain_id=chain.chain_id, index=index)
        if not index:
            chain_view._views.put = lambda *a, **k: None  # type: ignore[method-assign]
        node = DataNode(NodeConfig(HRSS), store, chain_view)
        node.fetch(part[0])  # warm: the index's first sync, connections
        results[name] = _measure(node, part[1:])
        chain_view.close()
    chain_view = RpcChain(rpc_url, addresses, chain_id=chain.chain_id)
    node = DataNode(NodeConfig(HRSS), store, chain_view)
    node.fetch(bodies[2 * REQUESTS])
    results["concurrent"] = _concurrent(node, chain_view, bodies[2 * REQUESTS + 1 : 3 * REQUESTS])
    chain_view.close()
    chain_view = RpcChain(rpc_url, addresses, chain_id=chain.chain_id)
    node = DataNode(NodeConfig(HRSS), store, chain_view)
    node.fetch(bodies[3 * REQUESTS])
    results["on_loop"] = _on_loop(node, chain_view, bodies[3 * REQUESTS + 1 :])
    chain_view.close()
    store.dispose()
    result = {
        "benchmark": "data node CPU per fully verified request, in process (no HTTP)",
        **results,
        "machine": {
            "commit": commit(),
            "cpus": os.cpu_count(),
            "platform": f"{platform.machine()} {platform.system()}",
            "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        },
        "setup": "in process (no HTTP), SQLite WAL store (synchronous=FULL) on the machine's "
        "disk, anvil on the same machine; the first two runs one request at a time under "
        f"cProfile, 'concurrent' from {THREADS} threads without it, 'on_loop' on one event "
        "loop (the HTTP workers' path) without it",
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    assert all(r["requests"] == REQUESTS - 1 for r in results.values())
    assert results["concurrent"]["failures"] == [] and results["on_loop"]["failures"] == []
