"""Client of ``Council``: the platform council's M-of-N proposals.

A proposal is a call (target + calldata) the council executes once enough members with a
voting seat approved it before its expiry: the larger of the threshold when it was proposed and
the current one. A seat votes only while its key is an ADMIN of an Active department, checked
again when the approvals are counted. :class:`CouncilActions`
(:mod:`govchain.identity.council_actions`) builds the calldata of the council-only functions (admit, suspend, reinstate, retire, replaceAdmin,
removeMemberByCouncil, markCompromised) and of the council's own (addMember, removeMember,
changeThreshold, cancel).

Approvals are made on chain (:meth:`Council.approve`) or signed off chain
(:func:`sign_approval`, EIP-712 ``CouncilApproval`` naming the signer and its membership
generation; no transaction, no gas) and submitted together by anyone
(:meth:`Council.approve_by_sig`). A member may withdraw its approval
(:meth:`Council.withdraw_approval`); the proposer or the council may cancel a proposal.

Checks before sending: the proposal exists (:class:`~govchain.errors.NotFound`, exit 2), is
not executed, cancelled nor expired; the sender (or each signer) is a member with a voting seat
who has not approved yet; each signature recovers to its claimed signer; execution has enough
approvals; the expiry of a new proposal is in the future and within 30 days.

The proposal and approval types (:class:`Proposal`, :class:`Call`, :class:`SignedApproval`,
:func:`sign_approval`) live in :mod:`govchain.identity.council_proposals` and are importable
from here too.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.exceptions import ContractLogicError

from govchain import validate
from govchain.errors import InvalidInput, NotFound
from govchain.identity.base import ContractClient, Refused, Sent, code_text, hex32, iso_time
from govchain.identity.council_actions import CouncilActions
from govchain.identity.council_proposals import (
    DEPARTMENT_ACTIONS,
    MAX_PROPOSAL_LIFETIME,
    Call,
    Proposal,
    Proposed,
    SignedApproval,
    approval_message,
    recover_signer,
    sign_approval,
)
from govchain.identity.departments import Departments, as_code
from govchain.identity.messages import COUNCIL_APPROVAL, council_domain
from govchain.network import Connection
from govchain.safe import OwnerSignature, SafeWallet, recover_safe_owner
from govchain.tx import Sender

__all__ = [
    "DEPARTMENT_ACTIONS",
    "MAX_PROPOSAL_LIFETIME",
    "Call",
    "Council",
    "CouncilActions",
    "Proposal",
    "Proposed",
    "SignedApproval",
    "approval_message",
    "council_call",
    "department_call",
    "recover_signer",
    "sign_approval",
]


class Council(ContractClient):
    """``Council`` for its members and for anyone who submits signatures or executes."""

    NAME = "Council"

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        super().__init__(connection, sender)
        self.departments = Departments(connection, sender)
        self.actions = CouncilActions(self.departments, self.address)

    # --- reads ---------------------------------------------------------------------------

    def members(self) -> list[ChecksumAddress]:
        return [validate.address(m) for m in self.contract.functions.members().call()]

    def threshold(self) -> int:
        return int(self.contract.functions.threshold().call())

    def is_member(self, account: str) -> bool:
        return bool(self.contract.functions.isMember(validate.address(account)).call())

    def has_seat(self, account: str) -> bool:
        """Whether ``account``'s vote counts now: a member that is an ADMIN of an Active
        department."""
        return bool(self.contract.functions.hasSeat(validate.address(account)).call())

    def generation_of(self, account: str) -> int:
        """``account``'s membership generation (0 if not a member), named in its signatures."""
        return int(self.contract.functions.generationOf(validate.address(account)).call())

    def has_approved(self, proposal: bytes, member: str) -> bool:
        function = self.contract.functions.hasApproved(proposal, validate.address(member))
        return bool(function.call())

    def describe(self, target: str, data: bytes) -> str:
        """What calldata does, e.g. ``admit HRSS`` (``call 0x..`` if not recognised)."""
        target = validate.address(target)
        for contract in (self.departments.contract, self.contract):
            if target != validate.address(contract.address):
                continue
            try:
                function, args = contract.decode_function_input(data)
            except (ValueError, KeyError):
                break
            name = function.fn_name
            if name in ("admit", "suspend", "reinstate", "retire"):
                return f"{name} {code_text(args['code'])}"
            if name == "replaceAdmin":
                old = args["oldAdmin"] if int(args["oldAdmin"], 16) else "(none)"
                return f"replace-admin {code_text(args['code'])} {old} -> {args['newAdmin']}"
            if name == "removeMemberByCouncil":
                return f"remove-member {args['account']}"
            if name == "markCompromised":
                return f"mark-compromised {args['account']}"
            rendered = ", ".join(str(v) for v in args.values())
            return f"{name}({rendered})"
        return f"call {target} 0x{data[:4].hex()}"

    def proposal(self, proposal_id: bytes) -> Proposal:
        """Proposal ``proposal_id``; :class:`NotFound` (exit 2) if there is none."""
        pid = validate.bytes32(proposal_id, "proposal id")
        try:
            view = self.contract.functions.proposal(pid).call()
        except ContractLogicError:
            raise NotFound("council proposal", hex32(pid), "see 'govchain council list'") from None
        target, expiry, executed, proposer, data, approvals, cancelled, needed = view
        members = self.members()
        return Proposal(
            id=pid,
            target=validate.address(target),
            data=bytes(data),
            expiry=int(expiry),
            executed=bool(executed),
            proposer=validate.address(proposer),
            approvals=int(approvals),
            threshold=int(needed),
            description=self.describe(target, bytes(data)),
            approvers=[m for m in members if self.has_approved(pid, m)],
            expired=not executed and not cancelled and self.now() >= int(expiry),
            cancelled=bool(cancelled),
        )

    def proposals(self) -> list[Proposal]:
        """Every proposal ever made (from ``ProposalCreated``), oldest first."""
        return [self.proposal(bytes(e["args"]["id"])) for e in self._logs("ProposalCreated")]

    # --- checks --------------------------------------------------------------------------

    def _open(self, proposal_id: bytes) -> Proposal:
        proposal = self.proposal(proposal_id)
        if proposal.executed:
            raise Refused(f"proposal {hex32(proposal.id)} was executed already")
        if proposal.cancelled:
            raise Refused(f"proposal {hex32(proposal.id)} was cancelled")
        if proposal.expired:
            raise Refused(f"proposal {hex32(proposal.id)} expired at {iso_time(proposal.expiry)}")
        return proposal

    def _seated(self, member: str) -> None:
        if not self.is_member(member):
            raise Refused(f"{member} is not a council member")
        if not self.has_seat(member):
            raise Refused(
                f"{member} holds no voting seat: it is not an ADMIN of an Active department"
            )

    def _can_approve(self, proposal: Proposal, member: str) -> None:
        self._seated(member)
        if self.has_approved(proposal.id, member):
            raise Refused(f"{member} approved proposal {hex32(proposal.id)} already")

    # --- writes --------------------------------------------------------------------------

    def propose(self, call: Call, expiry: int) -> Proposed:
        """Propose ``call`` until ``expiry`` (unix time); counts as the proposer's approval."""
        sender = self._signer("proposing")
        self._seated(sender.address)
        now = self.now()
        if expiry <= now:
            raise Refused(f"expiry {iso_time(expiry)} is not in the future")
        if expiry > now + MAX_PROPOSAL_LIFETIME:
            raise Refused(f"expiry {iso_time(expiry)} is more than 30 days ahead")
        function = self.contract.functions.propose(call.target, call.data, expiry)
        receipt = self._send(function, "proposing")
        events = self._event(receipt, "ProposalCreated")
        return Proposed(bytes(events[0]["args"]["id"]), Sent.of(receipt))

    def approve(self, proposal_id: bytes) -> Sent:
        """The sender, a member, approves on chain."""
        sender = self._signer("approving")
        proposal = self._open(proposal_id)
        self._can_approve(proposal, sender.address)
        return Sent.of(self._send(self.contract.functions.approve(proposal.id), "approving"))

    def sign(
        self, proposal_id: bytes, account: LocalAccount, safe: str | None = None
    ) -> SignedApproval:
        """``account``'s off-chain approval of an open proposal (read from chain, not sent);
        with ``safe``, as one owner of that Safe member (checked to be an owner now)."""
        proposal = self._open(proposal_id)
        member = validate.address(safe) if safe else account.address
        self._can_approve(proposal, member)
        if safe and account.address not in SafeWallet(self.connection.w3, member).owners():
            raise Refused(f"{account.address} is not an owner of Safe {member}")
        generation = self.generation_of(member)
        return sign_approval(
            account, self.connection.chain_id, self.address, proposal, generation, safe
        )

    def _digest(self, proposal: Proposal, member: str) -> bytes:
        message = approval_message(proposal, member, self.generation_of(member))
        return COUNCIL_APPROVAL.digest(
            council_domain(self.connection.chain_id, self.address), message
        )

    def _join_safe_parts(
        self, proposal: Proposal, approvals: list[SignedApproval]
    ) -> list[SignedApproval]:
        """Safe owners' parts joined into each Safe's signature (ascending owner order)."""
        out = [a for a in approvals if a.owner is None]
        safes: dict[str, list[SignedApproval]] = {}
        for a in approvals:
            if a.owner is not None:
                safes.setdefault(a.signer, []).append(a)
        for safe, parts in safes.items():
            digest = self._digest(proposal, safe)
            chain_id = self.connection.chain_id
            for part in parts:
                if recover_safe_owner(chain_id, safe, digest, part.signature) != part.owner:
                    raise Refused(
                        f"the part given for {part.owner} is not its signature of Safe {safe}'s "
                        f"approval of proposal {hex32(proposal.id)}"
                    )
            owners = [OwnerSignature(p.owner, p.signature) for p in parts if p.owner]
            try:
                joined = SafeWallet(self.connection.w3, safe).check_owner_signatures(owners)
            except InvalidInput as exc:
                raise Refused(exc.reason) from None
            out.append(SignedApproval(proposal.id, validate.address(safe), joined))
        return out

    def approve_by_sig(self, proposal_id: bytes, approvals: list[SignedApproval]) -> Sent:
        """Submit signed approvals (anyone may); each is checked locally first."""
        if not approvals:
            raise InvalidInput("signatures", "[]", "give at least one")
        proposal = self._open(proposal_id)
        approvals = self._join_safe_parts(proposal, approvals)
        seen: set[str] = set()
        for approval in approvals:
            if approval.proposal != proposal.id:
                raise InvalidInput("signature", approval.token(), "signed for another proposal")
            if approval.signer in seen:
                raise InvalidInput("signature", approval.token(), "signer named twice")
            seen.add(approval.signer)
            if self.connection.w3.eth.get_code(approval.signer):  # a contract wallet: ERC-1271
                wallet = SafeWallet(self.connection.w3, approval.signer)
                if not wallet.accepts(self._digest(proposal, approval.signer), approval.signature):
                    raise Refused(
                        f"wallet {approval.signer} does not accept the signature given for it "
                        f"as its approval of proposal {hex32(proposal.id)} (ERC-1271)"
                    )
                self._can_approve(proposal, approval.signer)
                continue
            signer = recover_signer(
                self.connection.chain_id,
                self.address,
                proposal,
                approval.signature,
                approval.signer,
                self.generation_of(approval.signer),
            )
            if validate.address(signer) != approval.signer:
                raise Refused(
                    f"the signature given for {approval.signer} is not its approval of "
                    f"proposal {hex32(proposal.id)} on this council in its current membership"
                )
            self._can_approve(proposal, approval.signer)
        function = self.contract.functions.approveBySig(
            proposal.id, [a.signer for a in approvals], [a.signature for a in approvals]
        )
        return Sent.of(self._send(function, "submitting approvals"))

    def execute(self, proposal_id: bytes) -> Sent:
        """Execute a proposal with enough approvals (anyone may)."""
        proposal = self._open(proposal_id)
        if proposal.approvals < proposal.threshold:
            raise Refused(
                f"proposal {hex32(proposal.id)} has {proposal.approvals} of the "
                f"{proposal.threshold} approvals it needs"
            )
        return Sent.of(self._send(self.contract.functions.execute(proposal.id), "executing"))

    def cancel(self, proposal_id: bytes) -> Sent:
        """The proposer (holding a voting seat) cancels its open proposal."""
        sender = self._signer("cancelling")
        proposal = self._open(proposal_id)
        if proposal.proposer != sender.address:
            raise Refused(
                f"only the proposer {proposal.proposer} (or the council, by a proposal) may "
                f"cancel proposal {hex32(proposal.id)}"
            )
        self._seated(sender.address)
        return Sent.of(self._send(self.contract.functions.cancel(proposal.id), "cancelling"))

    def withdraw_approval(self, proposal_id: bytes) -> Sent:
        """The sender withdraws its approval of an open proposal (its signatures lapse too)."""
        sender = self._signer("withdrawing an approval")
        proposal = self._open(proposal_id)
        if not self.has_approved(proposal.id, sender.address):
            raise Refused(f"{sender.address} has no counted approval of {hex32(proposal.id)}")
        function = self.contract.functions.withdrawApproval(proposal.id)
        return Sent.of(self._send(function, "withdrawing an approval"))


def council_call(council: Council, function: str, args: list[Any], description: str) -> Call:
    """A call of the council on itself (addMember, removeMember, changeThreshold)."""
    return council.actions._council(council.contract, function, args, description)


def department_call(
    council: Council, action: str, code: str | bytes, old: str | None = None, new: str = ""
) -> Call:
    """The calldata of a department action by CLI name (``admit`` ... ``replace-admin``)."""
    if action == "replace-admin":
        return council.actions.replace_admin(code, old, new)
    if action == "remove-member":
        return council.actions.remove_member(new)
    if action == "mark-compromised":
        return council.actions.mark_compromised(new)
    as_code(code)
    return council.actions.status_change(action, code)
