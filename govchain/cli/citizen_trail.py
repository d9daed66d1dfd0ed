"""``govchain citizen trail``: what has been done with and asked about a citizen's own data —
who accessed it, when, which data, for which purpose (as text where this home knows it) and
under which grant; and her objections (filed by her or her agent), their deciding department,
state and deadline. ``--since/--until`` keep the days asked for; ``--csv`` prints the accesses
as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from govchain import timefmt
from govchain.audit.access import access_trail, check_viewer
from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import own_address
from govchain.cli.objection import _line
from govchain.cli.trail_params import emit_csv, purposes, trail_options, window
from govchain.services.objections import Objections

parent = "citizen"

COLUMNS = (
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
)


def _accesses(obj: CliContext, subject: str, inside: Any) -> list[dict[str, Any]]:
    viewer = obj.keystore().show(obj.key).address if obj.key else subject
    chain = cv.reader(obj)
    role = check_viewer(chain, viewer, subject)
    texts = purposes(obj).texts()
    rows = []
    for entry in access_trail(chain, subject, role, cv.deploy_block(obj)).entries:
        if not inside(entry.timestamp):
            continue
        row = entry.as_dict()
        for key in ("grantee", "owner", "category"):
            row[key] = cv.code_text(bytes.fromhex(row[key][2:]))
        row["time"] = timefmt.iso(entry.timestamp)
        row["purpose"] = texts.get(row["purpose_hash"])
        rows.append(row)
    return rows


def _access_line(r: dict[str, Any]) -> str:
    why = repr(r["purpose"]) if r["purpose"] else f"purpose {r['purpose_hash'][:18]}.."
    under = f"grant {r['grant_id'][:18]}.. ({r['basis']})" if r["grant_id"] else "open data"
    return (
        f"{r['time']}  {r['grantee']} ({r['member']}) read {r['category']} for {why} under {under}"
    )


@click.command("trail")
@click.option("--for", "identity", help="the citizen's identity (default: the --key's address)")
@trail_options
@pass_cli
def group(
    obj: CliContext,
    identity: str | None,
    since: datetime | None,
    until: datetime | None,
    as_csv: bool,
) -> None:
    """The citizen's trail: who used her data and why, and her objections."""
    subject = own_address(obj, identity, "whose trail")
    inside = window(since, until)
    accesses = _accesses(obj, subject, inside)
    if as_csv:
        emit_csv(accesses, COLUMNS)
        return
    found = [o for o in Objections(obj.connection()).find(subject=subject) if inside(o.filed_at)]

    def text() -> str:
        lines = [f"accesses to the data of {subject}:" if accesses else f"{subject}: no accesses"]
        lines += [f"  {_access_line(r)}" for r in accesses]
        if found:
            lines += ["objections:", *(f"  {_line(o)}" for o in found)]
        else:
            lines.append(f"{subject}: no objections")
        return "\n".join(lines)

    obj.emit(
        {
            "subject": subject,
            "accesses": accesses,
            "objections": [o.as_dict() for o in found],
        },
        text,
    )
