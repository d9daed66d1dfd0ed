"""``govchain audit``: tamper, access and misuse reports. Each exits 1 when it finds a problem,
so it can run on a schedule; ``--json`` gives the full report."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from govchain import timefmt
from govchain.audit.access import access_trail, check_viewer
from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS
from govchain.cli.trail_params import emit_csv, purposes, trail_options, window
from govchain.identity.base import iso_time

# SQLAlchemy, the department's store and rich's progress bar are imported by the commands that
# read a store (tamper, misuse): access and objections run without them (issue 20).
if TYPE_CHECKING:
    from eth_typing import ChecksumAddress


@click.group("audit")
def group() -> None:
    """Audits: tampered records, a citizen's access trail, releases without an access record."""


def _fail_if(found: bool) -> None:
    if found:
        click.get_current_context().exit(1)


def _code(value: str | None) -> str:
    if value is None:
        return "-"
    return cv.code_text(bytes.fromhex(value[2:]))


@group.command("tamper")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@click.option("--db", "db", required=True, metavar="URL|FILE", help="the department's store")
@pass_cli
def tamper(obj: CliContext, dept: bytes, db: str) -> None:
    """Recompute every record of the store from its content and salt and check it against its
    anchor on chain: ok / altered / missing / not anchored (pending outbox rows are counted, not
    faulted). Anyone may run it who can read the store. Exit 1 if anything is wrong."""
    from sqlalchemy import func, select

    from govchain.audit.tamper import PROBLEMS, STATUSES, audit_tamper
    from govchain.cli.progress import bulk_progress
    from govchain.node.store import Record, Store

    cv.department(obj, dept)
    url = cv.existing_store(db)
    chain = cv.reader(obj)
    store = Store(url)
    try:
        with store.session() as s:
            total = int(s.scalar(select(func.count()).select_from(Record)) or 0)
        with bulk_progress(not obj.json) as bar:
            report = audit_tamper(
                store,
                chain,
                dept,
                cv.deploy_block(obj),
                None if bar is None else lambda n: bar("records", min(n, total), total),
            )
    finally:
        store.dispose()
    data = report.as_dict()
    data["department"] = cv.code_text(dept)

    def text() -> str:
        counts = ", ".join(f"{report.counts[s]} {s.replace('_', ' ')}" for s in STATUSES)
        lines = [f"{data['department']}: {report.records} records checked: {counts}"]
        for f in report.findings:
            if f.status not in PROBLEMS:
                continue
            what = (
                f"{cv.code_text(f.record_id)} v{f.version}"
                if f.record_id is not None
                else f"batch {cv.hex32(f.batch_root or b'')}"
                + (f" leaf {f.leaf_index}" if f.leaf_index is not None else "")
            )
            row = f" (row {f.row})" if f.row is not None else ""
            lines.append(
                f"  {f.status.upper():<12} {cv.code_text(f.category)} {what}{row}: {f.reason}"
            )
        lines.append("clean" if report.clean else f"{report.problems} problems")
        return "\n".join(lines)

    obj.emit(data, text)
    _fail_if(not report.clean)


TRAIL_COLUMNS = (
    "time",
    "member",
    "grantee",
    "owner",
    "category",
    "purpose",
    "purpose_hash",
    "basis",
    "grant_id",
    "tx_hash",
    "problems",
)


@group.command("access")
@click.option("--subject", type=ADDRESS, required=True, help="the citizen (identity address)")
@trail_options
@pass_cli
def access(
    obj: CliContext,
    subject: ChecksumAddress,
    since: datetime | None,
    until: datetime | None,
    as_csv: bool,
) -> None:
    """Who accessed a citizen's data, when, which data, for which purpose, under which grant.

    For the citizen (the identity, its owner key or an agent) about themselves, and for an
    active AUDITOR (--key) about anyone. The purpose is shown as text where this home knows it
    (grants and consents made or relayed here), else as its hash. Each access is checked
    against its grant; exit 1 if one does not check out (which the contracts should make
    impossible).
    """
    account = obj.account()
    chain = cv.reader(obj)
    role = check_viewer(chain, account.address, subject)
    trail = access_trail(chain, subject, role, cv.deploy_block(obj))
    data = trail.as_dict()
    inside = window(since, until)
    texts = purposes(obj).texts()
    data["entries"] = [e for e in data["entries"] if inside(e["timestamp"])]
    for entry in data["entries"]:
        for key in ("grantee", "owner", "category"):
            entry[key] = _code(entry[key])
        entry["purpose"] = texts.get(entry["purpose_hash"])
        entry["time"] = timefmt.iso(entry["timestamp"])
    if as_csv:
        emit_csv(
            [{**e, "problems": "; ".join(e["problems"])} for e in data["entries"]],
            TRAIL_COLUMNS,
        )
        _fail_if(not trail.clean)
        return

    def text() -> str:
        lines = [
            f"access trail of {subject} (shown to the {role}): {len(data['entries'])} accesses"
        ]
        for e in data["entries"]:
            under = f"grant {e['grant_id']} ({e['basis']})" if e["grant_id"] else "open data"
            why = (
                f"for {e['purpose']!r}"
                if e["purpose"]
                else f"for purpose {e['purpose_hash'][:18]}.. (text not known here)"
            )
            lines.append(
                f"{e['time']}  {e['member']} of {e['grantee']} read {e['category']} of "
                f"{e['owner']} {why} under {under}  tx {e['tx_hash']}"
            )
            lines += [f"    PROBLEM: {p}" for p in e["problems"]]
        lines.append("clean" if trail.clean else f"{trail.problems} accesses with problems")
        return "\n".join(lines)

    obj.emit(data, text)
    _fail_if(not trail.clean)


@group.command("misuse")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@click.option("--db", "db", required=True, metavar="URL|FILE", help="the department's store")
@pass_cli
def misuse(obj: CliContext, dept: bytes, db: str) -> None:
    """Compare the data node's serve log with the on-chain access records: every release to a
    department without a matching access record is reported. Exit 1 if there is one."""
    from govchain.audit.misuse import audit_misuse
    from govchain.node.store import Store

    cv.department(obj, dept)
    url = cv.existing_store(db)
    store = Store(url)
    try:
        report = audit_misuse(store, cv.reader(obj), dept, cv.deploy_block(obj))
    finally:
        store.dispose()
    data: dict[str, Any] = report.as_dict()
    data["department"] = cv.code_text(dept)

    def text() -> str:
        lines = [
            f"{data['department']}: {report.releases} releases in the serve log, "
            f"{report.matched} with their access record, {report.own_data} to citizens "
            f"(own data), {len(report.misuses)} without a matching record; "
            f"{len(report.recorded_not_served)} recorded accesses not served"
        ]
        for m in report.misuses:
            lines.append(
                f"  MISUSE log #{m.log_id} {m.served_at:%Y-%m-%d %H:%M:%S}: "
                f"{cv.code_text(m.category)} {cv.code_text(m.record_id)} v{m.version} "
                f"to {m.requester}: {m.reason}"
            )
        lines.append("clean" if report.clean else f"{len(report.misuses)} misuses")
        return "\n".join(lines)

    obj.emit(data, text)
    _fail_if(not report.clean)


@group.command("objections")
@click.option("--dept", "dept", type=cv.DEPARTMENT, help="only objections this department decides")
@click.option(
    "--index",
    "index_db",
    metavar="DB",
    help="read the objection events from this index (govchain index sync) instead of the chain",
)
@pass_cli
def objections(obj: CliContext, dept: bytes | None, index_db: str | None) -> None:
    """Overdue objections: open past their deadline (the contract's own status view, or the
    same rule over the indexed events with --index). Exit 1 if there is one."""
    rows: list[tuple[str, str, bytes, int]]  # id, subject, owner, deadline
    if index_db is not None:
        from govchain.cli.index import open_index
        from govchain.indexer.objections import overdue_from_index

        w3 = obj.connection().w3
        now = int(w3.eth.get_block("latest")["timestamp"])
        found = overdue_from_index(
            open_index(obj, index_db), now, owner=dept, chain_id=w3.eth.chain_id
        )
        data = {"overdue": [r.as_dict() for r in found], "clean": not found, "source": "index"}
        rows = [(r.id, r.subject, bytes.fromhex(r.owner[2:]), r.deadline) for r in found]
    else:
        from govchain.services.objections import Objections

        overdue = Objections(obj.connection()).overdue(dept)
        data = {"overdue": [o.as_dict() for o in overdue], "clean": not overdue}
        rows = [("0x" + o.id.hex(), o.subject, o.owner, o.deadline) for o in overdue]

    def text() -> str:
        lines = [
            f"OVERDUE {oid} of {subject}: {cv.code_text(owner)} was due {iso_time(deadline)}"
            for oid, subject, owner, deadline in rows
        ]
        lines.append(f"{len(rows)} overdue objections" if rows else "no overdue objections")
        return "\n".join(lines)

    obj.emit(data, text)
    _fail_if(bool(rows))
