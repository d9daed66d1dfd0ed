"""Typed client of ``CaseApprovals``: open cases, sign and submit decisions, read a case's trail.

A case's terms (documents, applicant, route, attestation, earlier case) are hashed into its id
and kept off storage; every transaction passes them back. :meth:`Cases.terms_of` recovers them
from the ``CaseOpened`` event, so a client holding only the case id can act on it.

Approvers sign a step's ``Decision`` off chain (:mod:`.decisions`); anyone relays ``threshold``
of them with :meth:`Cases.submit`. Before anything is sent the client checks, and explains in
plain words: the case exists and is open, the decision is for the open step, the step's and the
decision's deadlines have not passed (chain time), each signature is its named signer's for
this contract and chain, no signer appears twice, each signer is an active APPROVER of the
step's department, and there are enough of them. What is not checked here is still caught by
the :class:`~govchain.tx.Sender`'s ``eth_call`` preflight, which names the contract's custom
error.

The documents hash and comments are in :mod:`.documents`, the read models in :mod:`.views`;
their names are re-exported here (``from govchain.approval.cases import ...`` keeps working).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.exceptions import Web3Exception
from web3.types import Wei

from govchain.approval import CaseTerms
from govchain.approval import explanations as _explanations  # noqa: F401  (registers the texts)
from govchain.approval.access import decision_access_list
from govchain.approval.decisions import SIGNED_DECISION_FORMAT, SignedDecision, sign_decision
from govchain.approval.documents import Comment, Documents, comment_commitment, documents_root
from govchain.approval.messages import pack_signatures
from govchain.approval.reader import (
    CONTRACT,
    DEPARTMENT_STATUS,
    ROLE_APPROVER,
    ROLE_STAFF,
    CaseReader,
    refused,
)
from govchain.approval.views import (
    ZERO32,
    CaseEvent,
    CaseState,
    CaseSummary,
    Sent,
    code_text,
    when,
)
from govchain.errors import InvalidInput
from govchain.safe import OwnerSignature, SafeWallet
from govchain.tx import encode_call

ERC1271_SELECTOR = bytes.fromhex("1626ba7e")  # isValidSignature(bytes32,bytes)


class Cases(CaseReader):
    """The ``CaseApprovals`` deployment of a connection; ``sender`` signs what is sent."""

    # --- transactions ---------------------------------------------------------------------

    def open(self, terms: CaseTerms) -> Sent:
        """Open a case; returns its id (``terms.case_id()``) and the transaction.

        Checked before sending: the sender is an active STAFF member of the accepting
        department, every route department exists, and the route's deadlines lie in the
        future and never decrease. The rest (schema allowed, earlier case, case exists) is
        named by the preflight. A case that issues an attestation must route through a step
        of the accepting department (its approvers carry the authority to issue it).
        """
        sender = self._need_sender()
        accepting = terms.accepting_department
        self.require_department(accepting)
        if not self.is_member(sender.address, accepting, ROLE_STAFF):
            raise refused(
                "ApprovalNotStaff",
                f"{sender.address} is not an active STAFF member of {code_text(accepting)}",
            )
        now, previous = self.now(), 0
        for i, step in enumerate(terms.route):
            self.require_department(step.department)
            if step.deadline <= now:
                raise InvalidInput("route step", i, f"deadline {when(step.deadline)} has passed")
            if step.deadline < previous:
                raise InvalidInput("route step", i, "its deadline is before the previous step's")
            previous = step.deadline
        if terms.schema != ZERO32 and accepting not in {s.department for s in terms.route}:
            raise refused(
                "ApprovalIssuerNotOnRoute",
                f"the route has no step of {code_text(accepting)}, which would issue the "
                "attestation: its own approvers must decide a step of the case (add e.g. "
                f"--step {code_text(accepting)}:1:7d)",
            )
        receipt = sender.transact(self.contract.functions.openCase(terms.as_tuple()))
        return self._sent(receipt, terms.case_id())

    def sign(
        self,
        account: LocalAccount,
        case_id: bytes,
        approve: bool,
        comment_hash: bytes,
        deadline: int | None = None,
        step: int | None = None,
        wallet: str | None = None,
        safe: str | None = None,
    ) -> SignedDecision:
        """Sign the open step's decision as an approver (no transaction).

        Checked first: the case is open, ``step`` (default: the open one) is the open step and
        within its deadline, and ``account`` is an active APPROVER of its department. The
        decision's ``deadline`` defaults to the step's. With ``wallet`` the approver checked is
        that ERC-1271 wallet, and it must accept the signature (see :func:`sign_decision`).
        With ``safe`` the approver checked is that Safe and ``account`` must be one of its
        owners now: the result is one owner's part of the Safe's signature (joined by
        :meth:`submit`).
        """
        state = self.open_case(case_id)
        if step is not None and step != state.current_step:
            raise refused(
                "ApprovalWrongStep", f"step {step} is not open; step {state.current_step} is"
            )
        now = self.now()
        live = self._check_live(state, now)
        self._check_approver(wallet or safe or account.address, live.department)
        if safe is not None and account.address not in SafeWallet(self.w3, safe).owners():
            raise refused(
                "SignatureInvalidSigner", f"{account.address} is not an owner of Safe {safe}"
            )
        deadline = live.deadline if deadline is None else deadline
        if deadline <= now:
            raise InvalidInput("decision deadline", deadline, f"{when(deadline)} has passed")
        signed = sign_decision(
            account,
            self.domain,
            case_id,
            state.current_step,
            approve,
            comment_hash,
            deadline,
            wallet,
            safe,
        )
        self._check_signature(signed)
        return signed

    def wallet_accepts(self, decision_: SignedDecision) -> bool:
        """Whether an ERC-1271 signer accepts its signature (``isValidSignature`` magic value)."""
        data = ERC1271_SELECTOR + encode(
            ["bytes32", "bytes"], [decision_.digest(), decision_.signature]
        )
        try:
            answer = bytes(self.w3.eth.call({"to": decision_.signer, "data": HexBytes(data)}))
        except (Web3Exception, ValueError):
            return False
        return answer[:4] == ERC1271_SELECTOR

    def _check_signature(self, d: SignedDecision) -> None:
        if d.safe_owner is not None:
            if d.owner_recovered() != d.safe_owner:
                raise refused(
                    "SignatureInvalidSigner",
                    f"the signature is not {d.safe_owner}'s for Safe {d.signer}'s message",
                )
        elif d.erc1271:
            if not self.wallet_accepts(d):
                raise refused(
                    "SignatureInvalidSigner",
                    f"wallet {d.signer} does not accept this signature (ERC-1271)",
                )
        elif d.recovered() != d.signer:
            raise refused(
                "SignatureInvalidSigner",
                f"the signature claimed by {d.signer} is not theirs for this decision",
            )

    def join_safe_owners(self, decisions: Iterable[SignedDecision]) -> list[SignedDecision]:
        """Join Safe owners' signatures (``safe_owner`` files) of one step into the Safe's
        ERC-1271 signature, ascending by owner as the Safe checks them. Refused before sending:
        a signer who is not an owner now, fewer owners than the Safe's threshold, owners'
        files that sign different decisions."""
        out: list[SignedDecision] = []
        parts: dict[tuple[int, str], list[SignedDecision]] = {}
        for d in decisions:
            if d.safe_owner is None:
                out.append(d)
            else:
                parts.setdefault((d.step, d.signer), []).append(d)
        for (step, safe), group in parts.items():
            first = group[0]
            if any(not first.same_decision(d) for d in group[1:]):
                raise InvalidInput(
                    "Safe owners' signed decisions",
                    safe,
                    f"they sign different decisions for step {step}",
                )
            for d in group:
                self._check_signature(d)
            owners = [OwnerSignature(d.safe_owner, d.signature) for d in group if d.safe_owner]
            try:
                joined = SafeWallet(self.w3, safe).check_owner_signatures(owners)
            except InvalidInput as exc:
                raise refused("SignatureInvalidSigner", exc.reason) from None
            out.append(replace(first, signature=joined, safe_owner=None))
        return out

    def submit(self, case_id: bytes, decisions: Iterable[SignedDecision]) -> Sent:
        """Relay approvers' signed decisions for one or several consecutive steps.

        Checked before sending, in this order: every decision is for this case, contract and
        chain; the signatures of a step sign one and the same decision; the case is open; the
        first step is the open one and steps follow on; each step and each decision is within
        its deadline; each EOA signature recovers to its claimed signer and each ERC-1271
        wallet accepts its signature; no signer twice; each
        signer is an active APPROVER of the step's department; at least ``threshold``
        signatures per step (the first ``threshold`` by signer address are sent, sorted).
        A Safe's owners' signatures are joined first (:meth:`join_safe_owners`). The
        transaction carries the access list of the registry slots the signers' check reads
        (:mod:`.access`).
        """
        sender = self._need_sender()
        by_step: dict[int, list[SignedDecision]] = {}
        for d in self.join_safe_owners(decisions):
            if d.case_id != bytes(case_id):
                raise InvalidInput(
                    "signed decision", d.signer, f"it is for case 0x{d.case_id.hex()}"
                )
            if (d.chain_id, d.contract) != (self.connection.chain_id, self.address):
                raise InvalidInput(
                    "signed decision",
                    d.signer,
                    f"signed for {d.contract} on chain {d.chain_id}, not this deployment",
                )
            by_step.setdefault(d.step, []).append(d)
        if not by_step:
            raise InvalidInput("signed decisions", "[]", "give at least one")
        state = self.open_case(case_id)
        steps = sorted(by_step)
        if steps[0] != state.current_step:
            raise refused(
                "ApprovalWrongStep",
                f"the decision is for step {steps[0]} but step {state.current_step} "
                f"({code_text(state.open_step.department)}) is open",
            )
        if steps != list(range(steps[0], steps[0] + len(steps))):
            raise InvalidInput("signed decisions", steps, "steps must follow one another")
        now = self.now()
        packed = []
        checked: list[tuple[bytes, list[str]]] = []
        for index in steps:
            if index >= len(state.terms.route):
                raise InvalidInput("signed decision step", index, "the route has no such step")
            step = state.terms.route[index]
            name = code_text(step.department)
            if now >= step.deadline:
                raise refused(
                    "ApprovalStepExpired",
                    f"step {index} ({name}) passed its deadline {when(step.deadline)}; "
                    "'govchain case expire' closes the case",
                )
            group = by_step[index]
            first = group[0]
            if any(not first.same_decision(d) for d in group[1:]):
                raise InvalidInput(
                    "signed decisions",
                    index,
                    "they sign different decisions (approve, comment or deadline differ)",
                )
            if now >= first.deadline:
                raise refused(
                    "SignatureExpired",
                    f"the decision's deadline {when(first.deadline)} has passed; sign again",
                )
            seen: set[str] = set()
            for d in group:
                if d.signer in seen:
                    raise refused("ApprovalSignerOrder", f"{d.signer} signed step {index} twice")
                seen.add(d.signer)
                self._check_signature(d)
                self._check_approver(d.signer, step.department)
            if len(group) < step.threshold:
                raise refused(
                    "ApprovalInsufficientSignatures",
                    f"step {index} ({name}) needs {step.threshold} approvers' signatures, "
                    f"got {len(group)}",
                )
            chosen = sorted(group, key=lambda d: int(d.signer, 16))[: step.threshold]
            checked.append((step.department, [d.signer for d in chosen]))
            packed.append(
                (
                    index,
                    first.approve,
                    first.comment_hash,
                    first.deadline,
                    pack_signatures(d.signer_signature() for d in chosen),
                )
            )
        function = self.contract.functions.submitDecisions(case_id, state.terms.as_tuple(), packed)
        # the registry slots the signers' check reads, declared warm (100 gas less per signer)
        receipt = sender.send(
            {
                "to": function.address,
                "data": encode_call(function),
                "value": Wei(0),
                "accessList": decision_access_list(self.registry.address, checked),
            }
        )
        return self._sent(receipt, case_id)

    def decide(self, case_id: bytes, approve: bool, comment_hash: bytes) -> Sent:
        """Vote on chain on the open step as an approver; ``threshold`` equal votes decide it.

        Checked first: the case is open, the step within its deadline, the sender an active
        APPROVER of its department who has not voted on this step yet.
        """
        sender = self._need_sender()
        state = self.open_case(case_id)
        step = self._check_live(state, self.now())
        self._check_approver(sender.address, step.department)
        if self.has_voted(case_id, state.current_step, sender.address):
            raise refused(
                "ApprovalAlreadyVoted",
                f"{sender.address} already voted on step {state.current_step}",
            )
        receipt = sender.transact(
            self.contract.functions.decide(case_id, state.terms.as_tuple(), approve, comment_hash)
        )
        return self._sent(receipt, case_id)

    def withdraw(self, case_id: bytes, reason_hash: bytes) -> Sent:
        """Withdraw an open case (the opener while still STAFF of the accepting department, or
        someone acting for the applicant).

        Checked first: the case is open; who may withdraw (a dismissed opener is refused with
        ``ApprovalNotStaff``) is named by the preflight.
        """
        sender = self._need_sender()
        state = self.open_case(case_id)
        receipt = sender.transact(
            self.contract.functions.withdraw(case_id, state.terms.as_tuple(), reason_hash)
        )
        return self._sent(receipt, case_id)

    def expire(self, case_id: bytes) -> Sent:
        """Mark an open case Expired (anyone). Checked first: open, open step past its deadline."""
        sender = self._need_sender()
        state = self.open_case(case_id)
        step = state.open_step
        if self.now() < step.deadline:
            raise refused(
                "ApprovalStepNotExpired",
                f"step {state.current_step} ({code_text(step.department)}) is still within its "
                f"deadline {when(step.deadline)}",
            )
        receipt = sender.transact(self.contract.functions.expire(case_id, state.terms.as_tuple()))
        return self._sent(receipt, case_id)


__all__ = [
    "CONTRACT",
    "DEPARTMENT_STATUS",
    "ERC1271_SELECTOR",
    "ROLE_APPROVER",
    "ROLE_STAFF",
    "SIGNED_DECISION_FORMAT",
    "CaseEvent",
    "CaseState",
    "CaseSummary",
    "Cases",
    "Comment",
    "Documents",
    "Sent",
    "SignedDecision",
    "code_text",
    "comment_commitment",
    "documents_root",
    "sign_decision",
    "when",
]
