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
``index_meta``: the schema version the tables were made with (:data:`SCHEMA_VERSION`). The
index holds nothing the chain does not: when the version differs (an older or newer govchain
made it, or one from before versions were kept), :func:`open_database` drops the tables and
makes them anew, and the next sync reads every event again from the deploy blocks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from govchain.indexer.errors import IndexerError

log = logging.getLogger("govchain.indexer")

#: bump when a table, column or index of the index changes: existing indexes are rebuilt
SCHEMA_VERSION = 2  # 1: the tables before versions were kept

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


index_meta = Table(
    "index_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
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
    if not url.startswith(("sqlite:", "postgresql")):
        raise IndexerError(
            f"{url.split('://', 1)[0]}:// is not a database the index runs on: give a SQLite "
            "file or a postgresql:// URL"
        )
    engine = create_engine(url, **engine_args)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    check_version(engine)
    return engine


def stored_version(engine: Engine) -> int | None:
    """The schema version an index was made with (1: before versions; None: empty database)."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "index_meta" in tables:
            value = conn.execute(
                select(index_meta.c.value).where(index_meta.c.key == "schema_version")
            ).scalar()
            if value is not None:
                return int(value)
        return 1 if "events" in tables else None


def check_version(engine: Engine) -> bool:
    """Creates the tables; rebuilds them empty if they were made with another schema version
    (returns True then: the next sync reads the chain again from the deploy blocks).

    The version row is written before the other tables are made, so another process opening
    the same new index meanwhile never takes it for one made before versions were kept."""
    found = stored_version(engine)
    rebuilt = found is not None and found != SCHEMA_VERSION
    if rebuilt:
        log.warning(
            "index schema version %s, this govchain's is %s: rebuilding it from the chain",
            found,
            SCHEMA_VERSION,
        )
        metadata.drop_all(engine)
    if found != SCHEMA_VERSION:
        _race_safe(lambda: index_meta.create(engine, checkfirst=True))

        def write() -> None:
            with engine.begin() as conn:
                conn.execute(index_meta.delete())
                conn.execute(
                    index_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
                )

        _race_safe(write)
    _race_safe(lambda: metadata.create_all(engine))
    return rebuilt


def _race_safe(step: Callable[[], None]) -> None:
    """Runs ``step``; once more if another process did the same at the same moment (a table
    created, or the version row written, between our check and our write)."""
    try:
        step()
    except (OperationalError, ProgrammingError, IntegrityError):
        step()
