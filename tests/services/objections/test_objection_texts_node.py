"""Objection texts through the owner's data node, over HTTP against a real node and devnet.

The citizen seals her reason (ECIES) to the published encryption key of each of PSB's active
approvers and posts the envelopes to PSB's node (the owner of the attestation objected to); the
node takes them only from her (or her agent), only if the commitment she signed is the one the
objection id binds, only if each envelope is for an active PSB approver and they hash to what
she signed, and only at the owner's node; it never sees the text. PSB's approvers read and open
their own envelope and check it against the chain's commitment; the rejection text, committed
on chain by the k-of-n rejection, goes back sealed to the citizen's key and only she reads it.
Each refusal is named by its reason code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coincurve
import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import NodeRefused
from govchain.node.objection_texts import (
    ObjectionTextClient,
    TextTampered,
    seal,
    sealed_hash,
)
from govchain.node.objections import ObjectionEnvelope, ObjectionTextRow
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, sqlite_url
from tests.helpers import code
from tests.node.helpers import running_node
from tests.services.objections.conftest import AGENT, DAY, attest, commitment, reject

PSB, HRSS = code("PSB"), code("HRSS")
REASON = "The register lists me at Wenyi Road 88; I moved to Tianmushan Road 3 in 2024"
REJECTION = "Our register follows your own declaration of 2024-03-01"
ENC_KEY = b"did/pub/Secp256k1/enc/hex".ljust(32, b"\0")


def key(account: Any) -> LocalAccount:
    made: LocalAccount = Account.from_key(account.private_key)
    return made


def public(account: Any) -> bytes:
    return bytes(coincurve.PrivateKey(key(account).key).public_key.format(compressed=True))


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


@pytest.fixture(scope="module")
def published(citizen_ids: Any, depts: Any, citizens: list[Any]) -> None:
    """PSB's approvers and Alice publish their encryption keys (ERC-1056, their own act)."""
    for who in (*depts["PSB"].approvers, citizens[0]):
        citizen_ids.setAttribute(who, ENC_KEY, public(who), 365 * DAY, sender=who)


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


def approvers(depts: Any) -> dict[str, bytes]:
    """What the citizen's client finds on chain: PSB's approvers' published keys."""
    return {a.address: public(a) for a in depts["PSB"].approvers}


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


def test_reason_is_sealed_to_the_owners_approvers_and_only_they_read_it(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    published: None,
    depts: Any,
    citizens: list[Any],
) -> None:
    url, store = psb_node
    oid, salt, made = filed
    psb = depts["PSB"]
    answer = client(reader, citizens[0]).post(url, PSB, oid, REASON, salt, approvers(depts))
    assert answer["accepted"] is True and answer["kind"] == "reason"
    assert answer["recipients"] == len(psb.approvers)
    # the store holds ciphertext only: not the text, not its salt
    with store.session() as s:
        rows = s.query(ObjectionEnvelope).filter_by(objection_id=oid).all()
        assert {r.recipient for r in rows} == {a.address for a in psb.approvers}
        for r in rows:
            assert REASON.encode() not in r.ciphertext and salt not in r.ciphertext
    database = Path(store.url.removeprefix("sqlite:///")).read_bytes()
    assert REASON.encode() not in database
    for approver in psb.approvers:
        read = client(reader, approver).read(url, PSB, oid, made)
        assert read.text == REASON and read.salt == salt
    # staff, the citizen herself and another department's approver are not PSB's approvers
    for who in (psb.staff, citizens[0], depts["HRSS"].approvers[0]):
        with refused("not_owner_approver"):
            client(reader, who).read(url, PSB, oid, made)


def test_an_envelope_for_anyone_but_an_active_owner_approver_is_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    for outsider in (depts["PSB"].staff, depts["HRSS"].approvers[0], citizens[1]):
        keys = {**approvers(depts), outsider.address: public(outsider)}
        with refused("wrong_recipient"):
            alice.post(psb_node[0], PSB, oid, REASON, salt, keys)


def test_envelopes_other_than_those_signed_are_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    body = alice.text_body(PSB, oid, REASON, salt, approvers(depts))
    body["sealed"] = body["sealed"][:1]  # one envelope dropped after signing
    r = httpx.post(psb_node[0] + "/v1/objections/text", json=body, timeout=10)
    assert r.status_code == 400 and r.json()["reason"] == "sealed_mismatch"


def test_agent_delegate_posts_for_her(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    citizen_ids: Any,
    depts: Any,
    citizens: list[Any],
) -> None:
    alice, agent = citizens[0], citizens[2]
    citizen_ids.addDelegate(alice, AGENT, agent, 30 * DAY, sender=alice)
    oid, salt, _ = filed
    assert client(reader, agent).post(psb_node[0], PSB, oid, REASON, salt, approvers(depts))[
        "accepted"
    ]


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
            client(reader, who).post(psb_node[0], PSB, oid, REASON, salt, approvers(depts))


def test_reason_that_does_not_match_the_commitment_is_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    keys = approvers(depts)
    with refused("commitment_mismatch"):
        alice.post(psb_node[0], PSB, oid, REASON + " (and more)", salt, keys)
    with refused("commitment_mismatch"):
        alice.post(psb_node[0], PSB, oid, REASON, os.urandom(32), keys)


def test_a_sealed_text_that_does_not_open_to_the_commitment_is_caught_by_the_approver(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    """The node cannot open an envelope: it takes one signed with the right commitment whatever
    it holds; the approver who opens it finds the text does not hash to the commitment."""
    url, _ = psb_node
    oid, salt, made = filed
    alice = client(reader, citizens[0])
    body = alice.text_body(PSB, oid, REASON, salt, approvers(depts))
    lying = seal(oid, "another text", salt, approvers(depts))
    body["sealed"] = [
        {"recipient": a, "ciphertext": __import__("base64").b64encode(c).decode()}
        for a, c in lying.items()
    ]
    from govchain.node.objection_texts import OBJECTION_TEXT

    msg = {
        "department": PSB,
        "objectionId": oid,
        "rejection": False,
        "commitment": made,
        "sealedHash": sealed_hash(lying),
        "nonce": int(body["request"]["nonce"]) + 1,
        "expiry": body["request"]["expiry"],
    }
    body["request"] |= {"sealedHash": "0x" + msg["sealedHash"].hex(), "nonce": str(msg["nonce"])}
    body["signature"] = "0x" + OBJECTION_TEXT.sign(key(citizens[0]).key, alice.domain, msg).hex()
    r = httpx.post(url + "/v1/objections/text", json=body, timeout=10)
    assert r.status_code == 200, r.text
    with pytest.raises(TextTampered, match="does not hash to the commitment"):
        client(reader, depts["PSB"].approvers[0]).read(url, PSB, oid, made)


def test_reason_at_another_departments_node_is_refused(
    reader: RpcChain,
    hrss_node: str,
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    with refused("wrong_node"):  # signed for PSB's node, sent to HRSS's
        alice.post(hrss_node, PSB, oid, REASON, salt, approvers(depts))
    with refused("wrong_node"):  # signed for HRSS's node, which does not own the objection
        alice.post(hrss_node, HRSS, oid, REASON, salt, approvers(depts))


def test_unknown_objection_and_replayed_request_are_refused(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    oid, salt, _ = filed
    alice = client(reader, citizens[0])
    with refused("objection_unknown"):
        alice.post(psb_node[0], PSB, b"\x44" * 32, REASON, salt, approvers(depts))
    body = alice.text_body(PSB, oid, REASON, salt, approvers(depts))
    first = httpx.post(psb_node[0] + "/v1/objections/text", json=body, timeout=10)
    assert first.status_code == 200, first.text
    replay = httpx.post(psb_node[0] + "/v1/objections/text", json=body, timeout=10)
    assert replay.status_code == 409 and replay.json()["reason"] == "nonce_replayed"


def test_rejection_text_goes_back_sealed_to_the_citizen_only(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    objections: Any,
    filed: tuple[bytes, bytes, bytes],
    published: None,
    depts: Any,
    citizens: list[Any],
) -> None:
    url, store = psb_node
    oid, _, _ = filed
    psb, alice = depts["PSB"], citizens[0]
    salt = os.urandom(32)
    made = commitment(REJECTION, salt)
    to_her = {alice.address: public(alice)}
    approver = client(reader, psb.approvers[0])
    with refused("objection_not_rejected"):
        approver.post(url, PSB, oid, REJECTION, salt, to_her, rejection=True)
    reject(objections, psb.approvers[:2], oid, made)
    with refused("not_owner_approver"):
        client(reader, psb.staff).post(url, PSB, oid, REJECTION, salt, to_her, rejection=True)
    with refused("commitment_mismatch"):
        approver.post(url, PSB, oid, REJECTION + ".", salt, to_her, rejection=True)
    with refused("wrong_recipient"):  # sealed to an approver rather than to her
        approver.post(url, PSB, oid, REJECTION, salt, approvers(depts), rejection=True)
    posted = approver.post(url, PSB, oid, REJECTION, salt, to_her, rejection=True)
    assert posted["kind"] == "rejection" and posted["recipients"] == 1
    with store.session() as s:
        [row] = s.query(ObjectionEnvelope).filter_by(objection_id=oid, kind="rejection").all()
        assert row.recipient == alice.address and REJECTION.encode() not in row.ciphertext
    got = client(reader, alice).read(url, PSB, oid, made, rejection=True)
    assert got.text == REJECTION
    with refused("not_subject_controller"):
        client(reader, citizens[1]).read(url, PSB, oid, made, rejection=True)


def test_envelope_swapped_in_the_nodes_store_is_refused_by_the_reader(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    url, store = psb_node
    oid, salt, made = filed
    approver = depts["PSB"].approvers[2]
    with refused("text_not_found"):
        client(reader, approver).read(url, PSB, oid, made)
    client(reader, citizens[0]).post(url, PSB, oid, REASON, salt, approvers(depts))
    other = seal(b"\x55" * 32, "I withdraw everything", salt, {approver.address: public(approver)})
    with store.session() as s:
        row = s.get(ObjectionEnvelope, (oid, "reason", approver.address))
        assert row is not None
        row.ciphertext = other[approver.address]
    with pytest.raises(TextTampered, match="names another objection"):
        client(reader, approver).read(url, PSB, oid, made)


def test_a_clear_text_kept_before_revision_0002_is_still_served_sealed_to_the_reader(
    reader: RpcChain,
    psb_node: tuple[str, Store],
    filed: tuple[bytes, bytes, bytes],
    depts: Any,
    citizens: list[Any],
) -> None:
    url, store = psb_node
    oid, salt, made = filed
    with store.session() as s:  # what the node before 0002 wrote
        s.add(
            ObjectionTextRow(
                objection_id=oid,
                kind="reason",
                text=REASON,
                salt=salt,
                commitment=made,
                poster=citizens[0].address,
            )
        )
    assert client(reader, depts["PSB"].approvers[1]).read(url, PSB, oid, made).text == REASON
