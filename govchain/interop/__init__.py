"""Interoperability: did:ethr documents of citizen identities, W3C verifiable credentials of
attestations, and electronic-evidence bundles of anchored records that a third party checks
on its own (see docs/interop.md)."""
