"""EIP-712 message types of the identity contracts, and the ids they derive.

Each declaration matches the typehash constant of its contract (tests compare both):
``AttestationRegistry.ATTEST_TYPEHASH``, the ``CitizenRegistry`` action typehashes and
``Council.APPROVAL_TYPEHASH``. Domains are ``Domain("<ContractName>", chain_id, address)``.
"""

from __future__ import annotations

import secrets

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain.eip712 import Domain, TypedMessage, message

# --- AttestationRegistry ------------------------------------------------------------------------

ATTEST = message(
    "Attest",
    [
        ("address", "attester"),
        ("bytes32", "department"),
        ("address", "subject"),
        ("bytes32", "schema"),
        ("bytes32", "dataHash"),
        ("uint64", "expiry"),
        ("bytes32", "refUID"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)

ATTESTATION_MESSAGES: dict[str, TypedMessage] = {"ATTEST_TYPEHASH": ATTEST}


def attestation_domain(chain_id: int, contract: str) -> Domain:
    return Domain("AttestationRegistry", chain_id, contract)


# --- CitizenRegistry ----------------------------------------------------------------------------

CHANGE_OWNER = message(
    "ChangeOwner",
    [
        ("address", "identity"),
        ("address", "owner"),
        ("address", "newOwner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
ADD_DELEGATE = message(
    "AddDelegate",
    [
        ("address", "identity"),
        ("bytes32", "delegateType"),
        ("address", "delegate"),
        ("uint256", "validity"),
        ("address", "owner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
REVOKE_DELEGATE = message(
    "RevokeDelegate",
    [
        ("address", "identity"),
        ("bytes32", "delegateType"),
        ("address", "delegate"),
        ("address", "owner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
SET_ATTRIBUTE = message(
    "SetAttribute",
    [
        ("address", "identity"),
        ("bytes32", "name"),
        ("bytes", "value"),
        ("uint256", "validity"),
        ("address", "owner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
REVOKE_ATTRIBUTE = message(
    "RevokeAttribute",
    [
        ("address", "identity"),
        ("bytes32", "name"),
        ("bytes", "value"),
        ("address", "owner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
SET_GUARDIANS = message(
    "SetGuardians",
    [
        ("address", "identity"),
        ("address[]", "guardians"),
        ("uint8", "threshold"),
        ("uint32", "delay"),
        ("address", "owner"),
        ("uint256", "nonce"),
        ("uint256", "deadline"),
    ],
)
CANCEL_RECOVERY = message(
    "CancelRecovery",
    [("address", "identity"), ("address", "owner"), ("uint256", "nonce"), ("uint256", "deadline")],
)
APPROVE_RECOVERY = message(
    "ApproveRecovery",
    [
        ("address", "identity"),
        ("address", "newOwner"),
        ("address", "guardian"),
        ("uint256", "epoch"),
        ("uint256", "deadline"),
    ],
)

CITIZEN_MESSAGES: dict[str, TypedMessage] = {
    "CHANGE_OWNER_TYPEHASH": CHANGE_OWNER,
    "ADD_DELEGATE_TYPEHASH": ADD_DELEGATE,
    "REVOKE_DELEGATE_TYPEHASH": REVOKE_DELEGATE,
    "SET_ATTRIBUTE_TYPEHASH": SET_ATTRIBUTE,
    "REVOKE_ATTRIBUTE_TYPEHASH": REVOKE_ATTRIBUTE,
    "SET_GUARDIANS_TYPEHASH": SET_GUARDIANS,
    "CANCEL_RECOVERY_TYPEHASH": CANCEL_RECOVERY,
    "APPROVE_RECOVERY_TYPEHASH": APPROVE_RECOVERY,
}


def citizen_domain(chain_id: int, contract: str) -> Domain:
    return Domain("CitizenRegistry", chain_id, contract)


# --- Council -----------------------------------------------------------------------------------

COUNCIL_APPROVAL = message(
    "CouncilApproval",
    [
        ("bytes32", "proposalId"),
        ("address", "target"),
        ("bytes", "data"),
        ("uint64", "expiry"),
        ("address", "member"),
        ("uint256", "generation"),
    ],
)

COUNCIL_MESSAGES: dict[str, TypedMessage] = {"APPROVAL_TYPEHASH": COUNCIL_APPROVAL}


def council_domain(chain_id: int, contract: str) -> Domain:
    return Domain("Council", chain_id, contract)


# --- derived ids -------------------------------------------------------------------------------


def salted_hash(salt: bytes, data: bytes) -> bytes:
    """``keccak256(salt || data)``: the commitment an attestation's data hash holds.

    The salt is a secret of at least 16 bytes kept with the record (off chain), so the hash of
    a low-entropy value such as an ID number cannot be reversed by trying every value.
    """
    if len(salt) < 16:
        raise ValueError("salt must be at least 16 bytes")
    return keccak(salt + data)


def new_salt() -> bytes:
    """A fresh 32-byte random salt."""
    return secrets.token_bytes(32)


def schema_uid(fields_hash: bytes, role_mask: int, department: bytes, revocable: bool) -> bytes:
    """``keccak256(abi.encode(fieldsHash, roleMask, department, revocable))``."""
    return keccak(
        encode(
            ["bytes32", "uint8", "bytes32", "bool"], [fields_hash, role_mask, department, revocable]
        )
    )


def department_tag(department: bytes) -> bytes:
    """The 16-byte tag a department code is stored as in attestation records."""
    return keccak(encode(["bytes32"], [department]))[:16]


def attestation_uid(
    schema: bytes,
    subject: str,
    attester: str,
    department: bytes,
    data_hash: bytes,
    expiry: int,
    ref_uid: bytes,
    issued_at: int,
) -> bytes:
    """An attestation's uid; ``issued_at`` is the timestamp of the block that holds it."""
    return keccak(
        encode(
            ["bytes32", "address", "address", "bytes32", "bytes32", "uint64", "bytes32", "uint256"],
            [
                schema,
                to_checksum_address(subject),
                to_checksum_address(attester),
                department,
                data_hash,
                expiry,
                ref_uid,
                issued_at,
            ],
        )
    )
