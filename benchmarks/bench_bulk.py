"""Throughput of the SDK's bulk path: 10,000 transactions through BulkSender on anvil (automine).

Each run sends ``GOVCHAIN_BENCH_TXS`` (default 10,000) ETH transfers from a fresh funded key:
signing locally, then pushing the pre-signed raw transactions in JSON-RPC batches of 100 with at
most 1,000 unmined at a time while collecting every receipt. tx/s counts the whole path (sign + send + mined receipts), median of 3 runs; the same
with batches off (raw transactions sent back to back, one request each) is measured on a
smaller count for comparison. The goal (>= 250 tx/s on 2 cores) is reported, not asserted.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_bulk.py`` or
``python -m benchmarks.bench_bulk``. Writes ``benchmarks/results/bulk.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.types import TxParams

from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port, rpc
from govchain.tx import BulkSender

RESULTS = Path(__file__).resolve().parent / "results" / "bulk.json"
GOAL_TX_PER_S = 250
RUNS = 3


def one_run(url: str, count: int, use_batch: bool) -> dict[str, Any]:
    w3 = Web3(Web3.HTTPProvider(url))
    account = Account.create()
    rpc(url, "anvil_setBalance", [account.address, hex(10**24)])
    recipient = Account.create().address
    txs: list[TxParams] = [{"to": recipient, "value": 1, "gas": 21_000} for _ in range(count)]
    bulk = BulkSender(w3, account, use_batch=use_batch, batch_size=100, window=1000, timeout=600)
    start = time.perf_counter()
    signed = bulk.sign(txs)
    signed_at = time.perf_counter()
    receipts = bulk.pipeline(signed)  # push with at most `window` unmined, collect receipts
    done = time.perf_counter()
    assert all(r["status"] == 1 for r in receipts)
    assert w3.eth.get_transaction_count(account.address) == count  # each mined exactly once
    return {
        "transactions": count,
        "sign_s": round(signed_at - start, 3),
        "send_and_mine_s": round(done - signed_at, 3),
        "retries": bulk.retried,
        "dev_node_nudges": bulk.nudged,
        "total_s": round(done - start, 3),
        "tx_per_s": round(count / (done - start), 1),
        "tx_per_s_excluding_signing": round(count / (done - signed_at), 1),
    }


def measure(count: int | None = None) -> dict[str, Any]:
    count = count or int(os.environ.get("GOVCHAIN_BENCH_TXS", "10000"))
    with Devnet(DevnetConfig(port=free_port())) as devnet:
        batched = [one_run(devnet.url, count, use_batch=True) for _ in range(RUNS)]
        single_count = max(1, count // 5)
        single = [one_run(devnet.url, single_count, use_batch=False) for _ in range(RUNS)]
    median = statistics.median(r["tx_per_s"] for r in batched)
    return {
        "what": "ETH transfers through govchain.tx.BulkSender on anvil 1.7.1 (automine)",
        "transactions_per_run": count,
        "runs": RUNS,
        "tx_per_s_median": median,
        "tx_per_s_excluding_signing_median": statistics.median(
            r["tx_per_s_excluding_signing"] for r in batched
        ),
        "goal_tx_per_s": GOAL_TX_PER_S,
        "goal_met": median >= GOAL_TX_PER_S,
        "batched_runs": batched,
        "unbatched_tx_per_s_median": statistics.median(r["tx_per_s"] for r in single),
        "unbatched_transactions_per_run": single_count,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": f"{platform.machine()} {platform.system()}",
            "python": platform.python_version(),
        },
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write(result: dict[str, Any]) -> Path:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return RESULTS


def test_bulk_throughput() -> None:
    """Measure and record; the figure is reported, not asserted."""
    result = measure()
    write(result)
    print(
        f"\nbulk: {result['tx_per_s_median']} tx/s (median of {RUNS} x "
        f"{result['transactions_per_run']}); goal {GOAL_TX_PER_S}: "
        f"{'met' if result['goal_met'] else 'missed'}"
    )


if __name__ == "__main__":
    test_bulk_throughput()
