"""ObjectionRegistry: every function, what it allows and each way it refuses (PIPL art. 46).

Attack tests name their refusal: an objection decided by a department that does not own the
target, decided twice or after it was withdrawn, filed by someone who is neither the subject nor
her valid delegate (a delegate of a previous owner epoch included), decided by a removed or
demoted approver or while the owner department is suspended.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest

from tests.helpers import code
from tests.services.objections.conftest import (
    AGENT,
    ATTESTATION,
    CATEGORY,
    DAY,
    OPEN,
    OVERDUE,
    RECORD,
    RECORD_KIND,
    REJECTED,
    UPHELD,
    WITHDRAWN,
    ZERO32,
    anchor,
    attest,
    commitment,
    file_attestation,
    file_record,
    reject,
    uphold,
)

PSB = code("PSB")


@pytest.fixture
def alice(citizens: Any) -> Any:
    return citizens[0]


@pytest.fixture
def bob(citizens: Any) -> Any:
    return citizens[1]


@pytest.fixture
def psb(depts: Any) -> Any:
    return depts["PSB"]


@pytest.fixture
def fact(attestations: Any, schemas: Any, psb: Any, alice: Any) -> Any:
    return attest(attestations, psb.staff, alice, schemas["real_name"])


@pytest.fixture
def record(anchors: Any, psb: Any) -> bytes:
    anchor(anchors, psb.staff, 1)
    return RECORD


# --- filing: attestations ---------------------------------------------------------------------


def test_subject_files_objection_to_attestation_about_her(
    objections: Any, fact: Any, alice: Any, chain: Any
) -> None:
    reason = commitment("my address is wrong")
    tx = objections.fileAttestationObjection(alice, fact.ref(), reason, sender=alice)
    event = next(iter(tx.decode_logs(objections.ObjectionFiled)))
    oid = objections.objectionId(alice, ATTESTATION, ZERO32, fact.uid, reason)
    assert bytes(event.id) == bytes(oid)
    assert event.subject == alice.address and bytes(event.owner) == PSB
    assert bytes(event.target) == fact.uid and bytes(event.reasonCommitment) == reason
    assert event.sender == alice.address
    filed = objections.objectionOf(oid)
    assert event.deadline == filed.filedAt + 15 * DAY == filed.deadline
    assert objections.state(oid) == OPEN and filed.kind == ATTESTATION


def test_valid_agent_delegate_files_for_her(
    objections: Any, citizen_ids: Any, fact: Any, alice: Any, outsider: Any
) -> None:
    citizen_ids.addDelegate(alice, AGENT, outsider, 10 * DAY, sender=alice)
    oid = file_attestation(objections, outsider, alice, fact)
    assert objections.objectionOf(oid).subject == alice.address


def test_someone_else_cannot_file_for_her(objections: Any, fact: Any, alice: Any, bob: Any) -> None:
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=bob.address
    ):
        objections.fileAttestationObjection(alice, fact.ref(), commitment("x"), sender=bob)


def test_delegate_of_previous_owner_epoch_cannot_file(
    objections: Any, citizen_ids: Any, fact: Any, alice: Any, outsider: Any, accounts: Any
) -> None:
    citizen_ids.addDelegate(alice, AGENT, outsider, 10 * DAY, sender=alice)
    citizen_ids.changeOwner(alice, accounts[57], sender=alice)  # key rotated: epoch 1
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=outsider.address
    ):
        objections.fileAttestationObjection(alice, fact.ref(), commitment("x"), sender=outsider)
    # the rotated-out key has no standing either; the new key has
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=alice.address
    ):
        objections.fileAttestationObjection(alice, fact.ref(), commitment("x"), sender=alice)
    file_attestation(objections, accounts[57], alice, fact)


def test_expired_delegate_cannot_file(
    objections: Any, citizen_ids: Any, fact: Any, alice: Any, outsider: Any, chain: Any
) -> None:
    citizen_ids.addDelegate(alice, AGENT, outsider, DAY, sender=alice)
    chain.pending_timestamp += 2 * DAY
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=outsider.address
    ):
        objections.fileAttestationObjection(alice, fact.ref(), commitment("x"), sender=outsider)


def test_citizen_cannot_object_to_another_citizens_attestation(
    objections: Any, fact: Any, bob: Any
) -> None:
    with ape.reverts(objections.ObjectionNotSubject, uid=fact.uid, subject=bob.address):
        objections.fileAttestationObjection(bob, fact.ref(), commitment("x"), sender=bob)


def test_altered_attestation_fields_are_refused(
    objections: Any, fact: Any, alice: Any, bob: Any
) -> None:
    forged = list(fact.ref())
    forged[3] = code("HRSS")  # claim another department owns it
    with ape.reverts(objections.ObjectionNotSubject, uid=fact.uid, subject=alice.address):
        objections.fileAttestationObjection(alice, forged, commitment("x"), sender=alice)


def test_revoked_or_unknown_attestation_is_refused(
    objections: Any, attestations: Any, fact: Any, psb: Any, alice: Any
) -> None:
    attestations.revoke(fact.uid, sender=psb.staff)
    with ape.reverts(objections.ObjectionTargetNotFound, target=fact.uid):
        objections.fileAttestationObjection(alice, fact.ref(), commitment("x"), sender=alice)


def test_zero_commitment_is_refused(objections: Any, fact: Any, alice: Any) -> None:
    with ape.reverts(objections.ObjectionZeroCommitment):
        objections.fileAttestationObjection(alice, fact.ref(), ZERO32, sender=alice)


def test_identical_objection_is_refused(objections: Any, fact: Any, alice: Any) -> None:
    reason = commitment("same", b"\x07" * 32)
    objections.fileAttestationObjection(alice, fact.ref(), reason, sender=alice)
    oid = objections.objectionId(alice, ATTESTATION, ZERO32, fact.uid, reason)
    with ape.reverts(objections.ObjectionExists, id=oid):
        objections.fileAttestationObjection(alice, fact.ref(), reason, sender=alice)


def test_schema_period_sets_the_deadline(
    objections: Any, fact: Any, alice: Any, council: Any
) -> None:
    objections.setPeriod(fact.schema, 5 * DAY, sender=council)
    oid = file_attestation(objections, alice, alice, fact)
    filed = objections.objectionOf(oid)
    assert filed.deadline == filed.filedAt + 5 * DAY


# --- filing: records --------------------------------------------------------------------------


def test_subject_files_objection_to_anchored_record(
    objections: Any, record: bytes, alice: Any
) -> None:
    oid = file_record(objections, alice, alice)
    filed = objections.objectionOf(oid)
    assert filed.kind == RECORD_KIND and bytes(filed.category) == CATEGORY
    assert bytes(filed.target) == record and filed.version == 1 and bytes(filed.owner) == PSB


def test_record_objection_by_outsider_is_refused(
    objections: Any, record: bytes, alice: Any, bob: Any
) -> None:
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=bob.address
    ):
        objections.fileRecordObjection(alice, CATEGORY, record, commitment("x"), sender=bob)


def test_unknown_category_or_unanchored_record_is_refused(
    objections: Any, alice: Any, anchors: Any
) -> None:
    unknown = b"\x33" * 32
    with ape.reverts(objections.ObjectionTargetNotFound, target=unknown):
        objections.fileRecordObjection(alice, unknown, RECORD, commitment("x"), sender=alice)
    with ape.reverts(objections.ObjectionTargetNotFound, target=RECORD):
        objections.fileRecordObjection(alice, CATEGORY, RECORD, commitment("x"), sender=alice)


def test_record_zero_commitment_is_refused(objections: Any, record: bytes, alice: Any) -> None:
    with ape.reverts(objections.ObjectionZeroCommitment):
        objections.fileRecordObjection(alice, CATEGORY, record, ZERO32, sender=alice)


def test_category_period_sets_the_deadline(
    objections: Any, record: bytes, alice: Any, council: Any
) -> None:
    objections.setPeriod(CATEGORY, 30 * DAY, sender=council)
    filed = objections.objectionOf(file_record(objections, alice, alice))
    assert filed.deadline == filed.filedAt + 30 * DAY


# --- uphold -----------------------------------------------------------------------------------


def test_upheld_attestation_objection_after_revocation(
    objections: Any, attestations: Any, fact: Any, psb: Any, alice: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    with ape.reverts(objections.ObjectionNotRevoked, uid=fact.uid):
        uphold(objections, [psb.approvers[0], psb.approvers[1]], oid, 0)
    attestations.revoke(fact.uid, sender=psb.approvers[0])
    tx = uphold(objections, [psb.approvers[0], psb.approvers[1]], oid, 0)
    event = next(iter(tx.decode_logs(objections.ObjectionUpheld)))
    assert bytes(event.id) == oid and bytes(event.owner) == PSB
    assert event.correctedVersion == 0 and event.sender == psb.approvers[0].address
    assert objections.state(oid) == UPHELD


def test_upheld_record_objection_links_the_corrected_version(
    objections: Any, anchors: Any, record: bytes, psb: Any, alice: Any
) -> None:
    oid = file_record(objections, alice, alice)
    with ape.reverts(
        objections.ObjectionNotCorrected, recordId=record, version=2, objected=1, latest=1
    ):
        uphold(objections, [psb.approvers[1], psb.approvers[2]], oid, 2)
    anchor(anchors, psb.staff, 2)
    with ape.reverts(
        objections.ObjectionNotCorrected, recordId=record, version=1, objected=1, latest=2
    ):
        uphold(objections, [psb.approvers[1], psb.approvers[2]], oid, 1)
    tx = uphold(objections, [psb.approvers[1], psb.approvers[2]], oid, 2)
    assert next(iter(tx.decode_logs(objections.ObjectionUpheld))).correctedVersion == 2
    assert objections.objectionOf(oid).correctedVersion == 2
    assert objections.state(oid) == UPHELD


def test_department_that_does_not_own_the_target_cannot_decide(
    objections: Any, fact: Any, depts: Any, psb: Any, alice: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    hrss = depts["HRSS"]
    with ape.reverts(
        objections.ObjectionWrongDepartment,
        account=hrss.approvers[0].address,
        owner=PSB,
        current=hrss.code,
    ):
        reject(objections, [hrss.approvers[0], psb.approvers[1]], oid, commitment("no"))
    with ape.reverts(
        objections.ObjectionWrongDepartment,
        account=hrss.approvers[0].address,
        owner=PSB,
        current=hrss.code,
    ):
        uphold(objections, [hrss.approvers[0], psb.approvers[1]], oid, 0)


def test_non_member_cannot_decide(
    objections: Any, fact: Any, psb: Any, alice: Any, outsider: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    with ape.reverts(
        objections.ObjectionWrongDepartment, account=outsider.address, owner=PSB, current=ZERO32
    ):
        reject(objections, [outsider, psb.approvers[1]], oid, commitment("no"))


def test_staff_without_approver_role_cannot_decide(
    objections: Any, fact: Any, psb: Any, alice: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    with ape.reverts(objections.ObjectionNotApprover, account=psb.staff.address, owner=PSB):
        reject(objections, [psb.staff, psb.approvers[1]], oid, commitment("no"))


def test_removed_approver_cannot_decide(
    objections: Any, departments: Any, fact: Any, psb: Any, alice: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    departments.removeMember(psb.approvers[0], sender=psb.admin)
    with ape.reverts(
        objections.ObjectionWrongDepartment,
        account=psb.approvers[0].address,
        owner=PSB,
        current=ZERO32,
    ):
        reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("no"))


def test_demoted_approver_cannot_decide(
    objections: Any, departments: Any, fact: Any, psb: Any, alice: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    departments.setMemberRoles(psb.approvers[0], 1, sender=psb.admin)  # STAFF only now
    with ape.reverts(objections.ObjectionNotApprover, account=psb.approvers[0].address, owner=PSB):
        reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("no"))


def test_suspended_department_cannot_decide(
    objections: Any, departments: Any, fact: Any, psb: Any, alice: Any, council: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    departments.suspend(PSB, sender=council)
    with ape.reverts(objections.ObjectionDepartmentInactive, owner=PSB):
        reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("no"))
    with ape.reverts(objections.ObjectionDepartmentInactive, owner=PSB):
        uphold(objections, [psb.approvers[0], psb.approvers[1]], oid, 0)
    departments.reinstate(PSB, sender=council)
    reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("no"))


def test_objection_is_decided_once(objections: Any, fact: Any, psb: Any, alice: Any) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("the record is right"))
    with ape.reverts(objections.ObjectionNotOpen, id=oid, status=REJECTED):
        reject(objections, [psb.approvers[1], psb.approvers[2]], oid, commitment("again"))
    with ape.reverts(objections.ObjectionNotOpen, id=oid, status=REJECTED):
        uphold(objections, [psb.approvers[1], psb.approvers[2]], oid, 0)
    with ape.reverts(objections.ObjectionNotOpen, id=oid, status=REJECTED):
        objections.withdraw(oid, sender=alice)


def test_unknown_objection_is_refused(objections: Any, psb: Any, alice: Any) -> None:
    unknown = b"\x44" * 32
    with ape.reverts(objections.ObjectionUnknown, id=unknown):
        uphold(objections, [psb.approvers[0], psb.approvers[1]], unknown, 0)
    with ape.reverts(objections.ObjectionUnknown, id=unknown):
        reject(objections, [psb.approvers[0], psb.approvers[1]], unknown, commitment("x"))
    with ape.reverts(objections.ObjectionUnknown, id=unknown):
        objections.withdraw(unknown, sender=alice)


# --- reject -----------------------------------------------------------------------------------


def test_rejection_commits_to_its_reason(
    objections: Any, record: bytes, psb: Any, alice: Any
) -> None:
    oid = file_record(objections, alice, alice)
    reason = commitment("the date matches the birth certificate")
    tx = reject(objections, [psb.approvers[2], psb.approvers[0]], oid, reason)
    event = next(iter(tx.decode_logs(objections.ObjectionRejected)))
    assert bytes(event.reasonCommitment) == reason and event.sender == psb.approvers[2].address
    assert objections.state(oid) == REJECTED


def test_rejection_needs_a_reason(objections: Any, record: bytes, psb: Any, alice: Any) -> None:
    oid = file_record(objections, alice, alice)
    with ape.reverts(objections.ObjectionZeroCommitment):
        reject(objections, [psb.approvers[0], psb.approvers[1]], oid, ZERO32)


# --- overdue ----------------------------------------------------------------------------------


def test_open_objection_past_its_deadline_reads_overdue_and_can_still_be_decided(
    objections: Any, fact: Any, psb: Any, alice: Any, chain: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    chain.pending_timestamp += 15 * DAY + 1
    chain.mine()
    assert objections.state(oid) == OVERDUE
    reject(objections, [psb.approvers[0], psb.approvers[1]], oid, commitment("late, but no"))
    assert objections.state(oid) == REJECTED


# --- withdraw ---------------------------------------------------------------------------------


def test_subject_or_delegate_withdraws(
    objections: Any, citizen_ids: Any, fact: Any, alice: Any, outsider: Any
) -> None:
    first = file_attestation(objections, alice, alice, fact, "one")
    tx = objections.withdraw(first, sender=alice)
    event = next(iter(tx.decode_logs(objections.ObjectionWithdrawn)))
    assert (
        bytes(event.id) == first
        and event.subject == alice.address
        and event.sender == alice.address
    )
    assert objections.state(first) == WITHDRAWN
    with ape.reverts(objections.ObjectionNotOpen, id=first, status=WITHDRAWN):
        objections.withdraw(first, sender=alice)
    second = file_attestation(objections, alice, alice, fact, "two")
    citizen_ids.addDelegate(alice, AGENT, outsider, DAY, sender=alice)
    objections.withdraw(second, sender=outsider)
    assert objections.state(second) == WITHDRAWN


def test_withdrawal_by_someone_else_is_refused(
    objections: Any, fact: Any, alice: Any, bob: Any
) -> None:
    oid = file_attestation(objections, alice, alice, fact)
    with ape.reverts(
        objections.ObjectionUnauthorizedFiler, subject=alice.address, caller=bob.address
    ):
        objections.withdraw(oid, sender=bob)


# --- periods ----------------------------------------------------------------------------------


def test_council_sets_and_resets_a_period(objections: Any, council: Any) -> None:
    key = b"\x12" * 32
    assert objections.periodOf(key) == objections.DEFAULT_PERIOD() == 15 * DAY
    tx = objections.setPeriod(key, 7 * DAY, sender=council)
    event = next(iter(tx.decode_logs(objections.ObjectionPeriodSet)))
    assert bytes(event.key) == key and event.period == 7 * DAY and event.sender == council.address
    assert objections.periodOf(key) == 7 * DAY
    objections.setPeriod(key, 0, sender=council)
    assert objections.periodOf(key) == 15 * DAY


def test_period_outside_its_bounds_is_refused(objections: Any, council: Any) -> None:
    for period in (DAY - 1, 90 * DAY + 1):
        with ape.reverts(objections.ObjectionInvalidPeriod, period=period):
            objections.setPeriod(b"\x12" * 32, period, sender=council)


def test_only_the_council_sets_periods(objections: Any, depts: Any) -> None:
    admin = depts["BDB"].admin
    with ape.reverts(objections.ObjectionUnauthorizedCouncil, caller=admin.address):
        objections.setPeriod(b"\x12" * 32, 7 * DAY, sender=admin)


def test_registries_are_the_ones_deployed(
    objections: Any, departments: Any, citizen_ids: Any, attestations: Any, anchors: Any
) -> None:
    assert list(objections.registries()) == [
        departments.address,
        citizen_ids.address,
        attestations.address,
        anchors.address,
    ]
