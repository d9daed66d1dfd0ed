"""EIP-712 messages of ``CaseApprovals`` and the Safe-style packing of co-signatures.

Every approver of a step signs the same ``Decision(caseId, step, approve, commentHash,
deadline)``; a submitter packs ``threshold`` signatures, ordered by signer address strictly
ascending, into ``StepDecision.signatures``:

* an EOA entry is its 65-byte ``r || s || v`` signature (``v`` 27 or 28);
* an ERC-1271 entry is ``r`` = the signer address, ``s`` = offset of its data, ``v`` = 0, and
  ``uint256 length || signature`` is appended after all entries.
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
        ("uint256", "deadline"),
    ],
)

ENTRY_LENGTH = 65


def domain(chain_id: int, contract: str) -> Domain:
    """The EIP-712 domain of a ``CaseApprovals`` deployment."""
    return Domain(DOMAIN_NAME, chain_id, contract)


def decision(
    case_id: bytes, step: int, approve: bool, comment_hash: bytes, deadline: int
) -> dict[str, Any]:
    """The ``Decision`` message fields, ready for :meth:`TypedMessage.digest` or ``.sign``."""
    if len(comment_hash) != 32 or len(case_id) != 32:
        raise ValueError("case_id and comment_hash are 32 bytes")
    return {
        "caseId": bytes(case_id),
        "step": step,
        "approve": approve,
        "commentHash": bytes(comment_hash),
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
        if s.contract:
            offset = base + len(tail)
            head += int(s.signer, 16).to_bytes(32, "big") + offset.to_bytes(32, "big") + b"\x00"
            tail += len(s.signature).to_bytes(32, "big") + s.signature
        else:
            if len(s.signature) != ENTRY_LENGTH:
                raise ValueError(f"an EOA signature is {ENTRY_LENGTH} bytes")
            head += s.signature
    return head + tail
