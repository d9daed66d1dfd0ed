"""Accepting an offered service (免申即享) with one EIP-712 signature.

A service (``RuleRegistry.registerService``, :mod:`govchain.services.catalog`) is one of the
department's rules plus the benefit attestation a case decided by it issues. The citizen (her
identity's owner key, or a valid DELEGATE_AGENT) signs ``AcceptOffer(citizen, service, caseId,
consentHash, requirementsHash, deadline)`` on the ``CaseApprovals`` domain; ``caseId`` is the hash of the case's
terms, which must be the service's, so the signature applies for exactly that case and nothing
else. The offering
department relays it (``CaseApprovals.acceptOffer``): the case is opened, decided by its rule
and the benefit issued in that one transaction; the citizen pays nothing.

``consentHash`` commits to the fixed consent text of the service (which attestations the rule
uses, for which purpose): a fixed text, never personal data. ``requirementsHash``
(:func:`govchain.services.rules.requirements_hash`) is the hash of the requirements that text
was written for: the chain refuses the acceptance (``OfferRuleChanged``) once the rule's version
in force requires anything else, so her consent never decides a case under a newer rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils.crypto import keccak

from govchain.approval import CaseTerms
from govchain.eip712 import Domain, TypedMessage, message
from govchain.errors import explain
from govchain.services.rules import Requirement

ACCEPT_OFFER: TypedMessage = message(
    "AcceptOffer",
    [
        ("address", "citizen"),
        ("bytes32", "service"),
        ("bytes32", "caseId"),
        ("bytes32", "consentHash"),
        ("bytes32", "requirementsHash"),
        ("uint256", "deadline"),
    ],
)


def consent_text(department: str, service: str, requirements: Sequence[Requirement]) -> str:
    """The fixed consent text of a service: which attestations its rule uses, for what."""
    schemas = ", ".join("0x" + r.schema.hex() for r in requirements)
    return (
        f"govchain.consent:{department}:{service}: I apply for this service and consent to "
        f"{department} using my attestations of schemas {schemas} to decide it."
    )


def consent_hash(text: str) -> bytes:
    """``keccak256(text)`` of a fixed consent text (not personal data, so not salted)."""
    return bytes(keccak(text=text))


def acceptance_message(
    service: bytes, terms: CaseTerms, consent: bytes, requirements: bytes, deadline: int
) -> dict[str, Any]:
    """The ``AcceptOffer`` fields for the case of ``terms`` under ``service``, consented to for
    the requirements hashing to ``requirements``."""
    return {
        "citizen": terms.applicant_citizen,
        "service": bytes(service),
        "caseId": terms.case_id(),
        "consentHash": bytes(consent),
        "requirementsHash": bytes(requirements),
        "deadline": int(deadline),
    }


def acceptance(
    signer: str,
    service: bytes,
    consent: bytes,
    requirements: bytes,
    deadline: int,
    signature: bytes,
) -> tuple[Any, ...]:
    """The ``Acceptance`` tuple ``acceptOffer`` takes."""
    return (
        signer,
        bytes(service),
        bytes(consent),
        bytes(requirements),
        int(deadline),
        bytes(signature),
    )


def sign_acceptance(
    key: bytes | str,
    domain: Domain,
    signer: str,
    service: bytes,
    terms: CaseTerms,
    consent: bytes,
    requirements: bytes,
    deadline: int,
) -> tuple[Any, ...]:
    """The citizen's (or her agent's) one signature accepting the case of ``terms`` of ``service``
    under the rule requirements hashing to ``requirements`` (``requirements_hash``)."""
    msg = acceptance_message(service, terms, consent, requirements, deadline)
    signature = ACCEPT_OFFER.sign(key, domain, msg)
    return acceptance(signer, service, consent, requirements, deadline, signature)


for _name, _template in {
    "OfferUnauthorizedSigner": "{signer} is neither the owner key nor a valid agent of "
    "identity {citizen}: only she (or her agent) accepts an offer",
    "OfferNotDecided": "case {caseId} would stay open: an accepted offer must be decided by "
    "its rule in the same transaction",
    "OfferServiceNotInForce": "service {serviceId} is not in force (never registered, or "
    "retired): its offers cannot be accepted",
    "OfferTermsNotService": "case {caseId} is not a case of service {serviceId} (its department, "
    "one step of its rule, its benefit)",
    "OfferAlreadyGranted": "{citizen} already holds the benefit {uid} of service {serviceId}",
    "OfferRuleChanged": "the rule of service {serviceId} changed since the offer (she consented "
    "to requirements {signed}, in force now {inForce}): a new offer must be accepted",
    "ServiceInvalid": "a service needs a department, a name, a benefit schema and a validity "
    "of at most 100 years",
    "ServiceValidityConflict": "another service in force grants benefit {benefit} on rule "
    "{ruleId} for {validFor} seconds: services binding one rule to one benefit must agree on "
    "its validity",
    "ServiceRuleNotOwned": "rule {ruleId} is not a rule of {department}: a service grants on its "
    "own department's rule",
    "ServiceBenefitNotAllowed": "{department}'s approvers may not attest the benefit schema "
    "{benefit}",
    "ServiceNotInForce": "service {serviceId} has no version in force (never registered, or "
    "retired)",
    "ServiceRetirementVersion": "this retirement of service {serviceId} was signed seeing "
    "version {version}, which is not in force nor followed by a version in force since the "
    "service's last retirement (already used, or signed for a version not yet registered)",
}.items():
    explain(_name, _template)
