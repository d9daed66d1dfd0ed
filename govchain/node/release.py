"""The release half of the data node: the owner's status, the nonce, the record, the answer.

A release is decided in this order: the owner department is Active at the head the request was
judged at; the record is read (the latest anchored version) and bound to the request's subject
by its record hash (the subject column alone is not trusted); then the request's nonce is spent
and its serve-log row written in one database transaction - only a request whose nonce was not
spent before is answered, and only after that transaction is committed.

Group commit (:class:`GroupCommit`): the nonce spends and serve-log rows of the requests that
reach the store while a commit is under way are written together in the next transaction (one
``COMMIT``, one fsync), each nonce with ``INSERT … ON CONFLICT DO NOTHING``: a nonce already
spent (in the store, or earlier in the same group) inserts no row and its request is refused
``nonce_replayed``. The store's durability setting is unchanged (SQLite WAL with
``synchronous=FULL``, PostgreSQL's default): every answer leaves the node after the transaction
holding its nonce is durable, so a crash, even a power loss, never makes a served request's
nonce spendable again - replay stays impossible. A crash loses only spends of requests that
were not answered (their callers saw no record and may send them again).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ecies
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from govchain.node.chaintypes import DEPARTMENT_ACTIVE, ZERO_ADDRESS
from govchain.node.deadline import Deadline
from govchain.node.deadline import current as current_deadline
from govchain.node.protocol import Refusal, b64, hex32
from govchain.node.rawsql import RawStatement, raw_cursor
from govchain.node.store import BATCH, Batch, Record, ServeLogEntry, Store, UsedNonce, utcnow
from govchain.sharing.merkle import RecordTree, record_hash, record_leaf

if TYPE_CHECKING:
    from govchain.node.chaintypes import ChainView


@dataclass
class Spend:
    signer: str
    nonce: str
    log: dict[str, Any] | None
    deadline: Deadline | None = field(default=None, repr=False)
    spent: bool | None = None  # None until its group is committed
    error: BaseException | None = field(default=None, repr=False)


class GroupCommit:
    """Nonce spends (and their serve-log rows) of concurrent requests in one transaction each
    group (thread-safe; no thread of its own: the first request to find no commit under way
    commits everything queued, the others wait for it)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        dialect = store.engine.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as upsert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert  # type: ignore[assignment]
        else:  # pragma: no cover - the store supports these two
            raise ValueError(f"no INSERT … ON CONFLICT for {dialect}")
        # built once: a statement object rebuilt per row costs more CPU than the insert itself
        # (SQLAlchemy regenerates its cache key); these are compiled once and reused
        self._spend_stmt = (
            upsert(UsedNonce)
            .values(signer=bindparam("signer"), nonce=bindparam("nonce"), used_at=bindparam("at"))
            .on_conflict_do_nothing()
            .returning(UsedNonce.signer)
        )
        log_columns = [c.name for c in ServeLogEntry.__table__.c if c.name != "id"]
        self._log_blank: dict[str, Any] = dict.fromkeys(log_columns)  # a column left out: NULL
        self._log_stmt = (
            upsert(ServeLogEntry)
            .values({name: bindparam(name) for name in log_columns})
            .on_conflict_do_nothing()
            .returning(ServeLogEntry.id)
        )
        # run on the DB-API connection (rawsql.py): SQLAlchemy's execution context per row
        # cost more CPU than the insert
        self._spend_raw = RawStatement(self._spend_stmt, store.engine)
        self._log_raw = RawStatement(self._log_stmt, store.engine)
        #: the latest anchored version of one record (the read of every release)
        self.latest_anchored = RawStatement(_LATEST_ANCHORED, store.engine)
        self._cond = threading.Condition()
        self._queue: list[Spend] = []
        self._busy = False
        self.groups = 0  # transactions committed (for the benchmarks)
        self.spends = 0

    def spend(self, signer: str, nonce: int, log: Mapping[str, Any] | None = None) -> bool:
        """Spend ``(signer, nonce)`` and write ``log`` (a serve-log row) with it, durably:
        True once committed, False if the nonce was spent before (nothing written)."""
        item = self.item(signer, nonce, log, current_deadline())
        with self._cond:
            self._queue.append(item)
            while item.spent is None and item.error is None:
                if not self._busy:
                    self._busy = True
                    group = self.begin(self._queue)
                    self._queue = []
                    break
                self._cond.wait()
            else:
                return self.result(item)
        try:
            self.commit_group(group)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        return self.result(item)

    def item(
        self,
        signer: str,
        nonce: int,
        log: Mapping[str, Any] | None,
        deadline: Deadline | None,
    ) -> Spend:
        """One spend to queue (``log``: its serve-log row; ``deadline``: its request's)."""
        row = {**self._log_blank, **log} if log is not None else None
        return Spend(signer, str(nonce), row, deadline)

    def commit_group(self, group: list[Spend]) -> None:
        """Writes ``group`` in one transaction, committed (and, SQLite: fsynced) when it
        returns; each spend's ``spent`` set, or, if the transaction failed, its ``error``."""
        try:
            if group:
                self._commit(group)
        except BaseException as exc:  # every request of the group learns it (a 503/500 each)
            for it in group:
                it.error = exc

    @staticmethod
    def begin(queued: list[Spend]) -> list[Spend]:
        """The queued spends whose requests may still be answered (review s26 N-2): one whose
        deadline passed, or whose caller gave up, fails ``timeout`` and writes nothing."""
        group = []
        for it in queued:
            if it.deadline is None or it.deadline.begin_commit():
                group.append(it)
            else:
                it.error = Refusal("timeout", "the request's time ran out before its release")
        return group

    @staticmethod
    def result(item: Spend) -> bool:
        if item.error is not None:
            raise item.error
        return bool(item.spent)

    def _commit(self, group: list[Spend]) -> None:
        # one transaction on the DB-API connection, committed (and, SQLite: fsynced) before any
        # of the group is answered
        with raw_cursor(self.store.engine, commit=True) as cursor:
            for it in group:
                # whether a row went in is asked with RETURNING, not rowcount: psycopg reports
                # -1 for an INSERT … ON CONFLICT DO NOTHING that inserted, SQLite 1
                now = utcnow()
                spent = self._spend_raw.run(
                    cursor, {"signer": it.signer, "nonce": it.nonce, "at": now}
                )
                it_spent = spent is not None
                if it_spent and it.log is not None:
                    logged = self._log_raw.run(cursor, {**it.log, "served_at": now})
                    # a request hash logged before: nothing is released for it again
                    it_spent = logged is not None
                it.spent = it_spent
        self.groups += 1
        self.spends += len(group)


_records = Record.__table__.c
#: the latest anchored version of one record (a row of ``records``)
_LATEST_ANCHORED = (
    select(Record.__table__)
    .where(
        _records.category == bindparam("category"),
        _records.record_id == bindparam("record_id"),
        _records.anchored,
    )
    .order_by(_records.version.desc())
    .limit(1)
)


class NotFound(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class Releaser:
    """What :class:`govchain.node.server.DataNode` releases and how (mixed into it)."""

    config: Any
    store: Store
    chain: ChainView
    commits: GroupCommit
    _trees: OrderedDict[int, RecordTree]
    _trees_lock: threading.Lock

    def _check_owner_active(self, status: int | None = None) -> None:
        """The records' owner, this node's department, must be Active when it releases anything:
        a suspended or retired department's node keeps its store but serves nobody. Read for
        every request at the latest block (a grant-checked fetch passes the status read with its
        other checks, at the same head), so a suspension takes effect on the next request."""
        if status is None:
            status = self.chain.department_status(self.config.department)
        if status != DEPARTMENT_ACTIVE:
            raise Refusal(
                "owner_inactive", f"{_code(self.config.department)} has status {status}, not Active"
            )

    @staticmethod
    def _spend_nonce(s: Any, signer: str, nonce: int) -> None:
        """Spend a nonce inside the caller's transaction (offers and objection texts)."""
        s.add(UsedNonce(signer=signer, nonce=str(nonce)))
        try:
            s.flush()
        except IntegrityError:
            raise Refusal("nonce_replayed", f"nonce {nonce} of {signer} was used") from None

    def _spend(self, signer: str, nonce: int, log: Mapping[str, Any] | None = None) -> None:
        """Spend the nonce through the group commit (refused ``nonce_replayed`` if spent)."""
        if not self.commits.spend(signer, nonce, log):
            raise Refusal("nonce_replayed", f"nonce {nonce} of {signer} was used")

    def _release(
        self,
        signer: str,
        msg: Mapping[str, Any],
        digest: bytes,
        *,
        kind: str,
        department: bytes | None = None,
        access_tx: str | None = None,
        owner_status: int | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Checks the owner is Active, finds the record (a row of ``records``), then spends the nonce and logs the
        release in one (group) transaction; nothing is returned before it is committed."""
        found = self._find_release(msg, owner_status)
        if isinstance(found, NotFound):
            # the nonce is spent all the same (the access record is used up); nothing released
            self._spend(signer, msg["nonce"])
            raise self._not_found(found, msg)
        rec, anchor = found
        self._spend(
            signer, msg["nonce"], serve_log(signer, msg, digest, rec, kind, department, access_tx)
        )
        return rec, anchor

    def _find_release(
        self, msg: Mapping[str, Any], owner_status: int | None
    ) -> tuple[Any, dict[str, Any]] | NotFound:
        """The owner checked Active, then the record to release and its anchor proof, or why
        there is none (:meth:`_release`; the event loop's release shares it)."""
        self._check_owner_active(owner_status)
        try:
            # a row, not an ORM object, by a statement compiled once and run on the DB-API
            # connection (rawsql.py)
            latest = self.commits.latest_anchored
            with raw_cursor(self.store.engine) as cursor:
                rec = latest.run(
                    cursor, {"category": msg["category"], "record_id": msg["recordId"]}
                )
            if rec is None:
                raise NotFound("record_not_found")
            if not self._bound_to(rec, msg["subject"]):
                # the record hash, recomputed with this subject, is not the row's: another
                # subject's record, or a row altered in the store - released to nobody
                column = (rec.subject or ZERO_ADDRESS).lower()
                altered = column == msg["subject"].lower()
                raise NotFound("record_altered" if altered else "record_not_found")
            return rec, self._anchor_proof(None, rec)
        except NotFound as nf:
            return nf

    def _not_found(self, nf: NotFound, msg: Mapping[str, Any]) -> Refusal:
        unanchored = self._exists_unanchored(msg)
        return Refusal("record_not_anchored" if unanchored else nf.reason)

    def _exists_unanchored(self, msg: Mapping[str, Any]) -> bool:
        with self.store.session() as s:
            rec = s.scalars(
                select(Record).where(
                    Record.category == msg["category"], Record.record_id == msg["recordId"]
                )
            ).first()
            return rec is not None and self._bound_to(rec, msg["subject"])

    def _bound_to(self, rec: Any, subject: str) -> bool:
        """Whether the row's record hash binds ``subject`` (the subject column is not trusted:
        the hash over every column, with this subject, must be the row's anchored hash)."""
        bound = None if subject.lower() == ZERO_ADDRESS else subject
        try:
            again = record_hash(
                rec.category,
                rec.record_id,
                rec.version,
                self.config.department,
                bound,
                rec.media_type,
                rec.content,
                rec.salt,
            )
        except ValueError:
            return False
        return bool(again == rec.content_hash)

    def _anchor_proof(self, s: Any, rec: Any) -> dict[str, Any]:
        """The batch proof of a row published in a batch (the requester uses it only while
        the chain has no single anchor of the record); a single anchor needs no proof."""
        if rec.anchor_kind != BATCH or rec.batch_id is None:
            return {"kind": "single", "version": rec.version}
        tree = self._tree(s, rec.batch_id)
        leaf = record_leaf(rec.category, rec.record_id, rec.version, rec.content_hash)
        try:
            proof = tree.proof_of(leaf)
        except KeyError:
            proof = []
        return {
            "kind": "batch",
            "version": rec.version,
            "root": hex32(tree.root),
            "leafIndex": rec.leaf_index,
            "proof": [hex32(p) for p in proof],
        }

    def _tree(self, s: Any, batch_id: int) -> RecordTree:
        """The batch's Merkle tree (``s``: an ORM session, a Core connection, or None: a
        connection of its own when the tree is not cached)."""
        with self._trees_lock:
            tree = self._trees.get(batch_id)
            if tree is not None:
                self._trees.move_to_end(batch_id)
                return tree
        if s is None:
            with self.store.engine.connect() as c:
                return self._tree(c, batch_id)
        rows = s.execute(
            select(Record.category, Record.record_id, Record.version, Record.content_hash)
            .where(Record.batch_id == batch_id)
            .order_by(Record.leaf_index)
        ).all()
        tree = RecordTree([record_leaf(c, r, v, h) for c, r, v, h in rows])
        state = s.execute(select(Batch.state).where(Batch.id == batch_id)).scalar()
        if state == "done":  # only finished batches are cached
            with self._trees_lock:
                self._trees[batch_id] = tree
                while len(self._trees) > 64:
                    self._trees.popitem(last=False)
        return tree

    def _answer(self, rec: Any, anchor: dict[str, Any], public_key: bytes) -> dict[str, Any]:
        inner = {
            "category": hex32(rec.category),
            "recordId": hex32(rec.record_id),
            "subject": rec.subject,
            "version": rec.version,
            "mediaType": rec.media_type,
            "salt": hex32(rec.salt),
            "content": b64(rec.content),
        }
        ciphertext = ecies.encrypt(public_key, json.dumps(inner).encode())
        return {
            "department": hex32(self.config.department),
            "category": inner["category"],
            "recordId": inner["recordId"],
            "version": rec.version,
            "anchor": anchor,
            "ciphertext": b64(ciphertext),
        }


def serve_log(
    signer: str,
    msg: Mapping[str, Any],
    digest: bytes,
    rec: Any,
    kind: str,
    department: bytes | None,
    access_tx: str | None,
) -> dict[str, Any]:
    """The serve-log row of one release."""
    return {
        "kind": kind,
        "requester": signer,
        "department": department,
        "grant_id": msg.get("grantId"),
        "access_tx": access_tx,
        "request_hash": digest,
        "category": rec.category,
        "record_id": rec.record_id,
        "version": rec.version,
        "subject": rec.subject,
        "content_hash": rec.content_hash,
    }


def _code(code: bytes) -> str:
    return code.rstrip(b"\0").decode("ascii", "replace") or "0x" + code.hex()
