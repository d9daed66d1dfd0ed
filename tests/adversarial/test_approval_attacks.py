"""Attacks on approval cases and their e-signatures: each is refused.

A Decision signature names the case, the step, the verdict, the comment and a deadline, in a
domain bound to the chain and the CaseApprovals contract; signers come strictly ascending and
must be active APPROVERs of the step's department when the decision is submitted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus, Step
from govchain.approval.messages import SignerSignature, entry, pack_signatures
from tests.adversarial.attacks import malleate, on_chain, on_contract
from tests.adversarial.conftest import OTHER_CHAIN_ID
from tests.approval.conftest import DAY, Desk, h
from tests.helpers import SUSPENDED, code

AGENT = code("agent")  # DELEGATE_AGENT


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


@pytest.fixture
def case(desk: Desk, alice: Any) -> tuple[Any, bytes]:
    """Alice's open case: Civil Affairs (1 of 3 approvers), then the DPF (2 of 3)."""
    terms = desk.terms([("CIVIL", 1), ("DPF", 2)], citizen=alice)
    return terms, desk.open(terms)


def _two_dpf_signatures(
    desk: Desk, depts: Any, cid: bytes, deadline: int, step: int = 1
) -> list[Any]:
    return [desk.sign(a, cid, step, deadline=deadline) for a in depts["DPF"].approvers[:2]]


def _stranger(desk: Desk, cid: bytes, d: tuple[int, bool, bytes, int, bytes]) -> str:
    """The key the contract recovers from one-entry decision ``d`` submitted for ``cid``: a
    signature of another message recovers an unrelated address, no approver."""
    step, approve, comment, deadline, packed = d
    return desk.recovered(packed[:65], cid, step, deadline, approve, comment)


def _packed_in_order(sigs: list[SignerSignature]) -> bytes:
    """Entries in the given order (pack_signatures would sort them and refuse duplicates)."""
    return b"".join(entry(s) for s in sigs)


# --- replays -------------------------------------------------------------------------------------


def test_decision_signed_for_another_case_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, citizens: list[Any], outsider: Any
) -> None:
    """Replay across cases: a Civil Affairs approval of Bob's case submitted for Alice's. The
    case id is in the signed message, so the signature recovers an unrelated address here."""
    terms, cid = case
    bob_terms = desk.terms([("CIVIL", 1), ("DPF", 2)], citizen=citizens[1])
    bob_cid = desk.open(bob_terms)
    approver = depts["CIVIL"].approvers[0]
    sig = desk.sign(approver, bob_cid, 0)
    decision = desk.step_decision(cid, 0, [], packed=entry(sig))
    stranger = _stranger(desk, cid, decision)
    assert stranger != approver.address
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [decision], sender=outsider)
    assert approvals.caseOf(cid).status == CaseStatus.OPEN


def test_decision_signed_for_another_step_is_refused(
    approvals: Any, desk: Desk, depts: Any, outsider: Any, alice: Any
) -> None:
    """Replay across steps: on a route where Civil Affairs decides twice (steps 0 and 2), its
    step-0 signature is relabelled as step 2. The step is in the signed message."""
    terms = desk.terms([("CIVIL", 1), ("DPF", 1), ("CIVIL", 1)], citizen=alice)
    cid = desk.open(terms)
    approver = depts["CIVIL"].approvers[0]
    step0 = desk.sign(approver, cid, 0)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, [approver])], sender=outsider)
    desk.submit(
        cid, terms, [desk.step_decision(cid, 1, depts["DPF"].approvers[:1])], sender=outsider
    )
    relabelled = desk.step_decision(cid, 2, [], packed=entry(step0))
    stranger = _stranger(desk, cid, relabelled)
    assert stranger != approver.address
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [relabelled], sender=outsider)


def test_decided_step_cannot_be_submitted_again(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """Replay of a whole decision: step 0's signed decision, submitted a second time once the
    case has moved to step 1."""
    terms, cid = case
    decision = desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])
    desk.submit(cid, terms, [decision], sender=outsider)
    with ape.reverts(approvals.ApprovalWrongStep, step=0, currentStep=1):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_decision_signed_for_another_chain_id_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """Replay across chains: a decision signed on a test network."""
    terms, cid = case
    dom = on_chain(desk.domain, OTHER_CHAIN_ID)
    approver = depts["CIVIL"].approvers[0]
    decision = desk.step_decision(cid, 0, [approver], dom=dom)
    stranger = _stranger(desk, cid, decision)
    assert stranger != approver.address
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_decision_signed_for_another_contract_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, grants: Any, outsider: Any
) -> None:
    """Replay across contracts: the same Decision typed data under another verifyingContract."""
    terms, cid = case
    dom = on_contract(desk.domain, grants.address)
    approver = depts["CIVIL"].approvers[0]
    decision = desk.step_decision(cid, 0, [approver], dom=dom)
    stranger = _stranger(desk, cid, decision)
    assert stranger != approver.address
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_decision_after_the_case_closed_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, alice: Any, outsider: Any
) -> None:
    """A signed approval submitted after the applicant withdrew: closed cases take no
    decisions."""
    terms, cid = case
    decision = desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])
    approvals.withdraw(cid, terms.as_tuple(), h("changed my mind"), sender=alice)
    with ape.reverts(approvals.ApprovalCaseClosed, caseId=cid, status=int(CaseStatus.WITHDRAWN)):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_decision_past_its_deadline_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, chain: Any, outsider: Any
) -> None:
    """A signature held back and submitted after its own deadline."""
    terms, cid = case
    deadline = desk.now() + 3600
    decision = desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1], deadline=deadline)
    chain.mine(deltatime=7200)
    with ape.reverts(approvals.SignatureExpired, deadline=deadline):
        desk.submit(cid, terms, [decision], sender=outsider)


# --- malformed signature sets ------------------------------------------------------------------


def test_high_s_decision_signature_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """Malleability: the high-s twin of an approver's signature (OpenZeppelin tryRecover
    reports InvalidSignatureS)."""
    terms, cid = case
    sig = desk.sign(depts["CIVIL"].approvers[0], cid, 0)
    decision = desk.step_decision(cid, 0, [], packed=entry(sig)[:20] + malleate(sig.signature))
    with ape.reverts(approvals.ApprovalMalformedSignature, index=0):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_duplicated_signer_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """One DPF approver's signature given twice to make up the 2-of-3 threshold."""
    terms, cid = case
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    deadline = desk.now() + DAY  # one deadline for the signature and the decision it is in
    one = desk.sign(depts["DPF"].approvers[0], cid, 1, deadline=deadline)
    decision = desk.step_decision(
        cid, 1, [], deadline=deadline, packed=_packed_in_order([one, one])
    )
    with ape.reverts(approvals.ApprovalSignerOrder, signer=one.signer, previous=one.signer):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_reordered_signers_are_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """Two valid signatures in descending signer order: the strict ascending order is what
    makes duplicates impossible without a 'seen' set."""
    terms, cid = case
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    deadline = desk.now() + DAY  # one deadline for the signatures and the decision they are in
    two = _two_dpf_signatures(desk, depts, cid, deadline)
    low, high = sorted(two, key=lambda s: int(s.signer, 16))
    decision = desk.step_decision(
        cid, 1, [], deadline=deadline, packed=_packed_in_order([high, low])
    )
    with ape.reverts(approvals.ApprovalSignerOrder, signer=low.signer, previous=high.signer):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_fewer_signatures_than_the_threshold_are_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """One DPF signature where the step needs two."""
    terms, cid = case
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    decision = desk.step_decision(cid, 1, depts["DPF"].approvers[:1])
    with ape.reverts(approvals.ApprovalInsufficientSignatures, provided=1, threshold=2):
        desk.submit(cid, terms, [decision], sender=outsider)


# --- signers without the right ----------------------------------------------------------------


def test_signature_of_a_removed_approver_is_refused(
    approvals: Any, departments: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """An approver signs, is dismissed, and the signature is submitted afterwards."""
    terms, cid = case
    approver = depts["CIVIL"].approvers[0]
    decision = desk.step_decision(cid, 0, [approver])
    departments.removeMember(approver, sender=depts["CIVIL"].admin)
    with ape.reverts(approvals.ApprovalNotApprover, signer=approver.address):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_signature_of_a_suspended_departments_approver_is_refused(
    approvals: Any,
    departments: Any,
    council: Any,
    desk: Desk,
    depts: Any,
    case: Any,
    outsider: Any,
) -> None:
    """The council suspends Civil Affairs; its approvers' signatures stop counting at once."""
    terms, cid = case
    decision = desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])
    departments.suspend(depts["CIVIL"].code, sender=council)
    with ape.reverts(
        approvals.ApprovalDepartmentNotActive, department=depts["CIVIL"].code, status=SUSPENDED
    ):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_approver_of_another_department_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """An over-reaching department signs a step that belongs to Civil Affairs."""
    terms, cid = case
    hrss = depts["HRSS"].approvers[0]
    decision = desk.step_decision(cid, 0, [hrss])
    with ape.reverts(approvals.ApprovalWrongDepartment, signer=hrss.address):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_staff_cannot_vote_as_an_approver(
    approvals: Any, desk: Desk, depts: Any, case: Any
) -> None:
    """Role escalation: the clerk who opened the case approves it on chain."""
    terms, cid = case
    staff = depts["CIVIL"].staff
    with ape.reverts(approvals.ApprovalNotApprover, signer=staff.address):
        approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=staff)


def test_approver_cannot_vote_twice(approvals: Any, desk: Desk, depts: Any, case: Any) -> None:
    """One DPF approver votes twice on chain to reach the 2-of-3 threshold alone."""
    terms, cid = case
    approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=depts["CIVIL"].approvers[0])
    dpf = depts["DPF"].approvers[0]
    approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=dpf)
    with ape.reverts(approvals.ApprovalAlreadyVoted, step=1, approver=dpf.address):
        approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=dpf)


# --- terms, opening and withdrawal --------------------------------------------------------------


def test_front_running_a_case_opening_gains_the_attacker_nothing(
    approvals: Any, desk: Desk, depts: Any, alice: Any, outsider: Any
) -> None:
    """Front-running a case opening: the case id is the hash of its terms, and only active
    STAFF of the accepting department may open it. An outsider (or another department's
    clerk) copying the pending terms is refused; one that alters the terms (its own route)
    opens a different case, and Alice's case opens as before under its own id."""
    terms = desk.terms([("CIVIL", 1), ("DPF", 2)], citizen=alice)
    for intruder in (outsider, depts["PSB"].staff):
        with ape.reverts(approvals.ApprovalNotStaff, account=intruder.address):
            approvals.openCase(terms.as_tuple(), sender=intruder)
    rigged = replace(terms, route=(Step(depts["CIVIL"].code, 1, terms.route[0].deadline),))
    assert rigged.case_id() != terms.case_id()
    cid = desk.open(terms)
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.OPEN and view.opener == depts["CIVIL"].staff.address


def test_altered_terms_at_submission_are_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, outsider: Any
) -> None:
    """The submitter passes the case's terms with the DPF threshold lowered to one: the terms
    no longer hash to the case id."""
    terms, cid = case
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    dpf = terms.route[1]
    softened = replace(terms, route=(terms.route[0], Step(dpf.department, 1, dpf.deadline)))
    decision = desk.step_decision(cid, 1, depts["DPF"].approvers[:1])
    with ape.reverts(approvals.ApprovalUnknownCase, caseId=cid):
        desk.submit(cid, softened, [decision], sender=outsider)


def test_stranger_cannot_withdraw_a_citizens_case(approvals: Any, case: Any, outsider: Any) -> None:
    """Sabotage: a stranger withdraws Alice's application."""
    terms, cid = case
    with ape.reverts(approvals.ApprovalUnauthorizedWithdrawal, account=outsider.address):
        approvals.withdraw(cid, terms.as_tuple(), h("sabotage"), sender=outsider)


def test_delegate_past_its_validity_cannot_withdraw(
    approvals: Any, citizen_registry: Any, case: Any, alice: Any, citizens: list[Any], chain: Any
) -> None:
    """A relative whose agent delegation ran out still acts for the applicant."""
    terms, cid = case
    agent = citizens[6]
    citizen_registry.addDelegate(alice, AGENT, agent, 3600, sender=alice)
    chain.mine(deltatime=3601)
    with ape.reverts(approvals.ApprovalUnauthorizedWithdrawal, account=agent.address):
        approvals.withdraw(cid, terms.as_tuple(), h("on behalf"), sender=agent)


def test_case_cannot_issue_an_attestation_its_department_may_not(
    approvals: Any, desk: Desk, depts: Any, schemas: dict[str, bytes], alice: Any
) -> None:
    """Laundering authority through a case: Civil Affairs opens a case whose approval would
    issue a Public Security real-name attestation."""
    terms = desk.terms([("CIVIL", 1)], citizen=alice, schema=schemas["real_name"])
    with ape.reverts(approvals.ApprovalSchemaNotAllowed, schema=schemas["real_name"]):
        desk.open(terms)


def test_route_over_the_step_limit_is_refused(approvals: Any, desk: Desk, alice: Any) -> None:
    """Oversized input: a 17-step route (each submission loops over the steps it decides)."""
    route = [("CIVIL", 1)] * 17
    with ape.reverts(approvals.ApprovalInvalidRouteLength, length=17):
        desk.open(desk.terms(route, citizen=alice))


def test_step_decided_after_its_deadline_is_refused(
    approvals: Any, desk: Desk, depts: Any, case: Any, chain: Any, outsider: Any
) -> None:
    """Deciding a step whose deadline has passed (a signature dated within its own validity
    but submitted when the step is over)."""
    terms, cid = case
    step_deadline = terms.route[0].deadline
    chain.pending_timestamp = step_deadline + 1
    decision = desk.step_decision(
        cid, 0, depts["CIVIL"].approvers[:1], deadline=step_deadline + DAY
    )
    with ape.reverts(approvals.ApprovalStepExpired, step=0, deadline=step_deadline):
        desk.submit(cid, terms, [decision], sender=outsider)


def test_pack_signatures_refuses_duplicates_before_sending(desk: Desk, depts: Any) -> None:
    """The SDK side of the duplicate-signer attack: the packer refuses it before any gas."""
    one = desk.sign(depts["DPF"].approvers[0], b"\x01" * 32, 1)
    with pytest.raises(ValueError, match="twice"):
        pack_signatures([one, one])
