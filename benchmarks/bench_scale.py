"""Merkle batch anchoring at scale, and the anchoring pipeline's throughput.

1. Scale (``results/scale.json``): batches of 1, 10, 100, 1k, 10k and 100k records anchored by
   ``AnchorRegistry.anchorBatch`` — gas (and gas per record), client time (salted content
   hashes + leaves + tree), the proof of one record (elements and bytes) and what checking it
   on chain costs (``verifyLeaf`` estimated as a transaction: 21,000 + calldata + execution).
   Every batch must stay under the 16,777,216 per-transaction gas cap (EIP-7825); that is the
   only thing asserted.
2. Pipeline (``results/pipeline.json``): records per minute through the whole anchoring path a
   department runs — the salted record hash of each record, the StandardMerkleTree, and
   the ``anchorBatch`` transaction mined — for 10k, 100k and 1,000,000 records, in one process
   and with the hashing split over every core (multiprocessing). Goal: >= 1,000,000 records per
   minute on 2 cores. The keccak backends available (pysha3, pycryptodome, eth-hash) are timed
   per hash to show why the SDK prefers pysha3. Timings are medians of ``RUNS`` runs, reported
   and never asserted.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_scale.py -s``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from govchain.sharing import RecordTree
from govchain.sharing.merkle import keccak256, record_hash, record_leaf

HERE = Path(__file__).resolve().parent / "results"
SCALE = HERE / "scale.json"
PIPELINE = HERE / "pipeline.json"
TX_GAS_CAP = 16_777_216
SIZES = [1, 10, 100, 1_000, 10_000, 100_000]
PIPELINE_SIZES = [
    int(n) for n in os.environ.get("GOVCHAIN_BENCH_PIPELINE", "10000,100000,1000000").split(",")
]
GOAL_PER_MINUTE = 1_000_000
RUNS = int(os.environ.get("GOVCHAIN_BENCH_RUNS", "3"))
EAS_MULTI_ATTEST = 188_027  # per item, same toolchain
CONTENT_BYTES = 200  # a record's canonical JSON, typical size
CATEGORY = b"HRSS.PENSION".ljust(32, b"\0")
OWNER = b"HRSS".ljust(32, b"\0")
MEDIA = "application/json"


def _hash(salt: bytes, rid: bytes, content: bytes) -> bytes:
    """A record's record hash (version 1, no subject): what a batch leaf carries."""
    return record_hash(CATEGORY, rid, 1, OWNER, None, MEDIA, content, salt)


def _tree(salt: bytes, ids: list[bytes], contents: list[bytes]) -> RecordTree:
    return RecordTree(
        [record_leaf(CATEGORY, r, 1, _hash(salt, r, c)) for r, c in zip(ids, contents, strict=True)]
    )


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": f"{platform.machine()} {platform.system()}",
        "keccak": keccak256.__name__.removeprefix("_keccak_"),
    }


def _records(n: int) -> tuple[list[bytes], list[bytes]]:
    """``n`` record ids and contents (ids and contents made up front: not part of the timing)."""
    ids = [i.to_bytes(32, "big") for i in range(1, n + 1)]
    filler = b'{"pension":' + b"1" * (CONTENT_BYTES - 13)
    contents = [filler + i.to_bytes(4, "big") for i in range(n)]
    return ids, contents


def _hash_chunk(args: tuple[bytes, list[bytes], list[bytes]]) -> bytes:
    """Leaves of one chunk (worker process): record hash, then the StandardMerkleTree leaf."""
    salt, ids, contents = args
    return b"".join(
        record_leaf(CATEGORY, r, 1, _hash(salt, r, c)) for r, c in zip(ids, contents, strict=True)
    )


def _leaves_parallel(
    pool: ProcessPoolExecutor, salt: bytes, ids: list[bytes], contents: list[bytes], workers: int
) -> list[bytes]:
    size = -(-len(ids) // workers)
    chunks = [(salt, ids[i : i + size], contents[i : i + size]) for i in range(0, len(ids), size)]
    blob = b"".join(pool.map(_hash_chunk, chunks))
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _median_time(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


@pytest.fixture(scope="module")
def pension(catalog: Any, cats: Any) -> bytes:
    code: bytes = cats["HRSS.PENSION"].code
    return code


def test_batch_scale(catalog: Any, pension: bytes, depts: Any) -> None:
    staff = depts["HRSS"].staff
    salt = os.urandom(32)
    rows: list[dict[str, Any]] = []
    for n in SIZES:
        ids, contents = _records(n)

        def build(ids: list[bytes] = ids, contents: list[bytes] = contents) -> RecordTree:
            return _tree(salt, ids, contents)

        client_s, tree = _median_time(build)
        started = time.perf_counter()
        receipt = catalog.anchorBatch(pension, tree.root, n, sender=staff)
        tx_s = time.perf_counter() - started
        gas = int(receipt.gas_used)
        assert gas < TX_GAS_CAP
        index = 0
        content_hash = _hash(salt, ids[index], contents[index])
        proof = tree.proof_of(record_leaf(CATEGORY, ids[index], 1, content_hash))
        ok = catalog.verifyLeaf(pension, tree.root, ids[index], content_hash, proof)
        assert ok[0]
        verify_gas = int(
            catalog.verifyLeaf.estimate_gas_cost(
                pension, tree.root, ids[index], content_hash, proof, sender=staff
            )
        )
        rows.append(
            {
                "records": n,
                "gas": gas,
                "gas_per_record": round(gas / n, 3),
                "under_tx_gas_cap": gas < TX_GAS_CAP,
                "eas_multiattest_gas": EAS_MULTI_ATTEST * n,
                "eas_fits_one_tx": EAS_MULTI_ATTEST * n < TX_GAS_CAP,
                "client_s": round(client_s, 4),
                "tx_s": round(tx_s, 3),
                "proof_elements": len(proof),
                "proof_bytes": 32 * len(proof),
                "verify_gas": verify_gas,
            }
        )
        print(rows[-1])
    HERE.mkdir(parents=True, exist_ok=True)
    SCALE.write_text(
        json.dumps(
            {
                "what": "AnchorRegistry.anchorBatch of n salted records; verifyLeaf of record 0",
                "tx_gas_cap": TX_GAS_CAP,
                "rows": rows,
                "machine": _machine(),
            },
            indent=2,
        )
        + "\n"
    )


def _keccak_backends() -> dict[str, float]:
    """Microseconds per keccak256 of 64 bytes for each installed backend (Python call included)."""
    data = [os.urandom(64) for _ in range(100_000)]
    backends: dict[str, Callable[[bytes], bytes]] = {}
    try:
        from sha3 import keccak_256

        backends["pysha3"] = lambda d: keccak_256(d).digest()  # type: ignore[no-any-return]
    except ImportError:
        pass
    from Crypto.Hash import keccak as cryptodome

    backends["pycryptodome"] = lambda d: cryptodome.new(digest_bits=256, data=d).digest()
    try:
        from eth_hash.auto import keccak as eth_hash_keccak

        backends["eth_hash (auto backend)"] = eth_hash_keccak
    except ImportError:
        pass
    out = {}
    for name, fn in backends.items():
        seconds, _ = _median_time(lambda fn=fn: [fn(d) for d in data])
        out[name] = round(seconds / len(data) * 1e6, 3)
    return out


def test_anchoring_pipeline(catalog: Any, pension: bytes, depts: Any) -> None:
    staff = depts["HRSS"].staff
    workers = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as pool:
        pool.map(_hash_chunk, [(b"", [], [])] * workers)  # start the workers before timing
        for n in PIPELINE_SIZES:
            ids, contents = _records(n)
            for mode in ("1 process", f"{workers} processes"):

                def run(mode: str = mode, ids: list[bytes] = ids, c: list[bytes] = contents) -> Any:
                    salt = os.urandom(32)  # a new salt, so a new root, each run
                    started = time.perf_counter()
                    if mode == "1 process":
                        tree = _tree(salt, ids, c)
                    else:
                        tree = RecordTree(_leaves_parallel(pool, salt, ids, c, workers))
                    built = time.perf_counter()
                    receipt = catalog.anchorBatch(pension, tree.root, len(ids), sender=staff)
                    assert int(receipt.gas_used) < TX_GAS_CAP
                    return built - started, time.perf_counter() - built

                results = [run() for _ in range(RUNS if n < 1_000_000 else max(1, RUNS - 1))]
                total = statistics.median(a + b for a, b in results)
                rows.append(
                    {
                        "records": n,
                        "mode": mode,
                        "hash_and_tree_s": round(statistics.median(a for a, _ in results), 3),
                        "transaction_s": round(statistics.median(b for _, b in results), 3),
                        "total_s": round(total, 3),
                        "records_per_minute": round(n / total * 60),
                        "goal_met": n / total * 60 >= GOAL_PER_MINUTE,
                    }
                )
                print(rows[-1])
    best = max(rows, key=lambda r: (r["records"], r["records_per_minute"]))
    HERE.mkdir(parents=True, exist_ok=True)
    PIPELINE.write_text(
        json.dumps(
            {
                "what": "salted record hash of each record + Merkle tree + anchorBatch mined, "
                f"records of {CONTENT_BYTES} bytes; median of {RUNS} runs",
                "goal_records_per_minute": GOAL_PER_MINUTE,
                "largest_batch": best["records"],
                "records_per_minute_at_largest": best["records_per_minute"],
                "goal_met": best["goal_met"],
                "rows": rows,
                "keccak_us_per_hash": _keccak_backends(),
                "machine": _machine(),
            },
            indent=2,
        )
        + "\n"
    )
