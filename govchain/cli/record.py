"""``govchain record``: anchor records (one by one or as a Merkle batch) and verify them.

A record's content hash is ``keccak256(salt ‖ content)`` with a secret 32-byte salt: the salt
is what lets its holder prove the record later, so every command that makes one prints it (or
writes it to the proofs file). Record ids: ``0x`` + 64 hex digits as they are, other text hashed
(never personal data: the hash of an id is not secret).
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
from govchain.sharing.anchors import Batch, record_id
from govchain.sharing.base import hex0x, iso
from govchain.sharing.merkle import new_salt, salted_content_hash

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
        ]
    ):
        command = option(command)
    return command


@group.command("anchor")
@click.argument("category", type=CATEGORY)
@click.argument("record")
@_content_options
@click.option("--version", type=click.IntRange(1, 2**32 - 1), help="default: the next version")
@pass_cli
def anchor(
    obj: CliContext,
    category: str,
    record: str,
    content: str | None,
    content_file: Path | None,
    salt: str | None,
    version: int | None,
) -> None:
    """Anchor a version of RECORD of CATEGORY (STAFF or ADMIN of the category's owner).

    Without --salt a fresh random salt is made and printed: keep it with the record.
    """
    body = _content(content, content_file)
    if body is None:
        raise click.UsageError("give the record's --content or --content-file")
    salt_bytes = _salt(salt) or new_salt()
    rid = record_id(record)
    result = anchors(obj, signing=True).anchor_record(
        category, rid, salted_content_hash(salt_bytes, body), version
    )
    data = {"record": record, **result.as_dict(), "salt": hex0x(salt_bytes)}
    obj.emit(
        data,
        lambda: "\n".join(
            [
                tx_line(f"anchored version {result.version} of {record} ({category})", data),
                f"content hash  {data['content_hash']}",
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
                item = json.loads(line)
            except ValueError:
                raise InvalidInput("records file", f"{path}:{n}", "not a JSON line") from None
            if not isinstance(item, dict):
                raise InvalidInput("records file", f"{path}:{n}", "expected a JSON object")
            yield _row(path, n, item)


def _row(path: Path, n: int, item: dict[str, Any]) -> BatchRow:
    if item.get("id") in (None, "") or "content" not in item or item["content"] is None:
        raise InvalidInput("records file", f"{path}:{n}", "each record needs an id and a content")
    salt = item.get("salt") or None
    try:
        return BatchRow(str(item["id"]), _row_content(item["content"]), _salt(salt))
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
    """Anchor every record of FILE (JSONL or CSV: id, content, salt optional) in one transaction.

    Writes the proofs file: per record its id, salt (generated where missing; keep the file
    secret), content hash and Merkle proof, plus the batch's root, block and transaction.
    """
    target = out or file.with_name(file.stem + ".proofs.json")
    registry = anchors(obj, signing=True)
    registry.require_category(category)
    rows = list(read_rows(file))
    if not rows:
        raise InvalidInput("records file", str(file), "has no records")
    salts: list[bytes] = []
    hashes: list[tuple[bytes, bytes]] = []
    with bulk_progress(not obj.json) as bar:
        for n, row in enumerate(rows, start=1):
            salt = row.salt or new_salt()
            salts.append(salt)
            hashes.append((record_id(row.id), salted_content_hash(salt, row.content)))
            if bar is not None and (n % 1000 == 0 or n == len(rows)):
                bar("hashed", n, len(rows))
        batch = Batch(category, hashes)
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
                    "salt": hex0x(salt),
                    "content_hash": hex0x(content_hash),
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
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise InvalidInput("proofs file", str(path), exc.strerror or str(exc)) from None
    except ValueError:
        raise InvalidInput("proofs file", str(path), "not JSON") from None
    if not isinstance(document, dict) or document.get("format") != PROOFS_FORMAT:
        raise InvalidInput("proofs file", str(path), f"expected format {PROOFS_FORMAT}")
    for entry in document.get("records", []):
        if entry.get("id") == record or entry.get("record_id") == hex0x(rid):
            return document, entry
    raise InvalidInput("record", record, f"is not in the proofs file {path}")


@group.command("verify")
@click.argument("category", type=CATEGORY)
@click.argument("record")
@_content_options
@click.option("--content-hash", type=BYTES32, help="the salted content hash itself")
@click.option(
    "--proofs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="proofs file of 'record anchor-batch': check the record as a leaf of that batch",
)
@pass_cli
def verify(
    obj: CliContext,
    category: str,
    record: str,
    content: str | None,
    content_file: Path | None,
    salt: str | None,
    content_hash: bytes | None,
    proofs: Path | None,
) -> None:
    """Check a copy of RECORD against the chain: anchored? version, block, time.

    Exit 0 if the copy matches an anchor, 1 if it does not (altered, or never anchored).
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
    if body is not None:
        salt_bytes = _salt(salt) or (
            validate.hex_bytes(entry["salt"], 32, "salt") if entry else None
        )
        if salt_bytes is None:
            raise click.UsageError("the content hash needs the record's --salt")
        digest = salted_content_hash(salt_bytes, body)
    elif content_hash is not None:
        digest = content_hash
    elif entry is not None:
        digest = validate.bytes32(entry["content_hash"], "content hash")
    else:
        raise click.UsageError("give --content, --content-file or --content-hash")
    registry = anchors(obj)
    registry.require_category(category)
    data: dict[str, Any] = {
        "category": category,
        "record": record,
        "record_id": hex0x(rid),
        "content_hash": hex0x(digest),
    }
    if entry is not None:
        root = validate.bytes32(document.get("root"), "root")
        proof = [validate.bytes32(p, "proof") for p in entry.get("proof", [])]
        leaf = registry.verify_leaf(category, root, rid, digest, proof)
        data |= {"root": hex0x(root), "version": None, "latest": None, **leaf.as_dict()}
    else:
        data |= registry.verify_record(category, rid, digest).as_dict()

    def text() -> str:
        if not data["anchored"]:
            return f"NOT ANCHORED: this copy of {record} ({category}) matches no anchor"
        what = f"version {data['version']}" if data["version"] else f"batch {data['root']}"
        note = " (superseded by a later version)" if data["latest"] is False else ""
        return (
            f"anchored: {record} ({category}) matches {what}{note}, "
            f"block {data['block']}, {iso(data['timestamp'])}"
        )

    obj.emit(data, text)
    if not data["anchored"]:
        raise click.exceptions.Exit(1)
