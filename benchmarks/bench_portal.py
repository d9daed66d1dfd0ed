"""Portal benchmark: a citizen's timeline page with 10,000 recorded accesses (goal ≤ 200 ms).

A citizen key in the reference city (real devnet, real deployment) has 10,000
``AccessRecorded`` events about her in the portal's SQLite index (written straight into the
indexer's tables, spread over 100 grants and 7 departments, amid 90,000 accesses about 900
other citizens), plus the ``GrantCreated`` event of each grant. The portal is served by
uvicorn on loopback; each request is one whole page: session check, the chain liveness probe,
her roles (``memberOf``), the index sync check, the department list, the two index queries
(page of 50 and the count) and the template. Timed: the first page, a middle page, the
department filter and a date-range filter, 30 requests each after a warm-up; median and p95
of the HTTP round trip on loopback (an upper bound of server time).

Figures are reported, not asserted. Writes ``benchmarks/results/portal.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_portal.py -s``.
"""

# ruff: noqa: F401, F811  (the module fixtures devnet and city are imported)
from __future__ import annotations

import json
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

from eth_account import Account

from govchain.indexer import open_database
from govchain.indexer.schema import event_departments, events
from govchain.keystore import Keystore
from govchain.portal import PortalConfig
from govchain.reference import DEPARTMENTS, City
from tests.cli.conftest import CITY_PASSPHRASE, city, devnet
from tests.portal.conftest import logged_in_client, running_portal

RESULTS = Path(__file__).resolve().parent / "results" / "portal.json"
HERS = 10_000
OTHERS = 90_000
GRANTS = 100
GOAL_MS = 200.0
ROUNDS = 30


def _hex32(raw: bytes) -> str:
    return "0x" + raw.ljust(32, b"\0").hex()


def _fill(path: Path, subject: str) -> None:
    engine = open_database(str(path))
    rng = random.Random(16)
    codes = [_hex32(d.code.encode()) for d in DEPARTMENTS]
    base = 1_790_000_000
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    address = "0x" + "11" * 20

    def row(n: int, event: str, args: dict[str, Any], who: str | None, grant: str) -> None:
        block, index = 1_000_000 + n // 10, n % 10
        rows.append(
            {
                "chain_id": 31337,
                "block_number": block,
                "log_index": index,
                "block_hash": _hex32(block.to_bytes(8, "big")),
                "block_timestamp": base + block * 12,
                "tx_hash": _hex32(n.to_bytes(8, "big")),
                "tx_index": index,
                "contract": "AccessGrants",
                "address": address,
                "event": event,
                "args": args,
                "subject": who,
                "department": args.get("owner"),
                "case_id": None,
                "grant_id": grant,
                "attestation_uid": None,
                "category": args.get("category"),
            }
        )

    grants = [_hex32(b"grant-%d" % g) for g in range(GRANTS)]
    n = 0
    for g, grant in enumerate(grants):
        row(
            n,
            "GrantCreated",
            {"grantId": grant, "subject": subject, "basis": g % 2, "owner": codes[2]},
            subject,
            grant,
        )
        n += 1
    for i in range(HERS + OTHERS):
        mine = i % 10 == 0
        who = subject if mine else "0x" + (0x5000 + rng.randrange(900)).to_bytes(20, "big").hex()
        owner, grantee = rng.choice(codes), rng.choice(codes)
        grant = rng.choice(grants) if mine else _hex32(b"other")
        args = {
            "subject": who,
            "owner": owner,
            "grantee": grantee,
            "category": _hex32(b"HRSS.PENSION"),
            "purposeHash": _hex32(b"p"),
            "member": "0x" + "22" * 20,
            "requestHash": _hex32(i.to_bytes(8, "big")),
            "grantId": grant,
        }
        row(n, "AccessRecorded", args, who, grant)
        for arg, dept in {(a, d) for a, d in (("owner", owner), ("grantee", grantee))}:
            links.append(
                {
                    "chain_id": 31337,
                    "block_number": rows[-1]["block_number"],
                    "log_index": rows[-1]["log_index"],
                    "department": dept,
                    "event": "AccessRecorded",
                    "args": arg,
                }
            )
        n += 1
    with engine.begin() as conn:
        conn.execute(events.insert(), rows)
        for start in range(0, len(links), 5000):
            batch, seen = [], set()
            for link in links[start : start + 5000]:
                key = (link["block_number"], link["log_index"], link["department"])
                if key not in seen:
                    seen.add(key)
                    batch.append(link)
            conn.execute(event_departments.insert().prefix_with("OR IGNORE"), batch)
    engine.dispose()


def _time(client: Any, path: str) -> dict[str, float]:
    client.get(path)  # warm-up
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text[:300]
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "max_ms": round(samples[-1], 1),
    }


def test_timeline_of_a_citizen_with_10k_accesses(city: tuple[City, Path], tmp_path: Path) -> None:
    built, home = city
    account = Account.create()
    Keystore(home, kdf="pbkdf2", iterations=2).new(
        "bench-citizen", CITY_PASSPHRASE, private_key=account.key
    )
    index = tmp_path / "index.db"
    _fill(index, account.address)
    config = PortalConfig(
        key="bench-citizen", rpc=built.connection.url, home=home, index=str(index)
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        first = client.get("/me/timeline")
        assert f">{HERS}<" in first.text, "the 10,000 accesses are counted"
        timings = {
            "first page": _time(client, "/me/timeline"),
            "page 100 of 200": _time(client, "/me/timeline?page=100"),
            "department filter": _time(client, "/me/timeline?department=CIVIL"),
            "date range": _time(client, "/me/timeline?since=2026-01-01&until=2030-12-31"),
        }
    result = {
        "accesses_of_the_citizen": HERS,
        "accesses_in_the_index": HERS + OTHERS,
        "goal_ms": GOAL_MS,
        "rounds": ROUNDS,
        "timings": timings,
        "within_goal": all(t["p95_ms"] <= GOAL_MS for t in timings.values()),
        "machine": platform.platform(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
