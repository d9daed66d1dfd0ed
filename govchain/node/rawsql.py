"""The data node's two hot statements run on the DB-API connection, without SQLAlchemy's
execution context per request.

A :class:`RawStatement` is a SQLAlchemy Core statement (the schema stays SQLAlchemy's and
Alembic's) compiled once for the engine's dialect: its SQL text, the order of its parameters for
a positional driver (sqlite3) or their names for a named one (psycopg), and the dialect's bind
processors of their types (a ``DateTime`` is written in SQLAlchemy's own SQLite format, so rows
written here read back through the ORM as before). :meth:`RawStatement.run` executes it on a
cursor of a pooled DB-API connection (``engine.raw_connection()``: the same pool, the same
SQLite pragmas - WAL, ``synchronous=FULL``, ``busy_timeout`` - and PostgreSQL's pre-ping).
Rows come back as the driver gives them (named by column): read only columns the driver returns
as Python values SQLAlchemy would (integers, text, bytes), not dates or booleans.
"""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class RawStatement:
    """One statement compiled once for ``engine``'s dialect, run on DB-API cursors."""

    def __init__(self, statement: ClauseElement, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self._names = names
        self._fixed: dict[str, Any] = {}  # binds with their own value (a LIMIT)
        self._process: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            bind = compiled.binds[name]
            if not bind.callable and bind.value is not None:
                self._fixed[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._process[name] = processor
        self._row: Any = None

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values`` (by bind name)."""
        out: dict[str, Any] = {}
        for name in self._names:
            value = values[name] if name in values else self._fixed[name]
            processor = self._process.get(name)
            out[name] = processor(value) if processor is not None else value
        return [out[n] for n in self._names] if self.positional else out

    def run(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        """Executes the statement; its first row (named by column), or None."""
        cursor.execute(self.sql, self.parameters(values))
        if cursor.description is None:
            return None
        row = cursor.fetchone()
        if row is None:
            return None
        if self._row is None:
            self._row = namedtuple("Row", [d[0] for d in cursor.description])  # type: ignore[misc]
        return self._row(*row)


@contextmanager
def raw_cursor(engine: Engine, *, commit: bool = False) -> Iterator[Any]:
    """A cursor of a pooled DB-API connection; with ``commit``, the work is committed when the
    block ends (rolled back on any exception); without, rolled back (a read)."""
    dialect = engine.dialect
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        if commit:
            connection.commit()
        else:
            connection.rollback()
    except dialect.loaded_dbapi.Error as exc:
        # raised as SQLAlchemy raises it (IntegrityError, OperationalError, ...); a connection
        # the server dropped is not put back in the pool
        gone = dialect.is_disconnect(exc, connection.dbapi_connection, None)
        if gone:
            connection.invalidate(exc)
        else:
            _rollback(connection)
        raise DBAPIError.instance(
            None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=gone,
            dialect=dialect,
        ) from exc  # fmt: skip
    except BaseException:
        _rollback(connection)
        raise
    finally:
        connection.close()  # back to the pool


def _rollback(connection: Any) -> None:
    # a connection that cannot even roll back: the pool's reset on return finds out
    with contextlib.suppress(Exception):
        connection.rollback()
