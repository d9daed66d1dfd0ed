"""A department's off-chain store: records, the anchoring outbox, Merkle batches, used request
nonces and the serve log (SQLAlchemy 2; a SQLite file by default, PostgreSQL by URL).

Records are immutable rows keyed by (category, record id, version); a new version is a new
row. ``content`` is the record's canonical bytes (for JSON: UTF-8, sorted keys, no spaces) and
``content_hash = keccak256(salt ‖ content)`` is what goes on chain. ``salt`` is secret: it is
released only inside an encrypted answer, to a requester who may see the content anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

# outbox states
PENDING = "pending"  # written, not yet anchored (nor batched)
BATCHED = "batched"  # assigned to a prepared Merkle batch, whose root may or may not be on chain
DONE = "done"  # anchored on chain (exactly once)
FAILED = "failed"  # the chain holds a different content for this version: needs a person

SINGLE = "single"
BATCH = "batch"

# batch states
PREPARED = "prepared"


def canonical_subject(subject: str | None) -> str | None:
    """The one stored form of a record's ``subject`` column: None, or the EIP-55 checksummed
    address. The publisher writes it, the node looks rows up by it and the tamper audit
    reports a row in any other form as ``altered`` (raises ``ValueError`` if not an address)."""
    if subject is None:
        return None
    if not isinstance(subject, str):
        raise ValueError("a subject is an address")
    return to_checksum_address(subject)


def subject_forms(subject: str) -> tuple[str, str]:
    """The textual forms of one address a lookup matches: the canonical (checksummed) form and
    the lower-case one a store edit (or an older writer) may leave behind; the tamper audit
    names every row not in canonical form."""
    canonical = to_checksum_address(subject)
    return canonical, canonical.lower()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Record(Base):
    """One version of one record of a data category."""

    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("category", "record_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    record_id: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(42), index=True, nullable=True)
    media_type: Mapped[str] = mapped_column(String(100), default="application/json")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    anchored: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    anchor_kind: Mapped[str] = mapped_column(String(10), default=SINGLE)
    anchor_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), nullable=True)
    leaf_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Batch(Base):
    """A Merkle batch of records of one category. Its leaves are fixed before anything is sent."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("category", "root"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[bytes] = mapped_column(LargeBinary(32))
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default=PREPARED, index=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxEntry(Base):
    """A record waiting to be anchored. Written in the same transaction as the record."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("records.id"), unique=True)
    mode: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsedNonce(Base):
    """A request nonce a signer has spent at this node (replays are refused)."""

    __tablename__ = "used_nonces"

    signer: Mapped[str] = mapped_column(String(42), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(78), primary_key=True)  # uint256, decimal
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServeLogEntry(Base):
    """What the node released, to whom, under which access record (or as the subject's own data)."""

    __tablename__ = "serve_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))  # "grant" | "subject"
    requester: Mapped[str] = mapped_column(String(42), index=True)
    department: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    grant_id: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    access_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    category: Mapped[bytes] = mapped_column(LargeBinary(32))
    record_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(42), index=True, nullable=True)
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=FULL")  # a committed outbox row survives power loss
    cursor.execute("PRAGMA busy_timeout=10000")  # several processes (node, publisher) share it
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Engine and sessions over one department store. ``create``: bring its schema to this
    code's revision first (:func:`govchain.node.migrate.upgrade`: creates a new store, upgrades
    an older one, refuses one written by a newer govchain with ``StoreTooNew``)."""

    def __init__(self, url: str, *, create: bool = True, pool_size: int = 10) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            from govchain.node.migrate import upgrade

            try:
                upgrade(self.engine, self.url.split("@")[-1])
            except BaseException:
                self.engine.dispose()
                raise
            # a table the code declares that no revision creates yet (a branch merged without
            # its migration): created, and tests/node/test_migrations.py fails until one does
            Base.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
