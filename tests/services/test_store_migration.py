"""The services' tables in the department's store come from its Alembic revisions (0002), not
from the routers: a store at 0001 is upgraded with its rows kept, including the ``offers`` and
``objection_texts`` rows the routers' own ``create_all`` wrote before this revision existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import govchain.node.server  # noqa: F401  (declares every table of the store, ours included)
from govchain.node import migrate
from govchain.node.objections import ObjectionTextRow
from govchain.node.store import Base, Record, Store, sqlite_url
from govchain.services.offerbox import OfferBox

OFFER = "0x" + "ab" * 32
SERVICE = "0x" + "cd" * 32
CITIZEN = "0x" + "11" * 20
OBJECTION = b"\x07" * 32

# the tables exactly as the routers created them before revision 0002 (their create_all)
_BEFORE_0002 = (
    "CREATE TABLE offers (offer_id VARCHAR(66) NOT NULL, service_id VARCHAR(66) NOT NULL, "
    "citizen VARCHAR(42) NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, "
    "state VARCHAR(16) NOT NULL, sealed BLOB NOT NULL, documents_hash VARCHAR(66) NOT NULL, "
    "step_deadline BIGINT NOT NULL, acceptance TEXT, case_id VARCHAR(66), reason TEXT, "
    "PRIMARY KEY (offer_id), CONSTRAINT uq_offers_service_citizen UNIQUE (service_id, citizen))",
    "CREATE INDEX ix_offers_citizen ON offers (citizen)",
    "CREATE TABLE objection_texts (objection_id BLOB NOT NULL, kind VARCHAR(10) NOT NULL, "
    "text TEXT NOT NULL, salt BLOB NOT NULL, commitment BLOB NOT NULL, poster VARCHAR(42) NOT "
    "NULL, posted_at DATETIME NOT NULL, PRIMARY KEY (objection_id, kind))",
)


def _store_at_0001(path: Path) -> None:
    engine = create_engine(sqlite_url(path))
    config = Config()
    config.set_main_option("script_location", str(migrate.LOCATION))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO records (category, record_id, version, media_type, content, salt, "
            "content_hash, created_at, anchored, anchor_kind) VALUES (?, ?, 1, "
            "'application/json', ?, ?, ?, '2026-11-01 00:00:00', 0, 'single')",
            (b"\1" * 32, b"\2" * 32, b"{}", b"\3" * 32, b"\4" * 32),
        )
    engine.dispose()
    assert migrate.current(create_engine(sqlite_url(path))) == "0001"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_store_at_0001_gets_the_services_tables_from_revision_0002(tmp_path: Path) -> None:
    path = tmp_path / "at0001.db"
    _store_at_0001(path)
    assert not {"offers", "objection_texts"} & _tables(path)
    # no Store.create_all in between: the revision alone makes the schema the code declares
    engine = create_engine(sqlite_url(path))
    assert migrate.upgrade(engine) == migrate.head() == "0002"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
    store = Store(sqlite_url(path))
    try:
        with store.session() as s:
            assert [r.record_id for r in s.query(Record)] == [b"\2" * 32]
        box = OfferBox(store.engine)
        assert box.add(OFFER, SERVICE, CITIZEN, 2, b"sealed", "0x" + "00" * 32, 2)
        assert not box.add(OFFER, SERVICE, CITIZEN, 2, b"again", "0x" + "00" * 32, 2)
    finally:
        store.dispose()


def test_rows_the_routers_wrote_at_0001_are_kept_by_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old-routers.db"
    _store_at_0001(path)
    with sqlite3.connect(path) as db:
        for statement in _BEFORE_0002:
            db.execute(statement)
        db.execute(
            "INSERT INTO offers VALUES (?, ?, ?, 1, 2, 'offered', ?, ?, 2, NULL, NULL, NULL)",
            (OFFER, SERVICE, CITIZEN, b"sealed", "0x" + "00" * 32),
        )
        db.execute(
            "INSERT INTO objection_texts VALUES (?, 'reason', 'my reason', ?, ?, ?, "
            "'2026-11-01 00:00:00.000000')",
            (OBJECTION, b"\5" * 32, b"\6" * 32, CITIZEN),
        )
    store = Store(sqlite_url(path))
    try:
        assert migrate.current(store.engine) == "0002"
        with store.session() as s:
            assert [r.record_id for r in s.query(Record)] == [b"\2" * 32]
            row = s.get(ObjectionTextRow, (OBJECTION, "reason"))
            assert row is not None and row.poster == CITIZEN and row.commitment == b"\6" * 32
        kept = OfferBox(sqlite_url(path)).get(OFFER)
        assert kept is not None and kept.sealed == b"sealed" and kept.citizen == CITIZEN
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.dispose()
