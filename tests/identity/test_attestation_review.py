"""Findings of the security review (issue 15) on AttestationRegistry.

- M-4 (attestations): the council revokes a Suspended or Retired department's attestations
  (by uid list, bounded); a suspension alone voids nothing.
- attestBySig: the signed message names the department whose authority it carries.

Each test fails on the code before the fix (the function, the argument or the error it names
did not exist, or the attack succeeded).
"""

from __future__ import annotations

from typing import Any

import ape

from govchain.identity.messages import salted_hash
from tests.helpers import ACTIVE, ROLE_STAFF, SUSPENDED, code, enrol
from tests.identity.conftest import ZERO32, sign_attest

DAY = 86_400


def _data(n: int) -> bytes:
    return salted_hash(b"\x5a" * 32, f"record {n}".encode())


def _attest(attestations: Any, sender: Any, subject: Any, schema: bytes, n: int = 0) -> bytes:
    tx = attestations.attest(subject, schema, _data(n), 0, ZERO32, sender=sender)
    [event] = tx.events.filter(attestations.Attested)
    return bytes(event.uid)


# --- M-4: the council cleans up a suspended or retired department's attestations -----------------


def test_m4_council_revokes_a_suspended_departments_attestations(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    council: Any,
    citizens: list[Any],
) -> None:
    """A compromised PSB key issued real-name verifications; the council suspends PSB. Nobody
    of PSB can revoke any more (every right is gone), the suspension alone voids nothing, and
    the council revokes exactly the uids it names."""
    psb = depts["PSB"]
    forged = _attest(attestations, psb.staff, citizens[0], schemas["real_name"], 1)
    genuine = _attest(attestations, psb.approvers[0], citizens[1], schemas["real_name"], 2)
    departments.suspend(psb.code, sender=council)
    with ape.reverts(attestations.AttestationUnauthorized, account=psb.admin.address):
        attestations.revoke(forged, sender=psb.admin)
    assert attestations.isValid(forged) and attestations.isValid(genuine)

    tx = attestations.councilRevoke(psb.code, [forged], sender=council)

    [event] = tx.events.filter(attestations.Revoked)
    assert (bytes(event.uid), bytes(event.department), event.revoker) == (
        forged,
        psb.code,
        council.address,
    )
    assert not attestations.isValid(forged)
    assert attestations.getAttestation(forged).issuedAt == 0
    assert attestations.isValid(genuine)
    departments.reinstate(psb.code, sender=council)
    assert attestations.isValid(genuine)


def test_m4_council_revokes_a_retired_departments_irrevocable_attestations(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    council: Any,
    citizens: list[Any],
) -> None:
    """Once a department is retired nobody of it can ever act again: the council's revocation
    is the only remedy, and applies to an irrevocable schema (a forged birth record) too."""
    civil = depts["CIVIL"]
    births = [
        _attest(attestations, civil.staff, citizens[i], schemas["birth"], i) for i in range(3)
    ]
    departments.suspend(civil.code, sender=council)
    departments.retire(civil.code, sender=council)
    tx = attestations.councilRevoke(civil.code, births[:2], sender=council)
    assert len(list(tx.events.filter(attestations.Revoked))) == 2
    assert [attestations.isValid(u) for u in births] == [False, False, True]


def test_m4_council_revoke_refusals(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    council: Any,
    citizens: list[Any],
    outsider: Any,
) -> None:
    psb, civil = depts["PSB"], depts["CIVIL"]
    uid = _attest(attestations, psb.staff, citizens[0], schemas["real_name"], 1)
    civil_uid = _attest(attestations, civil.staff, citizens[0], schemas["birth"], 2)
    # an Active department revokes its own: the council does not reach over it
    with ape.reverts(
        attestations.AttestationDepartmentNotHalted, department=psb.code, status=ACTIVE
    ):
        attestations.councilRevoke(psb.code, [uid], sender=council)
    departments.suspend(psb.code, sender=council)
    with ape.reverts(attestations.AttestationUnauthorizedCouncil, caller=outsider.address):
        attestations.councilRevoke(psb.code, [uid], sender=outsider)
    with ape.reverts(attestations.AttestationUnauthorizedCouncil, caller=psb.admin.address):
        attestations.councilRevoke(psb.code, [uid], sender=psb.admin)
    # only the named department's attestations, all or nothing
    with ape.reverts(attestations.AttestationNotIssuedBy, uid=civil_uid, department=psb.code):
        attestations.councilRevoke(psb.code, [uid, civil_uid], sender=council)
    assert attestations.isValid(uid)
    with ape.reverts(attestations.AttestationEmptyBatch):
        attestations.councilRevoke(psb.code, [], sender=council)
    with ape.reverts(attestations.AttestationBatchTooLarge, count=257, max=256):
        attestations.councilRevoke(psb.code, [uid] * 257, sender=council)
    with ape.reverts(attestations.AttestationNotFound, uid=b"\x01" * 32):
        attestations.councilRevoke(psb.code, [b"\x01" * 32], sender=council)
    attestations.councilRevoke(psb.code, [uid], sender=council)
    with ape.reverts(attestations.AttestationNotFound, uid=uid):
        attestations.councilRevoke(psb.code, [uid], sender=council)
    # an unknown department is not halted either
    with ape.reverts(
        attestations.AttestationDepartmentNotHalted, department=code("NOPE"), status=0
    ):
        attestations.councilRevoke(code("NOPE"), [civil_uid], sender=council)
    assert departments.departmentStatus(psb.code) == SUSPENDED


# --- attestBySig: the signed message names the department ---------------------------------------


def test_attest_by_sig_signature_carries_only_the_department_it_names(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    """A Civil Affairs clerk signs a birth record; before it is relayed the clerk's key moves
    to HRSS, whose staff may attest births too. Before the fix the signature was issued with
    HRSS's authority; now it names CIVIL and is refused, and cannot be re-pointed at HRSS."""
    civil, hrss = depts["CIVIL"], depts["HRSS"]
    clerk = civil.staff
    request = (citizens[0].address, schemas["birth"], _data(7), 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    signature = sign_attest(attestations, chain, clerk, civil.code, request, deadline)
    departments.removeMember(clerk, sender=civil.admin)
    enrol(departments, hrss.admin, clerk, ROLE_STAFF)
    with ape.reverts(
        attestations.AttestationWrongDepartment,
        attester=clerk.address,
        department=civil.code,
        current=hrss.code,
    ):
        attestations.attestBySig(clerk, civil.code, request, deadline, signature, sender=outsider)
    with ape.reverts(attestations.SignatureInvalidSigner, signer=clerk.address):
        attestations.attestBySig(clerk, hrss.code, request, deadline, signature, sender=outsider)
    assert attestations.nonces(clerk) == 0


def test_attest_by_sig_for_a_department_the_signer_is_not_in_is_refused(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    psb, hrss = depts["PSB"], depts["HRSS"]
    request = (citizens[0].address, schemas["birth"], _data(8), 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    signature = sign_attest(attestations, chain, psb.staff, hrss.code, request, deadline)
    with ape.reverts(
        attestations.AttestationWrongDepartment,
        attester=psb.staff.address,
        department=hrss.code,
        current=psb.code,
    ):
        attestations.attestBySig(
            psb.staff, hrss.code, request, deadline, signature, sender=outsider
        )


def test_attest_by_sig_names_its_department_in_the_event(
    attestations: Any,
    schemas: dict[str, bytes],
    depts: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    psb = depts["PSB"]
    request = (citizens[0].address, schemas["real_name"], _data(9), 0, ZERO32)
    deadline = chain.pending_timestamp + DAY
    signature = sign_attest(attestations, chain, psb.staff, psb.code, request, deadline)
    tx = attestations.attestBySig(
        psb.staff, psb.code, request, deadline, signature, sender=outsider
    )
    [event] = tx.events.filter(attestations.Attested)
    assert (bytes(event.department), event.attester) == (psb.code, psb.staff.address)
