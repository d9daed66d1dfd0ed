"""The Python EIP-712 declarations and derived ids match the identity contracts byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.identity.messages import (
    ATTEST,
    attestation_domain,
    department_tag,
    new_salt,
    salted_hash,
)
from tests.helpers import code


def test_attest_typehash_matches_contract(attestations: Any) -> None:
    assert attestations.ATTEST_TYPEHASH() == ATTEST.typehash()


def test_attest_digest_matches_contract(
    attestations: Any, chain: Any, depts: Any, citizens: list[Any]
) -> None:
    msg = {
        "attester": depts["PSB"].staff.address,
        "subject": citizens[0].address,
        "schema": b"\x01" * 32,
        "dataHash": b"\x02" * 32,
        "expiry": 1_900_000_000,
        "refUID": b"\x03" * 32,
        "nonce": 7,
        "deadline": 2_000_000_000,
    }
    struct_hash = keccak(
        ATTEST.typehash()
        + encode(
            ["address", "address", "bytes32", "bytes32", "uint64", "bytes32", "uint256", "uint256"],
            list(msg.values()),
        )
    )
    domain = attestation_domain(chain.chain_id, attestations.address)
    assert attestations.hashTypedData(struct_hash) == ATTEST.digest(domain, msg)


def test_salted_hash_is_keccak_of_salt_and_data() -> None:
    salt = new_salt()
    assert len(salt) == 32
    assert salted_hash(salt, b"x") == keccak(salt + b"x")
    assert salted_hash(salt, b"x") != salted_hash(new_salt(), b"x")


def test_short_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="salt"):
        salted_hash(b"short", b"x")


def test_department_tag_is_stored_tag(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    tx = attestations.attest(
        citizens[0], schemas["real_name"], b"\x01" * 32, 0, b"\0" * 32, sender=depts["PSB"].staff
    )
    [event] = tx.events.filter(attestations.Attested)
    assert attestations.getAttestation(event.uid).departmentTag == department_tag(code("PSB"))
