"""Sender: refusals are explained before gas is spent; mined failures are explained too."""

from __future__ import annotations

import time

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from govchain.artifacts import Artifacts
from govchain.errors import ChainRefused, TransactionFailed
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
        str(refusal) == "refused by the chain: the signature's deadline 1000 has passed; sign again"
    )
    assert refusal.tx_hash is None
    assert w3.eth.get_transaction_count(account.address) == 0
    assert w3.eth.get_balance(account.address) == balance


def test_a_transaction_that_fails_on_chain_is_explained_with_its_hash(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    sender = Sender(w3, account, artifacts.error_decoder())
    with pytest.raises(ChainRefused, match="deadline 1000 has passed") as caught:
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
    with pytest.raises(ChainRefused, match="deadline 7 has passed"):
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
