"""Wire format shared by the data node and its clients: JSON bodies, reason codes, signatures.

Every refusal is ``{"reason": <code>, "detail": <text>}`` with the HTTP status of :data:`REFUSALS`.
The codes a caller can meet before it is authorised say nothing about the store: whether a
record exists is told (``record_not_found``, ``record_not_anchored``) only to a caller who passed
every check, and whose request has been logged.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import coincurve
from eth_keys.constants import SECPK1_N
from eth_utils.address import to_checksum_address

from govchain.sharing.merkle import keccak256

#: reason code -> (HTTP status, meaning)
REFUSALS: dict[str, tuple[int, str]] = {
    "malformed_request": (400, "the body is not a valid request"),
    "expiry_too_far": (400, "the request expires too far in the future"),
    "wrong_node": (
        400,
        "the request is for another department's node (the grant's owner, the category's owner "
        "or the department a citizen's request names is not this node's department)",
    ),
    "body_too_large": (413, "the request body is larger than the node accepts"),
    "unsigned": (401, "the request carries no signature"),
    "bad_signature": (401, "the signature does not recover to a key"),
    "malleable_signature": (
        401,
        "the signature's s is in the upper half of the curve order (EIP-2): the contracts "
        "refuse it, so does the node",
    ),
    "request_expired": (401, "the request's expiry has passed"),
    "not_grantee_member": (
        403,
        "the signer is not an active STAFF member of the grant's grantee department",
    ),
    "not_subject_controller": (403, "the signer controls neither the identity nor an agent of it"),
    "grant_mismatch": (403, "the grant terms do not hash to the requested grant id"),
    "no_grant": (403, "no grant exists with these terms"),
    "grant_revoked": (403, "the grant was revoked"),
    "consent_previous_key": (
        403,
        "the consent was given under a previous key of the subject; its owner must confirm it",
    ),
    "grant_not_yet_valid": (403, "the grant's window has not opened"),
    "grant_expired": (403, "the grant's window has closed"),
    "category_not_covered": (403, "the grant does not cover the category"),
    "subject_mismatch": (403, "the request's subject is not the grant's subject"),
    "access_record_missing": (403, "no access record for this request in the given transaction"),
    "access_record_mismatch": (403, "the transaction's access record is for another request"),
    "nonce_replayed": (409, "this signer already used this nonce at this node"),
    "owner_inactive": (
        403,
        "this node's department (the records' owner) is not Active: it releases nothing",
    ),
    "record_not_found": (404, "no such record about this subject (authorised callers only)"),
    "record_not_anchored": (409, "the record is not anchored yet; retry later"),
    "record_altered": (
        409,
        "the stored record no longer matches its record hash: the owner's store was altered",
    ),
    # offers (govchain.node.offers)
    "offer_not_found": (404, "no such offer for this identity at this department's node"),
    "offer_not_open": (409, "the offer was already accepted or settled"),
    # objection texts (govchain.node.objections)
    "sealed_mismatch": (400, "the envelopes do not hash to the request's signed sealedHash"),
    "wrong_recipient": (
        400,
        "an envelope is for a key that may not read this text (not an approver / the subject)",
    ),
    "objection_unknown": (404, "no objection has this id on chain"),
    "commitment_mismatch": (
        409,
        "the salted text does not hash to the objection's commitment on chain",
    ),
    "objection_not_rejected": (409, "the objection is not rejected on chain (yet)"),
    "not_owner_approver": (
        403,
        "the signer is not an active APPROVER of this node's department",
    ),
    "text_not_found": (404, "this node holds no such text (authorised callers only)"),
    "objections_unavailable": (503, "this node is not configured with an ObjectionRegistry"),
    "timeout": (504, "the node did not finish in time"),
    "chain_unavailable": (503, "the node cannot reach the chain; retry later"),
    "chain_error": (502, "the chain answered a read with an error"),
}


class Refusal(Exception):
    """A request the node will not answer, with its reason code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.status = REFUSALS[reason][0]
        self.detail = detail or REFUSALS[reason][1]
        super().__init__(f"{reason}: {self.detail}")

    def body(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


def b32(value: Any, what: str) -> bytes:
    """A 0x-hex bytes32 field."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise Refusal("malformed_request", f"{what} must be 0x followed by 64 hex digits")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise Refusal("malformed_request", f"{what} is not hex") from None


@lru_cache(maxsize=8192)
def _checksummed(value: str) -> str:
    return to_checksum_address(value)


@lru_cache(maxsize=8192)
def _key_address(public: bytes) -> str:
    return to_checksum_address(keccak256(public[1:])[12:])


def address(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise Refusal("malformed_request", f"{what} must be a 0x address")
    try:
        return _checksummed(value)
    except ValueError:
        raise Refusal("malformed_request", f"{what} is not an address") from None


def uint(value: Any, what: str, bits: int = 256) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refusal("malformed_request", f"{what} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise Refusal("malformed_request", f"{what} must be an integer") from None
    if not 0 <= number < 2**bits:
        raise Refusal("malformed_request", f"{what} is out of range")
    return number


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


#: The largest canonical s (EIP-2): OpenZeppelin's ECDSA, which every contract uses, refuses more.
MAX_LOW_S = SECPK1_N // 2


def recover(digest: bytes, signature_hex: Any) -> tuple[str, bytes]:
    """The signer's address and uncompressed public key of a signature (:func:`_recover`),
    remembered for the last few thousand (digest, signature) pairs: the access log names the
    signer before the request is decided, and the decision recovers the same signature again.
    Recovery is a pure function of its inputs, so a remembered answer is the answer."""
    found = (
        _recover_remembered(digest, signature_hex)
        if isinstance(signature_hex, str)
        else _recover(digest, signature_hex)
    )
    _last.signer = found[0]
    return found


_last = threading.local()


def forget_signer() -> None:
    """Start a request on this thread: no signer recovered yet."""
    _last.signer = None


def last_signer() -> str | None:
    """The signer this thread's request recovered last (the access log's ``signer`` for request
    formats it does not parse itself), or None."""
    return getattr(_last, "signer", None)


@lru_cache(maxsize=4096)
def _recover_remembered(digest: bytes, signature_hex: str) -> tuple[str, bytes]:
    return _recover(digest, signature_hex)


def _recover(digest: bytes, signature_hex: Any) -> tuple[str, bytes]:
    """The signer's address and uncompressed public key (65 bytes) of a 65-byte r‖s‖v signature.

    Only the signatures OpenZeppelin's ECDSA accepts on chain are accepted: v is 27 or 28 (a
    v of 0 or 1 is ``bad_signature``), and an s above n/2 (the high-s twin of a valid
    signature, EIP-2) is refused with ``malleable_signature``.
    """
    if signature_hex in (None, "", "0x"):
        raise Refusal("unsigned")
    if not isinstance(signature_hex, str) or not signature_hex.startswith("0x"):
        raise Refusal("bad_signature", "signature must be 0x-hex")
    try:
        sig = bytes.fromhex(signature_hex[2:])
    except ValueError:
        raise Refusal("bad_signature", "signature is not hex") from None
    if len(sig) != 65 or sig[64] not in (27, 28):
        raise Refusal("bad_signature", "signature must be 65 bytes r||s||v with v 27 or 28")
    if int.from_bytes(sig[32:64], "big") > MAX_LOW_S:
        raise Refusal("malleable_signature")
    v = sig[64] - 27
    try:
        key = coincurve.PublicKey.from_signature_and_message(
            sig[:64] + bytes([v]), digest, hasher=None
        )
    except Exception:
        raise Refusal("bad_signature") from None
    public = key.format(compressed=False)
    return _key_address(public), public


def grant_terms(raw: Any) -> dict[str, Any]:
    """Grant terms from JSON (the ``Grant`` fields of ``govchain.sharing.messages``)."""
    if not isinstance(raw, Mapping):
        raise Refusal("malformed_request", "grant must be an object")
    try:
        categories = raw["categories"]
        if not isinstance(categories, list) or not categories or len(categories) > 64:
            raise Refusal("malformed_request", "grant.categories must be a list of 1..64 codes")
        return {
            "subject": address(raw["subject"], "grant.subject"),
            "grantee": b32(raw["grantee"], "grant.grantee"),
            "owner": b32(raw["owner"], "grant.owner"),
            "categories": [b32(c, "grant.categories[]") for c in categories],
            "purposeHash": b32(raw["purposeHash"], "grant.purposeHash"),
            "basis": uint(raw["basis"], "grant.basis", 8),
            "validFrom": uint(raw["validFrom"], "grant.validFrom", 40),
            "validUntil": uint(raw["validUntil"], "grant.validUntil", 40),
            "maxUses": uint(raw["maxUses"], "grant.maxUses", 32),
            "nonce": uint(raw["nonce"], "grant.nonce"),
        }
    except KeyError as missing:
        raise Refusal("malformed_request", f"grant.{missing.args[0]} is missing") from None


def grant_json(terms: Mapping[str, Any]) -> dict[str, Any]:
    """Grant terms as JSON (inverse of :func:`grant_terms`)."""
    return {
        "subject": to_checksum_address(terms["subject"]),
        "grantee": hex32(terms["grantee"]),
        "owner": hex32(terms["owner"]),
        "categories": [hex32(c) for c in terms["categories"]],
        "purposeHash": hex32(terms["purposeHash"]),
        "basis": int(terms["basis"]),
        "validFrom": int(terms["validFrom"]),
        "validUntil": int(terms["validUntil"]),
        "maxUses": int(terms["maxUses"]),
        "nonce": str(int(terms["nonce"])),
    }
