"""The department data node: HTTP in front of one department's store.

Endpoints (JSON; refusals are ``{"reason", "detail"}`` with the status of
:data:`govchain.node.protocol.REFUSALS`):

- ``GET  /v1/health`` — the node's department and whether it reaches the chain.
- ``POST /v1/records/fetch`` — a grantee department's member fetches one record:
  ``{"request": DataRequest, "signature": "0x…", "accessTx": "0x…", "grant": Grant terms}``.
- ``POST /v1/subject/list`` and ``/v1/subject/fetch`` — a citizen lists or fetches their own
  records: ``{"request": SubjectRequest, "signature": "0x…"}``. The request names the
  department whose node it is for; any other node refuses it (``wrong_node``), so a node's
  operator cannot replay a citizen's request at another department's node.

Checks of ``/v1/records/fetch``, in order: well-formed; not expired; signed (the signer's key is
recovered from the EIP-712 digest); then, at the latest block (one head read that began after
the request arrived, shared by the requests that arrived meanwhile - :class:`govchain.node.index.
HeadReads`; answers of that block, by number and hash, come from the per-block cache of
:mod:`govchain.node.index`, the rest from one JSON-RPC batch pinned to it): the terms hash to the
grant id and the grant is owned by this department; ``AccessGrants.accessStatus(terms, category,
signer)`` - the contract's own rule, computed by the function ``recordAccess`` refuses with - is
Live (or UsedUp: the access record being served spent that use), so a grant revoked, a member
removed, a department suspended, a key rotated or a category reclassified since the access was
recorded refuses the release; its subject is the request's; the access transaction holds an
``AccessRecorded`` event of AccessGrants (from the node's index of those events, or the
transaction's receipt) whose ``requestHash`` is this request's digest, whose member is the
signer, and whose grant, category, owner and subject are the request's.
Then, as before every release (subject requests too), the node re-reads its own department's
status at the same head: a department that is not Active (suspended, retired) releases nothing
(``owner_inactive``). Then the record is looked up; it is released only where its record hash,
recomputed from its columns with the request's subject, is its stored hash (the subject column
alone is not trusted; an altered row is refused as ``record_altered``); then the nonce is spent
and the serve-log row written in one (group-committed) database transaction
(:mod:`govchain.node.release`), and only once that is durable is the answer, encrypted (ECIES,
secp256k1) to the key that signed the request and carrying the record's anchor proof, returned.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from govchain import timefmt
from govchain.errors import NetworkUnavailable
from govchain.node import objections, offers
from govchain.node.chain import (
    ROLE_STAFF,
    STATUS_REFUSALS,
    ZERO32,
    ZERO_ADDRESS,
    ChainAddresses,
    ChainView,
    RequestContext,
    RpcChain,
    grant_id_of,
)
from govchain.node.deadline import Deadline
from govchain.node.messages import DATA_REQUEST, SUBJECT_REQUEST, FastDigest, node_domain
from govchain.node.onloop import LoopSide
from govchain.node.protocol import (
    Refusal,
    address,
    b32,
    grant_terms,
    hex32,
    recover,
    uint,
)
from govchain.node.release import GroupCommit, Releaser, _code
from govchain.node.store import Record, Store, subject_forms
from govchain.sharing.merkle import RecordTree

UNCONDITIONAL = 1


@dataclass(frozen=True)
class NodeConfig:
    department: bytes
    max_body_bytes: int = 16 * 1024
    request_timeout: float = 10.0
    max_validity: int = 3600  # seconds a request may be valid ahead (bounds the nonce table)


@dataclass(frozen=True)
class _Fetch:
    """A grant-checked fetch request, read and its signer recovered."""

    msg: dict[str, Any]
    access_tx: str
    digest: bytes
    signer: str
    public_key: bytes
    terms: Mapping[str, Any] | None


class DataNode(Releaser):
    """The node's decisions, independent of HTTP (thread-safe); what it releases and how is
    :class:`~govchain.node.release.Releaser`'s."""

    def __init__(self, config: NodeConfig, store: Store, chain: ChainView) -> None:
        self.config = config
        self.store = store
        self.chain = chain
        domain = node_domain(chain.chain_id, chain.addresses.access_grants)
        self.data_digest = FastDigest(DATA_REQUEST, domain)
        self.subject_digest = FastDigest(SUBJECT_REQUEST, domain)
        self.commits = GroupCommit(store)
        self._trees: OrderedDict[int, RecordTree] = OrderedDict()
        self._trees_lock = threading.Lock()
        self._loop_sides: dict[int, LoopSide] = {}  # by the event loop's id
        self._sides_lock = threading.Lock()

    # --- grant-checked fetch ---------------------------------------------------------------

    def fetch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        f = self._fetch_request(body)
        ctx = self.chain.request_context(
            f.signer,
            f.msg["grantId"],
            f.msg["category"],
            f.access_tx,
            terms=f.terms,
            request_hash=f.digest,
            owner=self.config.department,
        )
        grantee = self._fetch_checked(f, ctx)
        record, anchor = self._release(
            f.signer,
            f.msg,
            f.digest,
            kind="grant",
            department=grantee,
            access_tx=f.access_tx,
            owner_status=ctx.owner_status,
        )
        return self._answer(record, anchor, f.public_key)

    async def fetch_on_loop(self, body: Mapping[str, Any], deadline: Deadline) -> dict[str, Any]:
        """:meth:`fetch` decided on the running event loop: the same checks in the same order;
        the head read, what the cache and the index do not hold, and the group commit run on
        threads, once per batch of requests (:mod:`govchain.node.onloop`)."""
        side = self.on_loop()
        f = self._fetch_request(body)
        ctx = await side.context(
            f.signer,
            f.msg["grantId"],
            f.msg["category"],
            f.access_tx,
            f.terms,
            f.digest,
            self.config.department,
        )
        grantee = self._fetch_checked(f, ctx)
        record, anchor = await side.release(
            deadline,
            f.signer,
            f.msg,
            f.digest,
            kind="grant",
            department=grantee,
            access_tx=f.access_tx,
            owner_status=ctx.owner_status,
        )
        return self._answer(record, anchor, f.public_key)

    def on_loop(self) -> LoopSide:
        """This node's reads and writes for requests decided on the running event loop."""
        loop = asyncio.get_running_loop()
        side = self._loop_sides.get(id(loop))
        if side is None or side.loop is not loop:
            with self._sides_lock:
                for key, old in list(self._loop_sides.items()):
                    if old.loop.is_closed():  # a server or a test ran its loop and ended
                        old.close()
                        del self._loop_sides[key]
                side = self._loop_sides[id(loop)] = LoopSide(self, loop)
        return side

    def _fetch_request(self, body: Mapping[str, Any]) -> _Fetch:
        """The request read, not expired, and its signer recovered (no chain read yet)."""
        req = _mapping(body.get("request"), "request")
        msg: dict[str, Any] = {
            "grantId": b32(req.get("grantId"), "request.grantId"),
            "category": b32(req.get("category"), "request.category"),
            "subject": address(req.get("subject"), "request.subject"),
            "recordId": b32(req.get("recordId"), "request.recordId"),
            "nonce": uint(req.get("nonce"), "request.nonce"),
            "expiry": uint(req.get("expiry"), "request.expiry"),
        }
        access_tx = body.get("accessTx")
        b32(access_tx, "accessTx")
        self._check_expiry(msg["expiry"])
        digest = self.data_digest(msg)
        signer, public_key = recover(digest, body.get("signature"))
        open_access = msg["grantId"] == ZERO32
        terms = None if open_access else grant_terms(body.get("grant"))
        return _Fetch(msg, str(access_tx), digest, signer, public_key, terms)

    def _fetch_checked(self, f: _Fetch, ctx: RequestContext) -> bytes:
        """The grant (or open access) and the access record checked at ``ctx``'s head; the
        grantee department."""
        grantee = self._check_authority(f.msg, f.terms, ctx, f.signer)
        self._check_access_record(f.msg, f.terms, ctx, f.signer, f.digest)
        return grantee

    def _check_expiry(self, expiry: int) -> None:
        now = int(time.time())
        if expiry <= now:
            raise Refusal(
                "request_expired", f"expired at {timefmt.iso(expiry)}, now {timefmt.iso(now)}"
            )
        if expiry > now + self.config.max_validity:
            raise Refusal("expiry_too_far", f"at most {self.config.max_validity} s ahead")

    def _check_authority(
        self,
        msg: Mapping[str, Any],
        terms: Mapping[str, Any] | None,
        ctx: RequestContext,
        signer: str,
    ) -> bytes:
        member = ctx.member
        if terms is None:  # an Unconditional category: any active STAFF, no grant
            if not (member.active and member.roles & ROLE_STAFF and member.department != ZERO32):
                raise Refusal("not_grantee_member", f"{signer} is not an active staff member")
            if ctx.category.owner != self.config.department:
                raise Refusal("wrong_node", "the category belongs to another department")
            if ctx.category.sharing != UNCONDITIONAL:
                raise Refusal("no_grant", "the category is not Unconditional; name a grant")
            # open data is data about no one: its access record names no subject (review s26
            # N-1), so a record bound to a citizen is released only under a grant of hers
            if msg["subject"].lower() != ZERO_ADDRESS:
                raise Refusal(
                    "subject_mismatch", "open access releases records about no one; name a grant"
                )
            return bytes(member.department)
        # what the request says of the grant, checked here: the terms are the grant's, the
        # grant's data is held here
        if grant_id_of(terms) != msg["grantId"]:
            raise Refusal("grant_mismatch")
        if terms["owner"] != self.config.department:
            raise Refusal("wrong_node", f"the grant's data is held by {_code(terms['owner'])}")
        # the access rule itself is the contract's: AccessGrants.accessStatus(terms, category,
        # signer) at the latest block, computed by the function recordAccess refuses with - a
        # grant revoked, a member removed, a department suspended, a key rotated or a category
        # reclassified after the access was recorded refuses the release. USED_UP passes: the
        # access record being served spent that use.
        status = ctx.access_status
        if status in STATUS_REFUSALS:
            raise Refusal(STATUS_REFUSALS[status], f"{status.name} at block {ctx.head}")
        if msg["subject"].lower() != terms["subject"].lower():
            raise Refusal("subject_mismatch")
        return bytes(terms["grantee"])

    def _check_access_record(
        self,
        msg: Mapping[str, Any],
        terms: Mapping[str, Any] | None,
        ctx: RequestContext,
        signer: str,
        digest: bytes,
    ) -> None:
        if not ctx.access_tx_found or not ctx.access_tx_ok or not ctx.access_records:
            raise Refusal("access_record_missing", "the transaction holds no access record")
        owner = self.config.department
        subject = ZERO_ADDRESS if terms is None else msg["subject"]
        for rec in ctx.access_records:
            if (
                rec.request_hash == digest
                and rec.member.lower() == signer.lower()
                and rec.grant_id == msg["grantId"]
                and rec.category == msg["category"]
                and rec.owner == owner
                and rec.subject.lower() == subject.lower()
            ):
                return
        raise Refusal("access_record_mismatch", f"none has requestHash {hex32(digest)} by {signer}")

    # --- the citizen's own data -------------------------------------------------------------

    def _subject_request(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], bytes, str, bytes]:
        req = _mapping(body.get("request"), "request")
        msg: dict[str, Any] = {
            "department": b32(req.get("department"), "request.department"),
            "subject": address(req.get("subject"), "request.subject"),
            "category": b32(req.get("category"), "request.category"),
            "recordId": b32(req.get("recordId"), "request.recordId"),
            "nonce": uint(req.get("nonce"), "request.nonce"),
            "expiry": uint(req.get("expiry"), "request.expiry"),
        }
        self._check_expiry(msg["expiry"])
        digest = self.subject_digest(msg)
        signer, public_key = recover(digest, body.get("signature"))
        if msg["department"] != self.config.department:
            # the citizen signed it for another department's node: the operator of that node
            # replaying it here learns nothing
            raise Refusal(
                "wrong_node",
                f"the request is for {_code(msg['department'])}, this node serves "
                f"{_code(self.config.department)}",
            )
        if not self.chain.controls_identity(msg["subject"], signer):
            raise Refusal("not_subject_controller", f"{signer} does not control {msg['subject']}")
        return msg, digest, signer, public_key

    def subject_fetch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        msg, digest, signer, public_key = self._subject_request(body)
        if msg["recordId"] == ZERO32:
            raise Refusal("malformed_request", "recordId is zero; use /v1/subject/list")
        record, anchor = self._release(signer, msg, digest, kind="subject")
        return self._answer(record, anchor, public_key)

    def subject_list(self, body: Mapping[str, Any]) -> dict[str, Any]:
        msg, _digest, signer, _ = self._subject_request(body)
        self._check_owner_active()
        self._spend(signer, msg["nonce"])
        with self.store.session() as s:
            # compare addresses, not texts (both indexed forms; the audit names any other)
            forms = subject_forms(msg["subject"])
            query = select(Record).where(Record.subject.in_(forms), Record.anchored)
            if msg["category"] != ZERO32:
                query = query.where(Record.category == msg["category"])
            latest: dict[tuple[bytes, bytes], Record] = {}
            for rec in s.scalars(query):
                key = (rec.category, rec.record_id)
                if key not in latest or latest[key].version < rec.version:
                    latest[key] = rec
            items = []
            for rec in sorted(latest.values(), key=lambda r: (r.category, r.record_id)):
                items.append(
                    {
                        "category": hex32(rec.category),
                        "recordId": hex32(rec.record_id),
                        "version": rec.version,
                        "recordHash": hex32(rec.content_hash),
                        "anchor": self._anchor_proof(s, rec),
                    }
                )
        return {
            "department": hex32(self.config.department),
            "subject": msg["subject"],
            "records": items,
        }

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"department": hex32(self.config.department)}
        try:
            out["chainId"] = self.chain.chain_id
            out["chain"] = "ok"
        except NetworkUnavailable:
            out["chain"] = "unavailable"
        return out


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Refusal("malformed_request", f"{what} must be an object")
    return value


# --- HTTP (govchain.node.api) -------------------------------------------------------------------


def create_app(node: DataNode, **options: Any) -> FastAPI:
    """The FastAPI app of one data node (:func:`govchain.node.api.build_app`; ``options``:
    ``access_log``, ``metrics``)."""
    from govchain.node.api import build_app

    app = build_app(node, **options)
    objections.mount(app, node)  # services2: through build_app's route (models, log, metrics)
    offers.mount(app, node)
    return app


def build_node(
    department: bytes,
    db_url: str,
    rpc_url: str,
    addresses: ChainAddresses,
    *,
    chain_id: int | None = None,
    config: NodeConfig | None = None,
) -> DataNode:
    """A node over a store URL and a chain URL (the chain id is read once if not given)."""
    chain = RpcChain(rpc_url, addresses, chain_id=chain_id)
    return DataNode(config or NodeConfig(department), Store(db_url), chain)


def serve(
    department: bytes,
    db_url: str,
    rpc_url: str,
    addresses: ChainAddresses,
    *,
    host: str = "127.0.0.1",
    port: int = 8700,
    chain_id: int | None = None,
    config: NodeConfig | None = None,
    log_level: str = "warning",
) -> None:
    """Runs a node until interrupted (what ``govchain node serve`` runs, without the CLI)."""
    from govchain.node.service import ServeOptions, run_node

    node = build_node(department, db_url, rpc_url, addresses, chain_id=chain_id, config=config)
    run_node(node, ServeOptions(host=host, port=port, log_level=log_level))
