"""The credential's format: its context and types, the signed ``GovchainCredential`` struct and
the message it signs, the salted field commitments and their root, and the refusals.

Part of :mod:`govchain.interop.vc` (the overview is there): building and signing are in
:mod:`govchain.interop.vc_issue`, verifying in :mod:`govchain.interop.vc_verify`, the
attestation and the signer's standing on chain in :mod:`govchain.interop.vc_standing`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_utils.crypto import keccak

from govchain.eip712 import Domain, message
from govchain.errors import GovchainError
from govchain.interop.did import parse_did
from govchain.interop.numbers import UINT64, whole

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
