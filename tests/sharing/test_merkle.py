"""govchain.sharing.merkle: encodings and proofs (off chain; on-chain checks are in test_anchor_registry)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from govchain.sharing.merkle import (
    MerkleTree,
    RecordTree,
    hash_pair,
    leaf_hash,
    process_proof,
    record_leaf,
    salted_content_hash,
    verify_proof,
)
from govchain.toolchain.paths import PROJECT_ROOT

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


def test_record_tree_matches_openzeppelin_standard_merkle_tree_npm(tmp_path: Path) -> None:
    """A batch built in Python verifies with ``@openzeppelin/merkle-tree`` (a third party's
    tool): same root, same proof for every leaf, and ``StandardMerkleTree.verify`` accepts."""
    category = b"HRSS.PENSION".ljust(32, b"\0")
    for size in (1, 2, 3, 7, 64, 101):
        records = [(keccak(bytes([size, i])), 1, keccak(bytes([i, size]))) for i in range(size)]
        tree = RecordTree.of_records(category, records)
        values = [["0x" + category.hex(), "0x" + r.hex(), v, "0x" + h.hex()] for r, v, h in records]
        script = (
            'const {StandardMerkleTree} = require("@openzeppelin/merkle-tree");'
            "const values = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));"
            'const types = ["bytes32", "bytes32", "uint32", "bytes32"];'
            "const t = StandardMerkleTree.of(values, types);"
            "const proofs = values.map((v) => t.getProof(v));"
            "const ok = values.every((v, i) => StandardMerkleTree.verify(t.root, types, v, proofs[i]));"
            "console.log(JSON.stringify({root: t.root, proofs, ok}));"
        )
        data = tmp_path / f"values-{size}.json"
        data.write_text(json.dumps(values))
        out = subprocess.run(
            ["node", "-e", script, str(data)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        answer = json.loads(out.stdout)
        assert answer["ok"] is True
        assert answer["root"] == "0x" + tree.root.hex()
        for (rid, v, h), proof in zip(records, answer["proofs"], strict=True):
            ours = tree.proof_of(record_leaf(category, rid, v, h))
            assert ["0x" + p.hex() for p in ours] == proof


def test_record_leaf_is_the_standard_merkle_tree_leaf() -> None:
    category, rid, h = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    encoded = encode(["bytes32", "bytes32", "uint32", "bytes32"], [category, rid, 7, h])
    assert record_leaf(category, rid, 7, h) == keccak(keccak(encoded))
    with pytest.raises(ValueError):
        record_leaf(category, rid, 2**32, h)
    with pytest.raises(ValueError):
        RecordTree([])
