"""Sync: the index equals a direct read of the chain; confirmations, range halving, restarts,
crashes inside a range's write, reorganisations and the follow loop."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, func, select
from web3 import Web3
from web3._utils.events import get_event_data

from govchain.indexer import (
    UNKNOWN_EVENT,
    Indexer,
    ReorgDetected,
    RpcLogSource,
    TooManyResults,
    WatchedContract,
    events_of,
    open_database,
)
from govchain.indexer.schema import SCHEMA_VERSION, check_version, events, stored_version
from tests.helpers import ROLE_AUDITOR, ROLE_STAFF, code, enrol
from tests.indexer.conftest import (
    assert_index_matches_chain,
    chain_keys,
    chain_logs,
    cursor_blocks,
    index_keys,
)


class LimitedSource(RpcLogSource):
    """A node that refuses eth_getLogs answers of more than `limit` logs, as geth does."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url)
        self.limit = limit
        self.refused = 0
        self.ranges: list[tuple[int, int]] = []

    def _raw(self, method: str, params: Any) -> Any:
        response = super()._raw(method, params)
        if method == "eth_getLogs":
            q = params[0]
            span = (int(q["fromBlock"], 16), int(q["toBlock"], 16))
            if len(response.get("result") or []) > self.limit:
                self.refused += 1
                return {
                    "error": {
                        "code": -32000,
                        "message": f"query returned more than {self.limit} results",
                    }
                }
            self.ranges.append(span)
        return response


def _normal(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def _member_churn(departments: Any, depts: Any, citizens: list[Any], council: Any) -> None:
    hrss, dpf = depts["HRSS"], depts["DPF"]
    enrol(departments, hrss.admin, citizens[0], ROLE_STAFF)
    enrol(departments, dpf.admin, citizens[1], ROLE_STAFF | ROLE_AUDITOR)
    departments.setMemberRoles(citizens[0], ROLE_AUDITOR, sender=hrss.admin)
    departments.removeMember(citizens[1], sender=dpf.admin)
    departments.suspend(code("FINANCE"), sender=council)
    departments.reinstate(code("FINANCE"), sender=council)
    departments.setEndpoint("https://hrss.example/node", sender=hrss.admin)


def test_index_matches_a_direct_read_of_the_chain(
    departments: Any,
    depts: Any,
    citizens: list[Any],
    council: Any,
    emitter: Any,
    deployer: Any,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    _member_churn(departments, depts, citizens, council)
    emitter.recordAccesses(
        7, citizens[2], code("HRSS"), code("CIVIL"), b"\x01" * 32, sender=deployer
    )
    emitter.note("topic", "a string argument", sender=deployer)
    engine = new_db()
    report = make_indexer(engine, step=5).sync()
    assert report.caught_up and report.ranges > 1
    head = source.block_number()
    assert cursor_blocks(engine) == {"DepartmentRegistry": head, "IndexerEventSource": head}
    raw = chain_logs(source, watched, head)
    assert index_keys(engine) == chain_keys(raw)

    # the decoded arguments equal web3.py's own decoding of the same logs
    w3 = Web3(Web3.HTTPProvider(source.url))
    formatted = w3.eth.get_logs(
        {
            "fromBlock": min(c.start_block for c in watched),
            "toBlock": head,
            "address": [c.address for c in watched],
        }
    )
    by_key = {(r.block_number, r.log_index): r for r in events_of(engine)}
    abis = {c.address: c.abi for c in watched}
    for entry in formatted:
        row = by_key[(entry["blockNumber"], entry["logIndex"])]
        abi = next(
            e
            for e in abis[to_checksum_address(entry["address"])]
            if e.get("type") == "event" and e["name"] == row.event
        )
        decoded = get_event_data(w3.codec, abi, entry)
        assert row.args == _normal(dict(decoded["args"])), row.event
        assert row.block_timestamp == w3.eth.get_block(entry["blockNumber"])["timestamp"]
    assert {r.event for r in by_key.values()} >= {
        "DepartmentProposed",
        "MemberAdded",
        "MemberRolesChanged",
        "MemberRemoved",
        "DepartmentStatusChanged",
        "DepartmentEndpointChanged",
        "AccessRecorded",
        "Noted",
    }


def test_extracted_columns_of_member_and_access_events(
    departments: Any,
    depts: Any,
    citizens: list[Any],
    emitter: Any,
    deployer: Any,
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    enrol(departments, depts["HRSS"].admin, citizens[0], ROLE_STAFF)
    emitter.recordAccesses(
        1, citizens[3], code("HRSS"), code("CIVIL"), b"\x02" * 32, sender=deployer
    )
    emitter.recordAccesses(
        1, "0x" + "00" * 20, code("HRSS"), code("CIVIL"), b"\0" * 32, sender=deployer
    )
    engine = new_db()
    make_indexer(engine).sync()
    added = events_of(engine, event="MemberAdded")[-1]
    assert added.department == "0x" + code("HRSS").hex()
    assert added.subject is None  # a member key is not a data subject
    assert added.args["account"] == citizens[0].address
    with_subject, without = events_of(engine, event="AccessRecorded")[-2:]
    assert with_subject.subject == citizens[3].address
    assert with_subject.department == "0x" + code("HRSS").hex()  # the first department arg
    assert with_subject.grant_id == "0x" + "02" * 32
    assert with_subject.category == "0x" + b"category".ljust(32, b"\0").hex()
    assert without.subject is None and without.grant_id is None  # zero values are absent


def test_confirmations_leave_the_newest_blocks_unread(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    chain: Any,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    engine = new_db()
    indexer = make_indexer(engine, confirmations=3)
    receipt = emitter.recordAccesses(
        2, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer
    )
    report = indexer.sync()
    head = source.block_number()
    assert report.target == head - 3
    assert set(cursor_blocks(engine).values()) == {head - 3}
    assert all(k[0] <= head - 3 for k in index_keys(engine))
    assert receipt.block_number not in {k[0] for k in index_keys(engine)}
    chain.mine(3)
    indexer.sync()
    assert receipt.block_number in {k[0] for k in index_keys(engine)}
    assert_index_matches_chain(engine, source, watched)


def test_refused_ranges_are_halved_until_the_node_answers(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    rpc_url: str,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    # the registry's deployment block holds 28 logs (7 founders)
    for n in (12, 14, 9, 20):
        emitter.recordAccesses(
            n, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer
        )
    limited = LimitedSource(rpc_url, limit=30)
    engine = new_db()
    report = Indexer(engine, limited, watched, step=2000).sync()
    assert report.caught_up
    assert report.halvings > 0 and limited.refused == report.halvings
    assert max(b - a + 1 for a, b in limited.ranges) < 2000
    assert_index_matches_chain(engine, source, watched)


def test_a_single_block_over_the_limit_is_an_error(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    rpc_url: str,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    emitter.recordAccesses(31, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer)
    with pytest.raises(TooManyResults, match="more than 30"):
        Indexer(new_db(), LimitedSource(rpc_url, limit=30), watched).sync()


@pytest.mark.parametrize("stage", ["events", "cursors"])
def test_a_crash_inside_a_range_write_leaves_nothing_of_it_and_resumes(
    stage: str,
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    for i in range(4):
        emitter.recordAccesses(
            i + 1, citizens[i], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer
        )
    engine = new_db()
    make_indexer(engine).sync(to_block=source.block_number() - 3)
    before_keys, before_cursors = index_keys(engine), cursor_blocks(engine)

    def crash(at: str) -> None:
        if at == stage:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        make_indexer(engine, step=2, on_write=crash).sync()
    assert index_keys(engine) == before_keys
    assert cursor_blocks(engine) == before_cursors
    make_indexer(engine, step=2).sync()  # a new process resumes
    assert_index_matches_chain(engine, source, watched)
    assert set(cursor_blocks(engine).values()) == {source.block_number()}


def test_reading_a_range_again_adds_no_duplicates(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    emitter.recordAccesses(5, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer)
    engine = new_db()
    make_indexer(engine).sync()
    count = len(index_keys(engine))
    # a cursor restored from an older backup while the rows stayed
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE cursors SET block_number = block_number - 5, block_hash = NULL"
        )
    make_indexer(engine, step=1).sync()
    assert len(index_keys(engine)) == count
    assert_index_matches_chain(engine, source, watched)


def test_a_reorganisation_below_the_cursor_is_detected_and_rewound(
    chain: Any,
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    fork_point = source.block_number()
    snapshot = chain.snapshot()
    emitter.recordAccesses(2, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer)
    engine = new_db()
    make_indexer(engine).sync()
    chain.restore(snapshot)
    emitter.recordAccesses(3, citizens[1], code("HRSS"), code("CIVIL"), b"\0" * 32, sender=deployer)
    with pytest.raises(ReorgDetected) as caught:
        make_indexer(engine).sync()
    assert caught.value.block == fork_point + 1
    make_indexer(engine).rewind(fork_point)
    make_indexer(engine).sync()
    assert_index_matches_chain(engine, source, watched)
    assert [r.subject for r in events_of(engine, event="AccessRecorded")][-3:] == [
        citizens[1].address
    ] * 3


def test_a_contract_added_later_is_read_from_its_deploy_block(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    emitter.recordAccesses(2, citizens[0], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer)
    engine = new_db()
    Indexer(engine, source, watched[:1], step=3).sync()
    assert "IndexerEventSource" not in cursor_blocks(engine)
    report = Indexer(engine, source, watched, step=3).sync()
    assert report.caught_up
    assert_index_matches_chain(engine, source, watched)


def test_logs_no_watched_abi_decodes_are_kept_raw(
    emitter: Any,
    deployer: Any,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    emitter.note("topic", "text", sender=deployer)
    partial_abi = [e for e in watched[1].abi if e.get("name") != "Noted"]
    narrowed = [
        watched[0],
        WatchedContract(watched[1].name, watched[1].address, partial_abi, watched[1].start_block),
    ]
    engine = new_db()
    Indexer(engine, source, narrowed).sync()
    unknown = events_of(engine, event=UNKNOWN_EVENT)
    assert len(unknown) == 1
    assert unknown[0].args["topics"][0] == "0x" + Web3.keccak(
        text="Noted(string,string)"
    ).hex().removeprefix("0x")
    assert_index_matches_chain(engine, source, narrowed)


def test_follow_indexes_new_blocks_until_stopped(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    engine = new_db()
    indexer = make_indexer(engine)
    reports: list[Any] = []
    thread = threading.Thread(
        target=indexer.follow, kwargs={"poll_interval": 0.05, "on_sync": reports.append}
    )
    thread.start()
    try:
        receipt = emitter.recordAccesses(
            3, citizens[5], code("PSB"), code("CIVIL"), b"\0" * 32, sender=deployer
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                found = conn.execute(
                    select(func.count()).where(events.c.block_number == receipt.block_number)
                ).scalar_one()
            if found == 3:
                break
            time.sleep(0.05)
        assert found == 3
    finally:
        indexer.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert reports and reports[-1].caught_up
    assert_index_matches_chain(engine, source, watched)


def test_follow_survives_an_unreachable_node(
    watched: list[WatchedContract], new_db: Callable[[], Engine]
) -> None:
    indexer = Indexer(new_db(), RpcLogSource("http://127.0.0.1:9", timeout=0.5), watched)
    thread = threading.Thread(target=indexer.follow, kwargs={"poll_interval": 0.05})
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    indexer.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_an_index_of_another_schema_version_is_rebuilt_from_the_chain(
    departments: Any,
    depts: Any,
    citizens: list[Any],
    council: Any,
    source: RpcLogSource,
    watched: list[WatchedContract],
    tmp_path: Path,
    make_indexer: Callable[..., Indexer],
) -> None:
    """An index made by an older govchain (no version kept) or a newer one (another version)
    is dropped and read again from the deploy blocks, and then matches the chain."""
    _member_churn(departments, depts, citizens, council)
    path = tmp_path / "versioned.db"
    engine = open_database(path)
    assert stored_version(engine) == SCHEMA_VERSION
    make_indexer(engine).sync()
    assert_index_matches_chain(engine, source, watched)
    synced = cursor_blocks(engine)
    engine.dispose()
    for older in ("previous code", "newer"):
        with sqlite3.connect(path) as db:
            if older == "previous code":
                db.execute("DROP TABLE index_meta")
            else:
                db.execute("UPDATE index_meta SET value = ? ", (str(SCHEMA_VERSION + 1),))
            db.execute("UPDATE events SET args = '{}'")  # stale rows a rebuild must not keep
        engine = open_database(path)
        assert stored_version(engine) == SCHEMA_VERSION
        assert index_keys(engine) == [] and cursor_blocks(engine) == {}  # emptied
        report = make_indexer(engine).sync()
        assert report.first_block == min(c.start_block for c in watched)
        assert_index_matches_chain(engine, source, watched)
        assert cursor_blocks(engine) == synced
        with engine.connect() as conn:
            assert "{}" not in {str(r.args) for r in conn.execute(select(events.c.args))}
        engine.dispose()
    # the same version: kept as it is
    engine = open_database(path)
    assert cursor_blocks(engine) == synced and not check_version(engine)
    engine.dispose()
