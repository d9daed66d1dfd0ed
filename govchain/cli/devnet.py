"""``govchain devnet``: a long-lived local anvil devnet whose state survives restarts."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.timefmt import iso
from govchain.toolchain import devnet as toolchain

ENV_DEVNET_DIR = "GOVCHAIN_DEVNET_DIR"

_dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get(ENV_DEVNET_DIR, str(toolchain.DEFAULT_DIR)),
    show_default=f"env {ENV_DEVNET_DIR}, else the project's .devnet/",
    help="where the devnet keeps its pid record, log and state",
)


def _describe(record: dict[str, object]) -> str:
    fee = ", zero fee" if record.get("zero_fee") else ""
    return f"devnet running at {record['url']} (chain id {record['chain_id']}{fee}, pid {record['pid']})"


@click.group("devnet")
def group() -> None:
    """Start, stop and inspect the local devnet (anvil)."""


@group.command("up")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=toolchain.DEFAULT_PORT, show_default=True
)
@click.option(
    "--chain-id",
    type=click.IntRange(1),
    default=None,
    help=f"chain id [default: the saved devnet's, else {toolchain.DEFAULT_CHAIN_ID}]",
)
@click.option(
    "--zero-fee/--with-fees",
    default=None,
    help="base fee and gas price 0, as consortium networks run [default: as saved, else fees]",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="state file (default DIR/state.json)",
)
@_dir_option
@pass_cli
def up(
    obj: CliContext,
    port: int,
    chain_id: int | None,
    zero_fee: bool | None,
    state: Path | None,
    folder: Path,
) -> None:
    """Start the devnet (does nothing if it already runs).

    A saved devnet restarts with the chain id and fee setting it was created with; options that
    contradict them are refused (delete its state file to start afresh).
    """
    running = toolchain.read_status(folder)
    if running is not None:
        obj.emit(running, _describe(running))
        return
    resolved_id, resolved_fee = toolchain.resume_settings(folder, chain_id, zero_fee, state)
    config = toolchain.DevnetConfig(
        port=port, chain_id=resolved_id, zero_fee=resolved_fee, state_file=state
    )
    record = toolchain.up(config, folder)
    obj.emit(record, _describe(record))


@group.command("advance")
@click.argument("duration")
@_dir_option
@pass_cli
def advance(obj: CliContext, duration: str, folder: Path) -> None:
    """Move the devnet's clock forward by DURATION (3600, 90m, 7d, 1d12h) and mine a block.

    For expiry dates and recovery time locks. It acts on the devnet of DIR if one runs, else on
    the --rpc node; only a local anvil devnet accepts it.
    """
    try:
        seconds = toolchain.parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="DURATION") from None
    record = toolchain.read_status(folder)
    url = str(record["url"]) if record is not None else obj.rpc_url
    timestamp = toolchain.advance(url, seconds)
    when = iso(timestamp)
    obj.emit(
        {"url": url, "advanced": seconds, "timestamp": timestamp},
        f"devnet at {url} advanced {seconds} s; latest block time {when}",
    )


@group.command("down")
@_dir_option
@pass_cli
def down(obj: CliContext, folder: Path) -> None:
    """Stop the devnet (its state is saved)."""
    stopped = toolchain.down(folder)
    obj.emit({"stopped": stopped}, "devnet stopped" if stopped else "no devnet running")


@group.command("status")
@_dir_option
@pass_cli
def status(obj: CliContext, folder: Path) -> None:
    """Is the devnet running (exit 1 if not)."""
    record = toolchain.read_status(folder)
    if record is None:
        obj.emit({"running": False}, "no devnet running")
        click.get_current_context().exit(1)
    obj.emit({"running": True, **record}, _describe(record))
