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

from collections.abc import Iterator
from typing import Any

import pytest

from tests.approval.conftest import approvals, desk
from tests.conftest import citizens, council, departments, deployer, depts, outsider
from tests.identity.conftest import (
    attestation_domain_,
    attestations,
    citizen_registry,
    council_contract,
    council_members,
    governed_departments,
    schemas,
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
from tests.sharing.conftest import catalog, cats, grants, grants_domain, registry


@pytest.fixture(scope="module", autouse=True)
def _empty_transaction_pool(chain: Any) -> Iterator[None]:
    """Each module starts and ends with anvil's pool empty.

    A module that sends from another process (the data node's anchor worker, the bulk sender)
    can leave a transaction in the pool when ape reverts the chain after it: the next module's
    transactions from that key would then collide with its nonce ("replacement transaction
    underpriced") or queue behind it forever.
    """
    chain.provider.make_request("anvil_dropAllTransactions", [])
    yield
    chain.provider.make_request("anvil_dropAllTransactions", [])
