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

# The names below are imported on first use (PEP 562): importing any module of this package
# runs this file first, and importing every client here with it cost each command that needs
# only the catalog codes (``govchain.deploy``, so every ``dept``/``council`` command) the grants,
# anchors, Safe and bulk-sender modules (issue 20).
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from govchain.sharing.messages import (
        GRANT,
        GRANT_CONSENT,
        consent_message,
        grant_id,
        grant_tuple,
    )

_LAZY: dict[str, str] = {
    "AnchorRegistry": "govchain.sharing.anchors",
    "Batch": "govchain.sharing.anchors",
    "BatchAnchor": "govchain.sharing.anchors",
    "Category": "govchain.sharing.anchors",
    "CategorySpec": "govchain.sharing.anchors",
    "LeafCheck": "govchain.sharing.anchors",
    "RecordAnchor": "govchain.sharing.anchors",
    "RecordCheck": "govchain.sharing.anchors",
    "record_id": "govchain.sharing.anchors",
    "LegalBasis": "govchain.sharing.catalog",
    "SharingClass": "govchain.sharing.catalog",
    "category_code": "govchain.sharing.catalog",
    "AccessGrants": "govchain.sharing.grants",
    "AccessRecord": "govchain.sharing.grants",
    "GrantInfo": "govchain.sharing.grants",
    "GrantTerms": "govchain.sharing.grants",
    "ShareRequestInfo": "govchain.sharing.grants",
    "ShareRequests": "govchain.sharing.grants",
    "ShareRequestTerms": "govchain.sharing.grants",
    "SignedConsent": "govchain.sharing.grants",
    "purpose_hash": "govchain.sharing.grants",
    "MerkleTree": "govchain.sharing.merkle",
    "RecordTree": "govchain.sharing.merkle",
    "leaf_hash": "govchain.sharing.merkle",
    "new_salt": "govchain.sharing.merkle",
    "process_proof": "govchain.sharing.merkle",
    "record_hash": "govchain.sharing.merkle",
    "record_leaf": "govchain.sharing.merkle",
    "salted_content_hash": "govchain.sharing.merkle",
    "verify_proof": "govchain.sharing.merkle",
    "GRANT": "govchain.sharing.messages",
    "GRANT_CONSENT": "govchain.sharing.messages",
    "consent_message": "govchain.sharing.messages",
    "grant_id": "govchain.sharing.messages",
    "grant_tuple": "govchain.sharing.messages",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
