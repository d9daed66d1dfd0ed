"""The official Safe 1.4.1 and 1.5.0 (npm build artifacts, not recompiled) on the suite's
devnet, next to the approvals deployment of tests/approval; each Safe is made by the proxy
factory with the CompatibilityFallbackHandler, as the Safe app makes them. Every test here that
uses ``safe_version`` (through ``safe_contracts`` or directly) runs once per version."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from govchain.network import make_web3
from govchain.safe import SafeWallet
from govchain.toolchain.safe import SAFE_VERSION, SAFE_VERSIONS, SafeDeployment
from govchain.tx import Sender
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    approvals,
    attestations,
    citizen_registry,
    desk,
    rule_registry,
    schemas,
)
from tests.cli.conftest import city, city_run, devnet, env  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def w3(chain: Any) -> Web3:
    return make_web3(str(chain.provider.http_uri))


@pytest.fixture(scope="session")
def relayer(w3: Web3, deployer: Any) -> Sender:
    """A key of its own (so its nonces never race ape's) that deploys and relays Safe calls;
    a fixed one, so the Safe contracts' addresses (hence the benchmarks' calldata) repeat."""
    account: LocalAccount = Account.from_key(keccak(text="govchain safe relayer"))
    deployer.transfer(account.address, 10**20)
    return Sender(w3, account)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """tests/safe runs against every pinned Safe version."""
    if "safe_version" in metafunc.fixturenames:
        metafunc.parametrize("safe_version", SAFE_VERSIONS, ids=[f"safe{v}" for v in SAFE_VERSIONS])


@pytest.fixture
def safe_version() -> str:
    """The Safe version a test outside tests/safe (a benchmark) uses; tests/safe parametrizes it."""
    return SAFE_VERSION


@pytest.fixture(scope="session")
def safe_deployments(relayer: Sender) -> dict[str, SafeDeployment]:
    """Every pinned version deployed once (1.4.1 first, so its addresses stay what they were)."""
    return {v: SafeDeployment.deploy(relayer, v) for v in SAFE_VERSIONS}


@pytest.fixture
def safe_contracts(
    safe_deployments: dict[str, SafeDeployment], safe_version: str
) -> SafeDeployment:
    return safe_deployments[safe_version]


def local(account: Any) -> LocalAccount:
    """An ape test account as an eth-account key (to sign off chain)."""
    key: LocalAccount = Account.from_key(account.private_key)
    return key


def make_safe(
    deployment: SafeDeployment, relayer: Sender, owners: list[LocalAccount], threshold: int
) -> SafeWallet:
    return deployment.create(relayer, [o.address for o in owners], threshold)
