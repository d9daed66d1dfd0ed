"""``govchain evidence``: electronic evidence (电子存证) bundles of anchored records.

``export`` writes one self-contained JSON file for a record version the holder can prove (its
content, salt and columns): the anchor, the transaction, every receipt and raw transaction of
its block, the block header, chain id, contract addresses and the access records of its
category. ``verify`` is for a third party with only the file, and an RPC endpoint with the
platform's deployment manifest, or a block hash and an AnchorRegistry address it trusts: it says
what is proven and what is not; a file that does not hold together, or names another deployment,
is refused with the broken link (exit 1). Offline without ``--trust-registry`` the checks are
printed under ``NOT VERIFIED`` and the exit status is 1: the file alone cannot show that its
registry is the platform's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govchain.cli.context import CliContext, pass_cli


def _read(path: Path, what: str) -> bytes:
    from govchain.errors import InvalidInput

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(what, str(path), exc.strerror or str(exc)) from None


@click.group("evidence")
def group() -> None:
    """Electronic evidence: export an anchored record's proof bundle, verify one independently."""


@group.command("export")
@click.argument("record")
@click.option("--category", help="the record's category [default: found from its anchors]")
@click.option("--content", help="the record's content (its UTF-8 bytes)")
@click.option(
    "--content-file", type=click.Path(dir_okay=False, path_type=Path), help="file of the content"
)
@click.option("--salt", help="the record's 32-byte salt (0x-hex) [default: from --proofs]")
@click.option("--subject", help="the citizen address the record is about")
@click.option("--media-type", help="the record's media type [default: application/octet-stream]")
@click.option("--version", type=click.IntRange(1, 2**32 - 1), help="default: the latest anchored")
@click.option(
    "--proofs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="proofs file of 'record anchor-batch': the record is a leaf of that batch",
)
@click.option("--include-content", is_flag=True, help="put the content itself in the file")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def export(
    obj: CliContext,
    record: str,
    category: str | None,
    content: str | None,
    content_file: Path | None,
    salt: str | None,
    subject: str | None,
    media_type: str | None,
    version: int | None,
    proofs: Path | None,
    include_content: bool,
    out: Path,
) -> None:
    """Write the evidence bundle of RECORD (its id or 0x-hex record id) to --out."""
    from govchain import validate
    from govchain.errors import InvalidInput
    from govchain.files import parse_json
    from govchain.interop.evidence import export
    from govchain.sharing.acceptance import RecordColumns
    from govchain.sharing.anchors import AnchorRegistry, record_id
    from govchain.sharing.base import code, code_name

    if (content is None) == (content_file is None):
        raise click.UsageError("give the record's --content or --content-file (one of them)")
    body = content.encode() if content is not None else _read(content_file, "content file")  # type: ignore[arg-type]
    rid = record_id(record)
    entry: dict[str, Any] = {}
    batch: tuple[bytes, list[bytes]] | None = None
    if proofs is not None:
        raw = _read(proofs, "proofs file")
        document = parse_json(raw, "proofs file", str(proofs))
        try:
            entry = next(e for e in document["records"] if e.get("record_id") == "0x" + rid.hex())
        except (ValueError, KeyError, TypeError, StopIteration):
            raise InvalidInput("proofs file", str(proofs), "has no entry for this record") from None
        category = category or document.get("category")
        batch = (
            validate.bytes32(document.get("root"), "root"),
            [validate.bytes32(p, "proof") for p in entry.get("proof", [])],
        )
    connection = obj.connection()
    registry = AnchorRegistry(connection)
    if category is None:
        found = {
            code_name(bytes(log["args"]["category"]))
            for log in registry.contract.events.RecordAnchored().get_logs(
                from_block=connection.deployment.deploy_block,
                argument_filters={"recordId": rid},
            )
        }
        if len(found) != 1:
            raise click.UsageError(
                f"record {record}: {'no anchors found' if not found else 'several categories'}"
                "; give --category"
            )
        category = found.pop()
    registry.require_category(category)
    if batch is not None:
        version = 1
    elif version is None:
        version = registry.latest_version(category, rid)
        if version == 0:
            raise InvalidInput(
                "record", record, f"has no single anchor in {category}; use --proofs"
            )
    salt_hex = salt or entry.get("salt")
    if not salt_hex:
        raise click.UsageError("the record hash needs the record's --salt")
    columns = RecordColumns(
        category=code(category),
        record_id=rid,
        version=version,
        owner=registry.owner_of(category),
        subject=str(validate.address(subject or entry["subject"]))
        if (subject or entry.get("subject"))
        else None,
        media_type=media_type or entry.get("media_type") or "application/octet-stream",
        content=body,
        salt=validate.hex_bytes(salt_hex, 32, "salt"),
    )
    bundle = export(connection, columns, include_content, batch)
    try:
        out.write_text(json.dumps(bundle, indent=1) + "\n")
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    data = {
        "file": str(out),
        "record_hash": bundle["record"]["record_hash"],
        "block": int(bundle["block"]["header"]["number"], 16),
        "block_hash": bundle["block"]["hash"],
        "anchor": bundle["anchor"]["kind"],
        "access_records": len(bundle["access_records"]),
        "content_included": include_content,
    }
    obj.emit(
        data,
        lambda: (
            f"evidence of {record} ({category} v{version}) written to {out}: block {data['block']} "
            f"({data['block_hash']}), {data['access_records']} access records"
        ),
    )


@group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust-block-hash",
    metavar="HASH",
    help="verify offline, against this block hash (no network is used)",
)
@click.option(
    "--trust-registry",
    metavar="ADDRESS",
    help="offline: the platform's AnchorRegistry address (without it the result is NOT VERIFIED)",
)
@click.option(
    "--content-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the record's content, if the file does not include it",
)
@pass_cli
def verify(
    obj: CliContext,
    file: Path,
    trust_block_hash: str | None,
    trust_registry: str | None,
    content_file: Path | None,
) -> None:
    """Check an evidence FILE: with --trust-block-hash and --trust-registry offline, else
    against the --rpc node and its deployment manifest (the file's contract addresses must be
    the platform's).

    Prints what is proven and what is not; exit 1 with the reason if the file is refused, and
    exit 1 after the report if offline without --trust-registry (not a full verification).
    """
    from govchain import validate
    from govchain.errors import InvalidInput
    from govchain.files import parse_json
    from govchain.interop.evidence import EvidenceRefused, verify

    if trust_registry is not None and trust_block_hash is None:
        raise click.UsageError(
            "--trust-registry goes with --trust-block-hash (online, the contracts of the "
            "connection's deployment manifest are trusted)"
        )
    trusted = (
        {"AnchorRegistry": str(validate.address(trust_registry))}
        if trust_registry is not None
        else None
    )
    raw = _read(file, "evidence file")
    try:
        bundle = parse_json(raw, "evidence file", str(file), expect=None, fractions=True)
    except InvalidInput as exc:
        raise EvidenceRefused(f"the file is {exc.reason}") from None
    content = _read(content_file, "content file") if content_file is not None else None
    w3 = None
    if not trust_block_hash:
        connection = obj.connection()
        w3 = connection.w3
        trusted = {n: str(c.address) for n, c in connection.deployment.contracts.items()}
    verdict = verify(bundle, w3, trust_block_hash, content, trusted)
    data = verdict.as_dict()
    registry = bundle["contracts"]["AnchorRegistry"]
    head = (
        f"VERIFIED ({verdict.mode}): block {verdict.block}, {data['time']}, "
        f"department {verdict.department}"
        if verdict.complete
        else f"NOT VERIFIED ({verdict.mode}): the file holds together (block {verdict.block}, "
        f"{data['time']}, department {verdict.department}), but nothing shows that its "
        f"AnchorRegistry {registry} is this platform's: give --trust-registry"
    )
    obj.emit(
        data,
        lambda: "\n".join(
            [
                head,
                "proven:",
                *(f"  - {line}" for line in verdict.proven),
                "not proven:",
                *(f"  - {line}" for line in verdict.not_proven),
            ]
        ),
    )
    if not verdict.complete:
        raise click.exceptions.Exit(1)
