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

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from govchain import validate
from govchain.eip712 import Domain
from govchain.errors import ChainRefused, InvalidInput, NotFound
from govchain.network import Connection
from govchain.sharing.anchors import AnchorRegistry
from govchain.sharing.base import (
    ROLE_APPROVER,
    ROLE_STAFF,
    ZERO_ADDRESS,
    Departments,
    TxResult,
    checksum,
    code,
    code_name,
    hex0x,
    iso,
    logs,
    readable_refusals,
)
from govchain.sharing.catalog import LegalBasis, SharingClass
from govchain.sharing.messages import GRANT_CONSENT, consent_message, grant_id
from govchain.tx import Sender

CONSENT_FORMAT = "govchain.GrantConsent/1"
GRANT_STATUSES = ("NONE", "LIVE", "REVOKED")
REQUEST_STATUSES = ("NONE", "PENDING", "APPROVED", "REJECTED")


def purpose_hash(text: str) -> bytes:
    """The purpose hash of a purpose text: ``keccak256`` of its UTF-8 bytes."""
    if not text.strip():
        raise InvalidInput("purpose", text, "must not be empty")
    return keccak(text=text)


def new_nonce() -> int:
    """A random 64-bit nonce that tells otherwise identical terms apart."""
    return secrets.randbits(64)


def _refuse(name: str, text: str, **arguments: Any) -> ChainRefused:
    return ChainRefused(name, arguments, text)


# --- terms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantTerms:
    """The terms of a grant (``IAccessGrants.Grant``); codes as names (``HRSS.PENSION``).

    A category equal to ``owner`` stands for every non-sensitive category of the owner.
    """

    subject: str
    grantee: str
    owner: str
    categories: tuple[str, ...]
    purpose_hash: bytes
    basis: LegalBasis
    valid_from: int
    valid_until: int
    max_uses: int = 0
    nonce: int = 0

    def message(self) -> dict[str, Any]:
        """The ``Grant`` message as the contract and :mod:`govchain.sharing.messages` take it."""
        if not self.categories:
            raise InvalidInput("categories", "", "a grant names at least one category")
        if len(self.purpose_hash) != 32:
            raise InvalidInput("purpose hash", hex0x(self.purpose_hash), "expected 32 bytes")
        for name, value, bits in (
            ("valid from", self.valid_from, 40),
            ("valid until", self.valid_until, 40),
            ("max uses", self.max_uses, 32),
            ("nonce", self.nonce, 256),
        ):
            if not 0 <= value < 2**bits:
                raise InvalidInput(name, value, f"out of range (0 .. 2^{bits} - 1)")
        return {
            "subject": validate.address(self.subject),
            "grantee": code(self.grantee, "department code"),
            "owner": code(self.owner, "department code"),
            "categories": [code(c) for c in self.categories],
            "purposeHash": self.purpose_hash,
            "basis": int(self.basis),
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
            "maxUses": self.max_uses,
            "nonce": self.nonce,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        m = self.message()
        return (
            m["subject"],
            m["grantee"],
            m["owner"],
            m["categories"],
            m["purposeHash"],
            m["basis"],
            m["validFrom"],
            m["validUntil"],
            m["maxUses"],
            m["nonce"],
        )

    @property
    def grant_id(self) -> bytes:
        return grant_id(self.message())

    def covers_owner_wide(self) -> bool:
        return self.owner in self.categories

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": checksum(self.subject),
            "grantee": self.grantee,
            "owner": self.owner,
            "categories": list(self.categories),
            "purpose_hash": hex0x(self.purpose_hash),
            "basis": self.basis.name,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "max_uses": self.max_uses,
            "nonce": str(self.nonce),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GrantTerms:
        try:
            return cls(
                subject=validate.address(data["subject"]),
                grantee=str(data["grantee"]),
                owner=str(data["owner"]),
                categories=tuple(str(c) for c in data["categories"]),
                purpose_hash=validate.bytes32(data["purpose_hash"], "purpose hash"),
                basis=LegalBasis[str(data["basis"])],
                valid_from=int(data["valid_from"]),
                valid_until=int(data["valid_until"]),
                max_uses=int(data.get("max_uses", 0)),
                nonce=int(data.get("nonce", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput("grant terms", dict(data), f"missing or malformed {exc}") from None

    @classmethod
    def from_event(cls, args: Mapping[str, Any]) -> GrantTerms:
        return cls(
            subject=checksum(args["subject"]),
            grantee=code_name(bytes(args["grantee"])),
            owner=code_name(bytes(args["owner"])),
            categories=tuple(code_name(bytes(c)) for c in args["categories"]),
            purpose_hash=bytes(args["purposeHash"]),
            basis=LegalBasis(int(args["basis"])),
            valid_from=int(args["validFrom"]),
            valid_until=int(args["validUntil"]),
            max_uses=int(args["maxUses"]),
            nonce=int(args["nonce"]),
        )


@dataclass(frozen=True)
class GrantState:
    """What storage keeps of a grant."""

    grantor: str
    status: str  # NONE, LIVE, REVOKED
    basis: LegalBasis
    uses: int
    epoch: int = 0  # CONSENT: the subject's owner epoch it was given or confirmed under


@dataclass(frozen=True)
class GrantInfo:
    """A grant: its terms (from ``GrantCreated``), its state, and whether it admits access now."""

    grant_id: bytes
    terms: GrantTerms
    grantor: str
    # LIVE, REVOKED, EXPIRED, PREVIOUS_KEY (a consent of a previous owner key, unconfirmed),
    # NOT_YET_VALID, USED_UP
    status: str
    uses: int
    block_number: int
    tx_hash: str
    revoked_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grant_id": hex0x(self.grant_id),
            **self.terms.as_dict(),
            "valid_from_time": iso(self.terms.valid_from),
            "valid_until_time": iso(self.terms.valid_until),
            "grantor": self.grantor,
            "status": self.status,
            "uses": self.uses,
            "block": self.block_number,
            "tx_hash": self.tx_hash,
            "revoked_by": self.revoked_by,
        }


@dataclass(frozen=True)
class SignedConsent:
    """A subject's EIP-712 ``GrantConsent`` signature, made off line, relayed by the grantee."""

    terms: GrantTerms
    deadline: int
    signer: str
    signature: bytes
    chain_id: int
    verifying_contract: str
    purpose: str = ""

    @property
    def domain(self) -> Domain:
        return Domain("AccessGrants", self.chain_id, self.verifying_contract)

    def recover(self) -> str:
        """The address that made the signature (whatever ``signer`` claims)."""
        full = GRANT_CONSENT.full_message(
            self.domain, consent_message(self.terms.message(), checksum(self.signer), self.deadline)
        )
        return str(
            Account.recover_message(encode_typed_data(full_message=full), signature=self.signature)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": CONSENT_FORMAT,
            "grant_id": hex0x(self.terms.grant_id),
            "terms": self.terms.as_dict(),
            "purpose": self.purpose,
            "deadline": self.deadline,
            "deadline_time": iso(self.deadline),
            "signer": checksum(self.signer),
            "signature": hex0x(self.signature),
            "chain_id": self.chain_id,
            "verifying_contract": checksum(self.verifying_contract),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedConsent:
        if data.get("format") != CONSENT_FORMAT:
            raise InvalidInput("consent", data.get("format"), f"expected format {CONSENT_FORMAT}")
        try:
            return cls(
                terms=GrantTerms.from_dict(data["terms"]),
                deadline=int(data["deadline"]),
                signer=validate.address(data["signer"]),
                signature=validate.hex_bytes(data["signature"], 65, "signature"),
                chain_id=int(data["chain_id"]),
                verifying_contract=validate.address(data["verifying_contract"]),
                purpose=str(data.get("purpose", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput("consent", "file", f"missing or malformed {exc}") from None

    @classmethod
    def read(cls, path: Path) -> SignedConsent:
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise InvalidInput("consent file", str(path), exc.strerror or str(exc)) from None
        except ValueError as exc:
            raise InvalidInput("consent file", str(path), f"not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidInput("consent file", str(path), "expected a JSON object")
        return cls.from_dict(data)


@dataclass(frozen=True)
class AccessRecord:
    """One ``AccessRecorded`` event: who used which data of whom, why, when."""

    subject: str
    owner: str
    grantee: str
    category: str
    purpose_hash: bytes
    member: str
    request_hash: bytes
    grant_id: bytes
    block_number: int
    timestamp: int
    tx_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "owner": self.owner,
            "grantee": self.grantee,
            "category": self.category,
            "purpose_hash": hex0x(self.purpose_hash),
            "member": self.member,
            "request_hash": hex0x(self.request_hash),
            "grant_id": hex0x(self.grant_id),
            "block": self.block_number,
            "timestamp": self.timestamp,
            "time": iso(self.timestamp),
            "tx_hash": self.tx_hash,
        }


@dataclass(frozen=True)
class ShareRequestTerms:
    """The terms of a share request (``IShareRequests.ShareRequest``)."""

    grantee: str
    owner: str
    categories: tuple[str, ...]
    purpose_hash: bytes
    valid_from: int
    valid_until: int
    decision_deadline: int
    max_uses: int = 0
    nonce: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        if not self.categories:
            raise InvalidInput("categories", "", "a request names at least one category")
        return (
            code(self.grantee, "department code"),
            code(self.owner, "department code"),
            [code(c) for c in self.categories],
            self.purpose_hash,
            self.valid_from,
            self.valid_until,
            self.max_uses,
            self.decision_deadline,
            self.nonce,
        )

    @property
    def request_id(self) -> bytes:
        return keccak(
            encode(
                ["(bytes32,bytes32,bytes32[],bytes32,uint40,uint40,uint32,uint40,uint256)"],
                [self.as_tuple()],
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "grantee": self.grantee,
            "owner": self.owner,
            "categories": list(self.categories),
            "purpose_hash": hex0x(self.purpose_hash),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "max_uses": self.max_uses,
            "decision_deadline": self.decision_deadline,
            "nonce": str(self.nonce),
        }

    @classmethod
    def from_event(cls, args: Mapping[str, Any]) -> ShareRequestTerms:
        return cls(
            grantee=code_name(bytes(args["grantee"])),
            owner=code_name(bytes(args["owner"])),
            categories=tuple(code_name(bytes(c)) for c in args["categories"]),
            purpose_hash=bytes(args["purposeHash"]),
            valid_from=int(args["validFrom"]),
            valid_until=int(args["validUntil"]),
            decision_deadline=int(args["decisionDeadline"]),
            max_uses=int(args["maxUses"]),
            nonce=int(args["nonce"]),
        )


@dataclass(frozen=True)
class ShareRequestInfo:
    request_id: bytes
    terms: ShareRequestTerms
    requester: str
    status: str  # PENDING, APPROVED, REJECTED, EXPIRED (pending past its deadline)
    block_number: int
    grant_id: bytes | None = None
    decided_by: str | None = None
    reason_hash: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": hex0x(self.request_id),
            **self.terms.as_dict(),
            "decision_deadline_time": iso(self.terms.decision_deadline),
            "requester": self.requester,
            "status": self.status,
            "block": self.block_number,
            "grant_id": hex0x(self.grant_id) if self.grant_id else None,
            "decided_by": self.decided_by,
            "reason_hash": hex0x(self.reason_hash) if self.reason_hash else None,
        }


@dataclass(frozen=True)
class Created:
    """A transaction that created a grant (or filed a request): the id and where."""

    id: bytes
    tx: TxResult
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, key: str = "grant_id") -> dict[str, Any]:
        return {key: hex0x(self.id), **self.tx.as_dict(), **self.extra}


# --- the client -----------------------------------------------------------------------------


class AccessGrants:
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
        self, terms: GrantTerms, deadline: int, account: LocalAccount, purpose: str = ""
    ) -> SignedConsent:
        """The subject's (or agent's) consent signature; nothing is sent, nothing is paid.

        Checked first: :meth:`check_terms`, basis CONSENT, the deadline is in the future and
        ``account`` controls ``terms.subject`` (owner key or valid agent).
        """
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

    def submit(self, consent: SignedConsent) -> Created:
        """Relay a signed consent (typically as the grantee's staff; any key may).

        Checked first: same chain and contract, the signature is the signer's, the deadline
        has not passed, :meth:`check_terms`; by eth_call the signer controls the subject.
        """
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

    # -- access records --

    def check_access(self, terms: GrantTerms, category: str, state: GrantState) -> None:
        """What ``recordAccess`` checks about the grant and category, in plain words."""
        grant = hex0x(terms.grant_id)
        if state.status == "NONE":
            raise NotFound("grant", grant, "no such grant on this chain")
        if state.status == "REVOKED":
            raise _refuse("AccessGrantRevoked", f"grant {grant} was revoked")
        if self._previous_key(terms, state):
            raise _refuse(
                "AccessGrantPreviousOwnerConsent",
                f"grant {grant} was consented under a previous key of {terms.subject}: its "
                "current owner must confirm it first",
            )
        now = self.now()
        if now < terms.valid_from:
            raise _refuse(
                "AccessGrantNotYetValid",
                f"grant {grant} is valid only from {iso(terms.valid_from)}",
            )
        if now >= terms.valid_until:
            raise _refuse(
                "AccessGrantExpired", f"grant {grant} expired at {iso(terms.valid_until)}"
            )
        info = self.catalog.require_category(category)
        if info.sharing == SharingClass.NOT_SHARED:
            raise _refuse(
                "AccessGrantCategoryNotShared",
                f"category {category} is NOT_SHARED (不予共享): no grant allows access",
            )
        if category not in terms.categories:
            if not terms.covers_owner_wide() or info.owner != terms.owner:
                raise _refuse(
                    "AccessGrantCategoryNotCovered",
                    f"grant {grant} does not cover category {category}",
                )
            if info.sensitive:
                raise _refuse(
                    "AccessGrantCategoryNotCovered",
                    f"grant {grant} does not cover category {category}: it is sensitive and "
                    "must be named in the grant",
                )
        if terms.max_uses and state.uses >= terms.max_uses:
            raise _refuse(
                "AccessGrantUsesExhausted",
                f"grant {grant} has used all of its {terms.max_uses} uses",
            )

    def record_access(self, grant: bytes, category: str, request_hash: bytes) -> TxResult:
        """Record that the signer (STAFF of the grantee) accesses ``category`` under ``grant``.

        Checked first: :meth:`check_access` (grant live, in its window, covers the category,
        uses remain; category not NOT_SHARED) and that the signer is STAFF of the grantee.
        """
        terms = self.terms(grant)
        self.check_access(terms, category, self.state(grant))
        signer = self._signer()
        if not self.departments.is_active_member(signer, code(terms.grantee), ROLE_STAFF):
            raise _refuse(
                "AccessGrantNotStaff", f"{signer} is not an active STAFF member of {terms.grantee}"
            )
        return self._send(
            self.contract.functions.recordAccess(terms.as_tuple(), code(category), request_hash)
        )

    def record_open_access(self, category: str, purpose: bytes, request_hash: bytes) -> TxResult:
        """Record an access to an UNCONDITIONAL category (no grant needed; STAFF of any department)."""
        info = self.catalog.require_category(category)
        if info.sharing != SharingClass.UNCONDITIONAL:
            raise _refuse(
                "AccessGrantNotUnconditional",
                f"category {category} is {info.sharing.name}, not UNCONDITIONAL: an access needs a grant",
            )
        self.departments.department_of(self._signer(), ROLE_STAFF, "STAFF member")
        return self._send(
            self.contract.functions.recordOpenAccess(code(category), purpose, request_hash)
        )

    def access_records(
        self,
        subject: str | None = None,
        owner: str | None = None,
        grantee: str | None = None,
        grant: bytes | None = None,
        category: str | None = None,
    ) -> list[AccessRecord]:
        """Access records (``AccessRecorded`` events) matching every filter given, oldest first."""
        filters: dict[str, Any] = {}
        if subject:
            filters["subject"] = validate.address(subject)
        if owner:
            filters["owner"] = self.departments.require(owner)
        if grantee:
            filters["grantee"] = self.departments.require(grantee)
        if category:
            self.catalog.require_category(category)
        times: dict[int, int] = {}
        out = []
        for log in logs(self.connection, self.contract, "AccessRecorded", filters):
            args = log["args"]
            if grant is not None and bytes(args["grantId"]) != grant:
                continue
            if category is not None and code_name(bytes(args["category"])) != category:
                continue
            block = int(log["blockNumber"])
            if block not in times:
                times[block] = int(self.connection.w3.eth.get_block(block)["timestamp"])
            out.append(
                AccessRecord(
                    checksum(args["subject"]),
                    code_name(bytes(args["owner"])),
                    code_name(bytes(args["grantee"])),
                    code_name(bytes(args["category"])),
                    bytes(args["purposeHash"]),
                    checksum(args["member"]),
                    bytes(args["requestHash"]),
                    bytes(args["grantId"]),
                    block,
                    times[block],
                    hex0x(bytes(log["transactionHash"])),
                )
            )
        return out


class ShareRequests:
    """Share requests for conditional data without a personal subject (part of AccessGrants)."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.grants = AccessGrants(connection, sender)
        self.connection = connection
        self.contract = self.grants.contract

    def status(self, request: bytes) -> str:
        return REQUEST_STATUSES[int(self.contract.functions.requestStatus(request).call())]

    def file(self, terms: ShareRequestTerms) -> Created:
        """File ``terms`` as STAFF of ``terms.grantee``.

        Checked first: departments registered (exit 2), every category in the catalog (exit 2),
        owned by ``terms.owner`` and CONDITIONAL, the window and deadline in the future.
        """
        self.grants.departments.require(terms.grantee)
        self.grants.departments.require(terms.owner)
        for name in terms.categories:
            info = self.grants.catalog.require_category(name)
            if info.owner != terms.owner:
                raise _refuse(
                    "AccessGrantWrongOwner",
                    f"category {name} belongs to {info.owner}, not to {terms.owner}",
                )
            if info.sharing != SharingClass.CONDITIONAL:
                why = (
                    "NOT_SHARED data is never shared"
                    if info.sharing == SharingClass.NOT_SHARED
                    else "UNCONDITIONAL data needs no request"
                )
                raise _refuse(
                    "ShareRequestNotConditional",
                    f"category {name} is {info.sharing.name}, not CONDITIONAL: {why}",
                )
        now = self.grants.now()
        if terms.valid_from >= terms.valid_until or terms.valid_until <= now:
            raise InvalidInput(
                "validity window",
                f"{iso(terms.valid_from)} .. {iso(terms.valid_until)}",
                "must end after it starts, in the future",
            )
        if terms.decision_deadline <= now:
            raise InvalidInput("decision deadline", iso(terms.decision_deadline), "has passed")
        tx = self.grants._send(self.contract.functions.fileRequest(terms.as_tuple()))
        return Created(terms.request_id, tx)

    def info(self, request: bytes) -> ShareRequestInfo:
        filed = logs(self.connection, self.contract, "ShareRequestFiled", {"requestId": request})
        if not filed:
            raise NotFound("share request", hex0x(request), "no such request on this chain")
        return self._info(filed[0], self.grants.now())

    def _info(self, log: Any, now: int) -> ShareRequestInfo:
        request = bytes(log["args"]["requestId"])
        terms = ShareRequestTerms.from_event(log["args"])
        status = self.status(request)
        info = ShareRequestInfo(
            request, terms, checksum(log["args"]["requester"]), status, int(log["blockNumber"])
        )
        if status == "APPROVED":
            found = logs(
                self.connection, self.contract, "ShareRequestApproved", {"requestId": request}
            )
            if found:
                args = found[-1]["args"]
                info = replace(
                    info, grant_id=bytes(args["grantId"]), decided_by=checksum(args["approver"])
                )
        elif status == "REJECTED":
            found = logs(
                self.connection, self.contract, "ShareRequestRejected", {"requestId": request}
            )
            if found:
                args = found[-1]["args"]
                info = replace(
                    info,
                    decided_by=checksum(args["approver"]),
                    reason_hash=bytes(args["reasonHash"]),
                )
        elif status == "PENDING" and now > terms.decision_deadline:
            info = replace(info, status="EXPIRED")
        return info

    def list_requests(
        self, owner: str | None = None, grantee: str | None = None, status: str | None = None
    ) -> list[ShareRequestInfo]:
        filters: dict[str, Any] = {}
        if owner:
            filters["owner"] = self.grants.departments.require(owner)
        if grantee:
            filters["grantee"] = self.grants.departments.require(grantee)
        now = self.grants.now()
        found = [
            self._info(log, now)
            for log in logs(self.connection, self.contract, "ShareRequestFiled", filters)
        ]
        return [r for r in found if status is None or r.status == status]

    def _decidable(self, request: bytes) -> ShareRequestInfo:
        info = self.info(request)
        if info.status in ("APPROVED", "REJECTED"):
            raise _refuse(
                "ShareRequestDecided", f"request {hex0x(request)} was {info.status} already"
            )
        if info.status == "EXPIRED":
            raise _refuse(
                "ShareRequestExpired",
                f"request {hex0x(request)} passed its decision deadline "
                f"{iso(info.terms.decision_deadline)}",
            )
        signer = self.grants._signer()
        if not self.grants.departments.is_active_member(
            signer, code(info.terms.owner), ROLE_APPROVER
        ):
            raise _refuse(
                "AccessGrantNotApprover",
                f"{signer} is not an active APPROVER of {info.terms.owner}",
            )
        return info

    def approve(self, request: bytes) -> Created:
        """Approve a pending request as APPROVER of its owner; returns the new grant's id.

        Checked first: the request exists (exit 2), is pending and inside its deadline, the
        signer is an APPROVER of the owner; by eth_call the categories are still CONDITIONAL.
        """
        info = self._decidable(request)
        tx = self.grants._send(self.contract.functions.approveRequest(info.terms.as_tuple()))
        grant = grant_id(
            {
                "subject": ZERO_ADDRESS,
                "grantee": code(info.terms.grantee),
                "owner": code(info.terms.owner),
                "categories": [code(c) for c in info.terms.categories],
                "purposeHash": info.terms.purpose_hash,
                "basis": int(LegalBasis.OWNER_APPROVAL),
                "validFrom": info.terms.valid_from,
                "validUntil": info.terms.valid_until,
                "maxUses": info.terms.max_uses,
                "nonce": int.from_bytes(request, "big"),
            }
        )
        return Created(request, tx, {"grant_id": hex0x(grant)})

    def reject(self, request: bytes, reason: bytes) -> TxResult:
        """Reject a pending request as APPROVER of its owner (same checks as :meth:`approve`)."""
        info = self._decidable(request)
        return self.grants._send(
            self.contract.functions.rejectRequest(info.terms.as_tuple(), reason)
        )


__all__ = [
    "AccessGrants",
    "AccessRecord",
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
