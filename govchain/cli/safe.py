"""``govchain safe``: a Safe that signs for govchain, seen from one of its owners.

``safe show`` reads a Safe's version, owners and threshold. ``safe sign-like FILE`` lets the
next owner sign exactly what the first owner signed, from the first owner's part file, instead
of retyping its terms (a deadline, a consent's window and nonce, a comment's commitment): a
citizen action's part (``citizen ... --as-safe --out``), a case decision
(``case sign --as-safe -o``) or a consent (``grant sign --as-safe --out``). What was signed is
shown (on stderr); a file for another chain or contract, or whose deadline has passed, is
refused in one line, and so is a key that is not an owner of the file's Safe.
``safe approve-hash FILE`` (a citizen part) lets an owner approve the message on chain with the
Safe's ``approveHash`` (it pays) instead of signing it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.approval.cases import Cases, SignedDecision
from govchain.approval.decisions import SIGNED_DECISION_FORMAT
from govchain.cli.citizen_common import reader, write_part
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS
from govchain.cli.sharing_params import grants
from govchain.errors import InvalidInput
from govchain.files import read_json
from govchain.identity import citizen_signed
from govchain.identity.base import Refused, iso_time
from govchain.identity.citizen_signed import PART_FORMAT, part_document, read_part
from govchain.printable import printable
from govchain.safe import SafeWallet
from govchain.sharing.consent import CONSENT_FORMAT, SignedConsent


@click.group("safe")
def group() -> None:
    """A Safe as a govchain signer: show it, sign (or approve) like another owner's part file."""


@group.command("show")
@click.argument("address", metavar="SAFE", type=ADDRESS)
@pass_cli
def show(obj: CliContext, address: ChecksumAddress) -> None:
    """The Safe's version, owners and threshold."""
    safe = SafeWallet(obj.connection().w3, address)
    version = safe.version()
    if version is None:
        raise InvalidInput("Safe", address, "is not a Safe (no VERSION)")
    owners, threshold = safe.owners(), safe.threshold()
    data = {"safe": address, "version": version, "owners": owners, "threshold": threshold}
    obj.emit(
        data,
        "\n".join(
            [f"Safe {address} {version}: {threshold} of {len(owners)} owners"]
            + [f"  owner {o}" for o in owners]
        ),
    )


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = read_json(path, "part file")
    return data


def _same_chain(what: str, chain_id: int, contract: str, here: int, ours: str) -> None:
    if chain_id != here:
        raise Refused(f"the part file is for chain {chain_id}, this is chain {here}")
    if validate.address(contract) != validate.address(ours):
        raise Refused(f"the part file is for {what} {contract}, this chain's is {ours}")


def _require_safe(obj: CliContext, address: str) -> None:
    if SafeWallet(obj.connection().w3, address).version() is None:
        raise Refused(f"the part file's signer {address} is not a Safe")


def _in_time(deadline: int, now: int) -> None:
    if deadline <= now:
        raise Refused(f"the part file's deadline {iso_time(deadline)} has passed")


YES_OPTION = click.option(
    "--yes",
    is_flag=True,
    help="sign what FILE asks without asking (it is still shown first, on stderr)",
)


@group.command("sign-like")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="this owner's part file [default: FILE's name + the owner's address]",
)
@YES_OPTION
@pass_cli
def sign_like(obj: CliContext, file: Path, out: Path | None, yes: bool) -> None:
    """As another owner (--key) of the Safe named in FILE, sign exactly FILE's message: a
    citizen action's part, a case decision or a consent. What FILE asks is shown on stderr
    before anything is signed; confirm it at the prompt, or give --yes."""
    data = _read(file)
    fmt = data.get("format")
    account = obj.account()
    target = out or file.with_name(f"{file.stem}-{account.address[2:10].lower()}.json")
    if fmt == PART_FORMAT:
        part = read_part(data)
        _require_safe(obj, part.signer)
        citizens = reader(obj)
        _confirm(file, part.describe(), account.address, yes)
        signed = citizen_signed.sign_like(citizens, account, part)
        document = part_document(citizens, part.identity, part.action, signed)
        token: str | None = signed.token()
        _shown(file, part.describe())
    elif fmt == SIGNED_DECISION_FORMAT:
        document, token = _decision_like(obj, file, data, yes), None
    elif fmt == CONSENT_FORMAT:
        document, token = _consent_like(obj, file, data, yes), None
    else:
        raise InvalidInput(
            "part file",
            str(file),
            f"expected a citizen part ({PART_FORMAT}), a case decision "
            f"({SIGNED_DECISION_FORMAT}) or a consent ({CONSENT_FORMAT})",
        )
    if document.get("safe_owner") is None and "safe" not in document:
        raise InvalidInput("part file", str(file), "it is not a Safe owner's part")
    write_part(target, document)
    obj.emit(
        {"file": str(target), "owner": account.address, "token": token},
        token or f"signed like {file} as {account.address} -> {target}",
    )


@group.command("approve-hash")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="this owner's part file [default: FILE's name + the owner's address]",
)
@YES_OPTION
@pass_cli
def approve_hash(obj: CliContext, file: Path, out: Path | None, yes: bool) -> None:
    """As another owner (--key, who pays) of the Safe named in a citizen part FILE, approve its
    message on chain (the Safe's approveHash) instead of signing it; prints that owner's part
    (v 1), which the relay checks on chain."""
    data = _read(file)
    if data.get("format") != PART_FORMAT:
        raise InvalidInput("part file", str(file), f"expected a citizen part ({PART_FORMAT})")
    part = read_part(data)
    _require_safe(obj, part.signer)
    citizens = reader(obj)
    sender = obj.sender()
    _confirm(file, f"approve on chain: {part.describe()}", sender.account.address, yes)
    signed = citizen_signed.approve_like(citizens, sender, part)
    target = out or file.with_name(f"{file.stem}-{sender.account.address[2:10].lower()}.json")
    write_part(target, part_document(citizens, part.identity, part.action, signed))
    _shown(file, f"approved on chain: {part.describe()}")
    obj.emit({"file": str(target), "owner": signed.owner, "token": signed.token()}, signed.token())


def _decision_like(obj: CliContext, file: Path, data: dict[str, Any], yes: bool) -> dict[str, Any]:
    first = SignedDecision.from_dict(data, f"part file {file}")
    if first.safe_owner is None:
        raise InvalidInput("part file", str(file), "it is not a Safe owner's decision")
    cases = Cases(obj.connection())
    _same_chain(
        "contract", first.chain_id, first.contract, cases.connection.chain_id, cases.address
    )
    _in_time(first.deadline, cases.now())
    _require_safe(obj, first.signer)
    verdict = "approval" if first.approve else "rejection"
    what = (
        f"{verdict} of step {first.step} of case 0x{first.case_id.hex()} for Safe "
        f"{first.signer}, comment 0x{first.comment_hash.hex()}, deadline "
        f"{iso_time(first.deadline)}, chain {first.chain_id}, contract {first.contract}"
    )
    _confirm(file, what, obj.account().address, yes)
    signed = cases.sign(
        obj.account(),
        first.case_id,
        first.approve,
        first.comment_hash,
        first.deadline,
        first.step,
        None,
        first.signer,
    )
    _shown(file, what)
    salt = {"comment_salt": data["comment_salt"]} if "comment_salt" in data else {}
    return {**signed.as_dict(), **salt}


def _consent_like(obj: CliContext, file: Path, data: dict[str, Any], yes: bool) -> dict[str, Any]:
    first = SignedConsent.from_dict(data)
    if first.safe_owner is None:
        raise InvalidInput("part file", str(file), "it is not a Safe owner's consent")
    terms = first.terms
    client = grants(obj)
    _same_chain(
        "contract",
        first.chain_id,
        first.verifying_contract,
        client.connection.chain_id,
        client.contract.address,
    )
    _in_time(first.deadline, client.now())
    _require_safe(obj, first.signer)
    what = (
        f"consent of {terms.subject} for Safe {first.signer}, grant 0x{terms.grant_id.hex()}, "
        f"nonce {terms.nonce}, window {iso_time(terms.valid_from)} to "
        f"{iso_time(terms.valid_until)}, deadline {iso_time(first.deadline)}, chain "
        f"{first.chain_id}, contract {first.verifying_contract}"
    )
    _confirm(file, what, obj.account().address, yes)
    signed = client.sign_consent(terms, first.deadline, obj.account(), first.purpose, first.signer)
    signed = replace(signed, purpose_salt=first.purpose_salt)  # the text's salt travels along
    _shown(file, what)
    return signed.as_dict()


def _confirm(file: Path, what: str, owner: str, yes: bool) -> None:
    """Show what FILE asks ``owner`` to sign (stderr: stdout keeps the result for --json), then
    sign only if ``yes`` or the owner confirms at a terminal; a Safe's k-of-n is only as good as
    each owner's reading of what they sign (review s25 L-3)."""
    if yes:
        return  # shown after signing (_shown), so a refusal stays one line
    click.echo(f"{file} asks {owner} to sign: {printable(what)}", err=True)
    if not click.get_text_stream("stdin").isatty():
        raise Refused("nothing signed: read what the file asks (above), then run again with --yes")
    if not click.confirm("Sign it?", default=False, err=True):
        raise Refused("nothing signed")


def _shown(file: Path, what: str) -> None:
    """What was signed, on stderr (stdout keeps the result for --json)."""
    click.echo(f"signed like {file}: {printable(what)}", err=True)
