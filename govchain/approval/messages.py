"""EIP-712 messages of ``CaseApprovals`` and the packing of co-signatures.

Every approver's key signs one ``Decision(caseId, step, approve, commentHash, signer,
deadline)`` per step's decision with ``signer`` zero (:data:`ANY_SIGNER`: "the key that
signs"), so a step's keys all sign one digest, as a Safe's owners do; an ERC-1271 approver
wallet is asked about the ``Decision`` naming the wallet (R2-5: a wallet that accepts its
owner's signatures cannot present the owner's own approval as its own). A submitter packs
``threshold`` 65-byte entries, ordered by signer address strictly ascending, into
``StepDecision.signatures`` (Safe's encoding):

* an EOA entry is its signature ``r || s || v`` (``v`` 27 or 28); its signer is the key it
  recovers;
* an ERC-1271 entry is ``wallet (32 bytes, left-padded) || offset (32 bytes) || 0x00``, where
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

ANY_SIGNER = "0x0000000000000000000000000000000000000000"
"""The ``signer`` of the ``Decision`` a key signs: zero, "whoever recovers"."""
SIGNATURE_LENGTH = 65
"""An EOA's ECDSA signature ``r || s || v``."""
ENTRY_LENGTH = SIGNATURE_LENGTH
"""One packed entry: a key's signature, or a wallet's address and its data's offset."""


def domain(chain_id: int, contract: str) -> Domain:
    """The EIP-712 domain of a ``CaseApprovals`` deployment."""
    return Domain(DOMAIN_NAME, chain_id, contract)


def decision(
    case_id: bytes, step: int, approve: bool, comment_hash: bytes, signer: str, deadline: int
) -> dict[str, Any]:
    """The ``Decision`` message, ready for :meth:`TypedMessage.digest` or ``.sign``: ``signer``
    is :data:`ANY_SIGNER` for a key, or the ERC-1271 wallet the message is for."""
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
    """One approver's signature: ``signer`` is the key that made it (the address it recovers to)
    or, with ``contract``, the ERC-1271 signer (a multisig wallet) that accepts it."""

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
    """One packed 65-byte entry: a key's ``r || s || v``, or for an ERC-1271 signer
    ``wallet || offset || 0x00`` (its data sits at ``offset`` of the packed bytes)."""
    if signature.contract:
        wallet = int(signature.signer, 16).to_bytes(32, "big")
        return wallet + offset.to_bytes(32, "big") + b"\x00"
    if len(signature.signature) != SIGNATURE_LENGTH:
        raise ValueError(f"an EOA signature is {SIGNATURE_LENGTH} bytes")
    if signature.signature[64] not in (27, 28):
        raise ValueError("an EOA signature's v is 27 or 28")
    return bytes(signature.signature)


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
