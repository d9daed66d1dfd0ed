"""``ape run citizen consent|trail|revoke``: a citizen's client, thin over the govchain SDK.

* ``consent --grantee CIVIL --owner HRSS --category HRSS.PENSION --purpose TEXT`` — sign a
  consent (EIP-712, no transaction) into a file the grantee relays; the purpose text is kept
  in the home's purpose book with its salt, only the salted commitment is signed.
* ``trail`` — every access to her data: when, who, which data, for which purpose (as text
  where the book knows it), under which grant.
* ``revoke --grant 0x..`` — revoke a grant at once (the citizen pays the transaction).

Her key is a CLI keystore (``--key NAME``); the chain is ``--rpc`` or ``$GOVCHAIN_RPC``.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import click

# ape imports every module of scripts/ to list its commands: the SDK is imported by the
# command that runs, so a run pays only for what it uses (issue 20).

RPC = click.option("--rpc", envvar="GOVCHAIN_RPC", default="http://127.0.0.1:8545")
KEY = click.option("--key", envvar="GOVCHAIN_KEY", required=True, help="keystore name")
DAY = 86_400


@click.group()
def cli() -> None:
    """A citizen's client: consent, see who used her data and why, revoke."""


@cli.command()
@RPC
@KEY
@click.option("--grantee", required=True)
@click.option("--owner", required=True)
@click.option("--category", required=True)
@click.option(
    "--purpose", required=True, help="the purpose in words (its salted commitment is signed)"
)
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def consent(
    rpc: str, key: str, grantee: str, owner: str, category: str, purpose: str, days: int, out: Path
) -> None:
    """Sign a consent for GRANTEE to use one category of OWNER's data about me."""
    from govchain.keystore import Keystore
    from govchain.network import Connection
    from govchain.settings import state_home
    from govchain.sharing import LegalBasis
    from govchain.sharing.grants import AccessGrants, GrantTerms
    from govchain.sharing.purposes import PurposeBook

    connection = Connection.open(rpc)
    account = Keystore().unlock(key)
    grants = AccessGrants(connection)
    now = grants.now()
    commitment, salt = PurposeBook(state_home()).commit(purpose)  # salted, text kept off chain
    terms = GrantTerms(
        subject=account.address,
        grantee=grantee,
        owner=owner,
        categories=(category,),
        purpose_hash=commitment,
        basis=LegalBasis.CONSENT,
        valid_from=now,
        valid_until=now + days * DAY,
        nonce=secrets.randbits(64),
    )
    signed = replace(grants.sign_consent(terms, now + 7 * DAY, account, purpose), purpose_salt=salt)
    signed.write(out)
    click.echo(f"consent for grant 0x{terms.grant_id.hex()} written to {out}")


@cli.command()
@RPC
@KEY
def trail(rpc: str, key: str) -> None:
    """Who accessed my data, when, which data, why, under which grant."""
    from govchain import timefmt
    from govchain.audit.access import access_trail
    from govchain.keystore import Keystore
    from govchain.network import Connection
    from govchain.node.chain import ChainAddresses, RpcChain
    from govchain.settings import state_home
    from govchain.sharing.purposes import PurposeBook

    connection = Connection.open(rpc)
    me = Keystore().show(key).address
    contracts = connection.deployment.contracts
    addresses = ChainAddresses.from_names({n: c.address for n, c in contracts.items()})
    reader = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
    texts = PurposeBook(state_home()).texts()
    entries = access_trail(reader, me, "subject", connection.deployment.deploy_block).entries
    for e in entries:
        row = e.as_dict()
        why = texts.get(row["purpose_hash"], row["purpose_hash"])
        category = e.category.rstrip(b"\0").decode()
        click.echo(
            f"{timefmt.iso(e.timestamp)}  {e.member} read {category} "
            f"for {why!r} under grant {row['grant_id']}"
        )
    click.echo(f"{len(entries)} accesses")


@cli.command()
@RPC
@KEY
@click.option("--grant", "grant", required=True, help="the grant id (0x..)")
def revoke(rpc: str, key: str, grant: str) -> None:
    """Revoke a grant: every later access under it is refused by the chain."""
    from govchain.keystore import Keystore
    from govchain.network import Connection
    from govchain.sharing.grants import AccessGrants
    from govchain.tx import Sender

    connection = Connection.open(rpc)
    account = Keystore().unlock(key)
    sender = Sender(connection.w3, account, connection.decoder())
    sent = AccessGrants(connection, sender).revoke(bytes.fromhex(grant.removeprefix("0x")))
    click.echo(f"revoked {grant} (tx {sent.tx_hash})")
