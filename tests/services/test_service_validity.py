"""How long a benefit issued on a rule's authority alone stays valid, and what it refers to.

A service's approvers sign its ``validFor`` with its rule and benefit (``RegisterService``). A
case whose authority to issue the benefit comes from RULE steps alone (no signature step of the
accepting department) issues it valid for at most ``validFor`` from its issue: an
``attestationExpiry`` of 0 stands for exactly that, an earlier one is kept, a later one is
refused (``ApprovalBenefitExpiryNotAllowed``), and it refers to no other attestation
(``ApprovalBenefitRefNotAllowed``). Before, the STAFF member who opened the case chose both
(docs/services.md): one insider could issue a benefit the approvers meant for a year forever.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

import dataclasses
from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.services.catalog import service_id
from govchain.services.offers import consent_hash, sign_acceptance
from govchain.services.rules import Evidence, name_code, proof, rule_id
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    approvals,
    attestations,
    citizen_registry,
    desk,
    h,
    rule_registry,
)
from tests.services.conftest import Rulebook, book, elderly_rule, facts  # noqa: F401 (fixtures)

YEAR = 365 * DAY
CONSENT = consent_hash("govchain.consent:CIVIL:elderly: I apply and consent (test text).")


@pytest.fixture
def elderly(book: Rulebook, depts: Any, facts: Any) -> bytes:
    """CIVIL's ``elderly`` rule, bound to the allowance for a year by its approvers."""
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=YEAR)
    return rid


def _evidence(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"], data="born 1960"),
        book.attest("CIVIL", citizen, facts["residence"], data="Hangzhou"),
        book.attest("HRSS", citizen, facts["low_income"], data="below"),
    ]


def _terms(book: Rulebook, rid: bytes, citizen: Any, facts: Any, **changes: Any) -> CaseTerms:
    terms = book.rule_terms([rid], citizen, schema=facts["allowance"])
    return dataclasses.replace(terms, **changes)


def _issued_expiry(approvals: Any, attestations: Any, terms: CaseTerms) -> int:
    view = approvals.caseOf(terms.case_id())
    assert view.status == CaseStatus.APPROVED
    return int(attestations.getAttestation(view.outcome).expiry)


def _block_time(chain: Any) -> int:
    return int(chain.blocks.head.timestamp)


# --- the service stores what its approvers signed ------------------------------------------------


def test_the_validity_is_part_of_what_the_approvers_sign_and_is_stored(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    receipt = book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=YEAR)
    [event] = receipt.decode_logs(rule_registry.ServiceRegistered)
    assert event.validFor == YEAR
    view = rule_registry.serviceOf(service_id(depts["CIVIL"].code, name_code("allowance")))
    assert (view.validFor, view.version, view.active) == (YEAR, 1, True)
    assert tuple(rule_registry.servicesInForce(depts["CIVIL"].code, rid, facts["allowance"])) == (
        1,
        YEAR,
    )


def test_a_validity_above_100_years_is_refused(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    most = int(rule_registry.MAX_VALIDITY())
    assert most == 100 * YEAR
    with ape.reverts(rule_registry.ServiceInvalid):
        book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=most + 1)
    book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=most)


def test_services_binding_one_rule_to_one_benefit_must_agree_on_its_validity(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, elderly: bytes
) -> None:
    civil, allowance = depts["CIVIL"].code, facts["allowance"]
    with ape.reverts(
        rule_registry.ServiceValidityConflict, ruleId=elderly, benefit=allowance, validFor=YEAR
    ):
        book.register_service("CIVIL", "allowance2", elderly, allowance, valid_for=2 * YEAR)
    book.register_service("CIVIL", "allowance2", elderly, allowance, valid_for=YEAR)
    assert tuple(rule_registry.servicesInForce(civil, elderly, allowance)) == (2, YEAR)
    # with the other retired, a new version of the first may change it
    book.retire_service("CIVIL", "allowance2")
    book.register_service("CIVIL", "allowance", elderly, allowance, valid_for=30 * DAY)
    assert tuple(rule_registry.servicesInForce(civil, elderly, allowance)) == (1, 30 * DAY)


# --- what a rule case issues -------------------------------------------------------------------


def test_an_expiry_of_zero_issues_the_benefit_for_the_services_validity(
    book: Rulebook, approvals: Any, attestations: Any, chain: Any, depts: Any, facts: Any,
    citizens: Any, elderly: bytes,
) -> None:  # fmt: skip
    alice = citizens[0]
    terms = _terms(book, elderly, alice, facts)
    assert terms.attestation_expiry == 0
    ev = _evidence(book, alice, facts)
    approvals.openCaseByRule(
        terms.as_tuple(), [proof(elderly_rule(depts, facts), ev)], sender=depts["CIVIL"].staff
    )
    assert _issued_expiry(approvals, attestations, terms) == _block_time(chain) + YEAR


def test_an_earlier_expiry_is_kept_and_a_later_one_is_refused(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, facts: Any, citizens: Any,
    elderly: bytes,
) -> None:  # fmt: skip
    alice, staff = citizens[0], depts["CIVIL"].staff
    proofs = [proof(elderly_rule(depts, facts), _evidence(book, alice, facts))]
    forever = 2**64 - 1
    late = _terms(book, elderly, alice, facts, attestation_expiry=forever)
    with ape.reverts(approvals.ApprovalBenefitExpiryNotAllowed, ruleId=elderly, expiry=forever):
        approvals.openCaseByRule(late.as_tuple(), proofs, sender=staff)
    with ape.reverts(approvals.ApprovalBenefitExpiryNotAllowed, ruleId=elderly, expiry=forever):
        approvals.openCase(late.as_tuple(), sender=staff)
    soon = book.now() + 30 * DAY
    early = _terms(book, elderly, alice, facts, attestation_expiry=soon)
    approvals.openCaseByRule(early.as_tuple(), proofs, sender=staff)
    assert _issued_expiry(approvals, attestations, early) == soon


def test_a_rule_issued_benefit_refers_to_no_other_attestation(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any, elderly: bytes
) -> None:
    alice = citizens[0]
    ev = _evidence(book, alice, facts)
    linked = _terms(book, elderly, alice, facts, attestation_ref_uid=ev[0].uid)
    with ape.reverts(approvals.ApprovalBenefitRefNotAllowed, refUID=ev[0].uid):
        approvals.openCase(linked.as_tuple(), sender=depts["CIVIL"].staff)


def test_the_approvers_own_step_still_chooses_expiry_and_reference(
    book: Rulebook, approvals: Any, attestations: Any, desk: Any, depts: Any, facts: Any,
    citizens: Any, elderly: bytes,
) -> None:  # fmt: skip
    """A signature step of CIVIL's approvers carries their own authority: the case's expiry
    (0: never) and reference stand, as when they attest directly."""
    alice, civil = citizens[0], depts["CIVIL"]
    ev = _evidence(book, alice, facts)
    now = book.now()
    terms = CaseTerms(
        documents_hash=h("decided by people"),
        accepting_department=civil.code,
        route=(Step(civil.code, 1, now + DAY),),
        applicant_citizen=alice.address,
        schema=facts["allowance"],
        attestation_ref_uid=ev[0].uid,
    )
    cid = terms.case_id()
    approvals.openCase(terms.as_tuple(), sender=civil.staff)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, civil.approvers[:1])], civil.staff)
    uid = approvals.caseOf(cid).outcome
    assert attestations.isValid(uid) and attestations.getAttestation(uid).expiry == 0


def test_the_validity_counts_from_the_issue_and_a_shorter_one_applies_to_open_cases(
    book: Rulebook, approvals: Any, attestations: Any, chain: Any, depts: Any, facts: Any,
    citizens: Any, elderly: bytes,
) -> None:  # fmt: skip
    """Opened now, decided later: the year counts from the decision. The approvers shorten it
    meanwhile: a case asking the old latest expiry is refused at issue; 0 takes the new one."""
    alice, bob, staff = citizens[0], citizens[1], depts["CIVIL"].staff
    reqs = elderly_rule(depts, facts)
    zero = _terms(book, elderly, alice, facts)
    approvals.openCase(zero.as_tuple(), sender=staff)
    asked = book.now() + YEAR
    fixed = _terms(book, elderly, bob, facts, attestation_expiry=asked)
    approvals.openCase(fixed.as_tuple(), sender=staff)
    chain.pending_timestamp += 2 * 3600
    book.register_service("CIVIL", "allowance", elderly, facts["allowance"], valid_for=DAY)
    ev_bob = _evidence(book, bob, facts)
    with ape.reverts(approvals.ApprovalBenefitExpiryNotAllowed, ruleId=elderly, expiry=asked):
        approvals.decideByRule(
            fixed.case_id(), fixed.as_tuple(), [proof(reqs, ev_bob)], sender=staff
        )
    ev_alice = _evidence(book, alice, facts)
    approvals.decideByRule(zero.case_id(), zero.as_tuple(), [proof(reqs, ev_alice)], sender=staff)
    assert _issued_expiry(approvals, attestations, zero) == _block_time(chain) + DAY


def test_an_accepted_offer_issues_the_benefit_for_the_services_validity(
    book: Rulebook, approvals: Any, attestations: Any, chain: Any, depts: Any, facts: Any,
    citizens: Any, elderly: bytes,
) -> None:  # fmt: skip
    from govchain.approval.messages import domain as cases_domain

    alice = citizens[0]
    terms = _terms(book, elderly, alice, facts)
    proofs = [proof(elderly_rule(depts, facts), _evidence(book, alice, facts))]
    dom = cases_domain(book.chain.chain_id, book.approvals.address)
    sid = service_id(depts["CIVIL"].code, name_code("allowance"))
    reqs = bytes(book.rules.ruleOf(elderly)[1])
    signed = sign_acceptance(
        alice.private_key, dom, alice.address, sid, terms, CONSENT, reqs, book.now() + DAY
    )
    approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    assert _issued_expiry(approvals, attestations, terms) == _block_time(chain) + YEAR
    # a year later it has expired, and she may be granted it again
    chain.pending_timestamp += YEAR + DAY
    chain.mine()
    assert not attestations.isValid(approvals.benefitOf(sid, alice.address))
