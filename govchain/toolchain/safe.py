"""The official Safe contracts on a devnet, from npm's build artifacts (tests, benchmarks).

Two versions, both pinned in package.json, each shipping the bytecode it was audited and
deployed with (``build/artifacts/.../*.json``): Safe 1.4.1 in ``@safe-global/safe-contracts``
1.4.1, and Safe 1.5.0 in ``@safe-global/safe-smart-account`` 1.5.0 (the package was renamed).
:class:`SafeDeployment` deploys one version's ``Safe`` singleton, ``SafeProxyFactory`` and
``CompatibilityFallbackHandler`` from those files as they are (no recompiling), and
:meth:`SafeDeployment.create` makes a Safe proxy with owners, a threshold and the fallback
handler that answers ERC-1271, as the Safe app does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.logs import DISCARD

from govchain import validate
from govchain.safe import ZERO_ADDRESS, SafeWallet
from govchain.toolchain.paths import NODE_MODULES
from govchain.tx import Sender, encode_call

SAFE_VERSION = "1.4.1"  # the default version
#: Safe version -> the npm package that ships its build artifacts.
PACKAGES = {
    "1.4.1": NODE_MODULES / "@safe-global" / "safe-contracts",
    "1.5.0": NODE_MODULES / "@safe-global" / "safe-smart-account",
}
SAFE_VERSIONS = tuple(PACKAGES)
ARTIFACTS = {
    "Safe": "contracts/Safe.sol/Safe.json",
    "SafeProxyFactory": "contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "CompatibilityFallbackHandler": (
        "contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"
    ),
}


class SafeArtifactsMissing(RuntimeError):
    """node_modules has no (or another version of) the npm package of a pinned Safe version."""


@cache
def artifact(name: str, version: str = SAFE_VERSION) -> dict[str, Any]:
    """The npm build artifact of ``name`` (abi, bytecode) of Safe ``version``, checked to be
    that version's package."""
    if version not in PACKAGES:
        raise SafeArtifactsMissing(f"Safe {version} is not pinned (pinned: {', '.join(PACKAGES)})")
    package: Path = PACKAGES[version]
    try:
        found = json.loads((package / "package.json").read_text())["version"]
        data: dict[str, Any] = json.loads(
            (package / "build" / "artifacts" / ARTIFACTS[name]).read_text()
        )
    except (OSError, KeyError, ValueError) as exc:
        raise SafeArtifactsMissing(
            f"{package.parent.name}/{package.name} is not in {package.parent.parent} "
            f"(run 'npm ci'): {exc}"
        ) from None
    if found != version:
        raise SafeArtifactsMissing(
            f"{package.parent.name}/{package.name} is {found}, not {version}"
        )
    return data


@dataclass(frozen=True)
class SafeDeployment:
    """The singleton, the proxy factory and the fallback handler of one Safe version on one
    chain."""

    singleton: str
    factory: str
    handler: str
    version: str = SAFE_VERSION

    @classmethod
    def deploy(cls, sender: Sender, version: str = SAFE_VERSION) -> SafeDeployment:
        """Deploy Safe ``version``'s three contracts from their npm artifacts with ``sender``."""
        addresses = []
        for name in ("Safe", "SafeProxyFactory", "CompatibilityFallbackHandler"):
            a = artifact(name, version)
            receipt = sender.deploy(a["abi"], bytes.fromhex(a["bytecode"][2:]))
            addresses.append(validate.address(receipt["contractAddress"]))
        singleton, factory, handler = addresses
        return cls(singleton, factory, handler, version)

    def create(
        self, sender: Sender, owners: Sequence[str], threshold: int, salt: int = 0
    ) -> SafeWallet:
        """A new Safe proxy owned by ``owners`` with ``threshold``, its fallback handler set."""
        w3: Web3 = sender.w3
        singleton = w3.eth.contract(
            address=validate.address(self.singleton), abi=artifact("Safe", self.version)["abi"]
        )
        setup = singleton.functions.setup(
            [validate.address(o) for o in owners],
            threshold,
            ZERO_ADDRESS,
            b"",
            validate.address(self.handler),
            ZERO_ADDRESS,
            0,
            ZERO_ADDRESS,
        )
        factory = w3.eth.contract(
            address=validate.address(self.factory),
            abi=artifact("SafeProxyFactory", self.version)["abi"],
        )
        receipt = sender.transact(
            factory.functions.createProxyWithNonce(
                singleton.address, bytes.fromhex(encode_call(setup)[2:]), salt
            )
        )
        [created] = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
        return SafeWallet(w3, created["args"]["proxy"])
