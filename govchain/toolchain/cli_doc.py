"""Write docs/cli.md from the CLI itself, so the reference cannot drift from the code.

``python -m govchain.toolchain.cli_doc`` rewrites the file; ``--check`` exits 1 if it is stale
(the docs test runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from govchain.cli.app import cli
from govchain.toolchain.paths import PROJECT_ROOT

TARGET = PROJECT_ROOT / "docs" / "cli.md"

INTRO = """# CLI reference: `govchain`

Generated from the commands themselves by `python -m govchain.toolchain.cli_doc`; a test fails
when this file and the code disagree. For the commands in context, read
[walkthrough.md](walkthrough.md), whose every command is run by the docs test. Guides by area,
with who may run each command, examples and `--json` shapes: [identity](cli/identity.md)
(council, departments, citizens, attestations), [sharing](cli/sharing.md) (catalog, records,
grants, share requests, access records), [cases](cli/case.md), [data nodes, index and
audits](cli/node.md), [load and fault tests](cli/load.md).

## Conventions

- **Who signs.** `--key NAME` chooses the encrypted keystore (in `<home>/keys`) that signs; its
  passphrase comes from `GOVCHAIN_PASSPHRASE` or a hidden prompt. The key's role decides what
  the chain allows: a department's STAFF records accesses and opens cases, its APPROVERs
  decide, its ADMIN manages members and the catalog, its AUDITOR reads trails about anyone;
  a citizen signs with the key of her identity.
- **Where.** `--rpc URL` (or `GOVCHAIN_RPC`, default `http://127.0.0.1:8545`) is the node;
  `--home DIR` (or `GOVCHAIN_HOME`, default `./.govchain`) holds keys and the deployment
  manifest of each chain (`deployments/<chain id>.json`, written by `govchain deploy`);
  `--chain-id N` refuses to act on any other chain.
- **Output.** Every read accepts the root option `--json` (`govchain --json dept show HRSS`)
  for machine-readable output; transactions print their hash. Bulk work shows a progress bar
  unless `--json` is given.
- **Exit codes.** `0` done; `1` refused by the chain's rules (the contract's error, in plain
  words — see [errors.md](errors.md)), the network is unreachable, or an audit found a
  problem; `2` bad usage or input (a malformed address, an unknown department, a missing
  keystore, a wrong passphrase). A failure prints one line on stderr, `error: ...`, never a
  traceback.
- **Files someone else wrote** (credentials, evidence bundles, signed rule / service / case /
  objection decisions, consents, requirements) are read by one reader, `govchain/files.py`
  (`read_json`): at most 16 MiB, not JSON, not UTF-8, nested past Python's recursion limit,
  holding `1e400` / `Infinity` / `NaN` (or a fraction where a whole number goes) or of another
  top-level type is one `error:` line naming the file (exit 2; `vc` and `evidence verify`:
  refused / NOT VERIFIED, exit 1). The fields inside are each loader's to check. Text from
  others is printed with its control characters escaped (`\\x1b`), never raw.
- **Values.** Departments by code (`HRSS`), categories by code (`HRSS.PENSION`), addresses as
  `0x…` hex (checksum verified when mixed case) or, where a command says so, a keystore name.
"""


def _walk(
    command: click.Command, path: list[str], ctx: click.Context | None
) -> Iterator[tuple[list[str], click.Command, click.Context]]:
    here = click.Context(command, info_name=path[-1], parent=ctx)
    yield path, command, here
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(here)):
            sub = command.get_command(here, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name], here)


def _options(command: click.Command, ctx: click.Context) -> list[str]:
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or param.name == "help":
            continue
        names, text = record
        rows.append(f"| `{names}` | {text.replace('|', '/')} |")
    return ["| option | meaning |", "|---|---|", *rows] if rows else []


def render() -> str:
    parts = [INTRO, "## Commands", ""]
    for path, command, ctx in _walk(cli, ["govchain"], None):
        name = " ".join(path)
        depth = min(len(path) + 1, 4)
        parts.append(f"{'#' * depth} `{name}`")
        parts.append("")
        usage = " ".join(command.collect_usage_pieces(ctx))
        parts += ["```", f"{name} {usage}".rstrip(), "```", ""]
        if command.help:
            parts += [click.unstyle(command.help).strip(), ""]
        options = _options(command, ctx)
        if options:
            parts += [*options, ""]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govchain.toolchain.cli_doc")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is stale")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(
                f"{args.output} is stale: run python -m govchain.toolchain.cli_doc", file=sys.stderr
            )
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
