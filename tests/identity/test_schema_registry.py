"""SchemaRegistry (inherited by AttestationRegistry): registering and reading schemas."""

from __future__ import annotations

from typing import Any

import ape
from eth_utils.crypto import keccak

from govchain.identity.messages import schema_uid
from tests.helpers import ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF, code
from tests.identity.conftest import SCHEMAS, ZERO32

FIELDS = keccak(text="PensionStatus(bytes32 commitment)")


def test_admin_registers_a_schema_with_a_content_derived_uid(attestations: Any, depts: Any) -> None:
    admin = depts["HRSS"].admin
    tx = attestations.registerSchema(FIELDS, ROLE_STAFF, code("HRSS"), True, sender=admin)
    uid = schema_uid(FIELDS, ROLE_STAFF, code("HRSS"), True)
    [event] = tx.events.filter(attestations.SchemaRegistered)
    assert event.uid == uid
    assert event.department == code("HRSS")
    assert event.registrant == admin.address
    assert event.fieldsHash == FIELDS
    assert event.roleMask == ROLE_STAFF
    assert bool(event.revocable)
    assert tx.return_value == uid
    schema = attestations.getSchema(uid)
    assert schema.uid == uid
    assert schema.fieldsHash == FIELDS
    assert schema.department == code("HRSS")
    assert schema.roleMask == ROLE_STAFF
    assert schema.revocable is True
    assert schema.registrant == admin.address


def test_fixture_schemas_are_registered(attestations: Any, schemas: dict[str, bytes]) -> None:
    for name, spec in SCHEMAS.items():
        schema = attestations.getSchema(schemas[name])
        assert schema.department == spec.department
        assert schema.revocable is spec.revocable


def test_non_admin_cannot_register_a_schema(attestations: Any, depts: Any, outsider: Any) -> None:
    for account in (depts["HRSS"].staff, outsider):
        with ape.reverts(attestations.SchemaUnauthorizedRegistrant, account=account.address):
            attestations.registerSchema(FIELDS, ROLE_STAFF, ZERO32, True, sender=account)


def test_admin_of_suspended_department_cannot_register_a_schema(
    attestations: Any, departments: Any, depts: Any, council: Any
) -> None:
    departments.suspend(code("HRSS"), sender=council)
    with ape.reverts(attestations.SchemaUnauthorizedRegistrant):
        attestations.registerSchema(FIELDS, ROLE_STAFF, ZERO32, True, sender=depts["HRSS"].admin)


def test_empty_or_unknown_role_mask_is_refused(attestations: Any, depts: Any) -> None:
    for mask in (0, 16, ROLE_AUDITOR | 0x80):
        with ape.reverts(attestations.SchemaInvalidRoleMask, roleMask=mask):
            attestations.registerSchema(FIELDS, mask, ZERO32, True, sender=depts["BDB"].admin)


def test_unknown_department_is_refused(attestations: Any, depts: Any) -> None:
    with ape.reverts(attestations.SchemaUnknownDepartment, department=code("NOPE")):
        attestations.registerSchema(
            FIELDS, ROLE_APPROVER, code("NOPE"), True, sender=depts["BDB"].admin
        )


def test_same_schema_twice_is_refused(attestations: Any, depts: Any) -> None:
    attestations.registerSchema(FIELDS, ROLE_APPROVER, ZERO32, False, sender=depts["BDB"].admin)
    uid = schema_uid(FIELDS, ROLE_APPROVER, ZERO32, False)
    with ape.reverts(attestations.SchemaAlreadyRegistered, uid=uid):
        attestations.registerSchema(FIELDS, ROLE_APPROVER, ZERO32, False, sender=depts["PSB"].admin)


def test_unknown_schema_cannot_be_read(attestations: Any) -> None:
    with ape.reverts(attestations.SchemaNotFound, uid=b"\x01" * 32):
        attestations.getSchema(b"\x01" * 32)
