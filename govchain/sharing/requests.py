"""Client of ``ShareRequests`` (part of the AccessGrants deployment): conditional data without a
personal subject. The grantee's STAFF files a request; an APPROVER of the owner approves it
(creating an OwnerApproval grant) or rejects it before its decision deadline.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from govchain.errors import InvalidInput, NotFound
from govchain.network import Connection
from govchain.sharing.base import (
    ROLE_APPROVER,
    ZERO_ADDRESS,
    TxResult,
    checksum,
    code,
    hex0x,
    iso,
    logs,
)
from govchain.sharing.catalog import LegalBasis, SharingClass
from govchain.sharing.grants import AccessGrants
from govchain.sharing.messages import grant_id
from govchain.sharing.terms import (
    REQUEST_STATUSES,
    Created,
    ShareRequestInfo,
    ShareRequestTerms,
    _refuse,
)
from govchain.tx import Sender


class ShareRequests:
    """Share requests for conditional data without a personal subject (part of AccessGrants)."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.grants = AccessGrants(connection, sender)
        self.connection = connection
        self.contract = self.grants.contract

    def status(self, request: bytes) -> str:
        return REQUEST_STATUSES[int(self.contract.functions.requestStatus(request).call())]

    def file(self, terms: ShareRequestTerms) -> Created:
        """File ``terms`` as STAFF of ``terms.grantee``.

        Checked first: departments registered (exit 2), every category in the catalog (exit 2),
        owned by ``terms.owner`` and CONDITIONAL, the window and deadline in the future.
        """
        self.grants.departments.require(terms.grantee)
        self.grants.departments.require(terms.owner)
        for name in terms.categories:
            info = self.grants.catalog.require_category(name)
            if info.owner != terms.owner:
                raise _refuse(
                    "AccessGrantWrongOwner",
                    f"category {name} belongs to {info.owner}, not to {terms.owner}",
                )
            if info.sharing != SharingClass.CONDITIONAL:
                why = (
                    "NOT_SHARED data is never shared"
                    if info.sharing == SharingClass.NOT_SHARED
                    else "UNCONDITIONAL data needs no request"
                )
                raise _refuse(
                    "ShareRequestNotConditional",
                    f"category {name} is {info.sharing.name}, not CONDITIONAL: {why}",
                )
        now = self.grants.now()
        if terms.valid_from >= terms.valid_until or terms.valid_until <= now:
            raise InvalidInput(
                "validity window",
                f"{iso(terms.valid_from)} .. {iso(terms.valid_until)}",
                "must end after it starts, in the future",
            )
        if terms.decision_deadline <= now:
            raise InvalidInput("decision deadline", iso(terms.decision_deadline), "has passed")
        tx = self.grants._send(self.contract.functions.fileRequest(terms.as_tuple()))
        return Created(terms.request_id, tx)

    def info(self, request: bytes) -> ShareRequestInfo:
        filed = logs(self.connection, self.contract, "ShareRequestFiled", {"requestId": request})
        if not filed:
            raise NotFound("share request", hex0x(request), "no such request on this chain")
        return self._info(filed[0], self.grants.now())

    def _info(self, log: Any, now: int) -> ShareRequestInfo:
        request = bytes(log["args"]["requestId"])
        terms = ShareRequestTerms.from_event(log["args"])
        status = self.status(request)
        info = ShareRequestInfo(
            request, terms, checksum(log["args"]["requester"]), status, int(log["blockNumber"])
        )
        if status == "APPROVED":
            found = logs(
                self.connection, self.contract, "ShareRequestApproved", {"requestId": request}
            )
            if found:
                args = found[-1]["args"]
                info = replace(
                    info, grant_id=bytes(args["grantId"]), decided_by=checksum(args["approver"])
                )
        elif status == "REJECTED":
            found = logs(
                self.connection, self.contract, "ShareRequestRejected", {"requestId": request}
            )
            if found:
                args = found[-1]["args"]
                info = replace(
                    info,
                    decided_by=checksum(args["approver"]),
                    reason_hash=bytes(args["reasonHash"]),
                )
        elif status == "PENDING" and now > terms.decision_deadline:
            info = replace(info, status="EXPIRED")
        return info

    def list_requests(
        self, owner: str | None = None, grantee: str | None = None, status: str | None = None
    ) -> list[ShareRequestInfo]:
        filters: dict[str, Any] = {}
        if owner:
            filters["owner"] = self.grants.departments.require(owner)
        if grantee:
            filters["grantee"] = self.grants.departments.require(grantee)
        now = self.grants.now()
        found = [
            self._info(log, now)
            for log in logs(self.connection, self.contract, "ShareRequestFiled", filters)
        ]
        return [r for r in found if status is None or r.status == status]

    def _decidable(self, request: bytes) -> ShareRequestInfo:
        info = self.info(request)
        if info.status in ("APPROVED", "REJECTED"):
            raise _refuse(
                "ShareRequestDecided", f"request {hex0x(request)} was {info.status} already"
            )
        if info.status == "EXPIRED":
            raise _refuse(
                "ShareRequestExpired",
                f"request {hex0x(request)} passed its decision deadline "
                f"{iso(info.terms.decision_deadline)}",
            )
        signer = self.grants._signer()
        if not self.grants.departments.is_active_member(
            signer, code(info.terms.owner), ROLE_APPROVER
        ):
            raise _refuse(
                "AccessGrantNotApprover",
                f"{signer} is not an active APPROVER of {info.terms.owner}",
            )
        return info

    def approve(self, request: bytes) -> Created:
        """Approve a pending request as APPROVER of its owner; returns the new grant's id.

        Checked first: the request exists (exit 2), is pending and inside its deadline, the
        signer is an APPROVER of the owner; by eth_call the categories are still CONDITIONAL.
        """
        info = self._decidable(request)
        tx = self.grants._send(self.contract.functions.approveRequest(info.terms.as_tuple()))
        grant = grant_id(
            {
                "subject": ZERO_ADDRESS,
                "grantee": code(info.terms.grantee),
                "owner": code(info.terms.owner),
                "categories": [code(c) for c in info.terms.categories],
                "purposeHash": info.terms.purpose_hash,
                "basis": int(LegalBasis.OWNER_APPROVAL),
                "validFrom": info.terms.valid_from,
                "validUntil": info.terms.valid_until,
                "maxUses": info.terms.max_uses,
                "nonce": int.from_bytes(request, "big"),
            }
        )
        return Created(request, tx, {"grant_id": hex0x(grant)})

    def reject(self, request: bytes, reason: bytes) -> TxResult:
        """Reject a pending request as APPROVER of its owner (same checks as :meth:`approve`)."""
        info = self._decidable(request)
        return self.grants._send(
            self.contract.functions.rejectRequest(info.terms.as_tuple(), reason)
        )


__all__ = ["ShareRequests"]
