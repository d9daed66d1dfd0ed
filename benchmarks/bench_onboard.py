"""Onboarding benchmark: from a new department's keys to its first record served to another
department, by the commands a department and the council run (issue 19).

On the reference city (real devnet, real deployment), each round a new department (TAXA,
TAXB, ...) goes through: ``keys`` (its admin and staff keystores), ``join`` (``dept join``:
the proposal), ``review`` (two council members' ``council review --approve``), ``enrol``
(``dept join`` again: member, catalog, endpoint), ``publish`` (``node publish`` of one record,
anchored), ``serve`` (``dept join --serve`` as a process, until it answers), ``consent`` (the
citizen's ``grant sign`` and Civil Affairs' ``grant submit``) and ``fetch`` (Civil Affairs'
``data fetch``: access recorded on chain, record fetched from the new node and verified).
Commands run in-process (CliRunner) except the node. Wall-clock seconds per phase and in
total, median over the rounds; figures are reported, not asserted.

Writes ``benchmarks/results/onboard.json``.
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_onboard.py -s``.
"""

# ruff: noqa: F401, F811  (the module fixtures devnet and city are imported)
from __future__ import annotations

import json
import platform
import signal
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from govchain.keystore import Keystore
from govchain.reference import City
from govchain.toolchain.devnet import Devnet, free_port, rpc
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, city, devnet
from tests.cli.test_onboard import join_file, spawn, wait_up

RESULTS = Path(__file__).resolve().parent / "results" / "onboard.json"
ROUNDS = 3
PHASES = ("keys", "join", "review", "enrol", "publish", "serve", "consent", "fetch")


def _key(run: CityRun, name: str) -> str:
    assert run.home is not None and run.rpc is not None
    account = Account.create()
    Keystore(run.home, kdf="pbkdf2", iterations=2).new(name, CITY_PASSPHRASE, account.key)
    rpc(run.rpc, "anvil_setBalance", [account.address, hex(10**21)])
    return account.address


def _round(run: CityRun, folder: Path, code: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[phase] = now - mark
        mark = now

    admin, staff, citizen = f"{code.lower()}-admin", f"{code.lower()}-staff", f"{code.lower()}-c"
    _key(run, admin)
    _key(run, staff)
    subject = _key(run, citizen)
    port = free_port()
    config = join_file(folder, admin, staff, port, code)
    lap("keys")
    assert run.json("dept", "join", "--config", str(config))["status"] == "awaiting-admission"
    lap("join")
    run.json("--key", "bdb-admin", "council", "review", "--approve", code)
    run.json("--key", "psb-admin", "council", "review", "--approve", code)
    lap("review")
    assert run.json("dept", "join", "--config", str(config))["status"] == "joined"
    lap("enrol")
    records = folder / f"{code}.jsonl"
    records.write_text(
        json.dumps(
            {
                "category": f"{code}.RETURN",
                "record": "R-1",
                "subject": subject,
                "content": {"year": 2025},
            }
        )
    )
    db = str(folder / "tax.db")
    run.json("--key", staff, "node", "publish", "--dept", code, "--db", db, str(records))
    lap("publish")
    node = spawn(run, "dept", "join", "--config", str(config), "--serve")
    try:
        wait_up(f"http://127.0.0.1:{port}", node)
        lap("serve")
        consent = folder / f"{code}-consent.json"
        run.json(
            "--key", citizen, "grant", "sign", "--grantee", "CIVIL", "--owner", code,
            "--category", f"{code}.RETURN", "--purpose", "benchmark", "--until", "30d",
            "--out", str(consent),
        )  # fmt: skip
        grant = run.json("--key", "civil-staff", "grant", "submit", str(consent))["grant_id"]
        lap("consent")
        fetched = run.json(
            "--key", "civil-staff", "data", "fetch", "--grant", grant, "--record", "R-1"
        )
        assert fetched["content"] == {"year": 2025}
        lap("fetch")
    finally:
        node.send_signal(signal.SIGTERM)
        node.communicate(timeout=30)
    return timings


def test_keys_to_first_record_served(
    city: tuple[City, Path],
    devnet: Devnet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built, home = city
    monkeypatch.setenv("GOVCHAIN_HOME", str(home))
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", CITY_PASSPHRASE)
    for name in ("GOVCHAIN_RPC", "GOVCHAIN_KEY", "GOVCHAIN_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    run = CityRun(devnet.url, built, home)
    rounds = []
    for i in range(ROUNDS):
        folder = tmp_path / str(i)
        folder.mkdir()
        rounds.append(_round(run, folder, f"TAX{chr(65 + i)}"))
    result: dict[str, Any] = {
        "what": "keys -> first record served to another department (dept join, council "
        "review, publish, serve, consent, fetch), wall seconds",
        "rounds": ROUNDS,
        "median_s": {p: round(statistics.median(r[p] for r in rounds), 3) for p in PHASES},
        "total_median_s": round(statistics.median(sum(r.values()) for r in rounds), 3),
        "total_s": [round(sum(r.values()), 3) for r in rounds],
        "machine": platform.platform(),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
