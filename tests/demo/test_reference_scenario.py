"""The reference scenario end to end (``make demo``), and what it leaves on chain.

One run of the whole scenario on its own devnet, with real data-node processes and CLI calls.
The privacy check scans every transaction's calldata and every log for the citizen's personal
data (tests/audit/test_privacy_scanner.py proves the scanner finds planted data).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from govchain.audit.privacy import scan_chain
from govchain.demo import persona
from govchain.demo.cli import play
from govchain.demo.narrator import Narrator
from govchain.demo.scenario import Scenario
from govchain.toolchain.devnet import Devnet
from govchain.toolchain.ethereumjs import EthereumJSNode


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def inspect(devnet: Devnet | EthereumJSNode, scenario: Scenario) -> None:
        w3 = scenario.connection.w3
        seen["hits"] = scan_chain(w3, persona.PERSONAL_DATA)
        seen["blocks"] = int(w3.eth.block_number)
        seen["node_pids"] = [n.pid for n in scenario.nodes.values()]
        seen["anvil_pid"] = devnet.process.pid if devnet.process else None

    narrator = Narrator(quiet=True)
    seen["summary"] = play(Path(tmp_path_factory.mktemp("demo")), narrator, inspect)
    seen["chapters"] = narrator.chapters_as_dicts()
    return seen


def test_no_personal_data_reaches_the_chain(played: dict[str, Any]) -> None:
    assert played["blocks"] > 50
    assert played["hits"] == []


def test_the_scenario_reaches_every_outcome(played: dict[str, Any]) -> None:
    summary = played["summary"]
    assert summary["records_fetched"] == 3
    assert summary["case"]["status"] == "APPROVED"
    assert int(summary["subsidy_attestation"], 16) != 0
    assert summary["access_trail"] >= 3
    assert summary["tamper_audit"]["exit"] == 1
    assert summary["revoked_access_refused"].startswith("AccessGrant")
    assert summary["privacy_hits"] == 0


def test_services_are_granted_by_rule_and_offered_privately(played: dict[str, Any]) -> None:
    """秒批: one transaction decides and issues; 免申即享: nothing on chain until she accepts,
    then her one signature is one transaction in one block, and she pays nothing."""
    summary = played["summary"]
    instant = summary["instant_approval"]
    assert instant["status"] == "APPROVED" and instant["transactions"] == 1
    proactive = summary["proactive_service"]
    assert proactive["offers"] == 1 and proactive["transactions_before_acceptance"] == 0
    assert (proactive["transactions"], proactive["blocks"]) == (1, 1)
    assert proactive["citizen_paid_wei"] == 0
    titles = [c["title"] for c in played["chapters"]]
    assert "Instant approval (秒批)" in titles and "Proactive service (免申即享)" in titles
    assert titles.index("Proactive service (免申即享)") < titles.index("What the chain reveals")


def test_every_process_it_started_is_gone(played: dict[str, Any]) -> None:
    pids = [*played["node_pids"], played["anvil_pid"]]
    assert all(pid for pid in pids)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped
