"""Accepting an offered service (免申即享) with one signature, relayed by the department, and
every refusal: someone other than the subject or her valid agent, a replay, another service,
terms that are not the service's, a retired service, a second benefit."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseStatus, CaseTerms
from govchain.approval.messages import domain as cases_domain
from govchain.services.catalog import service_id
from govchain.services.offers import consent_hash, sign_acceptance
from govchain.services.rules import (
    Evidence,
    Requirement,
    name_code,
    proof,
    requirements_hash,
    rule_id,
    rule_step,
)
from tests.approval.conftest import DAY
from tests.services.conftest import Rulebook, elderly_rule

#: The service's consent text would name the rule's schemas (``consent_text``); any fixed text here.
CONSENT = consent_hash("govchain.consent:CIVIL:elderly: I apply and consent (test text).")
DELEGATE_AGENT = bytes(keccak(text="govchain.delegate.agent"))


@pytest.fixture
def elderly(book: Rulebook, depts: Any, facts: Any) -> bytes:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    return rid


def _service(depts: Any) -> bytes:
    return service_id(depts["CIVIL"].code, name_code("allowance"))


def _evidence(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"], data="born 1960"),
        book.attest("CIVIL", citizen, facts["residence"], data="Hangzhou"),
        book.attest("HRSS", citizen, facts["low_income"], data="below"),
    ]


def _sign(
    book: Rulebook,
    signer: Any,
    terms: CaseTerms,
    deadline: int | None = None,
    service: bytes | None = None,
) -> Any:
    """``signer``'s acceptance of the case of ``terms`` with the service's consent text."""
    until = book.now() + DAY if deadline is None else deadline
    dom = cases_domain(book.chain.chain_id, book.approvals.address)
    sid = _service(book.depts) if service is None else service
    # the requirements her consent text names: the rule's version in force when she signs
    reqs = bytes(book.rules.ruleOf(rule_id(book.depts["CIVIL"].code, name_code("elderly")))[1])
    return sign_acceptance(
        signer.private_key, dom, signer.address, sid, terms, CONSENT, reqs, until
    )


@pytest.fixture
def offer(book: Rulebook, facts: Any, citizens: Any, elderly: bytes) -> tuple[CaseTerms, Any]:
    evidence = _evidence(book, citizens[0], facts)
    terms = book.rule_terms([elderly], citizens[0], schema=facts["allowance"])
    return terms, [proof(elderly_rule(book.depts, facts), evidence)]


def test_the_citizen_accepts_with_one_signature_and_pays_nothing(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, citizens: Any, facts: Any,
    offer: Any,
) -> None:  # fmt: skip
    terms, proofs = offer
    citizen = citizens[0]
    balance = citizen.balance
    signed = _sign(book, citizen, terms)
    receipt = approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    [accepted] = receipt.decode_logs(approvals.OfferAccepted)
    assert (accepted.caseId, accepted.citizen, accepted.signer) == (
        terms.case_id(),
        citizen.address,
        citizen.address,
    )
    assert accepted.consentHash == signed[2] and accepted.sender == depts["CIVIL"].staff.address
    view = approvals.caseOf(terms.case_id())
    assert view.status == CaseStatus.APPROVED and attestations.isValid(view.outcome)
    assert len(receipt.decode_logs(approvals.StepDecidedByRule)) == 1
    assert citizen.balance == balance  # one signature, no transaction of hers
    assert approvals.benefitOf(_service(depts), citizen.address) == view.outcome


def test_her_valid_agent_accepts_for_her(
    book: Rulebook, approvals: Any, citizen_registry: Any, depts: Any, citizens: Any, offer: Any
) -> None:
    terms, proofs = offer
    agent = citizens[2]
    citizen_registry.addDelegate(citizens[0], DELEGATE_AGENT, agent, DAY, sender=citizens[0])
    receipt = approvals.acceptOffer(
        terms.as_tuple(), proofs, _sign(book, agent, terms), sender=depts["CIVIL"].staff
    )
    assert receipt.decode_logs(approvals.OfferAccepted)[0].signer == agent.address


def test_someone_else_cannot_accept(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, offer: Any
) -> None:
    terms, proofs = offer
    stranger = citizens[3]
    with ape.reverts(
        approvals.OfferUnauthorizedSigner, signer=stranger.address, citizen=citizens[0].address
    ):
        approvals.acceptOffer(
            terms.as_tuple(), proofs, _sign(book, stranger, terms), sender=depts["CIVIL"].staff
        )


def test_a_lapsed_agent_or_a_replaced_owner_key_cannot_accept(
    book: Rulebook, approvals: Any, citizen_registry: Any, depts: Any, citizens: Any,
    chain: Any, offer: Any,
) -> None:  # fmt: skip
    terms, proofs = offer
    identity, agent, new_key = citizens[0], citizens[2], citizens[4]
    citizen_registry.addDelegate(identity, DELEGATE_AGENT, agent, DAY, sender=identity)
    chain.pending_timestamp += 2 * DAY
    signed = _sign(book, agent, terms)
    with ape.reverts(approvals.OfferUnauthorizedSigner, signer=agent.address):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    citizen_registry.changeOwner(identity, new_key, sender=identity)
    signed = _sign(book, identity, terms)
    with ape.reverts(approvals.OfferUnauthorizedSigner, signer=identity.address):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)


def test_a_replayed_acceptance_opens_nothing(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, citizens: Any, offer: Any
) -> None:
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    granted = approvals.benefitOf(_service(depts), citizens[0].address)
    with ape.reverts(approvals.OfferAlreadyGranted, uid=granted):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    # even once the benefit is revoked, the same acceptance cannot open its case again
    attestations.revoke(granted, sender=depts["CIVIL"].approvers[0])
    with ape.reverts(approvals.ApprovalCaseExists, caseId=terms.case_id()):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)


def test_an_acceptance_is_for_one_service_only(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, facts: Any, offer: Any
) -> None:
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    other_benefit = CaseTerms(
        documents_hash=terms.documents_hash,
        accepting_department=terms.accepting_department,
        route=terms.route,
        applicant_citizen=terms.applicant_citizen,
        schema=terms.schema,
        attestation_expiry=book.now() + 400 * DAY,
    )
    book.register("CIVIL", "elderly2", elderly_rule(depts, facts))
    other_rule = CaseTerms(
        documents_hash=terms.documents_hash,
        accepting_department=terms.accepting_department,
        route=(
            rule_step(rule_id(depts["CIVIL"].code, name_code("elderly2")), terms.route[0].deadline),
        ),
        applicant_citizen=terms.applicant_citizen,
        schema=terms.schema,
    )
    for other in (other_benefit, other_rule):
        with ape.reverts(approvals.SignatureInvalidSigner, signer=citizens[0].address):
            approvals.acceptOffer(other.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    expired = _sign(book, citizens[0], terms, deadline=book.now() - 1)
    with ape.reverts(approvals.SignatureExpired, deadline=expired[4]):
        approvals.acceptOffer(terms.as_tuple(), proofs, expired, sender=depts["CIVIL"].staff)


def test_only_the_offering_departments_staff_relays_and_it_is_decided_at_once(
    book: Rulebook, approvals: Any, desk: Any, depts: Any, citizens: Any, outsider: Any,
    offer: Any, elderly: bytes,
) -> None:  # fmt: skip
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    with ape.reverts(approvals.ApprovalNotStaff, account=outsider.address):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=outsider)
    with ape.reverts(approvals.OfferNotDecided, caseId=terms.case_id()):
        approvals.acceptOffer(terms.as_tuple(), [], signed, sender=depts["CIVIL"].staff)


def test_the_terms_must_be_the_services_own(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, facts: Any, offer: Any,
    elderly: bytes,
) -> None:  # fmt: skip
    """A relayer cannot invent a benefit: the citizen signed for the service, and the case must
    be exactly its case (one step of its rule, its benefit, its department)."""
    terms, proofs = offer
    sid = _service(depts)

    def variant(**change: Any) -> CaseTerms:
        fields = {
            "documents_hash": terms.documents_hash,
            "accepting_department": terms.accepting_department,
            "route": terms.route,
            "applicant_citizen": terms.applicant_citizen,
            "schema": terms.schema,
        }
        fields.update(change)
        return CaseTerms(**fields)

    book.register("CIVIL", "elderly2", elderly_rule(depts, facts))
    other_rule = rule_step(rule_id(depts["CIVIL"].code, name_code("elderly2")), book.now() + DAY)
    for other in (
        variant(schema=facts["residence"]),
        variant(route=(other_rule,)),
        variant(route=(terms.route[0], rule_step(elderly, terms.route[0].deadline + DAY))),
    ):
        signed = _sign(book, citizens[0], other)  # she signed exactly this case, for the service
        with ape.reverts(approvals.OfferTermsNotService, caseId=other.case_id(), serviceId=sid):
            approvals.acceptOffer(other.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)


def test_an_unregistered_or_retired_service_is_refused(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, offer: Any
) -> None:
    terms, proofs = offer
    invented = service_id(depts["CIVIL"].code, name_code("invented"))
    signed = _sign(book, citizens[0], terms, service=invented)
    with ape.reverts(approvals.OfferServiceNotInForce, serviceId=invented):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
    book.retire_service("CIVIL", "allowance")
    signed = _sign(book, citizens[0], terms)
    with ape.reverts(approvals.OfferServiceNotInForce, serviceId=_service(depts)):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)


def test_one_valid_benefit_per_citizen_and_service(
    book: Rulebook, approvals: Any, attestations: Any, depts: Any, citizens: Any, facts: Any,
    offer: Any, elderly: bytes,
) -> None:  # fmt: skip
    terms, proofs = offer
    staff = depts["CIVIL"].staff
    approvals.acceptOffer(terms.as_tuple(), proofs, _sign(book, citizens[0], terms), sender=staff)
    granted = approvals.benefitOf(_service(depts), citizens[0].address)
    again = book.rule_terms(
        [elderly], citizens[0], schema=facts["allowance"], documents=bytes(keccak(text="2"))
    )
    with ape.reverts(
        approvals.OfferAlreadyGranted,
        serviceId=_service(depts),
        citizen=citizens[0].address,
        uid=granted,
    ):
        approvals.acceptOffer(
            again.as_tuple(), proofs, _sign(book, citizens[0], again), sender=staff
        )
    # once the benefit is revoked (say, granted in error), the service may grant it again
    attestations.revoke(granted, sender=depts["CIVIL"].approvers[0])
    approvals.acceptOffer(again.as_tuple(), proofs, _sign(book, citizens[0], again), sender=staff)
    assert approvals.benefitOf(_service(depts), citizens[0].address) != granted


def test_a_signature_for_one_service_does_not_serve_another(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, facts: Any, offer: Any,
    elderly: bytes,
) -> None:  # fmt: skip
    """A second service on the same rule and benefit: the relayer swapping the service id in
    her acceptance breaks her signature (the service is part of the signed message)."""
    terms, proofs = offer
    book.register_service("CIVIL", "allowance-bis", elderly, facts["allowance"])
    signed = _sign(book, citizens[0], terms)
    other = service_id(depts["CIVIL"].code, name_code("allowance-bis"))
    swapped = (signed[0], other, *signed[2:])
    with ape.reverts(approvals.SignatureInvalidSigner, signer=citizens[0].address):
        approvals.acceptOffer(terms.as_tuple(), proofs, swapped, sender=depts["CIVIL"].staff)
    approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)


def test_her_acceptance_names_the_requirements_she_consented_to(
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, facts: Any, offer: Any
) -> None:
    """The requirements hash is signed: a relayer cannot swap in the hash of the version in
    force; once the rule's requirements change her acceptance is refused (``OfferRuleChanged``)."""
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    wider = [
        *elderly_rule(depts, facts),
        Requirement(facts["residence"], DAY, (depts["PSB"].code,)),
    ]
    book.register("CIVIL", "elderly", wider)
    in_force = requirements_hash(wider)
    swapped = (*signed[:3], in_force, *signed[4:])
    staff = depts["CIVIL"].staff
    with ape.reverts(approvals.SignatureInvalidSigner, signer=citizens[0].address):
        approvals.acceptOffer(terms.as_tuple(), proofs, swapped, sender=staff)
    with ape.reverts(
        approvals.OfferRuleChanged, serviceId=_service(depts), signed=signed[3], inForce=in_force
    ):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=staff)
