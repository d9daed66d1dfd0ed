"""Outside review 1 (after the anchors/faults fixes of issue 15): proofs of concept.

Each test asserts the SECURE behaviour and failed on the code reviewed; each was marked
``xfail(strict=True)`` with its finding id until its fix landed. All are fixed and the markers
removed: R1-1, R1-2, R1-3, R1-4, R1-6 (docs/security-review/anchors.md, "Outside review 1") and
R1-5 (DepartmentRegistry refuses a dotted department code).

- R1-1 (invariant 2, node): the grant path of the data node does not re-check the signer's
  STAFF role at release; a member demoted after recording access still gets the record.
- R1-2 (node): a citizen's ``SubjectRequest`` names no node; the list request a citizen sends
  to one department's node is replayed by that node's operator at another department's node,
  which answers in the clear with the citizen's holdings there.
- R1-3 (invariant 1, audit): ``audit tamper`` iterates over the batch leaf count the publisher
  *declared* on chain (uint64): one anchored batch with a huge count and one store row pointing
  at it make the audit emit one finding per declared leaf (and never finish at 2**64 - 1), so
  the insider trio can make the audit unusable.
- R1-4 (invariant 1, audit): stored columns the node relies on are edited without the audit
  naming the record: the ``content_hash`` column (the node then refuses every release as
  ``record_altered``), and the textual form of ``subject`` (the node's list no longer shows
  the record to its citizen).
- R1-5 (catalog): department codes may contain a dot, so namespaces overlap: HRSS registers
  ``HRSS.X.DATA`` in the namespace of an admitted department ``HRSS.X``.
- R1-6 (node, informational): the node accepts v = 0/1 signatures that every contract
  (OpenZeppelin ECDSA) refuses, the same node/chain disagreement the high-s fix closed.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import ape
import httpx
import pytest
from sqlalchemy import update
from web3 import Web3

from govchain.audit.tamper import _absent_ranges, audit_tamper
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import CitizenClient, DataNodeClient
from govchain.node.protocol import Refusal
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, Batch, Record, Store, sqlite_url
from govchain.sharing import grant_tuple
from govchain.sharing.merkle import RecordTree, new_salt, record_hash
from tests.helpers import ROLE_AUDITOR, code
from tests.node.conftest import CIVIL, HRSS, PENSION, Holdings, local
from tests.sharing.conftest import make_terms

_nonces = itertools.count(71_000)  # grant nonces of this file


def _rid(tag: str) -> bytes:
    return f"r1-{tag}-{os.urandom(4).hex()}".encode().ljust(32, b"\0")


def _post(url: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    r = httpx.post(url + path, json=body, timeout=10)
    return r.status_code, r.json()


def _recorded(grants: Any, hrss: Holdings, staff: Any, reader: RpcChain, now: int) -> Any:
    """Alice's consent to Civil Affairs over her pension, a signed request and its access tx."""
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now, nonce=next(_nonces))
    grants.grant(grant_tuple(terms), sender=hrss.citizen)
    client = DataNodeClient(reader, local(staff))
    prepared = client.prepare(terms, PENSION, hrss.ids["pension"])
    tx = grants.recordAccess(grant_tuple(terms), PENSION, prepared.digest, sender=staff)
    return terms, client, prepared, str(tx.txn_hash)


# --- R1-1: the node does not re-check the role at release ---------------------------------------


def test_r1_1_a_member_demoted_after_recording_access_is_refused_by_the_node(
    grants: Any,
    hrss: Holdings,
    reader: RpcChain,
    civil_staff: Any,
    depts: Any,
    departments: Any,
    node_url: str,
    now: int,
) -> None:
    """The CIVIL clerk records access (STAFF, allowed), then its admin takes the STAFF role away
    (AUDITOR only). The chain now refuses the clerk any access record; the node must refuse the
    release too (invariant 2: the role is re-checked when the right is used). Today it serves."""
    terms, client, prepared, access_tx = _recorded(grants, hrss, civil_staff, reader, now)
    departments.setMemberRoles(civil_staff, ROLE_AUDITOR, sender=depts["CIVIL"].admin)
    again = client.prepare(terms, PENSION, hrss.ids["pension"])
    with ape.reverts(grants.AccessGrantNotStaff):
        grants.recordAccess(grant_tuple(terms), PENSION, again.digest, sender=civil_staff)
    status, body = _post(node_url, "/v1/records/fetch", prepared.body(access_tx))
    assert (status, body.get("reason")) == (403, "not_grantee_member"), body


# --- R1-2: a citizen's request is valid at every node ------------------------------------------


def test_r1_2_a_citizen_list_request_sent_to_one_node_is_refused_at_another(
    hrss: Holdings, reader: RpcChain, node_url: str
) -> None:
    """Alice asks the CIVIL node which records it holds about her (personal data space asks
    every department). The CIVIL operator keeps the signed body and replays it at the HRSS node
    within its validity: HRSS answers, unencrypted, with Alice's HRSS categories, record ids,
    versions and hashes. The request must name the node it is for and be refused elsewhere."""
    captured: dict[str, Any] = {}

    def rogue_civil_node(request: httpx.Request) -> httpx.Response:
        captured["body"] = json.loads(request.content)
        return httpx.Response(200, json={"records": []})

    alice = CitizenClient(
        reader,
        local(hrss.citizen),
        http=httpx.Client(transport=httpx.MockTransport(rogue_civil_node)),
    )
    assert alice.list_records("http://civil.node.example", CIVIL) == []
    status, body = _post(node_url, "/v1/subject/list", captured["body"])
    leaked = [r["recordId"] for r in body.get("records", [])]
    assert "0x" + hrss.ids["pension"].hex() not in leaked, "Alice's HRSS holdings leaked"
    assert status in (400, 401, 403)
    assert body.get("reason") in ("wrong_node", "not_subject_controller"), body


# --- R1-3: the audit's cost is chosen by the insider -------------------------------------------


def test_r1_3_a_declared_leaf_count_does_not_drive_the_audit(
    catalog: Any, depts: Any, reader: RpcChain, tmp_path: Path
) -> None:
    """The clerk anchors a batch whose declared leaf count is huge (the chain cannot check it:
    uint64, so 2**64 - 1 is accepted); the DBA adds one row of it to the store. The audit then
    lists one ``missing`` finding per declared leaf: at 200,000 here, and at 2**64 - 1 it never
    ends, hiding every other finding. It must report the mismatch once (cost bounded by the
    rows the store holds)."""
    staff = depts["HRSS"].staff
    huge = _rid("huge")
    huge_root = RecordTree.of_records(PENSION, [(huge, 1, b"\7" * 32)]).root
    catalog.anchorBatch(PENSION, huge_root, 2**64 - 1, sender=staff)  # accepted on chain
    rid = _rid("bomb")
    salt, content = new_salt(), b'{"x":1}'
    h = record_hash(PENSION, rid, 1, HRSS, None, "application/json", content, salt)
    root = RecordTree.of_records(PENSION, [(rid, 1, h)]).root
    declared = 200_000
    catalog.anchorBatch(PENSION, root, declared, sender=staff)
    store = Store(sqlite_url(tmp_path / "bomb.db"))
    with store.session() as s:
        batch = Batch(category=PENSION, root=root, leaf_count=1, state="done")
        s.add(batch)
        s.flush()
        s.add(
            Record(
                category=PENSION, record_id=rid, version=1, subject=None,
                media_type="application/json", content=content, salt=salt, content_hash=h,
                anchored=True, anchor_kind=BATCH, batch_id=batch.id, leaf_index=0,
            )
        )  # fmt: skip
    report = audit_tamper(store, reader, HRSS)
    about = [f for f in report.findings if f.batch_root == root]
    assert len(about) <= 2, f"{len(about)} findings for one batch of one stored row"
    missing = [f for f in about if f.status == "missing"]
    assert len(missing) == 1 and f"declares {declared} leaves" in missing[0].reason
    assert missing[0].leaf_index == 1  # the first absent position


def test_r1_3_absent_leaves_are_ranges_between_the_stored_rows() -> None:
    """The absent positions of a batch are computed from the stored leaf indices only (at most
    one range more than the rows), whatever the declared count."""
    top = 2**64 - 1
    assert _absent_ranges(top, [0, 5, None, 5, top + 3]) == [(1, 4), (6, top - 1)]
    assert _absent_ranges(3, [0, 1, 2]) == []
    assert _absent_ranges(2, []) == [(0, 1)]


# --- R1-4: stored columns edited without the audit naming the record ---------------------------


def _own_store(
    tmp_path: Path, w3: Web3, addresses: ChainAddresses, depts: Any, subject: str
) -> Any:
    store = Store(sqlite_url(tmp_path / "own.db"))
    rid = _rid("own")
    Publisher(store, HRSS).publish(PENSION, rid, {"monthly": 2999}, subject=subject)
    sink = ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))
    assert AnchorWorker(store, sink).drain() == 1
    return store, rid


def _named(report: Any, rid: bytes) -> list[Any]:
    return [f for f in report.findings if f.record_id == rid]


def test_r1_4a_an_edited_stored_record_hash_is_named_by_the_audit(
    w3: Web3, addresses: ChainAddresses, depts: Any, reader: RpcChain, hrss: Holdings,
    tmp_path: Path,
) -> None:  # fmt: skip
    """A DBA flips one byte of a single-anchored row's ``content_hash``: the node, which
    compares its recomputation with that column, now refuses every release of the record as
    ``record_altered`` ("the owner's store was altered") - yet the audit reports the record as
    ok. The audit must name it."""
    store, rid = _own_store(tmp_path, w3, addresses, depts, hrss.citizen.address)
    assert _named(audit_tamper(store, reader, HRSS), rid) == []
    with store.session() as s:
        row = s.query(Record).filter(Record.record_id == rid).one()
        row.content_hash = bytes([row.content_hash[0] ^ 1]) + row.content_hash[1:]
    node = DataNode(NodeConfig(HRSS), store, reader)
    body = CitizenClient(reader, local(hrss.citizen))._signed(PENSION, rid)
    with pytest.raises(Refusal) as refused:
        node.subject_fetch(body)
    assert refused.value.reason == "record_altered"
    assert _named(audit_tamper(store, reader, HRSS), rid), "the audit reports the row as ok"


def test_r1_4b_a_rewritten_subject_column_is_named_by_the_audit(
    w3: Web3, addresses: ChainAddresses, depts: Any, reader: RpcChain, hrss: Holdings,
    tmp_path: Path,
) -> None:  # fmt: skip
    """A DBA rewrites the subject column of Alice's row from its checksummed form to lower
    case (a one-byte edit per letter; the same address). The audit parses the column and says
    ok; the node's list matches the column as text, so the record disappears from Alice's
    personal data space (and a re-run of the same publish would make a version 2). Every
    stored column is to be bound: the audit must name the record."""
    alice = hrss.citizen.address
    store, rid = _own_store(tmp_path, w3, addresses, depts, alice)
    node = DataNode(NodeConfig(HRSS), store, reader)
    client = CitizenClient(reader, local(hrss.citizen))

    def listed() -> list[str]:
        return [
            r["recordId"] for r in node.subject_list(client._signed(PENSION, b"\0" * 32))["records"]
        ]

    assert "0x" + rid.hex() in listed()
    with store.session() as s:
        s.execute(update(Record).where(Record.record_id == rid).values(subject=alice.lower()))
    # the node compares addresses, not texts: the record stays in its citizen's list
    assert "0x" + rid.hex() in listed()
    assert _named(audit_tamper(store, reader, HRSS), rid), "the audit reports the row as ok"


# --- R1-5: namespaces overlap ----------------------------------------------------------------


def test_r1_5_no_category_code_lies_in_two_namespaces(departments: Any, accounts: Any) -> None:
    """``_inNamespace`` holds only if no department code contains a dot. With ``HRSS.X``
    admitted (a sub-bureau code), HRSS's admin could register ``HRSS.X.DATA`` - squatting the
    namespace of HRSS.X. The registry refuses a dotted department code, so namespaces cannot
    overlap."""
    sub, admin = code("HRSS.X"), accounts[57]
    with ape.reverts(departments.DepartmentInvalidCode, code=sub):
        departments.propose(sub, "HRSS sub-bureau", 330100, "", b"\0" * 32, admin, sender=admin)


# --- R1-6: v = 0/1 signatures --------------------------------------------------------------------


def test_r1_6_a_signature_with_v_0_or_1_is_refused_as_on_chain(
    grants: Any, hrss: Holdings, reader: RpcChain, civil_staff: Any, node_url: str, now: int
) -> None:
    """OpenZeppelin's ECDSA (every contract) refuses v outside {27, 28}; the node accepts v - 27
    as well, so the node and the chain still disagree on what a valid signature is."""
    _terms, _client, prepared, access_tx = _recorded(grants, hrss, civil_staff, reader, now)
    body = prepared.body(access_tx)
    sig = bytearray(prepared.signature)
    sig[64] -= 27
    body["signature"] = "0x" + bytes(sig).hex()
    status, answer = _post(node_url, "/v1/records/fetch", body)
    assert (status, answer.get("reason")) == (401, "bad_signature"), answer
