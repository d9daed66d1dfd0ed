"""Trusted data sharing: catalog codes, grant messages, Merkle anchors.

- :mod:`govchain.sharing.catalog` — category codes, sharing classes, legal bases.
- :mod:`govchain.sharing.messages` — EIP-712 ``Grant`` and ``GrantConsent`` messages and the
  grant id (the struct hash AccessGrants keys its storage by).
- :mod:`govchain.sharing.merkle` — salted content hashes, record leaves, Merkle trees and
  proofs matching ``AnchorRegistry`` and OpenZeppelin ``MerkleProof``.
"""

from govchain.sharing.catalog import LegalBasis, SharingClass, category_code
from govchain.sharing.merkle import (
    MerkleTree,
    leaf_hash,
    new_salt,
    process_proof,
    salted_content_hash,
    verify_proof,
)
from govchain.sharing.messages import GRANT, GRANT_CONSENT, consent_message, grant_id, grant_tuple

__all__ = [
    "GRANT",
    "GRANT_CONSENT",
    "LegalBasis",
    "MerkleTree",
    "SharingClass",
    "category_code",
    "consent_message",
    "grant_id",
    "grant_tuple",
    "leaf_hash",
    "new_salt",
    "process_proof",
    "salted_content_hash",
    "verify_proof",
]
