"""Shared set-up of the data-node CLI tests: a catalog, HRSS records anchored, a citizen's grant.

``world`` (module scope, made before ``city_run`` takes its snapshot, so it stays for the
module): HRSS registers three categories, publishes and anchors records in a SQLite store,
citizen ``alice`` (keystore ``alice`` in the city home) grants CIVIL her pension. Each test
serves its own copy of the store (:func:`serving`), so planted edits and serve logs stay in
the test; the endpoint it registers on chain is reverted with the test's snapshot.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.keystore import Keystore
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.reference import City
from govchain.sharing import LegalBasis, SharingClass, category_code, grant_id, grant_tuple
from govchain.toolchain.devnet import Devnet
from govchain.tx import Sender
from tests.cli.conftest import CITY_PASSPHRASE, fund
from tests.node.helpers import running_node

HRSS = category_code("HRSS")
CIVIL = category_code("CIVIL")
PENSION = category_code("HRSS.PENSION")
POLICY = category_code("HRSS.POLICY")
BANK = category_code("HRSS.BANK_ACCOUNT")
PURPOSE = b"\x9a" * 32
DAY = 86_400


def rid(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


@dataclass
class World:
    city: City
    home: Path
    store_path: Path
    addresses: ChainAddresses
    alice: LocalAccount
    bob: LocalAccount
    terms: dict[str, Any]
    grant: bytes
    ids: dict[str, bytes]

    def sender(self, account: LocalAccount) -> Sender:
        c = self.city.connection
        return Sender(c.w3, account, c.decoder())

    def contract(self, name: str) -> Any:
        return self.city.connection.contract(name)

    def reader(self) -> RpcChain:
        c = self.city.connection
        return RpcChain(c.url, self.addresses, chain_id=c.chain_id)

    def copy_store(self, folder: Path) -> Path:
        target = folder / "hrss.db"
        shutil.copy(self.store_path, target)
        return target


@pytest.fixture(scope="module")
def world(
    city: tuple[City, Path], devnet: Devnet, tmp_path_factory: pytest.TempPathFactory
) -> World:
    built, home = city
    connection = built.connection
    hrss = built.departments["HRSS"]
    admin = Sender(connection.w3, hrss.admin, connection.decoder())
    catalog = connection.contract("AnchorRegistry")
    for code, sharing, sensitive in (
        (PENSION, SharingClass.CONDITIONAL, False),
        (POLICY, SharingClass.UNCONDITIONAL, False),
        (BANK, SharingClass.CONDITIONAL, True),
    ):
        admin.transact(
            catalog.functions.registerCategory(code, int(sharing), sensitive, b"\x5c" * 32, 0)
        )
    keystore = Keystore(home, kdf="pbkdf2", iterations=2)
    alice, bob = Account.create(), Account.create()
    for name, account in (("alice", alice), ("bob", bob)):
        fund(devnet, account.address)
        keystore.new(name, CITY_PASSPHRASE, private_key=account.key)
    addresses = ChainAddresses.from_names(
        {n: c.address for n, c in connection.deployment.contracts.items()}
    )
    path = tmp_path_factory.mktemp("hrss-store") / "hrss.db"
    store = Store(sqlite_url(path))
    pub = Publisher(store, b"HRSS".ljust(32, b"\0"))
    ids = {"pension": rid("pension-alice"), "policy": rid("policy-2026"), "bank": rid("bank-alice")}
    pub.publish(PENSION, ids["pension"], {"monthly": 3120}, subject=alice.address)
    pub.publish(PENSION, ids["pension"], {"monthly": 3260}, subject=alice.address)
    pub.publish(BANK, ids["bank"], {"iban": "CN00 1234"}, subject=alice.address)
    pub.publish(POLICY, ids["policy"], b"pension policy text", mode=BATCH)
    for i in range(4):
        ids[f"bob-{i}"] = rid(f"pension-bob-{i}")
        pub.publish(PENSION, ids[f"bob-{i}"], {"month": i}, subject=bob.address, mode=BATCH)
    sink = ChainAnchorSink(connection.w3, addresses, hrss.staff, connection.decoder())
    assert AnchorWorker(store, sink).drain() == 8
    store.dispose()
    now = int(time.time())
    terms = {
        "subject": alice.address,
        "grantee": CIVIL,
        "owner": HRSS,
        "categories": [PENSION],
        "purposeHash": PURPOSE,
        "basis": LegalBasis.CONSENT,
        "validFrom": now - 60,
        "validUntil": now + 30 * DAY,
        "maxUses": 0,
        "nonce": 1,
    }
    grants = connection.contract("AccessGrants")
    Sender(connection.w3, alice, connection.decoder()).transact(
        grants.functions.grant(grant_tuple(terms))
    )
    return World(built, home, path, addresses, alice, bob, terms, grant_id(terms), ids)


@contextmanager
def serving(world: World, folder: Path, register: bool = True) -> Iterator[tuple[str, Path]]:
    """Serves a copy of the HRSS store on a free port (endpoint registered on chain)."""
    path = world.copy_store(folder)
    store = Store(sqlite_url(path))
    node = DataNode(NodeConfig(HRSS), store, world.reader())
    try:
        with running_node(node) as url:
            if register:
                registry = world.contract("DepartmentRegistry")
                world.sender(world.city.departments["HRSS"].admin).transact(
                    registry.functions.setEndpoint(url)
                )
            yield url, path
    finally:
        store.dispose()
