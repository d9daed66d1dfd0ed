"""Identity: departments, citizens' self-sovereign identities, attestations (the credit file).

One client per contract, each bound to a :class:`~govchain.network.Connection` and, for
writes, a :class:`~govchain.tx.Sender`:

* :class:`~govchain.identity.council.Council` — proposals, approvals (on chain or EIP-712
  signatures collected off chain), execution; calldata of the council-only actions.
* :class:`~govchain.identity.departments.Departments` — departments, members and roles.
* :class:`~govchain.identity.citizens.Citizens` — owners, key rotation, delegates, guardians,
  recovery.
* :class:`~govchain.identity.attestations.Attestations` — schemas, attestations, verification.

The EIP-712 message types of the identity contracts and the helpers that recompute their
derived ids (attestation and schema uids, salted commitments) live in
:mod:`govchain.identity.messages`. Importing this package registers plain-language text for
every identity custom error (:mod:`govchain.identity.explanations`).
"""

from govchain.identity import explanations as _explanations
from govchain.identity.messages import (
    attestation_uid,
    department_tag,
    salted_hash,
    schema_uid,
)

_explanations.register()

__all__ = [
    "Attestations",
    "Citizens",
    "Council",
    "Departments",
    "attestation_uid",
    "department_tag",
    "salted_hash",
    "schema_uid",
]


def __getattr__(name: str) -> object:
    """The clients, imported on first use (they need web3; the messages alone do not)."""
    if name == "Attestations":
        from govchain.identity.attestations import Attestations

        return Attestations
    if name == "Citizens":
        from govchain.identity.citizens import Citizens

        return Citizens
    if name == "Council":
        from govchain.identity.council import Council

        return Council
    if name == "Departments":
        from govchain.identity.departments import Departments

        return Departments
    raise AttributeError(name)
