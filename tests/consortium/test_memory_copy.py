"""OpenZeppelin's memory copies give the same bytes on every EVM level we build for.

On Cancun they are ``mcopy``; in the Paris build they are compat/paris/'s word-by-word copies
(govchain/toolchain/evm.py). ``make test`` runs this file in both builds, so each property is
checked against a plain Python model on both: any difference between the builds fails one of
them. The ERC-1271 path of SignatureChecker (the only copy our contracts execute) is checked
with a real contract wallet and signatures of every length around the 32-byte word edges.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import hypothesis_examples

BYTES = st.binary(max_size=100)
INDEX = st.integers(min_value=0, max_value=120)


@pytest.fixture(scope="module")
def probe(project: Any, deployer: Any) -> Any:
    return project.MemoryCopyProbe.deploy(sender=deployer)


@settings(max_examples=hypothesis_examples(0.3))
@given(buffer=BYTES, start=INDEX, end=INDEX)
def test_slice_matches_python(probe: Any, buffer: bytes, start: int, end: int) -> None:
    end_ = min(end, len(buffer))
    start_ = min(start, end_)
    assert bytes(probe.slice(buffer, start, end)) == buffer[start_:end_]


@settings(max_examples=hypothesis_examples(0.3))
@given(buffer=BYTES, start=INDEX, end=INDEX)
def test_splice_moves_within_one_buffer(probe: Any, buffer: bytes, start: int, end: int) -> None:
    end_ = min(end, len(buffer))
    start_ = min(start, end_)
    assert bytes(probe.splice(buffer, start, end)) == buffer[start_:end_]


def _replace(buffer: bytes, pos: int, replacement: bytes, offset: int, length: int) -> bytes:
    pos = min(pos, len(buffer))
    offset = min(offset, len(replacement))
    length = min(length, min(len(replacement) - offset, len(buffer) - pos))
    out = bytearray(buffer)
    out[pos : pos + length] = replacement[offset : offset + length]
    return bytes(out)


@settings(max_examples=hypothesis_examples(0.3))
@given(buffer=BYTES, pos=INDEX, replacement=BYTES, offset=INDEX, length=INDEX)
def test_replace_matches_python(
    probe: Any, buffer: bytes, pos: int, replacement: bytes, offset: int, length: int
) -> None:
    expected = _replace(buffer, pos, replacement, offset, length)
    assert bytes(probe.replace(buffer, pos, replacement, offset, length)) == expected


@settings(max_examples=hypothesis_examples(0.3))
@given(buffer=BYTES, pos=INDEX, offset=INDEX, length=INDEX)
def test_replace_with_itself_copies_overlapping_ranges(
    probe: Any, buffer: bytes, pos: int, offset: int, length: int
) -> None:
    """Source and target overlap in both directions: the copy must behave like memmove."""
    expected = _replace(buffer, pos, buffer, offset, length)
    assert bytes(probe.replaceSelf(buffer, pos, offset, length)) == expected


@settings(max_examples=hypothesis_examples(0.2))
@given(parts=st.lists(BYTES, max_size=5))
def test_concat_matches_python(probe: Any, parts: list[bytes]) -> None:
    assert bytes(probe.concat(parts)) == b"".join(parts)


@pytest.mark.parametrize("extra", [0, 1, 31, 32, 33, 64, 95])
def test_erc1271_signature_is_copied_whole(
    probe: Any, project: Any, deployer: Any, accounts: Any, extra: int
) -> None:
    """The wallet accepts its owner's signature; any trailing bytes (signature lengths across
    word edges) reach it intact, and a flipped last byte is refused."""
    owner = Account.create()
    wallet = project.TestContractWallet.deploy(owner.address, sender=deployer)
    digest = b"\x42" * 32
    signature = bytes(owner.unsafe_sign_hash(digest).signature)
    assert probe.isValidERC1271SignatureNow(wallet.address, digest, signature) is True
    padded = signature + bytes(range(extra))
    # the test wallet recovers from exactly 65 bytes: longer input is refused by ECDSA
    assert probe.isValidERC1271SignatureNow(wallet.address, digest, padded) is (extra == 0)
    flipped = signature[:-1] + bytes([signature[-1] ^ 0x01])
    assert probe.isValidERC1271SignatureNow(wallet.address, digest, flipped) is False
