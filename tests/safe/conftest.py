"""The official Safe 1.4.1 (npm build artifacts, not recompiled) on the suite's devnet, next to
the approvals deployment of tests/approval; each Safe is made by the proxy factory with the
CompatibilityFallbackHandler, as the Safe app makes them."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from govchain.network import make_web3
from govchain.safe import SafeWallet
from govchain.toolchain.safe import SafeDeployment
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


@pytest.fixture(scope="session")
def safe_contracts(relayer: Sender) -> SafeDeployment:
    return SafeDeployment.deploy(relayer)


def local(account: Any) -> LocalAccount:
    """An ape test account as an eth-account key (to sign off chain)."""
    key: LocalAccount = Account.from_key(account.private_key)
    return key


def make_safe(
    deployment: SafeDeployment, relayer: Sender, owners: list[LocalAccount], threshold: int
) -> SafeWallet:
    return deployment.create(relayer, [o.address for o in owners], threshold)
