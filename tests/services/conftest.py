"""Rule-decided steps (秒批): the approvals deployment with its RuleRegistry, and a driver.

:class:`Rulebook` registers and retires rules with the department approvers' EIP-712
signatures, makes attestations and turns their ``Attested`` events into the uid preimages a
RULE step is decided with.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseTerms
from govchain.approval.messages import SignerSignature
from govchain.services import catalog
from govchain.services.rules import (
    REGISTER_RULE,
    RETIRE_RULE,
    Evidence,
    Requirement,
    domain,
    name_code,
    register_message,
    retire_message,
    rule_id,
    rule_step,
)
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    Desk,
    approvals,
    attestations,
    citizen_registry,
    desk,
    register_schema,
    rule_registry,
)
from tests.helpers import ROLE_APPROVER, ROLE_STAFF

YEAR = 365 * DAY
ZERO = "0x" + "00" * 20  # the ``signer`` of a message template; :meth:`Rulebook.sign` names each


@dataclass(frozen=True)
class WalletSigner:
    """An ERC-1271 approver wallet (``address``) as a signer: its owner's key signs for it."""

    address: str
    private_key: Any


@pytest.fixture(scope="session")
def facts(attestations: Any, depts: Any) -> dict[str, bytes]:
    """Schemas of the elderly allowance: ``age`` (aged 60 or over, PSB staff), ``residence``
    (PSB or CIVIL staff), ``low_income`` (HRSS staff), ``allowance`` (issued by approvers)."""
    admin = depts["BDB"].admin
    zero = b"\0" * 32
    return {
        "age": register_schema(attestations, admin, "AgedOver(uint8 years)", ROLE_STAFF, zero),
        "residence": register_schema(
            attestations, admin, "Residence(bytes32 commitment)", ROLE_STAFF, zero
        ),
        "low_income": register_schema(
            attestations, admin, "IncomeBelowThreshold(bytes32 commitment)", ROLE_STAFF, zero
        ),
        "allowance": register_schema(
            attestations, admin, "ElderlyAllowance(bytes32 caseId)", ROLE_APPROVER, zero
        ),
    }


@dataclass
class Rulebook:
    """Test driver of the RuleRegistry and RULE steps."""

    rules: Any
    approvals: Any
    attestations: Any
    chain: Any
    depts: dict[str, Any]
    desk: Desk

    @property
    def domain(self) -> Any:
        return domain(self.chain.chain_id, self.rules.address)

    def now(self) -> int:
        return int(self.chain.pending_timestamp)

    def sign(self, typed: Any, msg: dict[str, Any], signers: Sequence[Any]) -> list[Any]:
        """Each signer's signature of ``msg`` naming that signer (``signer``), ascending; a
        :class:`WalletSigner` is signed for by its owner's key."""
        out = []
        for s in sorted(signers, key=lambda a: int(a.address, 16)):
            named = {**msg, "signer": s.address}
            out.append(SignerSignature(s.address, typed.sign(s.private_key, self.domain, named)))
        return out

    def register(
        self,
        dept: str,
        name: str,
        requirements: Sequence[Requirement],
        *,
        signers: Sequence[Any] | None = None,
        version: int | None = None,
        deadline: int | None = None,
        sender: Any = None,
    ) -> Any:
        code = self.depts[dept].code
        rid = rule_id(code, name_code(name))
        if version is None:
            version = int(self.rules.ruleOf(rid).version) + 1
        deadline = self.now() + DAY if deadline is None else deadline
        msg = register_message(code, name_code(name), version, requirements, ZERO, deadline)
        sigs = self.sign(
            REGISTER_RULE, msg, self.depts[dept].approvers[:2] if signers is None else signers
        )
        return self.rules.register(
            code,
            name_code(name),
            [r.as_tuple() for r in requirements],
            deadline,
            [s.signer for s in sigs],
            [s.signature for s in sigs],
            sender=sender or self.depts[dept].staff,
        )

    def retire(
        self, dept: str, name: str, *, signers: Sequence[Any] | None = None, sender: Any = None
    ) -> Any:
        code = self.depts[dept].code
        rid = rule_id(code, name_code(name))
        version = int(self.rules.ruleOf(rid).version)
        deadline = self.now() + DAY
        msg = retire_message(code, name_code(name), version, ZERO, deadline)
        sigs = self.sign(
            RETIRE_RULE, msg, self.depts[dept].approvers[:2] if signers is None else signers
        )
        return self.rules.retire(
            code,
            name_code(name),
            version,
            deadline,
            [s.signer for s in sigs],
            [s.signature for s in sigs],
            sender=sender or self.depts[dept].staff,
        )

    def register_service(
        self,
        dept: str,
        name: str,
        rule: bytes,
        benefit: bytes,
        *,
        signers: Sequence[Any] | None = None,
        sender: Any = None,
        valid_for: int = 0,
    ) -> Any:
        """Register the next version of service ``name`` of ``dept`` (rule id, benefit schema,
        ``valid_for`` seconds of a benefit its rule alone grants, 0: no limit)."""
        code = self.depts[dept].code
        version = int(self.rules.serviceOf(catalog.service_id(code, name_code(name))).version) + 1
        deadline = self.now() + DAY
        msg = catalog.register_message(
            code, name_code(name), version, rule, benefit, ZERO, deadline, valid_for
        )
        sigs = self.sign(
            catalog.REGISTER_SERVICE,
            msg,
            self.depts[dept].approvers[:2] if signers is None else signers,
        )
        return self.rules.registerService(
            (code, name_code(name), rule, benefit, valid_for),
            deadline,
            [s.signer for s in sigs],
            [s.signature for s in sigs],
            sender=sender or self.depts[dept].staff,
        )

    def retire_service(
        self, dept: str, name: str, *, signers: Sequence[Any] | None = None, sender: Any = None
    ) -> Any:
        code = self.depts[dept].code
        version = int(self.rules.serviceOf(catalog.service_id(code, name_code(name))).version)
        deadline = self.now() + DAY
        msg = catalog.retire_message(code, name_code(name), version, ZERO, deadline)
        sigs = self.sign(
            catalog.RETIRE_SERVICE,
            msg,
            self.depts[dept].approvers[:2] if signers is None else signers,
        )
        return self.rules.retireService(
            code,
            name_code(name),
            version,
            deadline,
            [s.signer for s in sigs],
            [s.signature for s in sigs],
            sender=sender or self.depts[dept].staff,
        )

    def attest(
        self, dept: str, subject: Any, schema: bytes, *, expiry: int = 0, data: str = "fact"
    ) -> Evidence:
        """A STAFF attestation of ``dept`` about ``subject``; its uid preimage."""
        address = subject.address if hasattr(subject, "address") else subject
        receipt = self.attestations.attest(
            address,
            schema,
            bytes(keccak(text=data)),
            expiry,
            b"\0" * 32,
            sender=self.depts[dept].staff,
        )
        [log] = receipt.decode_logs(self.attestations.Attested)
        issued_at = int(self.chain.provider.web3.eth.get_block(receipt.block_number)["timestamp"])
        ev = Evidence.from_event(dict(log.event_arguments), issued_at)
        assert self.attestations.isValid(ev.uid)
        return ev

    def rule_terms(
        self,
        rules: Sequence[bytes],
        citizen: Any,
        *,
        accepting: str = "CIVIL",
        schema: bytes = b"\0" * 32,
        documents: bytes | None = None,
    ) -> CaseTerms:
        """Terms of a route of RULE steps (one per rule id), deadlines a day apart."""
        now = self.now()
        return CaseTerms(
            documents_hash=documents or bytes(keccak(text="application")),
            accepting_department=self.depts[accepting].code,
            route=tuple(rule_step(r, now + (i + 1) * DAY) for i, r in enumerate(rules)),
            applicant_citizen=citizen.address if hasattr(citizen, "address") else citizen,
            schema=schema,
        )


@pytest.fixture
def book(
    rule_registry: Any, approvals: Any, attestations: Any, chain: Any, depts: Any, desk: Desk
) -> Rulebook:
    return Rulebook(rule_registry, approvals, attestations, chain, depts, desk)


def elderly_rule(depts: Any, facts: dict[str, bytes]) -> list[Requirement]:
    """Aged 60 or over (PSB, a year), resident (PSB or CIVIL, a year), low income (HRSS, 90 days)."""
    return [
        Requirement(facts["age"], YEAR, (depts["PSB"].code,)),
        Requirement(facts["residence"], YEAR, (depts["PSB"].code, depts["CIVIL"].code)),
        Requirement(facts["low_income"], 90 * DAY, (depts["HRSS"].code,)),
    ]
