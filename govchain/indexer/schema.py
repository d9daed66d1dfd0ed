"""SQL tables of the index (SQLAlchemy Core), and opening a database by URL or file.

``events``: one row per log, keyed by (chain id, block number, log index) — the unique key that
makes every insert idempotent — with the decoded arguments as JSON and the extracted columns
of :mod:`govchain.indexer.columns`, each indexed together with the event name and the position
in the chain, so a trail is one index range scan (``department`` holds the first department
argument; lookups by department go through ``event_departments``, which has them all).
``event_departments``: every distinct department
named by an event (owner and grantee of an access record, every step of a case's route), once,
with the argument paths that name it.
``cursors``: per (chain, contract address) the last block fully indexed and its hash, written in
the same transaction as that range's events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

_HASH = String(66)
_ADDRESS = String(42)

events = Table(
    "events",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("block_hash", _HASH, nullable=False),
    Column("block_timestamp", BigInteger),
    Column("tx_hash", _HASH, nullable=False),
    Column("tx_index", Integer, nullable=False),
    Column("contract", String(64), nullable=False),
    Column("address", _ADDRESS, nullable=False),
    Column("event", String(64), nullable=False),
    Column("args", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("subject", _ADDRESS),
    Column("department", _HASH),
    Column("case_id", _HASH),
    Column("grant_id", _HASH),
    Column("attestation_uid", _HASH),
    Column("category", _HASH),
    PrimaryKeyConstraint("chain_id", "block_number", "log_index", name="pk_events"),
    Index("ix_events_subject", "subject", "event", "block_number", "log_index"),
    Index("ix_events_case", "case_id", "event", "block_number", "log_index"),
    Index("ix_events_grant", "grant_id", "event", "block_number", "log_index"),
    Index("ix_events_attestation", "attestation_uid", "event", "block_number", "log_index"),
    Index("ix_events_category", "category", "event", "block_number", "log_index"),
    Index("ix_events_event", "event", "block_number", "log_index"),
    Index("ix_events_tx", "tx_hash"),
)

event_departments = Table(
    "event_departments",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("department", _HASH, nullable=False),
    Column("event", String(64), nullable=False),
    Column("args", String(512), nullable=False),  # the argument paths that hold it, comma-joined
    PrimaryKeyConstraint(
        "chain_id", "block_number", "log_index", "department", name="pk_event_departments"
    ),
    Index("ix_event_departments_department", "department", "event", "block_number", "log_index"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("address", _ADDRESS, nullable=False),
    Column("contract", String(64), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", _HASH),
    PrimaryKeyConstraint("chain_id", "address", name="pk_cursors"),
)


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL: given as is if it has a scheme, else a SQLite file path."""
    text = str(target)
    if "://" in text:
        if text.startswith("postgresql://"):
            return "postgresql+psycopg://" + text[len("postgresql://") :]
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def open_database(target: str | Path, **engine_args: Any) -> Engine:
    """An engine on the index database (created with its tables if needed).

    SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed range survives a crash of
    the process (the case the cursor design covers); only an OS crash may lose the last commits,
    which the next sync then re-reads.
    """
    url = database_url(target)
    engine = create_engine(url, **engine_args)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    metadata.create_all(engine)
    return engine
