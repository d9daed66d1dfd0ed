"""Co-signed step decisions: k-of-n per step, several steps per transaction, and every refusal."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_account import Account

from govchain.approval import CaseStatus
from govchain.approval.messages import (
    ANY_SIGNER,
    DECISION,
    SignerSignature,
    entry,
    pack_signatures,
)
from govchain.approval.messages import decision as decision_message
from govchain.eip712 import Domain
from tests.approval.conftest import DAY, Desk, h
from tests.helpers import ROLE_APPROVER, ROLE_STAFF, SUSPENDED

ROUTE5 = [("CIVIL", 1), ("PSB", 2), ("DPF", 3), ("HRSS", 2), ("FINANCE", 1)]


def _recovered(desk: Desk, d: tuple[int, bool, bytes, int, bytes], case_id: bytes) -> str:
    """The key the contract recovers from a one-entry decision ``d`` submitted for ``case_id``:
    a signature of another message recovers an unrelated address."""
    step, approve, comment, deadline, packed = d
    msg = decision_message(case_id, step, approve, comment, ANY_SIGNER, deadline)
    return DECISION.recover(desk.domain, msg, packed[:65])


def _approvers(depts: Any, name: str, k: int) -> list[Any]:
    return depts[name].approvers[:k]


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5])
def test_a_route_of_steps_is_approved_step_by_step(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, steps: int
) -> None:
    route = ROUTE5[:steps]
    terms = desk.terms(route, citizen=citizens[0])
    cid = desk.open(terms)
    for i, (name, k) in enumerate(route):
        signers = _approvers(depts, name, k)
        decision = desk.step_decision(cid, i, signers, comment=h(f"step {i}"))
        receipt = desk.submit(cid, terms, [decision], sender=outsider)
        [log] = receipt.decode_logs(approvals.StepDecided)
        assert (log.caseId, log.step, log.department) == (cid, i, depts[name].code)
        assert log.approve and log.commentHash == h(f"step {i}")
        assert log.submitter == outsider.address
        assert [s.lower() for s in log.signers] == sorted(s.address.lower() for s in signers)
        view = approvals.caseOf(cid)
        if i + 1 < steps:
            assert view.status == CaseStatus.OPEN and view.currentStep == i + 1
            assert not receipt.decode_logs(approvals.CaseApproved)
    assert view.status == CaseStatus.APPROVED
    [approved] = receipt.decode_logs(approvals.CaseApproved)
    assert approved.caseId == cid and approved.acceptingDepartment == depts["CIVIL"].code
    assert approved.attestationUid == b"\0" * 32


def test_several_steps_are_decided_in_one_transaction(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any
) -> None:
    terms = desk.terms(ROUTE5, citizen=citizens[0])
    cid = desk.open(terms)
    decisions = [
        desk.step_decision(cid, i, _approvers(depts, name, k)) for i, (name, k) in enumerate(ROUTE5)
    ]
    receipt = desk.submit(cid, terms, decisions, sender=outsider)
    assert [log.step for log in receipt.decode_logs(approvals.StepDecided)] == [0, 1, 2, 3, 4]
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


@pytest.mark.parametrize("k", [1, 2, 3])
def test_any_k_of_the_departments_approvers_decide(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, k: int
) -> None:
    terms = desk.terms([("DPF", k)], citizen=citizens[0])
    cid = desk.open(terms)
    signers = depts["DPF"].approvers[3 - k :]
    desk.submit(cid, terms, [desk.step_decision(cid, 0, signers)], sender=citizens[1])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_extra_signatures_beyond_the_threshold_are_ignored(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    receipt = desk.submit(
        cid, terms, [desk.step_decision(cid, 0, depts["DPF"].approvers)], citizens[1]
    )
    [log] = receipt.decode_logs(approvals.StepDecided)
    assert len(log.signers) == 2


def test_fewer_signatures_than_the_threshold_are_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 3)], citizen=citizens[0])
    cid = desk.open(terms)
    decision = desk.step_decision(cid, 0, depts["DPF"].approvers[:2])
    with ape.reverts(
        approvals.ApprovalInsufficientSignatures, caseId=cid, step=0, provided=2, threshold=3
    ):
        desk.submit(cid, terms, [decision], citizens[1])


def test_a_rejection_closes_the_case_with_its_reason(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any
) -> None:
    terms = desk.terms([("CIVIL", 1), ("DPF", 2), ("FINANCE", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    decisions = [
        desk.step_decision(cid, 0, _approvers(depts, "CIVIL", 1)),
        desk.step_decision(cid, 1, _approvers(depts, "DPF", 2), approve=False, comment=h("no")),
    ]
    receipt = desk.submit(cid, terms, decisions, sender=outsider)
    [rejected] = receipt.decode_logs(approvals.CaseRejected)
    assert (rejected.caseId, rejected.step, rejected.department) == (cid, 1, depts["DPF"].code)
    assert rejected.reasonHash == h("no")
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.REJECTED and view.currentStep == 1 and view.outcome == h("no")


def test_a_decision_after_a_rejection_in_the_same_batch_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("CIVIL", 1), ("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    decisions = [
        desk.step_decision(cid, 0, _approvers(depts, "CIVIL", 1), approve=False),
        desk.step_decision(cid, 1, _approvers(depts, "DPF", 1)),
    ]
    with ape.reverts(approvals.ApprovalCaseClosed, caseId=cid, status=int(CaseStatus.REJECTED)):
        desk.submit(cid, terms, decisions, citizens[1])


def test_approval_issues_the_named_attestation_to_the_citizen(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, schemas: Any, attestations: Any
) -> None:
    expiry = desk.now() + 365 * DAY
    terms = desk.terms(
        [("CIVIL", 1), ("DPF", 2), ("FINANCE", 1)],
        citizen=citizens[0],
        schema=schemas["subsidy"],
        expiry=expiry,
    )
    cid = desk.open(terms)
    decisions = [
        desk.step_decision(cid, i, _approvers(depts, name, k))
        for i, (name, k) in enumerate([("CIVIL", 1), ("DPF", 2), ("FINANCE", 1)])
    ]
    receipt = desk.submit(cid, terms, decisions, sender=citizens[0])
    [approved] = receipt.decode_logs(approvals.CaseApproved)
    uid = approved.attestationUid
    assert uid != b"\0" * 32 and approvals.caseOf(cid).outcome == uid
    assert attestations.isValid(uid)
    [attested] = receipt.decode_logs(attestations.Attested)
    assert attested.subject == citizens[0].address
    assert attested.department == depts["CIVIL"].code
    assert attested.event_arguments["schema"] == schemas["subsidy"]
    assert attested.dataHash == terms.documents_hash
    assert attested.expiry == expiry


def test_a_decision_for_another_step_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("CIVIL", 1), ("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    decision = desk.step_decision(cid, 1, _approvers(depts, "DPF", 1))
    with ape.reverts(approvals.ApprovalWrongStep, caseId=cid, step=1, currentStep=0):
        desk.submit(cid, terms, [decision], citizens[1])


def test_terms_that_are_not_the_cases_are_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    other = desk.terms([("DPF", 1)], citizen=citizens[1])
    decision = desk.step_decision(cid, 0, _approvers(depts, "DPF", 1))
    with ape.reverts(approvals.ApprovalUnknownCase, caseId=cid):
        desk.submit(cid, other, [decision], citizens[1])


# --- who may sign -----------------------------------------------------------------------------


def test_an_approver_of_another_department_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    intruder = depts["HRSS"].approvers[0]
    with ape.reverts(
        approvals.ApprovalWrongDepartment,
        signer=intruder.address,
        signerDepartment=depts["HRSS"].code,
        department=depts["DPF"].code,
    ):
        desk.submit(cid, terms, [desk.step_decision(cid, 0, [intruder])], citizens[1])


@pytest.mark.parametrize("who", ["staff", "admin", "outsider"])
def test_a_signer_without_the_approver_role_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, who: str
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    signer = {"staff": depts["DPF"].staff, "admin": depts["DPF"].admin, "outsider": outsider}[who]
    with ape.reverts(
        approvals.ApprovalNotApprover, signer=signer.address, department=depts["DPF"].code
    ):
        desk.submit(cid, terms, [desk.step_decision(cid, 0, [signer])], citizens[1])


def test_a_removed_approver_is_refused_at_submission(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, departments: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    approver = depts["DPF"].approvers[0]
    decision = desk.step_decision(cid, 0, [approver])
    departments.removeMember(approver, sender=depts["DPF"].admin)
    with ape.reverts(approvals.ApprovalNotApprover, signer=approver.address):
        desk.submit(cid, terms, [decision], citizens[1])


def test_a_suspended_departments_approvers_are_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, departments: Any, council: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    decision = desk.step_decision(cid, 0, _approvers(depts, "DPF", 1))
    departments.suspend(depts["DPF"].code, sender=council)
    with ape.reverts(
        approvals.ApprovalDepartmentNotActive, department=depts["DPF"].code, status=SUSPENDED
    ):
        desk.submit(cid, terms, [decision], citizens[1])
    departments.reinstate(depts["DPF"].code, sender=council)
    desk.submit(cid, terms, [decision], citizens[1])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_a_duplicate_signer_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sig = desk.sign(depts["DPF"].approvers[0], cid, 0, deadline=deadline)
    packed = entry(sig) + entry(sig)
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)
    with ape.reverts(approvals.ApprovalSignerOrder, signer=sig.signer, previous=sig.signer):
        desk.submit(cid, terms, [decision], citizens[1])


def test_unsorted_signers_are_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sigs = [desk.sign(a, cid, 0, deadline=deadline) for a in depts["DPF"].approvers[:2]]
    high, low = sorted(sigs, key=lambda s: s.key, reverse=True)
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=entry(high) + entry(low))
    with ape.reverts(approvals.ApprovalSignerOrder, signer=low.signer, previous=high.signer):
        desk.submit(cid, terms, [decision], citizens[1])


def test_a_malformed_signature_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    signed = desk.sign(depts["DPF"].approvers[0], cid, 0, deadline=deadline)
    sig = signed.signature
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(sig[32:64], "big")
    high_s = sig[:32] + (n - s).to_bytes(32, "big") + bytes([55 - sig[64]])  # the malleable twin
    # the malleable twin, a v the precompile refuses, and an r || s that is no signature
    for bad in (high_s, sig[:64] + b"\x05", bytes(64) + b"\x1b"):
        decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=bad)
        with ape.reverts(approvals.ApprovalMalformedSignature, index=0):
            desk.submit(cid, terms, [decision], citizens[1])


# --- replay -----------------------------------------------------------------------------------


def test_a_signature_for_another_case_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    first = desk.terms([("DPF", 1)], citizen=citizens[0])
    second = desk.terms([("DPF", 1)], citizen=citizens[1])
    first_id, second_id = desk.open(first), desk.open(second)
    deadline = desk.now() + DAY
    sig = desk.sign(depts["DPF"].approvers[0], first_id, 0, deadline=deadline)
    replay = desk.step_decision(second_id, 0, [], deadline=deadline, packed=entry(sig))
    stranger = _recovered(desk, replay, second_id)
    assert stranger != sig.signer
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(second_id, second, [replay], citizens[2])
    desk.submit(
        first_id,
        first,
        [desk.step_decision(first_id, 0, [], deadline=deadline, packed=entry(sig))],
        citizens[2],
    )


def test_a_signature_for_another_step_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1), ("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sig = desk.sign(depts["DPF"].approvers[0], cid, 1, deadline=deadline)
    replay = desk.step_decision(cid, 0, [], deadline=deadline, packed=entry(sig))
    stranger = _recovered(desk, replay, cid)
    assert stranger != sig.signer
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [replay], citizens[2])


def test_a_signature_for_another_decision_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    approve = desk.sign(depts["DPF"].approvers[0], cid, 0, True, deadline=deadline)
    as_reject = desk.step_decision(
        cid, 0, [], approve=False, deadline=deadline, packed=entry(approve)
    )
    stranger = _recovered(desk, as_reject, cid)
    assert stranger != approve.signer
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [as_reject], citizens[2])


def test_a_signature_for_another_contract_is_refused(
    project: Any,
    approvals: Any,
    desk: Desk,
    depts: Any,
    citizens: Any,
    deployer: Any,
    departments: Any,
    citizen_registry: Any,
    attestations: Any,
    rule_registry: Any,
    chain: Any,
) -> None:
    twin = project.CaseApprovals.deploy(
        departments, citizen_registry, attestations, rule_registry, sender=deployer
    )
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    twin.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)
    assert twin.caseIdOf(terms.as_tuple()) == cid
    deadline = desk.now() + DAY
    sig = desk.sign(depts["DPF"].approvers[0], cid, 0, deadline=deadline)
    submitted = desk.step_decision(cid, 0, [], deadline=deadline, packed=entry(sig))
    # on the twin, the approver's signature recovers an unrelated address
    twin_domain = Domain("CaseApprovals", chain.chain_id, twin.address)
    msg = decision_message(cid, 0, True, h("ok"), ANY_SIGNER, deadline)
    stranger = DECISION.recover(twin_domain, msg, sig.signature)
    assert stranger != sig.signer
    with ape.reverts(twin.ApprovalNotApprover, signer=stranger):
        twin.submitDecisions(cid, terms.as_tuple(), [submitted], sender=citizens[2])
    desk.submit(cid, terms, [submitted], citizens[2])


def test_a_signature_for_another_chain_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, chain: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    other_chain = Domain("CaseApprovals", chain.chain_id + 1, approvals.address)
    [approver] = _approvers(depts, "DPF", 1)
    decision = desk.step_decision(cid, 0, [approver], dom=other_chain)
    stranger = _recovered(desk, decision, cid)
    assert stranger != approver.address
    with ape.reverts(approvals.ApprovalNotApprover, signer=stranger):
        desk.submit(cid, terms, [decision], citizens[2])


# --- time and closed cases --------------------------------------------------------------------


def test_a_decision_past_its_own_deadline_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, chain: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + 60
    decision = desk.step_decision(cid, 0, _approvers(depts, "DPF", 1), deadline=deadline)
    chain.pending_timestamp = deadline + 1
    with ape.reverts(approvals.SignatureExpired, deadline=deadline):
        desk.submit(cid, terms, [decision], citizens[2])


def test_a_decision_past_the_steps_deadline_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, chain: Any
) -> None:
    step_deadline = desk.now() + 3600
    terms = desk.terms([("DPF", 1, step_deadline)], citizen=citizens[0])
    cid = desk.open(terms)
    decision = desk.step_decision(cid, 0, _approvers(depts, "DPF", 1), deadline=step_deadline + DAY)
    chain.pending_timestamp = step_deadline + 1
    with ape.reverts(approvals.ApprovalStepExpired, caseId=cid, step=0, deadline=step_deadline):
        desk.submit(cid, terms, [decision], citizens[2])


@pytest.mark.parametrize("approve", [True, False])
def test_no_decision_changes_a_closed_case(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, approve: bool
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    desk.submit(
        cid, terms, [desk.step_decision(cid, 0, _approvers(depts, "DPF", 1), approve)], citizens[2]
    )
    status = CaseStatus.APPROVED if approve else CaseStatus.REJECTED
    again = desk.step_decision(cid, 0, depts["DPF"].approvers[1:2], not approve)
    with ape.reverts(approvals.ApprovalCaseClosed, caseId=cid, status=int(status)):
        desk.submit(cid, terms, [again], citizens[2])
    with ape.reverts(approvals.ApprovalCaseClosed):
        approvals.decide(cid, terms.as_tuple(), True, h("late"), sender=depts["DPF"].approvers[2])
    assert approvals.caseOf(cid).status == status


def test_an_unknown_case_is_refused(approvals: Any, desk: Desk, depts: Any, citizens: Any) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = terms.case_id()
    with ape.reverts(approvals.ApprovalUnknownCase, caseId=cid):
        desk.submit(
            cid, terms, [desk.step_decision(cid, 0, _approvers(depts, "DPF", 1))], citizens[2]
        )


# --- ERC-1271 ---------------------------------------------------------------------------------


@pytest.fixture
def wallet(project: Any, deployer: Any, accounts: Any, departments: Any, depts: Any) -> Any:
    """A contract wallet owned by a spare key, made an APPROVER of DPF."""
    wallet = project.TestContractWallet.deploy(accounts[57], sender=deployer)
    departments.addMember(wallet, ROLE_APPROVER, sender=depts["DPF"].admin)
    accept = departments.acceptMembership.encode_input(depts["DPF"].code)
    wallet.execute(departments, accept, sender=accounts[57])
    return wallet


def test_an_erc1271_wallet_signs_as_an_approver(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, wallet: Any, accounts: Any
) -> None:
    terms = desk.terms([("DPF", 2)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    sigs = [
        desk.sign(accounts[57], cid, 0, deadline=deadline, wallet=wallet.address),
        desk.sign(depts["DPF"].approvers[0], cid, 0, deadline=deadline),
    ]
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=pack_signatures(sigs))
    receipt = desk.submit(cid, terms, [decision], citizens[2])
    [log] = receipt.decode_logs(approvals.StepDecided)
    assert wallet.address in log.signers
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_an_erc1271_wallet_refuses_a_foreign_signature(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, wallet: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    stranger = Account.create()
    foreign = desk.sign(stranger, cid, 0, deadline=deadline, wallet=wallet.address)
    packed = pack_signatures([foreign])
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)
    with ape.reverts(approvals.SignatureInvalidSigner, signer=wallet.address):
        desk.submit(cid, terms, [decision], citizens[2])


def test_a_contract_entry_pointing_outside_the_signatures_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, wallet: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    outside = SignerSignature(wallet.address, b"", contract=True)
    decision = desk.step_decision(cid, 0, [], packed=entry(outside, offset=10_000))
    with ape.reverts(approvals.ApprovalMalformedSignature, index=0):
        desk.submit(cid, terms, [decision], citizens[2])


def test_a_staff_wallet_is_not_an_approver(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, project: Any, deployer: Any,
    accounts: Any, departments: Any,
) -> None:  # fmt: skip
    wallet = project.TestContractWallet.deploy(accounts[58], sender=deployer)
    departments.addMember(wallet, ROLE_STAFF, sender=depts["DPF"].admin)
    accept = departments.acceptMembership.encode_input(depts["DPF"].code)
    wallet.execute(departments, accept, sender=accounts[58])
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    packed = pack_signatures(
        [desk.sign(accounts[58], cid, 0, deadline=deadline, wallet=wallet.address)]
    )
    decision = desk.step_decision(cid, 0, [], deadline=deadline, packed=packed)
    with ape.reverts(approvals.ApprovalNotApprover, signer=wallet.address):
        desk.submit(cid, terms, [decision], citizens[2])


def test_a_contract_entry_whose_address_word_is_not_an_address_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, wallet: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    dirty = ((1 << 160) | int(wallet.address, 16)).to_bytes(32, "big")
    packed = dirty + (65).to_bytes(32, "big") + b"\x00" + bytes(32)
    decision = desk.step_decision(cid, 0, [], packed=packed)
    with ape.reverts(approvals.ApprovalMalformedSignature, index=0):
        desk.submit(cid, terms, [decision], citizens[2])


def test_an_owners_own_approval_does_not_count_for_its_wallet(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, wallet: Any, accounts: Any
) -> None:
    """R2-5: the wallet accepts its owner's signatures, but is asked about the Decision naming
    the wallet; the owner's signature of the one Decision for keys is not one."""
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    cid = desk.open(terms)
    deadline = desk.now() + DAY
    own = desk.sign(accounts[57], cid, 0, deadline=deadline)
    as_wallet = SignerSignature(wallet.address, own.signature, contract=True)
    decision = desk.step_decision(
        cid, 0, [], deadline=deadline, packed=pack_signatures([as_wallet])
    )
    with ape.reverts(approvals.SignatureInvalidSigner, signer=wallet.address):
        desk.submit(cid, terms, [decision], citizens[2])
    # signed for the wallet, the same key's signature counts for the wallet
    for_wallet = desk.sign(accounts[57], cid, 0, deadline=deadline, wallet=wallet.address)
    decision = desk.step_decision(
        cid, 0, [], deadline=deadline, packed=pack_signatures([for_wallet])
    )
    desk.submit(cid, terms, [decision], citizens[2])
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED
