"""What the joined machine found, each as its minimal failing case (strict xfail: each turns into
a failure, to be made a plain test, the day the gap is closed).

1. Invariant (e): an acceptance carries a consent hash over the consent text of the rule's
   requirements when the offer was made, but ``AcceptOffer`` binds neither the rule's version
   nor its requirements. After the department registers a new version of the rule needing one
   more attestation, the citizen's earlier acceptance is relayed and decided by the new version:
   the benefit is granted on an attestation she never consented to (her consent names two
   schemas, the decision used three). Neither ``CaseApprovals.acceptOffer`` nor the relaying
   watcher (``Watcher._relay_one``) compares the consent with the rule in force.
2. Invariant (d): ``acceptOffer`` checks "one valid benefit per citizen and service" only
   against the benefits granted through offers (``benefitOf``). A case of the service's own
   terms (its RULE step, its benefit schema) opened and decided outside ``acceptOffer`` issues
   the benefit without that check, so a citizen holds two valid benefits of the service; the
   watcher's off-chain check (it skips who holds a benefit when it makes an offer) does not
   cover a benefit issued between the offer and its acceptance.
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
    return sign_acceptance(citizen.private_key, dom, citizen.address, sid, terms, consent, until)


@pytest.mark.xfail(
    strict=True,
    reason="known gap (e): AcceptOffer binds neither the rule version nor its requirements",
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
    with ape.reverts():  # what should happen: her consent does not cover version 2
        approvals.acceptOffer(
            terms.as_tuple(), [proof(wider, evidence)], signed, sender=depts["CIVIL"].staff
        )


@pytest.mark.xfail(
    strict=True,
    reason="known gap (d): acceptOffer's one-benefit check ignores benefits issued by cases",
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
    with ape.reverts():  # what should happen: OfferAlreadyGranted
        approvals.acceptOffer(offered.as_tuple(), [proof(reqs, evidence)], signed, sender=staff)
