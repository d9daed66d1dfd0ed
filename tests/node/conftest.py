"""Data-node fixtures: the sharing deployment, an HRSS store with anchored records, a live node.

Chain state made by module-scoped fixtures (anchors) stays for the module; each test's grants,
access records and time moves are reverted by ape's isolation. The store is a file per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from govchain.network import make_web3
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.sharing import category_code
from tests.helpers import code
from tests.node.helpers import running_node
from tests.sharing.conftest import (  # noqa: F401 (fixtures)
    CATALOG,
    DAY,
    SCHEMA,
    catalog,
    cats,
    grants,
    grants_domain,
    make_terms,
    registry,
)

HRSS = code("HRSS")
CIVIL = code("CIVIL")
PENSION = category_code("HRSS.PENSION")
BANK = category_code("HRSS.BANK_ACCOUNT")
POLICY = category_code("HRSS.POLICY")


def rid(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def local(account: Any) -> LocalAccount:
    """The eth-account key of an ape test account."""
    key: LocalAccount = Account.from_key(account.private_key)
    return key


@pytest.fixture(scope="session")
def rpc_url(chain: Any) -> str:
    return str(chain.provider.http_uri)


@pytest.fixture(scope="session")
def w3(rpc_url: str) -> Web3:
    return make_web3(rpc_url)


@pytest.fixture(scope="session")
def addresses(departments: Any, grants: Any, catalog: Any, registry: Any) -> ChainAddresses:  # noqa: F811
    return ChainAddresses(departments.address, grants.address, catalog.address, registry.address)


@pytest.fixture(scope="session")
def reader(rpc_url: str, addresses: ChainAddresses, chain: Any) -> RpcChain:
    return RpcChain(rpc_url, addresses, chain_id=chain.chain_id)


@dataclass
class Holdings:
    """The HRSS store and what is in it."""

    store: Store
    citizen: Any  # pension and bank records are about citizens[0]
    other: Any  # citizens[1]: batch-anchored pension
    ids: dict[str, bytes]


@pytest.fixture(scope="module")
def hrss(
    tmp_path_factory: pytest.TempPathFactory,
    w3: Web3,
    addresses: ChainAddresses,
    depts: Any,
    citizens: list[Any],
    cats: Any,  # noqa: F811
) -> Iterator[Holdings]:
    path: Path = tmp_path_factory.mktemp("hrss") / "hrss.db"
    store = Store(sqlite_url(path))
    pub = Publisher(store, HRSS)
    alice, bob = citizens[0], citizens[1]
    ids = {
        "pension": rid("pension-alice"),
        "bank": rid("bank-alice"),
        "policy": rid("policy-2026"),
        "tamper": rid("pension-alice-copy"),
    }
    pub.publish(
        PENSION, ids["pension"], {"monthly": 3120, "since": "2019-04"}, subject=alice.address
    )
    pub.publish(
        PENSION, ids["pension"], {"monthly": 3260, "since": "2019-04"}, subject=alice.address
    )
    pub.publish(BANK, ids["bank"], {"iban": "CN00 1234"}, subject=alice.address)
    pub.publish(POLICY, ids["policy"], b"pension policy text", mode=BATCH)
    pub.publish(PENSION, ids["tamper"], {"monthly": 1000}, subject=alice.address)
    for i in range(5):
        key = f"batch-{i}"
        ids[key] = rid(f"pension-bob-{i}")
        pub.publish(
            PENSION, ids[key], {"month": i, "paid": 3000 + i}, subject=bob.address, mode=BATCH
        )
    sink = ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))
    assert AnchorWorker(store, sink).drain() == 10
    yield Holdings(store, alice, bob, ids)
    store.dispose()


@pytest.fixture(scope="module")
def node(hrss: Holdings, reader: RpcChain) -> DataNode:
    return DataNode(NodeConfig(HRSS, max_body_bytes=8192), hrss.store, reader)


@pytest.fixture(scope="module")
def node_url(node: DataNode) -> Iterator[str]:
    with running_node(node) as url:
        yield url


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


@pytest.fixture
def civil_staff(depts: Any) -> Any:
    return depts["CIVIL"].staff
