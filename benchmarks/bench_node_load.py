"""Data node under mixed load: 10,000 valid and invalid requests, latencies and refusals.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_node_load.py``; writes
``benchmarks/results/node_load.json``. ``GOVCHAIN_LOAD_REQUESTS`` / ``GOVCHAIN_LOAD_CONNS`` /
``GOVCHAIN_LOAD_WORKERS`` / ``GOVCHAIN_NODE_SERVER`` change the size and the server (10,000 /
64 / 2 / granian).

The node runs as its own process (``govchain.node.workers.serve_workers``, granian or uvicorn
workers over one SQLite store) against the test anvil; the load (tests/node/load.py, the same
code as tests/node/test_load.py) mixes valid requests, each with its own access record sent
beforehand through ``BulkSender``, with replays raced against them and ten kinds of invalid
request. Every request is signed and turned into bytes before the clock starts, then sent by a
lean process of its own (:mod:`tests.node.sender`: raw kept-alive connections, no parsing until
the clock stops), so the load generator takes as little of the two cores as it can. It reports
the node's CPU per request and the sender's, the wall rate with p50/p95/p99, and the machine's
load average at start and end, and asserts what the test asserts: no record released without a
valid request, one release per signed request, every refusal with its documented code, no 5xx.
"""

# ruff: noqa: F811  (the shared fixtures are imported into this module, outside tests/)
from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest

from benchmarks import bench_node_threads as threads
from benchmarks.bench_node import SERVER, _start_node, machine, node_cpu, quiet_chain
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import NodeConfig
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.tx import BulkSender
from tests.conftest import citizens, council, departments, deployer, depts, outsider  # noqa: F401
from tests.node.conftest import (  # noqa: F401
    BANK,
    CIVIL,
    HRSS,
    PENSION,
    addresses,
    catalog,
    cats,
    grants,
    local,
    reader,
    registry,
    rid,
    rpc_url,
    w3,
)
from tests.node.load import (
    build_cases,
    judge,
    last_log_id,
    make_grants,
    run_load_process,
    serve_log_matches,
)

RESULTS = Path(__file__).parent / "results" / "node_load.json"
REQUESTS = int(os.environ.get("GOVCHAIN_LOAD_REQUESTS", "10000"))
CONNS = int(os.environ.get("GOVCHAIN_LOAD_CONNS", "64"))
WORKERS = int(os.environ.get("GOVCHAIN_LOAD_WORKERS", "2"))
RECORDS = 100


@pytest.mark.timeout(1200)
def test_node_under_mixed_load(
    tmp_path: Path, w3: Any, rpc_url: str, addresses: ChainAddresses, reader: RpcChain,
    depts: Any, citizens: list[Any], grants: Any, cats: Any, chain: Any,
) -> None:  # fmt: skip
    db = sqlite_url(tmp_path / "hrss.db")
    store = Store(db)
    alice = citizens[0]
    pub = Publisher(store, HRSS)
    records = [rid(f"load-{i}") for i in range(RECORDS)]
    for i, record_id in enumerate(records):
        mode = BATCH if i % 2 else "single"
        pub.publish(
            PENSION, record_id, {"i": i, "paid": 3000 + i}, subject=alice.address, mode=mode
        )
    AnchorWorker(store, ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))).drain()

    terms = make_grants(grants, alice, CIVIL, HRSS, PENSION, BANK, int(chain.pending_timestamp))
    staff = local(depts["CIVIL"].staff)
    client = DataNodeClient(reader, staff)
    bulk = BulkSender(w3, staff, url=rpc_url)
    started = time.perf_counter()
    cases = build_cases(
        REQUESTS, client, bulk, terms, records, max_body=NodeConfig(HRSS).max_body_bytes
    )
    prepared_s = time.perf_counter() - started
    first_log = last_log_id(store)

    stats = tmp_path / "stats"
    proc, url = _start_node(db, rpc_url, addresses, chain.chain_id, workers=WORKERS, stats=stats)
    try:
        settled = quiet_chain(w3)
        at_start = machine()
        block_before = w3.eth.block_number
        workers = [proc.pid, *(p.pid for p in psutil.Process(proc.pid).children(recursive=True))]
        threads_before = threads.snapshot(workers)
        cpu_before, system_before = node_cpu(proc.pid), node_cpu(proc.pid, "system")
        run, sender_cpu_s = run_load_process(url, cases, conns=CONNS)
        cpu_s = node_cpu(proc.pid) - cpu_before
        system_s = node_cpu(proc.pid, "system") - system_before
        by_thread = threads.by_kind(
            threads_before, threads.snapshot(workers), threads.names(stats, workers)
        )
        # blocks from elsewhere: each new head re-reads the views and the index (nodeperf.md)
        blocks = w3.eth.block_number - block_before
    finally:
        proc.terminate()  # workers finish their requests first: allow a loaded machine time
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    started = time.perf_counter()
    verdict = judge(cases, run, client)
    judged_s = time.perf_counter() - started
    log_problems = serve_log_matches(store, cases, first_log)
    store.dispose()

    result = {
        "benchmark": "data node under mixed valid and invalid load (access txs sent beforehand)",
        **verdict.as_json(),
        "serve_log_problems": log_problems[:20],
        "prepare_seconds": round(prepared_s, 1),
        "client_verification_seconds": round(judged_s, 1),
        # CPU seconds the node's processes spent, per request: what the node costs, whatever
        # else the shared machine runs (wall-clock throughput depends on that load)
        "node_cpu_ms_per_request": round(1000 * cpu_s / len(cases), 3),
        "node_system_cpu_ms_per_request": round(1000 * system_s / len(cases), 3),
        "node_requests_per_cpu_second": round(len(cases) / cpu_s, 1) if cpu_s else None,
        "threads_per_request": threads.per_request(by_thread, len(cases)),
        "sender_cpu_ms_per_request": round(1000 * sender_cpu_s / len(cases), 3),
        "blocks_mined_during_load": blocks,
        "chain_settled_before_load": settled,
        "workers": WORKERS,
        "server": SERVER,
        "access_transactions": sum(1 for c in cases if c.kind in ("valid", "unknown_record")),
        "setup": f"node: {WORKERS} {SERVER} worker(s) (own processes; granian: RSGI, uvicorn: "
        "httptools, uvloop; the grant-checked fetch decided on the event loop, its head "
        "reads and group commits batched on a chain thread and a commit thread), SQLite WAL store "
        "(synchronous=FULL, group commit), shared head reads over kept-alive http.client, "
        "per-block view cache and AccessRecorded index, anvil on the same machine; the requests "
        f"signed and built as bytes beforehand, sent by one lean process over {CONNS} raw "
        f"kept-alive connections; {RECORDS} records, half single-anchored, half in Merkle "
        "batches; every served record decrypted and verified against its anchor afterwards",
        "machine_at_start": at_start,
        "machine": machine(),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    assert verdict.unexpected == [] and log_problems == []
    assert verdict.unauthorised_releases == 0 and verdict.server_errors == 0
    assert verdict.released == verdict.valid_requests
