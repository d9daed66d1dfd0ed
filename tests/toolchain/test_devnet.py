"""The devnet manager: private devnets on free ports, saved state, consortium-style options."""

from __future__ import annotations

from pathlib import Path
from typing import cast

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


# --- anvil's old states: written to a private cache path, removed when it stops ---------------
# anvil keeps ~500 states in memory and writes each older one to an ``anvil-state-*`` folder
# under its cache path, which it never removes itself (by default ~/.foundry/anvil/tmp).
BLOCKS_PAST_MEMORY = 560


def mine_changing_blocks(url: str, count: int = BLOCKS_PAST_MEMORY) -> None:
    """``count`` blocks, each one transfer of 1 wei to RICH: its balance at block n is n. Mined
    by hand (under load, automine can put two quick transfers in one block)."""
    sender = str(cast(list[str], rpc(url, "eth_accounts"))[0])
    transfer = {"from": sender, "to": RICH, "value": "0x1"}
    rpc(url, "evm_setAutomine", [False])
    for _ in range(count):
        rpc(url, "eth_sendTransaction", [transfer])
        rpc(url, "evm_mine")
    rpc(url, "evm_setAutomine", [True])


def written_states(cache: Path) -> list[Path]:
    return [state for folder in cache.glob("anvil-state-*") for state in folder.iterdir()]


def balance_at(url: str, block: int) -> int:
    return int(str(rpc(url, "eth_getBalance", [RICH, hex(block)])), 16)


def test_old_states_stay_readable_and_their_folder_goes_when_the_devnet_stops() -> None:
    with Devnet(DevnetConfig(port=free_port())) as devnet:
        mine_changing_blocks(devnet.url)
        cache = devnet.cache
        assert cache is not None and written_states(cache)  # anvil wrote old states, there
        assert balance_at(devnet.url, 1) == 1  # a state anvil wrote to disk, read back
        assert balance_at(devnet.url, BLOCKS_PAST_MEMORY) == BLOCKS_PAST_MEMORY
    assert not cache.exists()


def test_a_killed_devnet_leaves_no_states_behind() -> None:
    devnet = Devnet(DevnetConfig(port=free_port())).start()
    mine_changing_blocks(devnet.url)
    cache = devnet.cache
    assert cache is not None and written_states(cache)
    assert devnet.process is not None
    devnet.process.kill()  # anvil gets no chance to clean up (it would not anyway)
    devnet.process.wait()
    assert written_states(cache)
    devnet.stop()
    assert not cache.exists()


def test_the_long_lived_devnet_empties_its_cache_folder_when_it_stops(tmp_path: Path) -> None:
    folder = tmp_path / "devnet"
    record = up(DevnetConfig(port=free_port()), folder)
    try:
        mine_changing_blocks(str(record["url"]))
        assert written_states(folder / "cache")
    finally:
        assert down(folder) is True
    assert not (folder / "cache").exists()
    assert (folder / "state.json").is_file()  # the state it keeps on purpose
