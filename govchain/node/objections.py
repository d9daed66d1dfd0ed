"""Objection texts at the owner department's data node (PIPL art. 46), mounted by ``create_app``.

- ``POST /v1/objections/text`` — :class:`ObjectionTextBody`: a citizen posts her reason
  (``rejection`` false), or an approver of this node's department the text of a rejection
  (``rejection`` true), **sealed** (ECIES) by the poster to each reader's published encryption
  key: one envelope per recipient.
- ``POST /v1/objections/read`` — :class:`ObjectionReadBody`: an approver of this node's
  department reads the envelope sealed to him; the citizen (or her agent) reads the rejection
  envelope sealed to her identity's key.

Messages and sealing: :mod:`govchain.node.objection_texts`. Checks, in order: the body fits its
model (``malformed_request``); not expired; signed; the request names this node's department
(``wrong_node``); the objection exists on the chain's ObjectionRegistry (``objection_unknown``)
and this department owns it (``wrong_node``); the signer may act — for a reason posted or a
rejection read, she controls the objection's subject (the server's own check,
``RpcChain.controls_identity``: owner key or valid agent, ``not_subject_controller``); for a
reason read or a rejection posted, an active APPROVER of this department, which is Active
(``not_owner_approver``, ``owner_inactive``). For a post: the envelopes hash to the signed
``sealedHash`` (``sealed_mismatch``); a reason's envelopes are each for an active APPROVER of
this department, a rejection's for the subject's identity (``wrong_recipient``); the signed
commitment is the chain's — for a reason, the objection id recomputed with it is the id (the
commitment the id binds), for a rejection the commitment of the ``ObjectionRejected`` event
(``objection_not_rejected`` before it) — else ``commitment_mismatch``. Each nonce is spent
once (``nonce_replayed``, the server's nonce table). A request's writes (its nonce, the
envelopes) are one transaction committed only if the request may still be answered
(:func:`govchain.node.offers.written_in_time`): an answer ``timeout`` means nothing was written.

**What the node can and cannot check.** It never sees a text: it checks that the signed
commitment is the one the chain holds for that objection, and that the envelopes it keeps are
exactly those the subject (or an approver) signed for that objection. It cannot check that an
envelope opens to a text hashing to the commitment; the reader does when she opens it
(:class:`~govchain.node.objection_texts.TextTampered`), and the poster's signature makes a
mismatch attributable to her.

What is kept: one row per objection, kind (reason, rejection) and recipient, with the
ciphertext, the commitment and the poster (table ``objection_envelopes``, created by the
store's Alembic revision 0002). A store upgraded from 0001 keeps the clear-text rows the node
took before (table ``objection_texts``, never written again); they are still served, sealed to
the reader, until the operator deletes them.

Contract calls are encoded and decoded with web3 from the packaged ABIs
(``govchain/abi/contracts.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import ecies
from eth_abi.abi import decode, encode
from eth_utils.abi import event_abi_to_log_topic, get_abi_output_types
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, LargeBinary, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from web3 import Web3
from web3.contract import Contract

from govchain.artifacts import PACKAGED, load_artifacts
from govchain.node.chain import DEPARTMENT_ACTIVE, RpcChain
from govchain.node.messages import FastDigest, node_domain
from govchain.node.objection_texts import (
    MAX_RECIPIENTS,
    OBJECTION_READ,
    OBJECTION_TEXT,
    READ_PATH,
    TEXT_PATH,
    sealed_hash,
)
from govchain.node.offers import written_in_time
from govchain.node.protocol import Refusal, address, b32, b64, hex32, recover, uint, unb64
from govchain.node.store import Base, utcnow

if TYPE_CHECKING:
    from govchain.node.server import DataNode

ROLE_APPROVER = 2
REASON, REJECTION = "reason", "rejection"


@cache
def _contracts() -> tuple[type[Contract], type[Contract]]:
    """ObjectionRegistry and DepartmentRegistry, from the packaged ABIs (no address: encoding)."""
    artifacts = load_artifacts(PACKAGED)
    w3 = Web3()
    return (
        w3.eth.contract(abi=artifacts.abi("ObjectionRegistry")),
        w3.eth.contract(abi=artifacts.abi("DepartmentRegistry")),
    )


def _decode(contract: type[Contract], function: str, result: str) -> tuple[Any, ...]:
    abi = contract.get_function_by_name(function).abi
    return tuple(decode(get_abi_output_types(abi), bytes.fromhex(result[2:])))


class ObjectionEnvelope(Base):
    """A reason or a rejection text sealed by its poster to one reader's key."""

    __tablename__ = "objection_envelopes"

    objection_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "reason" | "rejection"
    recipient: Mapped[str] = mapped_column(String(42), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    poster: Mapped[str] = mapped_column(String(42))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ObjectionTextRow(Base):
    """A clear text taken by a node before revision 0002 (read-only: never written again)."""

    __tablename__ = "objection_texts"

    objection_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    poster: Mapped[str] = mapped_column(String(42))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the HTTP models (OpenAPI) -----------------------------------------------------------------

Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Uint = Annotated[int, Field(ge=0, lt=2**256)] | Annotated[str, Field(pattern=r"^[0-9]{1,78}$")]
Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=65536)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class ObjectionTextRequest(_Model):
    """The EIP-712 ``ObjectionText`` the poster signs."""

    department: Hex32
    objectionId: Hex32
    rejection: bool
    commitment: Hex32
    sealedHash: Hex32
    nonce: Uint
    expiry: Uint


class Envelope(_Model):
    """The text sealed (ECIES) to one reader's published encryption key."""

    recipient: Address
    ciphertext: Base64


class ObjectionTextBody(_Model):
    """``POST /v1/objections/text``."""

    request: ObjectionTextRequest
    signature: str | None = None
    sealed: Annotated[list[Envelope], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class ObjectionReadRequest(_Model):
    """The EIP-712 ``ObjectionRead`` the reader signs."""

    department: Hex32
    objectionId: Hex32
    rejection: bool
    nonce: Uint
    expiry: Uint


class ObjectionReadBody(_Model):
    """``POST /v1/objections/read``."""

    request: ObjectionReadRequest
    signature: str | None = None


class TextAccepted(BaseModel):
    objectionId: Hex32
    kind: str
    recipients: int
    accepted: bool


class SealedText(BaseModel):
    """The envelope sealed to the reader (ECIES, base64)."""

    objectionId: Hex32
    kind: str
    ciphertext: str


_BEFORE = ("malformed_request", "body_too_large", "timeout", "chain_unavailable", "chain_error")
_SIGNED = ("unsigned", "bad_signature", "malleable_signature", "request_expired", "expiry_too_far")
_COMMON = (*_BEFORE, *_SIGNED, "wrong_node", "objection_unknown", "nonce_replayed")
TEXT_REFUSALS = (
    *_COMMON,
    "not_subject_controller",
    "not_owner_approver",
    "owner_inactive",
    "sealed_mismatch",
    "wrong_recipient",
    "commitment_mismatch",
    "objection_not_rejected",
)
READ_REFUSALS = (
    *_COMMON,
    "not_subject_controller",
    "not_owner_approver",
    "owner_inactive",
    "text_not_found",
)


class ObjectionDesk:
    """The node's decisions on objection texts (thread-safe, like :class:`DataNode`)."""

    def __init__(self, node: DataNode) -> None:
        self.node = node
        # the reads below need JSON-RPC batches and logs: a node over another chain view (none
        # in production) does not mount these endpoints
        self._rpc = node.chain if isinstance(node.chain, RpcChain) else None
        addresses = node.chain.addresses
        self.registry = getattr(addresses, "objections", "") if self._rpc else ""
        domain = node_domain(node.chain.chain_id, addresses.access_grants)
        self.text_digest = FastDigest(OBJECTION_TEXT, domain)
        self.read_digest = FastDigest(OBJECTION_READ, domain)

    # --- the two actions ------------------------------------------------------------------

    def post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        req = _mapping(body.get("request"), "request")
        msg: dict[str, Any] = {
            "department": b32(req.get("department"), "request.department"),
            "objectionId": b32(req.get("objectionId"), "request.objectionId"),
            "rejection": _bool(req.get("rejection"), "request.rejection"),
            "commitment": b32(req.get("commitment"), "request.commitment"),
            "sealedHash": b32(req.get("sealedHash"), "request.sealedHash"),
            "nonce": uint(req.get("nonce"), "request.nonce"),
            "expiry": uint(req.get("expiry"), "request.expiry"),
        }
        envelopes = _envelopes(body.get("sealed"))
        signer, _ = self._signed(msg, self.text_digest(msg), body)
        objection = self._objection(msg)
        rejection = msg["rejection"]
        if rejection:
            self._check_approver(signer)
        else:
            self._check_subject(objection, signer)
        if sealed_hash(envelopes) != msg["sealedHash"]:
            raise Refusal("sealed_mismatch")
        self._check_recipients(objection, rejection, list(envelopes))
        commitment = msg["commitment"]
        if rejection:
            if self._rejection_commitment(msg["objectionId"]) != commitment:
                raise Refusal("commitment_mismatch", "not the rejection's commitment on chain")
        elif self._objection_id(objection, commitment) != msg["objectionId"]:
            raise Refusal("commitment_mismatch", "not the objection's reason commitment on chain")
        kind = REJECTION if rejection else REASON
        with written_in_time(self.node.store) as s:
            self.node._spend_nonce(s, signer, msg["nonce"])
            s.execute(
                delete(ObjectionEnvelope).where(
                    ObjectionEnvelope.objection_id == msg["objectionId"],
                    ObjectionEnvelope.kind == kind,
                )
            )
            for recipient, ciphertext in envelopes.items():
                s.add(
                    ObjectionEnvelope(
                        objection_id=msg["objectionId"],
                        kind=kind,
                        recipient=recipient,
                        ciphertext=ciphertext,
                        commitment=commitment,
                        poster=signer,
                    )
                )
        return {
            "objectionId": hex32(msg["objectionId"]),
            "kind": kind,
            "recipients": len(envelopes),
            "accepted": True,
        }

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
            recipient = address(objection[0], "subject")  # sealed to her identity's key
        else:
            self._check_approver(signer)
            recipient = signer
        self.node._check_owner_active()
        kind = REJECTION if msg["rejection"] else REASON
        with written_in_time(self.node.store) as s:
            self.node._spend_nonce(s, signer, msg["nonce"])
        with self.node.store.session() as s:
            sealed = s.scalar(
                select(ObjectionEnvelope.ciphertext).where(
                    ObjectionEnvelope.objection_id == msg["objectionId"],
                    ObjectionEnvelope.kind == kind,
                    ObjectionEnvelope.recipient == recipient,
                )
            )
            if sealed is None:
                sealed = _legacy(s, msg["objectionId"], kind, public_key)
        if sealed is None:
            raise Refusal("text_not_found", f"no {kind} for {hex32(msg['objectionId'])} for you")
        return {"objectionId": hex32(msg["objectionId"]), "kind": kind, "ciphertext": b64(sealed)}

    # --- checks ---------------------------------------------------------------------------

    def _signed(
        self, msg: Mapping[str, Any], digest: bytes, body: Mapping[str, Any]
    ) -> tuple[str, bytes]:
        self.node._check_expiry(msg["expiry"])
        signer, public_key = recover(digest, body.get("signature"))
        if msg["department"] != self.node.config.department:
            raise Refusal("wrong_node", "the request is for another department's node")
        return signer, public_key

    @property
    def chain(self) -> RpcChain:
        if self._rpc is None or not self.registry:
            raise Refusal("objections_unavailable")
        return self._rpc

    def _call(
        self, to: str, contract: type[Contract], function: str, *args: Any
    ) -> tuple[str, list[Any]]:
        return RpcChain._call(to, contract.encode_abi(function, args=list(args)))

    def _objection(self, msg: Mapping[str, Any]) -> tuple[Any, ...]:
        registry, _ = _contracts()
        oid = msg["objectionId"]
        stored, state = self.chain.batch(
            [
                self._call(self.registry, registry, "objectionOf", oid),
                self._call(self.registry, registry, "state", oid),
            ]
        )
        (objection,) = _decode(registry, "objectionOf", stored)
        if int(_decode(registry, "state", state)[0]) == 0:
            raise Refusal("objection_unknown", f"no objection {hex32(oid)}")
        if bytes(objection[7]) != self.node.config.department:
            raise Refusal("wrong_node", "the objection is owned by another department")
        return tuple(objection)

    def _objection_id(self, objection: tuple[Any, ...], commitment: bytes) -> bytes:
        """The contract's ``objectionId(subject, kind, category, target, commitment)``, computed
        here as the contract does (a pure function; its ABI gives the types)."""
        registry, _ = _contracts()
        types = [i["type"] for i in registry.get_function_by_name("objectionId").abi["inputs"]]
        subject, kind, category, target = objection[0], objection[1], objection[9], objection[8]
        return bytes(Web3.keccak(encode(types, [subject, kind, category, target, commitment])))

    def _check_subject(self, objection: tuple[Any, ...], signer: str) -> None:
        subject = address(objection[0], "subject")
        if not self.chain.controls_identity(subject, signer):
            raise Refusal("not_subject_controller", f"{signer} does not act for {subject}")

    def _approvers(self, accounts: list[str]) -> list[bool]:
        _, departments = _contracts()
        to, dept = self.chain.addresses.departments, self.node.config.department
        results = self.chain.batch(
            [
                self._call(to, departments, "isActiveMember", a, dept, ROLE_APPROVER)
                for a in accounts
            ]
        )
        return [bool(_decode(departments, "isActiveMember", r)[0]) for r in results]

    def _check_approver(self, signer: str) -> None:
        if not self._approvers([signer])[0]:
            raise Refusal("not_owner_approver", f"{signer} is not an active APPROVER here")
        if self.chain.department_status(self.node.config.department) != DEPARTMENT_ACTIVE:
            raise Refusal("owner_inactive")

    def _check_recipients(
        self, objection: tuple[Any, ...], rejection: bool, recipients: list[str]
    ) -> None:
        if rejection:
            subject = address(objection[0], "subject")
            wrong = [r for r in recipients if r != subject]
        else:
            wrong = [
                r for r, ok in zip(recipients, self._approvers(recipients), strict=True) if not ok
            ]
        if wrong:
            raise Refusal("wrong_recipient", f"{wrong[0]} may not read this text")

    def _rejection_commitment(self, oid: bytes) -> bytes:
        registry, _ = _contracts()
        event = registry.events.ObjectionRejected()
        topic = "0x" + bytes(event_abi_to_log_topic(event.abi)).hex()
        logs = self.chain.logs(self.registry, [topic, hex32(oid)])
        if not logs:
            raise Refusal("objection_not_rejected", f"{hex32(oid)} is not rejected on chain")
        decoded = event.process_log(_log(logs[-1]))
        return bytes(decoded["args"]["reasonCommitment"])


def _log(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-RPC log in the shape web3's event decoder takes."""
    from hexbytes import HexBytes

    return {
        **raw,
        "topics": [HexBytes(t) for t in raw["topics"]],
        "data": HexBytes(raw["data"]),
        "logIndex": int(str(raw.get("logIndex", "0x0")), 16),
        "transactionIndex": int(str(raw.get("transactionIndex", "0x0")), 16),
        "blockNumber": int(str(raw.get("blockNumber", "0x0")), 16),
        "transactionHash": HexBytes(raw.get("transactionHash", "0x")),
        "blockHash": HexBytes(raw.get("blockHash", "0x")),
    }


def _legacy(s: Any, oid: bytes, kind: str, public_key: bytes) -> bytes | None:
    """A clear text kept before revision 0002, sealed now to the reader's key (as then)."""
    row = s.get(ObjectionTextRow, (oid, kind))
    if row is None:
        return None
    inner = {"objectionId": hex32(oid), "text": row.text, "salt": hex32(row.salt)}
    return bytes(ecies.encrypt(public_key, json.dumps(inner).encode()))


def _envelopes(value: Any) -> dict[str, bytes]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECIPIENTS:
        raise Refusal("malformed_request", f"sealed must be a list of 1 to {MAX_RECIPIENTS}")
    out: dict[str, bytes] = {}
    for i, item in enumerate(value):
        entry = _mapping(item, f"sealed[{i}]")
        recipient = address(entry.get("recipient"), f"sealed[{i}].recipient")
        try:
            ciphertext = unb64(str(entry.get("ciphertext")))
        except ValueError:
            raise Refusal("malformed_request", f"sealed[{i}].ciphertext: not base64") from None
        if recipient in out or not ciphertext:
            raise Refusal("malformed_request", f"sealed[{i}]: a repeated or empty envelope")
        out[recipient] = ciphertext
    return out


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Refusal("malformed_request", f"{what} must be an object")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise Refusal("malformed_request", f"{what} must be true or false")
    return value


# --- HTTP ----------------------------------------------------------------------------------


def mount(app: FastAPI, node: DataNode) -> None:
    """Adds the objection-text endpoints to ``app`` through the node's one request path
    (``app.state.route`` of :func:`govchain.node.api.build_app`: model validation, access log,
    metrics, OpenAPI) — only if the node's chain view names an ObjectionRegistry."""
    desk = ObjectionDesk(node)
    if not desk.registry:
        return
    route = app.state.route
    route(TEXT_PATH, "objection", ObjectionTextBody, TextAccepted, TEXT_REFUSALS, desk.post,
          "A citizen posts her sealed reason, or an approver the sealed rejection text")  # fmt: skip
    route(READ_PATH, "objection", ObjectionReadBody, SealedText, READ_REFUSALS, desk.read,
          "An approver reads a reason, the citizen a rejection, sealed to their key")  # fmt: skip


__all__ = ["ObjectionDesk", "ObjectionEnvelope", "ObjectionTextRow", "mount"]
