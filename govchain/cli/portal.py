"""``govchain portal``: the web portal for one key (citizen, department member or auditor)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from govchain.cli.chainviews import store_url
from govchain.cli.context import CliContext, pass_cli

LOOPBACK = "127.0.0.1"


@click.command("portal")
@click.option("--port", type=click.IntRange(0, 65535), default=8600, help="port [8600; 0: any]")
@click.option(
    "--host",
    default=LOOPBACK,
    help="address to listen on [127.0.0.1]; anything else exposes the unlocked key's pages",
)
@click.option("--index", "index_db", metavar="URL|FILE", help="event index [<home>/index/<id>.db]")
@click.option(
    "--session-minutes",
    type=click.FloatRange(0.1, 24 * 60),
    default=15.0,
    help="an idle session forgets the unlocked key after this [15]",
)
@click.option(
    "--store",
    "stores",
    metavar="DEPT=URL|FILE",
    multiple=True,
    help="a data node's store whose serve log the auditor pages audit (repeat)",
)
@click.option(
    "--access-log",
    "access_logs",
    metavar="DEPT=FILE",
    multiple=True,
    help="a data node's JSON-lines access log: refusals and failures for the auditor (repeat)",
)
@click.option(
    "--signatures",
    metavar="DIR",
    help="a folder shared by a department's approvers: co-signed decisions (cases, and "
    "objections in its objections/ subfolder) are collected there",
)
@click.option(
    "--purposes",
    metavar="FILE",
    multiple=True,
    help="a JSON file of purpose texts published off chain: commitment -> {text, salt} "
    "(legacy unsalted grants: a list of texts, or hash -> text) (repeat)",
)
@pass_cli
def group(
    obj: CliContext,
    port: int,
    host: str,
    index_db: str | None,
    session_minutes: float,
    stores: tuple[str, ...],
    access_logs: tuple[str, ...],
    signatures: str | None,
    purposes: tuple[str, ...],
) -> None:
    """Serve the portal for the --key keystore: unlock it in the browser with its passphrase;
    it signs here, on this machine, and never reaches the browser. Pages follow the key's roles.
    """
    import uvicorn

    from govchain.portal import Backend, PortalConfig, create_app

    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise click.BadParameter(f"not an IP address: {host!r}", param_hint="--host") from None
    given = []
    for item in stores:
        dept, _, target = item.partition("=")
        if not dept or not target:
            raise click.BadParameter(f"expected DEPT=URL|FILE: {item!r}", param_hint="--store")
        given.append((dept.strip().upper(), store_url(target)))
    logs = []
    for item in access_logs:
        dept, _, target = item.partition("=")
        if not dept.strip() or not target.strip():
            raise click.BadParameter(f"expected DEPT=FILE: {item!r}", param_hint="--access-log")
        logs.append((dept.strip().upper(), target.strip()))
    config = PortalConfig(
        key=obj.key_name("the portal serves one key"),
        rpc=obj.rpc,
        home=obj.home,
        index=index_db,
        chain_id=obj.chain_id,
        session_minutes=session_minutes,
        stores=tuple(given),
        access_logs=tuple(logs),
        signatures=Path(signatures) if signatures else None,
        purposes=tuple(Path(p) for p in purposes),
    )
    backend = Backend(config)
    if not ipaddress.ip_address(host).is_loopback:
        click.echo(f"warning: listening on {host}: other machines can reach this portal", err=True)
    click.echo(f"portal for {config.key} ({backend.address}) on http://{host}:{port}/", err=True)
    uvicorn.run(create_app(backend), host=host, port=port, log_level="warning")
