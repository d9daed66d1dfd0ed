"""Salted hashes, record hashes, record leaves and Merkle trees matching ``AnchorRegistry``.

Generic encodings (case documents use them):

- content hash: ``keccak256(salt ‖ content)``, ``salt`` 32 secret random bytes kept with the
  record off chain (:func:`new_salt`). The salt makes the hash of a short or guessable record
  (an ID number, a pension amount) impossible to brute-force from the chain.
- generic leaf: ``keccak256(keccak256(abi.encode(id, contentHash)))`` — both ``bytes32``, so
  ``abi.encode`` is their plain 64-byte concatenation; hashing twice keeps a leaf from ever
  being read as an inner node.
- inner node: ``keccak256(min(a, b) ‖ max(a, b))`` (sorted pairs, OpenZeppelin ``MerkleProof``).
  In :class:`MerkleTree` a level of odd length carries its last node up unchanged.

Records (``AnchorRegistry``, byte for byte):

- record hash: ``keccak256(abi.encode(RECORD_HASH_TAG, category, recordId, version, owner,
  subject, keccak256(mediaType), keccak256(content), salt))`` (:func:`record_hash`) — every
  column that gives a record its meaning, salted; a one-byte change of any column changes it.
- record leaf of a batch: the OpenZeppelin StandardMerkleTree leaf of ``(bytes32 category,
  bytes32 recordId, uint32 version, bytes32 recordHash)`` (:func:`record_leaf`), and
  :class:`RecordTree` builds the tree exactly as ``StandardMerkleTree.of`` does (leaves sorted
  by hash, complete binary tree in array form), so ``@openzeppelin/merkle-tree`` reproduces the
  root and proofs of a batch.

Keccak comes from pysha3 (C, ~0.6 µs a hash) when installed, else pycryptodome; a tree of
1,000,000 records builds in about 5 s (3 million hashes).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence

from Crypto.Hash import keccak as _cryptodome_keccak


def _keccak_cryptodome(data: bytes) -> bytes:
    return _cryptodome_keccak.new(digest_bits=256, data=data).digest()


keccak256: Callable[[bytes], bytes]
try:  # pragma: no cover - depends on the environment
    from sha3 import keccak_256 as _pysha3_keccak

    def _keccak_pysha3(data: bytes) -> bytes:
        return _pysha3_keccak(data).digest()  # type: ignore[no-any-return]

    keccak256 = _keccak_pysha3
except ImportError:  # pragma: no cover
    keccak256 = _keccak_cryptodome

SALT_BYTES = 32


def new_salt() -> bytes:
    """32 random bytes from the OS CSPRNG, to keep (secret) with the record."""
    return secrets.token_bytes(SALT_BYTES)


def salted_content_hash(salt: bytes, content: bytes) -> bytes:
    """``keccak256(salt ‖ content)``: a salted content hash (case documents; a record is
    anchored with its :func:`record_hash`).

    ``salt`` must be exactly 32 bytes; ``content`` is the record's canonical serialization
    (e.g. UTF-8 JSON with sorted keys and no spaces), the same bytes the data node serves.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes, got {len(salt)}")
    return keccak256(salt + content)


RECORD_HASH_TAG = keccak256(b"govchain.record.v1")
ZERO_ADDRESS_BYTES = b"\0" * 20
_UINT32 = 2**32


def _address_bytes(subject: str | bytes | None) -> bytes:
    if subject is None:
        return ZERO_ADDRESS_BYTES
    if isinstance(subject, bytes):
        raw = subject
    else:
        text = subject[2:] if subject.startswith(("0x", "0X")) else subject
        raw = bytes.fromhex(text)
    if len(raw) != 20:
        raise ValueError("subject must be a 20-byte address")
    return raw


def record_hash(
    category: bytes,
    record_id: bytes,
    version: int,
    owner: bytes,
    subject: str | bytes | None,
    media_type: str,
    content: bytes,
    salt: bytes,
) -> bytes:
    """The record hash a record version is anchored with (``AnchorRegistry.recordHash``).

    Binds category, record id, version, owner department, subject (None = zero address),
    media type and content; ``salt`` (32 secret random bytes) makes it unguessable.
    """
    if len(category) != 32 or len(record_id) != 32 or len(owner) != 32:
        raise ValueError("category, record id and owner must be 32 bytes each")
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes, got {len(salt)}")
    if not 0 <= version < _UINT32:
        raise ValueError("version must fit in uint32")
    return keccak256(
        RECORD_HASH_TAG
        + category
        + record_id
        + version.to_bytes(32, "big")
        + owner
        + b"\0" * 12
        + _address_bytes(subject)
        + keccak256(media_type.encode())
        + keccak256(content)
        + salt
    )


def record_leaf(category: bytes, record_id: bytes, version: int, hash_: bytes) -> bytes:
    """The StandardMerkleTree leaf of ``(category, recordId, version, recordHash)``."""
    if len(category) != 32 or len(record_id) != 32 or len(hash_) != 32:
        raise ValueError("category, record id and record hash must be 32 bytes each")
    if not 0 <= version < _UINT32:
        raise ValueError("version must fit in uint32")
    return keccak256(keccak256(category + record_id + version.to_bytes(32, "big") + hash_))


class RecordTree:
    """A Merkle tree laid out as OpenZeppelin's ``StandardMerkleTree.of`` lays it out.

    Leaves are sorted by hash and placed at the end of an array of ``2n - 1`` nodes in reverse
    order; node ``i`` is the sorted-pair hash of nodes ``2i + 1`` and ``2i + 2``; node 0 is the
    root. :meth:`position` is a leaf's rank in the sorted order (what the store keeps).
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        if any(len(leaf) != 32 for leaf in leaves):
            raise ValueError("every leaf must be 32 bytes")
        ordered = sorted(leaves)
        n = len(ordered)
        tree: list[bytes] = [b""] * (2 * n - 1)
        tree[n - 1 :] = ordered[::-1]
        h = keccak256
        for i in range(n - 2, -1, -1):
            a, b = tree[2 * i + 1], tree[2 * i + 2]
            tree[i] = h(a + b if a < b else b + a)
        self._tree = tree
        self._n = n
        self._index: dict[bytes, int] | None = None

    @classmethod
    def of_records(cls, category: bytes, records: Iterable[tuple[bytes, int, bytes]]) -> RecordTree:
        """A tree over ``(record_id, version, record_hash)`` of one category."""
        return cls([record_leaf(category, r, v, h) for r, v, h in records])

    def __len__(self) -> int:
        return self._n

    @property
    def root(self) -> bytes:
        return self._tree[0]

    def leaf(self, position: int) -> bytes:
        """The leaf of sorted position ``position``."""
        if not 0 <= position < self._n:
            raise IndexError(position)
        return self._tree[len(self._tree) - 1 - position]

    def position(self, leaf: bytes) -> int:
        """The sorted position of ``leaf`` (raises KeyError if it is not a leaf)."""
        if self._index is None:
            size = len(self._tree)
            self._index = {self._tree[size - 1 - p]: p for p in range(self._n)}
        return self._index[leaf]

    def proof(self, position: int) -> list[bytes]:
        """Sibling hashes from the leaf of sorted position ``position`` up to the root."""
        if not 0 <= position < self._n:
            raise IndexError(position)
        index = len(self._tree) - 1 - position
        out = []
        while index > 0:
            sibling = index - 1 if index % 2 == 0 else index + 1
            out.append(self._tree[sibling])
            index = (index - 1) // 2
        return out

    def proof_of(self, leaf: bytes) -> list[bytes]:
        return self.proof(self.position(leaf))


def leaf_hash(record_id: bytes, content_hash: bytes) -> bytes:
    """A generic two-field leaf: ``keccak256(keccak256(id ‖ hash))`` (case documents; record
    batches use :func:`record_leaf`)."""
    if len(record_id) != 32 or len(content_hash) != 32:
        raise ValueError("record id and content hash must be 32 bytes each")
    return keccak256(keccak256(record_id + content_hash))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: keccak of the sorted pair."""
    return keccak256(a + b if a < b else b + a)


def process_proof(proof: Iterable[bytes], leaf: bytes) -> bytes:
    """The root a proof leads to from ``leaf`` (OpenZeppelin ``MerkleProof.processProof``)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify_proof(proof: Iterable[bytes], root: bytes, leaf: bytes) -> bool:
    return process_proof(proof, leaf) == root


class MerkleTree:
    """A Merkle tree over leaf hashes, kept as one ``bytes`` blob per level (32 bytes a node)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        level = b"".join(leaves)
        if len(level) != 32 * len(leaves):
            raise ValueError("every leaf must be 32 bytes")
        self._levels: list[bytes] = [level]
        h = keccak256
        while len(level) > 32:
            n = len(level) // 32
            nodes = [level[i : i + 32] for i in range(0, len(level), 32)]
            parts = [
                h(a + b if a < b else b + a) for a, b in zip(nodes[0::2], nodes[1::2], strict=False)
            ]
            if n % 2:
                parts.append(nodes[-1])
            level = b"".join(parts)
            self._levels.append(level)

    @classmethod
    def from_records(cls, records: Iterable[tuple[bytes, bytes]]) -> MerkleTree:
        """A tree over ``(record_id, content_hash)`` pairs, leaves in the given order."""
        h = keccak256
        pairs = [r + c for r, c in records]
        if any(len(p) != 64 for p in pairs):
            raise ValueError("record id and content hash must be 32 bytes each")
        return cls([h(h(p)) for p in pairs])

    def __len__(self) -> int:
        return len(self._levels[0]) // 32

    @property
    def root(self) -> bytes:
        return self._levels[-1]

    @property
    def depth(self) -> int:
        return len(self._levels) - 1

    def leaf(self, index: int) -> bytes:
        return self._node(0, index)

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf ``index`` up to the root."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        out = []
        for depth in range(len(self._levels) - 1):
            sibling = index ^ 1
            if sibling < len(self._levels[depth]) // 32:
                out.append(self._node(depth, sibling))
            index //= 2
        return out

    def _node(self, depth: int, index: int) -> bytes:
        level = self._levels[depth]
        return level[32 * index : 32 * index + 32]
