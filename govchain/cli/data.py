"""``govchain data``: a department member fetches another department's record under a grant."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain.audit.access import grants_by_id
from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.trail_params import purposes
from govchain.errors import GovchainError, NotFound
from govchain.node.client import DataNodeClient, VerifiedRecord
from govchain.printable import printable
from govchain.sharing.catalog import SharingClass
from govchain.sharing.purposes import commit_purpose


@click.group("data")
def group() -> None:
    """Fetch records from other departments' data nodes, under grants, verified on chain."""


def _terms(
    obj: CliContext, grant_id: bytes, category: bytes | None, subject: ChecksumAddress | None
) -> tuple[dict[str, Any], bytes]:
    chain = cv.reader(obj)
    found = grants_by_id(chain, [grant_id], cv.deploy_block(obj)).get(grant_id)
    if found is None:
        raise NotFound("grant", cv.hex32(grant_id), "no GrantCreated event on this chain")
    terms = found.terms()
    if found.revoked_block is not None:
        raise click.ClickException(
            f"grant {cv.hex32(grant_id)} was revoked at block {found.revoked_block}"
        )
    if subject is not None and subject.lower() != found.subject.lower():
        raise click.ClickException(
            f"grant {cv.hex32(grant_id)} is about {found.subject}, not {subject}"
        )
    if category is None:
        named = [c for c in found.categories if c != found.owner]
        if len(found.categories) != 1 or not named:
            listed = ", ".join(cv.code_text(c) for c in found.categories)
            raise click.UsageError(f"the grant covers {listed}: choose one with --category")
        category = named[0]
    return terms, category


def _open_category(obj: CliContext, category: bytes) -> bytes:
    catalog = obj.connection().contract("AnchorRegistry")
    owner, sharing, _ = catalog.functions.categoryInfo(category).call()
    if sharing == SharingClass.NONE:
        raise NotFound("category", cv.code_text(category), "not in the data catalog")
    if sharing != SharingClass.UNCONDITIONAL:
        raise click.ClickException(
            f"category {cv.code_text(category)} is {SharingClass(sharing).name.lower()}: "
            "name the grant that covers it with --grant"
        )
    return bytes(owner)


def record_output(record: VerifiedRecord) -> dict[str, Any]:
    """A verified record as JSON: content parsed if JSON, else base64."""
    content: Any
    if record.media_type == "application/json":
        try:
            content = json.loads(record.content)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            content = record.content.decode("utf-8", "replace")
    else:
        content = base64.b64encode(record.content).decode()
    return {
        "department": cv.code_text(record.department),
        "category": cv.code_text(record.category),
        "record": cv.code_text(record.record_id),
        "version": record.version,
        "subject": record.subject,
        "media_type": record.media_type,
        "content": content,
        "content_hash": cv.hex32(record.content_hash),
        "anchor": {
            "kind": record.anchor_kind,
            "block": record.anchored_block,
            "timestamp": record.anchored_at,
        },
        "verified": True,
    }


def emit_record(
    obj: CliContext, record: VerifiedRecord, out: Path | None, extra: dict[str, Any]
) -> None:
    data = {**record_output(record), **extra}
    note = (
        f"{data['category']} {data['record']} v{record.version} from {data['department']}: "
        f"verified against its {record.anchor_kind} anchor (block {record.anchored_block})"
    )
    if out is not None:
        try:
            out.write_bytes(record.content)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
        data["out"] = str(out)
        obj.emit(data, f"wrote {out}; {note}")
        return
    if obj.json:
        obj.emit(data)
        return
    click.echo(note, err=True)
    # another department's content: its control characters shown escaped (--out, --json exact)
    click.echo(printable(record.content.decode("utf-8", "replace"), keep_newlines=True))


def endpoint_of(obj: CliContext, owner: bytes, override: str | None) -> str:
    if override:
        return override
    view = cv.department(obj, owner)
    if not view.endpoint:
        raise click.ClickException(
            f"{cv.code_text(owner)} has registered no data-node endpoint "
            "(its admin runs 'govchain node serve --register')"
        )
    return view.endpoint


@group.command("fetch")
@click.option("--grant", "grant_id", type=BYTES32, help="the grant (id) the access is made under")
@click.option(
    "--category", type=cv.CATEGORY, help="the category (needed if the grant names several)"
)
@click.option("--subject", type=ADDRESS, help="whom the record is about (the grant's subject)")
@click.option("--record", "record_id", type=cv.RECORD_ID, required=True, help="the record id")
@click.option("--purpose", default="", help="purpose of an open (Unconditional) access")
@click.option("--node", "node_url", metavar="URL", help="the owner's node [default: its endpoint]")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the content")
@pass_cli
def fetch(
    obj: CliContext,
    grant_id: bytes | None,
    category: bytes | None,
    subject: ChecksumAddress | None,
    record_id: bytes,
    purpose: str,
    node_url: str | None,
    out: Path | None,
) -> None:
    """Record the access on chain, fetch the record from its owner's node, decrypt it and check
    it against its anchor. For an active STAFF member of the grantee department (--key).

    With --grant the access is made under that grant (its terms are read from the chain);
    with only --category, the category must be Unconditional (open data, no subject).
    """
    if grant_id is None and category is None:
        raise click.UsageError("name the grant with --grant (or an open category with --category)")
    if grant_id is None and subject is not None:
        raise click.UsageError("open (Unconditional) data has no subject: name the --grant")
    obj.connection()  # the network first: a devnet that is down says so before any key prompt
    account = obj.account()
    who = cv.member(obj, account.address)
    if not who.has(cv.ROLE_STAFF):
        raise click.ClickException(
            f"{account.address} (--key {obj.key}) is not an active STAFF member of a department"
        )
    terms: dict[str, Any] | None = None
    if grant_id is not None:
        terms, category = _terms(obj, grant_id, category, subject)
        owner = bytes(terms["owner"])
        if terms["grantee"] != who.department:
            raise click.ClickException(
                f"the grant is for {cv.code_text(terms['grantee'])}; "
                f"{account.address} is a member of {cv.code_text(who.department)}"
            )
    else:
        assert category is not None
        owner = _open_category(obj, category)
    url = endpoint_of(obj, owner, node_url)
    client = DataNodeClient(cv.reader(obj), account)
    prepared = client.prepare(terms, category, record_id, subject=subject)
    purpose_digest = cv.ZERO32
    if terms is None:  # an open access names its purpose: salted, text and salt kept here
        purpose_digest = cv.purpose_hash(purpose)
        if purpose.strip() and not (purpose.startswith("0x") and len(purpose) == 66):
            purpose_digest, salt = commit_purpose(purpose)
            purposes(obj).add(purpose, salt)
    call = client.access_call(prepared, purpose_digest)
    receipt = obj.sender().send(call)  # type: ignore[arg-type]
    access_tx = receipt["transactionHash"].to_0x_hex()
    try:
        record = client.fetch(url, prepared, access_tx)
    except GovchainError as exc:
        raise GovchainError(f"{exc} (the access was recorded in {access_tx})") from None
    emit_record(
        obj,
        record,
        out,
        {"access_tx": access_tx, "grant_id": cv.hex32(grant_id) if grant_id else None},
    )
