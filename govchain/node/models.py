"""The data node's request and answer models (pydantic) and the refusals each endpoint
documents: what the OpenAPI schema of :mod:`govchain.node.api` is made of."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from govchain.node.protocol import REFUSALS

Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "00" * 32])]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Signature = Annotated[str, Field(description="0x r‖s‖v, 65 bytes (recovered by the node)")]
Uint = Annotated[int, Field(ge=0, lt=2**256)] | Annotated[str, Field(pattern=r"^[0-9]{1,78}$")]
Uint40 = Annotated[int, Field(ge=0, lt=2**40)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class DataRequest(_Model):
    """The EIP-712 ``DataRequest`` a grantee department's member signs."""

    grantId: Hex32
    category: Hex32
    subject: Address
    recordId: Hex32
    nonce: Uint
    expiry: Uint


class GrantTerms(_Model):
    """The grant's terms (they hash to ``grantId``)."""

    subject: Address
    grantee: Hex32
    owner: Hex32
    categories: Annotated[list[Hex32], Field(min_length=1, max_length=64)]
    purposeHash: Hex32
    basis: Annotated[int, Field(ge=0, lt=256)]
    validFrom: Uint40
    validUntil: Uint40
    maxUses: Annotated[int, Field(ge=0, lt=2**32)]
    nonce: Uint


class FetchBody(_Model):
    """``POST /v1/records/fetch``: ``grant`` may be left out for an Unconditional category
    (``grantId`` zero)."""

    request: DataRequest
    signature: Signature | None = None  # missing: refused as unsigned
    accessTx: Hex32
    grant: GrantTerms | None = None


class SubjectRequest(_Model):
    """The EIP-712 ``SubjectRequest`` a citizen (or an agent of the identity) signs."""

    department: Hex32
    subject: Address
    category: Hex32
    recordId: Hex32
    nonce: Uint
    expiry: Uint


class SubjectBody(_Model):
    request: SubjectRequest
    signature: Signature | None = None


class AnchorProof(BaseModel):
    kind: Literal["single", "batch"]
    version: int
    root: Hex32 | None = None
    leafIndex: int | None = None
    proof: list[Hex32] | None = None


class FetchAnswer(BaseModel):
    """A released record: its content is in ``ciphertext`` (ECIES to the signer's key)."""

    department: Hex32
    category: Hex32
    recordId: Hex32
    version: int
    anchor: AnchorProof
    ciphertext: str


class ListedRecord(BaseModel):
    category: Hex32
    recordId: Hex32
    version: int
    recordHash: Hex32
    anchor: AnchorProof


class SubjectList(BaseModel):
    department: Hex32
    subject: Address
    records: list[ListedRecord]


class Health(BaseModel):
    department: Hex32
    chain: Literal["ok", "unavailable"]
    chainId: int | None = None


class RefusalBody(BaseModel):
    """Every refusal: a reason code of the protocol and a line of detail."""

    reason: Literal[tuple(REFUSALS)]  # type: ignore[valid-type]
    detail: str


def refusal_statuses(*reasons: str) -> dict[int | str, dict[str, Any]]:
    statuses = sorted({REFUSALS[r][0] for r in reasons})
    return {
        status: {
            "model": RefusalBody,
            "description": "; ".join(r for r in reasons if REFUSALS[r][0] == status),
        }
        for status in statuses
    }


_BEFORE = ("malformed_request", "body_too_large", "timeout", "chain_unavailable", "chain_error")
_SIGNED = ("unsigned", "bad_signature", "malleable_signature", "request_expired", "expiry_too_far")
_RELEASE = (
    "owner_inactive",
    "nonce_replayed",
    "record_not_found",
    "record_not_anchored",
    "record_altered",
)
FETCH_REFUSALS = (
    *_BEFORE,
    *_SIGNED,
    *_RELEASE,
    "wrong_node",
    "not_grantee_member",
    "grant_mismatch",
    "no_grant",
    "grant_revoked",
    "consent_previous_key",
    "grant_not_yet_valid",
    "grant_expired",
    "category_not_covered",
    "subject_mismatch",
    "access_record_missing",
    "access_record_mismatch",
)
SUBJECT_REFUSALS = (*_BEFORE, *_SIGNED, *_RELEASE, "wrong_node", "not_subject_controller")
