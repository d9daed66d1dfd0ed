"""ShareRequests: conditional data without a personal subject, approved or rejected by the owner."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.sharing import LegalBasis, category_code, grant_id, grant_tuple
from tests.sharing.conftest import DAY, PURPOSE, REQUEST

BUDGET = category_code("FINANCE.BUDGET")
PENDING, APPROVED, REJECTED = 1, 2, 3
ZERO = "0x0000000000000000000000000000000000000000"
REQUEST_TYPES = ["(bytes32,bytes32,bytes32[],bytes32,uint40,uint40,uint32,uint40,uint256)"]


@pytest.fixture
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


def make_request(grantee: Any, owner: Any, now: int, **kw: Any) -> tuple[Any, ...]:
    fields = {
        "grantee": grantee.code,
        "owner": owner.code,
        "categories": [BUDGET],
        "purposeHash": PURPOSE,
        "validFrom": now,
        "validUntil": now + 90 * DAY,
        "maxUses": 10,
        "decisionDeadline": now + 7 * DAY,
        "nonce": 1,
    }
    fields.update(kw)
    return tuple(fields.values())


def request_id(request: tuple[Any, ...]) -> bytes:
    return keccak(encode(REQUEST_TYPES, [request]))


def test_grantee_files_and_owner_approver_approves(grants: Any, depts: Any, now: int) -> None:
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    request = make_request(civil, finance, now)
    tx = grants.fileRequest(request, sender=civil.staff)
    rid = request_id(request)
    assert tx.return_value == rid == grants.requestIdOf(request)
    [filed] = tx.events.filter(grants.ShareRequestFiled)
    assert (filed.requestId, filed.grantee, filed.owner, list(filed.categories)) == (
        rid,
        civil.code,
        finance.code,
        [BUDGET],
    )
    assert (filed.purposeHash, filed.validFrom, filed.validUntil, filed.maxUses) == (
        PURPOSE,
        now,
        now + 90 * DAY,
        10,
    )
    assert (filed.decisionDeadline, filed.nonce, filed.requester) == (
        now + 7 * DAY,
        1,
        civil.staff.address,
    )
    assert grants.requestStatus(rid) == PENDING

    tx = grants.approveRequest(request, sender=finance.approvers[0])
    terms = {
        "subject": ZERO, "grantee": civil.code, "owner": finance.code, "categories": [BUDGET],
        "purposeHash": PURPOSE, "basis": LegalBasis.OWNER_APPROVAL, "validFrom": now,
        "validUntil": now + 90 * DAY, "maxUses": 10, "nonce": int.from_bytes(rid, "big"),
    }  # fmt: skip
    gid = grant_id(terms)
    assert tx.return_value == gid
    [approved] = tx.events.filter(grants.ShareRequestApproved)
    assert (approved.requestId, approved.grantee, approved.owner, approved.grantId, approved.approver) == (
        rid, civil.code, finance.code, gid, finance.approvers[0].address,
    )  # fmt: skip
    [created] = tx.events.filter(grants.GrantCreated)
    assert (created.grantId, created.subject, created.basis) == (
        gid,
        ZERO,
        LegalBasis.OWNER_APPROVAL,
    )
    assert grants.requestStatus(rid) == APPROVED
    # the approved grant admits access and is revoked by any approver of the owner
    tx = grants.recordAccess(grant_tuple(terms), BUDGET, REQUEST, sender=civil.staff)
    [access] = tx.events.filter(grants.AccessRecorded)
    assert (access.subject, access.owner, access.grantId) == (ZERO, finance.code, gid)
    assert grants.grantState(gid).uses == 1
    grants.revoke(gid, sender=finance.approvers[2])
    with ape.reverts(grants.AccessGrantRevoked, grantId=gid):
        grants.recordAccess(grant_tuple(terms), BUDGET, REQUEST, sender=civil.staff)


def test_owner_approver_rejects(grants: Any, depts: Any, now: int) -> None:
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    request = make_request(civil, finance, now)
    grants.fileRequest(request, sender=civil.staff)
    reason = b"\x11" * 32
    tx = grants.rejectRequest(request, reason, sender=finance.approvers[1])
    [ev] = tx.events.filter(grants.ShareRequestRejected)
    assert (ev.requestId, ev.grantee, ev.owner, ev.reasonHash, ev.approver) == (
        request_id(request), civil.code, finance.code, reason, finance.approvers[1].address,
    )  # fmt: skip
    assert grants.requestStatus(request_id(request)) == REJECTED
    with ape.reverts(grants.ShareRequestDecided, requestId=request_id(request), status=REJECTED):
        grants.approveRequest(request, sender=finance.approvers[0])
    with ape.reverts(grants.ShareRequestDecided, requestId=request_id(request), status=REJECTED):
        grants.rejectRequest(request, reason, sender=finance.approvers[0])


def test_file_refusals(grants: Any, depts: Any, now: int, outsider: Any) -> None:
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    for account in (civil.approvers[0], finance.staff, outsider):
        with ape.reverts(
            grants.AccessGrantNotStaff, account=account.address, department=civil.code
        ):
            grants.fileRequest(make_request(civil, finance, now), sender=account)
    with ape.reverts(grants.AccessGrantNoCategories):
        grants.fileRequest(make_request(civil, finance, now, categories=[]), sender=civil.staff)
    for name in ("FINANCE.OPEN_STATS",):
        with ape.reverts(grants.ShareRequestNotConditional, category=category_code(name)):
            grants.fileRequest(
                make_request(civil, finance, now, categories=[category_code(name)]),
                sender=civil.staff,
            )
    with ape.reverts(grants.AccessGrantUnknownCategory, category=finance.code):
        grants.fileRequest(
            make_request(civil, finance, now, categories=[finance.code]), sender=civil.staff
        )
    pension = category_code("HRSS.PENSION")
    with ape.reverts(grants.AccessGrantWrongOwner, category=pension):
        grants.fileRequest(
            make_request(civil, finance, now, categories=[pension]), sender=civil.staff
        )
    internal = category_code("HRSS.INTERNAL")
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=internal):
        grants.fileRequest(
            make_request(civil, depts["HRSS"], now, categories=[internal]), sender=civil.staff
        )
    with ape.reverts(grants.AccessGrantInvalidWindow):
        grants.fileRequest(make_request(civil, finance, now, validUntil=now), sender=civil.staff)
    with ape.reverts(grants.ShareRequestInvalidDeadline, decisionDeadline=now - 1):
        grants.fileRequest(
            make_request(civil, finance, now, decisionDeadline=now - 1), sender=civil.staff
        )
    request = make_request(civil, finance, now)
    grants.fileRequest(request, sender=civil.staff)
    with ape.reverts(grants.ShareRequestExists, requestId=request_id(request)):
        grants.fileRequest(request, sender=civil.staff)


def test_decision_refusals(grants: Any, depts: Any, now: int, chain: Any) -> None:
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    request = make_request(civil, finance, now)
    with ape.reverts(grants.ShareRequestUnknown, requestId=request_id(request)):
        grants.approveRequest(request, sender=finance.approvers[0])
    with ape.reverts(grants.ShareRequestUnknown, requestId=request_id(request)):
        grants.rejectRequest(request, b"\0" * 32, sender=finance.approvers[0])
    grants.fileRequest(request, sender=civil.staff)
    for account in (finance.staff, finance.admin, civil.approvers[0]):
        with ape.reverts(
            grants.AccessGrantNotApprover, account=account.address, owner=finance.code
        ):
            grants.approveRequest(request, sender=account)
        with ape.reverts(
            grants.AccessGrantNotApprover, account=account.address, owner=finance.code
        ):
            grants.rejectRequest(request, b"\0" * 32, sender=account)
    chain.pending_timestamp = now + 7 * DAY + 1
    with ape.reverts(
        grants.ShareRequestExpired, requestId=request_id(request), decisionDeadline=now + 7 * DAY
    ):
        grants.approveRequest(request, sender=finance.approvers[0])
    with ape.reverts(grants.ShareRequestExpired):
        grants.rejectRequest(request, b"\0" * 32, sender=finance.approvers[0])


def test_approval_rechecks_the_catalog(grants: Any, catalog: Any, depts: Any, now: int) -> None:
    civil, finance = depts["CIVIL"], depts["FINANCE"]
    request = make_request(civil, finance, now)
    grants.fileRequest(request, sender=civil.staff)
    catalog.updateCategory(BUDGET, 3, False, b"\0" * 32, 0, sender=finance.admin)
    with ape.reverts(grants.AccessGrantCategoryNotShared, category=BUDGET):
        grants.approveRequest(request, sender=finance.approvers[0])
