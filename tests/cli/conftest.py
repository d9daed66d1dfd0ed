"""CLI fixtures: a real anvil, a private govchain home, and a runner that keeps stderr apart."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from govchain.cli import cli
from govchain.keystore import Keystore
from govchain.reference import City
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port, rpc
from tests.shared_city import CITY_PASSPHRASE, build, fund, shared_city_of

__all__ = ["CITY_PASSPHRASE", "fund"]

PASSPHRASE = "correct horse"


@pytest.fixture(scope="module")
def devnet(request: pytest.FixtureRequest) -> Iterator[Devnet]:
    """The module's anvil: its own, or, for a module that uses the reference city, the test
    process's shared one, reverted to the city as it was built (tests/shared_city.py)."""
    shared = shared_city_of(request)
    if shared is not None:
        shared.reset()
        yield shared.devnet
        return
    with Devnet(DevnetConfig(port=free_port())) as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private home with cheap keystore encryption; no passphrase unless a test sets one."""
    values = {
        "GOVCHAIN_HOME": str(tmp_path / "home"),
        "GOVCHAIN_KDF": "pbkdf2",
        "GOVCHAIN_KDF_ITERATIONS": "2",
        "GOVCHAIN_DEVNET_DIR": str(tmp_path / "devnet"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("GOVCHAIN_PASSPHRASE", "GOVCHAIN_RPC", "GOVCHAIN_KEY", "GOVCHAIN_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    return values


@dataclass
class Run:
    """Runs ``govchain`` in-process with click's CliRunner."""

    rpc: str | None = None

    def __call__(self, *args: str, input: str | None = None, rpc_url: bool = True) -> Result:
        argv: Sequence[str] = list(args)
        if self.rpc and rpc_url:
            argv = ["--rpc", self.rpc, *argv]
        return CliRunner(mix_stderr=False).invoke(cli, argv, input=input, catch_exceptions=False)

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self("--json", *args, input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def run(env: dict[str, str], devnet: Devnet) -> Run:
    return Run(devnet.url)


@pytest.fixture
def offline(env: dict[str, str]) -> Run:
    """A runner pointed at a port where nothing listens."""
    return Run(f"http://127.0.0.1:{free_port()}")


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code``, exactly one line on stderr starting 'error:', no traceback."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- a deployed, staffed reference city for the contract commands --------------------------


@dataclass
class CityRun(Run):
    """A runner on the city's devnet and home; keys unlock with CITY_PASSPHRASE."""

    city: City | None = None
    home: Path | None = None

    @property
    def platform(self) -> City:
        assert self.city is not None
        return self.city


@pytest.fixture(scope="module")
def city(
    devnet: Devnet, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[City, Path]:
    """The reference city (7 departments, council of 3) as deployed and staffed, with its home
    (keystores named ``hrss-admin``...): the test process's shared city, reverted for this module
    (the ``devnet`` fixture did that), or, where the suite has none (benchmarks), one built here."""
    shared = shared_city_of(request)
    if shared is not None and shared.devnet is devnet:
        return shared.city, shared.home
    home = tmp_path_factory.mktemp("city-home")
    return build(devnet, home), home


@pytest.fixture
def city_run(
    city: tuple[City, Path], devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CityRun]:
    """Run commands as the city's members (``--key hrss-admin``); chain state reverts after."""
    built, home = city
    monkeypatch.setenv("GOVCHAIN_HOME", str(home))
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", CITY_PASSPHRASE)
    for name in ("GOVCHAIN_RPC", "GOVCHAIN_KEY", "GOVCHAIN_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    snapshot = rpc(devnet.url, "evm_snapshot", [])
    yield CityRun(devnet.url, built, home)
    rpc(devnet.url, "evm_revert", [snapshot])


def new_key(city_run: CityRun, prefix: str) -> tuple[str, str]:
    """A fresh funded key saved in the city's keystore: (keystore name, address)."""
    account = Account.create()
    name = f"{prefix}-{account.address[2:10].lower()}"
    Keystore(city_run.home, kdf="pbkdf2", iterations=2).new(
        name, CITY_PASSPHRASE, private_key=account.key
    )
    assert city_run.rpc is not None
    rpc(city_run.rpc, "anvil_setBalance", [account.address, hex(10**21)])
    return name, account.address
