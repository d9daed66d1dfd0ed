"""Sender: refusals are explained before gas is spent; mined failures are explained too."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from govchain.artifacts import Artifacts
from govchain.deploy import CONTRACTS, DeployConfig, Web3Backend, deploy_all
from govchain.errors import ChainRefused, InsufficientFunds, InvalidInput, TransactionFailed
from govchain.network import ENV_GAS_PRICE, Connection, fee_fields
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from govchain.tx import Sender
from tests.sdk.chainhelpers import ETHER, call_data, deadline_checker_initcode, funded

RECIPIENT = "0x00000000000000000000000000000000000000b2"


def test_a_transfer_is_built_signed_sent_and_mined(w3: Web3, account: LocalAccount) -> None:
    before = w3.eth.get_balance(RECIPIENT)
    receipt = Sender(w3, account).send({"to": RECIPIENT, "value": 5})
    assert receipt["status"] == 1
    assert receipt["from"] == account.address
    assert w3.eth.get_balance(RECIPIENT) == before + 5


def test_a_contract_call_that_passes_its_checks_is_mined(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    sender = Sender(w3, account, artifacts.error_decoder())
    receipt = sender.send({"to": checker, "data": call_data(int(time.time()) + 3600)})
    assert receipt["status"] == 1


def test_a_refusal_is_explained_before_spending_gas(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    balance = w3.eth.get_balance(account.address)
    sender = Sender(w3, account, artifacts.error_decoder())
    with pytest.raises(ChainRefused) as caught:
        sender.send({"to": checker, "data": call_data(1000)})
    refusal = caught.value
    assert refusal.error_name == "SignatureExpired"
    assert refusal.arguments == {"deadline": 1000}
    assert (
        str(refusal) == "refused by the chain: the signature's deadline 1970-01-01T00:16:40Z "
        "has passed; sign again"
    )
    assert refusal.tx_hash is None
    assert w3.eth.get_transaction_count(account.address) == 0
    assert w3.eth.get_balance(account.address) == balance


def test_a_transaction_that_fails_on_chain_is_explained_with_its_hash(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    sender = Sender(w3, account, artifacts.error_decoder())
    with pytest.raises(ChainRefused, match="deadline 1970-01-01T00:16:40Z has passed") as caught:
        sender.send({"to": checker, "data": call_data(1000), "gas": 100_000}, preflight=False)
    assert caught.value.tx_hash is not None
    assert w3.eth.get_transaction_count(account.address) == 1  # it was mined, and failed


def test_without_the_abi_the_refusal_is_still_readable(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress
) -> None:
    with pytest.raises(ChainRefused, match=r"UnknownError\(selector=0x") as caught:
        Sender(w3, account).send({"to": checker, "data": call_data(1)})
    assert caught.value.exit_code == 1


def test_a_node_refusal_that_is_not_a_revert_is_a_failed_transaction(w3: Web3) -> None:
    broke = funded(w3, ether=0)
    with pytest.raises(TransactionFailed, match="transaction failed"):
        Sender(w3, broke).send({"to": RECIPIENT, "value": ETHER})


def test_deploy_returns_the_contract_address(w3: Web3, account: LocalAccount) -> None:
    receipt = Sender(w3, account).deploy([], deadline_checker_initcode())
    address = receipt["contractAddress"]
    assert address is not None
    assert len(w3.eth.get_code(address)) > 0


def test_transact_sends_a_web3_contract_function(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    abi = [
        {
            "type": "function",
            "name": "check",
            "stateMutability": "nonpayable",
            "inputs": [{"name": "deadline", "type": "uint256"}],
            "outputs": [],
        }
    ]
    contract = w3.eth.contract(address=checker, abi=abi)
    sender = Sender(w3, account, artifacts.error_decoder())
    assert sender.transact(contract.functions.check(2**40))["status"] == 1
    with pytest.raises(ChainRefused, match="deadline 1970-01-01T00:00:07Z has passed"):
        sender.transact(contract.functions.check(7))


def test_on_a_zero_fee_network_nothing_is_paid() -> None:
    with Devnet(DevnetConfig(port=free_port(), zero_fee=True)) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        account = funded(w3, ether=0)
        receipt = Sender(w3, account).send({"to": RECIPIENT, "value": 0})
        assert receipt["status"] == 1
        assert receipt["effectiveGasPrice"] == 0


def test_submit_returns_the_hash_and_wait_the_receipt(w3: Web3, account: LocalAccount) -> None:
    sender = Sender(w3, account)
    tx_hash, sent = sender.submit({"to": RECIPIENT, "value": 1})
    assert sent["nonce"] == 0 and sent["chainId"] == 31337 and sent["gas"] >= 21_000
    assert sender.wait(tx_hash, sent)["transactionHash"].to_0x_hex() == tx_hash


# --- client faults of the review (issue 15) --------------------------------------------------


def test_a_transaction_mined_just_after_its_deadline_names_the_error(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    """Checked (eth_call on the pending block) while the deadline still holds, mined in a block
    whose timestamp is past it: the replay on the block it was mined in names SignatureExpired
    (the state before that block still had the earlier clock and passed)."""
    sender = Sender(w3, account, artifacts.error_decoder())
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 100
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        tx_hash, built = sender.submit({"to": checker, "data": call_data(deadline)})
        w3.provider.make_request("evm_setNextBlockTimestamp", [deadline + 1])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    with pytest.raises(ChainRefused) as caught:
        sender.wait(tx_hash, built)
    assert caught.value.error_name == "SignatureExpired"
    assert caught.value.arguments == {"deadline": deadline}
    assert caught.value.tx_hash == tx_hash
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 0  # type: ignore[arg-type]


def test_an_unfunded_key_on_a_chain_that_charges_for_gas_is_told_so(w3: Web3) -> None:
    """Not "Out of gas: gas required exceeds allowance: 0" (the node caps gas at balance/price)."""
    broke = funded(w3, ether=0)
    with pytest.raises(InsufficientFunds, match=f"key {broke.address} has no funds for gas"):
        Sender(w3, broke).deploy([], deadline_checker_initcode())
    with pytest.raises(InsufficientFunds, match="has no funds for gas"):
        Sender(w3, broke).send({"to": RECIPIENT, "value": 0})


def test_a_raw_zero_fee_node_takes_an_unfunded_keys_deployment(tmp_path: Path) -> None:
    """``anvil --base-fee 0 --gas-price 0`` still suggests a 1 gwei tip; an unfunded key offers
    0, which the chain accepts: the whole deployment goes through and costs nothing."""
    config = DevnetConfig(
        port=free_port(), chain_id=7777, extra_args=["--base-fee", "0", "--gas-price", "0"]
    )
    with Devnet(config) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        assert int(w3.eth.gas_price) > 0  # the node's suggestion is not what it requires
        deployer = Account.create()
        connection = Connection(w3, devnet.url, 7777, tmp_path)
        admin = Account.create().address
        deploy_config = DeployConfig.from_dict(
            {
                "council": {"members": [admin], "threshold": 1},
                "departments": [
                    {"code": "BDB", "name": "Big Data Bureau", "region": 440300, "admin": admin}
                ],
            }
        )
        report = deploy_all(Web3Backend(connection, deployer), 7777, deploy_config, home=tmp_path)
        assert report.deployed == list(CONTRACTS)
        assert w3.eth.get_balance(deployer.address) == 0
        first = report.deployment.contracts[CONTRACTS[0]]
        receipt = w3.eth.get_transaction_receipt(first.tx_hash)  # type: ignore[arg-type]
        assert receipt["effectiveGasPrice"] == 0


def test_the_network_configuration_can_set_the_gas_price(
    w3: Web3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_GAS_PRICE, "0")
    assert fee_fields(w3) == {"gasPrice": 0}
    monkeypatch.setenv(ENV_GAS_PRICE, "gwei")
    with pytest.raises(InvalidInput, match=ENV_GAS_PRICE):
        fee_fields(w3)
