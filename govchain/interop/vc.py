"""W3C Verifiable Credentials of attestations, with an EIP-712 proof and selective disclosure.

A credential says: department D attested (AttestationRegistry uid U) facts about the citizen
whose DID is the subject. Its parts:

* ``issuer``: the department, ``did:govchain:<chain hex>:<DepartmentRegistry>:<CODE>`` (a
  department has no key of its own; this identifier names the registry that says who its
  members are), with its name;
* ``credentialSubject``: ``id`` = the citizen's ``did:ethr``, ``fields`` = only the values the
  holder discloses;
* ``govchain``: the attestation uid, schema, on-chain ``dataHash``, the block the credential was
  made at, a salted commitment per field (``keccak256(salt ‖ name ‖ 0x00 ‖ value)``, salt 32
  random bytes) and the salts of the disclosed fields only;
* ``credentialStatus``: the attestation on chain (``isValid``/``getAttestation`` of
  AttestationRegistry): revocation and expiry are read there, never from the file;
* ``proof``: ``EthereumEip712Signature2021``-style, by a member of D, over the typed struct
  ``GovchainCredential`` (domain ``govchain credential``/1, chain id, AttestationRegistry) that
  binds uid, subject, schema, department, dataHash, the commitments' root, dates and block.
  The signature covers commitments, not values, so the holder can drop fields
  (:func:`disclose`) without the issuer.

What the chain proves and what only the member's signature says is in docs/interop.md: the
attestation (who, what schema, the data commitment, validity) is on chain; the link between
the field values and the on-chain ``dataHash`` is the signing member's statement. So the signer
must hold a role the schema lets attest (its ``roleMask``): a key that could not have made the
attestation cannot vouch for its values either. It must hold it at the credential's block and
also at the block verify reads, in an Active department, and never have been marked
compromised: the credential's block is a field the signer writes (nothing dates a signature),
so a key removed since could otherwise name an earlier block and keep signing (review s26 V-1).
A credential from a member who has left is re-exported by a current one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain.eip712 import Domain, message
from govchain.errors import GovchainError, InvalidInput
from govchain.identity.departments import DepartmentStatus
from govchain.interop.did import did_of, parse_did
from govchain.interop.membership import Standing, membership_at, standing
from govchain.interop.numbers import UINT64, whole
from govchain.timefmt import utc_iso

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.types import BlockIdentifier

    from govchain.network import Connection

CONTEXT = [
    "https://www.w3.org/2018/credentials/v1",
    "https://w3id.org/security/suites/eip712sig-2021/v1",
]
TYPES = ["VerifiableCredential", "GovchainAttestationCredential"]
PROOF_TYPE = "EthereumEip712Signature2021"
STATUS_TYPE = "GovchainAttestationStatus"
DOMAIN_NAME = "govchain credential"
CREDENTIAL = message(
    "GovchainCredential",
    [
        ("string", "id"),
        ("bytes32", "attestation"),
        ("address", "subject"),
        ("bytes32", "schema"),
        ("bytes32", "department"),
        ("bytes32", "dataHash"),
        ("bytes32", "fieldsRoot"),
        ("uint64", "issuedBlock"),
        ("uint64", "issuanceDate"),
        ("uint64", "expirationDate"),
    ],
)
_TOP = {
    "@context", "type", "id", "issuer", "issuanceDate", "expirationDate", "credentialSubject",
    "credentialStatus", "govchain", "proof",
}  # fmt: skip


class CredentialRefused(GovchainError):
    """A credential that must not be relied on, with the reason (exit 1)."""

    prefix = "credential refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.prefix}: {reason}")
        self.reason = reason


class CredentialNotVerified(CredentialRefused):
    """:func:`verify`'s refusal: the credential is NOT VERIFIED, for the reason given (exit 1)."""

    prefix = "credential NOT VERIFIED"


def _hex(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


def _b32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(str(value)[2:]) if str(value).startswith("0x") else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise CredentialRefused(f"{what} is not 32 bytes of 0x-hex")
    return raw


def _unix(text: Any, what: str) -> int:
    try:
        when = int(
            datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        )
    except ValueError:
        raise CredentialRefused(f"{what} is not an ISO time like 2026-01-31T08:00:00Z") from None
    if when < 0:  # the struct signs a uint64; years stop at 9999, far below its top
        raise CredentialRefused(f"{what} {text} is before 1970-01-01T00:00:00Z")
    return when


def commitment(name: str, value: str, salt: bytes) -> bytes:
    """The salted commitment to one field: ``keccak256(salt ‖ name ‖ 0x00 ‖ value)``."""
    return keccak(salt + name.encode() + b"\0" + value.encode())


def fields_root(commitments: dict[str, str]) -> bytes:
    """``keccak256`` over the fields in name order: ``keccak256(name) ‖ commitment`` each."""
    parts = b"".join(
        keccak(text=n) + _b32(commitments[n], f"commitment {n}") for n in sorted(commitments)
    )
    return keccak(parts)


def department_did(chain_id: int, registry: str, code: str) -> str:
    return f"did:govchain:{hex(chain_id)}:{registry.lower()}:{code}"


def _domain(chain_id: int, registry: str) -> Domain:
    return Domain(DOMAIN_NAME, chain_id, registry)


def _message(vc: dict[str, Any], department: bytes) -> dict[str, Any]:
    extra = vc["govchain"]
    _, subject = parse_did(str(vc["credentialSubject"]["id"]))
    expires = vc.get("expirationDate")
    return {
        "id": str(vc["id"]),
        "attestation": _b32(extra["attestation"], "attestation uid"),
        "subject": subject,
        "schema": _b32(extra["schema"], "schema"),
        "department": department,
        "dataHash": _b32(extra["dataHash"], "data hash"),
        "fieldsRoot": fields_root(dict(extra["commitments"])),
        "issuedBlock": whole(extra["issuedBlock"], "issuedBlock", 0, UINT64, CredentialRefused),
        "issuanceDate": _unix(vc["issuanceDate"], "issuanceDate"),
        "expirationDate": _unix(expires, "expirationDate") if expires else 0,
    }


@dataclass(frozen=True)
class Attested:
    """An attestation as its ``Attested`` event says."""

    subject: str
    department: bytes
    schema: bytes
    data_hash: bytes
    expiry: int
    block: int


def attested(
    connection: Connection, uid: bytes, subject: str | None = None, department: bytes | None = None
) -> Attested | None:
    """The ``Attested`` event of ``uid`` (one log query; narrowed by the indexed subject and
    department when the caller knows them), or ``None``."""
    filters: dict[str, Any] = {}
    if subject is not None:
        filters["subject"] = subject
    if department is not None:
        filters["department"] = department
    events = connection.contract("AttestationRegistry").events.Attested()
    for log in events.get_logs(
        from_block=connection.deployment.deploy_block, argument_filters=filters or None
    ):
        args = log["args"]
        if bytes(args["uid"]) == uid:
            return Attested(
                to_checksum_address(args["subject"]),
                bytes(args["department"]),
                bytes(args["schema"]),
                bytes(args["dataHash"]),
                int(args["expiry"]),
                int(log["blockNumber"]),
            )
    return None


def schema_roles(connection: Connection, schema: bytes, block: BlockIdentifier = "latest") -> int:
    """The schema's ``roleMask``: the roles any one of which may attest under it.

    Read at the latest block, and that is the mask at every block since the schema existed:
    SchemaRegistry writes a schema's rules once (``registerSchema`` refuses a second
    registration, ``SchemaAlreadyRegistered``) and has no function that changes them; the mask
    is even part of the schema's uid (``keccak256(abi.encode(fieldsHash, roleMask, department,
    revocable))``). A state read of ``latest`` (or a recent ``block``) needs no archive node."""
    view = (
        connection.contract("AttestationRegistry")
        .functions.getSchema(schema)
        .call(block_identifier=block)
    )
    return int(view[3])


def _roles_text(mask: int) -> str:
    from govchain.identity.base import role_names

    return " or ".join(role_names(mask)) or "none"


def issue(
    connection: Connection,
    signer: LocalAccount,
    uid: bytes,
    fields: dict[str, str],
    disclose: set[str] | None = None,
) -> dict[str, Any]:
    """A credential of attestation ``uid`` with ``fields``, signed by ``signer`` (an active
    member of the issuing department holding a role the schema lets attest), disclosing
    ``disclose`` (default: every field)."""
    from govchain.identity.base import code_text

    found = attested(connection, uid)
    if found is None:
        raise CredentialRefused(f"attestation {_hex(uid)} was never made")
    registry_contract = connection.contract("AttestationRegistry")
    if not registry_contract.functions.isValid(uid).call():
        _expiry, issued_at, *_ = registry_contract.functions.getAttestation(uid).call()
        raise CredentialRefused(
            f"attestation {_hex(uid)} is {'revoked' if int(issued_at) == 0 else 'expired'}"
        )
    departments = connection.contract("DepartmentRegistry")
    dept, roles, active = departments.functions.memberOf(signer.address).call()
    if bytes(dept) != found.department or not active:
        raise CredentialRefused(
            f"{signer.address} is not an active member of {code_text(found.department)}"
        )
    needed = schema_roles(connection, found.schema)
    if int(roles) & needed == 0:
        raise CredentialRefused(
            f"{signer.address} holds no role that may attest schema {_hex(found.schema)} "
            f"(it needs {_roles_text(needed)})"
        )
    unknown = (disclose or set()) - set(fields)
    if unknown:
        raise CredentialRefused(f"no field named {', '.join(sorted(unknown))}")
    shown = set(fields) if disclose is None else disclose
    salts = {name: os.urandom(32) for name in fields}
    commitments = {n: _hex(commitment(n, v, salts[n])) for n, v in fields.items()}
    latest = connection.w3.eth.get_block("latest")
    chain_id = connection.chain_id
    registry = connection.deployment.address("AttestationRegistry")
    code = code_text(found.department)
    vc: dict[str, Any] = {
        "@context": list(CONTEXT),
        "type": list(TYPES),
        "id": f"urn:govchain:{chain_id}:attestation:{_hex(uid)}",
        "issuer": {
            "id": department_did(chain_id, departments.address, code),
            "name": departments.functions.department(found.department).call()[1],
        },
        "issuanceDate": utc_iso(int(latest["timestamp"])),
        "credentialSubject": {
            "id": did_of(chain_id, found.subject),
            "fields": {n: fields[n] for n in sorted(shown)},
        },
        "credentialStatus": {
            "id": f"eip155:{chain_id}:{registry}#{_hex(uid)}",
            "type": STATUS_TYPE,
            "statusPurpose": "revocation",
            "registry": registry,
            "attestation": _hex(uid),
        },
        "govchain": {
            "attestation": _hex(uid),
            "schema": _hex(found.schema),
            "dataHash": _hex(found.data_hash),
            "issuedBlock": int(latest["number"]),
            "commitments": commitments,
            "salts": {n: _hex(salts[n]) for n in sorted(shown)},
        },
    }
    if found.expiry:
        vc["expirationDate"] = utc_iso(found.expiry)
    domain = _domain(chain_id, registry)
    body = _message(vc, found.department)
    signature = CREDENTIAL.sign(signer.key, domain, body)
    vc["proof"] = {
        "type": PROOF_TYPE,
        "created": vc["issuanceDate"],
        "proofPurpose": "assertionMethod",
        "verificationMethod": did_of(chain_id, signer.address) + "#controller",
        "proofValue": _hex(signature),
        "eip712": {
            "domain": domain.as_dict(),
            "types": {k: list(v) for k, v in CREDENTIAL.types.items()},
            "primaryType": CREDENTIAL.primary_type,
        },
    }
    return vc


def disclose(vc: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """The same credential disclosing only ``keep`` (the proof stays valid: it signs commitments)."""
    shown = vc["credentialSubject"].get("fields", {})
    missing = keep - set(shown)
    if missing:
        raise CredentialRefused(f"the credential does not disclose {', '.join(sorted(missing))}")
    out = {
        **vc,
        "credentialSubject": dict(vc["credentialSubject"]),
        "govchain": dict(vc["govchain"]),
    }
    out["credentialSubject"]["fields"] = {n: v for n, v in shown.items() if n in keep}
    out["govchain"]["salts"] = {n: s for n, s in vc["govchain"]["salts"].items() if n in keep}
    return out


def verify(connection: Connection, vc: dict[str, Any]) -> dict[str, Any]:
    """Check ``vc``: its shape, each disclosed field against its commitment, the EIP-712 proof,
    and on chain the attestation, the signer's standing (a member of the issuer with a role the
    schema lets attest at the credential's block, still one at the latest block in an Active
    department, never marked compromised), revocation and expiry. Every state read is of the
    one latest block read first. :class:`CredentialNotVerified` names the first failure."""
    try:
        return _verify(connection, vc)
    except CredentialRefused as exc:
        raise CredentialNotVerified(exc.reason) from None
    except InvalidInput as exc:  # a malformed DID in the file: the file's fault, not the caller's
        raise CredentialNotVerified(f"malformed credential ({exc})") from None
    except (KeyError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, GovchainError):
            raise
        raise CredentialNotVerified(
            f"malformed credential ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None


def _standing_now(now: Standing, signer: str, department: bytes, needed: int, block: int) -> None:
    """Refuse a signer who no longer stands where its credential's block says it stood: a
    signature cannot be dated, so a key's word counts only while the key still holds the right
    (DESIGN invariant 2, rights re-checked when they take effect)."""
    from govchain.identity.base import code_text

    code = code_text(department)
    again = f"ask a current member of {code} to re-export the credential"
    if now.department != department:
        raise CredentialRefused(
            f"signer {signer} is no longer an active member of {code} (block {block}): {again}"
        )
    if now.status != DepartmentStatus.ACTIVE:
        raise CredentialRefused(
            f"department {code} is {now.status.label} (block {block}): its credentials are not "
            "relied on until the council reinstates it"
        )
    if now.roles & needed == 0:
        raise CredentialRefused(
            f"signer {signer} no longer holds a role of {code} that may attest this schema "
            f"(block {block}; it needs {_roles_text(needed)}): {again}"
        )


def _verify(connection: Connection, vc: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(vc, dict) or vc.get("type") != TYPES or vc.get("@context") != CONTEXT:
        raise CredentialRefused("not a govchain attestation credential")
    extra_keys = set(vc) - _TOP
    if extra_keys:
        raise CredentialRefused(f"unsigned content {', '.join(sorted(extra_keys))}")
    subject = vc["credentialSubject"]
    if set(subject) - {"id", "fields"}:
        raise CredentialRefused("credentialSubject holds more than id and fields")
    extra = vc["govchain"]
    commitments, salts, shown = (
        dict(extra["commitments"]),
        dict(extra["salts"]),
        dict(subject["fields"]),
    )
    if set(shown) != set(salts) or not set(shown) <= set(commitments):
        raise CredentialRefused("disclosed fields and their salts do not match the commitments")
    for name, value in shown.items():
        if (
            _hex(commitment(name, str(value), _b32(salts[name], f"salt {name}")))
            != commitments[name]
        ):
            raise CredentialRefused(f"field {name!r} does not match its commitment (altered)")
    chain_id, registry_address = (
        connection.chain_id,
        connection.deployment.address("AttestationRegistry"),
    )
    parts = str(vc["issuer"]["id"]).split(":")
    departments = connection.contract("DepartmentRegistry")
    if (
        len(parts) != 5
        or department_did(chain_id, departments.address, parts[4]) != vc["issuer"]["id"]
    ):
        raise CredentialRefused(f"issuer {vc['issuer']['id']} is not a department of this chain")
    department = parts[4].encode().ljust(32, b"\0")
    status = vc["credentialStatus"]
    if status.get("type") != STATUS_TYPE or str(status.get("registry")) != registry_address:
        raise CredentialRefused(
            "credentialStatus does not point at this chain's AttestationRegistry"
        )
    if status.get("attestation") != extra["attestation"]:
        raise CredentialRefused("credentialStatus names another attestation")
    proof = vc["proof"]
    if proof.get("type") != PROOF_TYPE:
        raise CredentialRefused(f"proof type is not {PROOF_TYPE}")
    body = _message(vc, department)
    full = CREDENTIAL.full_message(_domain(chain_id, registry_address), body)
    signature = bytes.fromhex(str(proof["proofValue"])[2:])
    try:
        signer = Account.recover_message(encode_typed_data(full_message=full), signature=signature)
    except Exception:
        raise CredentialRefused("the proof's signature is malformed") from None
    method_chain, method_address = parse_did(str(proof["verificationMethod"]))
    if method_chain != chain_id or to_checksum_address(signer) != method_address:
        raise CredentialRefused("the proof was not signed by its verificationMethod (altered?)")
    # on chain, everything as of one block: the latest when verify starts
    from govchain.identity.base import code_text

    w3 = connection.w3
    head = w3.eth.get_block("latest")
    at = int(head["number"])
    signer_now = standing(connection, method_address, at)
    if signer_now.compromised_since:  # whatever block the credential names
        raise CredentialRefused(
            f"signer {method_address} was marked compromised by the council at "
            f"{utc_iso(signer_now.compromised_since)}: nothing it signs is relied on, whatever "
            f"block the credential names; ask a current member of {code_text(department)} to "
            "re-export the credential"
        )
    uid = body["attestation"]
    found = attested(connection, uid, subject=body["subject"], department=department)
    if found is None or found.block > at:
        raise CredentialRefused(f"attestation {_hex(uid)} is not on this chain")
    if (
        found.subject != body["subject"]
        or found.department != department
        or found.schema != body["schema"]
        or found.data_hash != body["dataHash"]
    ):
        raise CredentialRefused("the credential's attestation terms differ from the chain's")
    issued_block = int(body["issuedBlock"])
    if issued_block > at or issued_block < found.block:
        raise CredentialRefused(f"issued at block {issued_block}, outside the attestation's life")
    if int(w3.eth.get_block(issued_block)["timestamp"]) != body["issuanceDate"]:
        raise CredentialRefused("issuanceDate is not the time of its block")
    # from the registry's events, not memberOf at that block: holds on a full node (no archive)
    member = membership_at(connection, method_address, issued_block)
    if member.department != department or not member.active:
        raise CredentialRefused(
            f"{method_address} was not an active member of {code_text(department)} at block {issued_block}"
        )
    needed = schema_roles(connection, found.schema, at)
    if member.roles & needed == 0:
        raise CredentialRefused(
            f"{method_address} held no role that may attest schema {_hex(found.schema)} at block "
            f"{issued_block} (it needs {_roles_text(needed)})"
        )
    # and still now: the credential's block is the signer's word, a signature has no date
    _standing_now(signer_now, method_address, department, needed, at)
    registry = connection.contract("AttestationRegistry")
    expiry, issued_at, *_ = registry.functions.getAttestation(uid).call(block_identifier=at)
    if int(issued_at) == 0:
        raise CredentialRefused(f"attestation {_hex(uid)} is revoked on chain")
    now = int(head["timestamp"])
    if (body["expirationDate"] and body["expirationDate"] <= now) or not registry.functions.isValid(
        uid
    ).call(block_identifier=at):
        raise CredentialRefused(f"expired at {utc_iso(int(expiry) or body['expirationDate'])}")
    return {
        "verified": True,
        "issuer": vc["issuer"]["id"],
        "department": code_text(department),
        "signer": method_address,
        "signer_roles": _roles_text(member.roles & signer_now.roles & needed),
        "subject": subject["id"],
        "attestation": _hex(uid),
        "issued_block": issued_block,
        "checked_block": at,
        "disclosed": sorted(shown),
        "withheld": sorted(set(commitments) - set(shown)),
        "expires": vc.get("expirationDate"),
    }
