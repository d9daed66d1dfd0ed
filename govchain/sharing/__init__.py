"""Trusted data sharing: catalog codes, grant messages, Merkle anchors.

- :mod:`govchain.sharing.catalog` — category codes, sharing classes, legal bases.
- :mod:`govchain.sharing.messages` — EIP-712 ``Grant`` and ``GrantConsent`` messages and the
  grant id (the struct hash AccessGrants keys its storage by).
- :mod:`govchain.sharing.merkle` — record hashes, salted hashes, record leaves, Merkle trees and
  proofs matching ``AnchorRegistry`` and OpenZeppelin ``MerkleProof``.
- :mod:`govchain.sharing.anchors` — client of ``AnchorRegistry`` (= ``DataCatalog``): catalog
  entries, record and Merkle-batch anchors, their verification.
- :mod:`govchain.sharing.terms` — value types: grant terms and states, access records, share
  request terms (no chain access).
- :mod:`govchain.sharing.consent` — a consent signed off line and its file form.
- :mod:`govchain.sharing.status` — ``AccessGrants.accessStatus``: the access rule's one status
  view, its enum and what each value means.
- :mod:`govchain.sharing.grants` — client of ``AccessGrants``: grants (direct, signed consent,
  statutory), revocation; with :mod:`govchain.sharing.access` (mixed in) access records.
- :mod:`govchain.sharing.requests` — client of ``ShareRequests``: filing, approving, rejecting.
"""

from govchain.sharing.anchors import (
    AnchorRegistry,
    Batch,
    BatchAnchor,
    Category,
    CategorySpec,
    LeafCheck,
    RecordAnchor,
    RecordCheck,
    record_id,
)
from govchain.sharing.catalog import LegalBasis, SharingClass, category_code
from govchain.sharing.grants import (
    AccessGrants,
    AccessRecord,
    GrantInfo,
    GrantTerms,
    ShareRequestInfo,
    ShareRequests,
    ShareRequestTerms,
    SignedConsent,
    purpose_hash,
)
from govchain.sharing.merkle import (
    MerkleTree,
    RecordTree,
    leaf_hash,
    new_salt,
    process_proof,
    record_hash,
    record_leaf,
    salted_content_hash,
    verify_proof,
)
from govchain.sharing.messages import GRANT, GRANT_CONSENT, consent_message, grant_id, grant_tuple

__all__ = [
    "GRANT",
    "GRANT_CONSENT",
    "AccessGrants",
    "AccessRecord",
    "AnchorRegistry",
    "Batch",
    "BatchAnchor",
    "Category",
    "CategorySpec",
    "GrantInfo",
    "GrantTerms",
    "LeafCheck",
    "LegalBasis",
    "MerkleTree",
    "RecordAnchor",
    "RecordCheck",
    "RecordTree",
    "ShareRequestInfo",
    "ShareRequestTerms",
    "ShareRequests",
    "SharingClass",
    "SignedConsent",
    "category_code",
    "consent_message",
    "grant_id",
    "grant_tuple",
    "leaf_hash",
    "new_salt",
    "process_proof",
    "purpose_hash",
    "record_hash",
    "record_id",
    "record_leaf",
    "salted_content_hash",
    "verify_proof",
]
