"""On-chain votes, withdrawal by the opener or for the applicant, and expiry past a deadline."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseStatus
from tests.approval.conftest import DAY, HOUR, Desk, h
from tests.helpers import ROLE_STAFF

DELEGATE_AGENT = bytes(keccak(text="govchain.delegate.agent"))


# --- on-chain votes ---------------------------------------------------------------------------


def test_k_on_chain_votes_decide_a_step(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2), ("FINANCE", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    first, second = depts["DPF"].approvers[:2]
    receipt = approvals.decide(cid, terms.as_tuple(), True, h("fine"), sender=first)
    [cast] = receipt.decode_logs(approvals.DecisionCast)
    assert (cast.caseId, cast.step, cast.approver) == (cid, 0, first.address)
    assert cast.approve and cast.commentHash == h("fine")
    assert not receipt.decode_logs(approvals.StepDecided)
    assert approvals.hasVoted(cid, 0, first) and approvals.caseOf(cid).approvals == 1
    receipt = approvals.decide(cid, terms.as_tuple(), True, h("agreed"), sender=second)
    [decided] = receipt.decode_logs(approvals.StepDecided)
    assert (decided.step, decided.department, decided.approve) == (0, depts["DPF"].code, True)
    assert decided.submitter == second.address
    assert list(decided.signers) == [second.address, first.address]  # the votes counted
    assert decided.commentHash == b"\0" * 32  # each vote's comment is in its DecisionCast
    view = approvals.caseOf(cid)
    assert view.currentStep == 1 and (view.approvals, view.rejections) == (0, 0)
    receipt = approvals.decide(
        cid, terms.as_tuple(), True, h("paid"), sender=depts["FINANCE"].approvers[0]
    )
    assert receipt.decode_logs(approvals.CaseApproved)
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_k_on_chain_rejections_close_the_case(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    a, b, c = depts["DPF"].approvers
    approvals.decide(cid, terms.as_tuple(), False, h("no"), sender=a)
    approvals.decide(cid, terms.as_tuple(), True, h("yes"), sender=b)
    assert (approvals.caseOf(cid).approvals, approvals.caseOf(cid).rejections) == (1, 1)
    receipt = approvals.decide(cid, terms.as_tuple(), False, h("no, twice"), sender=c)
    [rejected] = receipt.decode_logs(approvals.CaseRejected)
    # no single reason for a step rejected by votes (not the last voter's): each is in its DecisionCast
    assert rejected.reasonHash == b"\0" * 32
    assert [c.commentHash for c in receipt.decode_logs(approvals.DecisionCast)] == [h("no, twice")]
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.REJECTED and view.outcome == b"\0" * 32


def test_an_approver_votes_once_per_step(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    voter = depts["DPF"].approvers[0]
    approvals.decide(cid, terms.as_tuple(), True, h("yes"), sender=voter)
    with ape.reverts(approvals.ApprovalAlreadyVoted, caseId=cid, step=0, approver=voter.address):
        approvals.decide(cid, terms.as_tuple(), False, h("no"), sender=voter)


@pytest.mark.parametrize("who", ["other_department", "staff", "outsider"])
def test_only_the_steps_approvers_vote(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, who: str
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    if who == "other_department":
        voter = depts["HRSS"].approvers[0]
        error = approvals.ApprovalWrongDepartment
    else:
        voter = depts["DPF"].staff if who == "staff" else outsider
        error = approvals.ApprovalNotApprover
    with ape.reverts(error):
        approvals.decide(cid, terms.as_tuple(), True, h("yes"), sender=voter)


def test_a_suspended_department_cannot_vote(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, departments: Any, council: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    departments.suspend(depts["DPF"].code, sender=council)
    with ape.reverts(approvals.ApprovalDepartmentNotActive):
        approvals.decide(cid, terms.as_tuple(), True, h("yes"), sender=depts["DPF"].approvers[0])


def test_a_vote_past_the_steps_deadline_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, chain: Any
) -> None:
    deadline = desk.now() + HOUR
    terms = desk.terms([("DPF", 1, deadline)], citizen=citizens[0])
    cid = desk.open(terms)
    chain.pending_timestamp = deadline + 1
    with ape.reverts(approvals.ApprovalStepExpired, caseId=cid, step=0, deadline=deadline):
        approvals.decide(cid, terms.as_tuple(), True, h("yes"), sender=depts["DPF"].approvers[0])


# --- withdrawal -------------------------------------------------------------------------------


def test_the_opener_withdraws(approvals: Any, desk: Desk, depts: Any, citizens: Any) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    opener = depts["CIVIL"].staff
    receipt = approvals.withdraw(cid, terms.as_tuple(), h("duplicate"), sender=opener)
    [log] = receipt.decode_logs(approvals.CaseWithdrawn)
    assert (log.caseId, log.account, log.reasonHash) == (cid, opener.address, h("duplicate"))
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.WITHDRAWN and view.outcome == h("duplicate")


def test_the_citizen_withdraws_with_the_identitys_current_key(
    approvals: Any, desk: Desk, citizens: Any, citizen_registry: Any
) -> None:
    identity, new_key = citizens[0], citizens[1]
    terms = desk.terms([("DPF", 1)], citizen=identity)
    cid = desk.open(terms)
    citizen_registry.changeOwner(identity, new_key, sender=identity)
    with ape.reverts(
        approvals.ApprovalUnauthorizedWithdrawal, caseId=cid, account=identity.address
    ):
        approvals.withdraw(cid, terms.as_tuple(), h("moved"), sender=identity)
    approvals.withdraw(cid, terms.as_tuple(), h("moved"), sender=new_key)
    assert approvals.caseOf(cid).status == CaseStatus.WITHDRAWN


def test_a_valid_agent_withdraws_for_the_citizen(
    approvals: Any, desk: Desk, citizens: Any, citizen_registry: Any, chain: Any
) -> None:
    identity, agent = citizens[0], citizens[2]
    terms = desk.terms([("DPF", 1, desk.now() + 30 * DAY)], citizen=identity)
    cid = desk.open(terms)
    citizen_registry.addDelegate(identity, DELEGATE_AGENT, agent, DAY, sender=identity)
    chain.pending_timestamp += 2 * DAY  # the delegation lapsed
    with ape.reverts(approvals.ApprovalUnauthorizedWithdrawal, account=agent.address):
        approvals.withdraw(cid, terms.as_tuple(), h("for mother"), sender=agent)
    citizen_registry.addDelegate(identity, DELEGATE_AGENT, agent, DAY, sender=identity)
    receipt = approvals.withdraw(cid, terms.as_tuple(), h("for mother"), sender=agent)
    assert receipt.decode_logs(approvals.CaseWithdrawn)[0].account == agent.address


def test_staff_of_an_applicant_department_withdraws(
    approvals: Any, desk: Desk, depts: Any, departments: Any, accounts: Any
) -> None:
    terms = desk.terms([("FINANCE", 1)], department="HOUSING")
    cid = desk.open(terms)
    with ape.reverts(approvals.ApprovalUnauthorizedWithdrawal):
        approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=depts["HOUSING"].approvers[0])
    approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=depts["HOUSING"].staff)
    assert approvals.caseOf(cid).status == CaseStatus.WITHDRAWN
    assert departments.isActiveMember(depts["HOUSING"].staff, depts["HOUSING"].code, ROLE_STAFF)


@pytest.mark.parametrize("who", ["outsider", "other_staff", "approver"])
def test_nobody_else_withdraws(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, who: str
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    account = {
        "outsider": outsider,
        "other_staff": depts["HRSS"].staff,
        "approver": depts["DPF"].approvers[0],
    }[who]
    with ape.reverts(approvals.ApprovalUnauthorizedWithdrawal, caseId=cid, account=account.address):
        approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=account)


def test_a_closed_case_is_not_withdrawn(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=depts["CIVIL"].staff)
    with ape.reverts(approvals.ApprovalCaseClosed, caseId=cid, status=int(CaseStatus.WITHDRAWN)):
        approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=citizens[0])


# --- expiry -----------------------------------------------------------------------------------


def test_anyone_expires_a_case_whose_step_passed_its_deadline(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, chain: Any
) -> None:
    now = desk.now()
    terms = desk.terms([("CIVIL", 1, now + HOUR), ("DPF", 1, now + 2 * HOUR)], citizen=citizens[0])
    cid = desk.open(terms)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    with ape.reverts(approvals.ApprovalStepNotExpired, caseId=cid, step=1, deadline=now + 2 * HOUR):
        approvals.expire(cid, terms.as_tuple(), sender=outsider)
    chain.pending_timestamp = now + 2 * HOUR + 1
    receipt = approvals.expire(cid, terms.as_tuple(), sender=outsider)
    [log] = receipt.decode_logs(approvals.CaseExpired)
    assert (log.caseId, log.step, log.deadline, log.account) == (
        cid,
        1,
        now + 2 * HOUR,
        outsider.address,
    )
    assert approvals.caseOf(cid).status == CaseStatus.EXPIRED
    with ape.reverts(approvals.ApprovalCaseClosed, status=int(CaseStatus.EXPIRED)):
        approvals.expire(cid, terms.as_tuple(), sender=outsider)
    with ape.reverts(approvals.ApprovalCaseClosed):
        approvals.decide(cid, terms.as_tuple(), True, h("late"), sender=depts["DPF"].approvers[0])


def test_an_unknown_case_does_not_expire(approvals: Any, desk: Desk, citizens: Any) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    with ape.reverts(approvals.ApprovalUnknownCase, caseId=terms.case_id()):
        approvals.expire(terms.case_id(), terms.as_tuple(), sender=citizens[0])


def test_registries_are_exposed(
    approvals: Any, departments: Any, citizen_registry: Any, attestations: Any
) -> None:
    assert list(approvals.registries()) == [
        departments.address,
        citizen_registry.address,
        attestations.address,
    ]
