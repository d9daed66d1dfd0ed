"""A proactive service on the reference city: CIVIL's elderly allowance, its rule and service
registered by CIVIL's approvers, citizens with published encryption keys and attested facts,
an index of the chain and CIVIL's data node serving offers over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import Engine

from govchain.identity.messages import schema_uid
from govchain.indexer import Indexer, RpcLogSource, contracts_from_manifest, open_database
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, sqlite_url
from govchain.reference import ROLE_APPROVER, ROLE_STAFF, City
from govchain.services.catalog import Catalog, service_id
from govchain.services.offerbox import OfferBox
from govchain.services.rulebook import Rulebook
from govchain.services.rules import Requirement, name_code, rule_id
from govchain.services.watcher import Watcher
from govchain.toolchain.devnet import Devnet
from govchain.tx import Sender
from tests.cli.conftest import fund
from tests.node.helpers import running_node

CIVIL = b"CIVIL".ljust(32, b"\0")
PSB = b"PSB".ljust(32, b"\0")
YEAR = 365 * 86400
ENC_KEY = b"did/pub/Secp256k1/enc/hex".ljust(32, b"\0")


@dataclass
class OffersWorld:
    city: City
    devnet: Devnet
    schemas: dict[str, bytes]
    rule: bytes
    service: bytes
    index: Engine
    box: OfferBox
    node: DataNode

    @property
    def connection(self) -> Any:
        return self.city.connection

    def sender(self, account: LocalAccount) -> Sender:
        return Sender(self.connection.w3, account, self.connection.decoder())

    def staff(self, dept: str) -> Sender:
        return self.sender(self.city.departments[dept].staff)

    def reader(self) -> RpcChain:
        c = self.connection
        addresses = ChainAddresses.from_names(
            {n: d.address for n, d in c.deployment.contracts.items()}
        )
        return RpcChain(c.url, addresses, chain_id=c.chain_id)

    def citizen(self, publish_key: bool = True) -> LocalAccount:
        """A new identity (funded only to publish her encryption key, her own ERC-1056 act)."""
        account: LocalAccount = Account.create()
        if publish_key:
            fund(self.devnet, account.address)
            public = coincurve.PrivateKey(account.key).public_key.format(compressed=True)
            registry = self.connection.contract("CitizenRegistry")
            self.sender(account).transact(
                registry.functions.setAttribute(account.address, ENC_KEY, public, YEAR)
            )
        return account

    def attest(self, dept: str, subject: str, schema: str, data: str = "fact") -> bytes:
        registry = self.connection.contract("AttestationRegistry")
        receipt = self.staff(dept).transact(
            registry.functions.attest(
                subject, self.schemas[schema], keccak(text=data), 0, b"\0" * 32
            )
        )
        [log] = registry.events.Attested().process_receipt(receipt)
        return bytes(log["args"]["uid"])

    def elderly(self, subject: str) -> dict[str, bytes]:
        """Her age and residence attested by PSB (the facts the rule needs)."""
        return {
            "age": self.attest("PSB", subject, "age", "born 1955"),
            "residence": self.attest("PSB", subject, "residence", "Hangzhou"),
        }

    def sync(self) -> None:
        c = self.connection
        watched = contracts_from_manifest(
            {n: d.address for n, d in c.deployment.contracts.items()},
            {n: d.block for n, d in c.deployment.contracts.items()},
        )
        Indexer(self.index, RpcLogSource(c.url), watched, confirmations=0).sync()

    def watcher(self) -> Watcher:
        return Watcher(self.connection, self.index, self.box, CIVIL, self.staff("CIVIL"))

    @contextmanager
    def serving(self) -> Iterator[str]:
        with running_node(self.node) as url:
            yield url


def _schema(city: City, fields: str, roles: int) -> bytes:
    c = city.connection
    registry = c.contract("AttestationRegistry")
    admin = Sender(c.w3, city.departments["BDB"].admin, c.decoder())
    fields_hash = bytes(keccak(text=fields))
    admin.transact(registry.functions.registerSchema(fields_hash, roles, b"\0" * 32, True))
    return schema_uid(fields_hash, roles, b"\0" * 32, True)


def build_offers_world(city: City, devnet: Devnet, folder: Path) -> OffersWorld:
    """Schemas, CIVIL's ``elderly`` rule and ``allowance`` service, an empty index and box."""
    c = city.connection
    schemas = {
        "age": _schema(city, "AgedOver60(bool yes)", ROLE_STAFF),
        "residence": _schema(city, "ResidentOf(bytes32 commitment)", ROLE_STAFF),
        "allowance": _schema(city, "ElderlyAllowanceGranted(bytes32 caseId)", ROLE_APPROVER),
    }
    civil = city.departments["CIVIL"]
    relayer = Sender(c.w3, civil.staff, c.decoder())
    book = Rulebook(c, relayer)
    requirements = [
        Requirement(schemas["age"], YEAR, (PSB,)),
        Requirement(schemas["residence"], YEAR, (PSB, CIVIL)),
    ]
    deadline = book.cases.now() + 86400
    name = name_code("elderly")
    book.relay(
        [book.sign(a, "register", CIVIL, name, deadline, requirements) for a in civil.approvers[:2]]
    )
    rid = rule_id(CIVIL, name)
    catalog = Catalog(c, relayer)
    sname = name_code("allowance")
    signed = [
        catalog.sign(a, CIVIL, sname, deadline, rid, schemas["allowance"])
        for a in civil.approvers[:2]
    ]
    catalog.relay(CIVIL, sname, deadline, signed, rid, schemas["allowance"])
    store = Store(sqlite_url(folder / "civil-node.db"))
    addresses = ChainAddresses.from_names({n: d.address for n, d in c.deployment.contracts.items()})
    reader = RpcChain(c.url, addresses, chain_id=c.chain_id)
    return OffersWorld(
        city,
        devnet,
        schemas,
        rid,
        service_id(CIVIL, sname),
        open_database(folder / "index.db"),
        OfferBox(store.engine),
        DataNode(NodeConfig(CIVIL), store, reader),
    )
