"""Accepting an offered service (免申即享) with one EIP-712 signature.

A service is a rule plus the benefit attestation a case decided by it issues. The citizen (her
identity's owner key, or a valid DELEGATE_AGENT) signs ``AcceptOffer(citizen, caseId,
consentHash, deadline)`` on the ``CaseApprovals`` domain; ``caseId`` is the hash of the case's
terms, so the signature applies for exactly that service and nothing else. The offering
department relays it (``CaseApprovals.acceptOffer``): the case is opened, decided by its rule
and the benefit issued in that one transaction; the citizen pays nothing.

``consentHash`` commits to the fixed consent text of the service (which attestations the rule
uses, for which purpose): a fixed text, never personal data.
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
        ("bytes32", "caseId"),
        ("bytes32", "consentHash"),
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


def acceptance_message(terms: CaseTerms, consent: bytes, deadline: int) -> dict[str, Any]:
    """The ``AcceptOffer`` fields for the case of ``terms``."""
    return {
        "citizen": terms.applicant_citizen,
        "caseId": terms.case_id(),
        "consentHash": bytes(consent),
        "deadline": int(deadline),
    }


def acceptance(signer: str, consent: bytes, deadline: int, signature: bytes) -> tuple[Any, ...]:
    """The ``Acceptance`` tuple ``acceptOffer`` takes."""
    return (signer, bytes(consent), int(deadline), bytes(signature))


def sign_acceptance(
    key: bytes | str, domain: Domain, signer: str, terms: CaseTerms, consent: bytes, deadline: int
) -> tuple[Any, ...]:
    """The citizen's (or her agent's) one signature accepting the service of ``terms``."""
    signature = ACCEPT_OFFER.sign(key, domain, acceptance_message(terms, consent, deadline))
    return acceptance(signer, consent, deadline, signature)


for _name, _template in {
    "OfferUnauthorizedSigner": "{signer} is neither the owner key nor a valid agent of "
    "identity {citizen}: only she (or her agent) accepts an offer",
    "OfferNotDecided": "case {caseId} would stay open: an accepted offer must be decided by "
    "its rule in the same transaction",
}.items():
    explain(_name, _template)
