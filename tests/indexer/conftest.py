"""Indexer fixtures: the shared DepartmentRegistry plus a test-only event source, an index per test,
and the chain's own logs read directly for comparison."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from govchain.indexer import (
    Indexer,
    RpcLogSource,
    WatchedContract,
    load_abis,
    open_database,
)
from govchain.indexer.schema import cursors, events


@pytest.fixture(scope="session")
def emitter(project: Any, deployer: Any) -> Any:
    return project.IndexerEventSource.deploy(sender=deployer)


@pytest.fixture(scope="session")
def rpc_url(chain: Any) -> str:
    return str(chain.provider.uri)


@pytest.fixture
def source(rpc_url: str) -> RpcLogSource:
    return RpcLogSource(rpc_url)


def deploy_block(contract: Any) -> int:
    return int(contract.creation_metadata.block)


@pytest.fixture(scope="session")
def watched(departments: Any, depts: Any, emitter: Any) -> list[WatchedContract]:
    abis = load_abis(["DepartmentRegistry", "IndexerEventSource"])
    return [
        WatchedContract(
            "DepartmentRegistry",
            departments.address,
            abis["DepartmentRegistry"],
            deploy_block(departments),
        ),
        WatchedContract(
            "IndexerEventSource", emitter.address, abis["IndexerEventSource"], deploy_block(emitter)
        ),
    ]


_counter = itertools.count()


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """A fresh SQLite index database in tmp_path (each call a new file)."""
    engines: list[Engine] = []

    def make() -> Engine:
        engine = open_database(tmp_path / f"index-{next(_counter)}.db")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def make_indexer(source: RpcLogSource, watched: list[WatchedContract]) -> Callable[..., Indexer]:
    def make(engine: Engine, **options: Any) -> Indexer:
        return Indexer(engine, source, watched, **options)

    return make


def chain_logs(
    source: RpcLogSource, watched: list[WatchedContract], to_block: int
) -> list[dict[str, Any]]:
    """The watched contracts' logs read straight from the node, one eth_getLogs."""
    start = min(c.start_block for c in watched)
    return source.get_logs(start, to_block, [c.address for c in watched])


def chain_keys(logs: list[dict[str, Any]]) -> list[tuple[int, int, str, str]]:
    return sorted(
        (
            int(x["blockNumber"], 16),
            int(x["logIndex"], 16),
            str(x["transactionHash"]).lower(),
            str(x["blockHash"]).lower(),
        )
        for x in logs
    )


def index_keys(engine: Engine) -> list[tuple[int, int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.block_number, events.c.log_index, events.c.tx_hash, events.c.block_hash)
        )
        return sorted((int(r[0]), int(r[1]), r[2], r[3]) for r in rows)


def cursor_blocks(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.contract: int(r.block_number) for r in conn.execute(select(cursors))}


def assert_index_matches_chain(
    engine: Engine, source: RpcLogSource, watched: list[WatchedContract]
) -> None:
    """Per contract: its logs up to its cursor are indexed exactly once, and nothing after it
    (a range's rows and its cursor are committed together)."""
    positions = cursor_blocks(engine)
    for contract in watched:
        upto = positions.get(contract.name, contract.start_block - 1)
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    events.c.block_number, events.c.log_index, events.c.tx_hash, events.c.block_hash
                ).where(events.c.address == contract.address)
            )
            indexed = sorted((int(r[0]), int(r[1]), r[2], r[3]) for r in rows)
        expected = (
            chain_keys(source.get_logs(contract.start_block, upto, [contract.address]))
            if upto >= contract.start_block
            else []
        )
        assert indexed == expected, contract.name
