"""Opening a case: who may open, what terms are accepted, what the chain stores and emits."""

from __future__ import annotations

from typing import Any

import ape
import pytest

from govchain.approval import CaseStatus
from tests.approval.conftest import DAY, Desk, h
from tests.helpers import ROLE_APPROVER, ROLE_STAFF

ROUTES = {
    1: [("CIVIL", 1)],
    2: [("CIVIL", 1), ("FINANCE", 2)],
    3: [("CIVIL", 1), ("DPF", 2), ("FINANCE", 3)],
    4: [("CIVIL", 1), ("DPF", 2), ("HRSS", 2), ("FINANCE", 3)],
    5: [("CIVIL", 1), ("PSB", 1), ("DPF", 2), ("HRSS", 2), ("FINANCE", 3)],
}


def _plain(value: Any) -> Any:
    """Tuples to lists and addresses lower-cased, as ape decodes event structs."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


@pytest.mark.parametrize("steps", sorted(ROUTES))
def test_staff_opens_a_case_with_a_route_of_steps(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, chain: Any, steps: int
) -> None:
    terms = desk.terms(ROUTES[steps], citizen=citizens[0])
    staff = depts["CIVIL"].staff
    receipt = approvals.openCase(terms.as_tuple(), sender=staff)
    case_id = terms.case_id()
    [log] = receipt.decode_logs(approvals.CaseOpened)
    assert log.caseId == case_id
    assert log.acceptingDepartment == depts["CIVIL"].code
    assert log.applicant == terms.applicant_key
    assert log.opener == staff.address
    assert _plain(log.terms) == _plain(terms.as_tuple())
    view = approvals.caseOf(case_id)
    assert view.status == CaseStatus.OPEN
    assert (view.currentStep, view.stepCount, view.approvals, view.rejections) == (0, steps, 0, 0)
    assert view.opener == staff.address
    assert view.openedAt == receipt.timestamp
    assert view.documentsHash == h("documents")
    assert view.outcome == b"\0" * 32


def test_a_department_may_be_the_applicant(approvals: Any, desk: Desk, depts: Any) -> None:
    terms = desk.terms([("FINANCE", 2)], department="HOUSING")
    receipt = approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)
    [log] = receipt.decode_logs(approvals.CaseOpened)
    assert log.applicant == depts["HOUSING"].code


def test_an_unknown_case_reads_as_none(approvals: Any) -> None:
    assert approvals.caseOf(h("nothing")).status == CaseStatus.NONE


@pytest.mark.parametrize("who", ["outsider", "approver", "other_staff"])
def test_only_active_staff_of_the_accepting_department_opens(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, outsider: Any, who: str
) -> None:
    account = {
        "outsider": outsider,
        "approver": depts["CIVIL"].approvers[0],
        "other_staff": depts["HRSS"].staff,
    }[who]
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    with ape.reverts(
        approvals.ApprovalNotStaff, account=account.address, department=depts["CIVIL"].code
    ):
        approvals.openCase(terms.as_tuple(), sender=account)


def test_a_suspended_department_opens_nothing(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, departments: Any, council: Any
) -> None:
    departments.suspend(depts["CIVIL"].code, sender=council)
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    with ape.reverts(approvals.ApprovalNotStaff):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_exactly_one_applicant(approvals: Any, desk: Desk, depts: Any, citizens: Any) -> None:
    neither = desk.terms([("DPF", 1)], citizen="0x" + "00" * 20)
    with ape.reverts(approvals.ApprovalInvalidApplicant):
        approvals.openCase(neither.as_tuple(), sender=depts["CIVIL"].staff)
    both = list(desk.terms([("DPF", 1)], citizen=citizens[0]).as_tuple())
    both[3] = depts["HOUSING"].code
    with ape.reverts(approvals.ApprovalInvalidApplicant):
        approvals.openCase(both, sender=depts["CIVIL"].staff)


@pytest.mark.parametrize("length", [0, 17])
def test_a_route_has_one_to_sixteen_steps(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, length: int
) -> None:
    assert approvals.MAX_STEPS() == 16
    terms = desk.terms([("DPF", 1)] * length, citizen=citizens[0])
    with ape.reverts(approvals.ApprovalInvalidRouteLength, length=length):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


@pytest.mark.parametrize("fault", ["no_department", "past", "before_previous"])
def test_each_step_needs_a_department_and_a_later_deadline(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, fault: str
) -> None:
    now = desk.now()
    terms = desk.terms([("DPF", 1, now + DAY), ("FINANCE", 1, now + 2 * DAY)], citizen=citizens[0])
    raw = terms.as_tuple()
    route = [list(s) for s in raw[8]]
    if fault == "no_department":
        route[1][0] = b"\0" * 32
    elif fault == "past":
        route[0][2] = now - 1
        route[1][2] = now - 1
    else:
        route[1][2] = now + DAY - 1
    bad = (*raw[:8], [tuple(s) for s in route])
    index = 0 if fault == "past" else 1
    with ape.reverts(approvals.ApprovalInvalidStep, index=index):
        approvals.openCase(bad, sender=depts["CIVIL"].staff)


def test_a_schema_the_department_may_issue_is_accepted(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, schemas: Any
) -> None:
    terms = desk.terms([("CIVIL", 1), ("DPF", 1)], citizen=citizens[0], schema=schemas["subsidy"])
    approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.OPEN


def test_a_schema_the_department_may_not_issue_is_refused(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, schemas: Any, attestations: Any
) -> None:
    schema = schemas["real_name"]
    assert not attestations.canAttest(schema, depts["CIVIL"].code, ROLE_STAFF | ROLE_APPROVER)
    terms = desk.terms([("DPF", 1)], citizen=citizens[0], schema=schema)
    with ape.reverts(
        approvals.ApprovalSchemaNotAllowed, schema=schema, department=depts["CIVIL"].code
    ):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_a_department_applicant_cannot_receive_an_attestation(
    approvals: Any, desk: Desk, depts: Any, schemas: Any
) -> None:
    terms = desk.terms([("DPF", 1)], department="HOUSING", schema=schemas["subsidy"])
    with ape.reverts(approvals.ApprovalSchemaNotAllowed):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_the_same_terms_open_one_case(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    terms = desk.terms([("DPF", 1)], citizen=citizens[0])
    desk.open(terms)
    with ape.reverts(approvals.ApprovalCaseExists, caseId=terms.case_id()):
        approvals.openCase(terms.as_tuple(), sender=depts["CIVIL"].staff)


def test_a_rejected_case_is_resubmitted_by_reference(
    approvals: Any, desk: Desk, depts: Any, citizens: Any
) -> None:
    first = desk.terms([("DPF", 1)], citizen=citizens[0])
    first_id = desk.open(first)
    desk.submit(
        first_id,
        first,
        [desk.step_decision(first_id, 0, depts["DPF"].approvers[:1], False)],
        depts["CIVIL"].staff,
    )
    again = desk.terms([("DPF", 1)], citizen=citizens[0], previous=first_id, documents=h("v2"))
    receipt = approvals.openCase(again.as_tuple(), sender=depts["CIVIL"].staff)
    [log] = receipt.decode_logs(approvals.CaseOpened)
    assert log.terms[7] == first_id


@pytest.mark.parametrize("state", ["unknown", "open", "approved"])
def test_only_a_case_closed_without_approval_is_resubmitted(
    approvals: Any, desk: Desk, depts: Any, citizens: Any, state: str
) -> None:
    earlier = desk.terms([("DPF", 1)], citizen=citizens[0])
    status = CaseStatus.NONE
    if state != "unknown":
        desk.open(earlier)
        status = CaseStatus.OPEN
    if state == "approved":
        cid = earlier.case_id()
        desk.submit(
            cid,
            earlier,
            [desk.step_decision(cid, 0, depts["DPF"].approvers[:1])],
            depts["CIVIL"].staff,
        )
        status = CaseStatus.APPROVED
    again = desk.terms(
        [("DPF", 1)], citizen=citizens[0], previous=earlier.case_id(), documents=h("v2")
    )
    with ape.reverts(
        approvals.ApprovalInvalidPreviousCase, previousCase=earlier.case_id(), status=int(status)
    ):
        approvals.openCase(again.as_tuple(), sender=depts["CIVIL"].staff)
