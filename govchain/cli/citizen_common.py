"""What the ``govchain citizen`` command modules share: the --identity option and clients."""

from __future__ import annotations

import click

from govchain.cli.context import CliContext
from govchain.identity.base import iso_time
from govchain.identity.citizens import Citizens, QueuedChange

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
