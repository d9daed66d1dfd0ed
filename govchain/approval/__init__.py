"""Approval cases: routes of department steps, decided by approvers' EIP-712 e-signatures.

Python mirrors of the ``ICaseApprovals`` structs (terms are passed back to every call that
needs them, the contract stores only their hash) and the typed messages in :mod:`.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.approval.messages import (
    DECISION,
    DOMAIN_NAME,
    SignerSignature,
    decision,
    domain,
    pack_signatures,
    sort_by_signer,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\x00" * 32

STEP_ABI = "(bytes32,uint8,uint40)"
TERMS_ABI = f"(bytes32,bytes32,address,bytes32,bytes32,uint64,bytes32,bytes32,{STEP_ABI}[])"


class CaseStatus(IntEnum):
    NONE = 0
    OPEN = 1
    APPROVED = 2
    REJECTED = 3
    WITHDRAWN = 4
    EXPIRED = 5


@dataclass(frozen=True)
class Step:
    """``threshold`` approvers of ``department`` decide by ``deadline`` (unix seconds)."""

    department: bytes
    threshold: int
    deadline: int

    def as_tuple(self) -> tuple[bytes, int, int]:
        return (self.department, self.threshold, self.deadline)


@dataclass(frozen=True)
class CaseTerms:
    """A case's immutable terms; exactly one of ``applicant_citizen``/``applicant_department``.

    ``documents_hash`` is the Merkle root of the e-documents; the case id is :meth:`case_id`.
    """

    documents_hash: bytes
    accepting_department: bytes
    route: tuple[Step, ...]
    applicant_citizen: str = ZERO_ADDRESS
    applicant_department: bytes = ZERO32
    schema: bytes = ZERO32
    attestation_expiry: int = 0
    attestation_ref_uid: bytes = ZERO32
    previous_case: bytes = ZERO32

    @property
    def applicant_key(self) -> bytes:
        """The applicant as the contract's 32-byte event topic."""
        if int(self.applicant_citizen, 16):
            return int(self.applicant_citizen, 16).to_bytes(32, "big")
        return self.applicant_department

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.documents_hash,
            self.accepting_department,
            self.applicant_citizen,
            self.applicant_department,
            self.schema,
            self.attestation_expiry,
            self.attestation_ref_uid,
            self.previous_case,
            [s.as_tuple() for s in self.route],
        )

    def case_id(self) -> bytes:
        """``keccak256(abi.encode(terms))``: the case's id, as ``CaseApprovals.caseIdOf``."""
        return bytes(keccak(encode([TERMS_ABI], [self.as_tuple()])))


__all__ = [
    "DECISION",
    "DOMAIN_NAME",
    "CaseStatus",
    "CaseTerms",
    "SignerSignature",
    "Step",
    "decision",
    "domain",
    "pack_signatures",
    "sort_by_signer",
]
