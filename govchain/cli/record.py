"""``govchain record``: anchor records (one by one or as a Merkle batch) and verify them.

What is anchored is a record hash over every column of a record version (category, record id,
version, owner department, subject, media type, content) with a secret 32-byte salt: the salt
is what lets its holder prove the record later, so every command that makes one prints it (or
writes it to the proofs file). A batch publishes first versions (version 1) only. Record ids:
``0x`` + 64 hex digits as they are, other text hashed (never personal data: the hash of an id is
not secret). ``record verify`` applies the requester's acceptance rule: only the latest anchored
version is accepted, and a batch leaf only while the record has no single anchor.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import BYTES32
from govchain.cli.progress import bulk_progress
from govchain.cli.sharing_params import CATEGORY, anchors, tx_line
from govchain.errors import InvalidInput
from govchain.files import parse_json, read_json
from govchain.sharing.acceptance import RecordRefused
from govchain.sharing.anchors import AnchorRegistry, Batch, record_id
from govchain.sharing.base import code, hex0x, iso
from govchain.sharing.merkle import new_salt, record_hash

DEFAULT_MEDIA_TYPE = "application/octet-stream"

PROOFS_FORMAT = "govchain.BatchProofs/1"


@click.group("record")
def group() -> None:
    """Tamper evidence: anchor department records on chain and verify copies of them."""


def _content(text: str | None, path: Path | None) -> bytes | None:
    if text is not None and path is not None:
        raise click.UsageError("give --content or --content-file, not both")
    if path is not None:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InvalidInput("content file", str(path), exc.strerror or str(exc)) from None
    return text.encode() if text is not None else None


def _salt(value: str | None) -> bytes | None:
    return None if value is None else validate.hex_bytes(value, 32, "salt")


def _content_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--content", help="the record's content (its UTF-8 bytes are hashed)"),
            click.option(
                "--content-file",
                type=click.Path(dir_okay=False, path_type=Path),
                help="file whose bytes are the record's content",
            ),
            click.option("--salt", help="the record's 32-byte salt (0x-hex)"),
            click.option("--subject", help="the citizen address the record is about"),
            click.option(
                "--media-type", help=f"the record's media type [default: {DEFAULT_MEDIA_TYPE}]"
            ),
        ]
    ):
        command = option(command)
    return command


def _subject(value: str | None) -> str | None:
    return None if not value else str(validate.address(value))


def _hash(
    registry: AnchorRegistry,
    category: str,
    rid: bytes,
    version: int,
    subject: str | None,
    media_type: str | None,
    body: bytes,
    salt: bytes,
) -> bytes:
    owner = registry.owner_of(category)
    kind = media_type or DEFAULT_MEDIA_TYPE
    return record_hash(code(category), rid, version, owner, subject, kind, body, salt)


@group.command("anchor")
@click.argument("category", type=CATEGORY)
@click.argument("record")
@_content_options
@click.option("--version", type=click.IntRange(1, 2**32 - 1), help="default: the next version")
@click.option(
    "--after-batch",
    "after_batch",
    type=click.Path(dir_okay=False, path_type=Path),
    help="proofs file of the batch that published version 1: anchor this as version 2",
)
@pass_cli
def anchor(
    obj: CliContext,
    category: str,
    record: str,
    content: str | None,
    content_file: Path | None,
    salt: str | None,
    subject: str | None,
    media_type: str | None,
    version: int | None,
    after_batch: Path | None,
) -> None:
    """Anchor a version of RECORD of CATEGORY (STAFF or ADMIN of the category's owner).

    Without --salt a fresh random salt is made and printed: keep it with the record. Version 2
    of a record published by 'record anchor-batch' needs --after-batch PROOFS: version 1 is
    proven from its batch and pinned on chain with it.
    """
    body = _content(content, content_file)
    if body is None:
        raise click.UsageError("give the record's --content or --content-file")
    salt_bytes = _salt(salt) or new_salt()
    who = _subject(subject)
    rid = record_id(record)
    registry = anchors(obj, signing=True)
    registry.require_category(category)
    if after_batch is not None:
        if version not in (None, 2):
            raise click.UsageError("--after-batch anchors version 2")
        version = 2
    elif version is None:
        version = registry.latest_version(category, rid) + 1
    digest = _hash(registry, category, rid, version, who, media_type, body, salt_bytes)
    if after_batch is not None:
        document, entry = _proof_entry(after_batch, record, rid)
        root = validate.bytes32(document.get("root"), "root")
        first = validate.bytes32(entry.get("record_hash"), "record hash")
        proof = [validate.bytes32(p, "proof") for p in entry.get("proof", [])]
        result = registry.anchor_after_batch(category, rid, root, first, proof, digest)
    else:
        result = registry.anchor_record(category, rid, digest, version)
    data = {
        "record": record,
        **result.as_dict(),
        "subject": who,
        "media_type": media_type or DEFAULT_MEDIA_TYPE,
        "salt": hex0x(salt_bytes),
    }
    data["record_hash"] = data.pop("content_hash")
    obj.emit(
        data,
        lambda: "\n".join(
            [
                tx_line(f"anchored version {result.version} of {record} ({category})", data),
                f"record hash   {data['record_hash']}",
                f"salt          {data['salt']}  (keep it: it proves the record later)",
            ]
        ),
    )


# --- batches ------------------------------------------------------------------------------


@dataclass
class BatchRow:
    id: str
    content: bytes
    salt: bytes | None
    subject: str | None = None
    media_type: str | None = None


def _row_content(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def read_rows(path: Path) -> Iterator[BatchRow]:
    """Rows of a JSONL file (``{"id", "content", "salt"?}`` a line) or a CSV with a header."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput("records file", str(path), exc.strerror or str(exc)) from None
    with handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"id", "content"} <= set(reader.fieldnames):
                raise InvalidInput("records file", str(path), "CSV needs columns id,content[,salt]")
            for n, item in enumerate(reader, start=2):
                yield _row(path, n, item)
            return
        for n, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = parse_json(line, "records file", f"{path}:{n}", fractions=True)
            except InvalidInput as exc:
                reason = exc.reason.replace("not JSON", "not a JSON line", 1)
                raise InvalidInput("records file", f"{path}:{n}", reason) from None
            yield _row(path, n, item)


def _row(path: Path, n: int, item: dict[str, Any]) -> BatchRow:
    if item.get("id") in (None, "") or "content" not in item or item["content"] is None:
        raise InvalidInput("records file", f"{path}:{n}", "each record needs an id and a content")
    salt = item.get("salt") or None
    try:
        return BatchRow(
            str(item["id"]),
            _row_content(item["content"]),
            _salt(salt),
            _subject(item.get("subject") or None),
            item.get("media_type") or None,
        )
    except InvalidInput as exc:
        raise InvalidInput("records file", f"{path}:{n}", exc.reason) from None


@group.command("anchor-batch")
@click.argument("category", type=CATEGORY)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="proofs file to write [default: FILE with .proofs.json]",
)
@pass_cli
def anchor_batch(obj: CliContext, category: str, file: Path, out: Path | None) -> None:
    """Anchor version 1 of every record of FILE in one transaction (JSONL or CSV: id, content;
    salt, subject, media_type optional).

    Writes the proofs file: per record its id, salt (generated where missing; keep the file
    secret), subject, media type, record hash and Merkle proof, plus the batch's root, block and
    transaction. Records that already have an anchored version are refused (a batch publishes
    first versions only); later versions go through 'record anchor'.
    """
    target = out or file.with_name(file.stem + ".proofs.json")
    registry = anchors(obj, signing=True)
    registry.require_category(category)
    rows = list(read_rows(file))
    if not rows:
        raise InvalidInput("records file", str(file), "has no records")
    salts: list[bytes] = []
    hashes: list[tuple[bytes, bytes]] = []
    owner = registry.owner_of(category)
    raw_category = code(category)
    with bulk_progress(not obj.json) as bar:
        for n, row in enumerate(rows, start=1):
            salt = row.salt or new_salt()
            salts.append(salt)
            rid = record_id(row.id)
            kind = row.media_type or DEFAULT_MEDIA_TYPE
            digest = record_hash(raw_category, rid, 1, owner, row.subject, kind, row.content, salt)
            hashes.append((rid, digest))
            if bar is not None and (n % 1000 == 0 or n == len(rows)):
                bar("hashed", n, len(rows))
        batch = Batch(category, hashes)
        for rid, _ in hashes:
            if registry.latest_version(category, rid):
                raise InvalidInput(
                    "record", hex0x(rid), "has an anchored version already: use 'record anchor'"
                )
        if bar is not None:
            bar("tree", 1, 1)
            bar("anchor", 0, 1)
        result = registry.anchor_batch(batch)
        if bar is not None:
            bar("anchor", 1, 1)
        records = []
        for index, (row, salt, (rid, content_hash)) in enumerate(
            zip(rows, salts, hashes, strict=True)
        ):
            records.append(
                {
                    "id": row.id,
                    "record_id": hex0x(rid),
                    "version": 1,
                    "salt": hex0x(salt),
                    "subject": row.subject,
                    "media_type": row.media_type or DEFAULT_MEDIA_TYPE,
                    "record_hash": hex0x(content_hash),
                    "proof": [hex0x(p) for p in batch.proof(index)],
                }
            )
            if bar is not None and ((index + 1) % 1000 == 0 or index + 1 == len(rows)):
                bar("proofs", index + 1, len(rows))
    summary = {**result.as_dict(), "chain_id": obj.connection().chain_id}
    document = {"format": PROOFS_FORMAT, **summary, "records": records}
    try:
        target.write_text(json.dumps(document, indent=1) + "\n")
    except OSError as exc:
        raise InvalidInput("proofs file", str(target), exc.strerror or str(exc)) from None
    data = {**summary, "proofs": str(target)}
    obj.emit(
        data,
        lambda: (
            tx_line(f"anchored {len(rows)} records of {category} under root {data['root']}", data)
            + f"\nproofs and salts written to {target} (keep it: it proves each record)"
        ),
    )


# --- verification -------------------------------------------------------------------------


def _proof_entry(path: Path, record: str, rid: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    document = read_json(path, "proofs file")
    if document.get("format") != PROOFS_FORMAT:
        raise InvalidInput("proofs file", str(path), f"expected format {PROOFS_FORMAT}")
    for entry in document.get("records", []):
        if entry.get("id") == record or entry.get("record_id") == hex0x(rid):
            return document, entry
    raise InvalidInput("record", record, f"is not in the proofs file {path}")


@group.command("verify")
@click.argument("category", type=CATEGORY)
@click.argument("record")
@_content_options
@click.option("--record-hash", type=BYTES32, help="the record hash itself")
@click.option(
    "--version",
    type=click.IntRange(1, 2**32 - 1),
    help="the version this copy claims to be [default: the latest anchored, else 1]",
)
@click.option(
    "--proofs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="proofs file of 'record anchor-batch': the record's batch proof, salt and columns",
)
@pass_cli
def verify(
    obj: CliContext,
    category: str,
    record: str,
    content: str | None,
    content_file: Path | None,
    salt: str | None,
    subject: str | None,
    media_type: str | None,
    record_hash: bytes | None,
    version: int | None,
    proofs: Path | None,
) -> None:
    """Judge a copy of RECORD by the acceptance rule: only the latest anchored version is
    accepted, a batch leaf only while the record has no single anchor.

    Exit 0 if the copy is accepted, 1 if it is refused (altered, superseded, never anchored);
    the refusal code is printed. An older version's match is still shown as evidence.
    """
    rid = record_id(record)
    body = _content(content, content_file)
    entry: dict[str, Any] | None = None
    document: dict[str, Any] = {}
    if proofs is not None:
        document, entry = _proof_entry(proofs, record, rid)
        if document.get("category") != category:
            raise InvalidInput(
                "proofs file", str(proofs), f"is for category {document.get('category')}"
            )
    registry = anchors(obj)
    registry.require_category(category)
    latest = registry.latest_version(category, rid)
    claimed = version or (1 if entry is not None else latest or 1)
    if body is not None:
        salt_bytes = _salt(salt) or (
            validate.hex_bytes(entry["salt"], 32, "salt") if entry else None
        )
        if salt_bytes is None:
            raise click.UsageError("the record hash needs the record's --salt")
        who = _subject(subject) if subject else (entry or {}).get("subject")
        kind = media_type or (entry or {}).get("media_type")
        digest = _hash(registry, category, rid, claimed, who, kind, body, salt_bytes)
    elif record_hash is not None:
        digest = record_hash
    elif entry is not None:
        digest = validate.bytes32(entry["record_hash"], "record hash")
    else:
        raise click.UsageError("give --content, --content-file or --record-hash")
    anchor_proof: dict[str, Any] | None = None
    if entry is not None:
        anchor_proof = {"root": document.get("root"), "proof": entry.get("proof", [])}
    data: dict[str, Any] = {
        "category": category,
        "record": record,
        "record_id": hex0x(rid),
        "record_hash": hex0x(digest),
        "version": claimed,
        "latest_version": latest,
    }
    try:
        accepted = registry.accept(category, rid, claimed, digest, anchor_proof)
    except RecordRefused as refused:
        data |= {"accepted": False, "refusal": refused.code, "reason": refused.reason}
        evidence = registry.verify_record(category, rid, digest)
        data |= {
            "matches_version": evidence.version if evidence.anchored else None,
            "block": evidence.block_number if evidence.anchored else None,
            "timestamp": evidence.timestamp if evidence.anchored else None,
        }
    else:
        data |= {
            "accepted": True,
            "kind": accepted.kind,
            "block": accepted.block_number,
            "timestamp": accepted.timestamp,
            "time": iso(accepted.timestamp),
        }
        if anchor_proof is not None:
            data["root"] = anchor_proof["root"]

    def text() -> str:
        if data["accepted"]:
            what = "its batch" if data["kind"] == "batch" else "its single anchor"
            return (
                f"accepted: {record} ({category}) version {data['version']} matches {what}, "
                f"block {data['block']}, {iso(data['timestamp'])}"
            )
        line = f"REFUSED ({data['refusal']}): {data['reason']}"
        if data.get("matches_version"):
            line += (
                f"; this copy matches the anchor of version {data['matches_version']} "
                f"(block {data['block']}, {iso(data['timestamp'])})"
            )
        return line

    obj.emit(data, text)
    if not data["accepted"]:
        raise click.exceptions.Exit(1)
