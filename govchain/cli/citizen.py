"""``govchain citizen``: a citizen's self-sovereign identity and personal data space."""

from __future__ import annotations

import click

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DURATION, TIME, When, account, own_address, tx_text
from govchain.identity.base import iso_time
from govchain.identity.citizens import (
    Citizens,
    RecoveryStatus,
    delegate_type,
    delegate_type_name,
)
from govchain.tx import Sender


@click.group("citizen")
def group() -> None:
    """A citizen's identity (key rotation, delegates, guardians, recovery) and own data."""


# --- identity: owner, key rotation ------------------------------------------------------------

_IDENTITY_OPTION = click.option(
    "--identity",
    metavar="ADDRESS|KEY",
    help="the identity acted on (default: the --key's own address)",
)


def _reader(obj: CliContext) -> Citizens:
    return Citizens(obj.connection())


def _writer(obj: CliContext) -> Citizens:
    return Citizens(obj.connection(), obj.sender())


@group.command("id")
@click.argument("who", metavar="[ADDRESS|KEY]", required=False)
@pass_cli
def show_id(obj: CliContext, who: str | None) -> None:
    """An identity: its owner key, whether rotated, the block of its latest change."""
    target = own_address(obj, who, "whose identity? give ADDRESS")
    identity = _reader(obj).identity(target)
    obj.emit(
        identity.as_dict(),
        lambda: "\n".join(
            [
                f"identity   {identity.identity}",
                f"owner      {identity.owner}" + ("  (rotated)" if identity.rotated else ""),
                f"changed    block {identity.changed}",
                f"nonce      {identity.nonce}",
            ]
        ),
    )


@group.command("rotate-key")
@click.argument("new_key", metavar="NEWKEY")
@_IDENTITY_OPTION
@click.option(
    "--relayer",
    metavar="KEY",
    help="sign with --key and let this keystore send and pay (the citizen pays no gas)",
)
@click.option("--deadline", type=TIME, default="1h", show_default=True, help="signature validity")
@pass_cli
def rotate_key(
    obj: CliContext, new_key: str, identity: str | None, relayer: str | None, deadline: When
) -> None:
    """Hand the identity to NEWKEY (an address or keystore name): key rotation."""
    new_owner = account(obj, new_key, "new key")
    address = own_address(obj, identity, "the owner signs")
    if relayer is None:
        sent = _writer(obj).change_owner(new_owner, address)
        relayed_by = None
    else:
        owner = obj.account()
        relay_account = obj.keystore().unlock(validate.name(relayer, "relayer key"))
        connection = obj.connection()
        citizens = Citizens(connection, Sender(connection.w3, relay_account, obj.decoder()))
        signed = citizens.sign_change_owner(
            owner, new_owner, deadline.resolve(citizens.now()), address
        )
        sent = citizens.relay_change_owner(signed)
        relayed_by = relay_account.address
    obj.emit(
        {"identity": address, "owner": new_owner, "relayed_by": relayed_by, **sent.as_dict()},
        tx_text(sent, f"identity {address} is now controlled by {new_owner}"),
    )


# --- delegates ------------------------------------------------------------------------------


@group.group("delegate")
def delegate() -> None:
    """Agents (代办) who may act for the identity for a while."""


@delegate.command("add")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--for", "validity", type=DURATION, required=True, help="how long: 30d, 12h...")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@_IDENTITY_OPTION
@pass_cli
def delegate_add(obj: CliContext, who: str, validity: int, kind: str, identity: str | None) -> None:
    """Make ADDRESS a delegate of the identity for --for."""
    raw = delegate_type(kind)
    address = own_address(obj, identity, "the owner signs")
    agent = account(obj, who, "delegate")
    sent = _writer(obj).add_delegate(agent, validity, raw, address)
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


@delegate.command("revoke")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--type", "kind", default="agent", show_default=True, help="agent or 0x type")
@_IDENTITY_OPTION
@pass_cli
def delegate_revoke(obj: CliContext, who: str, kind: str, identity: str | None) -> None:
    """End ADDRESS's delegation at once."""
    raw = delegate_type(kind)
    address = own_address(obj, identity, "the owner signs")
    agent = account(obj, who, "delegate")
    sent = _writer(obj).revoke_delegate(agent, raw, address)
    obj.emit(
        {"identity": address, "delegate": agent, **sent.as_dict()},
        tx_text(sent, f"{agent} no longer acts for {address}"),
    )


@delegate.command("list")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def delegate_list(obj: CliContext, who: str | None) -> None:
    """Every delegate the identity ever had, with its validity."""
    target = own_address(obj, who, "whose delegates? give IDENTITY")
    found = _reader(obj).delegates(target)
    obj.emit(
        [d.as_dict() for d in found],
        lambda: (
            "\n".join(
                f"{d.delegate}  {delegate_type_name(d.type)}  "
                f"{'valid until' if d.valid else 'ended'} {d.as_dict()['valid_until']}"
                for d in found
            )
            or "no delegates"
        ),
    )


@delegate.command("check")
@click.argument("identity_arg", metavar="IDENTITY")
@click.argument("who", metavar="ADDRESS|KEY")
@click.option("--type", "kind", default="agent", show_default=True)
@pass_cli
def delegate_check(obj: CliContext, identity_arg: str, who: str, kind: str) -> None:
    """Whether ADDRESS is a valid delegate of IDENTITY now."""
    identity, agent = account(obj, identity_arg, "identity"), account(obj, who, "delegate")
    valid = _reader(obj).valid_delegate(identity, agent, delegate_type(kind))
    obj.emit(
        {"identity": identity, "delegate": agent, "valid": valid},
        f"{agent} {'is' if valid else 'is not'} a valid delegate of {identity}",
    )


# --- guardians and recovery -----------------------------------------------------------------


@group.group("guardians")
def guardians() -> None:
    """Guardians who may together recover a lost identity key, after a time lock."""


@guardians.command("set")
@click.argument("who", metavar="ADDRESS|KEY...", nargs=-1)
@click.option("--threshold", type=int, required=True, help="guardians needed (2..N; 0 for none)")
@click.option("--delay", type=DURATION, default="2d", show_default=True, help="time lock")
@_IDENTITY_OPTION
@pass_cli
def guardians_set(
    obj: CliContext, who: tuple[str, ...], threshold: int, delay: int, identity: str | None
) -> None:
    """Choose the guardians (none and --threshold 0 turns recovery off)."""
    chosen = [account(obj, w, "guardian") for w in who]
    address = own_address(obj, identity, "the owner signs")
    sent = _writer(obj).set_guardians(chosen, threshold, delay, address)
    obj.emit(
        {
            "identity": address,
            "guardians": chosen,
            "threshold": threshold,
            "delay": delay,
            **sent.as_dict(),
        },
        tx_text(sent, f"{len(chosen)} guardians, {threshold} needed, time lock {delay}s"),
    )


@guardians.command("show")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def guardians_show(obj: CliContext, who: str | None) -> None:
    """The identity's guardians, threshold and time lock."""
    target = own_address(obj, who, "whose guardians? give IDENTITY")
    found = _reader(obj).guardians(target)
    obj.emit(
        found.as_dict(),
        lambda: "\n".join(
            [f"guardian   {g}" for g in found.guardians]
            + [f"threshold  {found.threshold}", f"time lock  {found.delay}s"]
        ),
    )


@group.group("recover")
def recover() -> None:
    """Recover a lost key: guardians support a new owner, a time lock runs, then anyone executes."""


def _status_text(status: RecoveryStatus) -> str:
    if not status.active:
        return f"no recovery of {status.identity} to {status.new_owner} under way"
    ready = f"; ready at {iso_time(status.ready_at)}" if status.queued else ""
    return (
        f"recovery of {status.identity} to {status.new_owner}: "
        f"{status.approvals} of {status.threshold} guardians{ready}"
    )


def _recovery_action(obj: CliContext, identity: str, new_owner: str, action: str) -> None:
    target, candidate = account(obj, identity, "identity"), account(obj, new_owner, "new owner")
    citizens = _writer(obj)
    method = {
        "start": citizens.start_recovery,
        "support": citizens.support_recovery,
        "execute": citizens.finalize_recovery,
    }[action]
    sent = method(target, candidate)
    status = citizens.recovery(target, candidate)
    done = action == "execute"
    obj.emit(
        {**status.as_dict(), "executed": done, **sent.as_dict()},
        tx_text(
            sent,
            f"identity {target} is now controlled by {candidate}" if done else _status_text(status),
        ),
    )


@recover.command("start")
@click.argument("identity", metavar="IDENTITY")
@click.argument("new_owner", metavar="NEWOWNER")
@pass_cli
def recover_start(obj: CliContext, identity: str, new_owner: str) -> None:
    """A guardian (--key) proposes handing IDENTITY to NEWOWNER."""
    _recovery_action(obj, identity, new_owner, "start")


@recover.command("support")
@click.argument("identity", metavar="IDENTITY")
@click.argument("new_owner", metavar="NEWOWNER")
@pass_cli
def recover_support(obj: CliContext, identity: str, new_owner: str) -> None:
    """Another guardian (--key) supports the recovery; at the threshold the time lock starts."""
    _recovery_action(obj, identity, new_owner, "support")


@recover.command("execute")
@click.argument("identity", metavar="IDENTITY")
@click.argument("new_owner", metavar="NEWOWNER")
@pass_cli
def recover_execute(obj: CliContext, identity: str, new_owner: str) -> None:
    """Hand IDENTITY to NEWOWNER once the time lock has run out (anyone may)."""
    _recovery_action(obj, identity, new_owner, "execute")


@recover.command("status")
@click.argument("identity", metavar="IDENTITY")
@click.argument("new_owner", metavar="NEWOWNER")
@pass_cli
def recover_status(obj: CliContext, identity: str, new_owner: str) -> None:
    """How far the recovery of IDENTITY to NEWOWNER has come."""
    target, candidate = account(obj, identity, "identity"), account(obj, new_owner, "new owner")
    status = _reader(obj).recovery(target, candidate)
    obj.emit(status.as_dict(), _status_text(status))


@recover.command("cancel")
@_IDENTITY_OPTION
@pass_cli
def recover_cancel(obj: CliContext, identity: str | None) -> None:
    """The owner (--key) voids every pending recovery of the identity."""
    address = own_address(obj, identity, "the owner signs")
    sent = _writer(obj).cancel_recovery(address)
    obj.emit(
        {"identity": address, "cancelled": True, **sent.as_dict()},
        tx_text(sent, f"every pending recovery of {address} is void"),
    )
