"""CaseApprovals on the shared ``departments`` fixture, with the identity registries it calls.

``approvals`` is the module under test, wired into a CitizenRegistry and an AttestationRegistry
(the attestation registry names it as its approval module); :class:`Desk` opens cases, signs
and submits decisions for the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseTerms, Step
from govchain.approval.messages import (
    ANY_SIGNER,
    DECISION,
    SignerSignature,
    decision,
    domain,
    pack_signatures,
)
from govchain.eip712 import Domain
from govchain.identity.messages import schema_uid
from tests.helpers import ROLE_APPROVER, ROLE_STAFF

HOUR = 3600
DAY = 24 * HOUR


def h(text: str) -> bytes:
    """A 32-byte hash standing in for a document root, comment or reason."""
    return bytes(keccak(text=text))


@pytest.fixture(scope="session")
def citizen_registry(project: Any, deployer: Any, departments: Any) -> Any:
    return project.CitizenRegistry.deploy(departments, sender=deployer)


@pytest.fixture(scope="session")
def attestations(project: Any, deployer: Any, departments: Any) -> Any:
    return project.AttestationRegistry.deploy(departments, sender=deployer)


#: Approvers' signatures a rule change needs in the test deployment.
RULE_SIGNATURES = 2


@pytest.fixture(scope="session")
def rule_registry(project: Any, deployer: Any, departments: Any, attestations: Any) -> Any:
    return project.RuleRegistry.deploy(departments, attestations, RULE_SIGNATURES, sender=deployer)


@pytest.fixture(scope="session")
def approvals(
    project: Any,
    deployer: Any,
    departments: Any,
    citizen_registry: Any,
    attestations: Any,
    rule_registry: Any,
) -> Any:
    module = project.CaseApprovals.deploy(
        departments, citizen_registry, attestations, rule_registry, sender=deployer
    )
    attestations.setApprovalModule(module, sender=deployer)
    return module


def register_schema(
    attestations: Any, admin: Any, fields: str, role_mask: int, dept: bytes
) -> bytes:
    fields_hash = bytes(keccak(text=fields))
    attestations.registerSchema(fields_hash, role_mask, dept, True, sender=admin)
    return schema_uid(fields_hash, role_mask, dept, True)


@pytest.fixture(scope="session")
def schemas(attestations: Any, depts: Any) -> dict[str, bytes]:
    """``subsidy``: any department's approvers may issue it; ``real_name``: Public Security only."""
    admin = depts["BDB"].admin
    return {
        "subsidy": register_schema(
            attestations, admin, "SubsidyGranted(bytes32 caseId)", ROLE_APPROVER, b"\0" * 32
        ),
        "real_name": register_schema(
            attestations, admin, "RealName(bytes32 commitment)", ROLE_STAFF, depts["PSB"].code
        ),
    }


@dataclass
class Desk:
    """Test driver: builds terms, signs decisions with the approvers' keys, submits them."""

    approvals: Any
    chain: Any
    depts: dict[str, Any]

    @property
    def domain(self) -> Domain:
        return domain(self.chain.chain_id, self.approvals.address)

    def now(self) -> int:
        return int(self.chain.pending_timestamp)

    def terms(
        self,
        route: Sequence[tuple[str, int] | tuple[str, int, int]],
        *,
        accepting: str = "CIVIL",
        citizen: Any = None,
        department: str | None = None,
        schema: bytes = b"\0" * 32,
        expiry: int = 0,
        ref_uid: bytes = b"\0" * 32,
        previous: bytes = b"\0" * 32,
        documents: bytes = h("documents"),
    ) -> CaseTerms:
        """``route`` items are ``(department, threshold)`` or ``(department, threshold, deadline)``;
        default deadlines are one day apart."""
        now = self.now()
        steps = []
        for i, item in enumerate(route):
            deadline = item[2] if len(item) == 3 else now + (i + 1) * DAY  # type: ignore[misc]
            steps.append(Step(self.depts[item[0]].code, item[1], deadline))
        kw: dict[str, Any] = {}
        if department is not None:
            kw["applicant_department"] = self.depts[department].code
        else:
            kw["applicant_citizen"] = citizen.address if hasattr(citizen, "address") else citizen
        return CaseTerms(
            documents_hash=documents,
            accepting_department=self.depts[accepting].code,
            route=tuple(steps),
            schema=schema,
            attestation_expiry=expiry,
            attestation_ref_uid=ref_uid,
            previous_case=previous,
            **kw,
        )

    def open(self, terms: CaseTerms, sender: Any = None) -> bytes:
        opener = sender or self.depts[_name_of(self.depts, terms.accepting_department)].staff
        self.approvals.openCase(terms.as_tuple(), sender=opener)
        return terms.case_id()

    def sign(
        self,
        signer: Any,
        case_id: bytes,
        step: int,
        approve: bool = True,
        comment: bytes = h("ok"),
        deadline: int | None = None,
        dom: Domain | None = None,
        wallet: str | None = None,
    ) -> SignerSignature:
        """``signer``'s signature of the Decision every key signs (naming no signer), or with
        ``wallet`` of the Decision naming that ERC-1271 wallet (``signer`` being a key the
        wallet accepts)."""
        deadline = self.now() + DAY if deadline is None else deadline
        msg = decision(case_id, step, approve, comment, wallet or ANY_SIGNER, deadline)
        key = signer.private_key if hasattr(signer, "private_key") else signer.key
        sig = DECISION.sign(key, dom or self.domain, msg)
        return SignerSignature(wallet or signer.address, sig, contract=wallet is not None)

    def recovered(
        self,
        signature: bytes,
        case_id: bytes,
        step: int,
        deadline: int,
        approve: bool = True,
        comment: bytes = h("ok"),
    ) -> str:
        """The key the contract recovers from ``signature`` as an EOA entry of this decision: a
        signature of any other message recovers an unrelated address."""
        msg = decision(case_id, step, approve, comment, ANY_SIGNER, deadline)
        return DECISION.recover(self.domain, msg, signature)

    def step_decision(
        self,
        case_id: bytes,
        step: int,
        signers: Sequence[Any],
        approve: bool = True,
        comment: bytes = h("ok"),
        deadline: int | None = None,
        *,
        packed: bytes | None = None,
        dom: Domain | None = None,
    ) -> tuple[int, bool, bytes, int, bytes]:
        deadline = self.now() + DAY if deadline is None else deadline
        if packed is None:
            sigs = [self.sign(s, case_id, step, approve, comment, deadline, dom) for s in signers]
            packed = pack_signatures(sigs)
        return (step, approve, comment, deadline, packed)

    def submit(
        self,
        case_id: bytes,
        terms: CaseTerms,
        decisions: Sequence[tuple[int, bool, bytes, int, bytes]],
        sender: Any,
        access_list: Any = None,
    ) -> Any:
        """``access_list``: an EIP-2930 list to send with the transaction (as the SDK sends
        :func:`govchain.approval.access.decision_access_list`)."""
        extra = {} if access_list is None else {"access_list": access_list}
        return self.approvals.submitDecisions(
            case_id, terms.as_tuple(), list(decisions), sender=sender, **extra
        )


def _name_of(depts: dict[str, Any], code_: bytes) -> str:
    return next(name for name, d in depts.items() if d.code == code_)


@pytest.fixture
def desk(approvals: Any, chain: Any, depts: dict[str, Any]) -> Desk:
    return Desk(approvals, chain, depts)
