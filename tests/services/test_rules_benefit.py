"""Which benefit a RULE step may issue, and how many (review s25, H-1 and M-1).

H-1: a rule's approvers sign its requirements, never a benefit; a RULE step carries the
accepting department's authority to issue schema S only while a service of that department in
force binds the rule to S (``RuleRegistry.servicesInForce``), else ``ApprovalRuleNotForSchema``.
M-1: a case whose authority comes from RULE steps alone (no signature step of the accepting
department), whatever its route, issues no second valid benefit of that department and schema to
a citizen (``BenefitAlreadyGranted``). A signature step of the department's approvers still
issues directly, as often as they decide.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from typing import Any

import ape

from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.services.catalog import service_id
from govchain.services.rules import Evidence, Requirement, name_code, proof, rule_id, rule_step
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    approvals,
    attestations,
    citizen_registry,
    desk,
    h,
    rule_registry,
)
from tests.services.conftest import Rulebook, book, facts  # noqa: F401 (fixtures)

ZERO = b"\0" * 32


def _world(book: Rulebook, depts: Any, facts: Any) -> tuple[list[Requirement], bytes, bytes]:
    """CIVIL's ``elderly`` rule (age by PSB, residence by PSB or CIVIL) and its ``allowance``."""
    reqs = [
        Requirement(facts["age"], 30 * DAY, (depts["PSB"].code,)),
        Requirement(facts["residence"], 60 * DAY, (depts["PSB"].code, depts["CIVIL"].code)),
    ]
    book.register("CIVIL", "elderly", reqs)
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    return reqs, rid, service_id(depts["CIVIL"].code, name_code("allowance"))


def _resident(book: Rulebook, depts: Any, facts: Any) -> tuple[list[Requirement], bytes]:
    """A weaker CIVIL rule, registered by its approvers for another purpose: residence only."""
    reqs = [Requirement(facts["residence"], 60 * DAY, (depts["CIVIL"].code,))]
    book.register("CIVIL", "resident", reqs)
    return reqs, rule_id(depts["CIVIL"].code, name_code("resident"))


def _case(
    book: Rulebook, depts: Any, facts: Any, rules: list[bytes], citizen: Any, doc: str
) -> CaseTerms:
    """Terms of an allowance case of RULE steps ``rules`` (deadlines a day apart)."""
    now = book.now()
    return CaseTerms(
        documents_hash=h(doc),
        accepting_department=depts["CIVIL"].code,
        route=tuple(rule_step(r, now + (i + 1) * DAY) for i, r in enumerate(rules)),
        applicant_citizen=citizen.address,
        schema=facts["allowance"],
    )


def _evidence(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"]),
        book.attest("CIVIL", citizen, facts["residence"]),
    ]


# --- H-1: a rule issues only a benefit a service in force binds it to ---------------------------


def test_a_weaker_rule_of_the_department_does_not_issue_the_services_benefit(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """The review's probe: one STAFF clerk, the rule ``resident`` (residence only, bound to no
    benefit) and a citizen with no age attestation; the allowance is refused at opening."""
    _world(book, depts, facts)
    reqs, weak = _resident(book, depts, facts)
    bob, staff = citizens[1], depts["CIVIL"].staff
    ev = [book.attest("CIVIL", bob, facts["residence"])]
    terms = _case(book, depts, facts, [weak], bob, "laundered")
    with ape.reverts(approvals.ApprovalRuleNotForSchema, ruleId=weak, schema=facts["allowance"]):
        approvals.openCaseByRule(terms.as_tuple(), [proof(reqs, ev)], sender=staff)
    # opened without deciding, the case is refused all the same
    with ape.reverts(approvals.ApprovalRuleNotForSchema, ruleId=weak, schema=facts["allowance"]):
        approvals.openCase(terms.as_tuple(), sender=staff)
    # the same rule still decides a case that issues nothing
    plain = CaseTerms(
        documents_hash=h("library card"),
        accepting_department=depts["CIVIL"].code,
        route=(rule_step(weak, book.now() + DAY),),
        applicant_citizen=bob.address,
    )
    approvals.openCaseByRule(plain.as_tuple(), [proof(reqs, ev)], sender=staff)
    assert approvals.caseOf(plain.case_id()).status == CaseStatus.APPROVED


def test_the_genuine_service_rule_still_issues_and_records_the_benefit(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    reqs, rid, sid = _world(book, depts, facts)
    alice = citizens[0]
    terms = _case(book, depts, facts, [rid], alice, "genuine")
    approvals.openCaseByRule(
        terms.as_tuple(), [proof(reqs, _evidence(book, alice, facts))], sender=depts["CIVIL"].staff
    )
    uid = approvals.caseOf(terms.case_id()).outcome
    assert attestations.isValid(uid) and approvals.benefitOf(sid, alice.address) == uid


def test_a_signature_step_of_the_departments_approvers_still_issues_directly(
    book: Rulebook, approvals: Any, attestations: Any, desk: Any, depts: Any, facts: Any,
    citizens: Any,
) -> None:  # fmt: skip
    """CIVIL's approvers decide: their authority issues the allowance to bob (residence only,
    the weaker rule on the route too), twice if they decide twice; no service record is kept."""
    _, _, sid = _world(book, depts, facts)
    reqs, weak = _resident(book, depts, facts)
    bob = citizens[1]
    ev = [book.attest("CIVIL", bob, facts["residence"])]
    civil = depts["CIVIL"]
    for n in range(2):
        now = book.now()
        terms = CaseTerms(
            documents_hash=h(f"decided by people {n}"),
            accepting_department=civil.code,
            route=(rule_step(weak, now + DAY), Step(civil.code, 1, now + 2 * DAY)),
            applicant_citizen=bob.address,
            schema=facts["allowance"],
        )
        cid = terms.case_id()
        approvals.openCaseByRule(terms.as_tuple(), [proof(reqs, ev)], sender=civil.staff)
        desk.submit(cid, terms, [desk.step_decision(cid, 1, civil.approvers[:1])], civil.staff)
        assert attestations.isValid(approvals.caseOf(cid).outcome)
    assert approvals.benefitOf(sid, bob.address) == ZERO


def test_a_retired_service_ends_its_rules_authority_even_for_an_open_case(
    book: Rulebook, approvals: Any, rule_registry: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    reqs, rid, _ = _world(book, depts, facts)
    alice, staff = citizens[0], depts["CIVIL"].staff
    civil, allowance = depts["CIVIL"].code, facts["allowance"]
    terms = _case(book, depts, facts, [rid], alice, "opened in time")
    approvals.openCase(terms.as_tuple(), sender=staff)
    book.retire_service("CIVIL", "allowance")
    assert rule_registry.servicesInForce(civil, rid, allowance)[0] == 0
    evidence = _evidence(book, alice, facts)
    with ape.reverts(approvals.ApprovalRuleNotForSchema, ruleId=rid, schema=allowance):
        approvals.decideByRule(
            terms.case_id(), terms.as_tuple(), [proof(reqs, evidence)], sender=staff
        )
    book.register_service("CIVIL", "allowance", rid, allowance)
    approvals.decideByRule(terms.case_id(), terms.as_tuple(), [proof(reqs, evidence)], sender=staff)
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.APPROVED


def test_services_in_force_counts_each_binding_as_services_are_registered_moved_and_retired(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    _, rid, _ = _world(book, depts, facts)
    _, weak = _resident(book, depts, facts)
    civil, allowance = depts["CIVIL"].code, facts["allowance"]

    def count() -> tuple[int, int]:
        return (
            int(rule_registry.servicesInForce(civil, rid, allowance)[0]),
            int(rule_registry.servicesInForce(civil, weak, allowance)[0]),
        )

    assert count() == (1, 0)
    book.register_service("CIVIL", "allowance", rid, allowance)  # version 2, same binding
    assert count() == (1, 0)
    book.register_service("CIVIL", "second", rid, allowance)  # a second service, same binding
    assert count() == (2, 0)
    book.register_service("CIVIL", "second", weak, allowance)  # moved to the weaker rule
    assert count() == (1, 1)
    book.retire_service("CIVIL", "second")
    assert count() == (1, 0)
    book.retire_service("CIVIL", "allowance")
    assert count() == (0, 0)
    # another department's code names no binding of CIVIL's rule
    assert rule_registry.servicesInForce(depts["PSB"].code, rid, allowance)[0] == 0


# --- M-1: one valid benefit per citizen, whatever route of RULE steps ---------------------------


def test_the_same_rule_twice_issues_no_second_valid_benefit(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """The review's probe: route ``[RULE elderly, RULE elderly]`` after the first allowance."""
    reqs, rid, sid = _world(book, depts, facts)
    alice, staff = citizens[0], depts["CIVIL"].staff
    ev = _evidence(book, alice, facts)
    one = _case(book, depts, facts, [rid], alice, "first")
    approvals.openCaseByRule(one.as_tuple(), [proof(reqs, ev)], sender=staff)
    first = approvals.benefitOf(sid, alice.address)
    assert attestations.isValid(first)
    two = _case(book, depts, facts, [rid, rid], alice, "second")
    with ape.reverts(
        approvals.BenefitAlreadyGranted,
        department=depts["CIVIL"].code,
        schema=facts["allowance"],
        citizen=alice.address,
        uid=first,
    ):
        approvals.openCaseByRule(two.as_tuple(), [proof(reqs, ev), proof(reqs, ev)], sender=staff)
    # once the first is revoked, the two-step route issues one again, recorded for the service
    attestations.revoke(first, sender=depts["CIVIL"].approvers[0])
    approvals.openCaseByRule(two.as_tuple(), [proof(reqs, ev), proof(reqs, ev)], sender=staff)
    second = approvals.caseOf(two.case_id()).outcome
    assert attestations.isValid(second) and approvals.benefitOf(sid, alice.address) == second


def test_routes_with_other_steps_but_no_signature_step_of_the_department_are_limited(
    book: Rulebook, approvals: Any, desk: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """The service's rule with a weaker rule, or with a signature step of another department
    (PSB's approvers have no authority over CIVIL's allowance): no second valid benefit."""
    reqs, rid, sid = _world(book, depts, facts)
    weak_reqs, weak = _resident(book, depts, facts)
    alice, civil, psb = citizens[0], depts["CIVIL"], depts["PSB"]
    ev = _evidence(book, alice, facts)
    first_terms = _case(book, depts, facts, [rid], alice, "first")
    approvals.openCaseByRule(first_terms.as_tuple(), [proof(reqs, ev)], sender=civil.staff)
    first = approvals.benefitOf(sid, alice.address)
    refusal = {
        "department": civil.code,
        "schema": facts["allowance"],
        "citizen": alice.address,
        "uid": first,
    }
    mixed = _case(book, depts, facts, [weak, rid], alice, "with a weaker rule")
    with ape.reverts(approvals.BenefitAlreadyGranted, **refusal):
        approvals.openCaseByRule(
            mixed.as_tuple(), [proof(weak_reqs, ev[1:]), proof(reqs, ev)], sender=civil.staff
        )
    now = book.now()
    other = CaseTerms(
        documents_hash=h("with PSB's approvers"),
        accepting_department=civil.code,
        route=(rule_step(rid, now + DAY), Step(psb.code, 1, now + 2 * DAY)),
        applicant_citizen=alice.address,
        schema=facts["allowance"],
    )
    cid = other.case_id()
    approvals.openCaseByRule(other.as_tuple(), [proof(reqs, ev)], sender=civil.staff)
    with ape.reverts(approvals.BenefitAlreadyGranted, **refusal):
        desk.submit(cid, other, [desk.step_decision(cid, 1, psb.approvers[:1])], civil.staff)


def test_two_services_granting_one_benefit_share_its_record(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """A second CIVIL service grants the allowance on another rule: a citizen who holds the
    allowance from the first holds it for the second too (``benefitOf``), and no case of the
    second's rule issues another."""
    reqs, rid, sid = _world(book, depts, facts)
    weak_reqs, weak = _resident(book, depts, facts)
    book.register_service("CIVIL", "resident-allowance", weak, facts["allowance"])
    second_sid = service_id(depts["CIVIL"].code, name_code("resident-allowance"))
    alice, staff = citizens[0], depts["CIVIL"].staff
    ev = _evidence(book, alice, facts)
    approvals.openCaseByRule(
        _case(book, depts, facts, [rid], alice, "first").as_tuple(), [proof(reqs, ev)], sender=staff
    )
    first = approvals.benefitOf(sid, alice.address)
    assert approvals.benefitOf(second_sid, alice.address) == first
    terms = _case(book, depts, facts, [weak], alice, "through the second service")
    with ape.reverts(approvals.BenefitAlreadyGranted, uid=first):
        approvals.openCaseByRule(terms.as_tuple(), [proof(weak_reqs, ev[1:])], sender=staff)
