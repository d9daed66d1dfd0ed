"""An objection text request the node answers ``timeout`` wrote nothing; one answered wrote
once.

The node bounds each POST with its ``request_timeout``, but its worker thread cannot be stopped:
before, a reason answered 504 went on to spend its nonce and keep the envelopes once the store
let it (a read: to spend its nonce), so the citizen, told it failed, had her request refused
``nonce_replayed`` when she sent it again. Now a request's writes (its nonce, the envelopes) are
one transaction committed only if the request may still be answered
(:func:`govchain.node.offers.written_in_time`): one that reached the store after its time ran
out is rolled back, and the same request sent again is served, once.

The store is made slow without mocks (another writer holds SQLite's write lock), on a real node
over HTTP and the devnet's ObjectionRegistry.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ecies
import pytest
from sqlalchemy import func, select

from govchain.node.chain import RpcChain
from govchain.node.objection_texts import READ_PATH, TEXT_PATH, ObjectionTextClient
from govchain.node.objections import ObjectionEnvelope
from govchain.node.protocol import unb64
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, UsedNonce, sqlite_url
from tests.node.helpers import running_node
from tests.services.objections.conftest import (  # noqa: F401 (fixtures)
    anchors,
    attest,
    attestations,
    citizen_ids,
    commitment,
    objections,
    schemas,
)
from tests.services.objections.test_objection_texts_node import (  # noqa: F401 (fixture)
    PSB,
    REASON,
    key,
    public,
    reader,
)
from tests.services.slow_store import answered_timeout, post, write_lock_held

#: the node answers ``timeout`` after this many seconds
TIMEOUT = 1.0


@pytest.fixture
def psb(tmp_path: Path, reader: RpcChain) -> Iterator[tuple[str, Store]]:
    """PSB's node, ``request_timeout`` :data:`TIMEOUT`."""
    store = Store(sqlite_url(tmp_path / "psb.db"))
    with running_node(DataNode(NodeConfig(PSB, request_timeout=TIMEOUT), store, reader)) as url:
        yield url, store
    store.dispose()


@pytest.fixture
def filed(
    objections: Any, attestations: Any, schemas: Any, depts: Any, citizens: list[Any]
) -> tuple[bytes, bytes]:
    """Alice's objection to a PSB attestation: (id, salt)."""
    alice = citizens[0]
    fact = attest(
        attestations, depts["PSB"].staff, alice, schemas["real_name"], salt=os.urandom(32)
    )
    salt = os.urandom(32)
    tx = objections.fileAttestationObjection(
        alice, fact.ref(), commitment(REASON, salt), sender=alice
    )
    return bytes(next(iter(tx.decode_logs(objections.ObjectionFiled))).id), salt


def _spent(store: Store, signer: str, body: dict[str, Any]) -> int:
    with store.session() as s:
        query = select(func.count()).where(
            UsedNonce.signer == signer, UsedNonce.nonce == str(body["request"]["nonce"])
        )
        return int(s.scalar(query) or 0)


def _envelopes(store: Store, oid: bytes) -> int:
    with store.session() as s:
        query = select(func.count()).where(ObjectionEnvelope.objection_id == oid)
        return int(s.scalar(query) or 0)


@dataclass(frozen=True)
class Objected:
    """PSB's node (``url``, ``store``), Alice's objection ``oid`` and her signed reason."""

    url: str
    store: Store
    oid: bytes
    reason: dict[str, Any]
    reader: RpcChain
    psb: Any  # the department's accounts
    alice: str


@pytest.fixture
def objected(
    reader: RpcChain,
    psb: tuple[str, Store],
    filed: tuple[bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> Objected:
    oid, salt = filed
    recipients = {a.address: public(a) for a in depts["PSB"].approvers}
    reason = ObjectionTextClient(reader, key(citizens[0])).text_body(
        PSB, oid, REASON, salt, recipients
    )
    return Objected(*psb, oid, reason, reader, depts["PSB"], citizens[0].address)


def test_a_reason_answered_timeout_wrote_nothing_and_is_taken_once_when_sent_again(
    objected: Objected,
) -> None:
    o, body = objected, objected.reason
    answered_timeout(o.store, o.url + TEXT_PATH, body, TIMEOUT)
    assert (_envelopes(o.store, o.oid), _spent(o.store, o.alice, body)) == (0, 0)
    # the same request sent again is taken, once
    status, answer = post(o.url + TEXT_PATH, body)
    assert status == 200 and answer["accepted"] is True, answer
    assert answer["recipients"] == len(o.psb.approvers)
    assert _envelopes(o.store, o.oid) == len(o.psb.approvers)
    assert _spent(o.store, o.alice, body) == 1
    status, answer = post(o.url + TEXT_PATH, body)
    assert (status, answer["reason"]) == (409, "nonce_replayed")


def test_a_reason_that_waited_for_the_store_within_its_time_is_answered_and_written_once(
    objected: Objected,
) -> None:
    o, body = objected, objected.reason
    with write_lock_held(o.store, TIMEOUT / 3) as freed:
        status, answer = post(o.url + TEXT_PATH, body)
        assert status == 200 and answer["accepted"] is True, answer
        assert freed.is_set()
    assert _envelopes(o.store, o.oid) == len(o.psb.approvers)
    assert _spent(o.store, o.alice, body) == 1


def test_a_read_answered_timeout_spent_no_nonce_and_is_served_once_when_sent_again(
    objected: Objected,
) -> None:
    o = objected
    assert post(o.url + TEXT_PATH, o.reason)[0] == 200
    approver = o.psb.approvers[0]
    body = ObjectionTextClient(o.reader, key(approver)).read_body(PSB, o.oid)
    answered_timeout(o.store, o.url + READ_PATH, body, TIMEOUT)
    assert _spent(o.store, approver.address, body) == 0
    status, answer = post(o.url + READ_PATH, body)
    assert status == 200, answer
    opened = json.loads(ecies.decrypt(key(approver).key, unb64(answer["ciphertext"])))
    assert opened["text"] == REASON
    assert _spent(o.store, approver.address, body) == 1
    status, answer = post(o.url + READ_PATH, body)
    assert (status, answer["reason"]) == (409, "nonce_replayed")
    # a new read by someone who may not read it: refused with its code, nothing served
    other = ObjectionTextClient(o.reader, key(o.psb.staff)).read_body(PSB, o.oid)
    status, answer = post(o.url + READ_PATH, other)
    assert (status, answer["reason"]) == (403, "not_owner_approver")
