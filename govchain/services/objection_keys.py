"""Whom an objection text is sealed to, and with which keys (all read from the chain).

- A citizen's reason: to **each active APPROVER of the owner department** who published an
  encryption key — the ``keyAgreement`` key of the approver's did:ethr document, ERC-1056
  attribute ``did/pub/Secp256k1/enc/hex`` (``govchain objection publish-key``), the same kind of
  key a citizen publishes for her offers. The approvers are the department's members
  (``MemberAdded`` events) that ``isActiveMember(·, owner, APPROVER)`` confirms now.
- A rejection text: to **the subject's identity**, her published encryption key.

The keys come from the chain, not from the node that stores the envelopes, so the node cannot
slip in a key of its own. An approver who publishes his key later, or a new approver, cannot
read what was sealed before (the citizen sends again; said in docs/objections.md).
"""

from __future__ import annotations

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.departments import Departments
from govchain.network import Connection
from govchain.services.watcher import encryption_key

ROLE_APPROVER = 2


def approver_keys(connection: Connection, department: bytes) -> dict[str, bytes]:
    """The published encryption key of each active APPROVER of ``department`` (those without a
    usable key, or whose DID document cannot be read, are left out); InvalidInput if none has
    one."""
    departments = Departments(connection)
    registry = departments.contract.functions
    keys: dict[str, bytes] = {}
    for member in departments.members(department):
        if not member.roles & ROLE_APPROVER:
            continue
        if not registry.isActiveMember(member.account, department, ROLE_APPROVER).call():
            continue
        try:
            key = encryption_key(connection, member.account)
        except InvalidInput:  # his DID document cannot be read: his problem, not the others'
            continue
        if key is not None:
            keys[member.account] = key
    if not keys:
        code = department.rstrip(b"\0").decode("ascii", "replace")
        raise InvalidInput(
            "department",
            code,
            "no active approver of it published an encryption key "
            "('govchain objection publish-key'); the text cannot be sealed to it",
        )
    return keys


def subject_key(connection: Connection, subject: str) -> dict[str, bytes]:
    """The subject's published encryption key, as ``{identity: key}``; InvalidInput if none
    (or if her DID document cannot be read: one readable line)."""
    identity = validate.address(subject)
    key = encryption_key(connection, identity)
    if key is None:
        raise InvalidInput(
            "subject",
            identity,
            "published no encryption key ('govchain citizen offers publish-key'); "
            "the rejection cannot be sealed to her",
        )
    return {identity: key}


__all__ = ["approver_keys", "subject_key"]
