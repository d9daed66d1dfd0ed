"""govchain.sharing.merkle: encodings and proofs (off chain; on-chain checks are in test_anchor_registry)."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from govchain.sharing.merkle import (
    MerkleTree,
    hash_pair,
    leaf_hash,
    process_proof,
    salted_content_hash,
    verify_proof,
)

b32 = st.binary(min_size=32, max_size=32)


def test_salted_content_hash_is_keccak_of_salt_and_content() -> None:
    salt = bytes(range(32))
    assert salted_content_hash(salt, b"abc") == keccak(salt + b"abc")
    with pytest.raises(ValueError):
        salted_content_hash(b"short", b"abc")


def test_leaf_is_double_keccak_of_abi_encoded_pair() -> None:
    rid, h = b"\x01" * 32, b"\x02" * 32
    assert leaf_hash(rid, h) == keccak(keccak(encode(["bytes32", "bytes32"], [rid, h])))
    with pytest.raises(ValueError):
        leaf_hash(b"\x01", h)


def test_inner_nodes_hash_sorted_pairs() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(a + b)


def test_tree_rejects_empty_and_malformed_input() -> None:
    with pytest.raises(ValueError):
        MerkleTree([])
    with pytest.raises(ValueError):
        MerkleTree([b"\x01"])
    with pytest.raises(ValueError):
        MerkleTree.from_records([(b"\x01", b"\x02")])
    with pytest.raises(IndexError):
        MerkleTree([b"\x01" * 32]).proof(1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(b32, b32), min_size=1, max_size=70))
def test_every_proof_verifies_and_has_at_most_ceil_log2_elements(
    records: list[tuple[bytes, bytes]],
) -> None:
    tree = MerkleTree.from_records(records)
    assert len(tree) == len(records)
    for i, (rid, h) in enumerate(records):
        proof = tree.proof(i)
        assert len(proof) <= max(0, (len(records) - 1).bit_length())
        assert process_proof(proof, leaf_hash(rid, h)) == tree.root
        assert verify_proof(proof, tree.root, tree.leaf(i))
        assert not verify_proof(proof, tree.root, leaf_hash(rid, keccak(h)))
