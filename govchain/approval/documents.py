"""The off-chain evidence of a case: its e-documents' Merkle root and salted comments.

Documents hash (:func:`documents_root`): the Merkle tree of :mod:`govchain.sharing.merkle`
over one leaf per file, ``record id = keccak256(file name)`` and ``content hash =
keccak256(salt ‖ file bytes)``, leaves in file-name order; the 32-byte salt is kept with the
documents so that the root on chain reveals nothing about them, and anyone holding the files
and the salt recomputes it. Comments and reasons go on chain only as salted commitments
(:func:`comment_commitment`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils.crypto import keccak

from govchain.errors import InvalidInput
from govchain.sharing.merkle import MerkleTree, new_salt, salted_content_hash


def comment_commitment(salt: bytes, text: str) -> bytes:
    """``keccak256(salt ‖ UTF-8 text)``: what goes on chain for a comment or reason.

    Never the unsalted hash of the text: a short text (a phone number, an ID number typed as a
    comment) is found again from its hash by trying every value. The 32-byte random salt and
    the text stay off chain, with the case's documents; whoever holds both checks the
    commitment.
    """
    if len(salt) != 32:
        raise InvalidInput("comment salt", "0x" + bytes(salt).hex(), "expected 32 bytes")
    return bytes(keccak(bytes(salt) + text.encode("utf-8")))


@dataclass(frozen=True)
class Comment:
    """A comment or reason kept off chain; only :attr:`commitment` goes on chain."""

    text: str
    salt: bytes

    @classmethod
    def new(cls, text: str, salt: bytes | None = None) -> Comment:
        """A comment committed with ``salt``, or a fresh random one (co-signers of one decision
        reuse the first signer's salt so they sign the same commitment)."""
        return cls(text, new_salt() if salt is None else bytes(salt))

    @property
    def commitment(self) -> bytes:
        return comment_commitment(self.salt, self.text)


@dataclass(frozen=True)
class Documents:
    """The Merkle root of a case's e-documents and the salt it was computed with."""

    root: bytes
    salt: bytes
    files: tuple[str, ...]


def documents_root(paths: Sequence[str | Path], salt: bytes | None = None) -> Documents:
    """The documents hash of files (see the module notes); a fresh salt unless one is given."""
    if not paths:
        raise InvalidInput("documents", "[]", "give at least one file")
    salt = new_salt() if salt is None else salt
    if len(salt) != 32:
        raise InvalidInput("salt", "0x" + salt.hex(), "expected 32 bytes")
    named: dict[str, bytes] = {}
    for item in paths:
        path = Path(item)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput("document", str(path), exc.strerror or str(exc)) from None
        if path.name in named:
            raise InvalidInput("document", str(path), "two documents have this file name")
        named[path.name] = content
    names = sorted(named)
    tree = MerkleTree.from_records(
        (bytes(keccak(text=n)), salted_content_hash(salt, named[n])) for n in names
    )
    return Documents(tree.root, salt, tuple(names))
