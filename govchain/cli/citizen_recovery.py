"""``govchain citizen guardians`` and ``citizen recover``: guardians who may together recover a
lost identity key, after a time lock (split from :mod:`govchain.cli.citizen`)."""

from __future__ import annotations

from pathlib import Path

import click

from govchain.cli.citizen_common import (
    AFTER_OWNER_CHANGE,
    IDENTITY_OPTION,
    queued_text,
    reader,
    sign_or_send,
    signed_options,
    writer,
)
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DURATION, When, account, own_address, tx_text
from govchain.identity.base import iso_time
from govchain.identity.citizen_signed import cancel_recovery, set_guardians
from govchain.identity.citizens import RecoveryStatus

# --- guardians and recovery -----------------------------------------------------------------


@click.group("guardians")
def guardians() -> None:
    """Guardians who may together recover a lost identity key, after a time lock."""


@guardians.command("set")
@click.argument("who", metavar="ADDRESS|KEY...", nargs=-1)
@click.option("--threshold", type=int, required=True, help="guardians needed (2..N; 0 for none)")
@click.option("--delay", type=DURATION, default="2d", show_default=True, help="time lock")
@IDENTITY_OPTION
@signed_options
@pass_cli
def guardians_set(
    obj: CliContext,
    who: tuple[str, ...],
    threshold: int,
    delay: int,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
    signatures: tuple[str, ...],
) -> None:
    """Choose the guardians (none and --threshold 0 turns recovery off); the owner key, or a
    Safe's owners sign (--as-safe) and anyone relays (--signature)."""
    chosen = [account(obj, w, "guardian") for w in who]
    done = sign_or_send(
        obj,
        identity,
        set_guardians(chosen, threshold, delay),
        safe,
        deadline,
        signatures,
        out,
        lambda citizens, address: citizens.set_guardians(chosen, threshold, delay, address),
    )
    if done is None:
        return
    address, sent = done.identity, done.sent
    queued = reader(obj).queued_change(address)
    waiting = queued is not None and queued.kind == "guardians" and queued.guardians == chosen
    obj.emit(
        {
            "identity": address,
            "guardians": chosen,
            "threshold": threshold,
            "delay": delay,
            "queued": queued.as_dict() if waiting and queued else None,
            **done.as_dict(),
        },
        tx_text(
            sent,
            queued_text(queued)
            if waiting and queued
            else f"{len(chosen)} guardians, {threshold} needed, time lock {delay}s",
        ),
    )


@guardians.command("show")
@click.argument("who", metavar="[IDENTITY]", required=False)
@pass_cli
def guardians_show(obj: CliContext, who: str | None) -> None:
    """The identity's guardians, threshold and time lock."""
    target = own_address(obj, who, "whose guardians? give IDENTITY")
    found = reader(obj).guardians(target)
    obj.emit(
        found.as_dict(),
        lambda: "\n".join(
            [f"guardian   {g}" for g in found.guardians]
            + [f"threshold  {found.threshold}", f"time lock  {found.delay}s"]
        ),
    )


@click.group("recover")
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
    citizens = writer(obj)
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
            f"identity {target} is now controlled by {candidate}{AFTER_OWNER_CHANGE}"
            if done
            else _status_text(status),
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
    status = reader(obj).recovery(target, candidate)
    obj.emit(status.as_dict(), _status_text(status))


@recover.command("cancel")
@IDENTITY_OPTION
@signed_options
@pass_cli
def recover_cancel(
    obj: CliContext,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
    signatures: tuple[str, ...],
) -> None:
    """The owner (--key) voids every pending recovery of the identity; or a Safe's owners sign
    (--as-safe) and anyone relays (--signature)."""
    done = sign_or_send(
        obj,
        identity,
        cancel_recovery(),
        safe,
        deadline,
        signatures,
        out,
        lambda citizens, address: citizens.cancel_recovery(address),
    )
    if done is not None:
        obj.emit(
            {**done.as_dict(), "cancelled": True},
            tx_text(done.sent, f"every pending recovery of {done.identity} is void"),
        )
