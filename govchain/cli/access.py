"""``govchain access``: the on-chain access records that must exist before data is released."""

from __future__ import annotations

import secrets
from datetime import datetime

import click
from eth_typing import ChecksumAddress

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.sharing_params import CATEGORY, DEPARTMENT, grants, tx_line
from govchain.cli.trail_params import emit_csv, purposes, trail_options, window
from govchain.errors import InvalidInput
from govchain.sharing.base import hex0x
from govchain.sharing.purposes import commit_purpose


@click.group("access")
def group() -> None:
    """Access records: who used which data of whom, when and why."""


@group.command("record")
@click.argument("grant_id", type=BYTES32, required=False)
@click.option("--category", type=CATEGORY, required=True, help="category accessed")
@click.option("--request-hash", type=BYTES32, help="the data request's hash [default: random]")
@click.option("--purpose", help="purpose in words, for UNCONDITIONAL data without a grant")
@pass_cli
def record(
    obj: CliContext,
    grant_id: bytes | None,
    category: str,
    request_hash: bytes | None,
    purpose: str | None,
) -> None:
    """Record an access by the --key STAFF member under GRANT_ID (or, without one, to an
    UNCONDITIONAL category with --purpose)."""
    if grant_id is None and purpose is None:
        raise click.UsageError("give the GRANT_ID, or --purpose for UNCONDITIONAL data")
    if grant_id is not None and purpose is not None:
        raise click.UsageError("--purpose is for access without a grant (the grant names its own)")
    digest = request_hash or secrets.token_bytes(32)
    client = grants(obj, signing=True)
    if grant_id is not None:
        tx = client.record_access(grant_id, category, digest)
    else:
        assert purpose is not None
        if not purpose.strip():
            raise InvalidInput("purpose", purpose, "must not be empty")
        commitment, salt = commit_purpose(purpose)
        tx = client.record_open_access(category, commitment, digest)
        purposes(obj).add(purpose, salt)
    data = {
        "grant_id": hex0x(grant_id) if grant_id else None,
        "category": category,
        "request_hash": hex0x(digest),
        **tx.as_dict(),
    }
    obj.emit(data, tx_line(f"access to {category} recorded (request {data['request_hash']})", data))


ACCESS_COLUMNS = (
    "time",
    "subject",
    "grantee",
    "owner",
    "category",
    "member",
    "purpose",
    "purpose_hash",
    "grant_id",
    "block",
    "tx_hash",
)


@group.command("list")
@click.option("--subject", type=ADDRESS, help="accesses to this citizen's data")
@click.option("--owner", type=DEPARTMENT, help="accesses to this department's data")
@click.option("--grantee", type=DEPARTMENT, help="accesses by this department")
@click.option("--grant", "grant_id", type=BYTES32, help="accesses under this grant")
@click.option("--category", type=CATEGORY, help="accesses to this category")
@trail_options
@pass_cli
def list_(
    obj: CliContext,
    subject: ChecksumAddress | None,
    owner: str | None,
    grantee: str | None,
    grant_id: bytes | None,
    category: str | None,
    since: datetime | None,
    until: datetime | None,
    as_csv: bool,
) -> None:
    """Access records (from their events), oldest first: the audit trail, with each purpose
    as text where this home knows it (from the grants and consents it made or relayed)."""
    inside = window(since, until)
    found = [
        a
        for a in grants(obj).access_records(subject, owner, grantee, grant_id, category)
        if inside(a.timestamp)
    ]
    texts = purposes(obj).texts()
    rows = [{**a.as_dict(), "purpose": texts.get(hex0x(a.purpose_hash))} for a in found]
    if as_csv:
        emit_csv(rows, ACCESS_COLUMNS)
        return

    def text() -> str:
        if not rows:
            return "no access records"
        return "\n".join(
            f"{r['time']}  {r['grantee']}<-{r['owner']}  {r['category']:<20} by {r['member']}  "
            f"subject {r['subject']}  for {_purpose_text(r)}  grant {r['grant_id'][:18]}..  "
            f"block {r['block']}"
            for r in rows
        )

    obj.emit(rows, text)


def _purpose_text(row: dict[str, object]) -> str:
    if row.get("purpose"):
        return repr(row["purpose"])
    return f"purpose {str(row['purpose_hash'])[:18]}.. (text not known here)"
