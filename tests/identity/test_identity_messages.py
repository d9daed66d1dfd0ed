"""The Python EIP-712 declarations and derived ids match the identity contracts byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.identity.messages import (
    ATTEST,
    CITIZEN_MESSAGES,
    COUNCIL_APPROVAL,
    COUNCIL_MESSAGES,
    SET_ATTRIBUTE,
    SET_GUARDIANS,
    attestation_domain,
    citizen_domain,
    council_domain,
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
        "department": code("PSB"),
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
            [
                "address",
                "bytes32",
                "address",
                "bytes32",
                "bytes32",
                "uint64",
                "bytes32",
                "uint256",
                "uint256",
            ],
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


def test_citizen_typehashes_match_contract(citizen_registry: Any) -> None:
    for constant, typed in CITIZEN_MESSAGES.items():
        assert getattr(citizen_registry, constant)() == typed.typehash(), constant


def test_citizen_digest_matches_contract(
    citizen_registry: Any, chain: Any, citizens: list[Any]
) -> None:
    domain = citizen_domain(chain.chain_id, citizen_registry.address)
    guardians = [citizens[1].address, citizens[2].address]
    msg = {
        "identity": citizens[0].address,
        "guardians": guardians,
        "threshold": 2,
        "delay": 86_400,
        "owner": citizens[0].address,
        "nonce": 3,
        "deadline": 2_000_000_000,
    }
    struct_hash = keccak(
        SET_GUARDIANS.typehash()
        + encode(
            ["address", "bytes32", "uint8", "uint32", "address", "uint256", "uint256"],
            [
                msg["identity"],
                keccak(encode(["address"] * 2, guardians)),
                2,
                86_400,
                citizens[0].address,
                3,
                2_000_000_000,
            ],
        )
    )
    assert citizen_registry.hashTypedData(struct_hash) == SET_GUARDIANS.digest(domain, msg)
    value = b"https://node.example/alice"
    attr = {
        "identity": citizens[0].address,
        "name": b"\x01" * 32,
        "value": value,
        "validity": 60,
        "owner": citizens[0].address,
        "nonce": 0,
        "deadline": 1,
    }
    struct_hash = keccak(
        SET_ATTRIBUTE.typehash()
        + encode(
            ["address", "bytes32", "bytes32", "uint256", "address", "uint256", "uint256"],
            [attr["identity"], attr["name"], keccak(value), 60, citizens[0].address, 0, 1],
        )
    )
    assert citizen_registry.hashTypedData(struct_hash) == SET_ATTRIBUTE.digest(domain, attr)


def test_council_typehash_and_digest_match_contract(council_contract: Any, chain: Any) -> None:
    for constant, typed in COUNCIL_MESSAGES.items():
        assert getattr(council_contract, constant)() == typed.typehash()
    msg = {
        "proposalId": b"\x01" * 32,
        "target": council_contract.address,
        "data": b"\x12\x34",
        "expiry": 99,
        "member": council_contract.address,
        "generation": 3,
    }
    struct_hash = keccak(
        COUNCIL_APPROVAL.typehash()
        + encode(
            ["bytes32", "address", "bytes32", "uint64", "address", "uint256"],
            [msg["proposalId"], msg["target"], keccak(b"\x12\x34"), 99, msg["member"], 3],
        )
    )
    domain = council_domain(chain.chain_id, council_contract.address)
    assert council_contract.hashTypedData(struct_hash) == COUNCIL_APPROVAL.digest(domain, msg)
