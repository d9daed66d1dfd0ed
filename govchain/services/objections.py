"""Client of ``ObjectionRegistry``: a citizen's objection to data about her (PIPL art. 46).

A citizen (her identity's owner key, or her agent delegate) files an objection to an
attestation about her or to an anchored record; the owner department's APPROVERs uphold it
(after revoking the attestation, or anchoring a corrected version of the record) or reject it
with a reason. The reason texts never go on chain: the chain holds ``keccak256(salt ||
utf8(text))`` with a fresh 32-byte salt (:func:`reason_commitment`); the text and its salt go
to the owner's data node (:mod:`govchain.node.objections`) and stay with the citizen.

Checks before sending, each named by the custom error the contract would raise: the sender
acts for the subject (owner key or valid agent under the current owner epoch); the target
exists and, for an attestation, is about the subject; a decider is an APPROVER of the target's
owner department, which is Active, and the objection is still open; an upheld attestation is
revoked and an upheld record has a newer anchored version. Status is always the contract's
``state`` view (Overdue is an Open objection past its deadline), never re-derived here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3.types import EventData

from govchain import validate
from govchain.eip712 import Domain
from govchain.errors import EXPLANATIONS, ChainRefused, InvalidInput, NotFound, explain
from govchain.identity.attestations import Attestations
from govchain.identity.base import ZERO32, ContractClient, Sent, code_text, hex32, iso_time
from govchain.identity.citizens import Citizens
from govchain.identity.departments import Departments
from govchain.network import Connection
from govchain.services.objection_decisions import SignedDecision, ordered, sign_decision
from govchain.services.objection_decisions import domain as decision_domain
from govchain.tx import Sender

ROLE_APPROVER = 2
DAY = 86_400


class TargetKind(IntEnum):
    NONE = 0
    ATTESTATION = 1
    RECORD = 2


class ObjectionState(IntEnum):
    NONE = 0
    OPEN = 1
    OVERDUE = 2
    UPHELD = 3
    REJECTED = 4
    WITHDRAWN = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def decided(self) -> bool:
        return self in (ObjectionState.UPHELD, ObjectionState.REJECTED)


OBJECTION_EXPLANATIONS: dict[str, str] = {
    "ObjectionUnauthorizedFiler": (
        "{caller} is neither the owner key of {subject} nor her valid agent delegate"
    ),
    "ObjectionNotSubject": "attestation {uid} is not about {subject} (or its fields differ)",
    "ObjectionTargetNotFound": "{target} is not on record (revoked, never made, or not anchored)",
    "ObjectionZeroCommitment": "a reason commitment must not be zero",
    "ObjectionExists": "objection {id} was filed already",
    "ObjectionUnknown": "no objection has id {id}",
    "ObjectionNotOpen": "objection {id} is not open (status {status}): it was decided or withdrawn",
    "ObjectionWrongDepartment": (
        "{account} acts for {current}, not for {owner}, the department that owns the target"
    ),
    "ObjectionNotApprover": "{account} is not an APPROVER of {owner}",
    "ObjectionDepartmentInactive": "department {owner} is not Active: it cannot decide now",
    "ObjectionNotRevoked": "attestation {uid} is still on record: revoke it before upholding",
    "ObjectionNotCorrected": (
        "version {version} of record {recordId} does not correct version {objected} "
        "(latest anchored: {latest}); anchor the corrected version first"
    ),
    "ObjectionUnauthorizedCouncil": (
        "only the council sets decision periods and thresholds ({caller} is not)"
    ),
    "ObjectionInvalidPeriod": "a period must be 0 (default) or 1 to 90 days, not {period} s",
    "ObjectionInvalidThreshold": (
        "a department's decision threshold must be 0 (default) or 1 to 16 signatures, "
        "not {signatures}"
    ),
}


def register() -> None:
    for name, template in OBJECTION_EXPLANATIONS.items():
        explain(name, template)


register()


def reason_commitment(salt: bytes, text: str) -> bytes:
    """``keccak256(salt || utf8(text))``: what the chain holds of a reason (salt: 32 bytes)."""
    if len(salt) != 32:
        raise ValueError("the salt must be 32 bytes")
    return keccak(salt + text.encode("utf-8"))


def _refuse(name: str, **arguments: Any) -> ChainRefused:
    shown = {k: (code_text(v) if isinstance(v, bytes) else v) for k, v in arguments.items()}
    return ChainRefused(name, arguments, EXPLANATIONS[name].format(**shown))


@dataclass(frozen=True)
class Objection:
    """One objection: its stored fields, its state now, and what its events say."""

    id: bytes
    subject: ChecksumAddress
    kind: TargetKind
    state: ObjectionState
    filed_at: int
    deadline: int
    version: int
    corrected_version: int
    owner: bytes
    target: bytes
    category: bytes
    reason_commitment: bytes
    filer: ChecksumAddress
    filed_tx: str
    decided_by: ChecksumAddress | None = None
    signers: tuple[ChecksumAddress, ...] = ()
    decision_tx: str | None = None
    rejection_commitment: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": hex32(self.id),
            "subject": self.subject,
            "kind": self.kind.name.lower(),
            "state": self.state.label,
            "owner": code_text(self.owner),
            "target": hex32(self.target),
            "category": code_text(self.category) if self.category != ZERO32 else None,
            "version": self.version,
            "corrected_version": self.corrected_version,
            "filed_at": iso_time(self.filed_at),
            "deadline": iso_time(self.deadline),
            "reason_commitment": hex32(self.reason_commitment),
            "filer": self.filer,
            "filed_tx": self.filed_tx,
            "decided_by": self.decided_by,
            "signers": list(self.signers),
            "decision_tx": self.decision_tx,
            "rejection_commitment": (
                hex32(self.rejection_commitment) if self.rejection_commitment else None
            ),
        }


@dataclass(frozen=True)
class Reasoned:
    """A filing or a rejection: the objection id, the reason's salt and commitment, the tx."""

    id: bytes
    salt: bytes
    commitment: bytes
    sent: Sent

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": hex32(self.id),
            "salt": hex32(self.salt),
            "commitment": hex32(self.commitment),
            **self.sent.as_dict(),
        }


class Objections(ContractClient):
    """``ObjectionRegistry`` for citizens, their agents, approvers and auditors."""

    NAME = "ObjectionRegistry"

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        super().__init__(connection, sender)
        self.departments = Departments(connection, sender)
        self.citizens = Citizens(connection, sender)
        self.attestations = Attestations(connection, sender)

    # --- the citizen ---------------------------------------------------------------------

    def file_attestation(
        self, subject: str, uid: bytes, reason: str, *, salt: bytes | None = None
    ) -> Reasoned:
        """Object, for ``subject``, to attestation ``uid`` with ``reason`` (kept off chain)."""
        sender = self._signer("filing an objection")
        who = validate.address(subject)
        self._check_acts_for(who, sender.address)
        raw = validate.bytes32(uid, "attestation uid")
        found = self.attestations.event(raw)
        if (
            found is None
            or int(self.attestations.contract.functions.getAttestation(raw).call()[1]) == 0
        ):
            raise _refuse("ObjectionTargetNotFound", target=raw)
        if found.subject != who:
            raise _refuse("ObjectionNotSubject", uid=raw, subject=who)
        salt, commitment = self._commit(reason, salt)
        ref = (
            raw,
            found.schema,
            found.attester,
            found.department,
            found.data_hash,
            found.expiry,
            found.ref_uid,
        )
        function = self.contract.functions.fileAttestationObjection(who, ref, commitment)
        return self._filed(function, salt, commitment)

    def file_record(
        self,
        subject: str,
        category: bytes,
        record_id: bytes,
        reason: str,
        *,
        salt: bytes | None = None,
    ) -> Reasoned:
        """Object, for ``subject``, to the latest anchored version of a record."""
        sender = self._signer("filing an objection")
        who = validate.address(subject)
        self._check_acts_for(who, sender.address)
        cat = validate.bytes32(category, "category")
        rid = validate.bytes32(record_id, "record id")
        anchors = self.connection.contract("AnchorRegistry")
        if bytes(anchors.functions.ownerOf(cat).call()) == ZERO32:
            raise _refuse("ObjectionTargetNotFound", target=cat)
        if int(anchors.functions.latestVersion(cat, rid).call()) == 0:
            raise _refuse("ObjectionTargetNotFound", target=rid)
        salt, commitment = self._commit(reason, salt)
        function = self.contract.functions.fileRecordObjection(who, cat, rid, commitment)
        return self._filed(function, salt, commitment)

    def withdraw(self, objection_id: bytes) -> Sent:
        sender = self._signer("withdrawing an objection")
        found = self._open(objection_id)
        self._check_acts_for(found.subject, sender.address)
        return Sent.of(self._send(self.contract.functions.withdraw(found.id), "withdrawing"))

    # --- the owner department: k-of-n signed decisions --------------------------------------

    @property
    def signatures_needed(self) -> int:
        """``SIGNATURES``: how many approvers sign a decision of a department for which the
        council set no threshold (:meth:`signatures_for`)."""
        return int(self.contract.functions.SIGNATURES().call())

    def signatures_for(self, department: bytes) -> int:
        """``thresholdOf``: how many of ``department``'s approvers sign each of its decisions."""
        raw = validate.bytes32(department, "department")
        return int(self.contract.functions.thresholdOf(raw).call())

    @property
    def domain(self) -> Domain:
        return decision_domain(int(self.w3.eth.chain_id), self.address)

    def sign_uphold(
        self, account: LocalAccount, objection_id: bytes, corrected_version: int, deadline: int
    ) -> SignedDecision:
        """``account`` signs to uphold: the attestation must be revoked, or
        ``corrected_version`` anchored above the version objected to."""
        found = self._open(objection_id)
        self._check_approver(found.owner, account.address)
        if found.kind == TargetKind.ATTESTATION:
            if int(self.attestations.contract.functions.getAttestation(found.target).call()[1]):
                raise _refuse("ObjectionNotRevoked", uid=found.target)
            if corrected_version:
                raise InvalidInput(
                    "corrected version", str(corrected_version), "0 for attestations"
                )
        else:
            anchors = self.connection.contract("AnchorRegistry")
            latest = int(anchors.functions.latestVersion(found.category, found.target).call())
            if not found.version < corrected_version <= latest:
                raise _refuse(
                    "ObjectionNotCorrected",
                    recordId=found.target,
                    version=corrected_version,
                    objected=found.version,
                    latest=latest,
                )
        return sign_decision(
            account,
            self.domain,
            found.id,
            uphold=True,
            deadline=deadline,
            corrected_version=corrected_version,
        )

    def sign_reject(
        self,
        account: LocalAccount,
        objection_id: bytes,
        reason: str,
        deadline: int,
        *,
        salt: bytes | None = None,
    ) -> SignedDecision:
        """``account`` signs to reject with ``reason``; a co-signer passes the first signer's
        ``salt`` (and the same text), so that all sign one commitment."""
        found = self._open(objection_id)
        self._check_approver(found.owner, account.address)
        salt, commitment = self._commit(reason, salt)
        return sign_decision(
            account,
            self.domain,
            found.id,
            uphold=False,
            deadline=deadline,
            reason_commitment=commitment,
            reason=reason,
            salt=salt,
        )

    def cosign(self, account: LocalAccount, like: SignedDecision) -> SignedDecision:
        """``account`` signs the same decision as ``like`` (a rejection's text is re-checked)."""
        if like.uphold:
            return self.sign_uphold(account, like.objection, like.corrected_version, like.deadline)
        if like.reason is None or like.salt is None:
            raise InvalidInput("signed decision", like.signer, "a rejection file lacks its reason")
        if reason_commitment(like.salt, like.reason) != like.reason_commitment:
            raise InvalidInput("signed decision", like.signer, "its reason does not match")
        return self.sign_reject(account, like.objection, like.reason, like.deadline, salt=like.salt)

    def decide(self, signed: Sequence[SignedDecision]) -> Sent:
        """Relay one decision's signatures (the owner's ``thresholdOf`` of them) as ``uphold`` or
        ``reject``."""
        self._signer("deciding an objection")
        ready = ordered(signed)
        first = ready[0]
        found = self._open(first.objection)
        for s in ready:
            self._check_approver(found.owner, s.signer)
        need = self.signatures_for(found.owner)
        if len(ready) != need:
            raise _refuse("ObjectionInsufficientSignatures", given=len(ready), required=need)
        signers = [s.signer for s in ready]
        signatures = [s.signature for s in ready]
        if first.uphold:
            function = self.contract.functions.uphold(
                found.id, first.corrected_version, first.deadline, signers, signatures
            )
        else:
            function = self.contract.functions.reject(
                found.id, first.reason_commitment, first.deadline, signers, signatures
            )
        return Sent.of(self._send(function, "deciding"))

    # --- reads ---------------------------------------------------------------------------

    def state(self, objection_id: bytes) -> ObjectionState:
        raw = validate.bytes32(objection_id, "objection id")
        return ObjectionState(int(self.contract.functions.state(raw).call()))

    def get(self, objection_id: bytes) -> Objection:
        raw = validate.bytes32(objection_id, "objection id")
        filed = self._logs("ObjectionFiled", id=raw)
        if not filed:
            raise NotFound("objection", hex32(raw), "see 'govchain objection list'")
        return self._objection(filed[0])

    def find(
        self,
        *,
        subject: str | None = None,
        owner: bytes | None = None,
        state: ObjectionState | None = None,
    ) -> list[Objection]:
        """Objections ever filed, oldest first, optionally by subject, owner or current state."""
        filters: dict[str, Any] = {}
        if subject is not None:
            filters["subject"] = validate.address(subject)
        if owner is not None:
            filters["owner"] = validate.bytes32(owner, "department")
        found = [self._objection(e) for e in self._logs("ObjectionFiled", **filters)]
        return [o for o in found if state is None or o.state == state]

    def overdue(self, owner: bytes | None = None) -> list[Objection]:
        """Open objections past their deadline: what ``govchain audit objections`` reports."""
        return self.find(owner=owner, state=ObjectionState.OVERDUE)

    def period_of(self, key: bytes) -> int:
        return int(self.contract.functions.periodOf(validate.bytes32(key, "key")).call())

    # --- internals -----------------------------------------------------------------------

    def _objection(self, event: EventData) -> Objection:
        args = event["args"]
        oid = bytes(args["id"])
        stored = self.contract.functions.objectionOf(oid).call()
        decided_by: ChecksumAddress | None = None
        signers: tuple[ChecksumAddress, ...] = ()
        decision_tx: str | None = None
        rejection: bytes | None = None
        state = self.state(oid)
        if state in (ObjectionState.UPHELD, ObjectionState.REJECTED, ObjectionState.WITHDRAWN):
            name = {
                ObjectionState.UPHELD: "ObjectionUpheld",
                ObjectionState.REJECTED: "ObjectionRejected",
                ObjectionState.WITHDRAWN: "ObjectionWithdrawn",
            }[state]
            for decision in self._logs(name, id=oid):
                decided_by = validate.address(decision["args"]["sender"])
                decision_tx = decision["transactionHash"].to_0x_hex()
                signers = tuple(validate.address(a) for a in decision["args"].get("signers", ()))
                if state == ObjectionState.REJECTED:
                    rejection = bytes(decision["args"]["reasonCommitment"])
        return Objection(
            id=oid,
            subject=validate.address(stored[0]),
            kind=TargetKind(int(stored[1])),
            state=state,
            filed_at=int(stored[3]),
            deadline=int(stored[4]),
            version=int(stored[5]),
            corrected_version=int(stored[6]),
            owner=bytes(stored[7]),
            target=bytes(stored[8]),
            category=bytes(stored[9]),
            reason_commitment=bytes(args["reasonCommitment"]),
            filer=validate.address(args["sender"]),
            filed_tx=event["transactionHash"].to_0x_hex(),
            decided_by=decided_by,
            signers=signers,
            decision_tx=decision_tx,
            rejection_commitment=rejection,
        )

    def _open(self, objection_id: bytes) -> Objection:
        found = self.get(objection_id)
        if found.state not in (ObjectionState.OPEN, ObjectionState.OVERDUE):
            raise _refuse("ObjectionNotOpen", id=found.id, status=found.state.label)
        return found

    def _check_acts_for(self, subject: ChecksumAddress, account: str) -> None:
        if self.citizens.owner(subject) != account and not self.citizens.valid_delegate(
            subject, account
        ):
            raise _refuse("ObjectionUnauthorizedFiler", subject=subject, caller=account)

    def _check_approver(self, owner: bytes, account: str) -> None:
        member = self.departments.member_of(account)
        current = member.department or ZERO32
        if current != owner:
            raise _refuse("ObjectionWrongDepartment", account=account, owner=owner, current=current)
        if not member.active:
            raise _refuse("ObjectionDepartmentInactive", owner=owner)
        if not member.roles & ROLE_APPROVER:
            raise _refuse("ObjectionNotApprover", account=account, owner=owner)

    @staticmethod
    def _commit(reason: str, salt: bytes | None) -> tuple[bytes, bytes]:
        if not reason.strip():
            raise InvalidInput("reason", reason, "a reason must not be empty")
        chosen = salt if salt is not None else os.urandom(32)
        return chosen, reason_commitment(chosen, reason)

    def _filed(self, function: Any, salt: bytes, commitment: bytes) -> Reasoned:
        receipt = self._send(function, "filing an objection")
        event = self._event(receipt, "ObjectionFiled")[0]
        return Reasoned(bytes(event["args"]["id"]), salt, commitment, Sent.of(receipt))


__all__ = [
    "DAY",
    "OBJECTION_EXPLANATIONS",
    "Objection",
    "ObjectionState",
    "Objections",
    "Reasoned",
    "TargetKind",
    "reason_commitment",
]
