"""``govchain keys``: encrypted keystores in ``<home>/keys``."""

from __future__ import annotations

import os

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import KEY_NAME
from govchain.keystore import passphrase

ENV_PRIVATE_KEY = "GOVCHAIN_PRIVATE_KEY"


@click.group("keys")
def group() -> None:
    """Create and inspect encrypted keystores."""


@group.command("new")
@click.argument("name", type=KEY_NAME)
@click.option(
    "--import",
    "import_key",
    is_flag=True,
    help=f"encrypt an existing private key (from {ENV_PRIVATE_KEY} or a hidden prompt)",
)
@pass_cli
def new(obj: CliContext, name: str, import_key: bool) -> None:
    """Create keystore NAME for a new key (or an imported one)."""
    keys = obj.keystore()
    keys.path(name)  # check the name before prompting
    if keys.exists(name):
        raise click.UsageError(f"key {name!r} already exists")
    private_key = None
    if import_key:
        private_key = os.environ.get(ENV_PRIVATE_KEY) or click.prompt(
            "Private key (hex)", hide_input=True, err=True
        )
    info = keys.new(name, passphrase(name, confirm=True), private_key=private_key)
    obj.emit(info.as_dict(), f"created key {info.name}: {info.address} ({info.path})")


@group.command("list")
@pass_cli
def list_keys(obj: CliContext) -> None:
    """List keystores and their addresses (no passphrase needed)."""
    infos = obj.keystore().list()
    if not infos and not obj.json:
        click.echo(f"no keys in {obj.keystore().folder}")
        return
    obj.emit(
        [i.as_dict() for i in infos], lambda: "\n".join(f"{i.name:<20} {i.address}" for i in infos)
    )


@group.command("show")
@click.argument("name", type=KEY_NAME, required=False)
@pass_cli
def show(obj: CliContext, name: str | None) -> None:
    """Show keystore NAME (default: the --key)."""
    info = obj.keystore().show(name or obj.key_name("which key? give NAME"))
    obj.emit(info.as_dict())
