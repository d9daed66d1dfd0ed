"""``ape run department publish|fetch``: a department's client, thin over the govchain SDK.

* ``publish --dept HRSS --db hrss.db records.csv`` — write a CSV of records (columns
  ``category,record,subject,content``, content as JSON) into the department's store and
  anchor each on chain (:class:`~govchain.node.publisher.Publisher`,
  :class:`~govchain.node.publisher.AnchorWorker`); a re-run publishes nothing twice.
* ``fetch --grant 0x.. --record ID`` — record the access on chain, fetch the record from its
  owner's node and verify it against its anchor (:class:`~govchain.node.client.DataNodeClient`).

Keys are the CLI's keystores (``--key NAME`` in ``$GOVCHAIN_HOME``, unlocked with
``$GOVCHAIN_PASSPHRASE``); the chain is ``--rpc`` or ``$GOVCHAIN_RPC``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

# ape imports every module of scripts/ to list its commands: the SDK is imported by the
# command that runs, so a run pays only for what it uses (issue 20).
if TYPE_CHECKING:
    from govchain.network import Connection
    from govchain.node.chain import RpcChain
    from govchain.tx import Sender

RPC = click.option("--rpc", envvar="GOVCHAIN_RPC", default="http://127.0.0.1:8545")
KEY = click.option("--key", envvar="GOVCHAIN_KEY", required=True, help="keystore name")


def _open(rpc: str, key: str) -> tuple[Connection, Sender, RpcChain]:
    from govchain.keystore import Keystore
    from govchain.network import Connection
    from govchain.node.chain import ChainAddresses, RpcChain
    from govchain.tx import Sender

    connection = Connection.open(rpc)
    account = Keystore().unlock(key)
    contracts = connection.deployment.contracts
    addresses = ChainAddresses.from_names({n: c.address for n, c in contracts.items()})
    reader = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
    return connection, Sender(connection.w3, account, connection.decoder()), reader


@click.group()
def cli() -> None:
    """A department's client: publish and anchor records, fetch records under grants."""


@cli.command()
@RPC
@KEY
@click.option("--dept", required=True, help="the department's code")
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.argument("records", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish(rpc: str, key: str, dept: str, db: Path, records: Path) -> None:
    """Publish the records of a CSV file and anchor them on chain."""
    from govchain.deploy import department_code
    from govchain.node.anchors import ChainAnchorSink
    from govchain.node.publisher import AnchorWorker, Publisher, PublishItem
    from govchain.node.store import Store, sqlite_url
    from govchain.sharing.catalog import category_code

    connection, sender, reader = _open(rpc, key)
    with records.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    store = Store(sqlite_url(db))
    try:
        published = Publisher(store, department_code(dept)).publish_many(
            PublishItem(
                category_code(r["category"]),
                r["record"].encode().ljust(32, b"\0"),
                json.loads(r["content"]),
                subject=r["subject"] or None,
            )
            for r in rows
        )
        sink = ChainAnchorSink(connection.w3, reader.addresses, sender.account, sender.decoder)
        anchored = AnchorWorker(store, sink).drain()
    finally:
        store.dispose()
    new = sum(p.created for p in published)
    click.echo(f"published {new} new records of {dept}; anchored {anchored}")


@cli.command()
@RPC
@KEY
@click.option("--grant", "grant", required=True, help="the grant id (0x..)")
@click.option("--record", required=True, help="the record id")
def fetch(rpc: str, key: str, grant: str, record: str) -> None:
    """Fetch a record under a grant (the access is recorded on chain first), verified."""
    from govchain.audit.access import grants_by_id
    from govchain.identity.departments import Departments
    from govchain.node.client import DataNodeClient

    connection, sender, reader = _open(rpc, key)
    grant_id = bytes.fromhex(grant.removeprefix("0x"))
    found = grants_by_id(reader, [grant_id], connection.deployment.deploy_block).get(grant_id)
    if found is None:
        raise click.ClickException(f"no grant {grant} on this chain")
    [category] = [c for c in found.categories if c != found.owner][:1]
    url = Departments(connection).department(found.owner).endpoint
    client = DataNodeClient(reader, sender.account)
    prepared = client.prepare(found.terms(), category, record.encode().ljust(32, b"\0"))
    receipt = sender.send(client.access_call(prepared))  # type: ignore[arg-type]
    verified = client.fetch(url, prepared, receipt["transactionHash"].to_0x_hex())
    click.echo(verified.content.decode("utf-8"))
