"""AnchorRegistry: versioned single-record anchors and Merkle-batch anchors."""

from __future__ import annotations

import os
from typing import Any

import ape
import pytest

from govchain.sharing import MerkleTree, category_code, leaf_hash, salted_content_hash
from tests.sharing.conftest import Cat

RECORD = b"\x01" * 32
SALT = b"\x5a" * 32


def _hash(content: bytes) -> bytes:
    return salted_content_hash(SALT, content)


@pytest.fixture
def pension(cats: dict[str, Cat]) -> bytes:
    return cats["HRSS.PENSION"].code


def test_staff_anchors_a_record_and_anyone_verifies_it(
    catalog: Any, depts: Any, pension: bytes, chain: Any
) -> None:
    hrss = depts["HRSS"]
    h1 = _hash(b'{"pension":3200}')
    tx = catalog.anchorRecord(pension, RECORD, 1, h1, sender=hrss.staff)
    [ev] = tx.events.filter(catalog.RecordAnchored)
    assert (ev.category, ev.recordId, ev.owner, ev.version) == (pension, RECORD, hrss.code, 1)
    assert (ev.contentHash, ev.publisher) == (h1, hrss.staff.address)
    block = chain.blocks[tx.block_number]
    assert catalog.verifyRecord(pension, RECORD, h1) == (
        True,
        1,
        True,
        tx.block_number,
        block.timestamp,
    )
    assert catalog.recordVersion(pension, RECORD, 1) == (h1[:22], tx.block_number, block.timestamp)
    assert catalog.latestVersion(pension, RECORD) == 1


def test_new_version_supersedes_and_old_versions_stay_verifiable(
    catalog: Any, depts: Any, pension: bytes, chain: Any
) -> None:
    hrss = depts["HRSS"]
    hashes = [_hash(f"v{i}".encode()) for i in range(1, 6)]
    blocks = []
    for v, h in enumerate(hashes, start=1):
        chain.pending_timestamp += 60
        sender = hrss.admin if v % 2 else hrss.staff
        blocks.append(catalog.anchorRecord(pension, RECORD, v, h, sender=sender).block_number)
    assert catalog.latestVersion(pension, RECORD) == 5
    for v, (h, b) in enumerate(zip(hashes, blocks, strict=True), start=1):
        anchored, version, latest, block_number, ts = catalog.verifyRecord(pension, RECORD, h)
        assert (anchored, version, latest, block_number) == (True, v, v == 5, b)
        assert ts == chain.blocks[b].timestamp
    tampered = _hash(b"v3 edited by the DBA")
    assert catalog.verifyRecord(pension, RECORD, tampered) == (False, 0, False, 0, 0)
    # same content hash under another record id or category is not that record
    assert catalog.verifyRecord(pension, b"\x02" * 32, hashes[0])[0] is False
    assert catalog.verifyRecord(category_code("HRSS.POLICY"), RECORD, hashes[0])[0] is False


def test_latest_version_of_a_long_history(catalog: Any, depts: Any, pension: bytes) -> None:
    for v in range(1, 12):
        catalog.anchorRecord(pension, RECORD, v, _hash(bytes([v])), sender=depts["HRSS"].staff)
    assert catalog.latestVersion(pension, RECORD) == 11
    assert catalog.latestVersion(pension, b"\x09" * 32) == 0


def test_anchor_refuses_versions_out_of_order(catalog: Any, depts: Any, pension: bytes) -> None:
    staff = depts["HRSS"].staff
    with ape.reverts(catalog.AnchorZeroVersion):
        catalog.anchorRecord(pension, RECORD, 0, _hash(b"x"), sender=staff)
    with ape.reverts(catalog.AnchorVersionGap, category=pension, recordId=RECORD, version=2):
        catalog.anchorRecord(pension, RECORD, 2, _hash(b"x"), sender=staff)
    catalog.anchorRecord(pension, RECORD, 1, _hash(b"x"), sender=staff)
    with ape.reverts(catalog.AnchorVersionExists, category=pension, recordId=RECORD, version=1):
        catalog.anchorRecord(pension, RECORD, 1, _hash(b"forged"), sender=staff)
    with ape.reverts(catalog.AnchorVersionGap, category=pension, recordId=RECORD, version=3):
        catalog.anchorRecord(pension, RECORD, 3, _hash(b"y"), sender=staff)


def test_anchor_refuses_zero_hash_and_unknown_category(
    catalog: Any, depts: Any, pension: bytes
) -> None:
    staff = depts["HRSS"].staff
    with ape.reverts(catalog.AnchorZeroHash):
        catalog.anchorRecord(pension, RECORD, 1, b"\0" * 32, sender=staff)
    unknown = category_code("HRSS.NOPE")
    with ape.reverts(catalog.AnchorUnknownCategory, category=unknown):
        catalog.anchorRecord(unknown, RECORD, 1, _hash(b"x"), sender=staff)
    with ape.reverts(catalog.AnchorUnknownCategory, category=unknown):
        catalog.anchorBatch(unknown, b"\x01" * 32, 1, sender=staff)
    with ape.reverts(catalog.AnchorZeroHash):
        catalog.anchorBatch(pension, b"\0" * 32, 1, sender=staff)
    with ape.reverts(catalog.AnchorBatchEmpty):
        catalog.anchorBatch(pension, b"\x01" * 32, 0, sender=staff)


def test_only_active_staff_or_admin_of_the_owner_anchor(
    catalog: Any, depts: Any, pension: bytes, departments: Any, council: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"]
    for account in (
        hrss.approvers[0],
        hrss.auditor,
        depts["PSB"].staff,
        depts["PSB"].admin,
        outsider,
    ):
        with ape.reverts(catalog.AnchorNotPublisher, account=account.address, owner=hrss.code):
            catalog.anchorRecord(pension, RECORD, 1, _hash(b"x"), sender=account)
        with ape.reverts(catalog.AnchorNotPublisher, account=account.address, owner=hrss.code):
            catalog.anchorBatch(pension, b"\x01" * 32, 1, sender=account)
    departments.suspend(hrss.code, sender=council)
    with ape.reverts(catalog.AnchorNotPublisher, account=hrss.staff.address, owner=hrss.code):
        catalog.anchorRecord(pension, RECORD, 1, _hash(b"x"), sender=hrss.staff)


def test_batch_anchor_verifies_python_proofs_on_chain(
    catalog: Any, depts: Any, pension: bytes, chain: Any
) -> None:
    hrss = depts["HRSS"]
    records = [(os.urandom(32), _hash(os.urandom(20))) for _ in range(37)]
    tree = MerkleTree.from_records(records)
    tx = catalog.anchorBatch(pension, tree.root, len(tree), sender=hrss.staff)
    [ev] = tx.events.filter(catalog.BatchAnchored)
    assert (ev.category, ev.root, ev.owner, ev.leafCount, ev.publisher) == (
        pension, tree.root, hrss.code, 37, hrss.staff.address,
    )  # fmt: skip
    ts = chain.blocks[tx.block_number].timestamp
    assert catalog.batchAnchor(pension, tree.root) == (37, tx.block_number, ts)
    for i in (0, 1, 17, 35, 36):
        rid, h = records[i]
        assert catalog.leafHash(rid, h) == leaf_hash(rid, h) == tree.leaf(i)
        assert catalog.verifyLeaf(pension, tree.root, rid, h, tree.proof(i)) == (
            True,
            tx.block_number,
            ts,
        )
    rid, h = records[5]
    # altered content, wrong proof, unanchored root, wrong category: not anchored
    assert catalog.verifyLeaf(pension, tree.root, rid, _hash(b"edited"), tree.proof(5)) == (
        False,
        0,
        0,
    )
    assert catalog.verifyLeaf(pension, tree.root, rid, h, tree.proof(6)) == (False, 0, 0)
    assert catalog.verifyLeaf(pension, b"\x33" * 32, rid, h, tree.proof(5)) == (False, 0, 0)
    assert catalog.verifyLeaf(category_code("HRSS.POLICY"), tree.root, rid, h, tree.proof(5)) == (
        False,
        0,
        0,
    )


def test_single_leaf_batch_has_an_empty_proof(catalog: Any, depts: Any, pension: bytes) -> None:
    rid, h = os.urandom(32), _hash(b"only")
    tree = MerkleTree.from_records([(rid, h)])
    assert tree.root == leaf_hash(rid, h) and tree.proof(0) == []
    catalog.anchorBatch(pension, tree.root, 1, sender=depts["HRSS"].admin)
    assert catalog.verifyLeaf(pension, tree.root, rid, h, [])[0] is True


def test_a_batch_root_is_anchored_once_per_category(
    catalog: Any, depts: Any, pension: bytes
) -> None:
    root = b"\x44" * 32
    catalog.anchorBatch(pension, root, 3, sender=depts["HRSS"].staff)
    with ape.reverts(catalog.AnchorBatchExists, category=pension, root=root):
        catalog.anchorBatch(pension, root, 3, sender=depts["HRSS"].staff)
    housing = category_code("HOUSING.PROPERTY")
    catalog.anchorBatch(housing, root, 3, sender=depts["HOUSING"].staff)
