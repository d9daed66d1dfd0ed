"""The data node's offer endpoints (免申即享): a citizen lists her sealed offers and leaves her
signed acceptance, both on requests she signs.

Mounted from ``create_app`` (:func:`mount`) through the node's one request path
(``app.state.route`` of :func:`govchain.node.api.build_app`: the pydantic models below in
``/openapi.json``, the access log, the metrics). Both endpoints take the node's ``SubjectRequest`` (same EIP-712 domain, signing and checks as
``/v1/subject/*``: expiry bound, signer recovered, the request names this node's department or
is refused ``wrong_node``, the signer controls the identity or ``not_subject_controller``, the
nonce is spent once) with ``category`` = :data:`OFFERS_CATEGORY`:

* ``POST /v1/offers/list`` (``recordId`` zero): her offers, each sealed with ECIES to her
  published encryption key (:mod:`govchain.services.watcher`); the node never holds them in
  the clear.
* ``POST /v1/offers/accept`` (``recordId`` = the offer id) with ``acceptance`` = her signed
  ``AcceptOffer`` (signer, consentHash, requirementsHash, deadline, signature): kept for the department's relayer
  (``govchain offer watch`` relays it with a STAFF key; the chain verifies the signature, the
  service, the rule and the signer's standing when it is sent). Only an open offer of hers is
  accepted (``offer_not_found``, ``offer_not_open``).

Each request's writes (its nonce; an acceptance) are one transaction, committed only if the
request may still be answered (:func:`written_in_time`, as the group commit of record releases,
review s26 N-2): an answer ``timeout`` means nothing was written and the same request may be
sent again; an answer of success means it was written once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

from eth_utils.crypto import keccak
from pydantic import BaseModel, Field

from govchain.node.deadline import current as current_deadline
from govchain.node.models import Address, Hex32, SubjectRequest, Uint, _Model
from govchain.node.protocol import Refusal, address, b32, b64, hex32, uint
from govchain.services.offerbox import OfferBox

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session

    from govchain.node.server import DataNode
    from govchain.node.store import Store

#: The ``SubjectRequest.category`` of offer requests (no data category has this id).
OFFERS_CATEGORY = bytes(keccak(text="govchain.offers"))
ZERO32 = b"\0" * 32
#: An acceptance's signature: 65 bytes r‖s‖v, or an ERC-1271 wallet's blob, whole bytes
#: (review s27 W-2: the relayer turns it into bytes; an odd length is refused here, not there).
MAX_SIGNATURE_BYTES = 1024
_SIGNATURE = re.compile(rf"0x(?:[0-9a-fA-F]{{2}}){{1,{MAX_SIGNATURE_BYTES}}}")


@contextmanager
def written_in_time(store: Store) -> Iterator[Session]:
    """One transaction of a request's writes, committed only if the request may still be
    answered (:mod:`govchain.node.deadline`). Its writes reach the store first (SQLite: the
    write lock is held), then the request's deadline is asked: once it passed, or the caller
    was answered ``timeout``, the transaction is rolled back and the work fails ``timeout``;
    otherwise the caller waits for the commit and the answer. Outside a request: committed."""
    deadline = current_deadline()
    with store.session() as s:
        yield s
        s.flush()
        if deadline is not None and not deadline.begin_commit():
            raise Refusal("timeout", "the request's time ran out before its write")


class OfferDesk:
    """The node's decisions on offer requests, independent of HTTP."""

    def __init__(self, node: DataNode) -> None:
        self.node = node
        self.box = OfferBox(node.store.engine)

    def _request(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        msg, _digest, signer, _key = self.node._subject_request(body)
        if msg["category"] != OFFERS_CATEGORY:
            raise Refusal("malformed_request", "request.category must be the offers category")
        return msg, signer

    def list(self, body: Mapping[str, Any]) -> dict[str, Any]:
        msg, signer = self._request(body)
        with written_in_time(self.node.store) as s:
            self.node._spend_nonce(s, signer, msg["nonce"])
        if msg["recordId"] != ZERO32:
            raise Refusal("malformed_request", "request.recordId must be zero to list")
        rows = self.box.of_citizen(msg["subject"])
        return {
            "department": hex32(self.node.config.department),
            "subject": msg["subject"],
            "offers": [r.as_dict() | {"sealed": b64(r.sealed)} for r in rows],
        }

    def accept(self, body: Mapping[str, Any]) -> dict[str, Any]:
        raw = body.get("acceptance")
        if not isinstance(raw, Mapping):
            raise Refusal("malformed_request", "acceptance must be an object")
        signature = raw.get("signature")
        if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
            raise Refusal(
                "malformed_request",
                f"acceptance.signature must be 0x and whole bytes of hex (at most "
                f"{MAX_SIGNATURE_BYTES} bytes)",
            )
        acceptance = {
            "signer": address(raw.get("signer"), "acceptance.signer"),
            "consentHash": hex32(b32(raw.get("consentHash"), "acceptance.consentHash")),
            "requirementsHash": hex32(
                b32(raw.get("requirementsHash"), "acceptance.requirementsHash")
            ),
            "deadline": uint(raw.get("deadline"), "acceptance.deadline"),  # the chain's uint256
            "signature": signature,
        }
        msg, signer = self._request(body)
        offer_id = hex32(msg["recordId"])
        # the nonce and the acceptance in one transaction; a refusal found in it is raised once
        # it is committed (the request's nonce stays spent, as before)
        refusal: Refusal | None = None
        with written_in_time(self.node.store) as s:
            self.node._spend_nonce(s, signer, msg["nonce"])
            conn = s.connection()
            row = self.box.get(offer_id, within=conn)
            if row is None or row.citizen != msg["subject"]:
                refusal = Refusal("offer_not_found", f"no offer {offer_id} for {msg['subject']}")
            elif acceptance["signer"] != signer:
                refusal = Refusal(
                    "malformed_request", "the acceptance's signer must sign the request"
                )
            elif not self.box.sign(offer_id, json.dumps(acceptance), within=conn):
                refusal = Refusal("offer_not_open", f"offer {offer_id} is {row.state}")
        if refusal is not None:
            raise refusal
        return {"offerId": offer_id, "state": "signed"}


# --- HTTP ----------------------------------------------------------------------------------


class OfferRequest(SubjectRequest):
    """The node's EIP-712 ``SubjectRequest`` (``category`` = the offers category)."""


class OfferListBody(_Model):
    """``POST /v1/offers/list`` (``recordId`` zero)."""

    request: OfferRequest
    signature: str | None = None


class Acceptance(_Model):
    """Her signed ``AcceptOffer`` (verified by the chain when the department relays it)."""

    signer: Address
    consentHash: Hex32
    requirementsHash: Hex32
    deadline: Uint
    signature: Annotated[str, Field(pattern=r"^0x([0-9a-fA-F]{2})+$", max_length=2048 + 2)]


class OfferAcceptBody(_Model):
    """``POST /v1/offers/accept`` (``recordId`` = the offer id)."""

    request: OfferRequest
    signature: str | None = None
    acceptance: Acceptance


class ListedOffer(BaseModel):
    offerId: str
    serviceId: str
    createdAt: int
    expiresAt: int
    state: str
    caseId: str | None
    reason: str | None
    sealed: str  # ECIES to her published encryption key, base64


class OfferList(BaseModel):
    department: Hex32
    subject: Address
    offers: list[ListedOffer]


class OfferSigned(BaseModel):
    offerId: str
    state: str


_BEFORE = ("malformed_request", "body_too_large", "timeout", "chain_unavailable", "chain_error")
_SIGNED = ("unsigned", "bad_signature", "malleable_signature", "request_expired", "expiry_too_far")
LIST_REFUSALS = (*_BEFORE, *_SIGNED, "wrong_node", "not_subject_controller", "nonce_replayed")
ACCEPT_REFUSALS = (*LIST_REFUSALS, "offer_not_found", "offer_not_open")


def mount(app: FastAPI, node: DataNode) -> None:
    """Adds the offer endpoints to ``app`` through the node's one request path
    (``app.state.route``): validated by the models above, logged, counted, in the OpenAPI."""
    desk = OfferDesk(node)
    route = app.state.route
    route("/v1/offers/list", "subject", OfferListBody, OfferList, LIST_REFUSALS, desk.list,
          "A citizen lists the offers sealed to her at this department's node")  # fmt: skip
    route("/v1/offers/accept", "subject", OfferAcceptBody, OfferSigned, ACCEPT_REFUSALS,
          desk.accept, "A citizen leaves her signed acceptance of an offer")  # fmt: skip
