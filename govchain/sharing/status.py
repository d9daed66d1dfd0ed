"""The access rule's one status view: ``AccessGrants.accessStatus`` and what each value means.

``accessStatus(Grant terms, bytes32 category, address member)`` is computed by the function
``recordAccess`` refuses with, so the SDK, the data node and the audit ask it (by ``eth_call``)
instead of re-deriving the rule. This module holds the enum (the contract's order, checked by
``tests/sharing/test_access_status.py``), the custom error each value stands for, a plain
sentence for each, and the ABI encoding of the call for JSON-RPC batches.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from govchain.errors import ChainRefused, GovchainError, NotFound

GRANT_ABI = "(address,bytes32,bytes32,bytes32[],bytes32,uint8,uint40,uint40,uint32,uint256)"
_SELECTOR = keccak(text=f"accessStatus({GRANT_ABI},bytes32,address)")[:4]


class AccessStatus(IntEnum):
    """``IAccessGrants.AccessStatus``: ``LIVE`` or why ``recordAccess`` would refuse."""

    UNKNOWN = 0
    LIVE = 1
    REVOKED = 2
    PREVIOUS_OWNER_CONSENT = 3
    NOT_YET_VALID = 4
    EXPIRED = 5
    NOT_STAFF = 6
    GRANTEE_INACTIVE = 7
    NOT_COVERED = 8
    NOT_SHARED = 9
    USED_UP = 10


# the custom error recordAccess reverts with for each status
ERRORS: dict[AccessStatus, str] = {
    AccessStatus.UNKNOWN: "AccessGrantUnknown",
    AccessStatus.REVOKED: "AccessGrantRevoked",
    AccessStatus.PREVIOUS_OWNER_CONSENT: "AccessGrantPreviousOwnerConsent",
    AccessStatus.NOT_YET_VALID: "AccessGrantNotYetValid",
    AccessStatus.EXPIRED: "AccessGrantExpired",
    AccessStatus.NOT_STAFF: "AccessGrantNotStaff",
    AccessStatus.GRANTEE_INACTIVE: "AccessGrantNotStaff",
    AccessStatus.NOT_COVERED: "AccessGrantCategoryNotCovered",
    AccessStatus.NOT_SHARED: "AccessGrantCategoryNotShared",
    AccessStatus.USED_UP: "AccessGrantUsesExhausted",
}

# one sentence each; {grant}, {category}, {member}, {grantee}, {subject}, {valid_from},
# {valid_until}, {max_uses} are filled in (a name not given reads "?")
TEXTS: dict[AccessStatus, str] = {
    AccessStatus.UNKNOWN: "no grant with these terms exists on this chain",
    AccessStatus.REVOKED: "grant {grant} was revoked",
    AccessStatus.PREVIOUS_OWNER_CONSENT: "grant {grant} was consented under a previous key of "
    "{subject}: its current owner must confirm it first",
    AccessStatus.NOT_YET_VALID: "grant {grant} is valid only from {valid_from}",
    AccessStatus.EXPIRED: "grant {grant} expired at {valid_until}",
    AccessStatus.NOT_STAFF: "{member} is not an active STAFF member of {grantee}",
    AccessStatus.GRANTEE_INACTIVE: "the grantee department {grantee} is not Active",
    AccessStatus.NOT_COVERED: "grant {grant} does not cover category {category}",
    AccessStatus.NOT_SHARED: "category {category} is NOT_SHARED (不予共享): no grant allows access",
    AccessStatus.USED_UP: "grant {grant} has used all of its {max_uses} uses",
}


def call_data(terms: Any, category: bytes, member: str) -> str:
    """ABI-encoded ``accessStatus(terms, category, member)`` for an ``eth_call``; ``terms`` is
    the ``Grant`` tuple (:func:`govchain.sharing.messages.grant_tuple`)."""
    args = encode([GRANT_ABI, "bytes32", "address"], [tuple(terms), category, member])
    return "0x" + (_SELECTOR + args).hex()


def decode_status(result: str) -> AccessStatus:
    """The status from an ``eth_call`` result (an empty or unknown answer is ``UNKNOWN``: never
    read as live)."""
    raw = bytes.fromhex(result[2:] if result.startswith("0x") else result)
    if len(raw) < 32:
        return AccessStatus.UNKNOWN
    (value,) = decode(["uint8"], raw[:32])
    try:
        return AccessStatus(int(value))
    except ValueError:
        return AccessStatus.UNKNOWN


def refusal(status: AccessStatus, **names: str) -> GovchainError:
    """The SDK's error for a status other than ``LIVE`` (``UNKNOWN`` is :class:`NotFound`)."""
    text = TEXTS[status].format_map(_Blank(names))
    if status == AccessStatus.UNKNOWN:
        return NotFound("grant", names.get("grant", "?"), text)
    return ChainRefused(ERRORS[status], {}, text)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"
