"""Two gaps the joined machine found, each kept as its minimal case, now closed (issue 17).

1. Invariant (e): an acceptance carried a consent hash over the consent text of the rule's
   requirements when the offer was made, but ``AcceptOffer`` bound neither the rule's version
   nor its requirements: after the department registered a version needing one more
   attestation, her earlier acceptance was decided by it. ``AcceptOffer`` now signs the hash of
   the requirements her consent names (``requirementsHash``); ``acceptOffer`` refuses it unless
   it is the hash of the rule's version in force (``OfferRuleChanged``).
2. Invariant (d): ``acceptOffer`` checked "one valid benefit per citizen and service" only
   against benefits granted through offers. A case of the service's own terms (its department,
   its one RULE step, its benefit schema) opened and decided otherwise issued a second one. The
   benefit is now recorded by what the terms say, whichever way the case was opened, and a case
   of the same terms issues no second valid benefit (``OfferAlreadyGranted`` on ``acceptOffer``,
   ``BenefitAlreadyGranted`` on ``openCaseByRule`` and ``decideByRule``).
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.approval import CaseTerms
from govchain.approval.messages import domain as cases_domain
from govchain.services.catalog import service_id
from govchain.services.offers import consent_hash, consent_text, sign_acceptance
from govchain.services.rules import (
    Evidence,
    Requirement,
    name_code,
    proof,
    requirements_hash,
    rule_id,
    rule_step,
)
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


def _terms(book: Rulebook, rid: bytes, citizen: Any, allowance: bytes, n: str) -> CaseTerms:
    return CaseTerms(
        documents_hash=h(n),
        accepting_department=book.depts["CIVIL"].code,
        route=(rule_step(rid, book.now() + 30 * DAY),),
        applicant_citizen=citizen.address,
        schema=allowance,
    )


def _sign(book: Rulebook, citizen: Any, sid: bytes, terms: CaseTerms, reqs: Any) -> Any:
    dom = cases_domain(book.chain.chain_id, book.approvals.address)
    consent = consent_hash(consent_text("CIVIL", "allowance", reqs))
    until = book.now() + 30 * DAY
    reqs_hash = requirements_hash(reqs)
    return sign_acceptance(
        citizen.private_key, dom, citizen.address, sid, terms, consent, reqs_hash, until
    )


def test_offer_consent_binds_the_rule_version_it_was_given_for(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    reqs, rid, sid = _world(book, depts, facts)
    alice = citizens[0]
    terms = _terms(book, rid, alice, facts["allowance"], "offer made under version 1")
    signed = _sign(book, alice, sid, terms, reqs)  # she consents to age and residence
    wider = [*reqs, Requirement(facts["low_income"], 90 * DAY, (depts["HRSS"].code,))]
    book.register("CIVIL", "elderly", wider)  # version 2 also reads her income
    evidence: list[Evidence] = [
        book.attest("PSB", alice, facts["age"]),
        book.attest("CIVIL", alice, facts["residence"]),
        book.attest("HRSS", alice, facts["low_income"]),
    ]
    with ape.reverts(
        approvals.OfferRuleChanged,
        serviceId=sid,
        signed=requirements_hash(reqs),
        inForce=requirements_hash(wider),
    ):  # her consent does not cover version 2
        approvals.acceptOffer(
            terms.as_tuple(), [proof(wider, evidence)], signed, sender=depts["CIVIL"].staff
        )


def test_one_valid_benefit_per_citizen_counts_benefits_issued_by_cases(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    reqs, rid, sid = _world(book, depts, facts)
    alice, staff = citizens[0], depts["CIVIL"].staff
    evidence = [
        book.attest("PSB", alice, facts["age"]),
        book.attest("CIVIL", alice, facts["residence"]),
    ]
    offered = _terms(book, rid, alice, facts["allowance"], "the offer")
    signed = _sign(book, alice, sid, offered, reqs)
    # between the offer and its acceptance, a case of the service's own terms issues the benefit
    case = _terms(book, rid, alice, facts["allowance"], "a case outside the offer")
    approvals.openCaseByRule(case.as_tuple(), [proof(reqs, evidence)], sender=staff)
    first = approvals.caseOf(case.case_id()).outcome
    assert attestations.isValid(first)
    with ape.reverts(
        approvals.OfferAlreadyGranted, serviceId=sid, citizen=alice.address, uid=first
    ):
        approvals.acceptOffer(offered.as_tuple(), [proof(reqs, evidence)], signed, sender=staff)
    assert approvals.benefitOf(sid, alice.address) == first


def test_her_acceptance_for_the_rule_in_force_again_is_decided(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """What binds is the requirements, not the version number: a version registered with the
    requirements she consented to decides her acceptance."""
    reqs, rid, sid = _world(book, depts, facts)
    alice = citizens[0]
    terms = _terms(book, rid, alice, facts["allowance"], "offer made under version 1")
    signed = _sign(book, alice, sid, terms, reqs)
    wider = [*reqs, Requirement(facts["low_income"], 90 * DAY, (depts["HRSS"].code,))]
    book.register("CIVIL", "elderly", wider)
    book.register("CIVIL", "elderly", reqs)  # version 3: the requirements of version 1 again
    evidence = [
        book.attest("PSB", alice, facts["age"]),
        book.attest("CIVIL", alice, facts["residence"]),
    ]
    staff = depts["CIVIL"].staff
    approvals.acceptOffer(terms.as_tuple(), [proof(reqs, evidence)], signed, sender=staff)
    assert approvals.benefitOf(sid, alice.address) == approvals.caseOf(terms.case_id()).outcome


@pytest.mark.parametrize("at_once", [True, False])
def test_a_case_of_the_service_terms_issues_no_second_valid_benefit(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any,
    at_once: bool,
) -> None:  # fmt: skip
    """Granted through an offer, then a case of the same terms opened by ``openCaseByRule`` (or
    ``openCase`` then ``decideByRule``): refused while the benefit is valid, issued once it is
    revoked."""
    reqs, rid, sid = _world(book, depts, facts)
    alice, staff = citizens[0], depts["CIVIL"].staff
    evidence = [
        book.attest("PSB", alice, facts["age"]),
        book.attest("CIVIL", alice, facts["residence"]),
    ]
    offered = _terms(book, rid, alice, facts["allowance"], "the offer")
    signed = _sign(book, alice, sid, offered, reqs)
    approvals.acceptOffer(offered.as_tuple(), [proof(reqs, evidence)], signed, sender=staff)
    granted = approvals.benefitOf(sid, alice.address)
    case = _terms(book, rid, alice, facts["allowance"], "a second case")
    proofs = [proof(reqs, evidence)]

    def issue() -> Any:
        if at_once:
            return approvals.openCaseByRule(case.as_tuple(), proofs, sender=staff)
        return approvals.decideByRule(case.case_id(), case.as_tuple(), proofs, sender=staff)

    if not at_once:
        approvals.openCase(case.as_tuple(), sender=staff)
    with ape.reverts(
        approvals.BenefitAlreadyGranted,
        department=depts["CIVIL"].code,
        schema=facts["allowance"],
        citizen=alice.address,
        uid=granted,
    ):
        issue()
    attestations.revoke(granted, sender=depts["CIVIL"].approvers[0])
    issue()
    second = approvals.caseOf(case.case_id()).outcome
    assert attestations.isValid(second) and approvals.benefitOf(sid, alice.address) == second


def test_cases_without_a_benefit_or_of_other_citizens_are_not_limited(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any
) -> None:
    """The limit is per citizen and per benefit: a RULE case issuing nothing, or another
    citizen's case of the same terms, is decided as before."""
    reqs, rid, sid = _world(book, depts, facts)
    staff = depts["CIVIL"].staff
    for n, person in enumerate(citizens[:2]):
        evidence = [
            book.attest("PSB", person, facts["age"]),
            book.attest("CIVIL", person, facts["residence"]),
        ]
        for m, schema in enumerate([facts["allowance"], b"\0" * 32, b"\0" * 32]):
            terms = _terms(book, rid, person, schema, f"case {n} {m}")
            approvals.openCaseByRule(terms.as_tuple(), [proof(reqs, evidence)], sender=staff)
        assert attestations.isValid(approvals.benefitOf(sid, person.address))
