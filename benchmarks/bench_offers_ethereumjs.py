"""Zero-visit latency on the second client (issue 18): from a citizen's acceptance of an offer to
the benefit attestation, on EthereumJS under Clique (one sealer, a block a second, no automine,
``GOVCHAIN_CONFIRMATIONS=2``), beside the anvil figure of bench_offers.py.

A lean platform instead of the reference city (whose ~700 staffing transactions take over ten
minutes on this client): the deployment with HRSS and CIVIL, two CIVIL approvers, CIVIL's
elderly allowance (rule and service), then per citizen her published key and two HRSS
attestations. Then, as in bench_offers.py (one citizen at a time, see below): the watcher
offers (no transaction), the citizen
lists her offer at CIVIL's data node (in-process, HTTP on loopback), signs and leaves her
acceptance, CIVIL relays it (``acceptOffer``) and waits for its receipt at the confirmation
depth. Measured per run: transactions and blocks from her acceptance to the benefit, gas, her
balance change, wall seconds. Reported, not asserted (beyond the one transaction).

Writes ``ethereumjs`` in ``benchmarks/results/offers.json`` (the anvil figures stay).
Run: ``python -m govchain.toolchain.testrun benchmarks/bench_offers_ethereumjs.py -s``.
"""

# ruff: noqa: F401, F811  (the module fixture ejs is imported)
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.types import Nonce, Wei

from govchain.deploy import DeployConfig, FounderSpec, deploy
from govchain.network import Connection
from govchain.reference import ROLE_APPROVER, ROLE_STAFF
from govchain.toolchain.ethereumjs import EthereumJSNode
from govchain.tx import Sender
from tests.consortium.ejs_flows import OfferParties, make_eligible, set_up_offers, zero_visit
from tests.consortium.test_ethereumjs import CONFIRMATIONS, Keys, ejs, enrol

OUT = Path(__file__).resolve().parent / "results" / "offers.json"
RUNS = 3


def _fund(connection: Connection, funder: LocalAccount, accounts: list[LocalAccount]) -> None:
    sender = Sender(connection.w3, funder, poll_latency=0.2)
    nonce = int(connection.w3.eth.get_transaction_count(funder.address, "latest"))
    sent = [
        sender.submit(
            {"to": a.address, "value": Wei(10**19), "nonce": Nonce(nonce + i)}, preflight=False
        )
        for i, a in enumerate(accounts)
    ]
    for tx_hash, built in sent:
        sender.wait(tx_hash, built)


def test_zero_visit_latency_on_ethereumjs(ejs: dict[str, Any]) -> None:
    node: EthereumJSNode = ejs["node"]
    workdir: Path = ejs["workdir"]
    connection = Connection.open(node.url, workdir / "home")
    keys = Keys(connection, node.keys[1])
    founders = (
        FounderSpec(code="HRSS", name="HRSS", region=330100, admin=keys.hrss_admin.address),
        FounderSpec(code="CIVIL", name="Civil Affairs", region=330100,
                    admin=keys.civil_admin.address),
    )  # fmt: skip
    config = DeployConfig(
        council_members=(keys.hrss_admin.address, keys.civil_admin.address),
        threshold=2,
        founders=founders,
    )
    deploy(connection, keys.deployer, config, fresh=True)
    enrol(connection, keys.hrss_admin, keys.hrss_staff, ROLE_STAFF, "HRSS")
    enrol(connection, keys.civil_admin, keys.civil_staff, ROLE_STAFF, "CIVIL")
    enrol(connection, keys.civil_admin, keys.approver, ROLE_APPROVER, "CIVIL")
    enrol(connection, keys.civil_admin, keys.approver2, ROLE_APPROVER, "CIVIL")
    parties = OfferParties(
        keys.hrss_admin, keys.hrss_staff, keys.civil_staff, (keys.approver, keys.approver2)
    )
    offers = set_up_offers(connection, parties, workdir)
    citizens: list[LocalAccount] = [Account.create() for _ in range(RUNS)]
    _fund(connection, node.keys[1], citizens)
    # one citizen at a time: made eligible, offered, accepted. Several at once fail here, and
    # not for the acceptance: Rulebook.evidence asks eth_getLogs for the subject's Attested
    # events, this client ignores topics after the first, so the relay's proofs named the
    # newest attestation of the schema, about someone else (refused by the chain)
    rows, watch = [], []
    for citizen in citizens:
        make_eligible(offers, citizen)
        measured = zero_visit(offers, [citizen])
        assert measured["offered"] == 1 and measured["transactions_to_offer"] == 0
        rows += measured["rows"]
        watch.append(measured["watch_seconds"])
    assert all(r["transactions"] == 1 for r in rows)
    total = [r["acceptance_to_benefit_s"] for r in rows]
    figure = {
        "chain": (
            f"EthereumJS {connection.w3.client_version.split('/')[1]} under Clique (one sealer, "
            f"a block a second, no automine), Paris build, confirmations {CONFIRMATIONS}; HRSS "
            "and CIVIL only; CIVIL's data node in process over HTTP on loopback"
        ),
        "runs": RUNS,
        "transactions": max(r["transactions"] for r in rows),
        "blocks": max(r["blocks"] for r in rows),
        "citizen_paid_wei": max(r["citizen_paid_wei"] for r in rows),
        "gas_median": int(statistics.median(r["gas"] for r in rows)),
        "seconds_median": round(statistics.median(total), 3),
        "seconds_max": round(max(total), 3),
        "watch_seconds_median": round(statistics.median(watch), 3),
        "transactions_to_offer": 0,
        "note": (
            "blocks: from the head when she signs to the block holding acceptOffer; seconds "
            "include up to one block interval to be sealed and the confirmation depth (the "
            "relayer's receipt wait), unlike anvil's automine"
        ),
        "rows": [{k: v for k, v in r.items() if k != "benefit"} for r in rows],
    }
    result = json.loads(OUT.read_text()) if OUT.is_file() else {}
    result["ethereumjs"] = figure
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in figure.items() if k != "rows"}, indent=2))
