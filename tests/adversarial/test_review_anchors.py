"""Findings of the independent review on anchors (issue 15): M-2 and "record columns not bound
to the anchor". Each attack is refused with a named code (the requester's acceptance rule,
``govchain.sharing.acceptance``), a named custom error on chain, a node refusal, or a finding of
``audit tamper`` naming the record.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import ape
import pytest
from sqlalchemy import select, update

from govchain.audit.tamper import audit_tamper
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import RpcChain
from govchain.node.client import NodeRefused
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, Batch, Record, Store, sqlite_url
from govchain.sharing.acceptance import (
    ALTERED,
    CONFLICT,
    NOT_ANCHORED,
    SUPERSEDED,
    RecordColumns,
    RecordRefused,
    SeenRecords,
    accept_columns,
    accept_record,
    proof_json,
)
from govchain.sharing.merkle import RecordTree, new_salt, record_hash, record_leaf
from tests.node.conftest import HRSS, PENSION, Holdings, local
from tests.node.test_tamper import fetch

_ids = itertools.count(1)


def _rid() -> bytes:
    return f"m2-{next(_ids)}-{os.urandom(4).hex()}".encode().ljust(32, b"\0")


def _h(text: str) -> bytes:
    return record_hash(PENSION, b"\1" * 32, 1, HRSS, None, "text/plain", text.encode(), b"\2" * 32)


def _batch(catalog: Any, staff: Any, leaves: list[tuple[bytes, int, bytes]]) -> RecordTree:
    tree = RecordTree.of_records(PENSION, leaves)
    catalog.anchorBatch(PENSION, tree.root, len(tree), sender=staff)
    return tree


def _proof(tree: RecordTree, rid: bytes, version: int, h: bytes) -> dict[str, Any]:
    return proof_json(tree.root, tree.proof_of(record_leaf(PENSION, rid, version, h)))


def _refused(code: str, *args: Any, **kwargs: Any) -> RecordRefused:
    with pytest.raises(RecordRefused) as info:
        accept_record(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


# --- M-2: a version is written once, for single and batch anchors alike ---------------------


def test_m2_batch_reanchoring_of_a_single_anchored_record_is_refused(
    catalog: Any, depts: Any, reader: RpcChain
) -> None:
    """The insider trio puts an edited version 1 of a single-anchored record in a new batch:
    the chain's latest version is 1, so only the single anchor counts - the node cannot make
    the requester take the batch proof instead."""
    staff = depts["HRSS"].staff
    rid, h1, forged = _rid(), _h("pension 3200"), _h("pension 9200")
    catalog.anchorRecord(PENSION, rid, 1, h1, sender=staff)
    tree = _batch(catalog, staff, [(rid, 1, forged), (_rid(), 1, _h("other"))])
    _refused(ALTERED, reader, PENSION, rid, 1, forged, _proof(tree, rid, 1, forged))
    accepted = accept_record(reader, PENSION, rid, 1, h1, _proof(tree, rid, 1, forged))
    assert (accepted.kind, accepted.version) == ("single", 1)  # the node's proof was ignored


def test_m2_superseded_version_is_refused(catalog: Any, depts: Any, reader: RpcChain) -> None:
    """A requester never accepts a version older than the latest anchored one - single or
    batch: after version 2, version 1 (genuine, with its genuine batch proof) is superseded."""
    staff = depts["HRSS"].staff
    rid, h1, h2 = _rid(), _h("v1"), _h("v2")
    catalog.anchorRecord(PENSION, rid, 1, h1, sender=staff)
    catalog.anchorRecord(PENSION, rid, 2, h2, sender=staff)
    _refused(SUPERSEDED, reader, PENSION, rid, 1, h1)
    assert accept_record(reader, PENSION, rid, 2, h2).version == 2
    _refused(NOT_ANCHORED, reader, PENSION, rid, 3, _h("v3"))
    batched, b1, b2 = _rid(), _h("b1"), _h("b2")
    tree = _batch(catalog, staff, [(batched, 1, b1), (_rid(), 1, _h("x"))])
    proof = _proof(tree, batched, 1, b1)
    assert accept_record(reader, PENSION, batched, 1, b1, proof).kind == "batch"
    catalog.anchorRecordAfterBatch(
        PENSION, batched, tree.root, b1, tree.proof_of(record_leaf(PENSION, batched, 1, b1)), b2,
        sender=staff,
    )  # fmt: skip
    _refused(SUPERSEDED, reader, PENSION, batched, 1, b1, proof)
    assert accept_record(reader, PENSION, batched, 2, b2).kind == "single"


def test_m2_second_single_anchoring_of_a_version_is_refused_on_chain(
    catalog: Any, depts: Any
) -> None:
    """Refused on chain: any second single anchoring of (record, version), pinned from a batch
    or not, and any gap."""
    staff = depts["HRSS"].staff
    rid, b1 = _rid(), _h("b1")
    tree = _batch(catalog, staff, [(rid, 1, b1), (_rid(), 1, _h("y"))])
    proof = tree.proof_of(record_leaf(PENSION, rid, 1, b1))
    catalog.anchorRecordAfterBatch(PENSION, rid, tree.root, b1, proof, _h("b2"), sender=staff)
    for version in (1, 2):
        with ape.reverts(
            catalog.AnchorVersionExists, category=PENSION, recordId=rid, version=version
        ):
            catalog.anchorRecord(PENSION, rid, version, _h("forged"), sender=staff)
    with ape.reverts(catalog.AnchorVersionGap, category=PENSION, recordId=rid, version=4):
        catalog.anchorRecord(PENSION, rid, 4, _h("v4"), sender=staff)


def test_m2_a_batch_leaf_of_a_later_version_is_refused(
    catalog: Any, depts: Any, reader: RpcChain
) -> None:
    """Batches publish first versions only: a leaf claiming version 2 (the record has no single
    anchor) is not acceptable, whatever the proof."""
    rid, h = _rid(), _h("v2 in a batch")
    tree = _batch(catalog, depts["HRSS"].staff, [(rid, 2, h), (_rid(), 1, _h("z"))])
    _refused(NOT_ANCHORED, reader, PENSION, rid, 2, h, _proof(tree, rid, 2, h))


def test_m2_requester_memory_refuses_another_content_for_an_accepted_version(
    catalog: Any, depts: Any, reader: RpcChain, tmp_path: Path
) -> None:
    """The same record published as version 1 in two batches: the chain cannot tell (one slot a
    batch), a requester that accepted the first refuses the second (conflict), also after a
    restart (the memory is a file); a fresh requester would accept it - the audit names it."""
    staff = depts["HRSS"].staff
    rid, h, forged = _rid(), _h("first"), _h("second")
    a = _batch(catalog, staff, [(rid, 1, h), (_rid(), 1, _h("a"))])
    b = _batch(catalog, staff, [(rid, 1, forged), (_rid(), 1, _h("b"))])
    seen = SeenRecords(tmp_path / "seen.json")
    accept_record(reader, PENSION, rid, 1, h, _proof(a, rid, 1, h), seen)
    again = SeenRecords(tmp_path / "seen.json")
    _refused(CONFLICT, reader, PENSION, rid, 1, forged, _proof(b, rid, 1, forged), again)
    assert accept_record(reader, PENSION, rid, 1, forged, _proof(b, rid, 1, forged)).kind == "batch"


# --- the store: audit tamper names the record ------------------------------------------------


@pytest.fixture
def store(
    tmp_path: Path, w3: Any, addresses: Any, depts: Any, citizens: list[Any]
) -> tuple[Store, ChainAnchorSink, dict[str, bytes]]:
    """A fresh HRSS store: two single records, four batched first versions, all anchored."""
    store = Store(sqlite_url(tmp_path / "hrss.db"))
    pub = Publisher(store, HRSS)
    ids = {name: _rid() for name in ("s1", "s2", "b0", "b1", "b2", "b3")}
    alice = citizens[0].address
    pub.publish(PENSION, ids["s1"], {"monthly": 3100}, subject=alice)
    pub.publish(PENSION, ids["s2"], b"plain", subject=alice, media_type="text/plain")
    for i in range(4):
        pub.publish(PENSION, ids[f"b{i}"], {"month": i}, subject=alice, mode=BATCH)
    sink = ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))
    assert AnchorWorker(store, sink).drain() == 6
    return store, sink, ids


def test_m2_a_single_first_version_over_a_batch_leaf_is_named_by_the_audit(
    store: Any, catalog: Any, depts: Any, reader: RpcChain
) -> None:
    """A batch-published record gets a single version 1 with another content (the chain cannot
    see the batch's leaves; the requester now takes the single anchor): the audit names it."""
    db, _, ids = store
    assert audit_tamper(db, reader, HRSS).clean
    forged = _h("forged first version")
    catalog.anchorRecord(PENSION, ids["b2"], 1, forged, sender=depts["HRSS"].staff)
    report = audit_tamper(db, reader, HRSS)
    [finding] = [f for f in report.findings if f.status == "reanchored"]
    assert (finding.record_id, finding.version) == (ids["b2"], 1)
    assert "second anchoring" in finding.reason and not report.clean


def test_m2_moving_an_edited_record_to_a_new_batch_is_named_by_the_audit(
    store: Any, catalog: Any, depts: Any, reader: RpcChain
) -> None:
    """The review's attack: edit a batched record and anchor it again in a new batch. The
    chain pins the old root; the store can no longer reproduce it, and the audit names that
    batch and the leaf that left it."""
    db, _, ids = store
    with db.session() as s:
        row = s.scalars(select(Record).where(Record.record_id == ids["b1"])).one()
        old_batch = s.get(Batch, row.batch_id)
        assert old_batch is not None
        old_root, old_position = old_batch.root, row.leaf_index
        edited = b'{"month":99}'
        again = record_hash(
            PENSION, row.record_id, 1, HRSS, row.subject, row.media_type, edited, row.salt
        )
        tree = RecordTree.of_records(PENSION, [(row.record_id, 1, again)])
        new = Batch(category=PENSION, root=tree.root, leaf_count=1, state="done")
        s.add(new)
        s.flush()
        s.execute(
            update(Record)
            .where(Record.id == row.id)
            .values(content=edited, content_hash=again, batch_id=new.id, leaf_index=0)
        )
    catalog.anchorBatch(PENSION, tree.root, 1, sender=depts["HRSS"].staff)
    report = audit_tamper(db, reader, HRSS)
    assert not report.clean
    missing = [f for f in report.findings if f.status == "missing" and f.batch_root == old_root]
    assert [f.leaf_index for f in missing] == [old_position]
    unverified = {f.record_id for f in report.findings if f.status == "unverified"}
    assert unverified == {ids["b0"], ids["b2"], ids["b3"]}


# --- every column bound ----------------------------------------------------------------------


COLUMN_EDITS: dict[str, dict[str, Any]] = {
    "subject": {"subject": "0x" + "77" * 20},
    "media_type": {"media_type": "text/html"},
    "content": {"content": b'{"monthly":3101}'},
    "salt": {"salt": b"\1" + b"\0" * 31},
}


@pytest.mark.parametrize("target", ["s1", "b2"])
@pytest.mark.parametrize("column", list(COLUMN_EDITS))
def test_bound_columns_a_one_byte_edit_of_any_column_is_named_by_the_audit(
    store: Any, reader: RpcChain, column: str, target: str
) -> None:
    """Record columns not bound: a one-byte edit of any stored column of a single-anchored or
    batched record is reported with exactly that record id (the stored hash left as it was)."""
    db, _, ids = store
    with db.session() as s:
        row = s.scalars(select(Record).where(Record.record_id == ids[target])).one()
        values = dict(COLUMN_EDITS[column])
        if column == "salt":
            values["salt"] = bytes([row.salt[0] ^ 1]) + row.salt[1:]
        s.execute(update(Record).where(Record.id == row.id).values(**values))
    report = audit_tamper(db, reader, HRSS)
    assert [(f.status, f.record_id) for f in report.findings] == [("altered", ids[target])]


@pytest.mark.parametrize("column", ["version", "record_id", "category"])
def test_bound_columns_an_edited_key_column_is_named_by_the_audit(
    store: Any, reader: RpcChain, column: str
) -> None:
    """Editing the version, record id or category moves the row off its anchor: the anchor is
    reported missing under the original record id, the row as not anchored."""
    db, _, ids = store
    with db.session() as s:
        row = s.scalars(select(Record).where(Record.record_id == ids["s2"])).one()
        value = {
            "version": 2,
            "record_id": bytes([row.record_id[0] ^ 1]) + row.record_id[1:],
            "category": b"HRSS.BANK_ACCOUNT".ljust(32, b"\0"),
        }[column]
        s.execute(update(Record).where(Record.id == row.id).values(**{column: value}))
    report = audit_tamper(db, reader, HRSS)
    statuses = {(f.status, f.record_id) for f in report.findings}
    assert ("missing", ids["s2"]) in statuses and not report.clean
    assert any(status == "not_anchored" for status, _ in statuses)


def test_bound_columns_a_subject_swap_is_refused_by_node_and_requester(
    grants: Any, reader: RpcChain, civil_staff: Any, hrss: Holdings, node_url: str, now: int,
    citizens: list[Any],
) -> None:  # fmt: skip
    """The reviewed attack: a DBA rewrites the ``subject`` column of Alice's record to Bob.
    The node no longer releases it to Bob (the record hash binds Alice: ``record_altered``),
    still serves it to Alice, a requester told it is Bob's (a node that lied) refuses it, and
    the audit names it."""
    record_id = hrss.ids["tamper"]
    with hrss.store.session() as s:
        s.execute(
            update(Record).where(Record.record_id == record_id).values(subject=hrss.other.address)
        )
    with pytest.raises(NodeRefused) as refused:
        fetch(grants, reader, civil_staff, hrss, node_url, now, record_id, hrss.other)
    assert (refused.value.status, refused.value.reason) == (409, "record_altered")
    got = fetch(grants, reader, civil_staff, hrss, node_url, now, record_id, hrss.citizen)
    assert got.json() == {"monthly": 1000} and got.subject == hrss.citizen.address
    with hrss.store.session() as s:
        row = s.scalars(select(Record).where(Record.record_id == record_id)).one()
        as_bobs = RecordColumns(
            PENSION, record_id, row.version, HRSS, hrss.other.address, row.media_type,
            row.content, row.salt,
        )  # fmt: skip
    with pytest.raises(RecordRefused) as info:
        accept_columns(reader, as_bobs)
    assert info.value.code == ALTERED
    report = audit_tamper(hrss.store, reader, HRSS)
    assert ("altered", record_id) in {(f.status, f.record_id) for f in report.findings}


def test_bound_columns_node_checks_the_binding_not_the_column(
    store: Any, reader: RpcChain, citizens: list[Any]
) -> None:
    """Unit view of the node's rule: it releases a row to a subject only where the row's
    record hash, recomputed with that subject, is the row's hash."""
    db, _, ids = store
    node = DataNode(NodeConfig(HRSS), db, reader)
    with db.session() as s:
        row = s.scalars(select(Record).where(Record.record_id == ids["s1"])).one()
        assert node._bound_to(row, citizens[0].address)
        assert not node._bound_to(row, citizens[1].address)
        row.salt = new_salt()
        assert not node._bound_to(row, citizens[0].address)
        s.rollback()
