"""An offer request the node answers ``timeout`` wrote nothing; one answered wrote once.

The node bounds each POST with its ``request_timeout``, but its worker thread cannot be stopped:
before, an acceptance answered 504 went on to spend its nonce and keep the acceptance once the
store let it, so the citizen, told it failed, found her offer signed and her request refused
``nonce_replayed`` when she sent it again. Now the request's writes (its nonce, the acceptance)
are one transaction committed only if the request may still be answered
(:func:`govchain.node.offers.written_in_time`): a request that reached the store after its
time ran out is rolled back, and the same request sent again is served, once.

The store is made slow without mocks: another writer holds SQLite's write lock (the node waits
up to 10 s for it), on a real node over HTTP and the devnet's CitizenRegistry.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from govchain.node.chain import RpcChain
from govchain.node.offers import OFFERS_CATEGORY, ZERO32
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, UsedNonce, sqlite_url
from govchain.services.inbox import OfferInbox
from govchain.services.offerbox import OfferBox
from tests.node.conftest import (  # noqa: F401 (fixtures)
    CIVIL,
    addresses,
    catalog,
    cats,
    grants,
    local,
    reader,
    registry,
    rpc_url,
)
from tests.node.helpers import running_node
from tests.services.slow_store import answered_timeout, post, write_lock_held

#: the node answers ``timeout`` after this many seconds; the lock is held longer or shorter
TIMEOUT = 1.0
OFFER = "0x" + "0f" * 32
LIST, ACCEPT = "/v1/offers/list", "/v1/offers/accept"


@pytest.fixture
def civil(tmp_path: Path, reader: RpcChain, citizens: list[Any]) -> Iterator[tuple[str, Store]]:
    """CIVIL's node (``request_timeout`` :data:`TIMEOUT`) holding one open offer to Alice."""
    store = Store(sqlite_url(tmp_path / "civil.db"))
    OfferBox(store.engine).add(
        OFFER, "0x" + "5e" * 32, citizens[0].address, 2**40, b"sealed", "0x" + "00" * 32, 2**40
    )
    node = DataNode(NodeConfig(CIVIL, request_timeout=TIMEOUT), store, reader)
    with running_node(node) as url:
        yield url, store
    store.dispose()


def _acceptance(inbox: OfferInbox) -> dict[str, Any]:
    body = inbox._signed(OFFERS_CATEGORY, bytes.fromhex(OFFER[2:]), CIVIL)
    body["acceptance"] = {
        "signer": inbox.account.address,
        "consentHash": "0x" + "c0" * 32,
        "requirementsHash": "0x" + "7e" * 32,
        "deadline": 2**40,
        "signature": "0x" + "11" * 65,
    }
    return body


def _spent(store: Store, body: dict[str, Any]) -> int:
    signer = body.get("acceptance", {}).get("signer") or body["request"]["subject"]
    with store.session() as s:
        query = select(func.count()).where(
            UsedNonce.signer == signer, UsedNonce.nonce == str(body["request"]["nonce"])
        )
        return int(s.scalar(query) or 0)


def _offer(store: Store) -> tuple[str, str | None]:
    row = OfferBox(store.engine).get(OFFER)
    assert row is not None
    return row.state, row.acceptance


def test_an_acceptance_answered_timeout_wrote_nothing_and_is_accepted_once_when_sent_again(
    civil: tuple[str, Store], reader: RpcChain, citizens: list[Any]
) -> None:
    url, store = civil
    body = _acceptance(OfferInbox(reader, local(citizens[0])))
    answered_timeout(store, url + ACCEPT, body, TIMEOUT)
    assert _offer(store) == ("offered", None)
    assert _spent(store, body) == 0
    # the same request sent again is accepted, once
    assert post(url + ACCEPT, body) == (200, {"offerId": OFFER, "state": "signed"})
    state, kept = _offer(store)
    assert state == "signed" and kept is not None and body["acceptance"]["signature"] in kept
    assert _spent(store, body) == 1
    status, answer = post(url + ACCEPT, body)
    assert (status, answer["reason"]) == (409, "nonce_replayed")
    # a new request for the signed offer: refused, its nonce spent as before
    again = _acceptance(OfferInbox(reader, local(citizens[0])))
    status, answer = post(url + ACCEPT, again)
    assert (status, answer["reason"]) == (409, "offer_not_open")
    assert _spent(store, again) == 1


def test_an_acceptance_that_waited_for_the_store_within_its_time_is_answered_and_written_once(
    civil: tuple[str, Store], reader: RpcChain, citizens: list[Any]
) -> None:
    url, store = civil
    body = _acceptance(OfferInbox(reader, local(citizens[0])))
    with write_lock_held(store, TIMEOUT / 3) as freed:
        assert post(url + ACCEPT, body) == (200, {"offerId": OFFER, "state": "signed"})
        assert freed.is_set()  # it was answered after the store was freed, late but in time
    assert _offer(store)[0] == "signed"
    assert _spent(store, body) == 1


def test_a_list_answered_timeout_spent_no_nonce_and_is_served_once_when_sent_again(
    civil: tuple[str, Store], reader: RpcChain, citizens: list[Any]
) -> None:
    url, store = civil
    body = OfferInbox(reader, local(citizens[0]))._signed(OFFERS_CATEGORY, ZERO32, CIVIL)
    answered_timeout(store, url + LIST, body, TIMEOUT)
    assert _spent(store, body) == 0
    status, answer = post(url + LIST, body)
    assert status == 200, answer
    assert [o["offerId"] for o in answer["offers"]] == [OFFER]
    assert _spent(store, body) == 1
    status, answer = post(url + LIST, body)
    assert (status, answer["reason"]) == (409, "nonce_replayed")
