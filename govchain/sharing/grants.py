"""Client of ``AccessGrants``: grants, consent signatures, share requests and access records.

Who does what (IAccessGrants, IShareRequests):

- **Consent** grants come from the data subject: the citizen's owner key or a valid agent
  (代办) gives one directly (:meth:`AccessGrants.give`, the citizen pays gas) or signs a
  :class:`SignedConsent` off line (:func:`sign_consent`) that the grantee's staff relays
  (:meth:`AccessGrants.submit`, the citizen pays nothing).
- **Statutory duty** grants (PIPL art. 13) are created by an active APPROVER of the owner
  department, which answers for the legal ground; the subject cannot revoke them, any APPROVER
  of the owner can.
- **Owner approval** grants cover conditional data without a personal subject: the grantee's
  STAFF files a share request, an APPROVER of the owner approves (creating the grant) or rejects
  it before its decision deadline (:class:`ShareRequests`).
- An **access** is recorded by an active STAFF of the grantee under a live grant that covers the
  category (:meth:`AccessGrants.record_access`), or without a grant for an UNCONDITIONAL category
  (:meth:`AccessGrants.record_open_access`). The owner's data node serves nothing without it.

Before sending, the client checks what it can read (unknown department or category: exit 2;
NOT_SHARED category, grant expired, not yet valid, revoked, used up or not covering the
category: a plain refusal, exit 1); the Sender's eth_call catches the rest (roles).
Grant terms live in events (``GrantCreated``); the lists here read events from the deployment
block on, the indexer answers the same at scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from govchain import validate
from govchain.eip712 import Domain
from govchain.errors import InvalidInput, NotFound
from govchain.network import Connection
from govchain.sharing.access import AccessRecords
from govchain.sharing.anchors import AnchorRegistry
from govchain.sharing.base import (
    ROLE_APPROVER,
    Departments,
    TxResult,
    checksum,
    code,
    hex0x,
    iso,
    logs,
    readable_refusals,
)
from govchain.sharing.catalog import LegalBasis, SharingClass
from govchain.sharing.consent import CONSENT_FORMAT, SignedConsent
from govchain.sharing.consent_safe import sign_safe_consent, submit_safe_consent
from govchain.sharing.messages import GRANT_CONSENT, consent_message
from govchain.sharing.status import AccessStatus
from govchain.sharing.terms import (
    GRANT_STATUSES,
    REQUEST_STATUSES,
    AccessRecord,
    Created,
    GrantInfo,
    GrantState,
    GrantTerms,
    ShareRequestInfo,
    ShareRequestTerms,
    _refuse,
    new_nonce,
    purpose_hash,
)
from govchain.tx import Sender

# --- the client -----------------------------------------------------------------------------


class AccessGrants(AccessRecords):
    """The ``AccessGrants`` deployment (grants, share requests, access records)."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.sender = sender
        self.contract = connection.contract("AccessGrants")
        self.catalog = AnchorRegistry(connection)
        self.departments = Departments(connection)

    # -- helpers --

    def _send(self, function: Any) -> TxResult:
        if self.sender is None:
            raise InvalidInput("signer", None, "this action needs a key (--key)")
        with readable_refusals():
            return TxResult.of(self.sender.transact(function))

    def _signer(self) -> str:
        if self.sender is None:
            raise InvalidInput("signer", None, "this action needs a key (--key)")
        return str(self.sender.address)

    def now(self) -> int:
        """The latest block's timestamp: the chain's clock."""
        return int(self.connection.w3.eth.get_block("latest")["timestamp"])

    @property
    def domain(self) -> Domain:
        return Domain("AccessGrants", self.connection.chain_id, self.contract.address)

    def check_terms(self, terms: GrantTerms) -> None:
        """What ``_createGrant`` checks, read before signing or sending, in plain words.

        Unknown departments or categories raise :class:`NotFound` (exit 2); a NOT_SHARED
        category, a category of another owner, an inactive grantee or a window already over
        raise :class:`ChainRefused` (exit 1).
        """
        terms.message()  # ranges and encodings
        grantee = self.departments.require(terms.grantee)
        self.departments.require(terms.owner)
        status = self.departments.status(grantee)
        if status != "Active":
            raise _refuse(
                "AccessGrantGranteeInactive",
                f"grantee department {terms.grantee} is {status.upper()}, not ACTIVE",
            )
        for name in terms.categories:
            if name == terms.owner:
                continue
            category = self.catalog.require_category(name)
            if category.owner != terms.owner:
                raise _refuse(
                    "AccessGrantWrongOwner",
                    f"category {name} belongs to {category.owner}, not to {terms.owner}",
                )
            if category.sharing == SharingClass.NOT_SHARED:
                raise _refuse(
                    "AccessGrantCategoryNotShared",
                    f"category {name} is NOT_SHARED (不予共享) and can never be granted",
                )
        if terms.valid_from >= terms.valid_until:
            raise InvalidInput(
                "validity window",
                f"{iso(terms.valid_from)} .. {iso(terms.valid_until)}",
                "must end after it starts",
            )
        if terms.valid_until <= self.now():
            raise _refuse(
                "AccessGrantInvalidWindow",
                f"the grant would end at {iso(terms.valid_until)}, which has passed",
            )

    # -- reading grants --

    def state(self, grant: bytes) -> GrantState:
        grantor, status, basis, uses, epoch = self.contract.functions.grantState(grant).call()
        return GrantState(
            checksum(grantor),
            GRANT_STATUSES[int(status)],
            LegalBasis(int(basis)),
            int(uses),
            int(epoch),
        )

    def owner_epoch(self, subject: str) -> int:
        """The subject's current owner epoch (CitizenRegistry): bumped by every key change."""
        citizens = self.connection.contract("CitizenRegistry")
        return int(citizens.functions.ownerEpoch(validate.address(subject)).call())

    def _previous_key(self, terms: GrantTerms, state: GrantState) -> bool:
        """Whether a consent was given under a previous owner key of its subject, unconfirmed."""
        return (
            state.basis == LegalBasis.CONSENT
            and state.status == "LIVE"
            and state.epoch != self.owner_epoch(terms.subject)
        )

    def _created(self, filters: Mapping[str, Any]) -> list[Any]:
        return logs(self.connection, self.contract, "GrantCreated", filters)

    def terms(self, grant: bytes) -> GrantTerms:
        """The terms of ``grant`` from its ``GrantCreated`` event; :class:`NotFound` if none."""
        found = self._created({"grantId": grant})
        if not found:
            raise NotFound("grant", hex0x(grant), "no such grant on this chain")
        return GrantTerms.from_event(found[0]["args"])

    def info(self, grant: bytes) -> GrantInfo:
        found = self._created({"grantId": grant})
        if not found:
            raise NotFound("grant", hex0x(grant), "no such grant on this chain")
        return self._info(found[0], self.now())

    def _info(self, log: Any, now: int) -> GrantInfo:
        grant = bytes(log["args"]["grantId"])
        terms = GrantTerms.from_event(log["args"])
        state = self.state(grant)
        revoked_by = None
        status = state.status
        if status == "REVOKED":
            revoked = logs(self.connection, self.contract, "GrantRevoked", {"grantId": grant})
            revoked_by = checksum(revoked[-1]["args"]["revokedBy"]) if revoked else None
        elif now >= terms.valid_until:
            status = "EXPIRED"
        elif self._previous_key(terms, state):
            status = "PREVIOUS_KEY"
        elif now < terms.valid_from:
            status = "NOT_YET_VALID"
        elif terms.max_uses and state.uses >= terms.max_uses:
            status = "USED_UP"
        return GrantInfo(
            grant,
            terms,
            checksum(log["args"]["grantor"]),
            status,
            state.uses,
            int(log["blockNumber"]),
            hex0x(bytes(log["transactionHash"])),
            revoked_by,
        )

    def list_grants(
        self,
        subject: str | None = None,
        grantee: str | None = None,
        owner: str | None = None,
    ) -> list[GrantInfo]:
        """Grants by subject, grantee and/or owner, oldest first, with their current status."""
        filters: dict[str, Any] = {}
        if subject:
            filters["subject"] = validate.address(subject)
        if grantee:
            filters["grantee"] = self.departments.require(grantee)
        if owner:
            self.departments.require(owner)
        now = self.now()
        out = [self._info(log, now) for log in self._created(filters)]
        if owner:
            out = [g for g in out if g.terms.owner == owner]
        return out

    # -- consents of previous keys (after a key rotation or a recovery) --

    def previous_consents(self, subject: str) -> list[GrantInfo]:
        """Live consents about ``subject`` given under a previous owner key, unconfirmed: they
        authorise nothing until the current owner confirms them (or revokes them)."""
        return [g for g in self.list_grants(subject=subject) if g.status == "PREVIOUS_KEY"]

    def _require_owner(self, subject: str) -> str:
        signer = self._signer()
        citizens = self.connection.contract("CitizenRegistry")
        owner = checksum(citizens.functions.identityOwner(validate.address(subject)).call())
        if owner != checksum(signer):
            raise _refuse(
                "AccessGrantNotSubjectOwner",
                f"{signer} is not the current owner key of identity {subject} (its owner is {owner})",
            )
        return signer

    def confirm_consent(self, grant: bytes) -> TxResult:
        """As the subject's current owner key, keep a consent given under a previous key."""
        terms = self.terms(grant)
        self._require_owner(terms.subject)
        state = self.state(grant)
        if state.status == "REVOKED":
            raise _refuse("AccessGrantRevoked", f"grant {hex0x(grant)} was revoked")
        if state.basis != LegalBasis.CONSENT:
            raise _refuse("AccessGrantWrongBasis", f"grant {hex0x(grant)} is not a consent")
        if not self._previous_key(terms, state):
            raise _refuse(
                "AccessGrantConsentCurrent",
                f"grant {hex0x(grant)} was given under the current key; nothing to confirm",
            )
        return self._send(self.contract.functions.confirmConsent(terms.as_tuple()))

    def revoke_previous_consents(self, subject: str) -> tuple[list[GrantInfo], TxResult | None]:
        """As the subject's current owner key, revoke in one transaction every live consent
        given under a previous key and not confirmed. Returns them and the transaction (None
        if there was nothing to revoke)."""
        address = validate.address(subject)
        self._require_owner(address)
        previous = self.previous_consents(address)
        if not previous:
            return previous, None
        function = self.contract.functions.revokePreviousConsents(
            [g.terms.as_tuple() for g in previous]
        )
        return previous, self._send(function)

    # -- creating and revoking grants --

    def give(self, terms: GrantTerms) -> Created:
        """Create a grant as the signer.

        CONSENT: the signer is the subject's owner key or valid agent (checked by eth_call).
        STATUTORY_DUTY: the signer is an active APPROVER of ``terms.owner`` (checked here).
        Both: :meth:`check_terms` first.
        """
        self.check_terms(terms)
        signer = self._signer()
        if terms.basis == LegalBasis.STATUTORY_DUTY:
            if not self.departments.is_active_member(
                signer, code(terms.owner, "department code"), ROLE_APPROVER
            ):
                raise _refuse(
                    "AccessGrantNotApprover",
                    f"{signer} is not an active APPROVER of {terms.owner}: only the owner's "
                    "approvers create STATUTORY_DUTY grants",
                )
            tx = self._send(self.contract.functions.grantStatutory(terms.as_tuple()))
        elif terms.basis == LegalBasis.CONSENT:
            tx = self._send(self.contract.functions.grant(terms.as_tuple()))
        else:
            raise InvalidInput(
                "legal basis", terms.basis.name, "OWNER_APPROVAL grants come from 'share approve'"
            )
        return Created(terms.grant_id, tx)

    def sign_consent(
        self,
        terms: GrantTerms,
        deadline: int,
        account: LocalAccount,
        purpose: str = "",
        safe: str | None = None,
    ) -> SignedConsent:
        """The subject's (or agent's) consent signature; nothing is sent, nothing is paid.

        Checked first: :meth:`check_terms`, basis CONSENT, the deadline is in the future and
        ``account`` controls ``terms.subject`` (owner key or valid agent). With ``safe``, the
        Safe is the signer (it must control the subject) and ``account``, one of its owners,
        makes its part (see :func:`govchain.sharing.consent_safe.submit_safe_consent`).
        """
        if safe is not None:
            return sign_safe_consent(self, terms, deadline, account, safe, purpose)
        if terms.basis != LegalBasis.CONSENT:
            raise InvalidInput("legal basis", terms.basis.name, "a signed consent is CONSENT")
        self.check_terms(terms)
        if deadline <= self.now():
            raise InvalidInput("deadline", iso(deadline), "has passed")
        self._require_controller(account.address, terms.subject)
        signature = GRANT_CONSENT.sign(
            account.key, self.domain, consent_message(terms.message(), account.address, deadline)
        )
        return SignedConsent(
            terms,
            deadline,
            account.address,
            signature,
            self.connection.chain_id,
            self.contract.address,
            purpose,
        )

    def _require_controller(self, account: str, subject: str) -> None:
        citizens = self.connection.contract("CitizenRegistry")
        owner = citizens.functions.identityOwner(subject).call()
        if checksum(owner) == checksum(account):
            return
        agent = keccak(text="govchain.delegate.agent")
        if citizens.functions.validDelegate(subject, agent, account).call():
            return
        raise _refuse(
            "AccessGrantNotSubjectController",
            f"{account} is neither the owner key nor an agent of identity {subject}",
        )

    def _check_target(self, consent: SignedConsent) -> None:
        """The consent was signed for this chain and this AccessGrants contract."""
        if consent.chain_id != self.connection.chain_id:
            raise InvalidInput(
                "consent",
                f"chain {consent.chain_id}",
                f"this node serves chain {self.connection.chain_id}",
            )
        if checksum(consent.verifying_contract) != checksum(self.contract.address):
            raise InvalidInput(
                "consent",
                consent.verifying_contract,
                "was signed for another AccessGrants contract",
            )

    def submit(self, consent: SignedConsent) -> Created:
        """Relay a signed consent (typically as the grantee's staff; any key may).

        Checked first: same chain and contract, the signature is the signer's, the deadline
        has not passed, :meth:`check_terms`; by eth_call the signer controls the subject.
        """
        if consent.safe_owner is not None:
            return submit_safe_consent(self, [consent])
        self._check_target(consent)
        if checksum(consent.recover()) != checksum(consent.signer):
            raise InvalidInput(
                "consent", hex0x(consent.signature), f"is not {consent.signer}'s signature"
            )
        if consent.deadline <= self.now():
            raise _refuse(
                "SignatureExpired",
                f"the consent's deadline {iso(consent.deadline)} has passed; ask the citizen to sign again",
            )
        self.check_terms(consent.terms)
        tx = self._send(
            self.contract.functions.grantBySignature(
                consent.terms.as_tuple(), consent.signer, consent.deadline, consent.signature
            )
        )
        return Created(consent.terms.grant_id, tx)

    def revoke(self, grant: bytes) -> TxResult:
        """Revoke ``grant`` at once.

        As its grantor (consent) or an APPROVER of its owner (statutory, owner approval):
        ``revoke``; otherwise as the subject's current keys or an APPROVER of the owner:
        ``revokeByTerms`` with the terms from the chain. Refused plainly if unknown or revoked.
        """
        state = self.state(grant)
        if state.status == "NONE":
            raise NotFound("grant", hex0x(grant), "no such grant on this chain")
        if state.status == "REVOKED":
            raise _refuse("AccessGrantRevoked", f"grant {hex0x(grant)} is revoked already")
        signer = self._signer()
        if state.basis != LegalBasis.CONSENT or checksum(state.grantor) == checksum(signer):
            return self._send(self.contract.functions.revoke(grant))
        return self._send(self.contract.functions.revokeByTerms(self.terms(grant).as_tuple()))

    def cancel(self, consent: SignedConsent) -> TxResult:
        """Cancel a signed consent (relayed or not) as the subject's key or agent."""
        return self._send(self.contract.functions.revokeByTerms(consent.terms.as_tuple()))


# ShareRequests lives in its own module; imported here (after AccessGrants, which it uses) so
# ``from govchain.sharing.grants import ShareRequests`` keeps working
from govchain.sharing.requests import ShareRequests  # noqa: E402

__all__ = [
    "CONSENT_FORMAT",
    "GRANT_STATUSES",
    "REQUEST_STATUSES",
    "AccessGrants",
    "AccessRecord",
    "AccessStatus",
    "Created",
    "GrantInfo",
    "GrantState",
    "GrantTerms",
    "ShareRequestInfo",
    "ShareRequestTerms",
    "ShareRequests",
    "SignedConsent",
    "new_nonce",
    "purpose_hash",
]
