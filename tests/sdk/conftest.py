"""SDK fixtures: a real anvil per test module (no chain mocks), fresh funded keys per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from govchain.artifacts import Artifacts, load_artifacts
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from tests.sdk.chainhelpers import deadline_checker_initcode, funded


@pytest.fixture(autouse=True)
def utc_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Explanations print times as dates in the chosen zone: UTC here, whatever the machine."""
    monkeypatch.setenv("GOVCHAIN_TZ", "UTC")


@pytest.fixture(scope="module")
def devnet() -> Iterator[Devnet]:
    with Devnet(DevnetConfig(port=free_port())) as running:
        yield running


@pytest.fixture(scope="module")
def w3(devnet: Devnet) -> Web3:
    return Web3(Web3.HTTPProvider(devnet.url))


@pytest.fixture
def account(w3: Web3) -> LocalAccount:
    return funded(w3)


@pytest.fixture(scope="module")
def checker(w3: Web3) -> ChecksumAddress:
    """A deployed deadline checker (see ``deadline_checker_initcode``)."""
    owner = funded(w3)
    signed = owner.sign_transaction(
        {
            "data": deadline_checker_initcode(),
            "nonce": 0,
            "gas": 200_000,
            "gasPrice": w3.eth.gas_price * 2,
            "chainId": w3.eth.chain_id,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    address = receipt["contractAddress"]
    assert address is not None
    return address


@pytest.fixture(scope="session")
def artifacts() -> Artifacts:
    return load_artifacts()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private govchain home with cheap keystore encryption (tests only)."""
    folder = tmp_path / "govchain-home"
    monkeypatch.setenv("GOVCHAIN_HOME", str(folder))
    monkeypatch.setenv("GOVCHAIN_KDF", "pbkdf2")
    monkeypatch.setenv("GOVCHAIN_KDF_ITERATIONS", "2")
    monkeypatch.delenv("GOVCHAIN_PASSPHRASE", raising=False)
    monkeypatch.delenv("GOVCHAIN_RPC", raising=False)
    return folder
