"""The official Safe 1.4.1 and 1.5.0 (npm build artifacts, not recompiled) on the suite's
devnet, next to an approvals deployment of this folder's own; each Safe is made by the proxy
factory with the CompatibilityFallbackHandler, as the Safe app makes them. Every test here that
uses ``safe_version`` (through ``safe_contracts`` or directly) runs once per version.

The approvals deployment here (a CitizenRegistry, AttestationRegistry, RuleRegistry and
CaseApprovals) is this folder's own *module* fixture ``safe_suite``, a name no other folder uses;
``citizen_registry`` and ``approvals`` are per-test views of it. Why not tests/approval's
fixtures imported under their own names: ape 0.8.51 keeps track of the fixtures set up before
its chain snapshots by *name*. A second session fixture called ``citizen_registry`` (an import
registers one per folder) looked to ape like the one another folder had already set up, so ape
did not revert to before the module's snapshot to set it up, and it was deployed inside the
module's snapshot: the module's end reverted the deployment while pytest kept the address for
the rest of the session. A later module found nothing there, or whatever the deployer had
deployed next at the same nonce (CI: ``changeOwner`` "execution reverted" with no data). A
new name (s27) made it rarer, not impossible: the same failure came back once in s29
(``test_safe_owner_kinds.py``'s last test, the only one of its module that asks for the suite,
on one worker of a fresh-clone run; both Safe versions; it passes alone and with its folder).
A session fixture first asked for in the middle of a module is set up inside that module's
snapshot whenever ape's rebasing does not step back first, which depends on what the worker
ran before. So the suite is deployed per module: inside the module's snapshot on purpose, and
reverted with it, whatever ran before (four deployments per module that asks for it)."""

from __future__ import annotations

from dataclasses import dataclass
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
from tests.approval.conftest import RULE_SIGNATURES, desk  # noqa: F401 (desk: a fixture)
from tests.cli.conftest import city, city_run, devnet, env  # noqa: F401 (fixtures)


@dataclass(frozen=True)
class SafeSuite:
    """The approvals deployment of tests/safe (see the module's docstring)."""

    citizen_registry: Any
    attestations: Any
    rule_registry: Any
    approvals: Any


@pytest.fixture(scope="module")
def safe_suite(project: Any, deployer: Any, departments: Any) -> SafeSuite:
    """CaseApprovals wired into its own CitizenRegistry, AttestationRegistry and RuleRegistry, as
    tests/approval deploys them; per module, under a fixture name of this folder only."""
    citizens = project.CitizenRegistry.deploy(departments, sender=deployer)
    attestations = project.AttestationRegistry.deploy(departments, sender=deployer)
    rules = project.RuleRegistry.deploy(departments, attestations, RULE_SIGNATURES, sender=deployer)
    approvals = project.CaseApprovals.deploy(
        departments, citizens, attestations, rules, sender=deployer
    )
    attestations.setApprovalModule(approvals, sender=deployer)
    return SafeSuite(citizens, attestations, rules, approvals)


@pytest.fixture
def citizen_registry(safe_suite: SafeSuite) -> Any:
    return safe_suite.citizen_registry


@pytest.fixture
def approvals(safe_suite: SafeSuite) -> Any:
    return safe_suite.approvals


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
