"""What the ``govchain citizen`` command modules share: the --identity option, clients, and the
signed path of an owner's action (``--as-safe`` signs one Safe owner's part, ``--signature``
relays the parts, neither sends with the owner key)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_typing import ChecksumAddress

from govchain.cli.context import CliContext
from govchain.cli.identity_params import TIME, When, account, own_address
from govchain.cli.params import ADDRESS
from govchain.errors import InvalidInput
from govchain.identity.base import Sent, iso_time
from govchain.identity.citizen_signed import (
    CitizenAction,
    SignedPart,
    part_document,
    relay_action,
    sign_action,
)
from govchain.identity.citizens import Citizens, QueuedChange

F = TypeVar("F", bound=Callable[..., Any])

#: Said after every owner change (rotation, queued change, recovery): what the new key does next.
AFTER_OWNER_CHANGE = (
    "; delegates and consents of the previous key stop working until you confirm them, and "
    "'govchain citizen attribute clean' ends the public attributes it set"
)

IDENTITY_OPTION = click.option(
    "--identity",
    metavar="ADDRESS|KEY",
    help="the identity acted on (default: the --key's own address)",
)


def reader(obj: CliContext) -> Citizens:
    return Citizens(obj.connection())


def writer(obj: CliContext) -> Citizens:
    return Citizens(obj.connection(), obj.sender())


def queued_text(change: QueuedChange) -> str:
    what = (
        f"handing {change.identity} to {change.new_owner}"
        if change.kind == "owner"
        else f"{len(change.guardians)} guardians, {change.threshold} needed"
    )
    return (
        f"queued: {what}; the guardians may cancel it until {iso_time(change.ready_at)}, then "
        f"anyone runs 'govchain citizen change execute {change.identity}'"
    )


OUT_OPTION = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="with --as-safe: also write the part file, which the other owners sign alike "
    "('govchain safe sign-like FILE')",
)


def signed_options(f: F) -> F:
    """``--as-safe``, ``--deadline``, ``--out`` (sign one Safe owner's part) and ``--signature``
    (relay the owners' parts), for an owner's action (see :func:`sign_or_send`)."""
    f = click.option(
        "--signature",
        "signatures",
        multiple=True,
        metavar="TOKEN",
        help="relay the owners' parts (from --as-safe) as the --key, who pays; repeatable",
    )(f)
    f = OUT_OPTION(f)
    f = click.option(
        "--deadline",
        type=TIME,
        default="1h",
        show_default=True,
        help="with --as-safe: the signature's validity (the next owners: 'govchain safe sign-like')",
    )(f)
    return click.option(
        "--as-safe",
        "safe",
        type=ADDRESS,
        help="only sign, as one owner of this Safe that owns the identity (prints "
        "SAFE:OWNER:DEADLINE:SIG; relay the owners' parts with --signature)",
    )(f)


@dataclass(frozen=True)
class Done:
    """An action sent: by the owner key, or relayed (``relayed_by``) from signed parts."""

    identity: ChecksumAddress
    sent: Sent
    relayed_by: ChecksumAddress | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "relayed_by": self.relayed_by, **self.sent.as_dict()}


def write_part(path: Path, document: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        raise InvalidInput("part file", str(path), exc.strerror or str(exc)) from None


def sign_or_send(
    obj: CliContext,
    identity: str | None,
    action: CitizenAction,
    safe: str | None,
    deadline: When,
    signatures: tuple[str, ...],
    out: Path | None,
    direct: Callable[[Citizens, ChecksumAddress], Sent],
) -> Done | None:
    """``--as-safe``: sign one owner's part of ``action`` and print it (``None``: nothing sent);
    ``--signature``: relay the parts; neither: ``direct`` sends it with the owner key."""
    if safe is not None and signatures:
        raise click.UsageError("give --as-safe (sign a part) or --signature (relay parts)")
    if out is not None and safe is None:
        raise click.UsageError("--out goes with --as-safe")
    if safe is not None:
        citizens = reader(obj)
        address = account(obj, identity, "identity") if identity else safe
        until = deadline.resolve(citizens.now())
        part = sign_action(citizens, obj.account(), address, action, until, safe)
        emit_part(obj, citizens, address, action, part, out)
        return None
    if signatures:
        parts = [SignedPart.parse(s) for s in signatures]
        if identity is None and any(p.owner for p in parts):
            raise click.UsageError("relaying a Safe's parts needs --identity")
        address = account(obj, identity, "identity") if identity else parts[0].signer
        sent = relay_action(writer(obj), address, action, parts)
        return Done(address, sent, obj.account().address)
    address = own_address(obj, identity, "the owner signs")
    return Done(address, direct(writer(obj), address))


def emit_part(
    obj: CliContext,
    citizens: Citizens,
    identity: str,
    action: CitizenAction,
    part: SignedPart,
    out: Path | None,
) -> None:
    """Print a signed part's token (and write its part file to ``out``)."""
    document = part_document(citizens, identity, action, part)
    if out is not None:
        write_part(out, document)
    data = {
        "identity": document["identity"],
        "action": action.name,
        **document["fields"],
        "deadline": part.deadline,
        "token": part.token(),
        **({"file": str(out)} if out else {}),
    }
    obj.emit(data, part.token())
