"""Data node throughput: requests per second with full verification, on a real chain.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_node.py``; writes
``benchmarks/results/node.json``. Reports, does not assert the goal (>= 1,000 req/s on 2 cores,
issue 20). ``GOVCHAIN_BENCH_NODE_WORKERS`` sets the node's uvicorn workers (2).

The node runs as its own processes (``govchain.node.workers.serve_workers``) over a SQLite
store, against the test anvil, on the same two cores as the load generator and anvil; its CPU
time per request (all its processes, psutil) is reported beside the wall-clock rate, since the
rate depends on whatever else the shared machine runs. The on-chain access transactions are excluded: they are
sent beforehand with ``BulkSender`` (one per request, each with its own requestHash). Each timed
request is checked in full by the node (signature recovery, one JSON-RPC batch for membership,
grant state, catalog entry, access receipt and block time, nonce spent and serve log written in
one DB transaction, ECIES encryption). The timed requests are built as bytes beforehand and sent
by a lean process of its own (:mod:`tests.node.sender`), which only checks for HTTP 200; a
second, smaller run also decrypts and verifies each answer against its anchor on the client side.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from benchmarks import bench_node_threads as threads
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DataNodeClient, PreparedRequest
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.node.workers import STATS_ENV
from govchain.sharing import grant_tuple
from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from govchain.tx import BulkSender
from tests.node.conftest import CIVIL, HRSS, PENSION, local, make_terms, rid
from tests.node.load import Case, run_load_process

RESULTS = Path(__file__).parent / "results" / "node.json"
REQUESTS = int(os.environ.get("GOVCHAIN_BENCH_NODE_REQUESTS", "2000"))
VERIFIED = int(os.environ.get("GOVCHAIN_BENCH_NODE_VERIFIED", "300"))
THREADS = int(os.environ.get("GOVCHAIN_BENCH_NODE_THREADS", "8"))
CONNS = int(os.environ.get("GOVCHAIN_BENCH_NODE_CONNS", "64"))
WORKERS = int(os.environ.get("GOVCHAIN_BENCH_NODE_WORKERS", "2"))
#: the node's HTTP server: granian (Rust) or uvicorn
SERVER = os.environ.get("GOVCHAIN_NODE_SERVER", "granian")
#: a command run beside the timed load and stopped with SIGINT after it, ``{pid}`` the node's
#: main process and ``{pids}`` its workers, comma-separated (a profiler or a syscall count:
#: ``py-spy record --native -o /tmp/p.txt --format raw --pid {pid} --subprocesses``)
ATTACH = os.environ.get("GOVCHAIN_BENCH_NODE_ATTACH", "")
RECORDS = 200
GOAL = 1000


def node_cpu(pid: int, part: str = "both") -> float:
    """User + system CPU seconds of the node process and its workers (``part``: "user" or
    "system" for one of them)."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += (t.user if part != "system" else 0.0) + (t.system if part != "user" else 0.0)
    return total


def node_stats(folder: Path) -> dict[str, int]:
    """The workers' counters summed (``govchain.node.workers.STATS_ENV``)."""
    total: dict[str, int] = {}
    for path in folder.glob("*.json"):
        for key, value in json.loads(path.read_text()).items():
            total[key] = total.get(key, 0) + int(value)
    return total


def attach(pid: int) -> subprocess.Popen[bytes] | None:
    """Starts :data:`ATTACH` on the node's processes (None when unset)."""
    if not ATTACH:
        return None
    workers = [p.pid for p in psutil.Process(pid).children(recursive=True)]
    command = ATTACH.format(pid=pid, pids=",".join(map(str, workers)))
    # the developer's own command line, from the environment (a shell: it may chain commands)
    started = subprocess.Popen(["/bin/sh", "-c", command], start_new_session=True)
    time.sleep(1.0)  # the profiler attached before the clock starts
    return started


def detach(started: subprocess.Popen[bytes] | None) -> None:
    if started is not None:
        os.killpg(started.pid, signal.SIGINT)
        started.wait(timeout=120)


def commit() -> str:
    """The commit measured (with "+changes" when the worktree differs from it)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "govchain"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    ).stdout.strip()
    return head + ("+changes" if dirty else "")


def machine() -> dict[str, Any]:
    """The machine and its load while the benchmark ran (the cores are shared)."""
    return {
        "commit": commit(),
        "cpus": os.cpu_count(),
        "platform": f"{platform.machine()} {platform.system()}",
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def quiet_chain(w3: Any, quiet_s: float = 1.5, limit_s: float = 180.0) -> dict[str, Any]:
    """Wait until the chain mines no block for ``quiet_s`` seconds (at most ``limit_s``).

    After thousands of pipelined transactions anvil (1.7.1, automine) keeps mining empty blocks
    for a while, one per transaction it was told about (measured: 67 in the second after 3,000
    transfers on an idle machine; hundreds during a loaded run, round 5 of docs/nodeperf.md).
    Each new head makes the node read its views and the access index again, which a real chain
    (a block every few seconds) would not make it do hundreds of times a second, so the timed
    load starts once those blocks are done; what waiting took is recorded.
    """
    started = time.monotonic()
    first = last = w3.eth.block_number
    still_since = started
    while time.monotonic() - started < limit_s:
        time.sleep(0.25)
        now = w3.eth.block_number
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet_s:
            break
    return {"settle_s": round(time.monotonic() - started, 2), "blocks_while_settling": last - first}


def _start_node(
    db: str, rpc: str, addresses: ChainAddresses, chain_id: int, workers: int = 1,
    stats: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    port = free_port()
    code = (
        "import json,sys\n"
        "from govchain.node.workers import serve_workers\n"
        "from govchain.node.chain import ChainAddresses\n"
        "a=json.loads(sys.argv[4])\n"
        "serve_workers(bytes.fromhex(sys.argv[1]), sys.argv[2], sys.argv[3], ChainAddresses(**a),"
        f" port=int(sys.argv[5]), chain_id=int(sys.argv[6]), workers={int(workers)},"
        f" server={SERVER!r})\n"
    )
    args = [
        HRSS.hex(),
        db,
        rpc,
        json.dumps(dataclasses.asdict(addresses)),
        str(port),
        str(chain_id),
    ]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    if stats is not None:
        stats.mkdir(exist_ok=True)
        env[STATS_ENV] = str(stats)
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/v1/health", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("node did not start")


def _prepare(
    client: DataNodeClient, bulk: BulkSender, terms: dict[str, Any], record_ids: list[bytes], n: int
) -> list[tuple[PreparedRequest, str]]:
    prepared = [client.prepare(terms, PENSION, record_ids[i % len(record_ids)]) for i in range(n)]
    receipts = bulk.send([client.access_call(p) for p in prepared])  # type: ignore[misc]
    return [(p, r["transactionHash"].to_0x_hex()) for p, r in zip(prepared, receipts, strict=True)]


def _load(url: str, jobs: list[tuple[PreparedRequest, str]], work: Any) -> tuple[float, list[int]]:
    def one(chunk: list[tuple[PreparedRequest, str]]) -> list[int]:
        with httpx.Client(timeout=30) as http:
            return [work(http, p, tx) for p, tx in chunk]

    chunks = [jobs[i::THREADS] for i in range(THREADS)]
    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for part in pool.map(one, chunks) for s in part]
    return time.perf_counter() - start, statuses


@pytest.mark.timeout(900)
def test_node_throughput(
    tmp_path: Path, w3: Any, rpc_url: str, addresses: ChainAddresses, reader: RpcChain,
    depts: Any, citizens: list[Any], grants: Any, cats: Any, chain: Any,
) -> None:  # fmt: skip
    db = sqlite_url(tmp_path / "hrss.db")
    store = Store(db)
    alice = citizens[0]
    pub = Publisher(store, HRSS)
    record_ids = [rid(f"bench-{i}") for i in range(RECORDS)]
    for i, record_id in enumerate(record_ids):
        mode = BATCH if i % 2 else "single"
        pub.publish(
            PENSION, record_id, {"i": i, "monthly": 3000 + i}, subject=alice.address, mode=mode
        )
    AnchorWorker(store, ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))).drain()
    store.dispose()

    terms = make_terms(alice, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=alice)
    staff = local(depts["CIVIL"].staff)
    client = DataNodeClient(reader, staff)
    bulk = BulkSender(w3, staff, url=rpc_url)
    jobs = _prepare(client, bulk, terms, record_ids, REQUESTS + VERIFIED)

    stats = tmp_path / "stats"
    proc, url = _start_node(db, rpc_url, addresses, chain.chain_id, workers=WORKERS, stats=stats)
    try:
        warm = jobs[:50]
        _load(
            url,
            warm,
            lambda http, p, tx: http.post(url + "/v1/records/fetch", json=p.body(tx)).status_code,
        )
        timed = jobs[50:REQUESTS]
        # signed and built as bytes before the clock, sent by a lean process of its own
        cases = [Case("valid", json.dumps(p.body(tx)).encode()) for p, tx in timed]
        settled = quiet_chain(w3)
        profiler = attach(proc.pid)
        time.sleep(0.3)  # the workers' counters written after the warm-up
        load_before = machine()
        counted_before = node_stats(stats)
        block_before = w3.eth.block_number
        pool_before = w3.provider.make_request("txpool_status", []).get("result")
        workers = [proc.pid, *(p.pid for p in psutil.Process(proc.pid).children(recursive=True))]
        threads_before = threads.snapshot(workers)
        cpu_before, system_before = node_cpu(proc.pid), node_cpu(proc.pid, "system")
        run, sender_cpu = run_load_process(url, cases, conns=CONNS)
        cpu = node_cpu(proc.pid) - cpu_before
        system = node_cpu(proc.pid, "system") - system_before
        by_thread = threads.by_kind(
            threads_before, threads.snapshot(workers), threads.names(stats, workers)
        )
        time.sleep(0.3)
        counted = node_stats(stats)
        blocks = w3.eth.block_number - block_before
        detach(profiler)
        elapsed, statuses = run.seconds, [o.status for o in run.outcomes]
        load_during = machine()
        ok = statuses.count(200)

        def verified(http: httpx.Client, p: PreparedRequest, tx: str) -> int:
            c = DataNodeClient(reader, staff, http=http)
            c.fetch(url, p, tx)
            return 200

        v_elapsed, v_statuses = _load(url, jobs[REQUESTS:], verified)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    rps = ok / elapsed
    result = {
        "benchmark": "data node requests with full verification (access tx excluded)",
        "requests": len(timed),
        "ok": ok,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(rps, 1),
        "end_to_end_with_client_verification": {
            "requests": len(v_statuses),
            "seconds": round(v_elapsed, 3),
            "requests_per_second": round(len(v_statuses) / v_elapsed, 1),
        },
        "node_cpu_ms_per_request": round(1000 * cpu / len(timed), 3),
        "node_system_cpu_ms_per_request": round(1000 * system / len(timed), 3),
        "node_requests_per_cpu_second": round(len(timed) / cpu, 1) if cpu else None,
        "sender_cpu_ms_per_request": round(1000 * sender_cpu / len(timed), 3),
        "per_request": {
            key: round((counted.get(key, 0) - counted_before.get(key, 0)) / len(timed), 3)
            for key in (
                "head_reads",
                "commit_groups",
                "rpc_posts",
                "index_rebuilds",
                "index_discarded",
            )
        },
        "threads_per_request": threads.per_request(by_thread, len(timed)),
        "blocks_mined_during_load": blocks,
        "chain_settled_before_load": settled,
        "txpool_at_start": pool_before,
        "goal_requests_per_second": GOAL,
        "met": rps >= GOAL,
        "cores": os.cpu_count(),
        "threads": THREADS,
        "workers": WORKERS,
        "setup": f"node: {WORKERS} {SERVER} worker(s) (own processes; granian: RSGI, uvicorn: "
        "httptools, uvloop; the grant-checked fetch decided on the event loop, its head "
        "reads and group commits batched on a chain thread and a commit thread), SQLite WAL store "
        "(synchronous=FULL, group commit), shared head reads over kept-alive http.client, per-block view cache and "
        f"AccessRecorded index; anvil and the load generator (the timed requests built as bytes "
        f"beforehand and sent by one lean process over {CONNS} raw kept-alive connections; the "
        f"verified run: {THREADS} httpx threads) on the same 2 cores; half the records "
        "single-anchored, half in Merkle batches",
        "machine": load_during,
        "load_before": load_before["uptime"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    assert ok == len(timed)
