"""The official Safe contracts on a devnet, from npm's build artifacts (tests, benchmarks).

``@safe-global/safe-contracts`` 1.4.1 (pinned in package.json) ships the bytecode it was
audited and deployed with (``build/artifacts/.../*.json``). :class:`SafeDeployment` deploys the
``Safe`` singleton, the ``SafeProxyFactory`` and the ``CompatibilityFallbackHandler`` from those
files as they are (no recompiling), and :meth:`SafeDeployment.create` makes a Safe proxy with
owners, a threshold and the fallback handler that answers ERC-1271, as the Safe app does.
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

SAFE_VERSION = "1.4.1"
PACKAGE = NODE_MODULES / "@safe-global" / "safe-contracts"
ARTIFACTS = {
    "Safe": "contracts/Safe.sol/Safe.json",
    "SafeProxyFactory": "contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "CompatibilityFallbackHandler": (
        "contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"
    ),
}


class SafeArtifactsMissing(RuntimeError):
    """node_modules has no (or another version of) @safe-global/safe-contracts."""


@cache
def artifact(name: str, package: Path = PACKAGE) -> dict[str, Any]:
    """The npm build artifact of ``name`` (abi, bytecode), checked to be Safe 1.4.1's."""
    try:
        version = json.loads((package / "package.json").read_text())["version"]
        data: dict[str, Any] = json.loads(
            (package / "build" / "artifacts" / ARTIFACTS[name]).read_text()
        )
    except (OSError, KeyError, ValueError) as exc:
        raise SafeArtifactsMissing(
            f"@safe-global/safe-contracts is not in {package.parent.parent} (run 'npm ci'): {exc}"
        ) from None
    if version != SAFE_VERSION:
        raise SafeArtifactsMissing(f"@safe-global/safe-contracts is {version}, not {SAFE_VERSION}")
    return data


@dataclass(frozen=True)
class SafeDeployment:
    """The singleton, the proxy factory and the fallback handler on one chain."""

    singleton: str
    factory: str
    handler: str

    @classmethod
    def deploy(cls, sender: Sender) -> SafeDeployment:
        """Deploy the three contracts from their npm artifacts with ``sender``."""
        addresses = []
        for name in ("Safe", "SafeProxyFactory", "CompatibilityFallbackHandler"):
            a = artifact(name)
            receipt = sender.deploy(a["abi"], bytes.fromhex(a["bytecode"][2:]))
            addresses.append(validate.address(receipt["contractAddress"]))
        return cls(*addresses)

    def create(
        self, sender: Sender, owners: Sequence[str], threshold: int, salt: int = 0
    ) -> SafeWallet:
        """A new Safe proxy owned by ``owners`` with ``threshold``, its fallback handler set."""
        w3: Web3 = sender.w3
        singleton = w3.eth.contract(
            address=validate.address(self.singleton), abi=artifact("Safe")["abi"]
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
            address=validate.address(self.factory), abi=artifact("SafeProxyFactory")["abi"]
        )
        receipt = sender.transact(
            factory.functions.createProxyWithNonce(
                singleton.address, bytes.fromhex(encode_call(setup)[2:]), salt
            )
        )
        [created] = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
        return SafeWallet(w3, created["args"]["proxy"])
