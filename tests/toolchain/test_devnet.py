"""The devnet manager: private devnets on free ports, saved state, consortium-style options."""

from __future__ import annotations

from pathlib import Path

import pytest

from govchain.toolchain.devnet import (
    Devnet,
    DevnetConfig,
    DevnetError,
    down,
    free_port,
    read_status,
    rpc,
    up,
)

RICH = "0x00000000000000000000000000000000000000a1"


def test_a_private_devnet_starts_on_a_free_port_and_stops() -> None:
    config = DevnetConfig(port=free_port(), chain_id=4242)
    with Devnet(config) as devnet:
        assert int(str(rpc(devnet.url, "eth_chainId")), 16) == 4242
        process = devnet.process
    assert process is not None and process.poll() is not None


def test_a_port_in_use_is_refused() -> None:
    with (
        Devnet(DevnetConfig(port=free_port())) as devnet,
        pytest.raises(DevnetError, match="in use"),
    ):
        Devnet(DevnetConfig(port=devnet.config.port)).start()


def test_zero_fee_devnet_mines_with_zero_base_fee() -> None:
    with Devnet(DevnetConfig(port=free_port(), zero_fee=True)) as devnet:
        block = rpc(devnet.url, "eth_getBlockByNumber", ["latest", False])
        assert isinstance(block, dict)
        assert int(block["baseFeePerGas"], 16) == 0
        assert int(str(rpc(devnet.url, "eth_gasPrice")), 16) == 0


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    config = DevnetConfig(port=free_port(), state_file=state)
    with Devnet(config) as devnet:
        rpc(devnet.url, "anvil_setBalance", [RICH, hex(123456789)])
        rpc(devnet.url, "evm_mine")
    assert state.is_file()
    with Devnet(DevnetConfig(port=free_port(), state_file=state)) as devnet:
        assert int(str(rpc(devnet.url, "eth_getBalance", [RICH, "latest"])), 16) == 123456789


def test_long_lived_devnet_up_status_down(tmp_path: Path) -> None:
    folder = tmp_path / "devnet"
    record = up(DevnetConfig(port=free_port(), chain_id=777), folder)
    try:
        assert read_status(folder) == record
        assert up(DevnetConfig(port=free_port()), folder)["pid"] == record["pid"]  # no second one
        assert int(str(rpc(str(record["url"]), "eth_chainId")), 16) == 777
    finally:
        assert down(folder) is True
    assert read_status(folder) is None
    assert down(folder) is False
    assert (folder / "state.json").is_file()
