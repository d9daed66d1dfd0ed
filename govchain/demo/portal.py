"""``make portal``: the reference scenario on a fresh devnet, then the portal for three people.

Starts a devnet on a free port, plays every chapter of the reference scenario (quietly), opens
one more case at Civil Affairs (so the approver's inbox has something to decide), then serves
the portal for the citizen, a Civil Affairs approver and the HRSS auditor (who audits the HRSS
node's serve log), each on its own free loopback port. Prints the three URLs and the passphrase
and keeps everything running until Ctrl-C, which stops every process it started.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
import uvicorn

from govchain.approval import CaseTerms, Step
from govchain.approval.cases import Cases
from govchain.demo.common import PASSPHRASE
from govchain.demo.narrator import Narrator
from govchain.demo.scenario import Scenario
from govchain.errors import GovchainError
from govchain.portal import Backend, PortalConfig, create_app
from govchain.sharing.catalog import category_code
from govchain.toolchain.devnet import Devnet, DevnetConfig, DevnetError, free_port

PEOPLE = (
    ("citizen", "citizen (我的数据)"),
    ("civil-approver1", "Civil Affairs approver (民政局审批人)"),
    ("hrss-auditor", "HRSS auditor (人社局审计员)"),
)


@contextmanager
def serve(config: PortalConfig) -> Iterator[str]:
    """The portal for ``config`` on a free loopback port, in a thread; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Backend(config)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def open_case(scenario: Scenario) -> str:
    """A fresh case at Civil Affairs, routed CIVIL then HRSS (one approver each)."""
    staff = scenario.dept("CIVIL").staff
    deadline = scenario.now() + 7 * 86_400
    terms = CaseTerms(
        documents_hash=secrets.token_bytes(32),
        accepting_department=category_code("CIVIL"),
        route=(
            Step(category_code("CIVIL"), 1, deadline),
            Step(category_code("HRSS"), 1, deadline + 86_400),
        ),
        applicant_citizen=scenario.citizen.address,
    )
    Cases(scenario.connection, scenario.sender(staff)).open(terms)
    return "0x" + terms.case_id().hex()


def stop_nodes(scenario: Scenario) -> None:
    for node in scenario.nodes.values():
        node.stop()


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="keep the working folder (keystores, stores, index) here",
)
def main(keep: Path | None) -> None:
    """Play the reference scenario, then serve the portal for a citizen, an approver and an
    auditor until Ctrl-C."""
    workdir = Path(tempfile.mkdtemp(prefix="govchain-portal-")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with ExitStack() as stack:
            click.echo("starting a devnet and playing the reference scenario (about a minute)...")
            devnet = stack.enter_context(
                Devnet(DevnetConfig(port=free_port()), log_file=workdir / "anvil.log")
            )
            scenario = Scenario(devnet, workdir, Narrator(quiet=True))
            stack.callback(stop_nodes, scenario)
            scenario.run()
            case = open_case(scenario)
            urls = []
            for key, who in PEOPLE:
                stores = (("HRSS", scenario.db_url("HRSS")),) if key == "hrss-auditor" else ()
                config = PortalConfig(
                    key=key,
                    rpc=devnet.url,
                    home=scenario.home,
                    index=str(workdir / f"index-{key}.db"),
                    stores=stores,
                )
                urls.append((who, key, stack.enter_context(serve(config))))
            click.echo("")
            for who, key, url in urls:
                click.echo(f"  {who:<40} {url}   (key {key})")
            click.echo(f"\n  passphrase for all three: {PASSPHRASE}")
            click.echo(f"  an open case awaits Civil Affairs: {case}")
            click.echo("\nCtrl-C stops the portals, the data nodes and the devnet.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nstopped: portals, data nodes and devnet")
    except (GovchainError, DevnetError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
