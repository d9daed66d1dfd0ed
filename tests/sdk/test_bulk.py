"""BulkSender: pipelined raw transactions, each mined exactly once, even through a flaky link."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxParams

from govchain.artifacts import Artifacts
from govchain.errors import ChainRefused, NetworkUnavailable, TransactionFailed
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from govchain.tx import BulkSender
from tests.sdk.chainhelpers import call_data, flaky_proxy, funded


def transfers(count: int, to: str, first_value: int = 1) -> list[TxParams]:
    return [{"to": to, "value": first_value + i, "gas": 21_000} for i in range(count)]


def assert_mined_exactly_once(
    w3: Web3,
    account: LocalAccount,
    txs: list[TxParams],
    receipts: list,
    recipient: str,
    before: int,
) -> None:
    assert len(receipts) == len(txs)
    assert all(r["status"] == 1 for r in receipts)
    assert len({r["transactionHash"] for r in receipts}) == len(txs)
    # the account sent exactly len(txs) transactions, and the recipient got each value once
    assert w3.eth.get_transaction_count(account.address) == len(txs)
    assert w3.eth.get_balance(recipient) == before + sum(int(t["value"]) for t in txs)
    # receipts come back in the order of the transactions
    for receipt, tx in zip(receipts, txs, strict=True):
        assert w3.eth.get_transaction(receipt["transactionHash"])["value"] == tx["value"]


def test_two_hundred_pipelined_transfers_are_each_mined_once(
    w3: Web3, account: LocalAccount
) -> None:
    recipient = funded(w3, ether=0).address
    txs = transfers(200, recipient)
    phases: list[tuple[str, int, int]] = []
    bulk = BulkSender(w3, account, progress=lambda *p: phases.append(p))
    receipts = bulk.send(txs)
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)
    assert ("sent", 200, 200) in phases
    assert phases[-1] == ("mined", 200, 200)
    assert bulk.retried == 0


def test_without_batches_transactions_go_back_to_back(w3: Web3, account: LocalAccount) -> None:
    recipient = funded(w3, ether=0).address
    txs = transfers(50, recipient)
    receipts = BulkSender(w3, account, use_batch=False).send(txs)
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)


@pytest.mark.parametrize("mode", ["drop", "lose-reply", "502"])
def test_transient_failures_are_retried_without_sending_twice(
    devnet: Devnet, w3: Web3, account: LocalAccount, mode: str
) -> None:
    recipient = funded(w3, ether=0).address
    txs = transfers(200, recipient)
    with flaky_proxy(devnet.url, every=3, every_mode=mode) as proxy:
        bulk = BulkSender(w3, account, url=proxy.url, batch_size=20, backoff=0.01)
        receipts = bulk.send(txs)
    assert proxy.failures > 0
    assert bulk.retried >= proxy.failures
    if mode == "lose-reply":  # the node had acted on some lost requests: resends were absorbed
        assert bulk.absorbed > 0
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)


def test_a_lost_reply_to_single_sends_is_resent_as_the_same_transaction(
    devnet: Devnet, w3: Web3, account: LocalAccount
) -> None:
    recipient = funded(w3, ether=0).address
    txs = transfers(30, recipient)
    with flaky_proxy(devnet.url, every=2, every_mode="lose-reply") as proxy:
        bulk = BulkSender(w3, account, url=proxy.url, use_batch=False, backoff=0.01)
        receipts = bulk.send(txs)
    assert proxy.failures > 10
    assert bulk.absorbed > 0
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)


def test_a_link_that_stays_down_is_network_unavailable(
    devnet: Devnet, w3: Web3, account: LocalAccount
) -> None:
    with flaky_proxy(devnet.url, every=1, every_mode="drop") as proxy:
        bulk = BulkSender(w3, account, url=proxy.url, retries=2, backoff=0.01)
        with pytest.raises(NetworkUnavailable, match="network unavailable"):
            bulk.send(transfers(3, account.address))


def test_gas_is_estimated_in_batches_and_refusals_stop_everything_before_signing(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress, artifacts: Artifacts
) -> None:
    bulk = BulkSender(w3, account, artifacts.error_decoder())
    good: list[TxParams] = [{"to": checker, "data": call_data(2**40)} for _ in range(5)]
    receipts = bulk.send(good)
    assert all(r["status"] == 1 for r in receipts)
    bad = [*good, {"to": checker, "data": call_data(3)}]
    with pytest.raises(ChainRefused, match="deadline 1970-01-01T00:00:03Z has passed"):
        bulk.send(bad)
    assert w3.eth.get_transaction_count(account.address) == 5


def test_a_nonce_taken_by_another_transaction_is_reported(w3: Web3, account: LocalAccount) -> None:
    bulk = BulkSender(w3, account)
    signed = bulk.sign(transfers(2, account.address))
    # someone else (another process with the same key) uses the first nonce
    other = account.sign_transaction(
        {"to": account.address, "value": 999, "gas": 21_000, "nonce": 0,
         "chainId": 31337, "gasPrice": w3.eth.gas_price * 2}
    )  # fmt: skip
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(other.raw_transaction))
    with pytest.raises(TransactionFailed, match="nonce 0 was used by another transaction"):
        bulk.push(signed)
    # the batch was sent as a whole: the second transaction (nonce 1) went through
    assert bulk.resync_nonce() == w3.eth.get_transaction_count(account.address) == 2


def test_reverted_transactions_are_reported_after_all_receipts(
    w3: Web3, account: LocalAccount, checker: ChecksumAddress
) -> None:
    txs: list[TxParams] = [
        {"to": checker, "data": call_data(2**40), "gas": 60_000},
        {"to": checker, "data": call_data(1), "gas": 60_000},  # explicit gas: no pre-flight
    ]
    with pytest.raises(TransactionFailed, match="1 of 2 transactions reverted"):
        BulkSender(w3, account).send(txs)
    receipts = BulkSender(w3, account).send(txs, check_status=False)
    assert [r["status"] for r in receipts] == [1, 0]


def test_no_more_than_a_window_of_transactions_waits_in_the_pool(
    w3: Web3, account: LocalAccount
) -> None:
    recipient = funded(w3, ether=0).address
    txs = transfers(200, recipient)
    seen = {"sent": 0, "mined": 0}
    in_flight: list[int] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase in seen:
            seen[phase] = done
            in_flight.append(seen["sent"] - seen["mined"])

    receipts = BulkSender(w3, account, batch_size=10, window=30, progress=progress).send(txs)
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)
    assert max(in_flight) <= 30


def test_a_dev_node_that_stops_mining_is_nudged() -> None:
    with Devnet(DevnetConfig(port=free_port(), extra_args=["--no-mining"])) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        account = funded(w3)
        recipient = funded(w3, ether=0).address
        txs = transfers(20, recipient)
        bulk = BulkSender(w3, account, stall_after=0.1)
        receipts = bulk.send(txs)
        assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)
        assert bulk.nudged >= 1


def test_transactions_lost_before_the_pool_are_pushed_again(
    devnet: Devnet, w3: Web3, account: LocalAccount
) -> None:
    """The first batch is answered "accepted" but never reaches the node: every later nonce
    waits behind it. The sender pushes the unmined ones again (the same bytes) and all are
    mined once."""
    recipient = funded(w3, ether=0).address
    txs = transfers(40, recipient)
    with flaky_proxy(devnet.url, swallow_sends=1) as proxy:
        bulk = BulkSender(w3, account, url=proxy.url, batch_size=20, backoff=0.01)
        receipts = bulk.send(txs)
    assert proxy.swallowed == 1 and bulk.repushed >= 1
    assert_mined_exactly_once(w3, account, txs, receipts, recipient, 0)
