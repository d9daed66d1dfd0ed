"""Council proposals as readers see them, and members' EIP-712 approvals made off chain.

:class:`Proposal` (a council proposal's state), :class:`Call` (what may be proposed),
:class:`SignedApproval` (a member's approval signed off chain: ``CouncilApproval`` naming the
signer and its membership generation), :func:`sign_approval` and :func:`recover_signer`. The
client that sends them is :class:`govchain.identity.council.Council`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import ZERO_ADDRESS, Sent, hex32, iso_time
from govchain.identity.messages import COUNCIL_APPROVAL, council_domain
from govchain.safe import sign_safe_message

MAX_PROPOSAL_LIFETIME = 30 * 24 * 3600

#: Department registry functions only the council may call, by CLI name.
DEPARTMENT_ACTIONS = (
    "admit",
    "suspend",
    "reinstate",
    "retire",
    "replace-admin",
    "remove-member",
    "mark-compromised",
)


@dataclass(frozen=True)
class Call:
    """A call the council may propose: ``target`` with ``data``, and what it means."""

    target: ChecksumAddress
    data: bytes
    description: str


@dataclass(frozen=True)
class Proposal:
    """A council proposal as readers see it."""

    id: bytes
    target: ChecksumAddress
    data: bytes
    expiry: int
    executed: bool
    proposer: ChecksumAddress
    approvals: int
    threshold: int
    description: str
    approvers: list[ChecksumAddress] = field(default_factory=list)
    expired: bool = False
    cancelled: bool = False

    @property
    def state(self) -> str:
        if self.executed:
            return "executed"
        if self.cancelled:
            return "cancelled"
        if self.expired:
            return "expired"
        return "ready" if self.approvals >= self.threshold else "open"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": hex32(self.id),
            "action": self.description,
            "target": self.target,
            "data": "0x" + self.data.hex(),
            "expiry": self.expiry,
            "expires_at": iso_time(self.expiry),
            "proposer": self.proposer,
            "approvals": self.approvals,
            "threshold": self.threshold,
            "approvers": list(self.approvers),
            "executed": self.executed,
            "cancelled": self.cancelled,
            "state": self.state,
        }


@dataclass(frozen=True)
class Proposed:
    """A proposal just made: its id and the transaction."""

    id: bytes
    sent: Sent

    def as_dict(self) -> dict[str, Any]:
        return {"id": hex32(self.id), **self.sent.as_dict()}


@dataclass(frozen=True)
class SignedApproval:
    """A member's EIP-712 approval of a proposal, made off chain, to be submitted by anyone."""

    proposal: bytes
    signer: ChecksumAddress
    signature: bytes
    owner: ChecksumAddress | None = None
    """Set for one owner's part of a Safe ``signer``'s signature (its SafeMessage signature)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal": hex32(self.proposal),
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            **({"owner": self.owner} if self.owner else {}),
        }

    def token(self) -> str:
        """``SIGNER:SIGNATURE`` (a Safe owner's part: ``SAFE:OWNER:SIGNATURE``), the form
        ``govchain council approve --signature`` takes."""
        owner = f"{self.owner}:" if self.owner else ""
        return f"{self.signer}:{owner}0x{self.signature.hex()}"

    @classmethod
    def parse(cls, proposal: bytes, token: str) -> SignedApproval:
        """Parse ``SIGNER:0xSIGNATURE`` (a key's 65 bytes, or a contract wallet's bytes) or a
        Safe owner's ``SAFE:OWNER:0xSIGNATURE``."""
        parts = [p.strip() for p in token.split(":")]
        if len(parts) not in (2, 3):
            raise InvalidInput("signature", token, "expected SIGNER:0xSIGNATURE")
        signature = validate.hex_bytes(parts[-1], 65 if len(parts) == 3 else None, "signature")
        if len(signature) < 65:
            raise InvalidInput("signature", token, "a signature is at least 65 bytes")
        owner = validate.address(parts[1]) if len(parts) == 3 else None
        return cls(proposal, validate.address(parts[0]), signature, owner)


def approval_message(proposal: Proposal, member: str, generation: int) -> dict[str, Any]:
    """The ``CouncilApproval`` of ``proposal`` by ``member`` in its membership ``generation``
    (``Council.generationOf``): a signature never outlives the membership it was made in."""
    return {
        "proposalId": proposal.id,
        "target": proposal.target,
        "data": proposal.data,
        "expiry": proposal.expiry,
        "member": validate.address(member),
        "generation": generation,
    }


def sign_approval(
    account: LocalAccount,
    chain_id: int,
    council: str,
    proposal: Proposal,
    generation: int,
    safe: str | None = None,
) -> SignedApproval:
    """Sign ``proposal`` for the council at ``council`` on ``chain_id`` as the member in its
    membership ``generation``; no network needed. With ``safe`` the member is that Safe and
    ``account`` one of its owners: it signs the Safe's SafeMessage over the approval naming the
    Safe (one part of the Safe's signature, joined by :meth:`Council.approve_by_sig`)."""
    domain = council_domain(chain_id, council)
    if safe is None:
        message = approval_message(proposal, account.address, generation)
        signature = COUNCIL_APPROVAL.sign(account.key, domain, message)
        return SignedApproval(proposal.id, validate.address(account.address), signature)
    digest = COUNCIL_APPROVAL.digest(domain, approval_message(proposal, safe, generation))
    part = sign_safe_message(account, chain_id, safe, digest)
    return SignedApproval(proposal.id, validate.address(safe), part, account.address)


def recover_signer(
    chain_id: int,
    council: str,
    proposal: Proposal,
    signature: bytes,
    member: str,
    generation: int,
) -> str:
    message = approval_message(proposal, member, generation)
    try:
        return COUNCIL_APPROVAL.recover(council_domain(chain_id, council), message, signature)
    except (ValueError, TypeError):  # malformed signature bytes
        return ZERO_ADDRESS
