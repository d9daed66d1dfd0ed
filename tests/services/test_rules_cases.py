"""RULE steps of cases (秒批): decided by a registered rule over attestations, and every refusal."""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus, CaseTerms
from govchain.services.rules import Evidence, name_code, proof, rule_id, rule_step
from tests.approval.conftest import h
from tests.helpers import ACTIVE, SUSPENDED
from tests.services.conftest import DAY, Rulebook, elderly_rule

ZERO = b"\0" * 32


@pytest.fixture
def elderly(book: Rulebook, depts: Any, facts: Any) -> bytes:
    """CIVIL's rule ``elderly`` (version 1), registered by two of its approvers, who also bind
    it to the allowance in a service (without which its steps issue no allowance)."""
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    return rid


def _evidence(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"], data="born 1960"),
        book.attest("CIVIL", citizen, facts["residence"], data="Hangzhou"),
        book.attest("HRSS", citizen, facts["low_income"], data="below"),
    ]


def test_an_all_rule_case_is_decided_and_issues_its_attestation_in_the_opening_transaction(
    book: Rulebook,
    approvals: Any,
    attestations: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    elderly: bytes,
) -> None:
    citizen = citizens[0]
    evidence = _evidence(book, citizen, facts)
    terms = book.rule_terms([elderly], citizen, schema=facts["allowance"])
    receipt = approvals.openCaseByRule(
        terms.as_tuple(), [proof(elderly_rule(depts, facts), evidence)], sender=depts["CIVIL"].staff
    )
    cid = terms.case_id()
    [decided] = receipt.decode_logs(approvals.StepDecidedByRule)
    assert (decided.caseId, decided.step, decided.ruleId, decided.version) == (cid, 0, elderly, 1)
    assert decided.sender == depts["CIVIL"].staff.address
    assert list(decided.attestationUids) == [e.uid for e in evidence]
    [approved] = receipt.decode_logs(approvals.CaseApproved)
    view = approvals.caseOf(cid)
    assert view.status == CaseStatus.APPROVED and view.outcome == approved.attestationUid
    assert attestations.isValid(approved.attestationUid)
    [issued] = receipt.decode_logs(attestations.Attested)
    assert issued.subject == citizen.address and issued["schema"] == facts["allowance"]
    assert issued.department == depts["CIVIL"].code


def test_rule_checks_are_also_offered_as_a_view(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, citizens: Any, elderly: bytes
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    rule = [r.as_tuple() for r in elderly_rule(depts, facts)]
    version, uids = rule_registry.check(
        elderly, citizens[0], rule, [e.as_tuple() for e in evidence]
    )
    assert version == 1 and list(uids) == [e.uid for e in evidence]


def test_anyone_triggers_a_rule_step_after_a_signature_step(
    book: Rulebook,
    approvals: Any,
    desk: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    outsider: Any,
    elderly: bytes,
) -> None:
    now = book.now()
    base = desk.terms([("DPF", 1)], citizen=citizens[0])
    terms = CaseTerms(
        documents_hash=base.documents_hash,
        accepting_department=base.accepting_department,
        route=(base.route[0], rule_step(elderly, now + 2 * DAY)),
        applicant_citizen=citizens[0].address,
    )
    cid = desk.open(terms)
    evidence = _evidence(book, citizens[0], facts)
    rule = elderly_rule(depts, facts)
    with ape.reverts(approvals.ApprovalNotRuleStep, caseId=cid, step=0):
        approvals.decideByRule(cid, terms.as_tuple(), [proof(rule, evidence)], sender=outsider)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["DPF"].approvers[:1])], outsider)
    receipt = approvals.decideByRule(
        cid, terms.as_tuple(), [proof(rule, evidence)], sender=outsider
    )
    [decided] = receipt.decode_logs(approvals.StepDecidedByRule)
    assert decided.step == 1 and decided.sender == outsider.address
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED
    with ape.reverts(approvals.ApprovalCaseClosed, caseId=cid, status=CaseStatus.APPROVED):
        approvals.decideByRule(cid, terms.as_tuple(), [proof(rule, evidence)], sender=outsider)


def test_signatures_and_votes_are_refused_on_a_rule_step(
    book: Rulebook, approvals: Any, desk: Any, depts: Any, citizens: Any, elderly: bytes
) -> None:
    terms = book.rule_terms([elderly], citizens[0])
    cid = desk.open(terms)
    approver = depts["CIVIL"].approvers[0]
    with ape.reverts(approvals.ApprovalRuleStep, caseId=cid, step=0):
        desk.submit(cid, terms, [desk.step_decision(cid, 0, [])], approver)
    with ape.reverts(approvals.ApprovalRuleStep, caseId=cid, step=0):
        approvals.decide(cid, terms.as_tuple(), True, h("ok"), sender=approver)


def test_an_attestation_needs_a_step_of_its_issuers_approvers_or_of_their_rule(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """Invariant 4: a PSB rule does not carry CIVIL's authority to issue the allowance."""
    book.register("PSB", "aged", elderly_rule(depts, facts)[:1])
    psb_rule = rule_id(depts["PSB"].code, name_code("aged"))
    terms = book.rule_terms([psb_rule], citizens[0], schema=facts["allowance"])
    with ape.reverts(
        approvals.ApprovalIssuerNotOnRoute,
        schema=facts["allowance"],
        department=depts["CIVIL"].code,
    ):
        approvals.openCaseByRule(terms.as_tuple(), [], sender=depts["CIVIL"].staff)


# --- the rule refuses what does not satisfy it, naming why ------------------------------------


def _open_with(
    approvals: Any, depts: Any, terms: CaseTerms, rule: Any, evidence: list[Evidence]
) -> Any:
    return approvals.openCaseByRule(
        terms.as_tuple(), [proof(rule, evidence)], sender=depts["CIVIL"].staff
    )


def test_a_revoked_attestation_does_not_satisfy(
    book: Rulebook,
    approvals: Any,
    attestations: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    attestations.revoke(evidence[2].uid, sender=depts["HRSS"].staff)
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(approvals.RuleAttestationNotFound, uid=evidence[2].uid):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_an_attestation_older_than_the_maximum_age_does_not_satisfy(
    book: Rulebook,
    approvals: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    chain: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    chain.pending_timestamp += 91 * DAY  # low income: at most 90 days old
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(
        approvals.RuleAttestationTooOld,
        uid=evidence[2].uid,
        issuedAt=evidence[2].issued_at,
        maxAge=90 * DAY,
    ):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_an_expired_attestation_does_not_satisfy(
    book: Rulebook,
    approvals: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    chain: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    expiry = book.now() + DAY
    evidence[1] = book.attest("CIVIL", citizens[0], facts["residence"], expiry=expiry)
    chain.pending_timestamp += 2 * DAY
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(approvals.RuleAttestationExpired, uid=evidence[1].uid, expiry=expiry):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_another_subjects_attestation_does_not_satisfy(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any, elderly: bytes
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    evidence[0] = book.attest("PSB", citizens[1], facts["age"], data="born 1950")
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(approvals.RuleWrongSubject, uid=evidence[0].uid, subject=citizens[1].address):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_a_suspended_departments_attestation_does_not_satisfy(
    book: Rulebook,
    approvals: Any,
    departments: Any,
    council: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    departments.suspend(depts["HRSS"].code, sender=council)
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(
        approvals.RuleIssuerNotActive,
        uid=evidence[2].uid,
        department=depts["HRSS"].code,
        status=SUSPENDED,
    ):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)
    departments.reinstate(depts["HRSS"].code, sender=council)
    assert departments.departmentStatus(depts["HRSS"].code) == ACTIVE
    _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_an_unnamed_departments_attestation_does_not_satisfy(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any, elderly: bytes
) -> None:
    """Age is taken from PSB only: the same schema attested by HOUSING does not count."""
    evidence = _evidence(book, citizens[0], facts)
    evidence[0] = book.attest("HOUSING", citizens[0], facts["age"], data="born 1960")
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    with ape.reverts(
        approvals.RuleIssuerNotNamed, uid=evidence[0].uid, department=depts["HOUSING"].code
    ):
        _open_with(approvals, depts, terms, elderly_rule(depts, facts), evidence)


def test_a_forged_or_misordered_attestation_does_not_satisfy(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any, elderly: bytes
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    rule = elderly_rule(depts, facts)
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    swapped = [evidence[1], evidence[0], evidence[2]]
    with ape.reverts(
        approvals.RuleWrongSchema,
        uid=evidence[1].uid,
        schema=facts["residence"],
        required=facts["age"],
    ):
        _open_with(approvals, depts, terms, rule, swapped)
    young = Evidence(**{**evidence[0].__dict__, "issued_at": evidence[0].issued_at + 1})
    with ape.reverts(approvals.RuleAttestationNotFound, uid=young.uid):
        _open_with(approvals, depts, terms, rule, [young, *evidence[1:]])
    with ape.reverts(approvals.RuleEvidenceCount, given=2, required=3):
        _open_with(approvals, depts, terms, rule, evidence[:2])


def test_only_the_rules_current_requirements_and_version_decide(
    book: Rulebook,
    approvals: Any,
    departments: Any,
    council: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    rule = elderly_rule(depts, facts)
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    cid = book.desk.open(terms)
    with ape.reverts(approvals.RuleRequirementsMismatch, ruleId=elderly):
        approvals.decideByRule(
            cid, terms.as_tuple(), [proof(rule[:2], evidence[:2])], sender=citizens[0]
        )
    book.register("CIVIL", "elderly", rule[:2])  # version 2: no income condition
    with ape.reverts(approvals.RuleRequirementsMismatch, ruleId=elderly):
        approvals.decideByRule(cid, terms.as_tuple(), [proof(rule, evidence)], sender=citizens[0])
    departments.suspend(depts["CIVIL"].code, sender=council)
    with ape.reverts(
        approvals.RuleDepartmentNotActive, department=depts["CIVIL"].code, status=SUSPENDED
    ):
        approvals.decideByRule(
            cid, terms.as_tuple(), [proof(rule[:2], evidence[:2])], sender=citizens[0]
        )
    departments.reinstate(depts["CIVIL"].code, sender=council)
    receipt = approvals.decideByRule(
        cid, terms.as_tuple(), [proof(rule[:2], evidence[:2])], sender=citizens[0]
    )
    assert receipt.decode_logs(approvals.StepDecidedByRule)[0].version == 2
    assert approvals.caseOf(cid).status == CaseStatus.APPROVED


def test_a_retired_rule_decides_nothing_and_its_step_expires(
    book: Rulebook,
    approvals: Any,
    depts: Any,
    facts: Any,
    citizens: Any,
    chain: Any,
    elderly: bytes,
) -> None:
    evidence = _evidence(book, citizens[0], facts)
    terms = book.rule_terms([elderly], citizens[0])
    cid = book.desk.open(terms)
    book.retire("CIVIL", "elderly")
    rule = elderly_rule(depts, facts)
    with ape.reverts(approvals.RuleNotInForce, ruleId=elderly):
        approvals.decideByRule(cid, terms.as_tuple(), [proof(rule, evidence)], sender=citizens[0])
    chain.pending_timestamp += 2 * DAY
    deadline = terms.route[0].deadline
    with ape.reverts(approvals.ApprovalStepExpired, caseId=cid, step=0, deadline=deadline):
        approvals.decideByRule(cid, terms.as_tuple(), [proof(rule, evidence)], sender=citizens[0])
    approvals.expire(cid, terms.as_tuple(), sender=citizens[0])
    assert approvals.caseOf(cid).status == CaseStatus.EXPIRED
