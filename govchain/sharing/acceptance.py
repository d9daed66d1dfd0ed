"""The requester's acceptance rule for a delivered record: one function, used by every verifier.

:func:`accept_record` decides whether a record version delivered by a data node (or from a
file) may be accepted, from the chain alone — the node never chooses the kind of anchor:

1. The record hash is recomputed from the delivered columns (:class:`RecordColumns`); the
   subject comes from the request or grant, the owner from the catalog, never from the node.
2. ``latestVersion(category, recordId)`` is read. If it is 1 or more, only the single anchor of
   exactly that version with the same digest is accepted: an older version, or any batch proof,
   is refused as ``superseded``.
3. If it is 0, only a leaf of version 1 proven against an anchored batch of that category is
   accepted (batches publish first versions only).
4. A requester-side memory (:class:`SeenRecords`, optional) refuses a different content for a
   version it accepted before, and a version older than one it accepted (``conflict``).

Refusals are :class:`RecordRefused` with a code of :data:`REFUSAL_CODES`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from govchain.errors import GovchainError
from govchain.sharing.merkle import process_proof, record_hash, record_leaf

DIGEST_BYTES = 22  # AnchorRegistry keeps the first 22 bytes of a record hash

NOT_ANCHORED = "not_anchored"
ALTERED = "altered"
SUPERSEDED = "superseded"
BAD_PROOF = "bad_proof"
CONFLICT = "conflict"
REFUSAL_CODES = {
    NOT_ANCHORED: "the chain anchors no such version of the record",
    ALTERED: "the record's columns do not hash to what the chain anchors",
    SUPERSEDED: "a later version of the record is anchored: this one is out of date",
    BAD_PROOF: "the anchor proof is missing or unreadable",
    CONFLICT: "another content was accepted before for this version of the record",
}


class RecordTampered(GovchainError):
    """The payload does not match what the chain anchors: altered in transit or in the store."""

    def __init__(self, reason: str, code: str = ALTERED) -> None:
        self.reason = reason
        self.code = code
        super().__init__(f"record rejected ({code}): {reason}")


class RecordRefused(RecordTampered):
    """The acceptance rule refused the record (``code`` names the rule, see the module notes)."""


class _Anchor(Protocol):
    @property
    def block_number(self) -> int: ...

    @property
    def timestamp(self) -> int: ...


class _Single(_Anchor, Protocol):
    @property
    def digest(self) -> bytes: ...


class AnchorReader(Protocol):
    """The three chain reads of the rule (``govchain.node.chain.RpcChain`` has them)."""

    def latest_version(self, category: bytes, record_id: bytes) -> int: ...

    def record_version(self, category: bytes, record_id: bytes, version: int) -> _Single: ...

    def batch_anchor(self, category: bytes, root: bytes) -> _Anchor: ...


@dataclass(frozen=True)
class RecordColumns:
    """Every column bound into a record hash."""

    category: bytes
    record_id: bytes
    version: int
    owner: bytes
    subject: str | None
    media_type: str
    content: bytes
    salt: bytes

    def record_hash(self) -> bytes:
        return record_hash(
            self.category,
            self.record_id,
            self.version,
            self.owner,
            self.subject,
            self.media_type,
            self.content,
            self.salt,
        )


@dataclass(frozen=True)
class Acceptance:
    """A record version the rule accepted, and the anchor it was accepted on."""

    version: int
    record_hash: bytes
    kind: str  # "single" | "batch"
    block_number: int
    timestamp: int


class SeenRecords:
    """The highest version (and its hash) accepted per record; kept in a JSON file if given."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, str]] = {}
        if self.path is not None and self.path.exists():
            raw = json.loads(self.path.read_text())
            self._seen = {k: (int(v[0]), str(v[1])) for k, v in raw.items()}

    @staticmethod
    def _key(category: bytes, record_id: bytes) -> str:
        return category.hex() + ":" + record_id.hex()

    def check(self, category: bytes, record_id: bytes, version: int, hash_: bytes) -> None:
        """Refuses (``conflict``) what contradicts an earlier acceptance."""
        with self._lock:
            seen = self._seen.get(self._key(category, record_id))
        if seen is None:
            return
        seen_version, seen_hash = seen
        if version < seen_version:
            raise RecordRefused(
                f"version {seen_version} of the record was accepted before; {version} is older",
                CONFLICT,
            )
        if version == seen_version and hash_.hex() != seen_hash:
            raise RecordRefused(
                f"version {version} of the record was accepted before with another content",
                CONFLICT,
            )

    def note(self, category: bytes, record_id: bytes, version: int, hash_: bytes) -> None:
        with self._lock:
            key = self._key(category, record_id)
            seen = self._seen.get(key)
            if seen is None or version > seen[0]:
                self._seen[key] = (version, hash_.hex())
                if self.path is not None:
                    self.path.write_text(json.dumps(self._seen, sort_keys=True))

    def get(self, category: bytes, record_id: bytes) -> tuple[int, bytes] | None:
        seen = self._seen.get(self._key(category, record_id))
        return None if seen is None else (seen[0], bytes.fromhex(seen[1]))


def _proof(anchor: Mapping[str, Any] | None) -> tuple[bytes, list[bytes]]:
    if anchor is None:
        raise RecordRefused("the record has no single anchor and no batch proof", BAD_PROOF)
    try:
        root = bytes.fromhex(str(anchor["root"])[2:])
        proof = [bytes.fromhex(str(p)[2:]) for p in anchor["proof"]]
    except (KeyError, TypeError, ValueError):
        raise RecordRefused("the Merkle proof is unreadable", BAD_PROOF) from None
    if len(root) != 32 or any(len(p) != 32 for p in proof):
        raise RecordRefused("the Merkle proof is unreadable", BAD_PROOF)
    return root, proof


def accept_record(
    reader: AnchorReader,
    category: bytes,
    record_id: bytes,
    version: int,
    hash_: bytes,
    anchor: Mapping[str, Any] | None = None,
    seen: SeenRecords | None = None,
) -> Acceptance:
    """Accepts version ``version`` of a record with record hash ``hash_`` or raises
    :class:`RecordRefused` (see the module notes). ``anchor`` is the node's batch proof
    (``{"root", "proof"}``), used only when the chain has no single anchor of the record."""
    if seen is not None:
        seen.check(category, record_id, version, hash_)
    latest = reader.latest_version(category, record_id)
    if latest >= 1:
        if version < latest:
            raise RecordRefused(
                f"version {version} was delivered, version {latest} is the latest anchored",
                SUPERSEDED,
            )
        if version > latest:
            raise RecordRefused(
                f"version {version} is not anchored (latest anchored: {latest})", NOT_ANCHORED
            )
        on_chain = reader.record_version(category, record_id, version)
        if bytes(on_chain.digest) != hash_[:DIGEST_BYTES]:
            raise RecordRefused(
                f"the record hash differs from the anchor of version {version}", ALTERED
            )
        out = Acceptance(version, hash_, "single", on_chain.block_number, on_chain.timestamp)
    else:
        if version != 1:
            raise RecordRefused(
                f"version {version} is not anchored: the chain has no single anchor of the "
                "record, and a batch holds only first versions",
                NOT_ANCHORED,
            )
        root, proof = _proof(anchor)
        if process_proof(proof, record_leaf(category, record_id, 1, hash_)) != root:
            raise RecordRefused("the record hash is not a leaf of the batch root", ALTERED)
        batch = reader.batch_anchor(category, root)
        if batch.block_number == 0:
            raise RecordRefused("the batch root is not anchored for the category", NOT_ANCHORED)
        out = Acceptance(1, hash_, "batch", batch.block_number, batch.timestamp)
    if seen is not None:
        seen.note(category, record_id, version, hash_)
    return out


def accept_columns(
    reader: AnchorReader,
    columns: RecordColumns,
    anchor: Mapping[str, Any] | None = None,
    seen: SeenRecords | None = None,
) -> Acceptance:
    """:func:`accept_record` over the delivered columns (the record hash recomputed)."""
    return accept_record(
        reader,
        columns.category,
        columns.record_id,
        columns.version,
        columns.record_hash(),
        anchor,
        seen,
    )


def proof_json(root: bytes, proof: Sequence[bytes]) -> dict[str, Any]:
    return {"root": "0x" + root.hex(), "proof": ["0x" + p.hex() for p in proof]}
