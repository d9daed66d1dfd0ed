"""``govchain citizen data``: a citizen's personal data space across the departments' nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.data import emit_record, endpoint_of
from govchain.cli.params import ADDRESS
from govchain.errors import GovchainError, NotFound
from govchain.node.client import CitizenClient, HeldRecord

parent = "citizen"


@click.group("data")
def group() -> None:
    """My personal data space: which departments hold records about me; fetch my own records."""


def _client(obj: CliContext, identity: ChecksumAddress | None) -> CitizenClient:
    client = CitizenClient(cv.reader(obj), obj.account(), identity)
    client.check_control()
    return client


def _held(record: HeldRecord) -> dict[str, Any]:
    return {
        "category": cv.code_text(record.category),
        "record": cv.code_text(record.record_id),
        "version": record.version,
        "content_hash": cv.hex32(record.content_hash),
        "anchor": record.anchor_kind,
        "anchored_block": record.anchored_block,
    }


IDENTITY = click.option(
    "--identity",
    type=ADDRESS,
    help="the identity (default: the --key's address; give it after a key rotation or as an agent)",
)


@group.command("list")
@IDENTITY
@pass_cli
def list_(obj: CliContext, identity: ChecksumAddress | None) -> None:
    """Ask every active department's data node which anchored records it holds about me.

    Signed with the citizen's identity key (--key). Each listed record's anchor is checked on
    chain. Departments without a registered node are skipped; a node that does not answer is
    reported, and the others are still listed.
    """
    client = _client(obj, identity)
    rows: list[dict[str, Any]] = []
    for dept in client.departments():
        if dept.status != cv.DEPARTMENT_ACTIVE or not dept.endpoint:
            continue
        row: dict[str, Any] = {
            "department": cv.code_text(dept.code),
            "name": dept.name,
            "endpoint": dept.endpoint,
            "records": [],
            "error": None,
        }
        try:
            row["records"] = [_held(r) for r in client.list_records(dept.endpoint, dept.code)]
        except GovchainError as exc:
            row["error"] = str(exc)
        rows.append(row)
    data = {"identity": client.identity, "departments": rows}

    def text() -> str:
        lines = [f"records about {client.identity}"]
        for r in rows:
            if r["error"]:
                lines.append(f"{r['department']:<10} unavailable: {r['error']}")
            for rec in r["records"]:
                lines.append(
                    f"{r['department']:<10} {rec['category']:<22} {rec['record']:<24} "
                    f"v{rec['version']}  {rec['anchor']} anchor, block {rec['anchored_block']}"
                )
        if not any(r["records"] for r in rows):
            lines.append("no department holds anchored records about this identity")
        return "\n".join(lines)

    obj.emit(data, text)


@group.command("fetch")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True, help="the department holding it")
@click.option("--record", "record_id", type=cv.RECORD_ID, required=True, help="the record id")
@click.option("--category", type=cv.CATEGORY, help="its category [default: found by listing]")
@click.option("--node", "node_url", metavar="URL", help="the node [default: its endpoint]")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the content")
@IDENTITY
@pass_cli
def fetch(
    obj: CliContext,
    dept: bytes,
    record_id: bytes,
    category: bytes | None,
    node_url: str | None,
    out: Path | None,
    identity: ChecksumAddress | None,
) -> None:
    """Fetch one of my own records from a department's node, decrypted and checked on chain."""
    url = endpoint_of(obj, dept, node_url)
    client = _client(obj, identity)
    if category is None:
        matches = [r for r in client.list_records(url, dept) if r.record_id == record_id]
        if not matches:
            raise NotFound(
                "record", cv.code_text(record_id), f"{cv.code_text(dept)} holds none about you"
            )
        if len({m.category for m in matches}) > 1:
            raise click.UsageError("several categories hold this record id: choose --category")
        category = matches[0].category
    record = client.fetch(url, category, record_id, dept)
    emit_record(obj, record, out, {"identity": client.identity})
