"""Verifying a credential (:func:`verify`): its shape, the disclosed fields against their
commitments, the EIP-712 proof, and on chain the attestation, the signer's standing at the
credential's block and at the latest block, revocation and expiry.

Part of :mod:`govchain.interop.vc` (the overview is there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from govchain.errors import GovchainError, InvalidInput
from govchain.interop.did import parse_did
from govchain.interop.membership import membership_at, standing
from govchain.interop.vc_format import (
    _TOP,
    CONTEXT,
    CREDENTIAL,
    PROOF_TYPE,
    STATUS_TYPE,
    TYPES,
    CredentialNotVerified,
    CredentialRefused,
    _b32,
    _domain,
    _hex,
    _message,
    commitment,
    department_did,
)
from govchain.interop.vc_standing import _roles_text, _standing_now, attested, schema_roles
from govchain.timefmt import utc_iso

if TYPE_CHECKING:
    from govchain.network import Connection


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


def _verify(connection: Connection, vc: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(vc, dict) or vc.get("type") != TYPES or vc.get("@context") != CONTEXT:
        raise CredentialRefused("not a govchain attestation credential")
    extra_keys = set(vc) - _TOP
    if extra_keys:
        # named as Python writes them (repr): a key is the forger's text (review s28 L-6)
        raise CredentialRefused(f"unsigned content {', '.join(map(repr, sorted(extra_keys)))}")
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
        raise CredentialRefused(f"issuer {vc['issuer']['id']!r} is not a department of this chain")
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
