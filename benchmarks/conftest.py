"""The benchmark harness: every fixture the bench modules use, gathered in one place.

The contract deployments are the unit tests' own (tests/conftest.py and the per-folder
conftest.py files), so a benchmark measures exactly what the tests prove correct. pytest only
loads conftest.py files along the collected paths, so ``make bench`` (which collects
``benchmarks/``) never sees tests/**/conftest.py by itself: they are imported here once.

Where two test folders define a fixture of the same name, one is chosen for all benchmarks:
``attestations``, ``schemas`` and ``citizen_registry`` are the identity suite's (its schemas
are a superset of what the approval benchmark needs); ``approvals`` and ``desk`` come from the
approval suite and sit on top of them.

``make test`` collects ``tests/`` only (pyproject ``testpaths``), so none of this runs there.
"""

# ruff: noqa: F401  (fixtures are re-exported for pytest, not used here)
from __future__ import annotations

import os

from govchain.toolchain import testanvil

# The opcode tables (opcodetrace.py, gasfloor.py) read anvil's recorded steps, which the test
# workers' anvil leaves out (govchain/toolchain/testanvil.py); ape starts anvil only after
# collection, so asking here is in time.
os.environ.setdefault(testanvil.STEPS_VARIABLE, "1")

from collections.abc import Iterator
from typing import Any

import pytest

from tests.approval.conftest import approvals, desk, rule_registry
from tests.conftest import citizens, council, departments, deployer, depts, outsider
from tests.identity.conftest import (
    attestation_domain_,
    attestations,
    citizen_registry,
    council_contract,
    council_members,
    governed_departments,
    schemas,
    unbound_council,
)
from tests.node.conftest import (
    addresses,
    civil_staff,
    hrss,
    node,
    node_url,
    now,
    reader,
    rpc_url,
    w3,
)
from tests.safe.conftest import relayer, safe_contracts, safe_deployments, safe_version
from tests.sharing.conftest import catalog, cats, grants, grants_domain, registry

# Gas depends on calldata, and calldata on times (deadlines, expiries, signatures over them):
# each module's blocks are stamped from this fixed time, one second apart, whatever the clock.
MODULE_START_TIME = 1_900_000_000


@pytest.fixture(scope="module", autouse=True)
def _module_chain(chain: Any) -> Iterator[None]:
    """Each module starts with anvil's pool empty and its clock at ``MODULE_START_TIME``.

    The pool: a module that sends from another process (the data node's anchor worker, the
    bulk sender) can leave a transaction there when ape reverts the chain after it. The clock:
    so that the same operation has the same calldata, hence the same gas, in every run.
    """
    rpc = chain.provider.make_request
    rpc("anvil_dropAllTransactions", [])
    rpc("anvil_setBlockTimestampInterval", [1])
    rpc("evm_setNextBlockTimestamp", [MODULE_START_TIME])
    yield
    rpc("anvil_removeBlockTimestampInterval", [])
    rpc("anvil_dropAllTransactions", [])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The data node benchmark runs last. After it (2,000+ access transactions and a node
    process sending its own), anvil 1.7.1's automine was seen leaving the next module's
    transactions unmined in the pool (they then time out, and their retries are "replacement
    transaction underpriced"); last, it cannot stall anyone."""
    items.sort(key=lambda item: item.nodeid.startswith("benchmarks/bench_node.py"))
