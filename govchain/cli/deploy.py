"""``govchain deploy``: deploy the contracts and write this chain's deployment manifest."""

from __future__ import annotations

from pathlib import Path

import click

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.deploy import CONTRACTS, DeployConfig, deploy


@click.command("deploy")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help='council and founding departments: {"council": {"members": [...], "threshold": M}, '
    '"departments": [{"code", "name", "region", "admin", "endpoint"}]}; an address may be '
    "given as a keystore name",
)
@click.option("--fresh", is_flag=True, help="deploy anew even if this chain has a deployment")
@pass_cli
def group(obj: CliContext, config_path: Path, fresh: bool) -> None:
    """Deploy every contract (resuming an interrupted deployment) signed by --key."""
    keystore = obj.keystore()
    config = DeployConfig.from_file(
        config_path, resolve=lambda name: keystore.show(validate.name(name, "key name")).address
    )
    connection = obj.connection()
    account = obj.account()
    say = None if obj.json else click.echo
    report = deploy(connection, account, config, fresh=fresh, progress=say)
    if obj.json:
        obj.emit(report.as_dict())
        return
    click.echo(
        f"deployment of chain {connection.chain_id}: {len(report.deployed)} deployed, "
        f"{len(report.reused)} reused, manifest {report.manifest}"
    )
    for name in CONTRACTS:
        click.echo(f"  {name:<20} {report.deployment.address(name)}")
