"""``ape run deploy --config council.json``: deploy with an ape account, same manifest as the CLI.

The order, the wiring and the resumable manifest are :mod:`govchain.deploy`'s; this script only
supplies ape's way of deploying and calling (``project.<Name>.deploy(..., sender=account)``).
On the local network the first test account deploys; elsewhere pass ``--account ALIAS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape import accounts, chain, networks, project
from ape.cli import ConnectedProviderCommand, network_option
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.deploy import DeployConfig, deploy_all


class ApeBackend:
    def __init__(self, account: Any) -> None:
        self.account = account

    def deploy(self, name: str, *args: Any) -> tuple[ChecksumAddress, int, str]:
        instance = getattr(project, name).deploy(*args, sender=self.account)
        receipt = instance.receipt
        return validate.address(instance.address), receipt.block_number, receipt.txn_hash

    def _at(self, name: str, address: ChecksumAddress) -> Any:
        return getattr(project, name).at(address)

    def call(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> Any:
        return getattr(self._at(name, address), function)(*args)

    def transact(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> str:
        receipt = getattr(self._at(name, address), function)(*args, sender=self.account)
        return str(receipt.txn_hash)

    def has_code(self, address: ChecksumAddress) -> bool:
        return len(chain.provider.get_code(address)) > 0


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path))
@click.option("--account", "alias", help="ape account alias (default: test account 0)")
@click.option("--fresh", is_flag=True, help="ignore an existing manifest for this chain")
def cli(config_path: Path, alias: str | None, fresh: bool) -> None:
    config = DeployConfig.from_file(config_path)
    account = accounts.load(alias) if alias else accounts.test_accounts[0]
    report = deploy_all(
        ApeBackend(account),
        networks.provider.chain_id,
        config,
        fresh=fresh,
        progress=click.echo,
    )
    click.echo(f"manifest {report.manifest}")
