"""``python -m govchain.demo``: plays the reference scenario on a fresh devnet, then cleans up."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govchain.artifacts import ENV_ARTIFACTS
from govchain.demo.narrator import Narrator
from govchain.demo.scenario import Scenario
from govchain.errors import GovchainError
from govchain.network import ENV_PRIORITY_FEE
from govchain.toolchain import evm
from govchain.toolchain.devnet import Devnet, DevnetConfig, DevnetError, free_port
from govchain.toolchain.ethereumjs import EthereumJSNode
from govchain.toolchain.evm import EvmBuildError

CHAINS = ("anvil", "ethereumjs")


def start_chain(chain: str, workdir: Path) -> Devnet | EthereumJSNode:
    """anvil (automine), or the EthereumJS client under Clique: one sealer, a block a second, a
    London-level EVM, so the contracts built for ``paris`` (:mod:`govchain.toolchain.evm`) and
    no tips (the client cannot seal a block whose transactions pay one)."""
    if chain == "anvil":
        return Devnet(DevnetConfig(port=free_port()), log_file=workdir / "anvil.log")
    os.environ[ENV_ARTIFACTS] = str(evm.compile_level("paris"))
    os.environ[ENV_PRIORITY_FEE] = "0"
    return EthereumJSNode(accounts=4, log_file=workdir / "ethereumjs.log")


def play(
    workdir: Path,
    narrator: Narrator,
    inspect: Callable[[Devnet | EthereumJSNode, Scenario], None] | None = None,
    chain: str = "anvil",
) -> dict[str, object]:
    """Starts a chain on a free port, plays every chapter, stops every process it started.

    ``inspect`` runs after the last chapter while the chain is still up (the privacy test).
    """
    started = time.monotonic()
    with start_chain(chain, workdir) as devnet:
        scenario = Scenario(devnet, workdir, narrator)
        try:
            summary = scenario.run()
            if inspect is not None:
                inspect(devnet, scenario)
        finally:
            for node in scenario.nodes.values():
                node.stop()
        receipts = [
            scenario.connection.w3.eth.get_transaction_receipt(t["tx"])
            for t in narrator.transactions
        ]
    summary["transactions_shown"] = len(receipts)
    summary["gas_shown"] = sum(int(r["gasUsed"]) for r in receipts)
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print only a JSON summary")
@click.option(
    "--chain",
    type=click.Choice(CHAINS),
    default="anvil",
    show_default=True,
    help="anvil, or the EthereumJS client (Clique proof of authority, Paris-level contracts)",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="keep the working folder (keystores, stores, node logs) here",
)
def main(as_json: bool, chain: str, keep: Path | None) -> None:
    """Play the reference scenario: a citizen applies once, departments share and approve."""
    narrator = Narrator(quiet=as_json)
    workdir = Path(tempfile.mkdtemp(prefix="govchain-demo-")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        summary = play(workdir, narrator, chain=chain)
    except (GovchainError, DevnetError, EvmBuildError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        click.echo(
            json.dumps(
                {"summary": summary, "chapters": narrator.chapters_as_dicts()},
                indent=2,
                default=str,
            )
        )
        return
    narrator.console.print()
    narrator.console.rule("[bold]Summary", align="left")
    for line in summary_lines(summary):
        narrator.console.print(f"  {line}")


def summary_lines(summary: dict[str, Any]) -> list[str]:
    case = summary.get("case", {})
    tamper = summary.get("tamper_audit", {})
    return [
        f"contracts deployed        {len(summary.get('contracts', {}))}",
        f"records anchored          {sum(summary.get('anchored', {}).values())}",
        f"records fetched, verified {summary.get('records_fetched')}",
        f"case                      {case.get('id')} {case.get('status')}",
        f"subsidy attestation       {summary.get('subsidy_attestation')}",
        f"accesses in the trail     {summary.get('access_trail')}",
        f"tamper audit              {tamper.get('altered')} altered of "
        f"{tamper.get('ok', 0) + tamper.get('altered', 0)} (exit {tamper.get('exit')})",
        f"revoked grant             refused ({summary.get('revoked_access_refused')})",
        f"秒批 instant approval      {summary.get('instant_approval', {}).get('transactions')} "
        f"transaction, {summary.get('instant_approval', {}).get('blocks')} block",
        f"免申即享 offer → benefit    {summary.get('proactive_service', {}).get('transactions')} "
        f"transaction, {summary.get('proactive_service', {}).get('blocks')} block, "
        f"{summary.get('proactive_service', {}).get('seconds')} s",
        f"personal data on chain    {summary.get('privacy_hits')} hits",
        f"transactions shown        {summary.get('transactions_shown')} "
        f"({summary.get('gas_shown'):,} gas)",
        f"wall time                 {summary.get('seconds')} s; every process stopped",
    ]
