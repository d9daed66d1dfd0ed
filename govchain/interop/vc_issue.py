"""Building and signing a credential (:func:`issue`) and selective disclosure by its holder
(:func:`disclose`).

Part of :mod:`govchain.interop.vc` (the overview is there).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from govchain.interop.did import did_of
from govchain.interop.vc_format import (
    CONTEXT,
    CREDENTIAL,
    PROOF_TYPE,
    STATUS_TYPE,
    TYPES,
    CredentialRefused,
    _domain,
    _hex,
    _message,
    commitment,
    department_did,
)
from govchain.interop.vc_standing import _roles_text, attested, schema_roles
from govchain.timefmt import utc_iso

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from govchain.network import Connection


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
    """The same credential disclosing only ``keep`` (the proof stays valid: it signs commitments).

    A file that is not a govchain attestation credential, or whose subject, fields or salts are
    not objects, is refused as :func:`~govchain.interop.vc.verify` refuses it."""
    if not isinstance(vc, dict) or vc.get("type") != TYPES or vc.get("@context") != CONTEXT:
        raise CredentialRefused("not a govchain attestation credential")
    subject, extra = vc.get("credentialSubject"), vc.get("govchain")
    if not isinstance(subject, dict) or not isinstance(extra, dict):
        raise CredentialRefused("malformed credential (credentialSubject or govchain)")
    shown = subject.get("fields", {})
    if not isinstance(shown, dict) or not isinstance(extra.get("salts"), dict):
        raise CredentialRefused("malformed credential (fields or salts are not objects)")
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
