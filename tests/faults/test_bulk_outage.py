"""BulkSender sends 500 transactions through a link to the chain that is cut and restored in the
middle of the run (a TCP proxy: open connections dropped, new ones refused): every transaction
lands exactly once - nonces contiguous, none duplicated, none lost, each transfer's value
received once - whether the cut falls while transactions are pushed, while receipts are
collected, at random moments, or lasts longer than the sender's retries (then the same signed
transactions are handed to a new pipeline run, which absorbs the ones the chain already has).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxParams

from govchain.errors import NetworkUnavailable
from govchain.tx import BulkSender, SignedTx
from tests.faults.helpers import Outages, proxy_to
from tests.sdk.chainhelpers import funded

COUNT = 500


def transfers(to: str) -> list[TxParams]:
    return [{"to": to, "value": 1 + i, "gas": 21_000} for i in range(COUNT)]


def assert_landed_exactly_once(
    w3: Web3,
    account: LocalAccount,
    recipient: str,
    signed: list[SignedTx],
    receipts: list[Any],
    first_block: int,
) -> None:
    """Reads the chain itself: every transaction of ``account`` since ``first_block``."""
    on_chain = []
    for number in range(first_block, w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        on_chain += [tx for tx in block["transactions"] if tx["from"] == account.address]
    nonces = [int(tx["nonce"]) for tx in on_chain]
    assert nonces == list(range(COUNT))  # contiguous from 0, in order: none lost, none twice
    assert [tx["hash"].to_0x_hex() for tx in on_chain] == [s.hash for s in signed]
    assert w3.eth.get_transaction_count(account.address) == COUNT
    assert w3.eth.get_balance(recipient) == sum(range(1, COUNT + 1))  # each value received once
    assert [r["transactionHash"].to_0x_hex() for r in receipts] == [s.hash for s in signed]
    assert all(r["status"] == 1 for r in receipts)


@pytest.fixture
def parties(w3: Web3) -> tuple[LocalAccount, str, int]:
    """A fresh funded sender (its own nonces from 0), a fresh recipient, the next block."""
    return funded(w3), funded(w3, ether=0).address, w3.eth.block_number + 1


@pytest.mark.parametrize("use_batch", [True, False], ids=["batched", "one-by-one"])
def test_cut_while_pushing_and_while_collecting_receipts(
    w3: Web3, rpc_url: str, parties: tuple[LocalAccount, str, int], use_batch: bool
) -> None:
    account, recipient, first_block = parties
    with proxy_to(rpc_url) as proxy:
        outages = Outages(proxy, down_for=0.8)
        cut_at = {"sent": 150, "mined": 320}  # once while pushing, once while collecting

        def progress(phase: str, done: int, total: int) -> None:
            if phase in cut_at and done >= cut_at[phase] and outages.cut(f"{phase}:{done}"):
                del cut_at[phase]

        bulk = BulkSender(
            w3, account, url=proxy.url, batch_size=25, window=100, use_batch=use_batch,
            backoff=0.05, progress=progress,
        )  # fmt: skip
        signed = bulk.sign(transfers(recipient))
        receipts = bulk.pipeline(signed)
        outages.wait_up()
    assert not cut_at and len(outages.cuts) == 2 and bulk.retried > 0
    assert_landed_exactly_once(w3, account, recipient, signed, receipts, first_block)
    print(f"cuts {outages.cuts}, retried {bulk.retried}, absorbed {bulk.absorbed}")


def test_cut_at_random_moments(
    w3: Web3, rpc_url: str, parties: tuple[LocalAccount, str, int]
) -> None:
    account, recipient, first_block = parties
    with proxy_to(rpc_url) as proxy:
        outages = Outages(proxy, down_for=0.3)
        bulk = BulkSender(w3, account, url=proxy.url, batch_size=10, window=60, backoff=0.02)
        signed = bulk.sign(transfers(recipient))
        with outages.chaos(seed=5, up=(0.05, 0.4), max_cuts=12):
            receipts = bulk.pipeline(signed)
    assert len(outages.cuts) >= 2 and bulk.retried > 0
    assert_landed_exactly_once(w3, account, recipient, signed, receipts, first_block)
    print(f"cuts {len(outages.cuts)}, retried {bulk.retried}, absorbed {bulk.absorbed}")


def test_an_outage_longer_than_the_retries_is_resumed_with_the_same_transactions(
    w3: Web3, rpc_url: str, parties: tuple[LocalAccount, str, int]
) -> None:
    account, recipient, first_block = parties
    with proxy_to(rpc_url) as proxy:
        outages = Outages(proxy)

        def progress(phase: str, done: int, total: int) -> None:
            if phase == "sent" and done >= 200 and not outages.cuts:
                outages.cut("long", down_for=2.0)

        bulk = BulkSender(
            w3, account, url=proxy.url, batch_size=50, window=250, retries=3, backoff=0.05,
            progress=progress,
        )  # fmt: skip
        signed = bulk.sign(transfers(recipient))
        with pytest.raises(NetworkUnavailable):
            bulk.pipeline(signed)
        landed = w3.eth.get_transaction_count(account.address)
        assert 0 < landed < COUNT  # stopped half-way
        outages.wait_up()
        # the sender process restarts and hands the same signed transactions to the pipeline
        again = BulkSender(w3, account, url=proxy.url, batch_size=50)
        receipts = again.pipeline(signed)
    assert again.absorbed >= landed  # the ones the chain had were recognised, not resent anew
    assert_landed_exactly_once(w3, account, recipient, signed, receipts, first_block)
    print(f"landed before the restart {landed}, absorbed {again.absorbed}")
