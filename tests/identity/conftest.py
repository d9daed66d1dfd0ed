"""Identity deployments on top of the shared ``departments`` fixture.

``attestations`` is an AttestationRegistry (with its SchemaRegistry) wired to ``departments``;
``schemas`` registers three schemas in it (see :data:`SCHEMAS`). Other suites (approvals) may
use both: ``attestations.setApprovalModule(module, sender=deployer)`` wires their module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils.crypto import keccak

from govchain.eip712 import Domain, TypedMessage
from govchain.identity.messages import ATTEST, attestation_domain, citizen_domain, schema_uid
from tests.conftest import FOUNDERS
from tests.helpers import ROLE_APPROVER, ROLE_STAFF, code


@dataclass(frozen=True)
class SchemaSpec:
    fields: str
    role_mask: int
    department: bytes
    revocable: bool

    @property
    def fields_hash(self) -> bytes:
        return keccak(text=self.fields)

    @property
    def uid(self) -> bytes:
        return schema_uid(self.fields_hash, self.role_mask, self.department, self.revocable)


SCHEMAS = {
    # Real-name verification: only Public Security, a salted commitment to the verified record.
    "real_name": SchemaSpec(
        "RealName(bytes32 commitment)", ROLE_STAFF | ROLE_APPROVER, code("PSB"), True
    ),
    # Any department's approvers: a benefit granted after an approved case.
    "subsidy": SchemaSpec(
        "SubsidyGranted(bytes32 caseId,uint256 amount)", ROLE_APPROVER, b"\0" * 32, True
    ),
    # Any department's staff, for good: a fact that is never withdrawn.
    "birth": SchemaSpec("BirthRegistered(bytes32 commitment)", ROLE_STAFF, b"\0" * 32, False),
}

ZERO32 = b"\0" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="session")
def attestations(project: Any, deployer: Any, departments: Any) -> Any:
    return project.AttestationRegistry.deploy(departments, sender=deployer)


@pytest.fixture(scope="session")
def schemas(attestations: Any, depts: Any) -> dict[str, bytes]:
    for spec in SCHEMAS.values():
        attestations.registerSchema(
            spec.fields_hash,
            spec.role_mask,
            spec.department,
            spec.revocable,
            sender=depts["BDB"].admin,
        )
    return {name: spec.uid for name, spec in SCHEMAS.items()}


@pytest.fixture(scope="session")
def attestation_domain_(attestations: Any, chain: Any) -> Domain:
    return attestation_domain(chain.chain_id, attestations.address)


def sign_attest(
    attestations: Any,
    chain: Any,
    signer: Any,
    department: bytes,
    request: tuple[str, bytes, bytes, int, bytes],
    deadline: int,
    nonce: int | None = None,
) -> bytes:
    """``signer``'s EIP-712 ``Attest`` signature of ``request`` (subject, schema, dataHash,
    expiry, refUID) for ``department``, with its current nonce unless given."""
    subject, schema, data_hash, expiry, ref_uid = request
    msg = {
        "attester": signer.address,
        "department": department,
        "subject": subject,
        "schema": schema,
        "dataHash": data_hash,
        "expiry": expiry,
        "refUID": ref_uid,
        "nonce": attestations.nonces(signer) if nonce is None else nonce,
        "deadline": deadline,
    }
    domain = attestation_domain(chain.chain_id, attestations.address)
    return ATTEST.sign(signer.private_key, domain, msg)


@pytest.fixture(scope="session")
def citizen_registry(project: Any, deployer: Any, departments: Any) -> Any:
    return project.CitizenRegistry.deploy(departments, sender=deployer)


def sign_citizen(
    registry: Any, chain: Any, signer: Any, typed: TypedMessage, **fields: Any
) -> bytes:
    """``signer``'s EIP-712 signature of a CitizenRegistry message (``fields`` without nonce or
    owner are completed with the identity's current nonce and owner where the type has one)."""
    names = [f["name"] for f in typed.types[typed.primary_type]]
    if "nonce" in names and "nonce" not in fields:
        fields["nonce"] = registry.nonces(fields["identity"])
    if "owner" in names and "owner" not in fields:
        fields["owner"] = registry.identityOwner(fields["identity"])
    domain = citizen_domain(chain.chain_id, registry.address)
    return typed.sign(signer.private_key, domain, {n: fields[n] for n in names})


COUNCIL_THRESHOLD = 4


@pytest.fixture(scope="session")
def council_members(accounts: Any) -> list[Any]:
    """The founding departments' admin keys sit on the council (BDB first)."""
    return [accounts[2 + 6 * i] for i in range(len(FOUNDERS))]


@pytest.fixture(scope="session")
def unbound_council(project: Any, deployer: Any, council_members: list[Any]) -> Any:
    """A Council before its deployer bound the department registry (no seat votes yet)."""
    return project.Council.deploy(council_members, COUNCIL_THRESHOLD, sender=deployer)


@pytest.fixture(scope="session")
def governed_departments(project: Any, deployer: Any, unbound_council: Any, accounts: Any) -> Any:
    """A DepartmentRegistry governed by the real Council, with the shared founders; the council
    reads its seats from it (bound by the deployer)."""
    founders = [
        (code(name), title, region, "", b"\0" * 32, accounts[2 + 6 * i])
        for i, (name, region, title) in enumerate(FOUNDERS)
    ]
    registry = project.DepartmentRegistry.deploy(unbound_council, founders, sender=deployer)
    unbound_council.bindRegistry(registry, sender=deployer)
    return registry


@pytest.fixture(scope="session")
def council_contract(unbound_council: Any, governed_departments: Any) -> Any:
    """The Council, bound to ``governed_departments``: its members are the founders' admins."""
    return unbound_council


def council_decide(
    council_contract: Any, members: list[Any], target: Any, data: bytes, chain: Any, approvals: int
) -> Any:
    """Propose ``data`` to ``target`` and approve by ``approvals`` members on chain; return the id."""
    expiry = chain.pending_timestamp + 86_400
    tx = council_contract.propose(target, data, expiry, sender=members[0])
    pid = tx.return_value
    for member in members[1:approvals]:
        council_contract.approve(pid, sender=member)
    return pid
