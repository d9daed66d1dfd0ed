"""``govchain citizen``: a citizen's self-sovereign identity and personal data space."""

from __future__ import annotations

from pathlib import Path

import click

from govchain import validate
from govchain.cli.citizen_attribute import attribute
from govchain.cli.citizen_common import (
    AFTER_OWNER_CHANGE,
    IDENTITY_OPTION,
    OUT_OPTION,
    queued_text,
    reader,
    write_part,
    writer,
)
from govchain.cli.citizen_delegate import delegate
from govchain.cli.citizen_recovery import guardians, recover
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import TIME, When, account, own_address, tx_text
from govchain.cli.params import ADDRESS
from govchain.cli.sharing_params import grants as grants_client
from govchain.identity.citizen_signed import (
    SignedPart,
    change_owner,
    part_document,
    relay_change_owner,
    sign_change_owner,
)
from govchain.identity.citizens import Citizens
from govchain.sharing.base import hex0x
from govchain.tx import Sender


@click.group("citizen")
def group() -> None:
    """A citizen's identity (key rotation, delegates, guardians, recovery) and own data."""


# --- identity: owner, key rotation ------------------------------------------------------------


@group.command("id")
@click.argument("who", metavar="[ADDRESS|KEY]", required=False)
@pass_cli
def show_id(obj: CliContext, who: str | None) -> None:
    """An identity: its owner key, whether rotated, the block of its latest change."""
    target = own_address(obj, who, "whose identity? give ADDRESS")
    identity = reader(obj).identity(target)
    obj.emit(
        identity.as_dict(),
        lambda: "\n".join(
            [
                f"identity   {identity.identity}",
                f"owner      {identity.owner}" + ("  (rotated)" if identity.rotated else ""),
                f"changed    block {identity.changed}",
                f"nonce      {identity.nonce}",
                f"epoch      {identity.epoch}  (owner changes so far)",
            ]
        ),
    )


@group.command("rotate-key")
@click.argument("new_key", metavar="NEWKEY")
@IDENTITY_OPTION
@click.option(
    "--relayer",
    metavar="KEY",
    help="sign with --key and let this keystore send and pay (the citizen pays no gas)",
)
@click.option("--deadline", type=TIME, default="1h", show_default=True, help="signature validity")
@click.option(
    "--as-safe",
    "safe",
    type=ADDRESS,
    help="only sign, as one owner of this Safe that owns the identity (prints "
    "SAFE:OWNER:DEADLINE:SIG; the other owners pass the same unix --deadline)",
)
@click.option(
    "--signature",
    "signatures",
    multiple=True,
    metavar="TOKEN",
    help="relay the owners' parts from 'rotate-key --as-safe' as the --key, who pays; repeatable",
)
@OUT_OPTION
@pass_cli
def rotate_key(
    obj: CliContext,
    new_key: str,
    identity: str | None,
    relayer: str | None,
    deadline: When,
    safe: str | None,
    signatures: tuple[str, ...],
    out: Path | None,
) -> None:
    """Hand the identity to NEWKEY (an address or keystore name): key rotation."""
    new_owner = account(obj, new_key, "new key")
    if sum(x is not None and x != () for x in (relayer, safe, signatures)) > 1:
        raise click.UsageError("give one of --relayer, --as-safe or --signature")
    if out is not None and safe is None:
        raise click.UsageError("--out goes with --as-safe")
    if safe is not None:
        citizens = reader(obj)
        part = sign_change_owner(
            citizens,
            obj.account(),
            identity or safe,
            new_owner,
            deadline.resolve(citizens.now()),
            safe,
        )
        if out is not None:
            write_part(
                out, part_document(citizens, identity or safe, change_owner(new_owner), part)
            )
        data = {"identity": identity or safe, "owner": new_owner, "deadline": part.deadline}
        obj.emit({**data, "token": part.token()}, part.token())
        return
    if signatures:
        address = validate.address(identity or SignedPart.parse(signatures[0]).signer)
        parts = [SignedPart.parse(s) for s in signatures]
        sent = relay_change_owner(writer(obj), address, new_owner, parts)
        relayed_by: str | None = obj.account().address
    elif relayer is None:
        address = own_address(obj, identity, "the owner signs")
        sent = writer(obj).change_owner(new_owner, address)
        relayed_by = None
    else:
        address = own_address(obj, identity, "the owner signs")
        owner = obj.account()
        relay_account = obj.keystore().unlock(validate.name(relayer, "relayer key"))
        connection = obj.connection()
        citizens = Citizens(connection, Sender(connection.w3, relay_account, obj.decoder()))
        signed = citizens.sign_change_owner(
            owner, new_owner, deadline.resolve(citizens.now()), address
        )
        sent = citizens.relay_change_owner(signed)
        relayed_by = relay_account.address
    queued = reader(obj).queued_change(address)
    waiting = queued is not None and queued.kind == "owner" and queued.new_owner == new_owner
    obj.emit(
        {
            "identity": address,
            "owner": new_owner,
            "queued": queued.as_dict() if waiting and queued else None,
            "relayed_by": relayed_by,
            **sent.as_dict(),
        },
        tx_text(
            sent,
            queued_text(queued)
            if waiting and queued
            else f"identity {address} is now controlled by {new_owner}{AFTER_OWNER_CHANGE}",
        ),
    )


@group.command("use-nonce")
@IDENTITY_OPTION
@pass_cli
def use_nonce(obj: CliContext, identity: str | None) -> None:
    """Void every signed message of the identity not relayed yet (uses up the current nonce)."""
    address = own_address(obj, identity, "the owner signs")
    sent = writer(obj).use_nonce(address)
    obj.emit(
        {"identity": address, **sent.as_dict()},
        tx_text(sent, f"signed messages of {address} not relayed yet can no longer be relayed"),
    )


# --- queued owner and guardian changes (while guardians watch) ------------------------------


@group.group("change")
def change() -> None:
    """Owner and guardian changes queued for the guardians' time lock."""


@change.command("show")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def change_show(obj: CliContext, who: str | None) -> None:
    """The change queued for the identity, if any."""
    target = own_address(obj, who, "whose queued change? give IDENTITY")
    queued = reader(obj).queued_change(target)
    obj.emit(
        queued.as_dict() if queued else None,
        queued_text(queued) if queued else f"no change is queued for {target}",
    )


@change.command("execute")
@click.argument("identity_arg", metavar="IDENTITY")
@pass_cli
def change_execute(obj: CliContext, identity_arg: str) -> None:
    """Carry out the change queued for IDENTITY once its time lock has passed (anyone may)."""
    target = account(obj, identity_arg, "identity")
    citizens = writer(obj)
    queued = citizens.queued_change(target)
    if queued is not None and queued.kind == "guardians":
        sent = citizens.execute_guardian_change(target)
        text = f"guardians of {target} changed"
    else:
        sent = citizens.execute_owner_change(target)
        new_owner = queued.new_owner if queued else "?"
        text = f"identity {target} is now controlled by {new_owner}{AFTER_OWNER_CHANGE}"
    obj.emit(
        {"identity": target, "executed": queued.as_dict() if queued else None, **sent.as_dict()},
        tx_text(sent, text),
    )


@change.command("cancel")
@IDENTITY_OPTION
@pass_cli
def change_cancel(obj: CliContext, identity: str | None) -> None:
    """The owner or a guardian (--key) cancels the change queued for the identity."""
    address = own_address(obj, identity, "the owner or a guardian signs")
    sent = writer(obj).cancel_queued_change(address)
    obj.emit(
        {"identity": address, "cancelled": True, **sent.as_dict()},
        tx_text(sent, f"the change queued for {address} is cancelled"),
    )


# --- after a rotation or a recovery: what the previous key installed ------------------------


@group.command("previous-grants")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def previous_grants(obj: CliContext, who: str | None) -> None:
    """Consents given under a previous key of the identity: they authorise nothing until the
    owner confirms them ('confirm-consent') or revokes them ('revoke-previous-grants')."""
    target = own_address(obj, who, "whose grants? give IDENTITY")
    found = grants_client(obj).previous_consents(target)
    obj.emit(
        [g.as_dict() for g in found],
        lambda: (
            "\n".join(
                f"{hex0x(g.grant_id)}  to {g.terms.grantee}  of {g.terms.owner}  "
                f"by {g.grantor}  until {g.as_dict()['valid_until_time']}"
                for g in found
            )
            or f"no consent of a previous key of {target} is pending"
        ),
    )


@group.command("confirm-consent")
@click.argument("grant_id", metavar="GRANTID")
@pass_cli
def confirm_consent(obj: CliContext, grant_id: str) -> None:
    """As the identity's current owner key, keep a consent given under a previous key."""
    grant = validate.bytes32(grant_id, "grant id")
    result = grants_client(obj, signing=True).confirm_consent(grant)
    obj.emit(
        {"grant_id": hex0x(grant), "confirmed": True, **result.as_dict()},
        f"grant {hex0x(grant)} authorises access again (tx {result.tx_hash}, block {result.block})",
    )


@group.command("revoke-previous-grants")
@IDENTITY_OPTION
@pass_cli
def revoke_previous_grants(obj: CliContext, identity: str | None) -> None:
    """Revoke, in one transaction, every consent given under a previous key and not confirmed."""
    address = own_address(obj, identity, "the owner signs")
    found, result = grants_client(obj, signing=True).revoke_previous_consents(address)
    obj.emit(
        {
            "identity": address,
            "revoked": [hex0x(g.grant_id) for g in found],
            **(result.as_dict() if result else {}),
        },
        (
            f"{len(found)} consents of previous keys of {address} revoked "
            f"(tx {result.tx_hash}, block {result.block})"
            if result
            else f"no consent of a previous key of {address} is pending"
        ),
    )


group.add_command(guardians)
group.add_command(recover)
group.add_command(attribute)
group.add_command(delegate)
