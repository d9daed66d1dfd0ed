"""The test plugin's cuts of ape's per-call work (govchain.toolchain.apecalls): what ape answers
stays what the chain says, on the worker's own anvil."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import ape
import pytest
from ape.exceptions import ContractNotFoundError
from web3 import Web3

from govchain.toolchain import apecalls, devnet


@pytest.fixture
def probe(project: Any, accounts: Any) -> Any:
    return accounts[0].deploy(project.MemoryCopyProbe)


def test_the_plugin_installed_every_cut() -> None:
    import ape_ethereum.transactions
    from ape.api.networks import NetworkAPI
    from ape.managers.chain import ChainManager
    from ape_ethereum.ecosystem import Ethereum
    from ape_foundry.provider import FoundryProvider
    from web3._utils.http_session_manager import HTTPSessionManager
    from web3.eth import Eth
    from web3.providers.rpc import HTTPProvider

    assert getattr(HTTPSessionManager.cache_and_return_session, "_govchain", False)
    assert getattr(HTTPProvider.make_request, "_govchain", False)
    assert getattr(ChainManager.get_code, "_govchain", False)
    assert getattr(FoundryProvider.connect, "_govchain", False)
    assert getattr(devnet.rpc, "__wrapped__", None) is not None
    assert getattr(HTTPSessionManager.make_post_request, "_govchain", False)
    assert getattr(ChainManager.get_receipt, "_govchain", False)
    assert getattr(vars(NetworkAPI)["config"].fget, "_govchain", False)
    assert getattr(vars(Ethereum)["default_transaction_type"].fget, "_govchain", False)
    assert isinstance(ape_ethereum.transactions.EthAccount, apecalls.RememberedRecovery)
    assert getattr(Eth.wait_for_transaction_receipt, "_govchain", False)


def test_code_is_remembered_until_a_snapshot_revert_removes_it(probe: Any) -> None:
    provider = ape.chain.provider
    snapshot = ape.chain.snapshot()
    other = ape.accounts.test_accounts[0].deploy(ape.project.MemoryCopyProbe)
    assert other.is_contract
    assert (id(provider), other.address) in apecalls.MEMO.code
    assert other.slice(b"abcdef", 1, 3) == b"bc"

    ape.chain.restore(snapshot)
    # the revert removed the code: ape asks the chain again and refuses the call
    assert (id(provider), other.address) not in apecalls.MEMO.code
    assert not other.is_contract
    with pytest.raises(ContractNotFoundError):
        other.slice(b"abcdef", 1, 3)
    assert probe.is_contract


def test_empty_code_is_never_remembered(accounts: Any) -> None:
    nobody = accounts[5]
    assert not ape.chain.get_code(nobody.address)
    assert all(address != nobody.address for _, address in apecalls.MEMO.code)
    deployer = accounts[6]
    future = deployer.get_deployment_address()
    assert not ape.chain.get_code(future)
    deployer.deploy(ape.project.MemoryCopyProbe)
    assert ape.chain.get_code(future)


def test_set_code_from_another_web3_is_seen(probe: Any) -> None:
    """A request that replaces code, sent through any web3 provider of this process."""
    assert probe.is_contract
    w3 = Web3(Web3.HTTPProvider(ape.chain.provider.uri))
    snapshot = ape.chain.snapshot()
    w3.provider.make_request("anvil_setCode", [probe.address, "0x"])  # type: ignore[arg-type]
    assert not probe.is_contract
    ape.chain.restore(snapshot)
    assert probe.is_contract


def test_the_block_gas_limit_is_read_again_after_it_changes() -> None:
    provider = ape.chain.provider
    limit = int(provider.web3.eth.get_block("latest")["gasLimit"])
    assert provider.max_gas == limit
    snapshot = ape.chain.snapshot()
    provider.make_request("evm_setBlockGasLimit", [hex(limit - 1_000)])
    provider.mine()
    assert provider.max_gas == int(provider.web3.eth.get_block("latest")["gasLimit"])
    assert provider.max_gas != limit
    ape.chain.restore(snapshot)
    assert provider.max_gas == limit


def test_the_mining_mode_follows_the_node(accounts: Any) -> None:
    provider = ape.chain.provider
    assert provider.auto_mine is True
    provider.auto_mine = False
    try:
        assert provider.auto_mine is False
        assert provider.make_request("anvil_getAutomine", []) is False
    finally:
        provider.auto_mine = True
    assert provider.auto_mine is True
    # set behind ape's back, by another web3 client of this process
    w3 = Web3(Web3.HTTPProvider(provider.uri))
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        assert provider.auto_mine is False
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    assert provider.auto_mine is True
    receipt = accounts[0].transfer(accounts[1], 1)
    assert receipt.block_number > 0


def test_sessions_to_loopback_read_no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # a proxy that does not exist: a session trusting the environment would fail through it
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    w3 = Web3(Web3.HTTPProvider(ape.chain.provider.uri))
    assert w3.eth.chain_id == ape.chain.chain_id
    session = w3.provider._request_session_manager.cache_and_return_session(  # type: ignore[attr-defined]
        ape.chain.provider.uri
    )
    assert session.trust_env is False
    assert apecalls.loopback("http://localhost:8545")
    assert not apecalls.loopback("https://rpc.example.org")


def test_transactions_still_name_their_custom_errors(project: Any, accounts: Any) -> None:
    """Reverts are named by the replay of the mined transaction, not by a trace."""
    registry = accounts[0].deploy(project.DepartmentRegistry, accounts[1], [])
    with ape.reverts(registry.DepartmentUnauthorizedCouncil, caller=accounts[3].address):
        registry.admit(b"\x01" * 32, sender=accounts[3])
    with ape.reverts(registry.DepartmentUnknown, code=b"\x02" * 32):
        registry.retire(b"\x02" * 32, sender=accounts[1])


def test_dead_processes_leave_apes_node_map() -> None:
    from ape.managers.networks import NodeProcessData

    nodes = ape.networks.running_nodes
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    ours = ape.chain.provider.process.pid
    nodes.nodes[gone.pid] = NodeProcessData(
        network_choice="ethereum:local:foundry", http_uri="http://127.0.0.1:1"
    )
    nodes.model_dump_file()
    assert gone.pid in apecalls.prune_node_map()
    assert gone.pid not in nodes.nodes
    assert ours in nodes.nodes  # the worker's running anvil stays
    assert apecalls.alive(ours) and apecalls.alive(os.getpid())


def test_the_configuration_read_per_transaction_is_what_ape_computes() -> None:
    from ape.api.networks import NetworkAPI
    from ape_ethereum.ecosystem import Ethereum

    provider = ape.chain.provider
    network, ecosystem = provider.network, provider.network.ecosystem
    computed_config = vars(NetworkAPI)["config"].fget.__wrapped__(network)
    computed_type = vars(Ethereum)["default_transaction_type"].fget.__wrapped__(ecosystem)
    assert network.config is network.config  # remembered, not built again
    assert network.config.model_dump() == computed_config.model_dump()
    assert ecosystem.default_transaction_type == computed_type
    assert ("transaction type", id(ecosystem)) in apecalls.MEMO.settings
    assert ("config", id(network)) in apecalls.MEMO.settings
    # what ape derives from it per transaction
    assert network.required_confirmations == computed_config.get("required_confirmations", 0)
    assert network.base_fee_multiplier == computed_config.get("base_fee_multiplier")
    assert network.transaction_acceptance_timeout == computed_config.get(
        "transaction_acceptance_timeout"
    )


def test_the_configuration_is_read_again_after_a_connect(accounts: Any) -> None:
    """A second provider object connects and disconnects (to the worker's anvil: ape-foundry
    takes ``APE_FOUNDRY_HOST`` over the settings, and leaves running an anvil it did not
    start): the remembered answers are forgotten and computed again."""
    ours = ape.chain.provider
    ecosystem = ours.network.ecosystem
    assert ecosystem.default_transaction_type is not None
    assert ours.network.config is not None
    key = ("transaction type", id(ecosystem))
    assert key in apecalls.MEMO.settings
    forgotten = apecalls.MEMO.settings_forgotten
    other = ape.networks.ethereum.local.get_provider("foundry")
    assert other is not ours
    other.connect()
    try:
        assert other.is_connected and other.uri == ours.uri
        assert apecalls.MEMO.settings_forgotten >= forgotten + 1
        assert key not in apecalls.MEMO.settings
    finally:
        other.disconnect()
    assert apecalls.MEMO.settings_forgotten >= forgotten + 2
    assert key not in apecalls.MEMO.settings
    assert ape.chain.provider is ours and ours.is_connected
    receipt = accounts[0].transfer(accounts[1], 1)
    assert not receipt.failed
    assert apecalls.MEMO.settings[key][1] is ours


def test_receipts_by_hash_are_what_ape_reads(accounts: Any) -> None:
    from ape.exceptions import TransactionNotFoundError
    from ape.managers.chain import ChainManager

    read_by_ape = ChainManager.get_receipt.__wrapped__  # type: ignore[attr-defined]
    receipt = accounts[0].transfer(accounts[1], 1)
    ours = ape.chain.get_receipt(receipt.txn_hash)
    theirs = read_by_ape(ape.chain, receipt.txn_hash)
    assert ours.txn_hash == theirs.txn_hash == receipt.txn_hash
    assert (ours.block_number, ours.status, ours.gas_used) == (
        theirs.block_number,
        theirs.status,
        theirs.gas_used,
    )
    assert receipt.transaction.receipt.txn_hash == receipt.txn_hash
    unknown = "0x" + "ab" * 32
    with pytest.raises(TransactionNotFoundError):
        ape.chain.get_receipt(unknown)
    with pytest.raises(TransactionNotFoundError):
        read_by_ape(ape.chain, unknown)


def test_a_transaction_whose_signature_does_not_match_its_sender_is_still_refused(
    accounts: Any,
) -> None:
    from ape.exceptions import SignatureError
    from eth_account import Account

    receipt = accounts[0].transfer(accounts[1], 1)
    signed = receipt.transaction.serialize_transaction()
    assert signed == receipt.transaction.serialize_transaction()  # remembered recovery
    assert Account.recover_transaction(signed) == accounts[0].address
    forged = receipt.transaction.model_copy(update={"sender": accounts[2].address})
    with pytest.raises(SignatureError):
        forged.serialize_transaction()


def test_receipt_waits_on_loopback_find_what_the_chain_holds(accounts: Any) -> None:
    import threading

    from web3.exceptions import TimeExhausted

    provider = ape.chain.provider
    w3 = Web3(Web3.HTTPProvider(provider.uri))
    receipt = accounts[0].transfer(accounts[1], 1)
    found = w3.eth.wait_for_transaction_receipt(receipt.txn_hash)
    assert found == w3.eth.get_transaction_receipt(receipt.txn_hash)
    assert found["blockNumber"] == receipt.block_number
    unknown = "0x" + "cd" * 32
    for timeout in (0.05, 0.3):  # within the quick polls, and past them
        with pytest.raises(TimeExhausted, match=f"is not in the chain after {timeout} seconds"):
            w3.eth.wait_for_transaction_receipt(unknown, timeout=timeout)
    # a transaction that is mined only later (automine off, one block mined by another thread)
    snapshot = ape.chain.snapshot()
    provider.auto_mine = False
    try:
        sender = w3.eth.accounts[0]
        pending = w3.eth.send_transaction({"from": sender, "to": accounts[1].address, "value": 1})
        miner = threading.Timer(0.2, lambda: w3.provider.make_request("evm_mine", []))  # type: ignore[arg-type]
        miner.start()
        later = w3.eth.wait_for_transaction_receipt(pending, timeout=30)
        miner.join()
        assert later["status"] == 1 and later["transactionHash"] == pending
    finally:
        provider.auto_mine = True
        ape.chain.restore(snapshot)


def test_a_mined_receipt_asks_no_nonce_and_an_unmined_one_still_does(
    project: Any, accounts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ape.api.transactions import ReceiptAPI

    assert getattr(ReceiptAPI._await_sender_nonce_increment, "_govchain", False)
    provider = ape.chain.provider
    asked: list[str] = []
    get_nonce = type(provider).get_nonce

    def counting(self: Any, address: str, block_id: Any = None) -> int:
        asked.append(address)
        return int(get_nonce(self, address, block_id))

    probe = accounts[0].deploy(project.MemoryCopyProbe)
    receipt = probe.slice.transact(b"abcdef", 1, 3, sender=accounts[0])
    assert receipt.block_number >= 0
    monkeypatch.setattr(type(provider), "get_nonce", counting)
    receipt.await_confirmations()
    assert asked == []  # read from a block: its nonce is used
    assert get_nonce(provider, receipt.sender) > receipt.nonce  # as the chain says

    unmined = receipt.model_copy(update={"block_number": -1})
    unmined.await_confirmations()
    assert asked == [receipt.sender]  # ape's own wait, which returns once the nonce has passed
