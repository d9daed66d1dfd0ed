"""Objection texts at the owner department's data node (PIPL art. 46), mounted by ``create_app``.

- ``POST /v1/objections/text`` — ``{"request": ObjectionText, "signature", "text", "salt"}``:
  a citizen posts her reason (``rejection`` false), or an approver of this node's department
  posts the text of a rejection (``rejection`` true).
- ``POST /v1/objections/read`` — ``{"request": ObjectionRead, "signature"}``: an approver of this
  node's department reads a reason, the citizen reads the rejection text; the answer is
  ECIES-encrypted to the key that signed.

Messages: :mod:`govchain.node.objection_texts`. Checks, in order: well formed; not expired;
signed; the request names this node's department (else ``wrong_node``); the objection exists on
the chain's ObjectionRegistry (``objection_unknown``) and this department owns it
(``wrong_node``); the signer may act — for a reason posted or a rejection read, she controls the
objection's subject (owner key or valid agent, ``not_subject_controller``); for a reason read or
a rejection posted, an active APPROVER of this department, which is Active
(``not_owner_approver``). A posted text must hash, with its salt, to the chain's commitment: the
reason to the commitment the objection id binds (the id is recomputed from the stored
objection and the commitment, ``commitment_mismatch``); the rejection text to the commitment
of the ``ObjectionRejected`` event (``objection_not_rejected`` before it). Before a read the
department must be Active (``owner_inactive``). Each request's nonce is spent once
(``nonce_replayed``).

What is kept: one row per objection and kind (reason, rejection) with the text, its salt and
the poster, in the node's store (table ``objection_texts``, created here). The texts are not
encrypted at rest: the store is the department's own, as for its records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ecies
from eth_abi.abi import decode, encode
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import DateTime, LargeBinary, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from govchain.node.chain import DEPARTMENT_ACTIVE, IS_ACTIVE_MEMBER, RpcChain, _Fn
from govchain.node.messages import FastDigest, node_domain
from govchain.node.objection_texts import (
    OBJECTION_READ,
    OBJECTION_TEXT,
    READ_PATH,
    TEXT_PATH,
    text_commitment,
)
from govchain.node.protocol import Refusal, address, b32, b64, hex32, recover, uint
from govchain.node.store import UsedNonce, utcnow
from govchain.sharing.merkle import keccak256

if TYPE_CHECKING:
    from govchain.node.server import DataNode

ROLE_APPROVER = 2
REJECTED = 4  # IObjectionRegistry.ObjectionState
_OBJECTION = "(address,uint8,uint8,uint40,uint40,uint32,uint32,bytes32,bytes32,bytes32)"
OBJECTION_OF = _Fn("objectionOf(bytes32)", [_OBJECTION])
STATE = _Fn("state(bytes32)", ["uint8"])
REJECTED_TOPIC = (
    "0x" + keccak256(b"ObjectionRejected(bytes32,bytes32,bytes32,address,address[])").hex()
)


class _Base(DeclarativeBase):
    pass


class ObjectionTextRow(_Base):
    """A reason or a rejection text this node took, checked against the chain's commitment."""

    __tablename__ = "objection_texts"

    objection_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "reason" | "rejection"
    text: Mapped[str] = mapped_column(Text)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    poster: Mapped[str] = mapped_column(String(42))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ObjectionDesk:
    """The node's decisions on objection texts (thread-safe, like :class:`DataNode`)."""

    def __init__(self, node: DataNode) -> None:
        self.node = node
        # the reads below need JSON-RPC batches and logs: a node over another chain view (none
        # in production) answers objections_unavailable
        self._rpc = node.chain if isinstance(node.chain, RpcChain) else None
        addresses = node.chain.addresses
        self.registry = getattr(addresses, "objections", "") if self._rpc else ""
        domain = node_domain(node.chain.chain_id, addresses.access_grants)
        self.text_digest = FastDigest(OBJECTION_TEXT, domain)
        self.read_digest = FastDigest(OBJECTION_READ, domain)
        _Base.metadata.create_all(node.store.engine)

    # --- the two actions ------------------------------------------------------------------

    def post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        req = _mapping(body.get("request"), "request")
        msg: dict[str, Any] = {
            "department": b32(req.get("department"), "request.department"),
            "objectionId": b32(req.get("objectionId"), "request.objectionId"),
            "rejection": _bool(req.get("rejection"), "request.rejection"),
            "commitment": b32(req.get("commitment"), "request.commitment"),
            "nonce": uint(req.get("nonce"), "request.nonce"),
            "expiry": uint(req.get("expiry"), "request.expiry"),
        }
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Refusal("malformed_request", "text must be a non-empty string")
        salt = b32(body.get("salt"), "salt")
        signer, _ = self._signed(msg, self.text_digest(msg), body)
        objection = self._objection(msg)
        rejection = msg["rejection"]
        if rejection:
            self._check_approver(signer)
        else:
            self._check_subject(objection, signer)
        commitment = text_commitment(salt, text)
        if commitment != msg["commitment"]:
            raise Refusal("commitment_mismatch", "the salted text does not hash to the commitment")
        if rejection:
            if self._rejection_commitment(msg["objectionId"]) != commitment:
                raise Refusal("commitment_mismatch", "not the rejection's commitment on chain")
        elif _objection_id(objection, commitment) != msg["objectionId"]:
            raise Refusal("commitment_mismatch", "not the objection's reason commitment on chain")
        kind = "rejection" if rejection else "reason"
        with self.node.store.session() as s:
            _spend_nonce(s, signer, msg["nonce"])
            s.merge(
                ObjectionTextRow(
                    objection_id=msg["objectionId"],
                    kind=kind,
                    text=text,
                    salt=salt,
                    commitment=commitment,
                    poster=signer,
                )
            )
        return {"objectionId": hex32(msg["objectionId"]), "kind": kind, "accepted": True}

    def read(self, body: Mapping[str, Any]) -> dict[str, Any]:
        req = _mapping(body.get("request"), "request")
        msg: dict[str, Any] = {
            "department": b32(req.get("department"), "request.department"),
            "objectionId": b32(req.get("objectionId"), "request.objectionId"),
            "rejection": _bool(req.get("rejection"), "request.rejection"),
            "nonce": uint(req.get("nonce"), "request.nonce"),
            "expiry": uint(req.get("expiry"), "request.expiry"),
        }
        signer, public_key = self._signed(msg, self.read_digest(msg), body)
        objection = self._objection(msg)
        if msg["rejection"]:
            self._check_subject(objection, signer)
        else:
            self._check_approver(signer)
        self.node._check_owner_active()
        kind = "rejection" if msg["rejection"] else "reason"
        with self.node.store.session() as s:
            _spend_nonce(s, signer, msg["nonce"])
        with self.node.store.session() as s:
            row = s.get(ObjectionTextRow, (msg["objectionId"], kind))
            if row is None:
                raise Refusal("text_not_found", f"no {kind} for {hex32(msg['objectionId'])}")
            inner = {"text": row.text, "salt": hex32(row.salt), "commitment": hex32(row.commitment)}
        return {
            "objectionId": hex32(msg["objectionId"]),
            "kind": kind,
            "ciphertext": b64(ecies.encrypt(public_key, json.dumps(inner).encode())),
        }

    # --- checks ---------------------------------------------------------------------------

    def _signed(
        self, msg: Mapping[str, Any], digest: bytes, body: Mapping[str, Any]
    ) -> tuple[str, bytes]:
        self.node._check_expiry(msg["expiry"])
        signer, public_key = recover(digest, body.get("signature"))
        if msg["department"] != self.node.config.department:
            raise Refusal("wrong_node", "the request is for another department's node")
        if not self.registry:
            raise Refusal("objections_unavailable")
        return signer, public_key

    @property
    def chain(self) -> RpcChain:
        if self._rpc is None:
            raise Refusal("objections_unavailable")
        return self._rpc

    def _objection(self, msg: Mapping[str, Any]) -> tuple[Any, ...]:
        oid = msg["objectionId"]
        stored, state = self.chain.batch(
            [
                RpcChain._call(self.registry, OBJECTION_OF.data(oid)),
                RpcChain._call(self.registry, STATE.data(oid)),
            ]
        )
        (objection,) = OBJECTION_OF.decode(stored)
        if int(STATE.decode(state)[0]) == 0:
            raise Refusal("objection_unknown", f"no objection {hex32(oid)}")
        if bytes(objection[7]) != self.node.config.department:
            raise Refusal("wrong_node", "the objection is owned by another department")
        return tuple(objection)

    def _check_subject(self, objection: tuple[Any, ...], signer: str) -> None:
        subject = address(objection[0], "subject")
        if not self.chain.controls_identity(subject, signer):
            raise Refusal("not_subject_controller", f"{signer} does not act for {subject}")

    def _check_approver(self, signer: str) -> None:
        dept = self.node.config.department
        result = self.chain.rpc(
            *RpcChain._call(
                self.chain.addresses.departments,
                IS_ACTIVE_MEMBER.data(signer, dept, ROLE_APPROVER),
            )
        )
        if not IS_ACTIVE_MEMBER.decode(result)[0]:
            raise Refusal("not_owner_approver", f"{signer} is not an active APPROVER here")
        if self.chain.department_status(dept) != DEPARTMENT_ACTIVE:
            raise Refusal("owner_inactive")

    def _rejection_commitment(self, oid: bytes) -> bytes | None:
        logs = self.chain.logs(self.registry, [REJECTED_TOPIC, hex32(oid)])
        if not logs:
            raise Refusal("objection_not_rejected", f"{hex32(oid)} is not rejected on chain")
        data = bytes.fromhex(str(logs[-1]["data"])[2:])
        commitment, _sender, _signers = decode(["bytes32", "address", "address[]"], data)
        return bytes(commitment)


def _objection_id(objection: tuple[Any, ...], commitment: bytes) -> bytes:
    """``keccak256(abi.encode(subject, kind, category, target, commitment))`` (the contract's)."""
    subject, kind, category, target = objection[0], objection[1], objection[9], objection[8]
    encoded = encode(
        ["address", "uint8", "bytes32", "bytes32", "bytes32"],
        [subject, kind, category, target, commitment],
    )
    return keccak256(encoded)


def _spend_nonce(s: Any, signer: str, nonce: int) -> None:
    s.add(UsedNonce(signer=signer, nonce=str(nonce)))
    try:
        s.flush()
    except IntegrityError:
        raise Refusal("nonce_replayed", f"nonce {nonce} of {signer} was used") from None


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Refusal("malformed_request", f"{what} must be an object")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise Refusal("malformed_request", f"{what} must be true or false")
    return value


# --- HTTP ----------------------------------------------------------------------------------


def router(node: DataNode) -> APIRouter:
    """The objection-text endpoints of ``node`` (``app.include_router(router(node))``)."""
    desk = ObjectionDesk(node)
    limit, timeout = node.config.max_body_bytes, node.config.request_timeout
    routes = APIRouter()

    async def handle(request: Request, action: Callable[[Mapping[str, Any]], Any]) -> Response:
        from govchain.node.api import respond  # the node's one request path (no import cycle)

        return await respond(request, action, limit=limit, timeout=timeout)

    async def post(request: Request) -> Response:
        return await handle(request, desk.post)

    async def read(request: Request) -> Response:
        return await handle(request, desk.read)

    routes.add_api_route(TEXT_PATH, post, methods=["POST"])
    routes.add_api_route(READ_PATH, read, methods=["POST"])
    return routes


__all__ = ["ObjectionDesk", "ObjectionTextRow", "router"]
