"""EIP-712 messages of ``AccessGrants``: ``Grant`` terms and the subject's ``GrantConsent``.

A grant's id is the EIP-712 struct hash of its ``Grant`` terms (independent of the domain);
the consent signature covers ``GrantConsent(Grant grant,address signer,uint256 deadline)`` under the domain
``Domain("AccessGrants", chain_id, contract)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.eip712 import message

GRANT_FIELDS: list[tuple[str, str]] = [
    ("address", "subject"),
    ("bytes32", "grantee"),
    ("bytes32", "owner"),
    ("bytes32[]", "categories"),
    ("bytes32", "purposeHash"),
    ("uint8", "basis"),
    ("uint40", "validFrom"),
    ("uint40", "validUntil"),
    ("uint32", "maxUses"),
    ("uint256", "nonce"),
]

#: The terms of a grant; its struct hash is the grant id.
GRANT = message("Grant", GRANT_FIELDS)

#: What the data subject (or their agent) signs so a grantee can relay the grant.
GRANT_CONSENT = message(
    "GrantConsent",
    [("Grant", "grant"), ("address", "signer"), ("uint256", "deadline")],
    Grant=GRANT_FIELDS,
)


def grant_id(terms: Mapping[str, Any]) -> bytes:
    """The grant id: ``hashStruct(Grant)`` of ``terms`` (keys as in :data:`GRANT_FIELDS`)."""
    categories: Sequence[bytes] = terms["categories"]
    return keccak(
        encode(
            [
                "bytes32",
                "address",
                "bytes32",
                "bytes32",
                "bytes32",
                "bytes32",
                "uint8",
                "uint40",
                "uint40",
                "uint32",
                "uint256",
            ],
            [
                GRANT.typehash(),
                terms["subject"],
                terms["grantee"],
                terms["owner"],
                keccak(b"".join(categories)),
                terms["purposeHash"],
                int(terms["basis"]),
                terms["validFrom"],
                terms["validUntil"],
                terms["maxUses"],
                terms["nonce"],
            ],
        )
    )


def consent_message(terms: Mapping[str, Any], signer: str, deadline: int) -> dict[str, Any]:
    """The ``GrantConsent`` message for :data:`GRANT_CONSENT` ``.digest`` / ``.sign``; it names
    its ``signer`` (the subject's owner key or agent)."""
    grant = dict(terms)
    grant["basis"] = int(grant["basis"])
    grant["categories"] = list(grant["categories"])
    return {"grant": grant, "signer": signer, "deadline": deadline}


def grant_tuple(terms: Mapping[str, Any]) -> tuple[Any, ...]:
    """The terms as the ``Grant`` tuple a contract call takes."""
    return tuple(terms[name] if name != "basis" else int(terms[name]) for _, name in GRANT_FIELDS)
