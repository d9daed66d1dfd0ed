"""Following contracts' events into SQL: bounded ranges, a cursor per contract, crash-safe.

Each range ``[from, to]`` of blocks is read with one ``eth_getLogs`` for the contracts whose
cursor stands at ``from - 1``; its events and the new cursor positions are written in ONE
database transaction. A crash anywhere (before, during or after the write) leaves either the
whole range or none of it; the next run starts from the cursor. Inserts ignore rows already
present (unique key chain/block/log index), so re-reading a range never duplicates.

Only blocks up to ``head - confirmations`` are read. Each cursor keeps the hash of its block;
a sync first checks those hashes against the chain and stops with :class:`ReorgDetected` if a
reorganisation went deeper than the confirmations (then :meth:`Indexer.rewind` and sync again).

Contracts whose cursors differ (one added later, with an older deploy block) are read
separately until the lagging one catches up; from then on they share ranges.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.exceptions import DecodingError
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from govchain.indexer.abi import ABI, EventSpec, checksum, event_specs, load_abis
from govchain.indexer.columns import COLUMNS, ColumnPlan
from govchain.indexer.errors import IndexerError, ReorgDetected, RpcError, TooManyResults
from govchain.indexer.schema import cursors, event_departments, events
from govchain.indexer.source import LogSource, RawLog

log = logging.getLogger("govchain.indexer")

#: event name stored for a log no watched ABI decodes (args hold its raw topics and data)
UNKNOWN_EVENT = "?"

DEFAULT_STEP = 2000


@dataclass(frozen=True)
class WatchedContract:
    """A deployed contract to follow from `start_block` (its deploy block)."""

    name: str
    address: str
    abi: ABI
    start_block: int = 0


def contracts_from_manifest(
    addresses: Mapping[str, str],
    start_blocks: Mapping[str, int] | int = 0,
    manifest: Path | None = None,
) -> list[WatchedContract]:
    """{contract name: address} -> watched contracts with their ABIs from the compiled manifest."""
    abis = load_abis(list(addresses), manifest)
    return [
        WatchedContract(
            name,
            checksum(address),
            abis[name],
            start_blocks if isinstance(start_blocks, int) else start_blocks.get(name, 0),
        )
        for name, address in addresses.items()
    ]


@dataclass
class SyncReport:
    """What one :meth:`Indexer.sync` did."""

    chain_id: int
    target: int  # the last block it was allowed to read (head - confirmations, or to_block)
    ranges: int = 0
    logs: int = 0
    halvings: int = 0
    #: ranges read again because their last block was replaced while they were read
    reread: int = 0
    first_block: int | None = None  # first block read, None if already caught up
    last_block: int | None = None  # last block read
    caught_up: bool = False
    seconds: float = 0.0


#: how often one sync reads a range again because its last block was replaced meanwhile
MAX_REREADS = 8


def _check_answer(
    logs: Sequence[RawLog], first: int, last: int, block_hash: str, before: str
) -> None:
    """The node's logs must lie in the range asked for, and those of its last block carry the
    hash that block had before and after they were read: otherwise nothing of the range is
    stored (a stored row would shadow the real event at its key for good; review s31/3 F1, F4).
    """
    if block_hash.lower() != before.lower():
        raise RpcError("eth_getLogs", None, f"block {last} kept changing while it was read")
    for raw in logs:
        if raw.get("removed"):
            continue
        number = int(raw["blockNumber"], 16)
        if not first <= number <= last:
            raise RpcError(
                "eth_getLogs", None, f"a log of block {number} answered for blocks {first}-{last}"
            )
        if number == last and str(raw.get("blockHash", "")).lower() != block_hash.lower():
            raise RpcError(
                "eth_getLogs", None, f"a log of block {last} carries another block's hash"
            )


@dataclass
class _Contract:
    spec: WatchedContract
    address: str  # lowercase
    specs: dict[str, EventSpec] = field(default_factory=dict)


WriteHook = Callable[[str], None]


class Indexer:
    """Follows every event of `contracts` into the database of `engine`.

    `step`: blocks per ``eth_getLogs`` (halved down to `min_step` while the node refuses);
    `confirmations`: blocks below the head left unread; `on_write(stage)` is called inside
    each range's transaction after ``"events"`` and after ``"cursors"`` (tests raise there to
    simulate a crash).
    """

    def __init__(
        self,
        engine: Engine,
        source: LogSource,
        contracts: Sequence[WatchedContract],
        *,
        step: int = DEFAULT_STEP,
        min_step: int = 1,
        confirmations: int = 0,
        columns: ColumnPlan | None = None,
        on_write: WriteHook | None = None,
    ) -> None:
        if step < 1 or min_step < 1 or min_step > step:
            raise IndexerError(f"invalid step {step} / min_step {min_step}")
        if confirmations < 0:
            raise IndexerError(f"invalid confirmations {confirmations}")
        if not contracts:
            raise IndexerError("no contracts to index")
        self.engine = engine
        self.source = source
        self.step = step
        self.min_step = min_step
        self.confirmations = confirmations
        self.columns = columns or ColumnPlan()
        self.on_write = on_write
        self._contracts: dict[str, _Contract] = {}
        for c in contracts:
            address = c.address.lower()
            if address in self._contracts:
                raise IndexerError(f"contract {c.address} listed twice")
            self._contracts[address] = _Contract(c, address, event_specs(c.abi))
        self._stop = threading.Event()
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise IndexerError(f"unsupported database {dialect!r} (SQLite or PostgreSQL)")
        self._dialect: Any = sqlite if dialect == "sqlite" else postgresql

    # --- public -----------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self.source.chain_id()

    def positions(self) -> dict[str, int]:
        """Contract name -> last block fully indexed (start block - 1 before the first range)."""
        with self.engine.connect() as conn:
            stored = self._load_cursors(conn)
        return {
            c.spec.name: stored.get(a, (c.spec.start_block - 1, None))[0]
            for a, c in self._contracts.items()
        }

    def safe_head(self) -> int:
        """The newest block the indexer may read: head - confirmations."""
        return self.source.block_number() - self.confirmations

    def sync(self, to_block: int | None = None, max_ranges: int | None = None) -> SyncReport:
        """Index every range up to `to_block` (capped at the safe head), or `max_ranges` of them."""
        started = time.perf_counter()
        chain_id = self.chain_id
        target = self.safe_head() if to_block is None else min(to_block, self.safe_head())
        report = SyncReport(chain_id, target)
        with self.engine.connect() as conn:
            stored = self._load_cursors(conn)
        self._check_reorg(stored)
        position = {
            a: stored.get(a, (c.spec.start_block - 1, None))[0] for a, c in self._contracts.items()
        }
        step = self.step
        while not self._stop.is_set() and (max_ranges is None or report.ranges < max_ranges):
            lowest = min(position.values())
            if lowest >= target:
                break
            group = sorted(a for a, p in position.items() if p == lowest)
            ceiling = min((p for p in position.values() if p > lowest), default=target)
            first = lowest + 1
            last = min(lowest + step, target, ceiling)
            before, _ = self.source.block(last)
            try:
                logs = self.source.get_logs(first, last, [checksum(a) for a in group])
            except TooManyResults as exc:
                if last == first or step <= self.min_step:
                    raise
                step = max(self.min_step, (last - first + 1) // 2)
                report.halvings += 1
                log.info("blocks %d-%d refused (%s); step now %d", first, last, exc.detail, step)
                continue
            block_hash, _ = self.source.block(last)
            if block_hash.lower() != before.lower() and report.reread < MAX_REREADS:
                report.reread += 1  # replaced while read: the logs may be of either fork
                log.info("block %d replaced while blocks %d-%d were read; again", last, first, last)
                continue
            _check_answer(logs, first, last, block_hash, before)
            rows, departments = self._rows(chain_id, logs)
            self._write(chain_id, group, last, block_hash, rows, departments)
            for a in group:
                position[a] = last
            report.ranges += 1
            report.logs += len(rows)
            report.first_block = first if report.first_block is None else report.first_block
            report.last_block = last
        report.caught_up = min(position.values()) >= target
        report.seconds = time.perf_counter() - started
        return report

    def follow(
        self,
        poll_interval: float = 2.0,
        on_sync: Callable[[SyncReport], None] | None = None,
    ) -> None:
        """Sync, then poll every `poll_interval` seconds, until :meth:`stop` (from any thread).

        A node that cannot be reached, or answers with an error, is retried at the next poll;
        a reorganisation deeper than the confirmations stops the loop with :class:`ReorgDetected`.
        """
        self._stop.clear()
        while not self._stop.is_set():
            try:
                report = self.sync()
            except TooManyResults:
                raise
            except RpcError as exc:
                log.warning("sync failed, retrying in %.1f s: %s", poll_interval, exc)
                self._stop.wait(poll_interval)
                continue
            if on_sync is not None:
                on_sync(report)
            if report.caught_up:
                self._stop.wait(poll_interval)

    def stop(self) -> None:
        """Ask :meth:`follow` (or a running :meth:`sync`) to return after the current range."""
        self._stop.set()

    def rewind(self, block: int) -> None:
        """Forget everything after `block` on this chain (after a deep reorganisation)."""
        chain_id = self.chain_id
        with self.engine.begin() as conn:
            for table in (events, event_departments):
                conn.execute(
                    delete(table).where(table.c.chain_id == chain_id, table.c.block_number > block)
                )
            conn.execute(
                update(cursors)
                .where(cursors.c.chain_id == chain_id, cursors.c.block_number > block)
                .values(block_number=block, block_hash=None)
            )

    # --- internals --------------------------------------------------------------------------

    def _load_cursors(self, conn: Connection) -> dict[str, tuple[int, str | None]]:
        rows = conn.execute(
            select(cursors.c.address, cursors.c.block_number, cursors.c.block_hash).where(
                cursors.c.chain_id == self.chain_id
            )
        )
        return {
            r.address: (int(r.block_number), r.block_hash)
            for r in rows
            if r.address in self._contracts
        }

    def _check_reorg(self, stored: Mapping[str, tuple[int, str | None]]) -> None:
        checked: dict[int, str] = {}
        for number, indexed_hash in stored.values():
            if indexed_hash is None or number < 0:
                continue
            if number not in checked:
                checked[number] = self.source.block(number)[0]
            if checked[number].lower() != indexed_hash.lower():
                raise ReorgDetected(number, indexed_hash, checked[number])

    def _rows(
        self, chain_id: int, logs: Sequence[RawLog]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        departments: list[dict[str, Any]] = []
        timestamps: dict[int, int] = {}
        for raw in logs:
            if raw.get("removed"):
                continue
            contract = self._contracts.get(str(raw["address"]).lower())
            if contract is None:
                continue  # a node that ignores the address filter
            block_number = int(raw["blockNumber"], 16)
            log_index = int(raw["logIndex"], 16)
            topics = [str(t).lower() for t in raw["topics"]]
            spec = contract.specs.get(topics[0]) if topics else None
            name = UNKNOWN_EVENT
            args: dict[str, Any] = {"topics": topics, "data": raw["data"]}
            extracted = None
            if spec is not None:
                try:
                    args, leaves = spec.decode(topics, str(raw["data"]))
                    name = spec.name
                    extracted = self.columns.extract(name, leaves)
                except (DecodingError, ValueError) as exc:
                    log.warning(
                        "undecodable %s log at %d/%d: %s", spec.name, block_number, log_index, exc
                    )
            if "blockTimestamp" in raw and raw["blockTimestamp"] is not None:
                timestamp = int(raw["blockTimestamp"], 16)
            else:
                if block_number not in timestamps:
                    timestamps[block_number] = self.source.block(block_number)[1]
                timestamp = timestamps[block_number]
            row: dict[str, Any] = {
                "chain_id": chain_id,
                "block_number": block_number,
                "log_index": log_index,
                "block_hash": str(raw["blockHash"]).lower(),
                "block_timestamp": timestamp,
                "tx_hash": str(raw["transactionHash"]).lower(),
                "tx_index": int(raw["transactionIndex"], 16),
                "contract": contract.spec.name,
                "address": checksum(contract.address),
                "event": name,
                "args": args,
            }
            if extracted is None:
                row.update(dict.fromkeys(COLUMNS))
            else:
                row.update(extracted.columns)
                # one link per distinct department; its argument paths joined ("owner,grantee")
                paths: dict[str, list[str]] = {}
                for path, value in extracted.departments:
                    paths.setdefault(value, []).append(path)
                departments.extend(
                    {
                        "chain_id": chain_id,
                        "block_number": block_number,
                        "log_index": log_index,
                        "department": value,
                        "event": name,
                        "args": ",".join(arg_paths),
                    }
                    for value, arg_paths in paths.items()
                )
            rows.append(row)
        return rows, departments

    def _write(
        self,
        chain_id: int,
        group: Sequence[str],
        last: int,
        block_hash: str,
        rows: list[dict[str, Any]],
        departments: list[dict[str, Any]],
    ) -> None:
        insert = self._dialect.insert
        with self.engine.begin() as conn:
            if rows:
                conn.execute(insert(events).on_conflict_do_nothing(), rows)
            if departments:
                conn.execute(insert(event_departments).on_conflict_do_nothing(), departments)
            if self.on_write is not None:
                self.on_write("events")
            for address in group:
                values = {
                    "chain_id": chain_id,
                    "address": address,
                    "contract": self._contracts[address].spec.name,
                    "block_number": last,
                    "block_hash": block_hash.lower(),
                }
                conn.execute(
                    insert(cursors)
                    .values(values)
                    .on_conflict_do_update(
                        index_elements=[cursors.c.chain_id, cursors.c.address],
                        set_={"block_number": last, "block_hash": block_hash.lower()},
                    )
                )
            if self.on_write is not None:
                self.on_write("cursors")
