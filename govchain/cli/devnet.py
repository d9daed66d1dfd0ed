"""``govchain devnet``: a long-lived local anvil devnet whose state survives restarts."""

from __future__ import annotations

import os
from pathlib import Path

import click

from govchain.cli.context import CliContext, pass_cli
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
    "--chain-id", type=click.IntRange(1), default=toolchain.DEFAULT_CHAIN_ID, show_default=True
)
@click.option(
    "--zero-fee", is_flag=True, help="base fee and gas price 0, as consortium networks run"
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="state file (default DIR/state.json)",
)
@_dir_option
@pass_cli
def up(
    obj: CliContext, port: int, chain_id: int, zero_fee: bool, state: Path | None, folder: Path
) -> None:
    """Start the devnet (does nothing if it already runs)."""
    config = toolchain.DevnetConfig(
        port=port, chain_id=chain_id, zero_fee=zero_fee, state_file=state
    )
    record = toolchain.up(config, folder)
    obj.emit(record, _describe(record))


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
