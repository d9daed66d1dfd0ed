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

The code is split by concern, all of it re-exported here (``from govchain.interop.vc import
...`` is the public way in): the format, commitments and refusals
(:mod:`govchain.interop.vc_format`), building, signing and disclosure
(:mod:`govchain.interop.vc_issue`), verifying (:mod:`govchain.interop.vc_verify`), and the
attestation and the signer's standing on chain (:mod:`govchain.interop.vc_standing`).
"""

from __future__ import annotations

from govchain.interop.vc_format import (
    _TOP,
    CONTEXT,
    CREDENTIAL,
    DOMAIN_NAME,
    PROOF_TYPE,
    STATUS_TYPE,
    TYPES,
    CredentialNotVerified,
    CredentialRefused,
    _b32,
    _domain,
    _hex,
    _message,
    _unix,
    commitment,
    department_did,
    fields_root,
)
from govchain.interop.vc_issue import disclose, issue
from govchain.interop.vc_standing import (
    Attested,
    _roles_text,
    _standing_now,
    attested,
    schema_roles,
)
from govchain.interop.vc_verify import _verify, verify

__all__ = [
    "CONTEXT",
    "CREDENTIAL",
    "DOMAIN_NAME",
    "PROOF_TYPE",
    "STATUS_TYPE",
    "TYPES",
    "_TOP",
    "Attested",
    "CredentialNotVerified",
    "CredentialRefused",
    "_b32",
    "_domain",
    "_hex",
    "_message",
    "_roles_text",
    "_standing_now",
    "_unix",
    "_verify",
    "attested",
    "commitment",
    "department_did",
    "disclose",
    "fields_root",
    "issue",
    "schema_roles",
    "verify",
]
