"""Client of ``Council``: the platform council's M-of-N proposals.

A proposal is a call (target + calldata) the council executes once enough members with a
voting seat approved it before its expiry: the larger of the threshold when it was proposed and
the current one. A seat votes only while its key is an ADMIN of an Active department, checked
again when the approvals are counted. :class:`CouncilActions` builds the calldata of the
department registry's council-only functions (admit, suspend, reinstate, retire, replaceAdmin,
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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.exceptions import ContractLogicError

from govchain import validate
from govchain.errors import InvalidInput, NotFound
from govchain.identity.base import (
    ZERO_ADDRESS,
    ContractClient,
    Refused,
    Sent,
    code_text,
    hex32,
    iso_time,
)
from govchain.identity.departments import Departments, as_code
from govchain.identity.messages import COUNCIL_APPROVAL, council_domain
from govchain.network import Connection
from govchain.safe import OwnerSignature, SafeWallet, recover_safe_owner, sign_safe_message
from govchain.tx import Sender

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


class CouncilActions:
    """Calldata of the council-only functions, with a description of each."""

    def __init__(self, departments: Departments, council_address: str) -> None:
        self.departments = departments
        self.council_address = validate.address(council_address)

    def _registry(self, function: str, args: list[Any], description: str) -> Call:
        registry = self.departments.contract
        data = bytes.fromhex(registry.encode_abi(function, args)[2:])
        return Call(validate.address(registry.address), data, description)

    def status_change(self, action: str, code: str | bytes) -> Call:
        """``admit``, ``suspend``, ``reinstate`` or ``retire`` of a known department."""
        if action not in ("admit", "suspend", "reinstate", "retire"):
            raise InvalidInput("council action", action, "admit, suspend, reinstate or retire")
        raw = self.departments.require(code)
        return self._registry(action, [raw], f"{action} {code_text(raw)}")

    def admit(self, code: str | bytes) -> Call:
        return self.status_change("admit", code)

    def suspend(self, code: str | bytes) -> Call:
        return self.status_change("suspend", code)

    def reinstate(self, code: str | bytes) -> Call:
        return self.status_change("reinstate", code)

    def retire(self, code: str | bytes) -> Call:
        return self.status_change("retire", code)

    def replace_admin(self, code: str | bytes, old_admin: str | None, new_admin: str) -> Call:
        raw = self.departments.require(code)
        old = validate.address(old_admin) if old_admin else validate.address(ZERO_ADDRESS)
        new = validate.address(new_admin)
        return self._registry(
            "replaceAdmin",
            [raw, old, new],
            f"replace-admin {code_text(raw)} {old if old_admin else '(none)'} -> {new}",
        )

    def remove_member(self, account: str) -> Call:
        """Remove ``account`` from its department, whatever the department's status."""
        address = validate.address(account)
        member = self.departments.member_of(address)
        if member.department is None:
            raise Refused(f"{address} is in no department")
        return self._registry(
            "removeMemberByCouncil",
            [address],
            f"remove-member {address} from {code_text(member.department)}",
        )

    def mark_compromised(self, account: str) -> Call:
        """Mark ``account`` compromised: removed from its department, never to join again."""
        address = validate.address(account)
        if self.departments.compromised_since(address):
            raise Refused(f"{address} is marked compromised already")
        return self._registry("markCompromised", [address], f"mark-compromised {address}")

    def _council(self, contract: Any, function: str, args: list[Any], description: str) -> Call:
        data = bytes.fromhex(contract.encode_abi(function, args)[2:])
        return Call(self.council_address, data, description)


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
