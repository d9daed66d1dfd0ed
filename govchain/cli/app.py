"""The root ``govchain`` command, its options and the one place errors become exit codes.

Exit codes: 0 done; 1 refused by the chain's rules or the network is unavailable; 2 bad usage
or input (malformed values, unknown names, missing keystore, wrong passphrase). A user's
mistake prints one line on stderr (``error: ...``), never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from web3.exceptions import Web3Exception

from govchain.cli.context import CliContext
from govchain.errors import EXIT_BAD_INPUT, EXIT_REFUSED, GovchainError, NetworkUnavailable
from govchain.network import TRANSPORT_ERRORS, rpc_url
from govchain.toolchain.devnet import DevnetError

#: One module per command group; each exposes ``group`` (a click command), and optionally
#: ``parent`` (the name of a group it nests under). Contract modules add themselves here.
COMMAND_MODULES: tuple[str, ...] = (
    "govchain.cli.keys",
    "govchain.cli.devnet",
    "govchain.cli.chain",
    "govchain.cli.deploy",
    "govchain.cli.citizen",
    "govchain.cli.case",
    "govchain.cli.catalog",
    "govchain.cli.record",
    "govchain.cli.grant",
    "govchain.cli.share",
    "govchain.cli.access",
    "govchain.cli.node",
    "govchain.cli.data",
    "govchain.cli.citizen_data",
    "govchain.cli.index",
    "govchain.cli.audit",
    "govchain.cli.council",
    "govchain.cli.dept",
    "govchain.cli.attest",
    "govchain.cli.did",
    "govchain.cli.evidence",
    "govchain.cli.attest_export",
    "govchain.cli.vc",
    "govchain.cli.objection",
    "govchain.cli.citizen_trail",
    "govchain.cli.portal",
    "govchain.cli.rule",
)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def fail(message: str, code: int) -> int:
    click.echo(f"error: {_one_line(message)}", err=True)
    return code


class GovchainGroup(click.Group):
    """A click group whose ``main`` turns every expected failure into one line and an exit code."""

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
        except DevnetError as exc:
            return fail(str(exc), EXIT_REFUSED)
        except TRANSPORT_ERRORS as exc:
            url = getattr(getattr(exc, "request", None), "url", None) or rpc_url()
            return fail(str(NetworkUnavailable(str(url), "connection lost")), EXIT_REFUSED)
        except Web3Exception as exc:
            return fail(f"the node refused: {exc}", EXIT_REFUSED)
        except KeyboardInterrupt:
            return fail("interrupted", 130)
        return result if isinstance(result, int) else 0


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
@click.version_option(package_name="govchain", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    rpc: str | None,
    home: Path | None,
    as_json: bool,
    get_field: str | None,
    key: str | None,
    chain_id: int | None,
) -> None:
    """govchain: departments, citizens and auditors on a shared ledger."""
    ctx.obj = CliContext(
        rpc=rpc,
        home=home,
        json=as_json or get_field is not None,
        key=key,
        chain_id=chain_id,
        get=get_field,
    )


def _register() -> None:
    """Add every module's ``group``; a module with ``parent = "citizen"`` nests under that group."""
    nested = []
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        parent = getattr(module, "parent", None)
        if parent is None:
            cli.add_command(module.group)
        else:
            nested.append((parent, module.group))
    for parent, command in nested:
        group = cli.commands[parent]
        assert isinstance(group, click.Group), parent
        group.add_command(command)


_register()


def main(argv: Sequence[str] | None = None) -> None:
    """The console entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="govchain")
