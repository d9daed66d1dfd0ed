"""govchain.validate's EIP-55 checksum (written on eth-hash's keccak so that a one-call CLI
command does not import eth_utils) agrees with eth_utils' for every address."""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from govchain import validate
from govchain.errors import InvalidAddress

addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())


@given(addresses)
def test_the_checksum_is_eth_utils_checksum(lower: str) -> None:
    expected = to_checksum_address(lower)
    assert validate.address(lower) == expected
    assert validate.address("0x" + lower[2:].upper()) == expected
    assert validate.address(expected) == expected
    assert validate.address(lower[2:]) == expected  # eth_utils accepts it without 0x too


@given(addresses)
def test_a_mistyped_checksum_is_refused(lower: str) -> None:
    good = to_checksum_address(lower)
    letters = [i for i, c in enumerate(good) if i > 1 and c.isalpha()]
    if len(letters) < 2:  # needs a mixed-case address to mistype
        return
    i = letters[0]
    bad = good[:i] + good[i].swapcase() + good[i + 1 :]
    if bad[2:] in (bad[2:].lower(), bad[2:].upper()):
        return
    with pytest.raises(InvalidAddress, match="checksum does not match"):
        validate.address(bad)


@pytest.mark.parametrize(
    "value", [None, 5, "0x", "0x" + "g" * 40, "0x" + "a" * 39, "0x" + "a" * 41]
)
def test_what_is_not_an_address_is_refused(value: object) -> None:
    with pytest.raises(InvalidAddress):
        validate.address(value)
