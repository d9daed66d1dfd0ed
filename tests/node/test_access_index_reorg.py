"""The node's AccessRecorded index follows reorganisations (review s25 L-1): an access record
mined in a block that is no longer on the chain is never answered from the index, whether the
chain went back to an older head or replaced the block at the same height."""

from __future__ import annotations

from typing import Any

import pytest

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient, NodeRefused
from govchain.node.index import AccessIndex
from tests.node.conftest import PENSION, Holdings, local
from tests.node.test_data_node import client, grant_for, record, refused  # noqa: F401


def test_a_record_of_a_replaced_block_is_not_answered_from_the_index(
    grants: Any,
    hrss: Holdings,
    node_url: str,
    client: DataNodeClient,  # noqa: F811 (the fixture of test_data_node)
    reader: RpcChain,
    civil_staff: Any,
    chain: Any,
    now: int,
) -> None:
    index = reader._index
    assert isinstance(index, AccessIndex)
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    before = chain.snapshot()
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, civil_staff, prepared)
    # another request (a mismatch) makes the node index the chain up to the access record
    other = client.prepare(terms, PENSION, hrss.ids["pension"])
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, other, tx)
    assert refused(e) == (403, "access_record_mismatch")
    assert index.lookup(prepared.digest, tx) is not None

    rebuilds = index.rebuilds
    chain.restore(before)  # the access record's block is gone; the head is the block before
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, tx)
    assert refused(e) == (403, "access_record_missing")
    assert index.rebuilds == rebuilds + 1  # the block it indexed last no longer exists
    assert index.lookup(prepared.digest, tx) is None

    chain.mine()  # another block at the access record's height
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, tx)
    assert refused(e) == (403, "access_record_missing")
    assert index.lookup(prepared.digest, tx) is None

    # the same request with an access record on the chain as it is now is served
    again = record(grants, civil_staff, prepared)
    got = client.fetch(node_url, prepared, again)
    assert got.json() == {"monthly": 3260, "since": "2019-04"}


class _Chain:
    """Blocks (number -> hash) and one access log per request hash, as eth_getLogs gives them."""

    def __init__(self) -> None:
        self.hashes: dict[int, str] = {}
        self.logs: list[dict[str, Any]] = []
        self.fetches: list[tuple[int, int]] = []

    def mine(self, number: int, tag: str, request: bytes | None = None) -> tuple[int, str]:
        self.hashes[number] = f"0x{tag}{number}"
        self.logs = [log for log in self.logs if int(log["blockNumber"], 16) < number]
        if request is not None:
            self.logs.append(
                {"blockNumber": hex(number), "transactionHash": f"0xt{number}", "request": request}
            )
        for gone in [n for n in self.hashes if n > number]:
            del self.hashes[gone]
        return number, self.hashes[number]

    def fetch(self, start: int, end: int) -> list[dict[str, Any]]:
        self.fetches.append((start, end))
        return [log for log in self.logs if start <= int(log["blockNumber"], 16) <= end]


def _index(fake: _Chain, combined: bool = False) -> AccessIndex:
    """The index over ``fake``; ``combined``: the check of the block indexed last and the logs
    after it read in one round trip (what :class:`RpcChain` does: one JSON-RPC batch)."""
    from govchain.node.chaintypes import AccessRecord

    def parse(log: Any) -> AccessRecord:
        z = b"\0" * 32
        return AccessRecord("0x0", z, z, z, z, "0x0", log["request"], z)

    def hash_and_logs(number: int, start: int, end: int) -> tuple[str | None, list[Any]]:
        return fake.hashes.get(number), fake.fetch(start, end)

    return AccessIndex(
        fake.fetch, parse, fake.hashes.get, hash_and_logs=hash_and_logs if combined else None
    )


@pytest.mark.parametrize("combined", [False, True])
def test_the_index_answers_only_records_of_blocks_on_the_chain_it_was_asked_at(
    combined: bool,
) -> None:
    fake = _Chain()
    index = _index(fake, combined)
    r = b"\x01" * 32
    head1 = fake.mine(1, "a")
    index.sync(head1)
    head2 = fake.mine(2, "a", request=r)
    index.sync(head2)
    assert index.lookup(r, "0xt2", head2[0]) is not None
    assert index.sync(head2) is None and fake.fetches == [(0, 1), (2, 2)]  # known: no read
    # back to block 1, a head it indexed before (the same hash): no read, and the record of
    # block 2 is above the head the request is judged at, so it is not answered
    del fake.hashes[2]
    index.sync(head1)
    assert index.lookup(r, "0xt2", head1[0]) is None
    assert index.rebuilds == 0 and fake.fetches == [(0, 1), (2, 2)]
    # another block 2 without the record: the replaced block is seen, the index rebuilt
    head2b = fake.mine(2, "b")
    index.sync(head2b)
    assert index.rebuilds == 1
    assert index.lookup(r, "0xt2", head2b[0]) is None and index.lookup(r, "0xt2") is None
    # a lagging reader's older head on the same chain reads nothing more
    fetched = len(fake.fetches)
    index.sync((1, fake.hashes[1]))
    assert len(fake.fetches) == fetched


@pytest.mark.parametrize("combined", [False, True])
def test_a_replaced_block_at_the_same_height_empties_and_rebuilds_the_index(
    combined: bool,
) -> None:
    fake = _Chain()
    index = _index(fake, combined)
    r = b"\x02" * 32
    index.sync(fake.mine(3, "a", request=r))
    assert index.lookup(r, "0xt3") is not None
    replaced = fake.mine(3, "b")  # the same height, another block, without the record
    index.sync(replaced)
    assert index.rebuilds == 1 and index.lookup(r, "0xt3") is None
    assert index.synced_to == 3


def test_logs_read_with_the_check_of_a_replaced_block_are_dropped_and_the_index_rebuilt() -> None:
    """One round trip reads the hash of the block indexed last and the logs after it: when that
    block was replaced (a reorganisation below the new head), those logs are not indexed; the
    index is emptied and rebuilt from block 0 of the chain as it is."""
    fake = _Chain()
    index = _index(fake, combined=True)
    r, s = b"\x04" * 32, b"\x05" * 32
    index.sync(fake.mine(3, "a", request=r))
    assert index.lookup(r, "0xt3") is not None and fake.fetches == [(0, 3)]
    fake.mine(3, "b")  # block 3 replaced (without the record), then block 4 with another
    head4 = fake.mine(4, "b", request=s)
    index.sync(head4)
    assert fake.fetches == [(0, 3), (4, 4), (0, 4)]  # the combined read, then the rebuild
    assert index.rebuilds == 1 and index.synced_to == 4
    assert index.lookup(r, "0xt3") is None and index.lookup(s, "0xt4", 4) is not None


def test_logs_read_while_the_head_was_replaced_are_not_indexed() -> None:
    """Review s26 I-1: the head is read, then the chain replaces that block before
    ``eth_getLogs`` answers: the logs may be the other fork's, so none is indexed (the head's
    hash is read again after the logs); the next head read indexes the chain as it is."""
    from govchain.node.chaintypes import AccessRecord

    fake = _Chain()
    r = b"\x03" * 32
    head = fake.mine(3, "a")
    reorganised: list[bool] = []

    def fetch(start: int, end: int) -> list[dict[str, Any]]:
        if not reorganised:  # another block 3, holding a record, replaces the head meanwhile
            reorganised.append(True)
            fake.mine(3, "b", request=r)
        return fake.fetch(start, end)

    def parse(log: Any) -> AccessRecord:
        z = b"\0" * 32
        return AccessRecord("0x0", z, z, z, z, "0x0", log["request"], z)

    index = AccessIndex(fetch, parse, fake.hashes.get)
    index.sync(head)
    assert index.discarded == 1 and index.synced_to == -1
    assert index.lookup(r, "0xt3") is None  # the fork's record was not taken for head 0xa3's
    index.sync((3, fake.hashes[3]))
    assert index.lookup(r, "0xt3", 3) is not None and index.discarded == 1


def test_a_worker_indexes_the_chain_before_it_serves(
    grants: Any, hrss: Holdings, rpc_url: str, addresses: Any, civil_staff: Any, chain: Any,
    now: int,
) -> None:  # fmt: skip
    """``RpcChain.warm`` (what each worker calls before serving): the access records up to the
    head are indexed, so no request pays for reading the chain's history."""
    terms = grant_for(grants, hrss.citizen, [PENSION], now)
    fresh = RpcChain(rpc_url, addresses, chain_id=chain.chain_id)
    prepared = DataNodeClient(fresh, local(civil_staff)).prepare(
        terms, PENSION, hrss.ids["pension"]
    )
    tx = record(grants, civil_staff, prepared)
    index = fresh._index
    assert isinstance(index, AccessIndex) and index.synced_to == -1
    fresh.warm()
    assert index.synced_to == int(chain.blocks.head.number)
    assert index.lookup(prepared.digest, tx) is not None
    fresh.close()
