"""Accepting an offered service (免申即享) with one signature, relayed by the department, and
every refusal: someone other than the subject or her valid agent, a replay, another service."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseStatus, CaseTerms
from govchain.approval.messages import domain as cases_domain
from govchain.services.offers import consent_hash, sign_acceptance
from govchain.services.rules import Evidence, name_code, proof, rule_id, rule_step
from tests.approval.conftest import DAY
from tests.services.conftest import Rulebook, elderly_rule

#: The service's consent text would name the rule's schemas (``consent_text``); any fixed text here.
CONSENT = consent_hash("govchain.consent:CIVIL:elderly: I apply and consent (test text).")
DELEGATE_AGENT = bytes(keccak(text="govchain.delegate.agent"))


@pytest.fixture
def elderly(book: Rulebook, depts: Any, facts: Any) -> bytes:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    return rule_id(depts["CIVIL"].code, name_code("elderly"))


def _evidence(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"], data="born 1960"),
        book.attest("CIVIL", citizen, facts["residence"], data="Hangzhou"),
        book.attest("HRSS", citizen, facts["low_income"], data="below"),
    ]


def _sign(book: Rulebook, signer: Any, terms: CaseTerms, deadline: int | None = None) -> Any:
    """``signer``'s acceptance of the case of ``terms`` with the service's consent text."""
    until = book.now() + DAY if deadline is None else deadline
    dom = cases_domain(book.chain.chain_id, book.approvals.address)
    return sign_acceptance(signer.private_key, dom, signer.address, terms, CONSENT, until)


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
    assert accepted.consentHash == signed[1] and accepted.sender == depts["CIVIL"].staff.address
    view = approvals.caseOf(terms.case_id())
    assert view.status == CaseStatus.APPROVED and attestations.isValid(view.outcome)
    assert len(receipt.decode_logs(approvals.StepDecidedByRule)) == 1
    assert citizen.balance == balance  # one signature, no transaction of hers


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
    book: Rulebook, approvals: Any, depts: Any, citizens: Any, offer: Any
) -> None:
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
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
    with ape.reverts(approvals.SignatureExpired, deadline=expired[2]):
        approvals.acceptOffer(terms.as_tuple(), proofs, expired, sender=depts["CIVIL"].staff)


def test_only_the_offering_departments_staff_relays_and_it_is_decided_at_once(
    book: Rulebook, approvals: Any, desk: Any, depts: Any, citizens: Any, outsider: Any,
    offer: Any, elderly: bytes,
) -> None:  # fmt: skip
    terms, proofs = offer
    signed = _sign(book, citizens[0], terms)
    with ape.reverts(approvals.ApprovalNotStaff, account=outsider.address):
        approvals.acceptOffer(terms.as_tuple(), proofs, signed, sender=outsider)
    two_steps = CaseTerms(
        documents_hash=terms.documents_hash,
        accepting_department=terms.accepting_department,
        route=(terms.route[0], rule_step(elderly, terms.route[0].deadline + DAY)),
        applicant_citizen=terms.applicant_citizen,
        schema=terms.schema,
    )
    signed = _sign(book, citizens[0], two_steps)
    with ape.reverts(approvals.OfferNotDecided, caseId=two_steps.case_id()):
        approvals.acceptOffer(two_steps.as_tuple(), proofs, signed, sender=depts["CIVIL"].staff)
