"""The indexer against a chain that reorganises while a range is read, and a node whose answer
does not fit the question (review s31/3 F1, F4): the index equals the chain afterwards, or the
range is refused whole; never a row of another fork or outside the range, which would shadow the
real event at its key for good."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from govchain.indexer import (
    Indexer,
    RpcLogSource,
    WatchedContract,
    access_by_subject,
    chains_held,
)
from govchain.indexer.errors import RpcError
from govchain.indexer.schema import events
from govchain.toolchain.paths import PROJECT_ROOT
from tests.helpers import code
from tests.indexer.conftest import assert_index_matches_chain, chain_keys, index_keys

ZERO = b"\0" * 32


class ReorgAfterLogs(RpcLogSource):
    """An honest node; the chain reorganises right after it answered ``eth_getLogs`` once."""

    def __init__(self, url: str, on_logs: Callable[[], None]) -> None:
        super().__init__(url)
        self.on_logs: Callable[[], None] | None = on_logs

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[Any]:
        logs = super().get_logs(from_block, to_block, addresses)
        if logs and self.on_logs is not None:
            hook, self.on_logs = self.on_logs, None
            hook()
        return logs


def test_a_block_replaced_while_its_range_is_read_is_read_again(
    chain: Any,
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    rpc_url: str,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    engine = new_db()
    Indexer(engine, source, watched).sync()
    snapshot = chain.snapshot()
    emitter.recordAccesses(2, citizens[0], code("PSB"), code("CIVIL"), ZERO, sender=deployer)

    def reorganise() -> None:  # the same height, another block: three accesses about citizen 1
        chain.restore(snapshot)
        emitter.recordAccesses(3, citizens[1], code("HRSS"), code("CIVIL"), ZERO, sender=deployer)

    report = Indexer(engine, ReorgAfterLogs(rpc_url, reorganise), watched).sync()
    assert report.reread == 1 and report.caught_up
    head = source.block_number()
    start = min(c.start_block for c in watched)
    on_chain = chain_keys(source.get_logs(start, head, [c.address for c in watched]))
    assert index_keys(engine) == on_chain
    assert_index_matches_chain(engine, source, watched)
    assert len([r for r in access_by_subject(engine, citizens[1].address)]) >= 3
    assert all(r.block_number <= head for r in access_by_subject(engine, citizens[0].address))


class AddsALog(RpcLogSource):
    """A faulty node: every ``eth_getLogs`` answer has one log more, ``extra(from, to)``."""

    def __init__(self, url: str, extra: Callable[[int, int], dict[str, Any]]) -> None:
        super().__init__(url)
        self.forge = extra

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[Any]:
        return [
            *super().get_logs(from_block, to_block, addresses),
            self.forge(from_block, to_block),
        ]


@pytest.mark.parametrize("where", ["after the range", "in its last block, another hash"])
def test_a_log_that_does_not_fit_the_question_stores_nothing_of_the_range(
    where: str,
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    rpc_url: str,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    emitter.recordAccesses(1, citizens[2], code("PSB"), code("CIVIL"), ZERO, sender=deployer)
    head = source.block_number()
    (real,) = source.get_logs(head, head, [emitter.address])

    def forged(first: int, last: int) -> dict[str, Any]:
        number = last + 1000 if where == "after the range" else last
        return {
            **real,
            "blockNumber": hex(number),
            "blockHash": "0x" + "ab" * 32,
            "logIndex": "0x63",
        }

    engine = new_db()
    with pytest.raises(RpcError, match=r"answered for blocks|another block.s hash"):
        Indexer(engine, AddsALog(rpc_url, forged), watched).sync()
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(events.c.block_hash).where(events.c.block_hash == "0x" + "ab" * 32)
            ).all()
            == []
        )
    Indexer(engine, source, watched).sync()  # an honest node then indexes the real event
    assert [r.tx_hash for r in access_by_subject(engine, citizens[2].address)][-1] == str(
        real["transactionHash"]
    ).lower()
    assert_index_matches_chain(engine, source, watched)


class OtherChain(RpcLogSource):
    """The same node reporting another chain id: an index file synced against two chains (a
    test network and production under one ``[indexer] db``)."""

    def chain_id(self) -> int:
        return 4242


def test_an_index_of_two_chains_is_never_read_as_one(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    rpc_url: str,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    tmp_path: Path,
) -> None:
    """Review s31/3 F2: `index trail` showed the other chain's accesses in her trail."""
    engine = new_db()
    emitter.recordAccesses(2, citizens[3], code("PSB"), code("CIVIL"), ZERO, sender=deployer)
    Indexer(engine, OtherChain(rpc_url), watched).sync()
    Indexer(engine, source, watched).sync()
    real = source.chain_id()
    with engine.begin() as conn:  # on the real chain her accesses never happened
        conn.execute(
            events.delete().where(
                events.c.chain_id == real, events.c.subject == citizens[3].address
            )
        )
    assert chains_held(engine) == sorted([4242, real])
    db = str(engine.url).replace("sqlite:///", "")
    env = dict(os.environ, GOVCHAIN_HOME=str(tmp_path / "home"), PYTHONPATH=str(PROJECT_ROOT))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "govchain.cli", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)

    trail = ("index", "trail", "--db", db, "--subject", citizens[3].address)
    mixed = cli("--json", *trail)
    assert mixed.returncode == 2 and "holds events of chains 4242, " in mixed.stderr
    assert len(mixed.stderr.strip().splitlines()) == 1
    mine = cli("--chain-id", str(real), "--json", *trail)
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout) == []
    other = cli("--chain-id", "4242", "--json", *trail)
    assert {r["chain_id"] for r in json.loads(other.stdout)} == {4242}
