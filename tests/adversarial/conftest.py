"""Fixtures of the attack suite: the existing deployments, imported, never re-deployed here.

One set of contracts per session, shared by every attack file: the approvals deployment (with
its CitizenRegistry and AttestationRegistry, the approval module already wired), the identity
Council governing its own DepartmentRegistry, the sharing deployment (catalog, AccessGrants and
the CitizenRegistry it consults), and the HRSS data node of tests/node (module-scoped, only
in test_node_attacks.py). ape reverts every test's chain changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.approval.conftest import (  # noqa: F401 (fixtures)
    approvals,
    attestations,
    citizen_registry,
    desk,
    rule_registry,
    schemas,
)
from tests.identity.conftest import (  # noqa: F401 (fixtures)
    council_contract,
    council_members,
    governed_departments,
    unbound_council,
)
from tests.node.conftest import (  # noqa: F401 (fixtures)
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
from tests.sharing.conftest import (  # noqa: F401 (fixtures)
    catalog,
    cats,
    grants,
    grants_domain,
    registry,
)

#: a chain id no devnet of this suite uses, for cross-chain replays
OTHER_CHAIN_ID = 4_242_424


@pytest.fixture(scope="session")
def other_attestations(project: Any, deployer: Any, departments: Any) -> Any:
    """A second AttestationRegistry, the target of cross-contract replays."""
    return project.AttestationRegistry.deploy(departments, sender=deployer)
