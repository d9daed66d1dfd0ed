"""Client of ``AnchorRegistry``: the data catalog it extends, record anchors, Merkle batches.

Catalog (only an active ADMIN of the owner department edits it; every change is an event):
:meth:`AnchorRegistry.add_category`, :meth:`~AnchorRegistry.update_category`,
:meth:`~AnchorRegistry.category`, :meth:`~AnchorRegistry.list_categories`.

Anchors (an active STAFF or ADMIN of the category's owner publishes) carry a record hash over
every column of a record version (:func:`govchain.sharing.merkle.record_hash`):
:meth:`~AnchorRegistry.anchor_record` (one version of one record),
:meth:`~AnchorRegistry.anchor_batch` (a Merkle root over the first versions of any number of
records, one transaction), :meth:`~AnchorRegistry.anchor_after_batch` (version 2 of a batched
record), :meth:`~AnchorRegistry.verify_record` and :meth:`~AnchorRegistry.verify_leaf`
(anchored? which version, block, timestamp: the trusted timestamp of electronic evidence), and
:meth:`~AnchorRegistry.accept` (the requester's acceptance rule,
:mod:`govchain.sharing.acceptance`).

Record ids are 32 bytes: ``0x`` + 64 hex digits are taken as they are, any other text is
hashed (``keccak256`` of its UTF-8 bytes, :func:`record_id`). The hash of an id is not secret:
never use personal data (an ID number) as a record id.

Every sending method runs the transaction as an ``eth_call`` first (:class:`govchain.tx.Sender`)
so a refusal is explained before gas is spent, in words (:mod:`govchain.sharing.base`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.crypto import keccak

from govchain.errors import InvalidInput, NotFound
from govchain.network import Connection
from govchain.sharing.acceptance import Acceptance, SeenRecords, accept_record
from govchain.sharing.base import (
    ZERO32,
    Departments,
    TxResult,
    code,
    code_name,
    hex0x,
    iso,
    logs,
    readable_refusals,
)
from govchain.sharing.catalog import SharingClass
from govchain.sharing.merkle import RecordTree, record_leaf, verify_proof
from govchain.tx import Sender

_HEX = set("0123456789abcdefABCDEF")


def record_id(value: str | bytes) -> bytes:
    """A record id: 32 bytes given, ``0x`` + 64 hex digits, or ``keccak256`` of other text."""
    if isinstance(value, bytes):
        if len(value) != 32:
            raise InvalidInput("record id", hex0x(value), "expected 32 bytes")
        return value
    if not value:
        raise InvalidInput("record id", value, "must not be empty")
    if value.startswith(("0x", "0X")) and len(value) == 66 and set(value[2:]) <= _HEX:
        return bytes.fromhex(value[2:])
    return keccak(text=value)


@dataclass(frozen=True)
class CategorySpec:
    """What an ADMIN writes into the catalog for category ``code`` (e.g. ``HRSS.PENSION``)."""

    code: str
    sharing: SharingClass
    sensitive: bool = False
    schema_hash: bytes = ZERO32
    update_cycle: int = 0  # seconds between scheduled updates; 0 = on change

    def args(self) -> tuple[bytes, int, bool, bytes, int]:
        if self.sharing == SharingClass.NONE:
            raise InvalidInput(
                "sharing class", "NONE", "use UNCONDITIONAL, CONDITIONAL or NOT_SHARED"
            )
        if len(self.schema_hash) != 32:
            raise InvalidInput("schema hash", hex0x(self.schema_hash), "expected 32 bytes")
        if not 0 <= self.update_cycle < 2**32:
            raise InvalidInput("update cycle", self.update_cycle, "0 to 4294967295 seconds")
        return (
            code(self.code),
            int(self.sharing),
            self.sensitive,
            self.schema_hash,
            self.update_cycle,
        )


@dataclass(frozen=True)
class Category:
    """A catalog entry as the chain holds it."""

    code: str
    owner: str
    sharing: SharingClass
    sensitive: bool
    schema_hash: bytes
    update_cycle: int
    registered_block: int = 0
    updated_block: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "owner": self.owner,
            "sharing": self.sharing.name,
            "sensitive": self.sensitive,
            "schema_hash": hex0x(self.schema_hash),
            "update_cycle": self.update_cycle,
            "registered_block": self.registered_block,
            "updated_block": self.updated_block,
        }


@dataclass(frozen=True)
class RecordAnchor:
    """One anchored version of a record."""

    category: str
    record_id: bytes
    version: int
    content_hash: bytes
    tx: TxResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "record_id": hex0x(self.record_id),
            "version": self.version,
            "content_hash": hex0x(self.content_hash),
            **self.tx.as_dict(),
        }


@dataclass(frozen=True)
class RecordCheck:
    """The answer of ``verifyRecord``: anchored? which version, is it the latest, when."""

    anchored: bool
    version: int
    latest: bool
    block_number: int
    timestamp: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "anchored": self.anchored,
            "version": self.version,
            "latest": self.latest,
            "block": self.block_number,
            "timestamp": self.timestamp,
            "time": iso(self.timestamp) if self.anchored else None,
        }


@dataclass(frozen=True)
class LeafCheck:
    """The answer of ``verifyLeaf``: is the record a leaf of an anchored batch, and when."""

    anchored: bool
    block_number: int
    timestamp: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "anchored": self.anchored,
            "block": self.block_number,
            "timestamp": self.timestamp,
            "time": iso(self.timestamp) if self.anchored else None,
        }


@dataclass
class Batch:
    """First versions of records of one category under one Merkle root (StandardMerkleTree
    layout: leaves sorted by hash; :meth:`proof` takes the index in ``records``)."""

    category: str
    records: list[tuple[bytes, bytes]]  # (record id, record hash of version 1)
    tree: RecordTree = field(init=False)

    def __post_init__(self) -> None:
        if not self.records:
            raise InvalidInput("batch", self.category, "has no records")
        ids = [r for r, _ in self.records]
        if len(set(ids)) != len(ids):
            raise InvalidInput("batch", self.category, "names a record twice")
        raw = code(self.category)
        self.tree = RecordTree([record_leaf(raw, r, 1, h) for r, h in self.records])

    @property
    def root(self) -> bytes:
        return self.tree.root

    def __len__(self) -> int:
        return len(self.records)

    def proof(self, index: int) -> list[bytes]:
        rid, h = self.records[index]
        return self.tree.proof_of(record_leaf(code(self.category), rid, 1, h))


@dataclass(frozen=True)
class BatchAnchor:
    category: str
    root: bytes
    leaf_count: int
    tx: TxResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "root": hex0x(self.root),
            "leaf_count": self.leaf_count,
            **self.tx.as_dict(),
        }


class AnchorRegistry:
    """The ``AnchorRegistry`` deployment (also the ``DataCatalog``) of a connection."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.sender = sender
        self.contract = connection.contract("AnchorRegistry")

    def _send(self, function: Any) -> TxResult:
        if self.sender is None:
            raise InvalidInput("signer", None, "this action needs a key (--key)")
        with readable_refusals():
            return TxResult.of(self.sender.transact(function))

    # -- catalog --

    def category_info(self, name: str) -> Category | None:
        """The current entry of ``name``, or None if it is not in the catalog."""
        owner, sharing, sensitive, schema_hash, update_cycle = self._entry(code(name))
        if owner == ZERO32:
            return None
        return Category(
            name, code_name(owner), SharingClass(sharing), sensitive, schema_hash, update_cycle
        )

    def category(self, name: str) -> Category:
        """The current entry of ``name`` with its registration and last update blocks.

        Raises :class:`NotFound` (exit 2) for a category not in the catalog.
        """
        info = self.category_info(name)
        if info is None:
            raise NotFound("category", name, "not in the catalog; see 'catalog list'")
        raw = code(name)
        registered = logs(self.connection, self.contract, "CategoryRegistered", {"code": raw})
        updated = logs(self.connection, self.contract, "CategoryUpdated", {"code": raw})
        return Category(
            info.code,
            info.owner,
            info.sharing,
            info.sensitive,
            info.schema_hash,
            info.update_cycle,
            int(registered[0]["blockNumber"]) if registered else 0,
            int(updated[-1]["blockNumber"]) if updated else 0,
        )

    def _entry(self, raw: bytes) -> tuple[bytes, int, bool, bytes, int]:
        if bytes(self.contract.functions.ownerOf(raw).call()) == ZERO32:
            return ZERO32, 0, False, ZERO32, 0
        entry = self.contract.functions.category(raw).call()
        return bytes(entry[0]), int(entry[1]), bool(entry[2]), bytes(entry[4]), int(entry[3])

    def require_category(self, name: str) -> Category:
        info = self.category_info(name)
        if info is None:
            raise NotFound("category", name, "not in the catalog; see 'catalog list'")
        return info

    def add_category(self, spec: CategorySpec) -> TxResult:
        """Register ``spec`` for the signer's department.

        Checked before sending (eth_call): the signer is an active ADMIN of an Active
        department, the code is new, not the department's own code and in its namespace
        (``<DEPT>.<name>``).
        """
        if self.category_info(spec.code) is not None:
            existing = self.require_category(spec.code)
            raise InvalidInput(
                "category code", spec.code, f"exists already (owner {existing.owner})"
            )
        return self._send(self.contract.functions.registerCategory(*spec.args()))

    def update_category(self, spec: CategorySpec) -> TxResult:
        """Change sharing class, sensitive flag, schema hash and update cycle of ``spec.code``.

        Checked before sending: the category exists (:class:`NotFound`), the signer is an
        active ADMIN of its owner (eth_call).
        """
        self.require_category(spec.code)
        return self._send(self.contract.functions.updateCategory(*spec.args()))

    def list_categories(self, owner: str | None = None) -> list[Category]:
        """Every category (of ``owner`` if given) from the catalog's events, by registration."""
        filters = {"owner": Departments(self.connection).require(owner)} if owner else {}
        found: dict[bytes, Category] = {}
        events = logs(self.connection, self.contract, "CategoryRegistered", filters)
        events += logs(self.connection, self.contract, "CategoryUpdated", filters)
        events.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
        for log in events:
            args = log["args"]
            raw = bytes(args["code"])
            first = found.get(raw)
            block = int(log["blockNumber"])
            found[raw] = Category(
                code_name(raw),
                code_name(bytes(args["owner"])),
                SharingClass(int(args["sharing"])),
                bool(args["sensitive"]),
                bytes(args["schemaHash"]),
                int(args["updateCycle"]),
                first.registered_block if first else block,
                block if first else 0,
            )
        return list(found.values())

    # -- anchors --

    def latest_version(self, category: str, record: bytes) -> int:
        return int(self.contract.functions.latestVersion(code(category), record).call())

    def owner_of(self, category: str) -> bytes:
        """The category's owner department code (32 bytes), bound into its record hashes."""
        return code(self.require_category(category).owner)

    def accept(
        self,
        category: str,
        record: bytes,
        version: int,
        hash_: bytes,
        anchor: Mapping[str, Any] | None = None,
        seen: SeenRecords | None = None,
    ) -> Acceptance:
        """The acceptance rule (:func:`govchain.sharing.acceptance.accept_record`)."""
        return accept_record(_Reader(self), code(category), record, version, hash_, anchor, seen)

    def anchor_record(
        self, category: str, record: bytes, content_hash: bytes, version: int | None = None
    ) -> RecordAnchor:
        """Anchor ``content_hash`` as ``version`` of ``record`` (default: the next version).

        ``content_hash`` is the record hash (:func:`govchain.sharing.merkle.record_hash`).
        Checked before sending: the category is in the catalog (:class:`NotFound`); by eth_call
        the signer is an active STAFF or ADMIN of its owner and the version is the next one.
        """
        self.require_category(category)
        if len(content_hash) != 32 or content_hash == ZERO32:
            raise InvalidInput("record hash", hex0x(content_hash), "expected 32 non-zero bytes")
        if version is None:
            version = self.latest_version(category, record) + 1
        if not 1 <= version < 2**32:
            raise InvalidInput("version", version, "1 to 4294967295")
        tx = self._send(
            self.contract.functions.anchorRecord(code(category), record, version, content_hash)
        )
        return RecordAnchor(category, record, version, content_hash, tx)

    def anchor_records(
        self, category: str, entries: Sequence[tuple[bytes, int, bytes]]
    ) -> list[RecordAnchor]:
        """Anchor ``(record, version, record hash)`` entries of one category in one transaction
        (``anchorRecords``: every rule of :meth:`anchor_record` per entry; at most 256)."""
        self.require_category(category)
        if not entries:
            raise InvalidInput("records", category, "none given")
        ids = [r for r, _, _ in entries]
        versions = [v for _, v, _ in entries]
        hashes = [h for _, _, h in entries]
        tx = self._send(
            self.contract.functions.anchorRecords(code(category), ids, versions, hashes)
        )
        return [RecordAnchor(category, r, v, h, tx) for r, v, h in entries]

    def anchor_after_batch(
        self,
        category: str,
        record: bytes,
        root: bytes,
        first_hash: bytes,
        proof: Sequence[bytes],
        record_hash: bytes,
    ) -> RecordAnchor:
        """Anchor ``record_hash`` as version 2 of a record whose version 1 (``first_hash``) is
        a leaf of the anchored batch ``root`` (``anchorRecordAfterBatch``)."""
        self.require_category(category)
        tx = self._send(
            self.contract.functions.anchorRecordAfterBatch(
                code(category), record, root, first_hash, list(proof), record_hash
            )
        )
        return RecordAnchor(category, record, 2, record_hash, tx)

    def anchor_batch(self, batch: Batch) -> BatchAnchor:
        """Anchor the Merkle root of ``batch`` in one transaction, whatever its size.

        Checked before sending: the category is in the catalog; by eth_call the signer is an
        active STAFF or ADMIN of its owner and this root is new for the category.
        """
        self.require_category(batch.category)
        tx = self._send(
            self.contract.functions.anchorBatch(code(batch.category), batch.root, len(batch))
        )
        return BatchAnchor(batch.category, batch.root, len(batch), tx)

    def verify_record(self, category: str, record: bytes, content_hash: bytes) -> RecordCheck:
        """Whether ``content_hash`` is an anchored version of the record (one view call)."""
        anchored, version, latest, block, timestamp = self.contract.functions.verifyRecord(
            code(category), record, content_hash
        ).call()
        return RecordCheck(bool(anchored), int(version), bool(latest), int(block), int(timestamp))

    def verify_leaf(
        self,
        category: str,
        root: bytes,
        record: bytes,
        content_hash: bytes,
        proof: Sequence[bytes],
    ) -> LeafCheck:
        """Whether version 1 of the record with this record hash is a leaf of batch ``root``."""
        anchored, block, timestamp = self.contract.functions.verifyLeaf(
            code(category), root, record, content_hash, list(proof)
        ).call()
        return LeafCheck(bool(anchored), int(block), int(timestamp))

    def batch_anchor(self, category: str, root: bytes) -> tuple[int, int, int]:
        """``(leaf_count, block, timestamp)`` of an anchored batch; zeros if not anchored."""
        count, block, timestamp = self.contract.functions.batchAnchor(code(category), root).call()
        return int(count), int(block), int(timestamp)


def proof_checks(
    category: str, root: bytes, entries: Iterable[tuple[bytes, bytes, Sequence[bytes]]]
) -> list[bool]:
    """Check many (record id, record hash of version 1, proof) against ``root`` locally."""
    raw = code(category)
    return [verify_proof(proof, root, record_leaf(raw, r, 1, c)) for r, c, proof in entries]


@dataclass(frozen=True)
class _Anchor:
    digest: bytes
    block_number: int
    timestamp: int


class _Reader:
    """:class:`govchain.sharing.acceptance.AnchorReader` over the ape-based client."""

    def __init__(self, registry: AnchorRegistry) -> None:
        self.functions = registry.contract.functions

    def latest_version(self, category: bytes, record_id: bytes) -> int:
        return int(self.functions.latestVersion(category, record_id).call())

    def record_version(self, category: bytes, record_id: bytes, version: int) -> _Anchor:
        digest, block, ts = self.functions.recordVersion(category, record_id, version).call()
        return _Anchor(bytes(digest), int(block), int(ts))

    def batch_anchor(self, category: bytes, root: bytes) -> _Anchor:
        _count, block, ts = self.functions.batchAnchor(category, root).call()
        return _Anchor(b"", int(block), int(ts))
