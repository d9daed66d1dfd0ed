"""AnchorRegistry: versioned single-record anchors and Merkle-batch anchors."""

from __future__ import annotations

import os
from typing import Any

import ape
import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.sharing import (
    RecordTree,
    category_code,
    record_hash,
    record_leaf,
    salted_content_hash,
)
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
    assert (ev.recordHash, ev.publisher) == (h1, hrss.staff.address)
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
    tree = RecordTree.of_records(pension, [(r, 1, h) for r, h in records])
    tx = catalog.anchorBatch(pension, tree.root, len(tree), sender=hrss.staff)
    [ev] = tx.events.filter(catalog.BatchAnchored)
    assert (ev.category, ev.root, ev.owner, ev.leafCount, ev.publisher) == (
        pension, tree.root, hrss.code, 37, hrss.staff.address,
    )  # fmt: skip
    ts = chain.blocks[tx.block_number].timestamp
    assert catalog.batchAnchor(pension, tree.root) == (37, tx.block_number, ts)
    for i in (0, 1, 17, 35, 36):
        rid, h = records[i]
        leaf = record_leaf(pension, rid, 1, h)
        assert catalog.leafHash(pension, rid, 1, h) == leaf
        assert catalog.verifyLeaf(pension, tree.root, rid, h, tree.proof_of(leaf)) == (
            True,
            tx.block_number,
            ts,
        )
    rid, h = records[5]
    proof = tree.proof_of(record_leaf(pension, rid, 1, h))
    other = tree.proof_of(record_leaf(pension, *records[6][:1], 1, records[6][1]))
    # altered content, wrong proof, unanchored root, wrong category: not anchored
    assert catalog.verifyLeaf(pension, tree.root, rid, _hash(b"edited"), proof) == (False, 0, 0)
    assert catalog.verifyLeaf(pension, tree.root, rid, h, other) == (False, 0, 0)
    assert catalog.verifyLeaf(pension, b"\x33" * 32, rid, h, proof) == (False, 0, 0)
    assert catalog.verifyLeaf(category_code("HRSS.POLICY"), tree.root, rid, h, proof) == (
        False,
        0,
        0,
    )


def test_single_leaf_batch_has_an_empty_proof(catalog: Any, depts: Any, pension: bytes) -> None:
    rid, h = os.urandom(32), _hash(b"only")
    tree = RecordTree.of_records(pension, [(rid, 1, h)])
    assert tree.root == record_leaf(pension, rid, 1, h) and tree.proof(0) == []
    catalog.anchorBatch(pension, tree.root, 1, sender=depts["HRSS"].admin)
    assert catalog.verifyLeaf(pension, tree.root, rid, h, [])[0] is True


def test_record_hash_binds_every_column_byte_for_byte(catalog: Any, pension: bytes) -> None:
    owner = b"HRSS".ljust(32, b"\0")
    subject = "0x" + "12" * 20
    args = (pension, RECORD, 3, owner, subject, "application/json", b'{"a":1}', SALT)
    expected = keccak(
        encode(
            ["bytes32"] * 3 + ["uint32", "bytes32", "address"] + ["bytes32"] * 3,
            [
                keccak(b"govchain.record.v1"),
                pension,
                RECORD,
                3,
                owner,
                subject,
                keccak(b"application/json"),
                keccak(b'{"a":1}'),
                SALT,
            ],
        )
    )
    assert record_hash(*args) == expected
    on_chain = catalog.recordHash(
        pension, RECORD, 3, owner, subject, keccak(b"application/json"), keccak(b'{"a":1}'), SALT
    )
    assert on_chain == expected
    assert catalog.RECORD_HASH_TAG() == keccak(b"govchain.record.v1")
    # a change of any one column changes the hash
    variants = [
        (category_code("HRSS.POLICY"), *args[1:]),
        (args[0], b"\x02" * 32, *args[2:]),
        (*args[:2], 4, *args[3:]),
        (*args[:3], b"PSB".ljust(32, b"\0"), *args[4:]),
        (*args[:4], "0x" + "13" * 20, *args[5:]),
        (*args[:4], None, *args[5:]),
        (*args[:5], "application/jsoN", *args[6:]),
        (*args[:6], b'{"a":2}', SALT),
        (*args[:7], b"\x5b" + SALT[1:]),
    ]
    assert len({record_hash(*v) for v in variants} | {expected}) == len(variants) + 1


def _batch_of(pension: bytes, rid: bytes, h: bytes) -> tuple[RecordTree, list[bytes]]:
    others = [(os.urandom(32), 1, _hash(os.urandom(8))) for _ in range(4)]
    tree = RecordTree.of_records(pension, [(rid, 1, h), *others])
    return tree, tree.proof_of(record_leaf(pension, rid, 1, h))


def test_m2_version_two_of_a_batched_record_pins_version_one(
    catalog: Any, depts: Any, pension: bytes, chain: Any
) -> None:
    """M-2: version 2 of a record first published in a batch proves version 1 against the
    anchored batch, pins it per record, and from then on the record's history is on chain."""
    staff = depts["HRSS"].staff
    h1, h2 = _hash(b"v1"), _hash(b"v2")
    tree, proof = _batch_of(pension, RECORD, h1)
    catalog.anchorBatch(pension, tree.root, len(tree), sender=staff)
    assert catalog.latestVersion(pension, RECORD) == 0
    # without version 1 on chain, anchorRecord cannot skip to version 2
    with ape.reverts(catalog.AnchorVersionGap, category=pension, recordId=RECORD, version=2):
        catalog.anchorRecord(pension, RECORD, 2, h2, sender=staff)
    tx = catalog.anchorRecordAfterBatch(pension, RECORD, tree.root, h1, proof, h2, sender=staff)
    [pinned] = tx.events.filter(catalog.FirstVersionPinned)
    assert (pinned.category, pinned.recordId, pinned.owner, pinned.root, pinned.recordHash) == (
        pension, RECORD, depts["HRSS"].code, tree.root, h1,
    )  # fmt: skip
    assert pinned.sender == staff.address
    [anchored] = tx.events.filter(catalog.RecordAnchored)
    assert (anchored.version, anchored.recordHash) == (2, h2)
    assert catalog.latestVersion(pension, RECORD) == 2
    assert catalog.recordVersion(pension, RECORD, 1)[0] == h1[:22]
    assert catalog.recordVersion(pension, RECORD, 2)[0] == h2[:22]
    # a version is written once: neither version 1 nor version 2 can be anchored again
    with ape.reverts(catalog.AnchorVersionExists, category=pension, recordId=RECORD, version=1):
        catalog.anchorRecordAfterBatch(pension, RECORD, tree.root, h1, proof, h2, sender=staff)
    with ape.reverts(catalog.AnchorVersionExists, category=pension, recordId=RECORD, version=2):
        catalog.anchorRecord(pension, RECORD, 2, _hash(b"edited"), sender=staff)
    catalog.anchorRecord(pension, RECORD, 3, _hash(b"v3"), sender=staff)
    assert catalog.latestVersion(pension, RECORD) == 3


def test_anchor_after_batch_refusals(catalog: Any, depts: Any, pension: bytes) -> None:
    staff = depts["HRSS"].staff
    h1, h2 = _hash(b"v1"), _hash(b"v2")
    tree, proof = _batch_of(pension, RECORD, h1)
    with ape.reverts(catalog.AnchorBatchUnknown, category=pension, root=tree.root):
        catalog.anchorRecordAfterBatch(pension, RECORD, tree.root, h1, proof, h2, sender=staff)
    catalog.anchorBatch(pension, tree.root, len(tree), sender=staff)
    # another content for version 1, another record, a version-2 leaf: not proven
    for rid, first in ((RECORD, _hash(b"forged v1")), (b"\x07" * 32, h1)):
        with ape.reverts(
            catalog.AnchorLeafNotProven, category=pension, root=tree.root, recordId=rid
        ):
            catalog.anchorRecordAfterBatch(pension, rid, tree.root, first, proof, h2, sender=staff)
    with ape.reverts(catalog.AnchorZeroHash):
        catalog.anchorRecordAfterBatch(
            pension, RECORD, tree.root, h1, proof, b"\0" * 32, sender=staff
        )
    outsider = depts["PSB"].staff
    with ape.reverts(
        catalog.AnchorNotPublisher, account=outsider.address, owner=depts["HRSS"].code
    ):
        catalog.anchorRecordAfterBatch(pension, RECORD, tree.root, h1, proof, h2, sender=outsider)
    # a record with a single version 1 continues with anchorRecord, not from a batch
    other = b"\x08" * 32
    catalog.anchorRecord(pension, other, 1, h1, sender=staff)
    with ape.reverts(catalog.AnchorVersionExists, category=pension, recordId=other, version=1):
        catalog.anchorRecordAfterBatch(pension, other, tree.root, h1, proof, h2, sender=staff)


def test_a_batch_leaf_is_a_first_version(catalog: Any, depts: Any, pension: bytes) -> None:
    """A leaf carrying version 2 is not proven by verifyLeaf (which checks version 1)."""
    h = _hash(b"x")
    tree = RecordTree.of_records(pension, [(RECORD, 2, h), (b"\x03" * 32, 1, h)])
    catalog.anchorBatch(pension, tree.root, 2, sender=depts["HRSS"].staff)
    proof = tree.proof_of(record_leaf(pension, RECORD, 2, h))
    assert catalog.verifyLeaf(pension, tree.root, RECORD, h, proof)[0] is False
    with ape.reverts(
        catalog.AnchorLeafNotProven, category=pension, root=tree.root, recordId=RECORD
    ):
        catalog.anchorRecordAfterBatch(
            pension, RECORD, tree.root, h, proof, _hash(b"y"), sender=depts["HRSS"].staff
        )


def test_a_batch_root_is_anchored_once_per_category(
    catalog: Any, depts: Any, pension: bytes
) -> None:
    root = b"\x44" * 32
    catalog.anchorBatch(pension, root, 3, sender=depts["HRSS"].staff)
    with ape.reverts(catalog.AnchorBatchExists, category=pension, root=root):
        catalog.anchorBatch(pension, root, 3, sender=depts["HRSS"].staff)
    housing = category_code("HOUSING.PROPERTY")
    catalog.anchorBatch(housing, root, 3, sender=depts["HOUSING"].staff)


def test_anchor_records_in_bulk_keeps_every_single_anchor_rule(
    catalog: Any, depts: Any, pension: bytes
) -> None:
    """anchorRecords: bulk updates with per-record state; one refused entry reverts all."""
    staff = depts["HRSS"].staff
    a, b = os.urandom(32), os.urandom(32)
    catalog.anchorRecord(pension, a, 1, _hash(b"a1"), sender=staff)
    tx = catalog.anchorRecords(
        pension, [a, b, b], [2, 1, 2], [_hash(b"a2"), _hash(b"b1"), _hash(b"b2")], sender=staff
    )
    events = tx.events.filter(catalog.RecordAnchored)
    assert [(e.recordId, e.version) for e in events] == [(a, 2), (b, 1), (b, 2)]
    assert catalog.latestVersion(pension, a) == 2 and catalog.latestVersion(pension, b) == 2
    with ape.reverts(catalog.AnchorVersionExists, category=pension, recordId=b, version=2):
        catalog.anchorRecords(pension, [a, b], [3, 2], [_hash(b"a3"), _hash(b"x")], sender=staff)
    assert catalog.latestVersion(pension, a) == 2  # the whole call reverted
    with ape.reverts(catalog.AnchorVersionGap, category=pension, recordId=a, version=4):
        catalog.anchorRecords(pension, [a], [4], [_hash(b"a4")], sender=staff)
    with ape.reverts(catalog.AnchorLengthMismatch):
        catalog.anchorRecords(pension, [a, b], [3], [_hash(b"a3")], sender=staff)
    with ape.reverts(catalog.AnchorBatchEmpty):
        catalog.anchorRecords(pension, [], [], [], sender=staff)
    many = 257
    with ape.reverts(catalog.AnchorTooManyRecords, count=many, max=256):
        catalog.anchorRecords(
            pension, [os.urandom(32) for _ in range(many)], [1] * many, [_hash(b"m")] * many,
            sender=staff,
        )  # fmt: skip
    outsider = depts["PSB"].staff
    with ape.reverts(
        catalog.AnchorNotPublisher, account=outsider.address, owner=depts["HRSS"].code
    ):
        catalog.anchorRecords(pension, [a], [3], [_hash(b"a3")], sender=outsider)
    with ape.reverts(catalog.AnchorZeroHash):
        catalog.anchorRecords(pension, [a], [3], [b"\0" * 32], sender=staff)
