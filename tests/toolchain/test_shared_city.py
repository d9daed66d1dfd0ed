"""The shared reference city gives every module the city as built (tests/shared_city.py).

These tests reset the process's shared city themselves; every module that uses the city resets
it again when it starts, so what they leave does not reach one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from eth_account import Account

from govchain.toolchain.devnet import rpc
from tests.shared_city import SharedCity


def latest(url: str) -> tuple[int, int]:
    block: Any = rpc(url, "eth_getBlockByNumber", ["latest", False])
    return int(block["number"], 16), int(block["timestamp"], 16)


def test_a_reset_undoes_the_chain_the_clock_and_the_home(shared_city: SharedCity) -> None:
    shared_city.reset()
    url = shared_city.devnet.url
    number, _ = latest(url)
    keys = sorted(p.name for p in shared_city.home.rglob("*"))
    registry = shared_city.city.connection.contract("DepartmentRegistry")
    assert len(keys) > 42 and registry.address

    stranger = Account.create().address
    rpc(url, "anvil_setBalance", [stranger, hex(10**18)])
    rpc(url, "evm_increaseTime", [30 * 86_400])
    for _ in range(3):
        rpc(url, "evm_mine", [])
    (shared_city.home / "left-behind.json").write_text("{}")
    next(p for p in shared_city.home.rglob("*") if p.is_file()).write_text("changed")

    shared_city.reset()
    assert latest(url)[0] == number
    assert abs(latest(url)[1] - time.time()) < 60
    assert rpc(url, "eth_getBalance", [stranger, "latest"]) == "0x0"
    assert sorted(p.name for p in shared_city.home.rglob("*")) == keys
    assert all(p.read_text() != "changed" for p in shared_city.home.rglob("*") if p.is_file()), (
        "a file of the city home kept a module's change"
    )
    assert rpc(url, "eth_getCode", [registry.address, "latest"]) != "0x"


def test_a_process_left_on_the_chain_stops_the_next_module(shared_city: SharedCity) -> None:
    port = shared_city.devnet.config.port
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import socket, time; s = socket.create_connection(('127.0.0.1', {port})); "
         "print('connected', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "connected"
        with pytest.raises(RuntimeError, match="still uses the chain"):
            shared_city.reset()
    finally:
        holder.kill()
        holder.wait()
    shared_city.reset()
