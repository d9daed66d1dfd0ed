"""The reference scenario on a second, independent EVM client: EthereumJS under Clique.

One sealer, a block a second, no automine, a London-level EVM (the contracts built for Paris),
proof-of-authority headers (97 bytes of extraData). The SDK, the CLI subprocesses and the data
nodes reach it exactly as they would a consortium node: nothing anvil-only runs (no
``anvil_*``/``evm_*`` call: gas money comes from a prefunded key by ordinary transfers).
It deploys, admits a department through the council, takes the citizen's consent, records each
access before a data node releases a record, and decides a case with the approvers' signatures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from govchain.demo.cli import play
from govchain.demo.narrator import Narrator
from govchain.demo.scenario import Scenario
from govchain.network import POA_MIDDLEWARE
from govchain.toolchain.devnet import Devnet
from govchain.toolchain.ethereumjs import EthereumJSNode


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    saved = {k: os.environ.get(k) for k in ("GOVCHAIN_ARTIFACTS", "GOVCHAIN_PRIORITY_FEE")}

    def inspect(chain: Devnet | EthereumJSNode, scenario: Scenario) -> None:
        w3 = scenario.connection.w3
        seen["client"] = w3.client_version
        seen["poa_middleware"] = POA_MIDDLEWARE in w3.middleware_onion
        raw = Web3(Web3.HTTPProvider(chain.url)).provider.make_request(
            "eth_getBlockByNumber",
            ["latest", False],  # type: ignore[arg-type]
        )
        seen["extra_data_bytes"] = len(raw["result"]["extraData"]) // 2 - 1
        latest = w3.eth.get_block("latest")
        seen["blocks"] = int(latest["number"])
        seen["code"] = bytes(w3.eth.get_code(scenario.contract("CaseApprovals").address))
        seen["pid"] = chain.process.pid if chain.process else None

    try:
        narrator = Narrator(quiet=True)
        seen["summary"] = play(
            Path(tmp_path_factory.mktemp("ejs")), narrator, inspect, chain="ethereumjs"
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return seen


def test_it_ran_on_ethereumjs_with_proof_of_authority_headers(played: dict[str, Any]) -> None:
    assert played["client"].startswith("EthereumJS/")
    assert played["extra_data_bytes"] == 97  # 32 vanity + 65 seal: over web3.py's 32
    assert played["poa_middleware"] is True
    assert played["blocks"] > 50


def test_the_deployed_code_is_the_paris_build(played: dict[str, Any]) -> None:
    from tests.toolchain.test_evm_levels import opcodes

    assert played["code"]
    assert 0x5F not in opcodes(played["code"])  # no PUSH0: Paris, not Shanghai or later


def test_consent_access_and_a_case_decision(played: dict[str, Any]) -> None:
    summary = played["summary"]
    assert summary["records_fetched"] == 3  # consent given, each access recorded, verified
    assert summary["access_trail"] >= 3
    assert summary["case"]["status"] == "APPROVED"  # the approvers' signed decisions
    assert summary["revoked_access_refused"].startswith("AccessGrant")
    assert summary["privacy_hits"] == 0


def test_the_client_was_stopped(played: dict[str, Any]) -> None:
    assert played["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(played["pid"], 0)
