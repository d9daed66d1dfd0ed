"""``govchain citizen did``: a citizen identity's did:ethr document, resolved from chain."""

from __future__ import annotations

import json

import click

from govchain.cli.context import CliContext, pass_cli

#: Nests under ``govchain citizen``.
parent = "citizen"


@click.command("did")
@click.argument("identity")
@click.option(
    "--spec",
    is_flag=True,
    help="the did:ethr method's document only: also list delegates the contract refuses "
    "(installed by a previous owner, not confirmed)",
)
@click.option("--at", "now", type=int, help="resolve as of this unix time [default: latest block]")
@pass_cli
def group(obj: CliContext, identity: str, spec: bool, now: int | None) -> None:
    """Print the W3C DID document of IDENTITY (an address or its did:ethr:<chain>:<address>),
    resolved by the did:ethr method's rules from CitizenRegistry's ERC-1056 events."""
    from govchain import validate
    from govchain.interop.did import did_of, resolve

    connection = obj.connection()
    did = (
        identity
        if identity.startswith("did:")
        else did_of(connection.chain_id, validate.address(identity))
    )
    result = resolve(connection, did, now=now, strict=not spec)
    obj.emit(result, lambda: json.dumps(result, indent=2))
