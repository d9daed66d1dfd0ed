"""``python -m govchain.demo``: plays the reference scenario on a fresh devnet, then cleans up."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govchain.demo.narrator import Narrator
from govchain.demo.scenario import Scenario
from govchain.errors import GovchainError
from govchain.toolchain.devnet import Devnet, DevnetConfig, DevnetError, free_port


def play(
    workdir: Path,
    narrator: Narrator,
    inspect: Callable[[Devnet, Scenario], None] | None = None,
) -> dict[str, object]:
    """Starts a devnet on a free port, plays every chapter, stops every process it started.

    ``inspect`` runs after the last chapter while the devnet is still up (the privacy test).
    """
    started = time.monotonic()
    with Devnet(DevnetConfig(port=free_port()), log_file=workdir / "anvil.log") as devnet:
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
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="keep the working folder (keystores, stores, node logs) here",
)
def main(as_json: bool, keep: Path | None) -> None:
    """Play the reference scenario: a citizen applies once, departments share and approve."""
    narrator = Narrator(quiet=as_json)
    workdir = Path(tempfile.mkdtemp(prefix="govchain-demo-")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        summary = play(workdir, narrator)
    except (GovchainError, DevnetError) as exc:
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
        f"personal data on chain    {summary.get('privacy_hits')} hits",
        f"transactions shown        {summary.get('transactions_shown')} "
        f"({summary.get('gas_shown'):,} gas)",
        f"wall time                 {summary.get('seconds')} s; every process stopped",
    ]
