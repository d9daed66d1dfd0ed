"""Objection texts through the owner's data node, over HTTP against a real node and devnet.

The citizen posts her reason to PSB's node (the owner of the attestation objected to); the node
takes it only from her (or her agent), only if it hashes with its salt to the commitment the
objection id binds, and only at the owner's node; PSB's approvers read it (encrypted to their
key); the rejection text, committed on chain by the k-of-n rejection, goes back the same way and
only the citizen reads it. Each refusal is named by its reason code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import NodeRefused
from govchain.node.objection_texts import ObjectionTextClient, TextTampered
from govchain.node.objections import ObjectionTextRow
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, sqlite_url
from tests.helpers import code
from tests.node.helpers import running_node
from tests.services.objections.conftest import AGENT, DAY, attest, commitment, reject

PSB, HRSS = code("PSB"), code("HRSS")
REASON = "The register lists me at Wenyi Road 88; I moved to Tianmushan Road 3 in 2024"
REJECTION = "Our register follows your own declaration of 2024-03-01"


def key(account: Any) -> LocalAccount:
    made: LocalAccount = Account.from_key(account.private_key)
    return made


@pytest.fixture(scope="module")
def reader(
    chain: Any, departments: Any, anchors: Any, citizen_ids: Any, objections: Any
) -> RpcChain:
    # these endpoints read no grant: the AccessGrants slot only names the nodes' EIP-712 domain
    addresses = ChainAddresses(
        departments.address,
        objections.address,
        anchors.address,
        citizen_ids.address,
        objections=objections.address,
    )
    return RpcChain(str(chain.provider.http_uri), addresses, chain_id=chain.chain_id)


def _serve(tmp: Path, dept: bytes, reader: RpcChain) -> Iterator[tuple[str, Store]]:
    store = Store(sqlite_url(tmp / "node.db"))
    with running_node(DataNode(NodeConfig(dept), store, reader)) as url:
        yield url, store
    store.dispose()


@pytest.fixture(scope="module")
def psb_node(
    tmp_path_factory: pytest.TempPathFactory, reader: RpcChain
) -> Iterator[tuple[str, Store]]:
    yield from _serve(tmp_path_factory.mktemp("psb"), PSB, reader)


@pytest.fixture(scope="module")
def hrss_node(tmp_path_factory: pytest.TempPathFactory, reader: RpcChain) -> Iterator[str]:
    for url, _store in _serve(tmp_path_factory.mktemp("hrss"), HRSS, reader):
        yield url


def client(reader: RpcChain, account: Any) -> ObjectionTextClient:
    return ObjectionTextClient(reader, key(account))


def refused(reason: str) -> Any:
    return pytest.raises(NodeRefused, match=rf"\b{reason}\b")


@pytest.fixture
def filed(
    objections: Any, attestations: Any, schemas: Any, depts: Any, citizens: list[Any]
) -> tuple[bytes, bytes, bytes]:
    """Alice's objection to a PSB attestation: (id, salt, commitment)."""
    alice = citizens[0]
    fact = attest(
        attestations, depts["PSB"].staff, alice, schemas["real_name"], salt=os.urandom(32)
    )
    salt = os.urandom(32)
    made = commitment(REASON, salt)
    tx = objections.fileAttestationObjection(alice, fact.ref(), made, sender=alice)
    oid = bytes(next(iter(tx.decode_logs(objections.ObjectionFiled))).id)
    return oid, salt, made


def test_reason_goes_to_the_owners_node_and_only_its_approvers_read_it(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    url, _ = psb_node
    oid, salt, made = filed
    psb = depts["PSB"]
    answer = client(reader, citizens[0]).post(url, PSB, oid, REASON, salt)
    assert answer["accepted"] is True and answer["kind"] == "reason"
    read = client(reader, psb.approvers[1]).read(url, PSB, oid, made)
    assert read.text == REASON and read.salt == salt
    # staff, the citizen herself and another department's approver are not PSB's approvers
    for who in (psb.staff, citizens[0], depts["HRSS"].approvers[0]):
        with refused("not_owner_approver"):
            client(reader, who).read(url, PSB, oid, made)


def test_agent_delegate_posts_for_her(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    citizen_ids: Any,
    citizens: list[Any],
) -> None:
    alice, agent = citizens[0], citizens[2]
    citizen_ids.addDelegate(alice, AGENT, agent, 30 * DAY, sender=alice)
    oid, salt, _ = filed
    assert client(reader, agent).post(psb_node[0], PSB, oid, REASON, salt)["accepted"]


def test_reason_from_someone_else_is_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    citizens: list[Any],
    depts: Any,
) -> None:
    oid, salt, _ = filed
    for who in (citizens[1], depts["PSB"].approvers[0]):
        with refused("not_subject_controller"):
            client(reader, who).post(psb_node[0], PSB, oid, REASON, salt)


def test_reason_that_does_not_match_the_commitment_is_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    with refused("commitment_mismatch"):
        alice.post(psb_node[0], PSB, oid, REASON + " (and more)", salt)
    with refused("commitment_mismatch"):
        alice.post(psb_node[0], PSB, oid, REASON, os.urandom(32))


def test_reason_at_another_departments_node_is_refused(
    reader: RpcChain, hrss_node: str, filed: tuple[bytes, bytes, bytes], citizens: list[Any]
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    with refused("wrong_node"):  # signed for PSB's node, sent to HRSS's
        alice.post(hrss_node, PSB, oid, REASON, salt)
    with refused("wrong_node"):  # signed for HRSS's node, which does not own the objection
        alice.post(hrss_node, HRSS, oid, REASON, salt)


def test_unknown_objection_and_replayed_request_are_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    with refused("objection_unknown"):
        alice.post(psb_node[0], PSB, b"\x44" * 32, REASON, salt)
    body = alice.text_body(PSB, oid, REASON, salt)
    first = httpx.post(psb_node[0] + "/v1/objections/text", json=body, timeout=10)
    assert first.status_code == 200, first.text
    replay = httpx.post(psb_node[0] + "/v1/objections/text", json=body, timeout=10)
    assert replay.status_code == 409 and replay.json()["reason"] == "nonce_replayed"


def test_rejection_text_goes_back_to_the_citizen_only(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    objections: Any,
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    url, _ = psb_node
    oid, _, _ = filed
    psb = depts["PSB"]
    salt = os.urandom(32)
    made = commitment(REJECTION, salt)
    approver = client(reader, psb.approvers[0])
    with refused("objection_not_rejected"):
        approver.post(url, PSB, oid, REJECTION, salt, rejection=True)
    reject(objections, psb.approvers[:2], oid, made)
    with refused("not_owner_approver"):
        client(reader, psb.staff).post(url, PSB, oid, REJECTION, salt, rejection=True)
    with refused("commitment_mismatch"):
        approver.post(url, PSB, oid, REJECTION + ".", salt, rejection=True)
    assert approver.post(url, PSB, oid, REJECTION, salt, rejection=True)["kind"] == "rejection"
    got = client(reader, citizens[0]).read(url, PSB, oid, made, rejection=True)
    assert got.text == REJECTION
    with refused("not_subject_controller"):
        client(reader, citizens[1]).read(url, PSB, oid, made, rejection=True)


def test_text_altered_in_the_nodes_store_is_refused_by_the_reader(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    url, store = psb_node
    oid, salt, made = filed
    approver = client(reader, depts["PSB"].approvers[2])
    with refused("text_not_found"):
        approver.read(url, PSB, oid, made)
    client(reader, citizens[0]).post(url, PSB, oid, REASON, salt)
    with store.session() as s:
        row = s.get(ObjectionTextRow, (oid, "reason"))
        assert row is not None
        row.text = "I withdraw everything"
    with pytest.raises(TextTampered, match="does not hash to the commitment"):
        approver.read(url, PSB, oid, made)
