"""Network: any JSON-RPC URL, chain id checks, zero-fee aware fees, the deployment manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from govchain.errors import InvalidAddress, InvalidInput, NetworkUnavailable, NotFound, WrongChain
from govchain.network import (
    DEFAULT_RPC,
    Connection,
    Deployment,
    ManifestError,
    connect,
    fee_fields,
    is_zero_fee,
    manifest_path,
    read_deployment,
    rpc_url,
    state_home,
    write_deployment,
)
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from tests.sdk.chainhelpers import funded

ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def test_defaults_are_the_local_devnet_and_a_home_in_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOVCHAIN_RPC", raising=False)
    monkeypatch.delenv("GOVCHAIN_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert rpc_url() == DEFAULT_RPC == "http://127.0.0.1:8545"
    assert state_home() == tmp_path / ".govchain"
    monkeypatch.setenv("GOVCHAIN_RPC", "http://node:8545")
    monkeypatch.setenv("GOVCHAIN_HOME", "/srv/gov")
    assert rpc_url() == "http://node:8545"
    assert state_home() == Path("/srv/gov")
    assert rpc_url("http://explicit:1") == "http://explicit:1"


def test_connect_checks_the_chain_id(devnet: Devnet) -> None:
    assert connect(devnet.url, chain_id=31337).eth.chain_id == 31337
    with pytest.raises(WrongChain, match="serves chain id 31337, expected 5"):
        connect(devnet.url, chain_id=5)


def test_a_node_that_is_not_running_is_network_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NetworkUnavailable, match="connection refused") as caught:
        connect(url, timeout=2)
    assert caught.value.exit_code == 1


def test_urls_that_are_not_json_rpc_are_bad_input() -> None:
    with pytest.raises(InvalidInput, match="WebSocket"):
        connect("ws://127.0.0.1:1")
    with pytest.raises(InvalidInput, match="expected http"):
        connect("localhost:8545")


def test_fees_are_eip1559_where_blocks_have_a_base_fee(w3: Web3) -> None:
    fees = fee_fields(w3)
    assert set(fees) == {"maxFeePerGas", "maxPriorityFeePerGas"}
    assert fees["maxFeePerGas"] >= fees["maxPriorityFeePerGas"] > 0
    assert not is_zero_fee(w3)


def test_zero_fee_networks_get_a_legacy_zero_gas_price_that_is_mined() -> None:
    with Devnet(DevnetConfig(port=free_port(), zero_fee=True, chain_id=1337)) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        assert fee_fields(w3) == {"gasPrice": 0}
        assert is_zero_fee(w3)
        account = funded(w3, ether=0)  # nothing to pay with: gas is metered, not paid
        signed = account.sign_transaction(
            {
                "to": ADDRESS,
                "value": 0,
                "gas": 21_000,
                "nonce": 0,
                "chainId": 1337,
                **fee_fields(w3),
            }
        )
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed.raw_transaction)
        )
        assert receipt["status"] == 1


def test_a_deployment_round_trips_through_its_manifest(home: Path) -> None:
    deployment = Deployment.new(31337, compiler_version="0.8.37")
    deployment.add("DepartmentRegistry", ADDRESS.lower(), 12, "0xaa")
    deployment.add("AccessGrants", "0x" + "11" * 20, 14)
    path = write_deployment(deployment)
    assert path == home / "deployments" / "31337.json" == manifest_path(31337)
    data = json.loads(path.read_text())
    assert data["deploy_block"] == 12
    assert data["versions"]["compiler"] == "0.8.37"
    assert "govchain" in data["versions"]
    assert data["contracts"]["DepartmentRegistry"] == {
        "address": ADDRESS,
        "block": 12,
        "tx_hash": "0xaa",
    }
    again = read_deployment(31337)
    assert again.address("DepartmentRegistry") == ADDRESS
    assert again.deploy_block == 12
    assert again.as_dict() == deployment.as_dict()


def test_a_missing_manifest_or_contract_is_not_found(home: Path) -> None:
    with pytest.raises(NotFound, match="deployment for chain 99 not found"):
        read_deployment(99)
    with pytest.raises(NotFound, match="contract Council not found"):
        Deployment(1).address("Council")
    with pytest.raises(InvalidAddress):
        Deployment(1).add("X", "0x1234", 1)


def test_a_manifest_for_another_chain_is_refused(home: Path) -> None:
    path = write_deployment(Deployment(7))
    path.rename(path.with_name("8.json"))
    with pytest.raises(ManifestError, match="records chain id 7"):
        read_deployment(8)


def test_a_connection_finds_contracts_through_the_manifest(
    devnet: Devnet, home: Path, checker: ChecksumAddress, account: LocalAccount
) -> None:
    deployment = Deployment.new(31337)
    deployment.add("SignatureVerifier", checker, 1)
    deployment.add("Gone", account.address, 1)  # an address without code
    write_deployment(deployment)
    connection = Connection.open(devnet.url)
    assert connection.chain_id == 31337
    assert connection.home == home
    contract = connection.contract("SignatureVerifier")
    assert contract.address == checker
    assert any(e.get("name") == "SignatureExpired" for e in contract.abi)
    with pytest.raises(NotFound, match="was the devnet reset"):
        connection.contract("SignatureVerifier", address=account.address)
    with pytest.raises(NotFound, match="contract Council not found"):
        connection.contract("Council")
