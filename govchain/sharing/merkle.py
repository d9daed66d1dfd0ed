"""Salted content hashes, record leaves and Merkle trees matching ``AnchorRegistry``.

Encodings (the contract's, byte for byte):

- content hash: ``keccak256(salt ‖ content)``, ``salt`` 32 secret random bytes kept with the
  record off chain (:func:`new_salt`). The salt makes the hash of a short or guessable record
  (an ID number, a pension amount) impossible to brute-force from the chain.
- leaf: ``keccak256(keccak256(abi.encode(recordId, contentHash)))`` — both ``bytes32``, so
  ``abi.encode`` is their plain 64-byte concatenation; hashing twice keeps a leaf from ever
  being read as an inner node.
- inner node: ``keccak256(min(a, b) ‖ max(a, b))`` (sorted pairs, OpenZeppelin ``MerkleProof``).
  A level of odd length carries its last node up unchanged, so a proof has at most
  ``ceil(log2(n))`` elements and any leaf order is fine.

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
    """``keccak256(salt ‖ content)``: the content hash a record is anchored with.

    ``salt`` must be exactly 32 bytes; ``content`` is the record's canonical serialization
    (e.g. UTF-8 JSON with sorted keys and no spaces), the same bytes the data node serves.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes, got {len(salt)}")
    return keccak256(salt + content)


def leaf_hash(record_id: bytes, content_hash: bytes) -> bytes:
    """The Merkle leaf of a record (see the module notes)."""
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
