"""The root ``govchain`` command, its options and the one place errors become exit codes.

Exit codes: 0 done; 1 refused by the chain's rules or the network is unavailable; 2 bad usage
or input (malformed values, unknown names, missing keystore, wrong passphrase). A user's
mistake prints one line on stderr (``error: ...``), never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from govchain.cli.context import CliContext
from govchain.errors import EXIT_BAD_INPUT, EXIT_REFUSED, GovchainError, NetworkUnavailable
from govchain.printable import printable

#: Every command group: its name (``"citizen data"`` nests ``data`` under ``citizen``) -> the
#: module that defines it as ``group``, and the one line ``govchain --help`` shows for it. A
#: module is imported only when its command runs, so ``--help`` and each command pay only for
#: what they use. Adding a group is its module and one line here (a test checks each line
#: against the module's own help).
COMMANDS: dict[str, tuple[str, str]] = {
    "keys": ("govchain.cli.keys", "Create and inspect encrypted keystores."),
    "devnet": ("govchain.cli.devnet", "Start, stop and inspect the local devnet (anvil)."),
    "chain": ("govchain.cli.chain", "The network in use: node, deployment, balances."),
    "deploy": (
        "govchain.cli.deploy",
        "Deploy every contract (resuming an interrupted deployment) signed by --key.",
    ),
    "citizen": (
        "govchain.cli.citizen",
        "A citizen's identity (key rotation, delegates, guardians, recovery) and own data.",
    ),
    "citizen data": (
        "govchain.cli.citizen_data",
        "My personal data space: which departments hold records about me; fetch my own records.",
    ),
    "safe": (
        "govchain.cli.safe",
        "A Safe as a govchain signer: show it, sign (or approve) like another owner's part file.",
    ),
    "case": (
        "govchain.cli.case",
        "Approval cases: open, sign, submit, decide, show, list, withdraw, expire, hash.",
    ),
    "catalog": (
        "govchain.cli.catalog",
        "Data categories: who owns them and how they may be shared.",
    ),
    "record": (
        "govchain.cli.record",
        "Tamper evidence: anchor department records on chain and verify copies of them.",
    ),
    "grant": ("govchain.cli.grant", "Grants: who may use which data of whom, why, until when."),
    "share": (
        "govchain.cli.share",
        "Share requests: ask another department for its conditional data.",
    ),
    "access": (
        "govchain.cli.access",
        "Access records: who used which data of whom, when and why.",
    ),
    "node": (
        "govchain.cli.node",
        "A department's data node: serve records under grants, publish and anchor them.",
    ),
    "data": (
        "govchain.cli.data",
        "Fetch records from other departments' data nodes, under grants, verified on chain.",
    ),
    "index": (
        "govchain.cli.index",
        "The event index: sync it from the chain, then query trails, grants, cases, anchors.",
    ),
    "audit": (
        "govchain.cli.audit",
        "Audits: tampered records, a citizen's access trail, releases without an access record.",
    ),
    "council": (
        "govchain.cli.council",
        "The platform council: propose, approve (on chain or by signature), execute.",
    ),
    "dept": (
        "govchain.cli.dept",
        "Departments: discover them, list members; an ADMIN manages its own department.",
    ),
    "dept join": (
        "govchain.cli.dept_join",
        "Join the platform as the department of --config: propose it, then (once admitted) enrol its members, catalog and endpoint; a re-run resumes and repeats nothing.",
    ),
    "council review": (
        "govchain.cli.council_review",
        "Departments awaiting admission and what each asks for; --approve CODE approves one.",
    ),
    "attest": (
        "govchain.cli.attest",
        "Attestations about citizens: schemas, issue, revoke, verify, list.",
    ),
    "citizen did": (
        "govchain.cli.did",
        "Print the W3C DID document of IDENTITY (an address or its did:ethr:<chain>:<address>), resolved by the did:ethr method's rules from CitizenRegistry's ERC-1056 events.",
    ),
    "evidence": (
        "govchain.cli.evidence",
        "Electronic evidence: export an anchored record's proof bundle, verify one independently.",
    ),
    "attest export": (
        "govchain.cli.attest_export",
        "Write a credential of attestation UID, signed (EIP-712) by --key, an active member of the issuing department with a role the schema lets attest: issuer the department, subject the citizen's did:ethr.",
    ),
    "vc": (
        "govchain.cli.vc",
        "W3C Verifiable Credentials of attestations ('attest export' makes them).",
    ),
    "objection": (
        "govchain.cli.objection",
        "Objections to attestations and records about a citizen: file, list, show, decide.",
    ),
    "citizen trail": (
        "govchain.cli.citizen_trail",
        "The citizen's trail: who used her data and why, and her objections.",
    ),
    "portal": (
        "govchain.cli.portal",
        "Serve the portal for the --key keystore: unlock it in the browser with its passphrase; it signs here, on this machine, and never reaches the browser.",
    ),
    "rule": (
        "govchain.cli.rule",
        "Rules that decide case steps from attestations (秒批).",
    ),
    "offer": (
        "govchain.cli.offer",
        "Proactive services (免申即享): register services, watch for who qualifies, relay.",
    ),
    "citizen offers": (
        "govchain.cli.citizen_offers",
        "Services offered to me without applying (免申即享); accept one with one signature.",
    ),
}


def load_command(path: str) -> click.Command:
    """The command group ``path`` of :data:`COMMANDS`, with its nested groups added."""
    module = importlib.import_module(COMMANDS[path][0])
    command: click.Command = module.group
    if isinstance(command, click.Group):
        prefix = path + " "
        for child in COMMANDS:
            name = child[len(prefix) :]
            if child.startswith(prefix) and " " not in name and name not in command.commands:
                command.add_command(load_command(child), name)
    return command


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def fail(message: str, code: int) -> int:
    click.echo(f"error: {printable(_one_line(message))}", err=True)
    return code


class GovchainGroup(click.Group):
    """The root group: subcommands loaded from :data:`COMMANDS` on first use, and a ``main``
    that turns every expected failure into one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(n for n in COMMANDS if " " not in n)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and " " not in cmd_name and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`' help lines, importing no command module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            else:
                command = self.commands[name]
                if command.hidden:
                    continue
                text = command.get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._run(args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> int:
        try:
            result = super().main(
                args, prog_name or "govchain", complete_var, standalone_mode=False, **extra
            )
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            return fail(exc.format_message() + hint, EXIT_BAD_INPUT)
        except click.ClickException as exc:
            return fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            return fail("aborted", EXIT_REFUSED)
        except GovchainError as exc:
            return fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            return fail("interrupted", 130)
        except Exception as exc:
            code = _library_failure(exc)
            if code is None:
                raise
            return code
        return result if isinstance(result, int) else 0


def _library_failure(exc: Exception) -> int | None:
    """A devnet failure, a transport failure, a node's refusal (web3) or a database's error
    (SQLAlchemy) as one line.

    Their exception classes are looked up only if their modules were loaded (a command that
    never imported web3 cannot have raised a web3 error), so start-up imports none of them.
    """
    devnet = sys.modules.get("govchain.toolchain.devnet")
    if devnet is not None and isinstance(exc, devnet.DevnetError):
        return fail(str(exc), EXIT_REFUSED)
    transport: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    network = sys.modules.get("govchain.network")
    if network is not None:
        transport = network.TRANSPORT_ERRORS
    if isinstance(exc, transport):
        from govchain.settings import rpc_url

        url = getattr(getattr(exc, "request", None), "url", None) or rpc_url()
        return fail(str(NetworkUnavailable(str(url), "connection lost")), EXIT_REFUSED)
    web3_errors = sys.modules.get("web3.exceptions")
    if web3_errors is not None and isinstance(exc, web3_errors.Web3Exception):
        return fail(f"the node refused: {exc}", EXIT_REFUSED)
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.SQLAlchemyError):
        # a file that is not a database, a server that is down (review s31/3 F7): the driver's
        # first line, without SQLAlchemy's wrapper, its query or its parameters
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return fail(f"database: {lines[0] if lines else type(exc).__name__}", EXIT_REFUSED)
    return None


@click.group(cls=GovchainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--rpc",
    metavar="URL",
    help="JSON-RPC endpoint [env GOVCHAIN_RPC; default http://127.0.0.1:8545]",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="state folder: keys, deployments [env GOVCHAIN_HOME; default ./.govchain]",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GOVCHAIN_CONFIG",
    help="config file (TOML) [env GOVCHAIN_CONFIG; default <home>/config.toml]",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option(
    "--get",
    "get_field",
    metavar="FIELD",
    help="print only this field of the --json output (a.b for nested keys), for scripts",
)
@click.option(
    "--key",
    "--keystore",
    "key",
    metavar="NAME",
    envvar="GOVCHAIN_KEY",
    help="keystore that signs [env GOVCHAIN_KEY]; passphrase from GOVCHAIN_PASSPHRASE or a prompt",
)
@click.option("--chain-id", type=int, help="refuse to act unless the node serves this chain")
@click.option(
    "--tz",
    metavar="ZONE",
    envvar="GOVCHAIN_TZ",
    help="time zone of printed dates (Asia/Shanghai, UTC, local) [env GOVCHAIN_TZ; "
    "default: this machine's]",
)
@click.version_option(package_name="govchain", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    rpc: str | None,
    home: Path | None,
    config_file: Path | None,
    as_json: bool,
    get_field: str | None,
    key: str | None,
    chain_id: int | None,
    tz: str | None,
) -> None:
    """govchain: departments, citizens and auditors on a shared ledger."""
    from govchain import settings, timefmt

    config = _load_config(config_file, home)
    settings.use_config(config)
    if config is not None:
        ctx.default_map = config.command_defaults()
        key = key or config.cli.key
        tz = tz or config.cli.tz

    try:
        timefmt.set_zone(tz)
    except GovchainError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    ctx.obj = CliContext(
        rpc=rpc,
        home=home,
        json=as_json or get_field is not None,
        key=key,
        chain_id=chain_id,
        get=get_field,
    )


def _load_config(path: Path | None, home: Path | None) -> Any:
    """The config file's values (None without a file: pydantic stays unloaded)."""
    from govchain.settings import state_home

    sections = ("GOVCHAIN_NODE_", "GOVCHAIN_INDEXER_", "GOVCHAIN_PORTAL_", "GOVCHAIN_CLI_")
    if (
        path is None
        and not (state_home(home) / "config.toml").is_file()
        and not any(name.startswith(sections) for name in os.environ)
    ):
        return None
    from govchain.config import load

    return load(path, home)


def main(argv: Sequence[str] | None = None) -> None:
    """The console entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="govchain")
