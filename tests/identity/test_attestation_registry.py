"""AttestationRegistry: attest, multi-attest, attest by signature, revoke, validity."""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.identity.messages import attestation_uid, department_tag, salted_hash
from tests.helpers import ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF, code
from tests.identity.conftest import ZERO32, ZERO_ADDRESS, sign_attest

SALT = b"\x5a" * 32
DATA = salted_hash(SALT, b"verified record #1")
DAY = 86_400


def _attest(attestations: Any, sender: Any, subject: Any, schema: bytes, **kw: Any) -> Any:
    return attestations.attest(
        subject,
        schema,
        kw.get("data", DATA),
        kw.get("expiry", 0),
        kw.get("ref", ZERO32),
        sender=sender,
    )


def _uid_of(tx: Any, attestations: Any) -> bytes:
    [event] = tx.events.filter(attestations.Attested)
    return bytes(event.uid)


# --- attest ------------------------------------------------------------------------------------


def test_psb_staff_attests_real_name_as_salted_commitment(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any], chain: Any
) -> None:
    staff, citizen = depts["PSB"].staff, citizens[0]
    expiry = chain.pending_timestamp + 365 * DAY
    tx = _attest(attestations, staff, citizen, schemas["real_name"], expiry=expiry)
    [event] = tx.events.filter(attestations.Attested)
    issued_at = chain.provider.get_block(tx.block_number).timestamp
    uid = attestation_uid(
        schemas["real_name"],
        citizen.address,
        staff.address,
        code("PSB"),
        DATA,
        expiry,
        ZERO32,
        issued_at,
    )
    assert event.uid == uid
    assert tx.return_value == uid
    assert event.subject == citizen.address
    assert event.department == code("PSB")
    assert event["schema"] == schemas["real_name"]
    assert event.attester == staff.address
    assert event.dataHash == DATA
    assert event.expiry == expiry
    assert event.refUID == ZERO32
    assert attestations.isValid(uid)
    record = attestations.getAttestation(uid)
    assert record.expiry == expiry
    assert record.issuedAt == issued_at
    assert record.roleMask == ROLE_STAFF | ROLE_APPROVER
    assert record.revocable is True
    assert record.departmentTag == department_tag(code("PSB"))


def test_attestation_expires(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any], chain: Any
) -> None:
    expiry = chain.pending_timestamp + DAY
    uid = _uid_of(
        _attest(attestations, depts["PSB"].staff, citizens[0], schemas["real_name"], expiry=expiry),
        attestations,
    )
    assert attestations.isValid(uid)
    chain.mine(timestamp=expiry)
    assert not attestations.isValid(uid)


def test_unknown_uid_is_not_valid(attestations: Any) -> None:
    assert not attestations.isValid(b"\x07" * 32)


def test_attestation_may_reference_a_valid_one(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    ref = _uid_of(
        _attest(attestations, depts["PSB"].staff, citizens[0], schemas["real_name"]), attestations
    )
    tx = _attest(
        attestations, depts["CIVIL"].approvers[0], citizens[0], schemas["subsidy"], ref=ref
    )
    [event] = tx.events.filter(attestations.Attested)
    assert event.refUID == ref
    assert event.department == code("CIVIL")


def test_other_department_cannot_attest_real_name(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    with ape.reverts(
        attestations.AttestationSchemaNotAllowed,
        schema=schemas["real_name"],
        department=code("HRSS"),
        roles=ROLE_STAFF,
    ):
        _attest(attestations, depts["HRSS"].staff, citizens[0], schemas["real_name"])


def test_member_without_the_schema_role_cannot_attest(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    with ape.reverts(
        attestations.AttestationSchemaNotAllowed,
        schema=schemas["subsidy"],
        department=code("CIVIL"),
        roles=ROLE_AUDITOR,
    ):
        _attest(attestations, depts["CIVIL"].auditor, citizens[0], schemas["subsidy"])


def test_outsider_cannot_attest(
    attestations: Any, schemas: dict[str, bytes], outsider: Any, citizens: list[Any]
) -> None:
    with ape.reverts(attestations.AttestationUnauthorized, account=outsider.address):
        _attest(attestations, outsider, citizens[0], schemas["subsidy"])


def test_suspended_department_member_cannot_attest(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    council: Any,
    citizens: list[Any],
) -> None:
    departments.suspend(code("PSB"), sender=council)
    with ape.reverts(attestations.AttestationUnauthorized, account=depts["PSB"].staff.address):
        _attest(attestations, depts["PSB"].staff, citizens[0], schemas["real_name"])


def test_unknown_schema_is_refused(attestations: Any, depts: Any, citizens: list[Any]) -> None:
    with ape.reverts(attestations.SchemaNotFound, uid=b"\x09" * 32):
        _attest(attestations, depts["PSB"].staff, citizens[0], b"\x09" * 32)


def test_zero_subject_is_refused(attestations: Any, schemas: dict[str, bytes], depts: Any) -> None:
    with ape.reverts(attestations.AttestationInvalidSubject):
        _attest(attestations, depts["PSB"].staff, ZERO_ADDRESS, schemas["real_name"])


def test_past_expiry_is_refused(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any], chain: Any
) -> None:
    past = chain.pending_timestamp - 1
    with ape.reverts(attestations.AttestationInvalidExpiry, expiry=past):
        _attest(attestations, depts["PSB"].staff, citizens[0], schemas["real_name"], expiry=past)


def test_unknown_reference_is_refused(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    with ape.reverts(attestations.AttestationRefNotFound, refUID=b"\x03" * 32):
        _attest(
            attestations, depts["PSB"].staff, citizens[0], schemas["real_name"], ref=b"\x03" * 32
        )


def test_identical_attestation_in_one_block_is_refused(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    request = (citizens[0].address, schemas["real_name"], DATA, 0, ZERO32)
    with ape.reverts(attestations.AttestationAlreadyExists):
        attestations.multiAttest([request, request], sender=depts["PSB"].staff)


# --- multiAttest -------------------------------------------------------------------------------


def test_multi_attest_issues_one_attestation_per_request(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    requests = [
        (c.address, schemas["birth"], salted_hash(SALT, bytes([i])), 0, ZERO32)
        for i, c in enumerate(citizens[:3])
    ]
    tx = attestations.multiAttest(requests, sender=depts["CIVIL"].staff)
    events = list(tx.events.filter(attestations.Attested))
    assert [e.subject for e in events] == [c.address for c in citizens[:3]]
    assert all(
        e.department == code("CIVIL") and e.attester == depts["CIVIL"].staff.address for e in events
    )
    assert [bytes(u) for u in tx.return_value] == [bytes(e.uid) for e in events]
    assert all(attestations.isValid(e.uid) for e in events)


def test_multi_attest_refuses_an_empty_batch(attestations: Any, depts: Any) -> None:
    with ape.reverts(attestations.AttestationEmptyBatch):
        attestations.multiAttest([], sender=depts["CIVIL"].staff)


def test_multi_attest_is_all_or_nothing(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    requests = [
        (citizens[0].address, schemas["birth"], DATA, 0, ZERO32),
        (citizens[1].address, schemas["real_name"], DATA, 0, ZERO32),
    ]
    with ape.reverts(attestations.AttestationSchemaNotAllowed):
        attestations.multiAttest(requests, sender=depts["CIVIL"].staff)


# --- attestBySig -------------------------------------------------------------------------------


def test_attest_by_signature_is_relayed_by_anyone(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    staff = depts["PSB"].staff
    request = (citizens[1].address, schemas["real_name"], DATA, 0, ZERO32)
    deadline = chain.pending_timestamp + 3600
    signature = sign_attest(attestations, chain, staff, code("PSB"), request, deadline)
    tx = attestations.attestBySig(staff, code("PSB"), request, deadline, signature, sender=outsider)
    [event] = tx.events.filter(attestations.Attested)
    assert event.attester == staff.address
    assert event.department == code("PSB")
    assert event.subject == citizens[1].address
    assert attestations.isValid(event.uid)
    assert attestations.nonces(staff) == 1
    with ape.reverts(
        attestations.SignatureInvalidSigner, signer=staff.address
    ):  # replay: nonce used
        attestations.attestBySig(staff, code("PSB"), request, deadline, signature, sender=outsider)


def test_attest_by_expired_signature_is_refused(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    staff = depts["PSB"].staff
    request = (citizens[1].address, schemas["real_name"], DATA, 0, ZERO32)
    deadline = chain.pending_timestamp - 10
    signature = sign_attest(attestations, chain, staff, code("PSB"), request, deadline)
    with ape.reverts(attestations.SignatureExpired, deadline=deadline):
        attestations.attestBySig(staff, code("PSB"), request, deadline, signature, sender=outsider)


def test_attest_by_signature_of_another_key_is_refused(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    request = (citizens[1].address, schemas["real_name"], DATA, 0, ZERO32)
    deadline = chain.pending_timestamp + 3600
    signature = sign_attest(attestations, chain, outsider, code("PSB"), request, deadline)
    staff = depts["PSB"].staff
    with ape.reverts(attestations.SignatureInvalidSigner, signer=staff.address):
        attestations.attestBySig(staff, code("PSB"), request, deadline, signature, sender=outsider)


def test_attest_by_signature_of_suspended_member_is_refused(
    attestations: Any, schemas: dict[str, bytes], departments: Any, depts: Any, council: Any,
    citizens: list[Any], outsider: Any, chain: Any,
) -> None:  # fmt: skip
    staff = depts["PSB"].staff
    request = (citizens[1].address, schemas["real_name"], DATA, 0, ZERO32)
    deadline = chain.pending_timestamp + 3600
    signature = sign_attest(attestations, chain, staff, code("PSB"), request, deadline)
    departments.suspend(code("PSB"), sender=council)
    with ape.reverts(attestations.AttestationUnauthorized, account=staff.address):
        attestations.attestBySig(staff, code("PSB"), request, deadline, signature, sender=outsider)


# --- revoke ------------------------------------------------------------------------------------


@pytest.fixture
def real_name_uid(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> bytes:
    return _uid_of(
        _attest(attestations, depts["PSB"].staff, citizens[0], schemas["real_name"]), attestations
    )


def test_issuing_department_revokes(attestations: Any, depts: Any, real_name_uid: bytes) -> None:
    approver = depts["PSB"].approvers[0]  # another PSB member holding a role of the schema
    tx = attestations.revoke(real_name_uid, sender=approver)
    [event] = tx.events.filter(attestations.Revoked)
    assert event.uid == real_name_uid
    assert event.department == code("PSB")
    assert event.revoker == approver.address
    assert not attestations.isValid(real_name_uid)
    assert attestations.getAttestation(real_name_uid).issuedAt == 0
    with ape.reverts(attestations.AttestationNotFound, uid=real_name_uid):
        attestations.revoke(real_name_uid, sender=approver)


def test_other_department_cannot_revoke(
    attestations: Any, depts: Any, real_name_uid: bytes
) -> None:
    admin = depts["BDB"].admin
    with ape.reverts(
        attestations.AttestationUnauthorizedRevoker, uid=real_name_uid, account=admin.address
    ):
        attestations.revoke(real_name_uid, sender=admin)


def test_issuing_department_member_without_the_role_cannot_revoke(
    attestations: Any, depts: Any, real_name_uid: bytes
) -> None:
    auditor = depts["PSB"].auditor
    with ape.reverts(
        attestations.AttestationUnauthorizedRevoker, uid=real_name_uid, account=auditor.address
    ):
        attestations.revoke(real_name_uid, sender=auditor)


def test_suspended_issuing_department_cannot_revoke(
    attestations: Any, departments: Any, depts: Any, council: Any, real_name_uid: bytes
) -> None:
    departments.suspend(code("PSB"), sender=council)
    with ape.reverts(attestations.AttestationUnauthorized):
        attestations.revoke(real_name_uid, sender=depts["PSB"].staff)


def test_irrevocable_schema_cannot_be_revoked(
    attestations: Any, schemas: dict[str, bytes], depts: Any, citizens: list[Any]
) -> None:
    uid = _uid_of(
        _attest(attestations, depts["CIVIL"].staff, citizens[0], schemas["birth"]), attestations
    )
    with ape.reverts(attestations.AttestationIrrevocable, uid=uid):
        attestations.revoke(uid, sender=depts["CIVIL"].staff)


def test_unknown_attestation_cannot_be_revoked(attestations: Any, depts: Any) -> None:
    with ape.reverts(attestations.AttestationNotFound, uid=b"\x04" * 32):
        attestations.revoke(b"\x04" * 32, sender=depts["PSB"].staff)


def test_revoked_reference_is_refused(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    real_name_uid: bytes,
) -> None:
    attestations.revoke(real_name_uid, sender=depts["PSB"].staff)
    with ape.reverts(attestations.AttestationRefNotFound, refUID=real_name_uid):
        _attest(
            attestations,
            depts["CIVIL"].approvers[0],
            citizens[0],
            schemas["subsidy"],
            ref=real_name_uid,
        )


# --- canAttest ---------------------------------------------------------------------------------


def test_can_attest_reflects_schema_rules(attestations: Any, schemas: dict[str, bytes]) -> None:
    assert attestations.canAttest(schemas["real_name"], code("PSB"), ROLE_STAFF)
    assert attestations.canAttest(schemas["real_name"], code("PSB"), ROLE_APPROVER | ROLE_AUDITOR)
    assert not attestations.canAttest(schemas["real_name"], code("PSB"), ROLE_AUDITOR)
    assert not attestations.canAttest(schemas["real_name"], code("HRSS"), ROLE_STAFF)
    assert attestations.canAttest(schemas["subsidy"], code("CIVIL"), ROLE_APPROVER)
    assert not attestations.canAttest(b"\x01" * 32, code("CIVIL"), ROLE_APPROVER)


# --- approval module ---------------------------------------------------------------------------


@pytest.fixture
def module(accounts: Any) -> Any:
    return accounts[57]  # stands in for the approval contract


def test_deployer_sets_the_approval_module_once(
    attestations: Any, deployer: Any, module: Any, accounts: Any
) -> None:
    assert attestations.approvalModule() == ZERO_ADDRESS
    tx = attestations.setApprovalModule(module, sender=deployer)
    [event] = tx.events.filter(attestations.ApprovalModuleSet)
    assert event.module == module.address
    assert event.by == deployer.address
    assert attestations.approvalModule() == module.address
    with ape.reverts(attestations.AttestationApprovalModuleAlreadySet, module=module.address):
        attestations.setApprovalModule(accounts[58], sender=deployer)


def test_only_the_deployer_sets_the_approval_module(
    attestations: Any, outsider: Any, module: Any
) -> None:
    with ape.reverts(attestations.AttestationUnauthorizedDeployer, caller=outsider.address):
        attestations.setApprovalModule(module, sender=outsider)


def test_zero_approval_module_is_refused(attestations: Any, deployer: Any) -> None:
    with ape.reverts(attestations.AttestationZeroAddress):
        attestations.setApprovalModule(ZERO_ADDRESS, sender=deployer)


def test_approval_module_attests_for_a_department(
    attestations: Any,
    schemas: dict[str, bytes],
    deployer: Any,
    module: Any,
    depts: Any,
    citizens: list[Any],
) -> None:
    attestations.setApprovalModule(module, sender=deployer)
    tx = attestations.attestFromApproval(
        code("CIVIL"), citizens[2], schemas["subsidy"], DATA, 0, ZERO32, sender=module
    )
    [event] = tx.events.filter(attestations.Attested)
    assert event.department == code("CIVIL")
    assert event.attester == module.address
    assert event.subject == citizens[2].address
    assert tx.return_value == event.uid
    assert attestations.isValid(event.uid)
    # The department's approvers may revoke it like any of their attestations.
    attestations.revoke(event.uid, sender=depts["CIVIL"].approvers[1])
    assert not attestations.isValid(event.uid)


def test_only_the_approval_module_attests_from_approval(
    attestations: Any, schemas: dict[str, bytes], citizens: list[Any], outsider: Any
) -> None:
    # Unset module (zero) does not let anyone in.
    with ape.reverts(attestations.AttestationUnauthorizedApprovalModule, caller=outsider.address):
        attestations.attestFromApproval(
            code("CIVIL"), citizens[2], schemas["subsidy"], DATA, 0, ZERO32, sender=outsider
        )


def test_approval_for_an_inactive_department_is_refused(
    attestations: Any, schemas: dict[str, bytes], departments: Any, deployer: Any, module: Any,
    council: Any, citizens: list[Any],
) -> None:  # fmt: skip
    attestations.setApprovalModule(module, sender=deployer)
    departments.suspend(code("CIVIL"), sender=council)
    with ape.reverts(attestations.AttestationDepartmentInactive, department=code("CIVIL")):
        attestations.attestFromApproval(
            code("CIVIL"), citizens[2], schemas["subsidy"], DATA, 0, ZERO32, sender=module
        )


def test_approval_under_unknown_or_other_departments_schema_is_refused(
    attestations: Any, schemas: dict[str, bytes], deployer: Any, module: Any, citizens: list[Any]
) -> None:
    attestations.setApprovalModule(module, sender=deployer)
    with ape.reverts(attestations.SchemaNotFound):
        attestations.attestFromApproval(
            code("CIVIL"), citizens[2], b"\x02" * 32, DATA, 0, ZERO32, sender=module
        )
    with ape.reverts(
        attestations.AttestationSchemaNotAllowed,
        schema=schemas["real_name"],
        department=code("CIVIL"),
        roles=15,
    ):
        attestations.attestFromApproval(
            code("CIVIL"), citizens[2], schemas["real_name"], DATA, 0, ZERO32, sender=module
        )
