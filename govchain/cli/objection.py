"""``govchain objection``: a citizen's objection to data about her (PIPL art. 46).

``file`` puts only a salted commitment of the reason on chain; the reason and its salt are kept
in the citizen's home (``<home>/objections/<id>.json``). The owner department decides with
k-of-n signatures: each approver runs ``sign`` (a file), anyone relays them with ``decide
--signatures``; a rejection's reason is committed the same way and kept in the relayer's home.
The texts travel through the owner's data node (``objection text``, :mod:`govchain.node.objections`).
``govchain audit objections`` lists the overdue ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from eth_typing import ChecksumAddress

from govchain.cli import chainviews as cv
from govchain.cli.case import parse_when
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import account, own_address
from govchain.cli.params import BYTES32
from govchain.errors import InvalidInput
from govchain.identity.base import hex32
from govchain.printable import printable
from govchain.services.objection_decisions import SignedDecision
from govchain.services.objection_keys import approver_keys, subject_key
from govchain.services.objections import (
    Objection,
    Objections,
    ObjectionState,
    reason_commitment,
)
from govchain.sharing.anchors import record_id
from govchain.sharing.catalog import category_code

if TYPE_CHECKING:  # the data node's client (ECIES, httpx) only for send and read
    from govchain.node.objection_texts import ObjectionTextClient

STATES = [s.label for s in ObjectionState if s != ObjectionState.NONE]


@click.group("objection")
def group() -> None:
    """Objections to attestations and records about a citizen: file, list, show, decide."""


def _client(obj: CliContext, signing: bool = False) -> Objections:
    return Objections(obj.connection(), obj.sender() if signing else None)


def _notes(obj: CliContext) -> Path:
    return obj.state_home / "objections"


def _keep(
    obj: CliContext, oid: bytes, salt: bytes, commitment: bytes, field: str, text: str
) -> Path:
    """Keep ``text`` and its salt beside the others of the objection (the holder's own copy)."""
    folder = _notes(obj)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hex32(oid)}.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data[field] = {"text": text, "salt": hex32(salt), "commitment": hex32(commitment)}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    path.chmod(0o600)
    return path


def _kept(obj: CliContext, objection_id: bytes) -> dict[str, Any]:
    path = _notes(obj) / f"{hex32(objection_id)}.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _line(o: Objection) -> str:
    what = (
        f"attestation {hex32(o.target)}"
        if o.category == b"\0" * 32
        else f"record {cv.code_text(o.category)} {hex32(o.target)} v{o.version}"
    )
    due = o.as_dict()["deadline"]
    return f"{hex32(o.id)} {o.state.label:<9} {cv.code_text(o.owner):<8} {what} (due {due})"


@group.command("file")
@click.option("--attestation", "uid", type=BYTES32, help="the attestation objected to")
@click.option("--category", help="or the record's category (with --record)")
@click.option("--record", "record", help="the record id (0x + 64 hex, or its text)")
@click.option("--reason", required=True, help="why the data is wrong (kept off chain)")
@click.option("--for", "identity", help="the citizen's identity (default: the --key's address)")
@pass_cli
def file(
    obj: CliContext,
    uid: bytes | None,
    category: str | None,
    record: str | None,
    reason: str,
    identity: str | None,
) -> None:
    """File an objection (the citizen's key or her agent's); prints its id and deadline."""
    if (uid is None) == (category is None and record is None):
        raise click.UsageError("give --attestation UID, or --category and --record")
    subject = own_address(obj, identity, "the citizen objecting")
    client = _client(obj, signing=True)
    if uid is not None:
        made = client.file_attestation(subject, uid, reason)
    else:
        if category is None or record is None:
            raise click.UsageError("a record objection needs both --category and --record")
        try:
            cat = category_code(category)
        except ValueError as exc:
            raise InvalidInput("category", category, str(exc)) from None
        made = client.file_record(subject, cat, record_id(record), reason)
    kept = _keep(obj, made.id, made.salt, made.commitment, "reason", reason)
    found = client.get(made.id)
    obj.emit(
        {**made.as_dict(), **found.as_dict(), "kept": str(kept)},
        f"objection {hex32(made.id)} filed with {cv.code_text(found.owner)}, due "
        f"{found.as_dict()['deadline']} (tx {made.sent.tx_hash}); reason and salt kept in {kept}",
    )


@group.command("list")
@click.option("--for", "identity", help="a citizen's objections (address or key name)")
@click.option("--dept", "dept", type=cv.DEPARTMENT, help="objections a department decides")
@click.option("--state", type=click.Choice(STATES), help="only objections in this state now")
@pass_cli
def list_(obj: CliContext, identity: str | None, dept: bytes | None, state: str | None) -> None:
    """Objections, oldest first, by citizen, deciding department and state."""
    subject: ChecksumAddress | None = account(obj, identity) if identity else None
    chosen = ObjectionState[state.upper()] if state else None
    found = _client(obj).find(subject=subject, owner=dept, state=chosen)
    obj.emit(
        [o.as_dict() for o in found],
        lambda: "\n".join(_line(o) for o in found) if found else "no objections",
    )


@group.command("show")
@click.argument("objection_id", type=BYTES32)
@pass_cli
def show(obj: CliContext, objection_id: bytes) -> None:
    """One objection; with the reasons kept in this home, checked against their commitments."""
    found = _client(obj).get(objection_id)
    data = found.as_dict()
    kept = _kept(obj, found.id)
    on_chain = {"reason": found.reason_commitment, "rejection": found.rejection_commitment}
    for field, note in kept.items():
        salt = bytes.fromhex(str(note["salt"])[2:])
        matches = on_chain.get(field) == reason_commitment(salt, str(note["text"]))
        data[f"{field}_text"] = note["text"]
        data[f"{field}_matches_chain"] = matches
    obj.emit(data)


@group.command("sign")
@click.argument("objection_id", type=BYTES32)
@click.option("--uphold", "verdict", flag_value="uphold", help="the objection is right")
@click.option("--reject", "verdict", flag_value="reject", help="the data stands (give --reason)")
@click.option("--version", "version", type=click.IntRange(1), help="record: the corrected version")
@click.option("--reason", help="why it is rejected (kept off chain, committed on chain)")
@click.option(
    "--like",
    type=click.Path(dir_okay=False, path_type=Path),
    help="co-sign the decision of another approver's file",
)
@click.option(
    "--deadline", metavar="WHEN", default="1d", show_default=True, help="signature deadline"
)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="write here")
@pass_cli
def sign(
    obj: CliContext,
    objection_id: bytes,
    verdict: str | None,
    version: int | None,
    reason: str | None,
    like: Path | None,
    deadline: str,
    out: Path | None,
) -> None:
    """Sign, as an APPROVER of the owner department (--key), a decision: no transaction.

    ``ObjectionRegistry.thresholdOf(owner)`` approvers sign the same decision (the first with
    --uphold or --reject, the others with --like FILE), then anyone relays the files with
    ``objection decide --signatures``. Upholding an attestation objection needs the attestation revoked
    first (``govchain attest revoke``); a record objection needs the corrected version anchored
    (``govchain record anchor``) and named with --version."""
    client = _client(obj)
    key = obj.account()
    if like is not None:
        if verdict or version or reason:
            raise click.UsageError("--like takes the decision from the file; give nothing else")
        first = SignedDecision.load(like)
        if first.objection != objection_id:
            raise InvalidInput("--like", str(like), "it signs another objection")
        signed = client.cosign(key, first)
    elif verdict is None:
        raise click.UsageError("choose --uphold, --reject or --like FILE")
    else:
        until = parse_when(deadline, client.now())
        if verdict == "uphold":
            if reason is not None:
                raise click.UsageError("--reason goes with --reject")
            signed = client.sign_uphold(key, objection_id, version or 0, until)
        else:
            if not reason:
                raise click.UsageError("a rejection needs --reason")
            if version is not None:
                raise click.UsageError("--version goes with --uphold")
            signed = client.sign_reject(key, objection_id, reason, until)
    if out is None:
        click.echo(json.dumps(signed.as_dict(), indent=2, ensure_ascii=False))
        return
    try:
        signed.save(out)
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    verb = "uphold" if signed.uphold else "reject"
    obj.emit(
        {"file": str(out), **signed.as_dict()},
        f"{signed.signer} signed to {verb} {hex32(objection_id)} -> {out}",
    )


@group.command("decide")
@click.argument("objection_id", type=BYTES32)
@click.option(
    "--signatures",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="a file of 'objection sign' (repeat: one per approver)",
)
@pass_cli
def decide(obj: CliContext, objection_id: bytes, files: tuple[Path, ...]) -> None:
    """Relay the owner's approvers' signed decision (anyone; --key pays).

    A rejection's reason, which the files carry, is kept in this home."""
    if not files:
        raise click.UsageError("give --signatures FILE, once per approver")
    signed = [SignedDecision.load(f) for f in files]
    for path, s in zip(files, signed, strict=True):
        if s.objection != objection_id:
            raise InvalidInput("signed decision file", str(path), "it signs another objection")
    client = _client(obj, signing=True)
    sent = client.decide(signed)
    out: dict[str, Any] = {"id": hex32(objection_id), **sent.as_dict()}
    first = signed[0]
    if first.uphold:
        out["state"] = "upheld"
        obj.emit(
            out, f"objection {hex32(objection_id)} upheld (tx {sent.tx_hash}, block {sent.block})"
        )
        return
    out["state"] = "rejected"
    if first.reason is not None and first.salt is not None:
        kept = _keep(
            obj, objection_id, first.salt, first.reason_commitment, "rejection", first.reason
        )
        out["kept"] = str(kept)
    obj.emit(out, f"objection {hex32(objection_id)} rejected (tx {sent.tx_hash})")


def _node(obj: CliContext, owner: bytes, url: str | None) -> str:
    """The owner department's node: --node, else the endpoint it registered on chain."""
    if url:
        return url
    endpoint = cv.department(obj, owner).endpoint
    if not endpoint:
        raise InvalidInput("--node", "", f"{cv.code_text(owner)} registered no node endpoint")
    return endpoint


def _texts(obj: CliContext) -> ObjectionTextClient:
    from govchain.node.objection_texts import ObjectionTextClient

    return ObjectionTextClient(cv.reader(obj), obj.account())


@group.command("send")
@click.argument("objection_id", type=BYTES32)
@click.option("--rejection", is_flag=True, help="send the rejection's text (an owner's approver)")
@click.option("--node", "url", help="the owner's data node (default: its registered endpoint)")
@pass_cli
def send(obj: CliContext, objection_id: bytes, rejection: bool, url: str | None) -> None:
    """Send the reason kept in this home (the citizen's key or her agent's), or with
    --rejection the rejection's text (an approver of the owner), to the owner's data node,
    sealed before it leaves this machine: a reason to each active approver of the owner who
    published an encryption key, a rejection to the citizen's published key.

    The node takes it only if the commitment signed with it is the objection's on chain."""
    found = _client(obj).get(objection_id)
    field = "rejection" if rejection else "reason"
    note = _kept(obj, found.id).get(field)
    if note is None:
        raise InvalidInput(field, hex32(found.id), "no text of it is kept in this home")
    salt = bytes.fromhex(str(note["salt"])[2:])
    node = _node(obj, found.owner, url)
    connection = obj.connection()
    if rejection:
        recipients = subject_key(connection, found.subject)
    else:
        recipients = approver_keys(connection, found.owner)
    text = str(note["text"])
    _texts(obj).post(node, found.owner, found.id, text, salt, recipients, rejection=rejection)
    sealed_to = sorted(recipients)
    obj.emit(
        {"id": hex32(found.id), "kind": field, "node": node, "accepted": True, "to": sealed_to},
        f"the {field} of {hex32(found.id)} is with {cv.code_text(found.owner)}'s node {node}, "
        f"sealed to {len(sealed_to)} key(s): {', '.join(sealed_to)}",
    )


@group.command("read")
@click.argument("objection_id", type=BYTES32)
@click.option("--rejection", is_flag=True, help="the rejection's text (the citizen)")
@click.option("--node", "url", help="the owner's data node (default: its registered endpoint)")
@pass_cli
def read(obj: CliContext, objection_id: bytes, rejection: bool, url: str | None) -> None:
    """Read from the owner's node the citizen's reason (an approver of the owner), or with
    --rejection the rejection's text (the citizen); checked against the chain's commitment
    and kept in this home."""
    found = _client(obj).get(objection_id)
    expect = found.rejection_commitment if rejection else found.reason_commitment
    if expect is None:
        raise InvalidInput("--rejection", hex32(found.id), f"the objection is {found.state.label}")
    node = _node(obj, found.owner, url)
    got = _texts(obj).read(node, found.owner, found.id, expect, rejection=rejection)
    field = "rejection" if rejection else "reason"
    kept = _keep(obj, found.id, got.salt, expect, field, got.text)
    # the citizen's (or the owner's) text on one line, its line breaks and ESC shown escaped
    line = f"{field} of {hex32(found.id)}: {printable(got.text)}"
    obj.emit({**got.as_dict(), "kept": str(kept)}, line)


@group.command("publish-key")
@click.option("--valid", "valid", metavar="DURATION", default="365d", show_default=True)
@pass_cli
def publish_key(obj: CliContext, valid: str) -> None:
    """Publish my encryption key (an approver's --key) so that citizens seal their reasons to me
    (the same ERC-1056 attribute as 'citizen offers publish-key'; sent by my own key)."""
    from govchain.cli.citizen_offers import publish_key as publish

    del obj  # the same command, on the same context
    click.get_current_context().invoke(publish, valid=valid)


@group.command("withdraw")
@click.argument("objection_id", type=BYTES32)
@pass_cli
def withdraw(obj: CliContext, objection_id: bytes) -> None:
    """Withdraw an open objection (the citizen's key or her agent's)."""
    sent = _client(obj, signing=True).withdraw(objection_id)
    obj.emit(
        {"id": hex32(objection_id), "state": "withdrawn", **sent.as_dict()},
        f"objection {hex32(objection_id)} withdrawn (tx {sent.tx_hash})",
    )
