"""One reference city per test process, shared by every module that uses it (issue 20).

Building the city (deploy, seven departments staffed, 42 keys saved) took a module about 2.5 s
of CPU, and 45 modules each built their own on their own anvil. Now a test process builds it
once, on one anvil of its own (the ``shared_city`` session fixture of tests/conftest.py), and
takes an ``evm_snapshot``. Each module that uses the city starts from that snapshot:
:meth:`SharedCity.reset` reverts the chain to it, puts the city's home folder (keystores,
deployment manifest) back as it was built, and moves the chain's clock to now. A module sees
exactly what a city built for it alone showed, plus one empty block at the current time (a
fresh city's last block was minutes old at most; the shared one's may be older).

What a module leaves behind does not reach the next one: its chain state is reverted, its files
in the city home are replaced, and the processes it started are its module fixtures', stopped
before the next module starts (:meth:`SharedCity.reset` refuses to start a module while a process
the previous one started is still connected to the chain).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from eth_account import Account

from govchain.keystore import Keystore
from govchain.network import Connection
from govchain.reference import City, build_city
from govchain.toolchain.devnet import Devnet, rpc

CITY_PASSPHRASE = "city passphrase"


def fund(devnet: Devnet, address: str, wei: int = 10**21) -> None:
    rpc(devnet.url, "anvil_setBalance", [address, hex(wei)])


def build(devnet: Devnet, home: Path) -> City:
    """The reference city (7 departments, council of 3) on ``devnet``, its keys in ``home``."""
    connection = Connection.open(devnet.url, home)
    deployer = Account.create()
    fund(devnet, deployer.address)
    return build_city(
        connection,
        deployer,
        lambda address: fund(devnet, address),
        keystore=Keystore(home, kdf="pbkdf2", iterations=2),
        passphrase=CITY_PASSPHRASE,
    )


def clients_of(port: int) -> dict[int, str]:
    """This process's living descendants connected to ``port`` on this host: pid -> command."""
    found: dict[int, str] = {}
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if any(c.raddr and c.raddr.port == port for c in child.net_connections("tcp")):
                found[child.pid] = " ".join(child.cmdline())[:200]
        except psutil.Error:
            continue
    return found


@dataclass
class SharedCity:
    """The city built once on ``devnet``; :meth:`reset` gives a module the city as built."""

    devnet: Devnet
    city: City
    home: Path
    pristine: Path  # a copy of ``home`` as the city was built
    snapshot: str = field(init=False)

    def __post_init__(self) -> None:
        shutil.copytree(self.home, self.pristine, symlinks=True, dirs_exist_ok=True)
        self.snapshot = str(rpc(self.devnet.url, "evm_snapshot", []))

    @classmethod
    def start(cls, devnet: Devnet, home: Path, pristine: Path) -> SharedCity:
        return cls(devnet, build(devnet, home), home, pristine)

    def reset(self) -> None:
        """The chain and the home as the city was built; the chain's clock at the wall clock."""
        url = self.devnet.url
        deadline = time.monotonic() + 5
        while left := clients_of(self.devnet.config.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"a process of the previous module still uses the chain: {left}")
            time.sleep(0.1)
        if rpc(url, "evm_revert", [self.snapshot]) is not True:
            raise RuntimeError(f"the shared city's snapshot {self.snapshot} was lost")
        # anvil's snapshots are single-use: take the next one at the same state, before the
        # clock moves, so every module reverts to exactly the built city
        self.snapshot = str(rpc(url, "evm_snapshot", []))
        shutil.rmtree(self.home)
        shutil.copytree(self.pristine, self.home, symlinks=True)
        rpc(url, "anvil_setTime", [int(time.time())])
        rpc(url, "evm_mine", [])


def module_uses(request: pytest.FixtureRequest, fixture: str) -> bool:
    """Whether any test of the requesting module uses ``fixture`` (directly or through others)."""
    module = request.node
    return any(
        fixture in getattr(item, "fixturenames", ())
        for item in request.session.items
        if item.getparent(pytest.Module) is module
    )


def shared_city_of(request: pytest.FixtureRequest) -> SharedCity | None:
    """The process's shared city when the requesting module uses the city and the suite has the
    ``shared_city`` fixture (the tests do; the benchmarks build a city per module)."""
    if not module_uses(request, "city"):
        return None
    try:
        shared = request.getfixturevalue("shared_city")
    except pytest.FixtureLookupError:
        return None
    assert isinstance(shared, SharedCity)
    return shared
