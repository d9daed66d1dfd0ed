"""The test workers' anvil (govchain.toolchain.testanvil): started without opcode-step
recording and without a log line per request; a trace switch or the benchmarks bring the steps
back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ape
import pytest

from govchain.toolchain import testanvil

ANVIL = ["anvil", "--port", "8545", "--steps-tracing", "--block-base-fee-per-gas", "0"]


def _worker_anvil_command() -> list[str]:
    pid = ape.chain.provider.process.pid
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")


def _needs_default_anvil() -> None:
    if testanvil.wants_steps():  # a trace switch of this run brought the steps back
        pytest.skip("a trace switch is set: this worker's anvil records steps on purpose")


def test_the_workers_anvil_runs_without_steps_and_silent() -> None:
    _needs_default_anvil()
    command = _worker_anvil_command()
    assert command[0].endswith("anvil")
    assert testanvil.STEPS_FLAG not in command
    assert testanvil.SILENT_FLAG in command
    assert "--mnemonic" in command  # the rest of ape-foundry's command is kept


def test_no_step_is_recorded_and_a_revert_is_still_named(project: Any, accounts: Any) -> None:
    _needs_default_anvil()
    probe = accounts[0].deploy(project.MemoryCopyProbe)
    receipt = probe.slice.transact(b"abcdef", 1, 3, sender=accounts[0])
    trace = ape.chain.provider.make_request(
        "debug_traceTransaction",
        [receipt.txn_hash, {"disableStorage": True, "disableMemory": True, "disableStack": True}],
    )
    assert trace["structLogs"] == []  # what --steps-tracing would have recorded
    assert trace["failed"] is False and trace["gas"] == receipt.gas_used
    registry = accounts[0].deploy(project.DepartmentRegistry, accounts[1], [])
    with ape.reverts(registry.DepartmentUnknown, code=b"\x02" * 32):
        registry.retire(b"\x02" * 32, sender=accounts[1])


@pytest.mark.parametrize("variable", testanvil.TRACE_VARIABLES)
def test_each_trace_switch_keeps_ape_foundrys_command(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in testanvil.TRACE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert testanvil.adjust(ANVIL) == [
        "anvil", "--port", "8545", "--block-base-fee-per-gas", "0", "--silent",
    ]  # fmt: skip
    monkeypatch.setenv(variable, "1")
    assert testanvil.adjust(ANVIL) == ANVIL
    monkeypatch.setenv(variable, "0")
    assert testanvil.STEPS_FLAG not in testanvil.adjust(ANVIL)


def test_the_benchmarks_ask_for_the_steps() -> None:
    """``make bench`` collects benchmarks/ only: importing its conftest (as pytest does, before
    ape starts anvil once collection has finished) asks for the steps the opcode tables read,
    unless the caller said otherwise."""
    root = Path(__file__).parents[2]
    code = "import os, benchmarks.conftest; print(os.environ.get('GOVCHAIN_TEST_STEPS_TRACING'))"
    env = {k: v for k, v in os.environ.items() if k not in testanvil.TRACE_VARIABLES}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1"
    env[testanvil.STEPS_VARIABLE] = "0"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0"
