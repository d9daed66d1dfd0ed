"""k-of-n decisions of objections: the EIP-712 ``ObjectionDecision`` approvers sign off chain.

``ObjectionDecision(bytes32 objectionId,bool uphold,uint32 correctedVersion,bytes32
reasonCommitment,address signer,uint256 deadline)`` under ``Domain("ObjectionRegistry", chain id,
registry)``: the domain binds chain and contract, the objection id is the message's unique id (an
objection is decided once), the deadline bounds it, and the message names its signer (R2-5), so
one approver's signature cannot count for another key or an ERC-1271 wallet.

Each approver of the owner department signs with :func:`sign_decision` (``govchain objection
sign`` writes a :class:`SignedDecision` file); anyone relays
``ObjectionRegistry.thresholdOf(owner)`` of them, signers strictly ascending (:func:`ordered`), with ``uphold`` or ``reject``. A rejection
file carries the reason text and its salt, so a co-signer reads what he signs and checks the
commitment (the text then goes to the citizen through the owner's data node, never on chain).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from govchain import validate
from govchain.eip712 import Domain, TypedMessage, message
from govchain.errors import InvalidInput, explain
from govchain.files import read_json
from govchain.identity.base import hex32

DOMAIN_NAME = "ObjectionRegistry"
SIGNED_FORMAT = "govchain.objection.decision/1"

OBJECTION_DECISION: TypedMessage = message(
    "ObjectionDecision",
    [
        ("bytes32", "objectionId"),
        ("bool", "uphold"),
        ("uint32", "correctedVersion"),
        ("bytes32", "reasonCommitment"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)

DECISION_EXPLANATIONS: dict[str, str] = {
    "ObjectionInsufficientSignatures": (
        "a decision needs exactly {required} approvers' signatures, {given} were given"
    ),
    "ObjectionSignerOrder": (
        "signer {signer} is not above {previous}: signers must be distinct and ascending"
    ),
}

for _name, _template in DECISION_EXPLANATIONS.items():
    explain(_name, _template)


def domain(chain_id: int, registry: str) -> Domain:
    """The EIP-712 domain of an ``ObjectionRegistry`` deployment."""
    return Domain(DOMAIN_NAME, chain_id, registry)


@dataclass(frozen=True)
class SignedDecision:
    """One approver's signature of one decision (``reason``/``salt``: a rejection's text)."""

    objection: bytes
    uphold: bool
    corrected_version: int
    reason_commitment: bytes
    deadline: int
    signer: str
    signature: bytes
    reason: str | None = None
    salt: bytes | None = None

    def message(self) -> dict[str, Any]:
        return decision_message(
            self.objection,
            self.uphold,
            self.corrected_version,
            self.reason_commitment,
            self.signer,
            self.deadline,
        )

    def decision(self) -> tuple[bytes, bool, int, bytes, int]:
        """What every co-signer of one decision must have signed alike."""
        return (
            self.objection,
            self.uphold,
            self.corrected_version,
            self.reason_commitment,
            self.deadline,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": SIGNED_FORMAT,
            "objection": hex32(self.objection),
            "decision": "uphold" if self.uphold else "reject",
            "corrected_version": self.corrected_version,
            "reason_commitment": hex32(self.reason_commitment),
            "deadline": self.deadline,
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            "reason": self.reason,
            "salt": hex32(self.salt) if self.salt is not None else None,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> SignedDecision:
        """Read a file written by ``govchain objection sign``."""
        data = read_json(path, "signed decision file")
        try:
            if data.get("format") != SIGNED_FORMAT:
                raise ValueError(f"not a {SIGNED_FORMAT} file")
            if data["decision"] not in ("uphold", "reject"):
                raise ValueError("decision must be uphold or reject")
            salt = data.get("salt")
            return cls(
                objection=validate.bytes32(data["objection"], "objection id"),
                uphold=data["decision"] == "uphold",
                corrected_version=int(data["corrected_version"]),
                reason_commitment=validate.bytes32(data["reason_commitment"], "commitment"),
                deadline=int(data["deadline"]),
                signer=validate.address(data["signer"]),
                signature=bytes.fromhex(str(data["signature"]).removeprefix("0x")),
                reason=data.get("reason"),
                salt=validate.bytes32(salt, "salt") if salt else None,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput("signed decision file", str(path), str(exc)) from None


def decision_message(
    objection: bytes,
    uphold: bool,
    corrected_version: int,
    reason_commitment: bytes,
    signer: str,
    deadline: int,
) -> dict[str, Any]:
    return {
        "objectionId": bytes(objection),
        "uphold": bool(uphold),
        "correctedVersion": int(corrected_version),
        "reasonCommitment": bytes(reason_commitment),
        "signer": validate.address(signer),
        "deadline": int(deadline),
    }


def sign_decision(
    account: LocalAccount,
    dom: Domain,
    objection: bytes,
    *,
    uphold: bool,
    deadline: int,
    corrected_version: int = 0,
    reason_commitment: bytes = b"\0" * 32,
    reason: str | None = None,
    salt: bytes | None = None,
) -> SignedDecision:
    """``account``'s signature of a decision naming ``account`` as its signer."""
    msg = decision_message(
        objection, uphold, corrected_version, reason_commitment, account.address, deadline
    )
    signature = OBJECTION_DECISION.sign(account.key, dom, msg)
    return SignedDecision(
        bytes(objection),
        uphold,
        int(corrected_version),
        bytes(reason_commitment),
        int(deadline),
        account.address,
        signature,
        reason,
        salt,
    )


def ordered(signed: Sequence[SignedDecision]) -> list[SignedDecision]:
    """The signatures of ONE decision, signers ascending; refuses a mix or a duplicate signer."""
    if not signed:
        raise InvalidInput("signed decisions", "none", "give at least one")
    first = signed[0].decision()
    for s in signed[1:]:
        if s.decision() != first:
            raise InvalidInput("signed decision", s.signer, "signs another decision than the first")
    out = sorted(signed, key=lambda s: int(s.signer, 16))
    for a, b in itertools.pairwise(out):
        if a.signer == b.signer:
            raise InvalidInput("signed decision", a.signer, "signs twice")
    return out


__all__ = [
    "DECISION_EXPLANATIONS",
    "OBJECTION_DECISION",
    "SignedDecision",
    "decision_message",
    "domain",
    "ordered",
    "sign_decision",
]
