"""The council's side of onboarding: the departments awaiting admission
(:func:`pending_admissions`, with the application each sent when its hash matches) and moving
one admission on (:func:`approve_admission`: propose, approve, execute)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress

from govchain.identity.base import Refused, code_text, hex32
from govchain.identity.council import Council, Proposal
from govchain.identity.departments import DepartmentStatus, as_code
from govchain.identity.onboarding import Step

ADMISSION_LIFETIME = 7 * 86400


@dataclass(frozen=True)
class Admission:
    """A department awaiting admission: what the chain says, its open admit proposal (if any)
    and its application document when one was supplied that matches its metadata hash."""

    code: str
    name: str
    region: int
    endpoint: str
    admin: ChecksumAddress | None
    metadata_hash: bytes
    proposal: Proposal | None
    document: Mapping[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        p = self.proposal
        return {
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "endpoint": self.endpoint,
            "admin": self.admin,
            "metadata_hash": hex32(self.metadata_hash),
            "proposal": None
            if p is None
            else {
                "id": hex32(p.id),
                "state": p.state,
                "approvals": p.approvals,
                "threshold": p.threshold,
                "approvers": p.approvers,
            },
            "application": dict(self.document) if self.document is not None else None,
        }


def open_admission(council: Council, code: str | bytes) -> Proposal | None:
    """The open (or ready) proposal to admit ``code``, if any."""
    wanted = f"admit {code_text(as_code(code))}"
    for proposal in reversed(council.proposals()):
        if proposal.description == wanted and proposal.state in ("open", "ready"):
            return proposal
    return None


def pending_admissions(
    council: Council, documents: Mapping[bytes, Mapping[str, Any]] | None = None
) -> list[Admission]:
    """Every Proposed department, oldest first; ``documents`` (metadata hash -> application)
    supply the applications the departments sent (only a matching one is shown)."""
    docs = documents or {}
    proposals = [p for p in council.proposals() if p.state in ("open", "ready")]
    found = []
    for d in council.departments.departments():
        if d.status != DepartmentStatus.PROPOSED:
            continue
        admins = council.departments.members(d.code)
        wanted = f"admit {d.code_text}"
        open_ = [p for p in proposals if p.description == wanted]
        found.append(
            Admission(
                d.code_text,
                d.name,
                d.region,
                d.endpoint,
                admins[0].account if admins else None,
                d.metadata_hash,
                open_[-1] if open_ else None,
                docs.get(d.metadata_hash),
            )
        )
    return found


def approve_admission(council: Council, code: str | bytes) -> list[Step]:
    """The sender (a council member) moves ``code``'s admission on: proposes it if no proposal
    is open (which counts as its approval), else approves it; executes it once it has enough
    approvals. A member who approved already only executes (or waits for others)."""
    departments = council.departments
    raw = departments.require(code)
    text = code_text(raw)
    status = departments.status(raw)
    if status != DepartmentStatus.PROPOSED:
        raise Refused(f"department {text} is {status.label}, not awaiting admission")
    sender = council._signer("approving an admission").address
    steps = []
    proposal = open_admission(council, raw)
    if proposal is None:
        call = council.actions.admit(raw)
        made = council.propose(call, council.now() + ADMISSION_LIFETIME)
        steps.append(Step("propose admit", "sent", f"proposal {hex32(made.id)}", made.sent.tx_hash))
        proposal = council.proposal(made.id)
    elif not council.has_approved(proposal.id, sender):
        sent = council.approve(proposal.id)
        steps.append(Step("approve", "sent", f"proposal {hex32(proposal.id)}", sent.tx_hash))
        proposal = council.proposal(proposal.id)
    else:
        steps.append(Step("approve", "done", f"{sender} approved {hex32(proposal.id)} already"))
    if proposal.approvals >= proposal.threshold:
        sent = council.execute(proposal.id)
        steps.append(Step("execute", "sent", f"{text} admitted", sent.tx_hash))
    else:
        steps.append(
            Step(
                "execute",
                "waiting",
                f"{proposal.approvals} of {proposal.threshold} approvals; another member runs "
                f"'govchain council review --approve {text}'",
            )
        )
    return steps
