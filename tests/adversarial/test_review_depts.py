"""Findings of the security review (issue 15) on departments and the council: M-4 (membership),
L-2, L-3 (registry part) and the council-approval findings. Each test fails on the code before
the fix and asserts the exact refusal."""

from __future__ import annotations

from typing import Any

import ape

from govchain.identity.messages import COUNCIL_APPROVAL, council_domain
from tests.helpers import (
    ACTIVE,
    PROPOSED,
    RETIRED,
    ROLE_ADMIN,
    ROLE_APPROVER,
    ROLE_STAFF,
    SUSPENDED,
    code,
    enrol,
)
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO32, ZERO_ADDRESS, council_decide

EDU = code("EDU")
DAY = 86_400


def _decide(council: Any, members: list[Any], target: Any, data: bytes, chain: Any) -> Any:
    pid = council_decide(council, members, target, data, chain, COUNCIL_THRESHOLD)
    return council.execute(pid, sender=members[0])


def _sign(council: Any, chain: Any, signer: Any, pid: bytes, generation: int) -> bytes:
    p = council.proposal(pid)
    msg = {
        "proposalId": pid,
        "target": p.target,
        "data": bytes(p.data),
        "expiry": p.expiry,
        "member": signer.address,
        "generation": generation,
    }
    return COUNCIL_APPROVAL.sign(
        signer.private_key, council_domain(chain.chain_id, council.address), msg
    )


def _noop(reg: Any) -> bytes:
    """A harmless call for proposals whose execution is not the point."""
    return bytes(reg.departmentCount.encode_input())


# --- M-4: a suspended (or retired) department is cleaned up by the council ---------------------


def test_m4_council_removes_a_member_of_a_suspended_department(
    departments: Any, depts: Any, council: Any
) -> None:
    hrss = depts["HRSS"]
    departments.suspend(hrss.code, sender=council)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=hrss.admin.address):
        departments.removeMember(hrss.staff, sender=hrss.admin)
    tx = departments.removeMemberByCouncil(hrss.staff, sender=council)
    [removed] = tx.events.filter(departments.MemberRemoved)
    assert (removed.department, removed.account, removed.by) == (
        hrss.code, hrss.staff.address, council.address,
    )  # fmt: skip
    departments.reinstate(hrss.code, sender=council)
    assert departments.memberOf(hrss.staff) == (ZERO32, 0, False)
    assert not departments.isActiveMember(hrss.staff, hrss.code, ROLE_STAFF)


def test_m4_reinstatement_never_reactivates_a_compromised_key(
    departments: Any, depts: Any, council: Any
) -> None:
    hrss, civil = depts["HRSS"], depts["CIVIL"]
    stolen = hrss.approvers[0]
    departments.suspend(hrss.code, sender=council)
    tx = departments.markCompromised(stolen, sender=council)
    [event] = tx.events.filter(departments.MemberCompromised)
    assert (event.department, event.account, event.sender) == (
        hrss.code, stolen.address, council.address,
    )  # fmt: skip
    since = departments.compromisedSince(stolen)
    assert since > 0
    departments.reinstate(hrss.code, sender=council)
    assert departments.departmentStatus(hrss.code) == ACTIVE
    assert departments.memberOf(stolen) == (ZERO32, 0, False)
    assert not departments.isActiveMember(stolen, hrss.code, ROLE_APPROVER)
    # never enrolled again, by its own department or another
    for admin in (hrss.admin, civil.admin):
        with ape.reverts(departments.DepartmentKeyCompromised, account=stolen.address, since=since):
            departments.addMember(stolen, ROLE_APPROVER, sender=admin)
    with ape.reverts(departments.DepartmentKeyCompromised, account=stolen.address, since=since):
        departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, stolen, sender=stolen)
    with ape.reverts(departments.DepartmentKeyCompromised, account=stolen.address, since=since):
        departments.markCompromised(stolen, sender=council)


def test_m4_a_key_offered_before_it_was_marked_compromised_cannot_accept(
    departments: Any, depts: Any, council: Any, accounts: Any
) -> None:
    hrss, key = depts["HRSS"], accounts[57]
    departments.addMember(key, ROLE_STAFF, sender=hrss.admin)
    departments.markCompromised(key, sender=council)  # in no department: still barred
    since = departments.compromisedSince(key)
    with ape.reverts(departments.DepartmentKeyCompromised, account=key.address, since=since):
        departments.acceptMembership(hrss.code, sender=key)


def test_m4_council_cleans_up_a_retired_department(
    departments: Any, depts: Any, council: Any
) -> None:
    finance = depts["FINANCE"]
    departments.retire(finance.code, sender=council)
    departments.removeMemberByCouncil(finance.staff, sender=council)
    departments.markCompromised(finance.admin, sender=council)  # its last ADMIN: allowed
    assert departments.memberOf(finance.staff) == (ZERO32, 0, False)
    assert departments.memberOf(finance.admin) == (ZERO32, 0, False)
    assert departments.department(finance.code).adminCount == 0


def test_m4_a_replaced_admin_key_is_marked_compromised(
    departments: Any, depts: Any, council: Any, accounts: Any
) -> None:
    hrss, new = depts["HRSS"], accounts[57]
    departments.suspend(hrss.code, sender=council)
    tx = departments.replaceAdmin(hrss.code, hrss.admin, new, sender=council)
    [event] = tx.events.filter(departments.MemberCompromised)
    assert (event.department, event.account) == (hrss.code, hrss.admin.address)
    departments.reinstate(hrss.code, sender=council)
    assert departments.isActiveMember(new, hrss.code, ROLE_ADMIN)
    since = departments.compromisedSince(hrss.admin)
    with ape.reverts(departments.DepartmentKeyCompromised, account=hrss.admin.address, since=since):
        departments.addMember(hrss.admin, ROLE_ADMIN, sender=new)


def test_m4_council_cleanup_refusals(
    departments: Any, depts: Any, council: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"]
    for call in (departments.removeMemberByCouncil, departments.markCompromised):
        with ape.reverts(departments.DepartmentUnauthorizedCouncil, caller=hrss.admin.address):
            call(hrss.staff, sender=hrss.admin)
    with ape.reverts(departments.DepartmentNotMember, account=outsider.address, department=ZERO32):
        departments.removeMemberByCouncil(outsider, sender=council)
    with ape.reverts(departments.DepartmentZeroAddress):
        departments.markCompromised(ZERO_ADDRESS, sender=council)


# --- L-3: enrolment needs the key's consent; a rejected proposal frees its code ---------------


def test_l3_enrolment_needs_the_keys_consent(departments: Any, depts: Any, accounts: Any) -> None:
    hrss, civil, key = depts["HRSS"], depts["CIVIL"], accounts[57]
    departments.addMember(key, ROLE_STAFF, sender=hrss.admin)  # an unwanted offer
    assert departments.memberOf(key) == (ZERO32, 0, False)  # the key is not locked in
    with ape.reverts(departments.DepartmentNoOffer, account=key.address, department=civil.code):
        departments.acceptMembership(civil.code, sender=key)
    enrol(departments, civil.admin, key, ROLE_STAFF)  # it joins the department it chose
    assert departments.isActiveMember(key, civil.code, ROLE_STAFF)
    with ape.reverts(
        departments.DepartmentMemberExists, account=key.address, department=civil.code
    ):
        departments.acceptMembership(hrss.code, sender=key)


def test_l3_an_offer_lapses_with_its_admin_or_its_department(
    departments: Any, depts: Any, council: Any, accounts: Any
) -> None:
    hrss, key, other = depts["HRSS"], accounts[57], accounts[58]
    departments.addMember(key, ROLE_STAFF, sender=hrss.admin)
    departments.suspend(hrss.code, sender=council)
    with ape.reverts(
        departments.DepartmentOfferLapsed, department=hrss.code, admin=hrss.admin.address
    ):
        departments.acceptMembership(hrss.code, sender=key)
    departments.reinstate(hrss.code, sender=council)
    departments.replaceAdmin(hrss.code, hrss.admin, other, sender=council)
    with ape.reverts(
        departments.DepartmentOfferLapsed, department=hrss.code, admin=hrss.admin.address
    ):
        departments.acceptMembership(hrss.code, sender=key)
    departments.addMember(key, ROLE_STAFF, sender=other)  # the new admin offers again
    departments.acceptMembership(hrss.code, sender=key)
    assert departments.isActiveMember(key, hrss.code, ROLE_STAFF)


def test_l3_a_rejected_or_withdrawn_proposal_frees_its_code_and_key(
    departments: Any, council: Any, accounts: Any
) -> None:
    first, second = accounts[57], accounts[58]
    departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, first, sender=first)
    departments.retire(EDU, sender=council)  # rejected
    assert departments.departmentStatus(EDU) == RETIRED
    assert departments.memberOf(first) == (ZERO32, 0, False)
    count = departments.departmentCount()
    departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, second, sender=second)
    assert departments.departmentStatus(EDU) == PROPOSED
    assert departments.departmentCount() == count  # listed once
    assert departments.department(EDU).adminCount == 1
    assert departments.rolesOf(EDU, first) == 0
    with ape.reverts(
        departments.DepartmentUnauthorizedWithdrawal, caller=first.address, founder=second.address
    ):
        departments.withdrawProposal(EDU, sender=first)
    departments.withdrawProposal(EDU, sender=second)
    assert departments.departmentStatus(EDU) == RETIRED
    assert departments.memberOf(second) == (ZERO32, 0, False)
    with ape.reverts(
        departments.DepartmentInvalidTransition, code=EDU, **{"from": RETIRED}, to=RETIRED
    ):
        departments.withdrawProposal(EDU, sender=second)
    departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, first, sender=first)
    departments.admit(EDU, sender=council)
    assert departments.isActiveMember(first, EDU, ROLE_ADMIN)


def test_l3_a_compromised_applicant_cannot_withdraw_its_proposal(
    departments: Any, council: Any, accounts: Any
) -> None:
    applicant = accounts[57]
    departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, applicant, sender=applicant)
    departments.markCompromised(applicant, sender=council)
    with ape.reverts(
        departments.DepartmentUnauthorizedWithdrawal,
        caller=applicant.address,
        founder=applicant.address,
    ):
        departments.withdrawProposal(EDU, sender=applicant)
    departments.retire(EDU, sender=council)  # the council rejects it
    assert departments.departmentStatus(EDU) == RETIRED


def test_l3_a_code_that_was_once_active_is_never_proposed_again(
    departments: Any, depts: Any, council: Any, accounts: Any
) -> None:
    finance = depts["FINANCE"]
    departments.retire(finance.code, sender=council)
    with ape.reverts(departments.DepartmentAlreadyExists, code=finance.code):
        departments.propose(
            finance.code, "Finance", 330100, "", ZERO32, accounts[57], sender=accounts[57]
        )


def test_l3_a_proposed_department_has_only_its_applicant(
    departments: Any, council: Any, accounts: Any
) -> None:
    applicant = accounts[57]
    departments.propose(EDU, "Education Bureau", 330106, "", ZERO32, applicant, sender=applicant)
    with ape.reverts(
        departments.DepartmentInvalidTransition, code=EDU, **{"from": PROPOSED}, to=PROPOSED
    ):
        departments.replaceAdmin(EDU, applicant, accounts[58], sender=council)


# --- L-2: a council vote counts only from an ADMIN of an Active department, at execution ------


def test_l2_a_suspended_departments_admin_loses_its_seat_and_vote(
    governed_departments: Any, council_contract: Any, council_members: list[Any], chain: Any
) -> None:
    reg, council = governed_departments, council_contract
    psb_admin = council_members[1]
    others = [m for m in council_members if m != psb_admin]
    pending = council_decide(council, council_members, reg, _noop(reg), chain, 2)  # BDB + PSB
    assert council.proposal(pending).approvals == 2
    _decide(council, others, reg, bytes(reg.suspend.encode_input(code("PSB"))), chain)
    assert reg.departmentStatus(code("PSB")) == SUSPENDED
    assert council.isMember(psb_admin) and not council.hasSeat(psb_admin)
    assert not council.hasApproved(pending, psb_admin)
    assert council.proposal(pending).approvals == 1  # its earlier approval counts no more
    with ape.reverts(council.CouncilSeatInactive, member=psb_admin.address):
        council.approve(pending, sender=psb_admin)
    with ape.reverts(council.CouncilSeatInactive, member=psb_admin.address):
        council.propose(reg, _noop(reg), chain.pending_timestamp + DAY, sender=psb_admin)


def test_l2_a_replaced_admin_keys_approval_is_not_counted_at_execution(
    governed_departments: Any, council_contract: Any, council_members: list[Any],
    accounts: Any, chain: Any,
) -> None:  # fmt: skip
    reg, council = governed_departments, council_contract
    hrss_admin = council_members[2]
    # approved by exactly the threshold, HRSS's admin among them
    pid = council_decide(council, council_members, reg, _noop(reg), chain, COUNCIL_THRESHOLD)
    assert council.hasApproved(pid, hrss_admin)
    others = [m for m in council_members if m != hrss_admin]
    data = bytes(reg.replaceAdmin.encode_input(code("HRSS"), hrss_admin, accounts[57]))
    _decide(council, others, reg, data, chain)
    with ape.reverts(
        council.CouncilThresholdNotMet, id=pid, approvals=COUNCIL_THRESHOLD - 1,
        threshold=COUNCIL_THRESHOLD,
    ):  # fmt: skip
        council.execute(pid, sender=council_members[0])


# --- council approvals: membership generations, cancel, withdraw, threshold floor -------------


def test_an_unsubmitted_signature_does_not_count_after_its_signer_rejoins(
    governed_departments: Any, council_contract: Any, council_members: list[Any],
    outsider: Any, chain: Any,
) -> None:  # fmt: skip
    reg, council = governed_departments, council_contract
    leaving = council_members[6]
    others = council_members[:6]
    pending = council_decide(council, others, reg, _noop(reg), chain, 1)
    old_generation = council.generationOf(leaving)
    signature = _sign(council, chain, leaving, pending, old_generation)  # signed, kept back
    _decide(council, others, council, bytes(council.removeMember.encode_input(leaving)), chain)
    _decide(council, others, council, bytes(council.addMember.encode_input(leaving)), chain)
    assert council.generationOf(leaving) != old_generation
    with ape.reverts(council.SignatureInvalidSigner, signer=leaving.address):
        council.approveBySig(pending, [leaving], [signature], sender=outsider)
    fresh = _sign(council, chain, leaving, pending, council.generationOf(leaving))
    council.approveBySig(pending, [leaving], [fresh], sender=outsider)
    assert council.hasApproved(pending, leaving)


def test_a_proposal_is_cancelled_by_its_proposer_or_the_council(
    governed_departments: Any, council_contract: Any, council_members: list[Any], chain: Any
) -> None:
    reg, council = governed_departments, council_contract
    proposer, other = council_members[0], council_members[1]
    pid = council_decide(council, council_members, reg, _noop(reg), chain, COUNCIL_THRESHOLD)
    with ape.reverts(council.CouncilUnauthorizedCancel, id=pid, caller=other.address):
        council.cancel(pid, sender=other)
    tx = council.cancel(pid, sender=proposer)
    [event] = tx.events.filter(council.ProposalCancelled)
    assert (event.id, event.sender) == (pid, proposer.address)
    assert council.proposal(pid).cancelled
    with ape.reverts(council.CouncilProposalCancelled, id=pid):
        council.execute(pid, sender=proposer)
    with ape.reverts(council.CouncilProposalCancelled, id=pid):
        council.approve(pid, sender=council_members[5])
    # the council cancels any proposal, by a proposal
    target = council_decide(council, council_members[1:], reg, _noop(reg), chain, 1)
    _decide(council, council_members, council, bytes(council.cancel.encode_input(target)), chain)
    assert council.proposal(target).cancelled


def test_a_member_withdraws_its_approval_and_its_signatures_lapse(
    governed_departments: Any, council_contract: Any, council_members: list[Any],
    outsider: Any, chain: Any,
) -> None:  # fmt: skip
    reg, council = governed_departments, council_contract
    member = council_members[1]
    pid = council_decide(council, council_members, reg, _noop(reg), chain, 2)
    signature = _sign(council, chain, member, pid, council.generationOf(member))
    tx = council.withdrawApproval(pid, sender=member)
    [event] = tx.events.filter(council.ProposalApprovalWithdrawn)
    assert (event.id, event.sender) == (pid, member.address)
    assert not council.hasApproved(pid, member)
    assert council.proposal(pid).approvals == 1
    with ape.reverts(council.CouncilNotApproved, id=pid, member=member.address):
        council.withdrawApproval(pid, sender=member)
    with ape.reverts(council.CouncilApprovalWithdrawn, id=pid, member=member.address):
        council.approveBySig(pid, [member], [signature], sender=outsider)
    council.approve(pid, sender=member)  # it may change its mind again, itself
    assert council.hasApproved(pid, member)


def test_an_abandoned_proposal_does_not_revive_when_the_threshold_drops(
    governed_departments: Any, council_contract: Any, council_members: list[Any], chain: Any
) -> None:
    reg, council = governed_departments, council_contract
    abandoned = council_decide(
        council, council_members, reg, _noop(reg), chain, COUNCIL_THRESHOLD - 1
    )
    lower = bytes(council.changeThreshold.encode_input(COUNCIL_THRESHOLD - 1))
    _decide(council, council_members, council, lower, chain)
    assert council.threshold() == COUNCIL_THRESHOLD - 1
    assert council.proposal(abandoned).threshold == COUNCIL_THRESHOLD
    with ape.reverts(
        council.CouncilThresholdNotMet, id=abandoned, approvals=COUNCIL_THRESHOLD - 1,
        threshold=COUNCIL_THRESHOLD,
    ):  # fmt: skip
        council.execute(abandoned, sender=council_members[0])
    fresh = council_decide(council, council_members, reg, _noop(reg), chain, COUNCIL_THRESHOLD - 1)
    council.execute(fresh, sender=council_members[0])  # new proposals need the new threshold


def test_the_council_reads_its_seats_from_the_registry_it_governs(
    project: Any, deployer: Any, council_contract: Any, governed_departments: Any,
    council_members: list[Any], outsider: Any, chain: Any,
) -> None:  # fmt: skip
    assert council_contract.registry() == governed_departments.address
    with ape.reverts(council_contract.CouncilUnauthorizedBinder, caller=outsider.address):
        council_contract.bindRegistry(governed_departments, sender=outsider)
    with ape.reverts(
        council_contract.CouncilRegistryAlreadyBound, registry=governed_departments.address
    ):
        council_contract.bindRegistry(governed_departments, sender=deployer)
    fresh = project.Council.deploy(council_members, 1, sender=deployer)
    with ape.reverts(fresh.CouncilRegistryNotBound):
        fresh.propose(fresh, b"", chain.pending_timestamp + DAY, sender=council_members[0])
    other = project.DepartmentRegistry.deploy(outsider, [], sender=deployer)
    with ape.reverts(
        fresh.CouncilRegistryMismatch, registry=other.address, council=outsider.address
    ):
        fresh.bindRegistry(other, sender=deployer)
    tx = fresh.bindRegistry(
        project.DepartmentRegistry.deploy(fresh, [], sender=deployer), sender=deployer
    )
    assert len(list(tx.events.filter(fresh.CouncilRegistryBound))) == 1
    assert not fresh.hasSeat(council_members[0])  # an admin of no department of that registry
