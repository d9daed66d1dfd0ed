"""``govchain index``: follow every contract's events into SQL, and ask it the auditors' questions."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click
from eth_typing import ChecksumAddress
from sqlalchemy import Engine, func, select

from govchain import timefmt
from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.progress import bulk_progress
from govchain.cli.trail_params import emit_csv, purposes, trail_options, window
from govchain.errors import NotFound
from govchain.indexer import (
    EventRow,
    Indexer,
    RpcLogSource,
    SyncReport,
    access_by_department,
    access_by_grant,
    access_by_subject,
    anchors_by_department,
    attestations_by_subject,
    chains_held,
    contracts_from_manifest,
    grants_by_subject,
    open_cases_by_department,
    open_database,
)
from govchain.indexer.schema import database_url, events


@click.group("index")
def group() -> None:
    """The event index: sync it from the chain, then query trails, grants, cases, anchors."""


DB_OPTION = click.option(
    "--db",
    "db",
    metavar="URL|FILE",
    help="index database [default <home>/index/<chain id>.db]",
)


def index_target(obj: CliContext, db: str | None) -> str:
    """``--db``, else the config file's ``[indexer] db``, else ``<home>/index/<chain id>.db``."""
    from govchain.settings import active_config

    config = active_config()
    db = db or (config.indexer.db if config is not None else None)
    if db:
        return db
    chain_id = obj.chain_id or obj.connection().chain_id
    path = obj.state_home / "index" / f"{chain_id}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def open_index(obj: CliContext, db: str | None) -> Engine:
    """An existing index (a missing SQLite file is refused: run ``index sync`` first)."""
    target = index_target(obj, db)
    url = database_url(target)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        raise NotFound("index", url[len("sqlite:///") :], "run 'govchain index sync' first")
    return open_database(target)


def index_chain(obj: CliContext, engine: Engine) -> int | None:
    """The chain whose events a query shows: the root ``--chain-id``, else the one chain the
    index holds (None: it holds none yet). An index that holds several is refused without
    ``--chain-id``: one file synced against two chains must not mix them in one trail (review
    s31/3 F2)."""
    if obj.chain_id is not None:
        return int(obj.chain_id)
    held = chains_held(engine)
    if len(held) > 1:
        chains = ", ".join(map(str, held))
        raise click.UsageError(
            f"the index holds events of chains {chains}: choose one with --chain-id"
        )
    return held[0] if held else None


def make_indexer(obj: CliContext, engine: Engine, confirmations: int = 0) -> Indexer:
    connection = obj.connection()
    deployment = connection.deployment
    watched = contracts_from_manifest(
        {n: c.address for n, c in deployment.contracts.items()},
        {n: c.block for n, c in deployment.contracts.items()},
    )
    return Indexer(engine, RpcLogSource(connection.url), watched, confirmations=confirmations)


def sync_index(
    obj: CliContext, indexer: Indexer, progress: Callable[[str, int, int], None] | None = None
) -> SyncReport:
    """Sync to the safe head, a few ranges at a time so a bar can follow."""
    start = min(indexer.positions().values())
    total: SyncReport | None = None
    while True:
        report = indexer.sync(max_ranges=5)
        if total is None:
            total = report
        else:
            total.ranges += report.ranges
            total.logs += report.logs
            total.halvings += report.halvings
            total.last_block = report.last_block or total.last_block
            total.first_block = total.first_block or report.first_block
            total.seconds += report.seconds
            total.caught_up, total.target = report.caught_up, report.target
        if progress is not None and report.target > start:
            done = (report.last_block or report.target) - start
            progress("blocks", min(done, report.target - start), report.target - start)
        if report.caught_up or report.ranges == 0:
            return total


def _report(report: SyncReport) -> dict[str, Any]:
    return {
        "chain_id": report.chain_id,
        "target": report.target,
        "ranges": report.ranges,
        "events": report.logs,
        "first_block": report.first_block,
        "last_block": report.last_block,
        "caught_up": report.caught_up,
        "seconds": round(report.seconds, 3),
    }


@group.command("sync")
@DB_OPTION
@click.option(
    "--confirmations", type=click.IntRange(0), default=0, show_default=True,
    help="blocks below the head left unread (reorganisation safety)",
)  # fmt: skip
@click.option("--follow", is_flag=True, help="keep following new blocks until SIGINT/SIGTERM")
@click.option(
    "--interval", type=click.FloatRange(0.05), default=2.0, show_default=True,
    help="seconds between polls with --follow",
)  # fmt: skip
@pass_cli
def sync(
    obj: CliContext, db: str | None, confirmations: int, follow: bool, interval: float
) -> None:
    """Index every event of the deployment's contracts from its deploy block (resumable)."""
    engine = open_database(index_target(obj, db))
    indexer = make_indexer(obj, engine, confirmations)
    try:
        if not follow:
            with bulk_progress(not obj.json) as bar:
                report = sync_index(obj, indexer, bar)
            data = _report(report)
            obj.emit(
                data,
                f"indexed {data['events']} events in {data['ranges']} ranges up to block "
                f"{data['target']} ({data['seconds']} s)",
            )
            return
        stopped: list[str] = []

        def stop(signum: int, _frame: FrameType | None) -> None:
            stopped.append(signal.Signals(signum).name)
            indexer.stop()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        totals = {"events": 0, "ranges": 0}

        def on_sync(report: SyncReport) -> None:
            totals["events"] += report.logs
            totals["ranges"] += report.ranges
            if report.ranges:
                data = _report(report)
                obj.emit(
                    {"event": "synced", **data},
                    f"indexed {data['events']} events up to block {data['last_block']}",
                )

        try:
            indexer.follow(poll_interval=interval, on_sync=on_sync)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        obj.emit(
            {"event": "stopped", "signal": stopped[0] if stopped else None, **totals},
            f"stopped ({stopped[0] if stopped else 'exit'}); indexed {totals['events']} events",
        )
    finally:
        engine.dispose()


@group.command("status")
@DB_OPTION
@pass_cli
def status(obj: CliContext, db: str | None) -> None:
    """Where the index stands per contract, against the chain's head."""
    engine = open_index(obj, db)
    try:
        indexer = make_indexer(obj, engine)
        head = indexer.source.block_number()
        positions = indexer.positions()
        with engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(events)
                .where(events.c.chain_id == indexer.chain_id)
            ).scalar_one()
    finally:
        engine.dispose()
    lowest = min(positions.values())
    data = {
        "chain_id": indexer.chain_id,
        "head": head,
        "indexed_to": lowest,
        "behind": max(0, head - lowest),
        "events": int(count),
        "contracts": positions,
    }
    obj.emit(
        data,
        lambda: "\n".join(
            [
                f"head {head}, indexed to {lowest} ({data['behind']} behind), {count} events",
                *(f"  {name:<22} {block}" for name, block in positions.items()),
            ]
        ),
    )


# --- queries --------------------------------------------------------------------------------


def _code(value: Any) -> str:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        return cv.code_text(bytes.fromhex(value[2:]))
    return str(value)


def _when(row: EventRow) -> str:
    if row.block_timestamp is None:
        return "-"
    return timefmt.iso(row.block_timestamp)


def _line(row: EventRow) -> str:
    a = row.args
    head = f"block {row.block_number:<6} {_when(row)}  {row.event}"
    if row.event == "AccessRecorded":
        grant = a.get("grantId")
        under = "open data" if grant == "0x" + "00" * 32 else f"grant {grant}"
        return (
            f"{head}: {a.get('member')} of {_code(a.get('grantee'))} read {_code(a.get('category'))}"
            f" of {_code(a.get('owner'))} about {a.get('subject')} under {under}"
        )
    if row.event in ("RecordAnchored", "BatchAnchored"):
        what = a.get("recordId") or a.get("root")
        return f"{head}: {_code(a.get('category'))} {_code(what)}"
    keys = ("caseId", "grantId", "uid", "subject", "category")
    shown = ", ".join(f"{k}={_code(a[k])}" for k in keys if k in a)
    return f"{head}: {shown}"


def _emit_rows(obj: CliContext, rows: list[EventRow], empty: str) -> None:
    obj.emit(
        [r.as_dict() for r in rows],
        lambda: "\n".join(_line(r) for r in rows) if rows else empty,
    )


TRAIL_COLUMNS = (
    "time",
    "member",
    "grantee",
    "owner",
    "category",
    "subject",
    "purpose",
    "purpose_hash",
    "grant_id",
    "block",
    "tx_hash",
)


@group.command("trail")
@DB_OPTION
@click.option("--subject", type=ADDRESS, help="accesses to data about this citizen")
@click.option("--dept", "dept", type=cv.DEPARTMENT, help="accesses as owner or grantee")
@click.option("--grant", "grant_id", type=BYTES32, help="accesses under this grant")
@click.option("--limit", type=click.IntRange(1), help="newest N only")
@trail_options
@pass_cli
def trail(
    obj: CliContext,
    db: str | None,
    subject: ChecksumAddress | None,
    dept: bytes | None,
    grant_id: bytes | None,
    limit: int | None,
    since: datetime | None,
    until: datetime | None,
    as_csv: bool,
) -> None:
    """The access trail by subject, department or grant, from the index (in chain order), with
    each purpose as text where this home knows it."""
    chosen = [x for x in (subject, dept, grant_id) if x is not None]
    if len(chosen) != 1:
        raise click.UsageError("choose exactly one of --subject, --dept, --grant")
    inside = window(since, until)
    engine = open_index(obj, db)
    try:
        options: dict[str, Any] = {
            "limit": limit,
            "newest_first": limit is not None,
            "chain_id": index_chain(obj, engine),
        }
        if subject is not None:
            rows = access_by_subject(engine, subject, **options)
        elif dept is not None:
            rows = access_by_department(engine, dept, **options)
        else:
            assert grant_id is not None
            rows = access_by_grant(engine, grant_id, **options)
    finally:
        engine.dispose()
    if limit is not None:
        rows.reverse()
    rows = [r for r in rows if inside(r.block_timestamp)]
    texts = purposes(obj).texts()
    found = [(r, texts.get(str(r.args.get("purposeHash", "")).lower())) for r in rows]
    if as_csv:
        emit_csv(
            [
                {
                    "time": _when(r),
                    "member": r.args.get("member"),
                    "grantee": _code(r.args.get("grantee")),
                    "owner": _code(r.args.get("owner")),
                    "category": _code(r.args.get("category")),
                    "subject": r.args.get("subject"),
                    "purpose": text,
                    "purpose_hash": r.args.get("purposeHash"),
                    "grant_id": r.args.get("grantId"),
                    "block": r.block_number,
                    "tx_hash": r.tx_hash,
                }
                for r, text in found
            ],
            TRAIL_COLUMNS,
        )
        return
    obj.emit(
        [{**r.as_dict(), "purpose": text} for r, text in found],
        lambda: (
            "\n".join(_line(r) + (f" for {text!r}" if text else "") for r, text in found)
            if found
            else "no access recorded"
        ),
    )


@group.command("grants")
@DB_OPTION
@click.option("--subject", type=ADDRESS, required=True)
@pass_cli
def grants(obj: CliContext, db: str | None, subject: ChecksumAddress) -> None:
    """Every grant about a citizen, and whether it was revoked."""
    engine = open_index(obj, db)
    try:
        rows = grants_by_subject(engine, subject, chain_id=index_chain(obj, engine))
    finally:
        engine.dispose()

    def text() -> str:
        lines = []
        for g in rows:
            a = g.created.args
            cats = ",".join(_code(c) for c in a.get("categories", []))
            state = "revoked" if g.revoked else "active"
            lines.append(
                f"{g.grant_id} {state:<7} {_code(a.get('owner'))} -> {_code(a.get('grantee'))} "
                f"[{cats}] until {a.get('validUntil')}"
            )
        return "\n".join(lines) if lines else "no grants"

    obj.emit([g.as_dict() for g in rows], text)


@group.command("cases")
@DB_OPTION
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@pass_cli
def cases(obj: CliContext, db: str | None, dept: bytes) -> None:
    """The open cases a department takes part in."""
    engine = open_index(obj, db)
    try:
        rows = open_cases_by_department(engine, dept, chain_id=index_chain(obj, engine))
    finally:
        engine.dispose()
    _emit_rows(obj, rows, "no open cases")


@group.command("attestations")
@DB_OPTION
@click.option("--subject", type=ADDRESS, required=True)
@pass_cli
def attestations(obj: CliContext, db: str | None, subject: ChecksumAddress) -> None:
    """Every attestation issued to a citizen, and whether it was revoked."""
    engine = open_index(obj, db)
    try:
        rows = attestations_by_subject(engine, subject, chain_id=index_chain(obj, engine))
    finally:
        engine.dispose()
    obj.emit(
        [r.as_dict() for r in rows],
        lambda: (
            "\n".join(
                f"{r.uid} {'revoked' if r.revoked else 'valid':<7} {_line(r.attested)}"
                for r in rows
            )
            or "no attestations"
        ),
    )


@group.command("anchors")
@DB_OPTION
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@click.option("--limit", type=click.IntRange(1), help="newest N only")
@pass_cli
def anchors(obj: CliContext, db: str | None, dept: bytes, limit: int | None) -> None:
    """Every record and batch anchor a department published."""
    engine = open_index(obj, db)
    try:
        rows = anchors_by_department(
            engine,
            dept,
            limit=limit,
            newest_first=limit is not None,
            chain_id=index_chain(obj, engine),
        )
    finally:
        engine.dispose()
    if limit is not None:
        rows.reverse()
    _emit_rows(obj, rows, "no anchors")
