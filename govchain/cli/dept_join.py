"""``govchain dept join``: a department joins with one command driven by its TOML file.

The file names the department (code, name, region, endpoint, first ADMIN), the member keys and
roles it wants, its catalog entries and where its data node runs. The command proposes the
department (its metadata hash is the hash of the application document, which it writes to
``<home>/applications/<CODE>.json`` for the council), then, once the council admitted it
(``govchain council review --approve CODE``), offers each member its roles (accepting for the
member keys in this home), sets changed roles, removes the members the file no longer lists,
registers the catalog and the endpoint; ``--serve`` then serves the data node. Each step is read
back from the chain first: a re-run sends nothing that is done already, and a run cut short
resumes where it stopped. See docs/onboarding.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govchain.cli.context import CliContext
from govchain.cli.sharing_params import DURATION
from govchain.errors import NotFound
from govchain.identity.base import Refused

if TYPE_CHECKING:
    from govchain.identity.application import Application, MemberSpec
    from govchain.identity.onboarding import Progress
    from govchain.tx import Sender

parent = "dept"


def application_path(obj: CliContext, code: str) -> Path:
    return obj.state_home / "applications" / f"{code}.json"


def load(obj: CliContext, config: Path) -> Application:
    from govchain.identity.application import load_application

    return load_application(config, lambda name: obj.keystore().show(name).address)


def _progress_text(progress: Progress) -> str:
    lines = [f"{progress.code}: {progress.status}"]
    for s in progress.steps:
        tx = f" (tx {s.tx})" if s.tx else ""
        lines.append(f"  {s.state:<8} {s.name}: {s.detail}{tx}")
    return "\n".join(lines)


@click.command("join")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="the department's join file (TOML)",
)
@click.option(
    "--wait",
    type=DURATION,
    default="0",
    help="wait this long for the council's admission (e.g. 10m) [default: do not wait]",
)
@click.option("--serve", is_flag=True, help="once joined, serve the [node] of the file")
@click.pass_context
def group(ctx: click.Context, config: Path, wait: int, serve: bool) -> None:
    """Join the platform as the department of --config: propose it, then (once admitted)
    enrol its members, catalog and endpoint; a re-run resumes and repeats nothing."""
    obj = ctx.find_object(CliContext)
    assert obj is not None
    application = load(obj, config)
    if obj.key is None and application.admin_key:
        obj.key = application.admin_key
    from govchain.identity.onboarding import Onboarding

    path = application_path(obj, application.code)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = application.document()
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def member_signer(member: MemberSpec) -> Sender | None:
        if member.key is None or not obj.keystore().exists(member.key):
            return None
        from govchain.tx import Sender

        account = obj.keystore().unlock(member.key)
        return Sender(obj.connection().w3, account, obj.decoder())

    onboarding = Onboarding(obj.connection(), obj.sender(), application, member_signer)
    progress = onboarding.advance(wait=wait)
    data = {
        **progress.as_dict(),
        "application": str(path),
        "metadata_hash": "0x" + application.metadata_hash.hex(),
    }
    obj.emit(data, lambda: _progress_text(progress) + f"\napplication document: {path}")
    if progress.status == "awaiting-admission" and wait:
        raise Refused(f"{application.code} was not admitted within {wait}s; run this again")
    if serve:
        _serve(ctx, obj, application, progress)


def _serve(ctx: click.Context, obj: CliContext, application: Application, p: Progress) -> None:
    if p.status == "awaiting-admission":
        raise Refused(f"{application.code} is not admitted yet: its node cannot serve")
    if application.node is None:
        raise NotFound("[node] section", "in the join file", "give db and port to --serve")
    from govchain.cli.node import serve
    from govchain.identity.departments import as_code

    node = application.node
    ctx.invoke(
        serve,
        dept=as_code(application.code),
        db=node.db,
        port=node.port,
        host=node.host,
        register=True,
        endpoint=application.endpoint or None,
    )
