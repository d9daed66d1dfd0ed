"""Zero-visit latency (issue 20): from a citizen's acceptance of an offer to the benefit
attestation, on the reference city (real anvil devnet, CIVIL's data node over HTTP).

Per citizen: her ``AcceptOffer`` signature is left at CIVIL's node (``POST /v1/offers/accept``),
then CIVIL's relayer sends it (``Watcher.relay``: proofs from the chain's ``Attested`` logs,
preflight, ``acceptOffer``, receipt). Measured: transactions and blocks from the acceptance to
the benefit (the goal is one transaction), the citizen's balance change (zero), and the wall
time of (a) leaving the signed acceptance at the node and (b) the relay up to the mined
receipt, median and max over the runs. Also the time the watcher takes to find and seal the
offers (index already synced). anvil mines each transaction at once (automine), so the seconds
are the software's, not a block interval's: on a chain with a block time add up to one block
interval. Figures are reported, not asserted.

EthereumJS (the second client) is measured by bench_offers_ethereumjs.py on a lean platform
(the reference city's ~700 staffing transactions take over ten minutes on that client); it
writes the ``ethereumjs`` entry of the same file, which this benchmark keeps.

Writes ``benchmarks/results/offers.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_offers.py -s``.
"""

# ruff: noqa: F401, F811  (the module fixtures devnet, city and city_run are imported)
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from govchain.services.inbox import OfferInbox
from tests.cli.conftest import CityRun, city, city_run, devnet
from tests.services.offers_world import CIVIL, build_offers_world

OUT = Path(__file__).resolve().parent / "results" / "offers.json"
RUNS = 5


def test_zero_visit_latency(city_run: CityRun, devnet: Any, tmp_path: Path) -> None:
    world = build_offers_world(city_run.platform, devnet, tmp_path)
    citizens = [world.citizen() for _ in range(RUNS)]
    for c in citizens:
        world.elderly(c.address)
    world.sync()
    w3 = world.connection.w3
    head = w3.eth.block_number
    started = time.perf_counter()
    report = world.watcher().watch()
    watch_seconds = time.perf_counter() - started
    assert len(report.offered) == RUNS and w3.eth.block_number == head
    rows: list[dict[str, Any]] = []
    with world.serving() as url:
        for c in citizens:
            inbox = OfferInbox(world.reader(), c)
            [held] = inbox.list_offers(url, CIVIL)
            assert held.content is not None
            balance = w3.eth.get_balance(c.address)
            start_block = w3.eth.block_number
            t0 = time.perf_counter()
            inbox.accept(url, CIVIL, held.content)
            t1 = time.perf_counter()
            relayed = world.watcher().relay()
            t2 = time.perf_counter()
            [done] = relayed.accepted
            registry = world.connection.contract("CaseApprovals")
            benefit = bytes(registry.functions.benefitOf(world.service, c.address).call())
            assert benefit != b"\0" * 32
            receipt = w3.eth.get_transaction_receipt(done["tx_hash"])
            rows.append(
                {
                    "transactions": len(relayed.accepted),
                    "blocks": w3.eth.block_number - start_block,
                    "gas": int(receipt["gasUsed"]),
                    "citizen_paid_wei": balance - w3.eth.get_balance(c.address),
                    "sign_and_leave_s": round(t1 - t0, 4),
                    "relay_to_receipt_s": round(t2 - t1, 4),
                    "acceptance_to_benefit_s": round(t2 - t0, 4),
                }
            )
    total = [r["acceptance_to_benefit_s"] for r in rows]
    result = {
        "what": "citizen's acceptance of an offer -> benefit attestation (acceptOffer)",
        "chain": "anvil (automine), reference city, CIVIL's data node over HTTP on loopback",
        "runs": RUNS,
        "transactions": max(r["transactions"] for r in rows),
        "blocks": max(r["blocks"] for r in rows),
        "goal_transactions": 1,
        "citizen_paid_wei": max(r["citizen_paid_wei"] for r in rows),
        "gas_median": int(statistics.median(r["gas"] for r in rows)),
        "seconds_median": round(statistics.median(total), 3),
        "seconds_max": round(max(total), 3),
        "watch_seconds_for_all": round(watch_seconds, 3),
        # measured by bench_offers_ethereumjs.py: kept as it last wrote it
        "ethereumjs": json.loads(OUT.read_text()).get("ethereumjs") if OUT.is_file() else None,
        "rows": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
