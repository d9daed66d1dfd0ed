"""A consent signed by the owners of a Safe that controls the citizen's identity (ERC-1271).

``AccessGrants.grantBySignature`` checks the consent's signature with OpenZeppelin's
``SignatureChecker`` against the ``signer`` it names, which must control the subject (its owner
or a valid agent). When that signer is a Safe 1.4.1, each owner signs the Safe's SafeMessage
over the ``GrantConsent`` digest naming the Safe (one consent file per owner, its ``safe.owner``
set) and the relayer joins the owners' parts in ascending owner order
(:meth:`govchain.safe.SafeWallet.check_owner_signatures`). Parts of different terms, signers or
deadlines, a part that is not its owner's signature, or fewer parts than the threshold are
refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount

from govchain import validate
from govchain.errors import InvalidInput
from govchain.safe import OwnerSignature, SafeWallet, recover_safe_owner, sign_safe_message
from govchain.sharing.base import checksum, hex0x, iso
from govchain.sharing.consent import SignedConsent
from govchain.sharing.messages import GRANT_CONSENT, consent_message
from govchain.sharing.terms import Created, GrantTerms, _refuse

if TYPE_CHECKING:
    from govchain.sharing.grants import AccessGrants


def sign_safe_consent(
    client: AccessGrants,
    terms: GrantTerms,
    deadline: int,
    account: LocalAccount,
    safe: str,
    purpose: str = "",
) -> SignedConsent:
    """One Safe owner's part of the Safe's consent (sends nothing)."""
    wallet = SafeWallet(client.connection.w3, safe)
    client.check_terms(terms)
    if deadline <= client.now():
        raise InvalidInput("deadline", iso(deadline), "has passed")
    client._require_controller(wallet.address, terms.subject)
    if account.address not in wallet.owners():
        raise _refuse(
            "SignatureInvalidSigner", f"{account.address} is not an owner of Safe {wallet.address}"
        )
    digest = GRANT_CONSENT.digest(
        client.domain, consent_message(terms.message(), wallet.address, deadline)
    )
    part = sign_safe_message(account, client.connection.chain_id, wallet.address, digest)
    return SignedConsent(
        terms,
        deadline,
        wallet.address,
        part,
        client.connection.chain_id,
        client.contract.address,
        purpose,
        account.address,
    )


def join_safe_consent(client: AccessGrants, parts: Sequence[SignedConsent]) -> SignedConsent:
    """The Safe's consent from its owners' parts (each file one owner's), checked as the Safe
    would check it; the result carries the joined signature."""
    first = parts[0]
    for p in parts:
        if p.safe_owner is None:
            raise InvalidInput(
                "consent", p.signer, "give one consent file, or Safe owners' parts only"
            )
        if (p.terms, p.signer, p.deadline) != (first.terms, first.signer, first.deadline):
            raise InvalidInput(
                "consent", hex0x(p.terms.grant_id), "the parts differ in terms, signer or deadline"
            )
    digest = GRANT_CONSENT.digest(
        first.domain, consent_message(first.terms.message(), checksum(first.signer), first.deadline)
    )
    owners = []
    for p in parts:
        owner = validate.address(p.safe_owner or "")
        if recover_safe_owner(first.chain_id, first.signer, digest, p.signature) != owner:
            raise InvalidInput(
                "consent",
                owner,
                f"the part given for {owner} is not its signature of Safe {first.signer}'s consent",
            )
        owners.append(OwnerSignature(owner, p.signature))
    joined = SafeWallet(client.connection.w3, first.signer).check_owner_signatures(owners)
    return replace(first, signature=joined, safe_owner=None)


def submit_safe_consent(client: AccessGrants, parts: Sequence[SignedConsent]) -> Created:
    """Relay a Safe's consent from its owners' parts (typically as the grantee's staff)."""
    consent = join_safe_consent(client, parts)
    client._check_target(consent)
    if consent.deadline <= client.now():
        raise _refuse(
            "SignatureExpired",
            f"the consent's deadline {iso(consent.deadline)} has passed; ask the owners to sign again",
        )
    client.check_terms(consent.terms)
    tx = client._send(
        client.contract.functions.grantBySignature(
            consent.terms.as_tuple(), consent.signer, consent.deadline, consent.signature
        )
    )
    return Created(consent.terms.grant_id, tx)
