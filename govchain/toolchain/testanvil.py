"""The test workers' anvil: no opcode-step recording, no log line per request (issue 20).

Loaded by :mod:`govchain.toolchain.testworker` (``testrun``'s pytest plugin), never by the SDK,
the CLI or ``govchain.toolchain.devnet``. ape-foundry starts every anvil it runs with
``--steps-tracing``: anvil then records every opcode step of every transaction, for a later
``debug_traceTransaction`` with geth's struct logs. No test asks for one (ape names a revert by
replaying the mined transaction with ``eth_call``, :mod:`govchain.toolchain.apecalls`), and
without the flag anvil answers that request with an empty ``structLogs``. anvil also prints one
line per JSON-RPC request to its stdout, which ape reads on two threads of the test process and
writes to its node log. Measured on ``tests/approval/test_decisions.py`` and
``tests/sharing/test_grants_state_machine.py`` (3 runs each): the worker's anvil used 2.02 s of
CPU with both, 1.49 s without the steps, 1.42 s without the steps and the lines.

So the test workers start anvil without ``--steps-tracing`` and with ``--silent`` (anvil still
prints an error that stops it, such as a port in use). The opcode-trace benchmarks
(``benchmarks/opcodetrace.py``, ``benchmarks/gasfloor.py``) need the steps:
``benchmarks/conftest.py`` sets ``GOVCHAIN_TEST_STEPS_TRACING=1`` before ape starts anvil (ape
connects once collection has finished), as does a developer who renders call trees or console
logs (``GOVCHAIN_TEST_TRACES=1``, ``GOVCHAIN_TEST_CONSOLE_LOGS=1``).
"""

from __future__ import annotations

import os
from typing import Any

STEPS_VARIABLE = "GOVCHAIN_TEST_STEPS_TRACING"
# the other switches of the test plugin that ask anvil for traces
TRACE_VARIABLES = (STEPS_VARIABLE, "GOVCHAIN_TEST_TRACES", "GOVCHAIN_TEST_CONSOLE_LOGS")
STEPS_FLAG = "--steps-tracing"
SILENT_FLAG = "--silent"


def wants_steps() -> bool:
    return any(os.environ.get(name) == "1" for name in TRACE_VARIABLES)


def adjust(command: list[str]) -> list[str]:
    """ape-foundry's anvil command for a test worker (``wants_steps()`` read at start)."""
    if wants_steps():
        return command
    out = [part for part in command if part != STEPS_FLAG]
    if SILENT_FLAG not in out:
        out.append(SILENT_FLAG)
    return out


def install() -> None:
    """Wrap ape-foundry's ``build_command`` (idempotent)."""
    from ape_foundry.provider import FoundryProvider

    build = FoundryProvider.build_command
    if getattr(build, "_govchain_test_anvil", False):
        return

    def build_command(self: Any) -> list[str]:
        return adjust(build(self))

    build_command._govchain_test_anvil = True  # type: ignore[attr-defined]
    FoundryProvider.build_command = build_command  # type: ignore[method-assign]
