"""Value types of AccessGrants and ShareRequests: grant terms, states, access records, requests.

Codes appear as names (``HRSS.PENSION``); each type converts to the contract's tuple or EIP-712
message and to and from JSON. No chain access here: the clients are
:mod:`govchain.sharing.grants` and :mod:`govchain.sharing.requests`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain import validate
from govchain.errors import ChainRefused, InvalidInput
from govchain.sharing.base import (
    TxResult,
    checksum,
    code,
    code_name,
    hex0x,
    iso,
)
from govchain.sharing.catalog import LegalBasis
from govchain.sharing.messages import grant_id

GRANT_STATUSES = ("NONE", "LIVE", "REVOKED")
REQUEST_STATUSES = ("NONE", "PENDING", "APPROVED", "REJECTED")


def purpose_hash(text: str) -> bytes:
    """The **legacy, unsalted** purpose hash ``keccak256(utf8(text))`` of grants made before
    purposes were salted. New purposes go on chain salted: use
    :func:`govchain.sharing.purposes.commit_purpose` (``keccak256(salt ‖ text)``)."""
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
