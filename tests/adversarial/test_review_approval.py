"""Findings of the independent review in approval cases (issue 15), each refused by name.

H-1: a STAFF clerk launders its department's authority through a case another department
decides. M-1: on-chain votes of approvers who were removed, lost the role, whose department
was suspended, or who rotated their key keep counting. L-1: a dismissed clerk withdraws the
cases it opened.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus
from govchain.approval.messages import pack_signatures
from tests.approval.conftest import Desk, h, register_schema
from tests.helpers import ROLE_APPROVER, ROLE_STAFF, SUSPENDED, enrol

ZERO32 = b"\0" * 32


@pytest.fixture
def alice(citizens: list[Any]) -> Any:
    return citizens[0]


# --- H-1: an attestation carries exactly the authority of those who decided the case --------


def test_h1_clerk_cannot_launder_approver_schema(
    approvals: Any, desk: Desk, depts: Any, schemas: Any, alice: Any
) -> None:
    """A Civil Affairs clerk opens a 'subsidy granted' case (an APPROVER schema) decided by one
    DPF approver only: no Civil Affairs approver would ever decide it, so it is refused."""
    terms = desk.terms([("DPF", 1)], citizen=alice, schema=schemas["subsidy"])
    with ape.reverts(
        approvals.ApprovalIssuerNotOnRoute,
        schema=schemas["subsidy"],
        department=depts["CIVIL"].code,
    ):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_h1_a_staff_only_schema_is_not_issued_through_a_case(
    approvals: Any, attestations: Any, desk: Desk, depts: Any, alice: Any
) -> None:
    """A schema only STAFF may attest: the approvers who decide a case act as APPROVERs, so a
    case never issues it (the clerk attests it directly, under its own key)."""
    staff_schema = register_schema(
        attestations, depts["CIVIL"].admin, "Registered(bytes32 form)", ROLE_STAFF, ZERO32
    )
    assert attestations.canAttest(staff_schema, depts["CIVIL"].code, ROLE_STAFF)
    terms = desk.terms([("CIVIL", 1), ("DPF", 1)], citizen=alice, schema=staff_schema)
    with ape.reverts(
        approvals.ApprovalSchemaNotAllowed, schema=staff_schema, department=depts["CIVIL"].code
    ):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_h1_the_issuing_departments_approvers_decide_and_the_attestation_is_issued(
    approvals: Any, attestations: Any, desk: Desk, depts: Any, schemas: Any, alice: Any,
    outsider: Any,
) -> None:  # fmt: skip
    terms = desk.terms([("DPF", 1), ("CIVIL", 1)], citizen=alice, schema=schemas["subsidy"])
    cid = desk.open(terms)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["DPF"].approvers[:1])], outsider)
    receipt = desk.submit(
        cid, terms, [desk.step_decision(cid, 1, depts["CIVIL"].approvers[:1])], outsider
    )
    [approved] = receipt.decode_logs(approvals.CaseApproved)
    assert attestations.isValid(approved.attestationUid)


# --- M-1: a step is decided by k people who are active approvers when it is decided --------


@pytest.fixture
def dpf_vote(desk: Desk, alice: Any) -> tuple[Any, bytes]:
    """An open case whose only step needs 2 DPF approvers' votes."""
    terms = desk.terms([("DPF", 2)], citizen=alice)
    return terms, desk.open(terms)


def _vote(approvals: Any, terms: Any, cid: bytes, voter: Any, approve: bool = True) -> Any:
    return approvals.decide(cid, terms.as_tuple(), approve, h("v"), sender=voter)


def test_m1_a_removed_approvers_vote_no_longer_counts(
    approvals: Any, departments: Any, desk: Desk, depts: Any, dpf_vote: Any
) -> None:
    terms, cid = dpf_vote
    a, b, c = depts["DPF"].approvers
    _vote(approvals, terms, cid, a)
    departments.removeMember(a, sender=depts["DPF"].admin)
    receipt = _vote(approvals, terms, cid, b)
    assert not receipt.decode_logs(approvals.StepDecided)
    [discarded] = receipt.decode_logs(approvals.VoteDiscarded)
    assert (discarded.caseId, discarded.step, discarded.approver) == (cid, 0, a.address)
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.OPEN and view.approvals == 1
    assert not approvals.hasVoted(cid, 0, a) and approvals.hasVoted(cid, 0, b)
    receipt = _vote(approvals, terms, cid, c)
    [decided] = receipt.decode_logs(approvals.StepDecided)
    assert list(decided.signers) == [c.address, b.address]
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_m1_a_vote_whose_voter_lost_the_approver_role_no_longer_counts(
    approvals: Any, departments: Any, desk: Desk, depts: Any, dpf_vote: Any
) -> None:
    terms, cid = dpf_vote
    a, b, _ = depts["DPF"].approvers
    _vote(approvals, terms, cid, a, approve=False)
    departments.setMemberRoles(a, ROLE_STAFF, sender=depts["DPF"].admin)
    receipt = _vote(approvals, terms, cid, b, approve=False)
    assert [d.approver for d in receipt.decode_logs(approvals.VoteDiscarded)] == [a.address]
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.OPEN and view.rejections == 1


def test_m1_votes_cast_before_a_suspension_do_not_decide_while_suspended(
    approvals: Any, departments: Any, council: Any, desk: Desk, depts: Any, dpf_vote: Any
) -> None:
    """A vote cast before the council suspends the DPF cannot decide the step while it is
    suspended; after reinstatement the earlier vote counts again with a new one."""
    terms, cid = dpf_vote
    a, b, _ = depts["DPF"].approvers
    _vote(approvals, terms, cid, a)
    departments.suspend(depts["DPF"].code, sender=council)
    with ape.reverts(
        approvals.ApprovalDepartmentNotActive, department=depts["DPF"].code, status=SUSPENDED
    ):
        _vote(approvals, terms, cid, b)
    departments.reinstate(depts["DPF"].code, sender=council)
    receipt = _vote(approvals, terms, cid, b)
    assert list(receipt.decode_logs(approvals.StepDecided)[0].signers) == [b.address, a.address]


def test_m1_one_member_one_vote_across_a_key_rotation(
    approvals: Any, departments: Any, desk: Desk, depts: Any, dpf_vote: Any, accounts: Any
) -> None:
    """An approver votes, has the admin rotate its key (the old key is removed, the new one
    enrolled) and votes again with the new key: the old key's vote is discarded, so one
    person does not make 2 of k."""
    terms, cid = dpf_vote
    old_key, b, _ = depts["DPF"].approvers
    new_key = accounts[59]
    _vote(approvals, terms, cid, old_key)
    departments.removeMember(old_key, sender=depts["DPF"].admin)
    enrol(departments, depts["DPF"].admin, new_key, ROLE_APPROVER)
    receipt = _vote(approvals, terms, cid, new_key)
    assert not receipt.decode_logs(approvals.StepDecided)
    assert [d.approver for d in receipt.decode_logs(approvals.VoteDiscarded)] == [old_key.address]
    receipt = _vote(approvals, terms, cid, b)
    assert list(receipt.decode_logs(approvals.StepDecided)[0].signers) == [
        b.address,
        new_key.address,
    ]


def test_m1_a_readmitted_approver_whose_vote_was_discarded_votes_again(
    approvals: Any, departments: Any, desk: Desk, depts: Any, dpf_vote: Any
) -> None:
    terms, cid = dpf_vote
    a, b, _ = depts["DPF"].approvers
    _vote(approvals, terms, cid, a)
    departments.removeMember(a, sender=depts["DPF"].admin)
    _vote(approvals, terms, cid, b)  # discards a's vote
    enrol(departments, depts["DPF"].admin, a, ROLE_APPROVER)
    receipt = _vote(approvals, terms, cid, a)
    assert list(receipt.decode_logs(approvals.StepDecided)[0].signers) == [a.address, b.address]


def test_m1_a_rotated_out_keys_signature_is_refused_at_submission(
    approvals: Any, departments: Any, desk: Desk, depts: Any, dpf_vote: Any, accounts: Any,
    outsider: Any,
) -> None:  # fmt: skip
    """Signatures collected off chain are checked at submission against current membership:
    the same person's old and new keys cannot make 2 of k."""
    terms, cid = dpf_vote
    old_key = depts["DPF"].approvers[0]
    # a key no other test has touched: a shared spare (accounts[57..59]) may carry another
    # test's membership or compromise mark when files share a worker
    new_key = accounts.generate_test_account()
    accounts[0].transfer(new_key, "1 ether")
    deadline = desk.now() + 3600  # one deadline: each signature covers it, so read it once
    old_sig = desk.sign(old_key, cid, 0, deadline=deadline)
    departments.removeMember(old_key, sender=depts["DPF"].admin)
    enrol(departments, depts["DPF"].admin, new_key, ROLE_APPROVER)
    new_sig = desk.sign(new_key, cid, 0, deadline=deadline)
    decision = desk.step_decision(
        cid, 0, [], deadline=deadline, packed=pack_signatures([old_sig, new_sig])
    )
    with ape.reverts(approvals.ApprovalNotApprover, signer=old_key.address):
        desk.submit(cid, terms, [decision], sender=outsider)


# --- L-1: withdrawal re-checks the opener's right -------------------------------------------


def test_l1_a_dismissed_clerk_cannot_withdraw_its_case(
    approvals: Any, departments: Any, desk: Desk, depts: Any, alice: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=alice)
    cid = desk.open(terms)
    clerk = depts["CIVIL"].staff
    departments.removeMember(clerk, sender=depts["CIVIL"].admin)
    with ape.reverts(
        approvals.ApprovalNotStaff, account=clerk.address, department=depts["CIVIL"].code
    ):
        approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=clerk)
    approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=alice)  # the applicant still may
    assert approvals.caseOf(cid).status == CaseStatus.WITHDRAWN


def test_l1_a_suspended_departments_clerk_cannot_withdraw(
    approvals: Any, departments: Any, council: Any, desk: Desk, depts: Any, alice: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=alice)
    cid = desk.open(terms)
    clerk = depts["CIVIL"].staff
    departments.suspend(depts["CIVIL"].code, sender=council)
    with ape.reverts(
        approvals.ApprovalNotStaff, account=clerk.address, department=depts["CIVIL"].code
    ):
        approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=clerk)
    departments.reinstate(depts["CIVIL"].code, sender=council)
    approvals.withdraw(cid, terms.as_tuple(), h("x"), sender=clerk)
    assert approvals.caseOf(cid).status == CaseStatus.WITHDRAWN
