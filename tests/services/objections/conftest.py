"""Fixtures and helpers of the objection suites (in their own folder, so that the services
suites of other areas keep their own conftest).

The deployment is the real one of :func:`govchain.deploy.deploy_all` in miniature: the shared
``departments``, a CitizenRegistry, an AttestationRegistry with the identity suite's schemas, an
AnchorRegistry with a PSB category, and the ObjectionRegistry over all four.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.eip712 import Domain
from govchain.services.objection_decisions import OBJECTION_DECISION, decision_message
from govchain.sharing import SharingClass, category_code
from tests.identity.conftest import SCHEMAS

DAY = 86_400
ZERO32 = b"\0" * 32
AGENT = keccak(text="govchain.delegate.agent")
CATEGORY = category_code("PSB.HOUSEHOLD")
RECORD = keccak(text="record 0001")
SCHEMA_FOR_CATEGORY = b"\x5c" * 32

# IObjectionRegistry enums
ATTESTATION, RECORD_KIND = 1, 2
NONE, OPEN, OVERDUE, UPHELD, REJECTED, WITHDRAWN = range(6)
#: approvers of the owner department who sign each decision (ObjectionRegistry.SIGNATURES)
SIGNATURES = 2


def commitment(text: str, salt: bytes | None = None) -> bytes:
    """The salted reason commitment ``keccak256(salt || utf8(text))``."""
    return keccak((salt or os.urandom(32)) + text.encode())


@dataclass(frozen=True)
class Attestation:
    uid: bytes
    schema: bytes
    attester: str
    department: bytes
    data_hash: bytes
    expiry: int
    ref_uid: bytes

    def ref(self) -> tuple[Any, ...]:
        return (
            self.uid,
            self.schema,
            self.attester,
            self.department,
            self.data_hash,
            self.expiry,
            self.ref_uid,
        )


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
def citizen_ids(project: Any, deployer: Any, departments: Any) -> Any:
    return project.CitizenRegistry.deploy(departments, sender=deployer)


@pytest.fixture(scope="session")
def anchors(project: Any, deployer: Any, departments: Any, depts: Any) -> Any:
    deployed = project.AnchorRegistry.deploy(departments, sender=deployer)
    deployed.registerCategory(
        CATEGORY,
        int(SharingClass.CONDITIONAL),
        False,
        SCHEMA_FOR_CATEGORY,
        30 * DAY,
        sender=depts["PSB"].admin,
    )
    return deployed


@pytest.fixture(scope="session")
def objections(
    project: Any,
    deployer: Any,
    departments: Any,
    citizen_ids: Any,
    attestations: Any,
    anchors: Any,
    schemas: Any,
) -> Any:
    return project.ObjectionRegistry.deploy(
        departments, citizen_ids, attestations, anchors, SIGNATURES, sender=deployer
    )


def decision_domain(objections: Any, chain_id: int | None = None) -> Domain:
    return Domain("ObjectionRegistry", chain_id or ape.chain.chain_id, objections.address)


def signatures(
    objections: Any,
    signers: list[Any],
    oid: bytes,
    *,
    uphold: bool,
    corrected: int = 0,
    reason: bytes = ZERO32,
    deadline: int | None = None,
    domain: Domain | None = None,
) -> tuple[list[str], list[bytes], int]:
    """``signers`` each sign the decision naming themselves; returned ascending, with the deadline."""
    until = ape.chain.pending_timestamp + 3600 if deadline is None else deadline
    dom = domain or decision_domain(objections)
    ordered = sorted(signers, key=lambda a: int(a.address, 16))
    sigs = [
        OBJECTION_DECISION.sign(
            a.private_key,
            dom,
            decision_message(oid, uphold, corrected, reason, a.address, until),
        )
        for a in ordered
    ]
    return [a.address for a in ordered], sigs, until


def uphold(objections: Any, signers: list[Any], oid: bytes, corrected: int = 0, **kw: Any) -> Any:
    """``signers`` sign an upholding, ``signers[0]`` (or ``sender``) relays it."""
    sender = kw.pop("sender", signers[0])
    who, sigs, until = signatures(objections, signers, oid, uphold=True, corrected=corrected, **kw)
    return objections.uphold(oid, corrected, until, who, sigs, sender=sender)


def reject(objections: Any, signers: list[Any], oid: bytes, reason: bytes, **kw: Any) -> Any:
    """``signers`` sign a rejection with ``reason``, ``signers[0]`` (or ``sender``) relays it."""
    sender = kw.pop("sender", signers[0])
    who, sigs, until = signatures(objections, signers, oid, uphold=False, reason=reason, **kw)
    return objections.reject(oid, reason, until, who, sigs, sender=sender)


def attest(
    attestations: Any, staff: Any, subject: Any, schema: bytes, *, salt: bytes = b"\x01" * 32
) -> Attestation:
    """``staff`` attests a salted commitment about ``subject``; the fields its Attested event states."""
    data_hash = keccak(salt + b"verified household record")
    tx = attestations.attest(subject, schema, data_hash, 0, ZERO32, sender=staff)
    event = next(iter(tx.decode_logs(attestations.Attested)))
    return Attestation(
        bytes(event.uid), schema, staff.address, bytes(event.department), data_hash, 0, ZERO32
    )


def anchor(anchors: Any, staff: Any, version: int, record: bytes = RECORD) -> None:
    anchors.anchorRecord(CATEGORY, record, version, keccak(bytes([version]) * 32), sender=staff)


def file_attestation(
    objections: Any, who: Any, subject: Any, a: Attestation, text: str = "wrong address"
) -> bytes:
    tx = objections.fileAttestationObjection(subject, a.ref(), commitment(text), sender=who)
    return bytes(next(iter(tx.decode_logs(objections.ObjectionFiled))).id)


def file_record(
    objections: Any, who: Any, subject: Any, record: bytes = RECORD, text: str = "wrong date"
) -> bytes:
    tx = objections.fileRecordObjection(subject, CATEGORY, record, commitment(text), sender=who)
    return bytes(next(iter(tx.decode_logs(objections.ObjectionFiled))).id)


# --- the command line: the reference city on its own devnet (see tests/cli/conftest.py) -----

from tests.cli.conftest import city, city_run, devnet  # noqa: E402, F401 (fixtures)
