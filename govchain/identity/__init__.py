"""Identity: departments, citizens' self-sovereign identities, attestations (the credit file).

The EIP-712 message types of the identity contracts and the helpers that recompute their
derived ids (attestation and schema uids, salted commitments) live in
:mod:`govchain.identity.messages`.
"""

from govchain.identity.messages import (
    attestation_uid,
    department_tag,
    salted_hash,
    schema_uid,
)

__all__ = ["attestation_uid", "department_tag", "salted_hash", "schema_uid"]
