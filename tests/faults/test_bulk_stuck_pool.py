"""anvil's pool can hold a sender's next transaction as waiting for the one before it although
that one is mined already: anvil read the account's nonce, the one before was mined and its
wait released, and only then was the new one added, waiting for a release that never comes
again. Seen in CI (run 26a) and reproduced by the outage scenario of test_bulk_outage.py on a
private anvil (1 stall in 60 runs): the chain at nonce 20, the pool holding nonces 20..499 as
queued; new blocks did not mine them and the same bytes were answered "transaction already
imported", so the bulk sender waited 120 s and failed ("N transactions not mined").

Here the same pool state is made on purpose: nonces 1..N reach the pool while the chain is at
nonce 0, each waiting for the one before; then the account's nonce is set to 1 on the node
(``anvil_setNonce``), which, like the race, moves the chain past a nonce without telling the
pool. The bulk sender must still land every transaction once, with its signed hash.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from web3 import Web3
from web3.types import TxParams

from govchain.toolchain.devnet import DevnetError, rpc
from govchain.tx import BulkSender
from tests.sdk.chainhelpers import funded

COUNT = 30


def transfers(to: str) -> list[TxParams]:
    return [{"to": to, "value": 1 + i, "gas": 21_000} for i in range(COUNT)]


def pooled(rpc_url: str, address: str) -> dict[str, list[int]]:
    """The nonces anvil's pool holds for ``address``: ready ("pending") and waiting ("queued")."""
    content = cast(dict[str, Any], rpc(rpc_url, "txpool_content", []))
    return {
        kind: sorted(
            int(nonce)
            for sender, txs in content.get(kind, {}).items()
            if sender.lower() == address.lower()
            for nonce in txs
        )
        for kind in ("pending", "queued")
    }


def test_transactions_anvils_pool_holds_behind_a_mined_nonce_are_mined_with_their_hashes(
    w3: Web3, rpc_url: str
) -> None:
    account, recipient = funded(w3), funded(w3, ether=0).address
    bulk = BulkSender(w3, account, batch_size=10, timeout=30)
    signed = bulk.sign(transfers(recipient))[1:]  # nonce 0 is never sent
    bulk.push(signed)
    rpc(rpc_url, "anvil_setNonce", [account.address, hex(1)])
    rpc(rpc_url, "evm_mine", [])

    # the stuck state: the chain waits for nonce 1, the pool holds 1.. as waiting for 0
    assert w3.eth.get_transaction_count(account.address) == 1
    assert pooled(rpc_url, account.address) == {"pending": [], "queued": list(range(1, COUNT))}
    with pytest.raises(DevnetError, match="already imported"):
        rpc(rpc_url, "eth_sendRawTransaction", [signed[0].raw_hex])
    rpc(rpc_url, "evm_mine", [])
    assert w3.eth.get_transaction_count(account.address) == 1  # a new block does not take them

    receipts = bulk.receipts(signed)
    assert bulk.unstuck == 1 and bulk.repushed >= 1
    assert [r["transactionHash"].to_0x_hex() for r in receipts] == [s.hash for s in signed]
    assert all(r["status"] == 1 for r in receipts)
    assert w3.eth.get_transaction_count(account.address) == COUNT
    assert w3.eth.get_balance(recipient) == sum(range(2, COUNT + 1))  # each value received once
    assert pooled(rpc_url, account.address) == {"pending": [], "queued": []}


def test_a_transaction_the_node_never_had_is_pushed_again_without_clearing_the_pool(
    w3: Web3, rpc_url: str
) -> None:
    """The chain at nonce 0, the pool holding 1.. as waiting, and nonce 0 never sent: anvil does
    not have the first unmined transaction, so the pool is right and is not cleared; the same
    bytes of nonce 0, pushed again, release the rest."""
    account, recipient = funded(w3), funded(w3, ether=0).address
    bulk = BulkSender(w3, account, batch_size=10, timeout=30)
    signed = bulk.sign(transfers(recipient))
    bulk.push(signed[1:])
    assert pooled(rpc_url, account.address)["queued"] == list(range(1, COUNT))

    receipts = bulk.receipts(signed)
    assert bulk.unstuck == 0 and bulk.repushed >= 1
    assert [r["transactionHash"].to_0x_hex() for r in receipts] == [s.hash for s in signed]
    assert w3.eth.get_transaction_count(account.address) == COUNT
    assert w3.eth.get_balance(recipient) == sum(range(1, COUNT + 1))
