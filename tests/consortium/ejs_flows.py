"""Two flows run on the EthereumJS devnet of tests/consortium/test_ethereumjs.py (and, for the
figures, by benchmarks/bench_offers_ethereumjs.py): an evidence bundle exported and verified
against proof-of-authority headers, and one zero-visit acceptance of an offer (services SDK).

Both start from a platform already deployed with HRSS and CIVIL, as the test's ``played``
fixture leaves it; nothing here calls ``anvil_*``/``evm_*``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import select

from govchain.deploy import department_code
from govchain.identity.messages import schema_uid
from govchain.indexer import Indexer, RpcLogSource, contracts_from_manifest, open_database
from govchain.interop import evidence
from govchain.network import Connection
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Record, Store, sqlite_url
from govchain.reference import ROLE_APPROVER, ROLE_STAFF
from govchain.services.catalog import Catalog, service_id
from govchain.services.inbox import OfferInbox
from govchain.services.offerbox import OfferBox
from govchain.services.rulebook import Rulebook
from govchain.services.rules import Requirement, name_code, rule_id
from govchain.services.watcher import Watcher
from govchain.sharing.acceptance import RecordColumns
from govchain.tx import Sender
from tests.node.helpers import running_node

YEAR = 365 * 86400
HRSS = department_code("HRSS")
CIVIL = department_code("CIVIL")
ENC_KEY = b"did/pub/Secp256k1/enc/hex".ljust(32, b"\0")


def evidence_round_trip(connection: Connection, store_path: Path) -> dict[str, Any]:
    """Export the one record of ``store_path`` (HRSS's node database), verify the bundle online
    and offline; return the bundle and both verdicts."""
    store = Store(sqlite_url(store_path), create=False)
    try:
        with store.session() as s:
            row = s.scalars(select(Record)).one()
            columns = RecordColumns(
                row.category, row.record_id, row.version, HRSS, row.subject, row.media_type,
                row.content, row.salt,
            )  # fmt: skip
    finally:
        store.dispose()
    bundle = evidence.export(connection, columns, include_content=True)
    platform = {n: str(c.address) for n, c in connection.deployment.contracts.items()}
    online = evidence.verify(bundle, connection.w3, trusted=platform)
    offline = evidence.verify(
        bundle,
        None,
        trusted_block_hash=str(bundle["block"]["hash"]),
        trusted={"AnchorRegistry": platform["AnchorRegistry"]},
    )
    return {
        "bundle": bundle,
        "online": online,
        "offline": offline,
        "w3": connection.w3,
        "platform": platform,
    }


@dataclass
class OfferParties:
    """Who acts in the offers flow: HRSS's admin registers schemas and its staff attests the
    facts; CIVIL's two approvers sign the rule and the service, its staff relays."""

    hrss_admin: LocalAccount
    hrss_staff: LocalAccount
    civil_staff: LocalAccount
    approvers: tuple[LocalAccount, LocalAccount]


@dataclass
class Offers:
    """CIVIL's elderly allowance, registered on chain, with HRSS attesting the facts."""

    connection: Connection
    parties: OfferParties
    schemas: dict[str, bytes]
    service: bytes
    folder: Path

    def sender(self, account: LocalAccount) -> Sender:
        return Sender(self.connection.w3, account, self.connection.decoder())


def set_up_offers(connection: Connection, parties: OfferParties, folder: Path) -> Offers:
    """Three schemas, CIVIL's ``elderly`` rule and ``allowance`` service (two approvers sign
    each, CIVIL's staff relays)."""
    offers = Offers(connection, parties, {}, b"", folder)
    registry = connection.contract("AttestationRegistry")
    for key, fields, roles in (
        ("age", "AgedOver60(bool yes)", ROLE_STAFF),
        ("residence", "ResidentOf(bytes32 commitment)", ROLE_STAFF),
        ("allowance", "ElderlyAllowanceGranted(bytes32 caseId)", ROLE_APPROVER),
    ):
        fields_hash = bytes(keccak(text=fields))
        offers.sender(parties.hrss_admin).transact(
            registry.functions.registerSchema(fields_hash, roles, b"\0" * 32, True)
        )
        offers.schemas[key] = schema_uid(fields_hash, roles, b"\0" * 32, True)
    relayer = offers.sender(parties.civil_staff)
    book = Rulebook(connection, relayer)
    requirements = [
        Requirement(offers.schemas["age"], YEAR, (HRSS,)),
        Requirement(offers.schemas["residence"], YEAR, (HRSS, CIVIL)),
    ]
    deadline = book.cases.now() + 86400
    name = name_code("elderly")
    book.relay(
        [book.sign(a, "register", CIVIL, name, deadline, requirements) for a in parties.approvers]
    )
    rid = rule_id(CIVIL, name)
    catalog = Catalog(connection, relayer)
    sname = name_code("allowance")
    allowance = offers.schemas["allowance"]
    signed = [catalog.sign(a, CIVIL, sname, deadline, rid, allowance) for a in parties.approvers]
    catalog.relay(CIVIL, sname, deadline, signed, rid, allowance)
    offers.service = service_id(CIVIL, sname)
    return offers


def make_eligible(offers: Offers, citizen: LocalAccount) -> None:
    """She publishes her encryption key (she is funded for it); HRSS attests her facts."""
    public = coincurve.PrivateKey(citizen.key).public_key.format(compressed=True)
    offers.sender(citizen).transact(
        offers.connection.contract("CitizenRegistry").functions.setAttribute(
            citizen.address, ENC_KEY, public, YEAR
        )
    )
    registry = offers.connection.contract("AttestationRegistry")
    for key in ("age", "residence"):
        offers.sender(offers.parties.hrss_staff).transact(
            registry.functions.attest(
                citizen.address, offers.schemas[key], keccak(text=key), 0, b"\0" * 32
            )
        )


def zero_visit(offers: Offers, citizens: list[LocalAccount]) -> dict[str, Any]:
    """The watcher offers the eligible ``citizens`` off chain; each accepts at CIVIL's node and
    CIVIL relays it: per acceptance its transactions, blocks, gas, seconds and her cost."""
    connection, w3 = offers.connection, offers.connection.w3
    deployment = connection.deployment
    index = open_database(offers.folder / "index.db")
    watched = contracts_from_manifest(
        {n: c.address for n, c in deployment.contracts.items()},
        {n: c.block for n, c in deployment.contracts.items()},
    )
    Indexer(index, RpcLogSource(connection.url), watched, confirmations=0).sync()
    store = Store(sqlite_url(offers.folder / "civil-node.db"))
    addresses = ChainAddresses.from_names({n: c.address for n, c in deployment.contracts.items()})
    reader = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
    relayer = offers.sender(offers.parties.civil_staff)
    watcher = Watcher(connection, index, OfferBox(store.engine), CIVIL, relayer)
    head = w3.eth.block_number
    started = time.perf_counter()
    report = watcher.watch()
    out: dict[str, Any] = {
        "offered": len(report.offered),
        "watch_seconds": round(time.perf_counter() - started, 3),
        "transactions_to_offer": sum(
            len(w3.eth.get_block(n)["transactions"])
            for n in range(head + 1, w3.eth.block_number + 1)
        ),
        "rows": [],
    }
    benefit = connection.contract("CaseApprovals").functions.benefitOf
    try:
        with running_node(DataNode(NodeConfig(CIVIL), store, reader)) as url:
            for citizen in citizens:
                inbox = OfferInbox(reader, citizen)
                [held] = inbox.list_offers(url, CIVIL)
                assert held.content is not None
                balance = w3.eth.get_balance(citizen.address)
                start_block = w3.eth.block_number
                t0 = time.perf_counter()
                inbox.accept(url, CIVIL, held.content)
                t1 = time.perf_counter()
                relayed = watcher.relay()
                t2 = time.perf_counter()
                assert len(relayed.accepted) == 1, relayed.as_dict()
                [done] = relayed.accepted
                receipt = w3.eth.get_transaction_receipt(done["tx_hash"])
                out["rows"].append(
                    {
                        "transactions": len(relayed.accepted),
                        "blocks": int(receipt["blockNumber"]) - start_block,
                        "gas": int(receipt["gasUsed"]),
                        "status": int(receipt["status"]),
                        "benefit": "0x"
                        + bytes(benefit(offers.service, citizen.address).call()).hex(),
                        "citizen_paid_wei": balance - w3.eth.get_balance(citizen.address),
                        "sign_and_leave_s": round(t1 - t0, 4),
                        "relay_to_receipt_s": round(t2 - t1, 4),
                        "acceptance_to_benefit_s": round(t2 - t0, 4),
                    }
                )
    finally:
        store.dispose()
    return out
