"""Schema migrations of a department's store (Alembic; revisions in ``govchain/node/migrations``).

The store's records and salts cannot be rebuilt from the chain (the chain holds only their
hashes), so its schema is changed in place, never dropped. :func:`upgrade` runs whenever a
:class:`~govchain.node.store.Store` is opened to write (the node's start, ``node publish``):

- a new, empty database gets every revision, up to the head;
- a store made before migrations existed (its tables, no ``alembic_version``) is stamped with
  the initial revision (whose schema it has) and upgraded from there;
- a store at an older revision is upgraded, each revision in its own transaction;
- a store at a revision this code does not know (written by a newer govchain) is refused with
  :class:`StoreTooNew`: nothing is changed, nothing served.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from govchain.errors import GovchainError

LOCATION = Path(__file__).with_name("migrations")
INITIAL = "0001"


class StoreTooNew(GovchainError, RuntimeError):
    """The store was migrated by a newer govchain than this one."""

    def __init__(self, url: str, revision: str, head: str) -> None:
        super().__init__(
            f"the store {url} is at schema revision {revision}, newer than this govchain "
            f"knows (head {head}): upgrade govchain, or restore a backup made for this version"
        )


@cache
def _script() -> object:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(LOCATION))


def head() -> str:
    from alembic.script import ScriptDirectory

    script = _script()
    assert isinstance(script, ScriptDirectory)
    return str(script.get_current_head())


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, url: str | None = None) -> str:
    """Brings the store of ``engine`` to the head revision; returns it."""
    from alembic.script import ScriptDirectory

    script = _script()
    assert isinstance(script, ScriptDirectory)
    target = head()
    revision = current(engine)
    if revision == target:
        return target
    if revision is not None and revision not in {r.revision for r in script.walk_revisions()}:
        raise StoreTooNew(url or engine.url.render_as_string(), revision, target)
    with _exclusive(engine):  # a publisher beside the node may open the same store now
        revision = current(engine)
        if revision == target:
            return target
        try:
            _run(engine, revision)
        except (OperationalError, ProgrammingError, IntegrityError):
            if current(engine) != target:
                raise
    return target


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """One migrating process at a time: a lock file beside a SQLite store (``<file>.migrate-lock``,
    flock), an advisory lock on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(721100)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(721100)"))
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        handle = open(database + ".migrate-lock", "a")  # noqa: SIM115 (held across the yield)
    except OSError:  # a read-only folder: nobody else can write the store either
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run(engine: Engine, revision: str | None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(LOCATION))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if revision is None and "records" in inspect(conn).get_table_names():
            command.stamp(config, INITIAL)  # made by the code before migrations
        command.upgrade(config, "head")
