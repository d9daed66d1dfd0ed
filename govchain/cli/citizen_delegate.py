"""``govchain citizen delegate``: agents (代办) who may act for an identity for a while, added
and revoked by the owner key, or signed by a Safe's owners and relayed by anyone (split from
:mod:`govchain.cli.citizen`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from govchain import validate
from govchain.cli.citizen_common import (
    IDENTITY_OPTION,
    OUT_OPTION,
    reader,
    sign_or_send,
    signed_options,
    write_part,
    writer,
)
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DURATION, TIME, When, account, own_address, tx_text
from govchain.cli.params import ADDRESS
from govchain.identity.citizen_signed import (
    SignedPart,
    add_delegate,
    part_document,
    relay_add_delegate,
    revoke_delegate,
    sign_add_delegate,
)
from govchain.identity.citizens import delegate_type, delegate_type_name


@click.group("delegate")
def delegate() -> None:
    """Agents (代办) who may act for the identity for a while."""


@delegate.command("add")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--for", "validity", type=DURATION, required=True, help="how long: 30d, 12h...")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@IDENTITY_OPTION
@click.option(
    "--signature",
    "signatures",
    multiple=True,
    metavar="TOKEN",
    help="relay the owner's signature (from 'citizen delegate sign') as the --key, who pays; "
    "repeatable: a Safe owner's parts are joined into the Safe's signature",
)
@pass_cli
def delegate_add(
    obj: CliContext,
    who: str,
    validity: int,
    kind: str,
    identity: str | None,
    signatures: tuple[str, ...],
) -> None:
    """Make ADDRESS a delegate of the identity for --for."""
    raw = delegate_type(kind)
    agent = account(obj, who, "delegate")
    if signatures:
        if identity is None:
            raise click.UsageError("relaying a signature needs --identity")
        address = validate.address(identity)
        parts = [SignedPart.parse(s) for s in signatures]
        sent = relay_add_delegate(writer(obj), address, agent, validity, raw, parts)
    else:
        address = own_address(obj, identity, "the owner signs")
        sent = writer(obj).add_delegate(agent, validity, raw, address)
    obj.emit(
        {
            "identity": address,
            "delegate": agent,
            "type": delegate_type_name(raw),
            "validity": validity,
            **sent.as_dict(),
        },
        tx_text(sent, f"{agent} is a {delegate_type_name(raw)} of {address} for {validity}s"),
    )


@delegate.command("sign")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--for", "validity", type=DURATION, required=True, help="how long: 30d, 12h...")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@IDENTITY_OPTION
@click.option(
    "--as-safe",
    "safe",
    type=ADDRESS,
    help="sign as one owner of this Safe, the identity's owner (prints SAFE:OWNER:DEADLINE:SIG)",
)
@click.option(
    "--deadline",
    type=TIME,
    default="1h",
    show_default=True,
    help="signature validity; a Safe's other owners pass the first owner's unix deadline",
)
@OUT_OPTION
@pass_cli
def delegate_sign(
    obj: CliContext,
    who: str,
    validity: int,
    kind: str,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
) -> None:
    """Sign making ADDRESS a delegate off chain (no transaction); anyone relays it with
    'citizen delegate add --signature'."""
    citizens = reader(obj)
    signer = obj.account()
    address = validate.address(identity) if identity else (safe or signer.address)
    agent = account(obj, who, "delegate")
    part = sign_add_delegate(
        citizens, signer, address, agent, validity, kind, deadline.resolve(citizens.now()), safe
    )
    if out is not None:
        write_part(out, part_document(citizens, address, add_delegate(agent, validity, kind), part))
    obj.emit(
        {"identity": address, "delegate": agent, "deadline": part.deadline, "token": part.token()},
        part.token(),
    )


@delegate.command("revoke")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@IDENTITY_OPTION
@signed_options
@pass_cli
def delegate_revoke(
    obj: CliContext,
    who: str,
    kind: str,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
    signatures: tuple[str, ...],
) -> None:
    """End ADDRESS's delegation at once (the owner key; or a Safe's owners sign, anyone relays)."""
    raw = delegate_type(kind)
    agent = account(obj, who, "delegate")
    done = sign_or_send(
        obj,
        identity,
        revoke_delegate(agent, raw),
        safe,
        deadline,
        signatures,
        out,
        lambda citizens, address: citizens.revoke_delegate(agent, raw, address),
    )
    if done is not None:
        obj.emit(
            {**done.as_dict(), "delegate": agent},
            tx_text(done.sent, f"{agent} no longer acts for {done.identity}"),
        )


@delegate.command("list")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def delegate_list(obj: CliContext, who: str | None) -> None:
    """Every delegate the identity ever had, with its validity (a delegate of a previous key
    is not valid until the owner confirms it)."""
    target = own_address(obj, who, "whose delegates? give IDENTITY")
    found = reader(obj).delegates(target)

    def state(d: Any) -> str:
        if d.valid:
            return f"valid until {d.as_dict()['valid_until']}"
        if d.previous_key:
            return "installed by a previous key: confirm or evict"
        return "ended"

    obj.emit(
        [d.as_dict() for d in found],
        lambda: (
            "\n".join(f"{d.delegate}  {delegate_type_name(d.type)}  {state(d)}" for d in found)
            or "no delegates"
        ),
    )


@delegate.command("confirm")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@IDENTITY_OPTION
@pass_cli
def delegate_confirm(obj: CliContext, who: str, kind: str, identity: str | None) -> None:
    """Keep a delegate a previous key installed (after a rotation or a recovery)."""
    raw = delegate_type(kind)
    address = own_address(obj, identity, "the owner signs")
    agent = account(obj, who, "delegate")
    sent = writer(obj).confirm_delegate(agent, raw, address)
    obj.emit(
        {"identity": address, "delegate": agent, "confirmed": True, **sent.as_dict()},
        tx_text(sent, f"{agent} acts for {address} again under its current key"),
    )


@delegate.command("evict-previous")
@IDENTITY_OPTION
@pass_cli
def delegate_evict_previous(obj: CliContext, identity: str | None) -> None:
    """Revoke every delegate a previous key installed, so did:ethr resolvers see them end too."""
    address = own_address(obj, identity, "the owner signs")
    sent = writer(obj).evict_previous_delegates(address)
    obj.emit(
        {"identity": address, "transactions": [s.as_dict() for s in sent]},
        f"{len(sent)} delegates of previous keys of {address} revoked",
    )


@delegate.command("check")
@click.argument("identity_arg", metavar="IDENTITY")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--type", "kind", default="agent", show_default=True)
@pass_cli
def delegate_check(obj: CliContext, identity_arg: str, who: str, kind: str) -> None:
    """Whether ADDRESS is a valid delegate of IDENTITY now."""
    identity, agent = account(obj, identity_arg, "identity"), account(obj, who, "delegate")
    valid = reader(obj).valid_delegate(identity, agent, delegate_type(kind))
    obj.emit(
        {"identity": identity, "delegate": agent, "valid": valid},
        f"{agent} {'is' if valid else 'is not'} a valid delegate of {identity}",
    )
