"""What the chain says of a credential's attestation and of its signer's standing: the
``Attested`` event, the schema's ``roleMask``, and the re-check that the signer still stands
where its credential's block says it stood (review s26 V-1).

Part of :mod:`govchain.interop.vc` (the overview is there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from govchain.identity.departments import DepartmentStatus
from govchain.interop.membership import Standing
from govchain.interop.vc_format import CredentialRefused

if TYPE_CHECKING:
    from web3.types import BlockIdentifier

    from govchain.network import Connection


@dataclass(frozen=True)
class Attested:
    """An attestation as its ``Attested`` event says."""

    subject: str
    department: bytes
    schema: bytes
    data_hash: bytes
    expiry: int
    block: int


def attested(
    connection: Connection, uid: bytes, subject: str | None = None, department: bytes | None = None
) -> Attested | None:
    """The ``Attested`` event of ``uid`` (one log query; narrowed by the indexed subject and
    department when the caller knows them), or ``None``."""
    filters: dict[str, Any] = {}
    if subject is not None:
        filters["subject"] = subject
    if department is not None:
        filters["department"] = department
    events = connection.contract("AttestationRegistry").events.Attested()
    for log in events.get_logs(
        from_block=connection.deployment.deploy_block, argument_filters=filters or None
    ):
        args = log["args"]
        if bytes(args["uid"]) == uid:
            return Attested(
                to_checksum_address(args["subject"]),
                bytes(args["department"]),
                bytes(args["schema"]),
                bytes(args["dataHash"]),
                int(args["expiry"]),
                int(log["blockNumber"]),
            )
    return None


def schema_roles(connection: Connection, schema: bytes, block: BlockIdentifier = "latest") -> int:
    """The schema's ``roleMask``: the roles any one of which may attest under it.

    Read at the latest block, and that is the mask at every block since the schema existed:
    SchemaRegistry writes a schema's rules once (``registerSchema`` refuses a second
    registration, ``SchemaAlreadyRegistered``) and has no function that changes them; the mask
    is even part of the schema's uid (``keccak256(abi.encode(fieldsHash, roleMask, department,
    revocable))``). A state read of ``latest`` (or a recent ``block``) needs no archive node."""
    view = (
        connection.contract("AttestationRegistry")
        .functions.getSchema(schema)
        .call(block_identifier=block)
    )
    return int(view[3])


def _roles_text(mask: int) -> str:
    from govchain.identity.base import role_names

    return " or ".join(role_names(mask)) or "none"


def _standing_now(now: Standing, signer: str, department: bytes, needed: int, block: int) -> None:
    """Refuse a signer who no longer stands where its credential's block says it stood: a
    signature cannot be dated, so a key's word counts only while the key still holds the right
    (DESIGN invariant 2, rights re-checked when they take effect)."""
    from govchain.identity.base import code_text

    code = code_text(department)
    again = f"ask a current member of {code} to re-export the credential"
    if now.department != department:
        raise CredentialRefused(
            f"signer {signer} is no longer an active member of {code} (block {block}): {again}"
        )
    if now.status != DepartmentStatus.ACTIVE:
        raise CredentialRefused(
            f"department {code} is {now.status.label} (block {block}): its credentials are not "
            "relied on until the council reinstates it"
        )
    if now.roles & needed == 0:
        raise CredentialRefused(
            f"signer {signer} no longer holds a role of {code} that may attest this schema "
            f"(block {block}; it needs {_roles_text(needed)}): {again}"
        )
