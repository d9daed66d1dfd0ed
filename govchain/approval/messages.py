"""EIP-712 messages of ``CaseApprovals`` and the packing of co-signatures.

Every approver of a step signs a ``Decision(caseId, step, approve, commentHash, signer,
deadline)`` naming themselves as ``signer`` (so a signature counts for that one signer: R2-5);
a submitter packs ``threshold`` entries, ordered by signer address strictly ascending, into
``StepDecision.signatures``. Each 85-byte entry names its signer:

* an EOA entry is ``signer (20 bytes) || r || s || v`` (``v`` 27 or 28);
* an ERC-1271 entry is ``signer || offset (32 bytes) || 32 zero bytes || 0x00``, where
  ``offset`` is the byte offset of ``uint256 length || signature``, appended after all entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govchain.eip712 import Domain, TypedMessage, message

DOMAIN_NAME = "CaseApprovals"

DECISION: TypedMessage = message(
    "Decision",
    [
        ("bytes32", "caseId"),
        ("uint8", "step"),
        ("bool", "approve"),
        ("bytes32", "commentHash"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)

SIGNATURE_LENGTH = 65
"""An EOA's ECDSA signature ``r || s || v``."""
ENTRY_LENGTH = 20 + SIGNATURE_LENGTH
"""One packed entry: the signer it is for, then its signature (or its data's offset)."""


def domain(chain_id: int, contract: str) -> Domain:
    """The EIP-712 domain of a ``CaseApprovals`` deployment."""
    return Domain(DOMAIN_NAME, chain_id, contract)


def decision(
    case_id: bytes, step: int, approve: bool, comment_hash: bytes, signer: str, deadline: int
) -> dict[str, Any]:
    """The ``Decision`` message ``signer`` signs, ready for :meth:`TypedMessage.digest` or ``.sign``."""
    if len(comment_hash) != 32 or len(case_id) != 32:
        raise ValueError("case_id and comment_hash are 32 bytes")
    return {
        "caseId": bytes(case_id),
        "step": step,
        "approve": approve,
        "commentHash": bytes(comment_hash),
        "signer": signer,
        "deadline": deadline,
    }


@dataclass(frozen=True)
class SignerSignature:
    """One approver's signature; ``contract`` marks an ERC-1271 signer (a multisig wallet)."""

    signer: str
    signature: bytes
    contract: bool = False

    @property
    def key(self) -> int:
        return int(self.signer, 16)


def sort_by_signer(signatures: Iterable[SignerSignature]) -> list[SignerSignature]:
    """Signatures ordered by signer address ascending, as the contract requires."""
    return sorted(signatures, key=lambda s: s.key)


def entry(signature: SignerSignature, offset: int = 0) -> bytes:
    """One packed entry naming its signer: ``signer || r || s || v``, or for an ERC-1271 signer
    ``signer || offset || 0 || 0x00`` (its data sits at ``offset`` of the packed bytes)."""
    signer = int(signature.signer, 16).to_bytes(20, "big")
    if signature.contract:
        return signer + offset.to_bytes(32, "big") + bytes(33)
    if len(signature.signature) != SIGNATURE_LENGTH:
        raise ValueError(f"an EOA signature is {SIGNATURE_LENGTH} bytes")
    return signer + signature.signature


def pack_signatures(signatures: Iterable[SignerSignature]) -> bytes:
    """Sort by signer and encode for ``StepDecision.signatures``; duplicates are an error."""
    ordered = sort_by_signer(signatures)
    keys = [s.key for s in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError("a signer appears twice")
    head = b""
    tail = b""
    base = ENTRY_LENGTH * len(ordered)
    for s in ordered:
        head += entry(s, base + len(tail))
        if s.contract:
            tail += len(s.signature).to_bytes(32, "big") + s.signature
    return head + tail
