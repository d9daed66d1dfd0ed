"""The node's per-block view cache and AccessRecorded index never answer for a later block or
for other terms.

- A grant revoked after the node cached it Live is refused at the next request (the revocation's
  block is a new head: every cached answer of the old head is dropped).
- Terms that do not hash to the grant id a request names cannot put their status in the cache
  under that id: the cache key is the id the terms hash to.
- An access record the index does not know is read from the receipt (the fallback), and an
  index entry answers only for the transaction that emitted it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient, NodeRefused
from govchain.sharing import grant_id
from tests.node.conftest import PENSION, Holdings, local
from tests.node.test_data_node import grant_for, record, refused


@pytest.fixture
def client(reader: RpcChain, depts: Any) -> DataNodeClient:
    return DataNodeClient(reader, local(depts["CIVIL"].staff))


def test_a_revocation_refuses_the_next_request_after_a_cached_live_status(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, depts: Any, now: int
) -> None:
    staff = depts["CIVIL"].staff
    terms = grant_for(grants, hrss.citizen, [PENSION], now, nonce=9001)
    first = client.prepare(terms, PENSION, hrss.ids["pension"])
    second = client.prepare(terms, PENSION, hrss.ids["pension"])
    first_tx, second_tx = record(grants, staff, first), record(grants, staff, second)
    client.fetch(node_url, first, first_tx)  # Live, cached for this head
    grants.revoke(grant_id(terms), sender=hrss.citizen)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, second, second_tx)
    assert refused(e) == (403, "grant_revoked")


def test_other_terms_cannot_answer_for_a_grant_id(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, depts: Any, now: int
) -> None:
    staff = depts["CIVIL"].staff
    revoked = grant_for(grants, hrss.citizen, [PENSION], now, nonce=9002)
    live = grant_for(grants, hrss.citizen, [PENSION], now, nonce=9003)
    prepared = client.prepare(revoked, PENSION, hrss.ids["pension"])
    tx = record(grants, staff, prepared)
    grants.revoke(grant_id(revoked), sender=hrss.citizen)
    body = prepared.body(tx)
    swapped = dict(body, grant=client.prepare(live, PENSION, hrss.ids["pension"]).body(tx)["grant"])
    with httpx.Client(timeout=30) as http:
        first = http.post(node_url + "/v1/records/fetch", json=swapped)
        assert (first.status_code, first.json()["reason"]) == (403, "grant_mismatch")
        # the live grant's status was read (and cached) for the swapped terms in this block;
        # the revoked grant's own terms still read Revoked
        second = http.post(node_url + "/v1/records/fetch", json=body)
        assert (second.status_code, second.json()["reason"]) == (403, "grant_revoked")


def test_an_index_entry_answers_only_for_its_own_transaction(
    grants: Any, hrss: Holdings, node_url: str, client: DataNodeClient, depts: Any, now: int
) -> None:
    staff = depts["CIVIL"].staff
    terms = grant_for(grants, hrss.citizen, [PENSION], now, nonce=9004)
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    other = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = record(grants, staff, prepared)
    other_tx = record(grants, staff, other)
    # the request's own record exists (indexed), but the request names another transaction
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, other_tx)
    assert refused(e) == (403, "access_record_mismatch")
    client.fetch(node_url, prepared, tx)


def test_a_block_replaced_at_the_same_height_never_answers_from_the_old_one() -> None:
    """A devnet reverted to a snapshot and mined again (or a reorg) reaches the same height
    with another block: the answers cached for the replaced block are not served for it."""
    from govchain.node.index import HeadCache

    cache = HeadCache()
    cache.put((5, "0xaa"), "status", "Revoked")
    assert cache.get((5, "0xaa"), "status") == "Revoked"
    assert cache.get((5, "0xbb"), "status") is None
    cache.put((4, "0xcc"), "status", "older")  # an older head never replaces the current one
    assert cache.get((4, "0xcc"), "status") is None
    cache.put((5, "0xbb"), "status", "Live")
    assert cache.get((5, "0xbb"), "status") == "Live"
    assert cache.get((5, "0xaa"), "status") is None
