"""Client of ``AttestationRegistry`` (and its ``SchemaRegistry``): the citizen's credit file.

Schemas say what an attestation's data hash commits to (``fieldsHash``), which department
roles may attest under them (optionally one department only) and whether they may be revoked.
Attestations carry a salted commitment (:func:`~govchain.identity.messages.salted_hash`),
never personal data; :meth:`Attestations.verify` checks exists, not revoked, not expired.

Checks before sending: the sender is a member of an active department (an ADMIN for schemas);
the schema exists and lets the sender's department and roles attest; the expiry is zero or in
the future; a referenced attestation is valid; an attestation to revoke exists, its schema is
revocable and the sender's department issued it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.exceptions import ContractLogicError

from govchain import validate
from govchain.errors import NotFound
from govchain.identity.base import (
    ROLE_ADMIN,
    ZERO32,
    ContractClient,
    Refused,
    Sent,
    code_text,
    hex32,
    iso_time,
    role_names,
)
from govchain.identity.departments import Departments
from govchain.identity.messages import ATTEST, attestation_domain, department_tag
from govchain.network import Connection
from govchain.tx import Sender


@dataclass(frozen=True)
class Schema:
    uid: bytes
    fields_hash: bytes
    department: bytes
    role_mask: int
    revocable: bool
    registrant: ChecksumAddress

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": hex32(self.uid),
            "fields_hash": hex32(self.fields_hash),
            "department": code_text(self.department) if self.department != ZERO32 else None,
            "role_mask": self.role_mask,
            "roles": role_names(self.role_mask),
            "revocable": self.revocable,
            "registrant": self.registrant,
        }


@dataclass(frozen=True)
class Attestation:
    """An attestation as its ``Attested`` event says, and whether it is valid now."""

    uid: bytes
    subject: ChecksumAddress
    department: bytes
    schema: bytes
    attester: ChecksumAddress
    data_hash: bytes
    expiry: int
    ref_uid: bytes
    block: int
    tx_hash: str
    valid: bool
    revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": hex32(self.uid),
            "subject": self.subject,
            "department": code_text(self.department),
            "schema": hex32(self.schema),
            "attester": self.attester,
            "data_hash": hex32(self.data_hash),
            "expiry": self.expiry,
            "expires_at": iso_time(self.expiry),
            "ref_uid": hex32(self.ref_uid),
            "block": self.block,
            "tx_hash": self.tx_hash,
            "valid": self.valid,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class Verification:
    """The answer to "may I rely on attestation ``uid``?" and why."""

    uid: bytes
    valid: bool
    reason: str
    expiry: int
    issued_at: int
    revocable: bool
    attestation: Attestation | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": hex32(self.uid),
            "valid": self.valid,
            "reason": self.reason,
            "expiry": self.expiry,
            "issued_at": self.issued_at,
            "revocable": self.revocable,
            "attestation": self.attestation.as_dict() if self.attestation else None,
        }


@dataclass(frozen=True)
class Attested:
    """An attestation just made: its uid and the transaction."""

    uid: bytes
    sent: Sent

    def as_dict(self) -> dict[str, Any]:
        return {"uid": hex32(self.uid), **self.sent.as_dict()}


@dataclass(frozen=True)
class SignedAttestation:
    """A member's EIP-712 ``Attest`` for its department, relayed by anyone through ``attestBySig``.

    The message names the department: the signature carries that department's authority only,
    and only while the attester is still an active member of it when it is relayed.
    """

    attester: ChecksumAddress
    department: bytes
    subject: ChecksumAddress
    schema: bytes
    data_hash: bytes
    expiry: int
    ref_uid: bytes
    deadline: int
    signature: bytes


class Attestations(ContractClient):
    """``AttestationRegistry`` for department members, subjects and verifiers."""

    NAME = "AttestationRegistry"

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        super().__init__(connection, sender)
        self.departments = Departments(connection, sender)

    # --- schemas -------------------------------------------------------------------------

    def schema(self, uid: bytes) -> Schema:
        """Schema ``uid``; :class:`NotFound` (exit 2) if none is registered."""
        raw = validate.bytes32(uid, "schema uid")
        try:
            view = self.contract.functions.getSchema(raw).call()
        except ContractLogicError:
            raise NotFound("schema", hex32(raw), "see 'govchain attest schema list'") from None
        return Schema(
            bytes(view[0]),
            bytes(view[1]),
            bytes(view[2]),
            int(view[3]),
            bool(view[4]),
            validate.address(view[5]),
        )

    def schemas(self) -> list[Schema]:
        return [self.schema(bytes(e["args"]["uid"])) for e in self._logs("SchemaRegistered")]

    def register_schema(
        self, fields_hash: bytes, role_mask: int, department: bytes = ZERO32, revocable: bool = True
    ) -> Attested:
        """Register a schema (an ADMIN of an active department); returns its uid."""
        sender = self._signer("registering a schema")
        member = self.departments.member_of(sender.address)
        if member.department is None or not member.active or member.roles & ROLE_ADMIN == 0:
            raise Refused(f"{sender.address} is not an ADMIN of an active department")
        if department != ZERO32:
            self.departments.require(department)
        function = self.contract.functions.registerSchema(
            validate.bytes32(fields_hash, "fields hash"), role_mask, department, revocable
        )
        receipt = self._send(function, "registering a schema")
        uid = bytes(self._event(receipt, "SchemaRegistered")[0]["args"]["uid"])
        return Attested(uid, Sent.of(receipt))

    # --- attest and revoke ---------------------------------------------------------------

    def _check_attester(self, attester: str, schema_uid: bytes, expiry: int, ref: bytes) -> bytes:
        """The attester's department, after the checks the contract makes."""
        member = self.departments.member_of(attester)
        if member.department is None or not member.active:
            raise Refused(f"{member.account} is not a member of an active department")
        schema = self.schema(schema_uid)
        if not self.contract.functions.canAttest(
            schema.uid, member.department, member.roles
        ).call():
            who = code_text(member.department)
            roles = ", ".join(role_names(member.roles))
            raise Refused(
                f"a member of {who} with roles {roles} may not attest under schema "
                f"{hex32(schema.uid)} (it needs {', '.join(role_names(schema.role_mask))}"
                + (f" of {code_text(schema.department)}" if schema.department != ZERO32 else "")
                + ")"
            )
        if expiry and expiry <= self.now():
            raise Refused(f"expiry {iso_time(expiry)} is in the past")
        if ref != ZERO32 and not self.is_valid(ref):
            raise Refused(f"referenced attestation {hex32(ref)} is not valid")
        return member.department

    def attest(
        self,
        subject: str,
        schema: bytes,
        data_hash: bytes,
        expiry: int = 0,
        ref_uid: bytes = ZERO32,
    ) -> Attested:
        """Attest ``data_hash`` (a salted commitment) about ``subject`` for the sender's department."""
        sender = self._signer("attesting")
        self._check_attester(sender.address, schema, expiry, ref_uid)
        function = self.contract.functions.attest(
            validate.address(subject),
            schema,
            validate.bytes32(data_hash, "data hash"),
            expiry,
            ref_uid,
        )
        receipt = self._send(function, "attesting")
        uid = bytes(self._event(receipt, "Attested")[0]["args"]["uid"])
        return Attested(uid, Sent.of(receipt))

    def sign_attestation(
        self,
        attester: LocalAccount,
        subject: str,
        schema: bytes,
        data_hash: bytes,
        deadline: int,
        expiry: int = 0,
        ref_uid: bytes = ZERO32,
    ) -> SignedAttestation:
        """``attester``'s signed attestation for a relayer (reads the nonce, sends nothing).

        The message names the attester's current department (see :class:`SignedAttestation`).
        """
        department = self._check_attester(attester.address, schema, expiry, ref_uid)
        nonce = int(self.contract.functions.nonces(attester.address).call())
        message = {
            "attester": attester.address,
            "department": department,
            "subject": validate.address(subject),
            "schema": schema,
            "dataHash": data_hash,
            "expiry": expiry,
            "refUID": ref_uid,
            "nonce": nonce,
            "deadline": deadline,
        }
        domain = attestation_domain(self.connection.chain_id, self.address)
        signature = ATTEST.sign(attester.key, domain, message)
        return SignedAttestation(
            validate.address(attester.address),
            department,
            validate.address(subject),
            schema,
            data_hash,
            expiry,
            ref_uid,
            deadline,
            signature,
        )

    def attest_by_sig(self, signed: SignedAttestation) -> Attested:
        """Relay a signed attestation (the sender pays; the attester signed)."""
        request = (signed.subject, signed.schema, signed.data_hash, signed.expiry, signed.ref_uid)
        function = self.contract.functions.attestBySig(
            signed.attester, signed.department, request, signed.deadline, signed.signature
        )
        receipt = self._send(function, "relaying an attestation")
        uid = bytes(self._event(receipt, "Attested")[0]["args"]["uid"])
        return Attested(uid, Sent.of(receipt))

    def revoke(self, uid: bytes) -> Sent:
        """Revoke ``uid`` (a member of the issuing department holding one of the schema's roles)."""
        sender = self._signer("revoking")
        raw = validate.bytes32(uid, "attestation uid")
        record = self.contract.functions.getAttestation(raw).call()
        if int(record[1]) == 0:
            if self.event(raw) is None:
                raise NotFound("attestation", hex32(raw))
            raise Refused(f"attestation {hex32(raw)} was revoked already")
        if not record[3]:
            raise Refused(f"attestation {hex32(raw)}'s schema does not allow revocation")
        member = self.departments.member_of(sender.address)
        if member.department is None or department_tag(member.department) != bytes(record[4]):
            raise Refused(f"{sender.address} is not a member of the department that issued it")
        return Sent.of(self._send(self.contract.functions.revoke(raw), "revoking"))

    # --- the council's clean-up of a suspended or retired department ------------------------

    def issued_by(
        self, department: bytes, attester: str | None = None, since: int = 0
    ) -> list[Attestation]:
        """The still-valid attestations of ``department`` (by ``attester`` if given) issued at or
        after unix time ``since``: what a compromised key made after its compromise."""
        found = []
        for attestation in self._attestations(
            department=validate.bytes32(department, "department")
        ):
            if not attestation.valid:
                continue
            if attester is not None and attestation.attester != validate.address(attester):
                continue
            if since and self._block_time(attestation.block) < since:
                continue
            found.append(attestation)
        return found

    def council_revoke_call(self, department: bytes, uids: list[bytes]) -> tuple[str, bytes]:
        """``(target, calldata)`` of ``councilRevoke(department, uids)``, for a council proposal
        (the department must be Suspended or Retired when the proposal executes)."""
        data = self.contract.encode_abi(
            "councilRevoke",
            [
                validate.bytes32(department, "department"),
                [validate.bytes32(u, "uid") for u in uids],
            ],
        )
        return validate.address(self.address), bytes.fromhex(data[2:])

    def _block_time(self, block: int) -> int:
        return int(self.connection.w3.eth.get_block(block)["timestamp"])

    # --- reads ---------------------------------------------------------------------------

    def is_valid(self, uid: bytes) -> bool:
        return bool(self.contract.functions.isValid(validate.bytes32(uid, "uid")).call())

    def event(self, uid: bytes) -> Attestation | None:
        """The attestation ``uid`` as its ``Attested`` event says (``None`` if never made)."""
        raw = validate.bytes32(uid, "attestation uid")
        for attestation in self._attestations():
            if attestation.uid == raw:
                return attestation
        return None

    def verify(self, uid: bytes) -> Verification:
        """Whether ``uid`` exists, is not revoked and not expired, and why not if not."""
        raw = validate.bytes32(uid, "attestation uid")
        found = self.event(raw)
        if found is None:
            raise NotFound("attestation", hex32(raw))
        expiry, issued_at, _mask, revocable, _tag = self.contract.functions.getAttestation(
            raw
        ).call()
        valid = self.is_valid(raw)
        if valid:
            reason = "valid"
        elif int(issued_at) == 0:
            reason = "revoked"
        else:
            reason = f"expired at {iso_time(int(expiry))}"
        return Verification(
            raw, valid, reason, int(found.expiry), int(issued_at), bool(revocable), found
        )

    def _attestations(self, **filters: Any) -> list[Attestation]:
        revoked = {bytes(e["args"]["uid"]) for e in self._logs("Revoked")}
        found = []
        for event in self._logs("Attested", **filters):
            args = event["args"]
            uid = bytes(args["uid"])
            found.append(
                Attestation(
                    uid=uid,
                    subject=validate.address(args["subject"]),
                    department=bytes(args["department"]),
                    schema=bytes(args["schema"]),
                    attester=validate.address(args["attester"]),
                    data_hash=bytes(args["dataHash"]),
                    expiry=int(args["expiry"]),
                    ref_uid=bytes(args["refUID"]),
                    block=int(event["blockNumber"]),
                    tx_hash=event["transactionHash"].to_0x_hex(),
                    valid=self.is_valid(uid),
                    revoked=uid in revoked,
                )
            )
        return found

    def about(self, subject: str) -> list[Attestation]:
        """Every attestation ever made about ``subject`` (its credit file), oldest first."""
        return self._attestations(subject=validate.address(subject))
