"""``ape run auditor trail|tamper``: an auditor's client, thin over the govchain SDK.

* ``trail --subject 0x..`` — a citizen's access trail, each access checked against its grant
  (for an active AUDITOR ``--key``); exit 1 if one does not check out.
* ``tamper --dept HRSS --db hrss.db`` — recompute every record of a department's store and
  check it against its anchor; exit 1 if a record was altered or is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

# ape imports every module of scripts/ to list its commands: the SDK is imported by the
# command that runs, so a run pays only for what it uses (issue 20).
if TYPE_CHECKING:
    from govchain.network import Connection
    from govchain.node.chain import RpcChain

RPC = click.option("--rpc", envvar="GOVCHAIN_RPC", default="http://127.0.0.1:8545")


def _reader(connection: Connection) -> RpcChain:
    from govchain.node.chain import ChainAddresses, RpcChain

    contracts = connection.deployment.contracts
    addresses = ChainAddresses.from_names({n: c.address for n, c in contracts.items()})
    return RpcChain(connection.url, addresses, chain_id=connection.chain_id)


@click.group()
def cli() -> None:
    """An auditor's client: access trails and tamper audits."""


@cli.command()
@RPC
@click.option("--key", envvar="GOVCHAIN_KEY", required=True, help="the auditor's keystore")
@click.option("--subject", required=True, help="the citizen's identity address")
def trail(rpc: str, key: str, subject: str) -> None:
    """A citizen's access trail, checked against the grants."""
    from govchain import timefmt
    from govchain.audit.access import access_trail, check_viewer
    from govchain.keystore import Keystore
    from govchain.network import Connection

    connection = Connection.open(rpc)
    reader = _reader(connection)
    role = check_viewer(reader, Keystore().show(key).address, subject)
    found = access_trail(reader, subject, role, connection.deployment.deploy_block)
    for e in found.entries:
        click.echo(f"{timefmt.iso(e.timestamp)}  {e.member}  grant 0x{e.grant_id.hex()}")
        for problem in e.problems:
            click.echo(f"    PROBLEM: {problem}")
    click.echo(f"{len(found.entries)} accesses, {found.problems} with problems")
    if not found.clean:
        raise SystemExit(1)


@cli.command()
@RPC
@click.option("--dept", required=True)
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tamper(rpc: str, dept: str, db: Path) -> None:
    """Check a department's store against its anchors."""
    from govchain.audit.tamper import audit_tamper
    from govchain.deploy import department_code
    from govchain.network import Connection
    from govchain.node.store import Store, sqlite_url

    connection = Connection.open(rpc)
    store = Store(sqlite_url(db))
    try:
        report = audit_tamper(
            store, _reader(connection), department_code(dept), connection.deployment.deploy_block
        )
    finally:
        store.dispose()
    click.echo(", ".join(f"{n} {s}" for s, n in report.counts.items()))
    click.echo("clean" if report.clean else f"{report.problems} problems")
    if not report.clean:
        raise SystemExit(1)
