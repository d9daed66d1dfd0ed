"""``govchain catalog``: the data catalog (category, owner, sharing class, sensitive flag)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from eth_utils.crypto import keccak

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import BYTES32
from govchain.cli.sharing_params import CATEGORY, DEPARTMENT, DURATION, SHARING, anchors, tx_line
from govchain.errors import InvalidInput
from govchain.sharing.anchors import Category, CategorySpec
from govchain.sharing.catalog import SharingClass


@click.group("catalog")
def group() -> None:
    """Data categories: who owns them and how they may be shared."""


def _schema_hash(schema_hash: bytes | None, schema: Path | None) -> bytes | None:
    if schema_hash is not None and schema is not None:
        raise click.UsageError("give --schema or --schema-hash, not both")
    if schema is not None:
        try:
            return keccak(schema.read_bytes())
        except OSError as exc:
            raise InvalidInput("schema file", str(schema), exc.strerror or str(exc)) from None
    return schema_hash


def _schema_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--schema",
        type=click.Path(dir_okay=False, path_type=Path),
        help="record schema file (e.g. JSON Schema); its keccak256 is stored",
    )(command)
    return click.option("--schema-hash", type=BYTES32, help="keccak256 of the record schema")(
        command
    )


def _show(entry: Category) -> str:
    lines = [
        f"category      {entry.code}",
        f"owner         {entry.owner}",
        f"sharing       {entry.sharing.name}",
        f"sensitive     {'yes' if entry.sensitive else 'no'}",
        f"schema hash   0x{entry.schema_hash.hex()}",
        f"update cycle  {entry.update_cycle}s" if entry.update_cycle else "update cycle  on change",
    ]
    if entry.registered_block:
        lines.append(f"registered    block {entry.registered_block}")
    if entry.updated_block:
        lines.append(f"updated       block {entry.updated_block}")
    return "\n".join(lines)


@group.command("add")
@click.argument("code", type=CATEGORY)
@click.option("--sharing", type=SHARING, required=True, help="unconditional|conditional|not-shared")
@click.option("--sensitive", is_flag=True, help="sensitive personal information (PIPL art. 28)")
@click.option("--update-cycle", type=DURATION, default=0, help="e.g. 30d; 0 = on change")
@_schema_options
@pass_cli
def add(
    obj: CliContext,
    code: str,
    sharing: SharingClass,
    sensitive: bool,
    update_cycle: int,
    schema: Path | None,
    schema_hash: bytes | None,
) -> None:
    """Register category CODE for the --key ADMIN's department, in its namespace.

    CODE is the department's code, a dot and a name (HRSS.PENSION for HRSS): a department
    registers codes in its own namespace only.
    """
    digest = _schema_hash(schema_hash, schema) or b"\0" * 32
    spec = CategorySpec(code, sharing, sensitive, digest, update_cycle)
    tx = anchors(obj, signing=True).add_category(spec).as_dict()
    obj.emit({"code": code, **tx}, tx_line(f"registered {code} ({sharing.name})", tx))


@group.command("update")
@click.argument("code", type=CATEGORY)
@click.option("--sharing", type=SHARING, help="new sharing class")
@click.option(
    "--sensitive/--not-sensitive",
    default=None,
    help="new sensitive flag (it may be set, never cleared)",
)
@click.option("--update-cycle", type=DURATION, help="new update cycle")
@_schema_options
@pass_cli
def update(
    obj: CliContext,
    code: str,
    sharing: SharingClass | None,
    sensitive: bool | None,
    update_cycle: int | None,
    schema: Path | None,
    schema_hash: bytes | None,
) -> None:
    """Change category CODE as an ADMIN of its owner; unnamed fields keep their values.

    Reclassifying a category NOT_SHARED stops every access to it at once. A sensitive
    category stays sensitive (an owner-wide grant must never come to cover it) and is never
    UNCONDITIONAL: data that is no longer sensitive goes under a new code.
    """
    registry = anchors(obj, signing=True)
    current = registry.require_category(code)
    digest = _schema_hash(schema_hash, schema)
    spec = CategorySpec(
        code,
        sharing if sharing is not None else current.sharing,
        sensitive if sensitive is not None else current.sensitive,
        digest if digest is not None else current.schema_hash,
        update_cycle if update_cycle is not None else current.update_cycle,
    )
    tx = registry.update_category(spec).as_dict()
    obj.emit({"code": code, **tx}, tx_line(f"updated {code} ({spec.sharing.name})", tx))


@group.command("list")
@click.option("--owner", type=DEPARTMENT, help="only this department's categories")
@pass_cli
def list_(obj: CliContext, owner: str | None) -> None:
    """Every category in the catalog (from its events), oldest first."""
    entries = anchors(obj).list_categories(owner)

    def text() -> str:
        if not entries:
            return "no categories"
        return "\n".join(
            f"{e.code:<24} {e.owner:<10} {e.sharing.name:<13} {'sensitive' if e.sensitive else '-'}"
            for e in entries
        )

    obj.emit([e.as_dict() for e in entries], text)


@group.command("show")
@click.argument("code", type=CATEGORY)
@pass_cli
def show(obj: CliContext, code: str) -> None:
    """One category's entry (exit 2 if it is not in the catalog)."""
    entry = anchors(obj).category(code)
    obj.emit(entry.as_dict(), _show(entry))
