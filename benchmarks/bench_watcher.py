"""What the eligibility watcher reads from the event index (issue 17, item 4): only the
``Attested`` events of the schemas and issuers its services' rules name, not every attestation.

On the reference city (real anvil devnet) with CIVIL's elderly-allowance service: ``RELATED``
citizens whose age and residence PSB attested, and ``UNRELATED`` attestations the rule does not
name (another schema by PSB, and the rule's own age schema by HRSS, which it does not name).
Measured after one sync: the ``Attested`` rows the index holds — what the watcher read before
this change, when it loaded every one of them into Python (``events_of(event="Attested")``),
timed the same way — and the rows it reads now (``WatchReport.scanned``, SQL filters on the
department link table and the schema argument), and the wall time of a whole ``watch()``.
Figures are reported, not asserted (the test suite asserts the filter:
``tests/services/test_watcher_scan.py``).

Writes ``benchmarks/results/watcher.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_watcher.py -s``.
"""

# ruff: noqa: F401, F811  (the module fixtures devnet, city and city_run are imported)
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from govchain.indexer import events_of
from govchain.reference import ROLE_STAFF
from govchain.services import candidates
from tests.cli.conftest import CityRun, city, city_run, devnet
from tests.services.offers_world import _schema, build_offers_world

OUT = Path(__file__).resolve().parent / "results" / "watcher.json"
RELATED = 5
UNRELATED = 200


def test_watcher_reads_only_what_its_rules_name(
    city_run: CityRun, devnet: Any, tmp_path: Path
) -> None:
    world = build_offers_world(city_run.platform, devnet, tmp_path)
    for _ in range(RELATED):
        world.elderly(world.citizen().address)
    world.schemas["other"] = _schema(world.city, "LibraryCard(bytes32 number)", ROLE_STAFF)
    for n in range(UNRELATED):
        who = world.citizen(publish_key=False).address
        if n % 4:
            world.attest("PSB", who, "other", f"card {n}")
        else:
            world.attest("HRSS", who, "age", f"hrss {n}")
    world.sync()
    chain_id = world.connection.chain_id
    t0 = time.perf_counter()
    every = events_of(world.index, chain_id=chain_id, event="Attested")
    before_s = time.perf_counter() - t0
    book = world.watcher().book
    _active, requirements = book.requirements_of(world.rule)
    schemas = candidates.wanted(requirements)
    t0 = time.perf_counter()
    scan = candidates.Scan()
    candidates.attestations(world.index, chain_id, schemas, scan)
    after_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = world.watcher().watch()
    watch_s = time.perf_counter() - t0
    assert len(report.offered) == RELATED
    result = {
        "what": "Attested rows the eligibility watcher reads from the index per watch()",
        "chain": "anvil, reference city; CIVIL's elderly allowance (age + residence by PSB)",
        "attested_in_index": len(every),
        "eligible_citizens": RELATED,
        "unrelated_attestations": UNRELATED,
        "rows_read_before": len(every),
        "rows_read_before_seconds": round(before_s, 4),
        "rows_read_after": report.scanned,
        "rows_read_after_seconds": round(after_s, 4),
        "watch_seconds": round(watch_s, 3),
        "offered": len(report.offered),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
