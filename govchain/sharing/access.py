"""Access records on AccessGrants: the status view, the check before sending, recording and
listing ``AccessRecorded`` events (a part of :class:`govchain.sharing.grants.AccessGrants`).

The rule is the contract's: :meth:`AccessRecords.check_access` asks
``AccessGrants.accessStatus`` (:mod:`govchain.sharing.status`) and only words the answer.
"""

from __future__ import annotations

from typing import Any

from govchain import validate
from govchain.network import Connection
from govchain.sharing.anchors import AnchorRegistry
from govchain.sharing.base import (
    ROLE_STAFF,
    Departments,
    TxResult,
    checksum,
    code,
    code_name,
    hex0x,
    iso,
    logs,
)
from govchain.sharing.catalog import SharingClass
from govchain.sharing.status import AccessStatus
from govchain.sharing.status import refusal as access_refusal
from govchain.sharing.terms import (
    AccessRecord,
    GrantTerms,
    _refuse,
)


class AccessRecords:
    """The access-record half of the AccessGrants client (mixed into it)."""

    connection: Connection
    contract: Any
    catalog: AnchorRegistry
    departments: Departments

    def _send(self, function: Any) -> TxResult:
        raise NotImplementedError

    def _signer(self) -> str:
        raise NotImplementedError

    def terms(self, grant: bytes) -> GrantTerms:
        raise NotImplementedError

    def access_status(self, terms: GrantTerms, category: str, member: str) -> AccessStatus:
        """``AccessGrants.accessStatus``: the contract's own answer, at the latest block, to
        whether ``member`` may record an access to ``category`` under ``terms``."""
        raw = self.contract.functions.accessStatus(
            terms.as_tuple(), code(category), validate.address(member)
        ).call()
        return AccessStatus(int(raw))

    def check_access(self, terms: GrantTerms, category: str, member: str) -> None:
        """What ``recordAccess`` checks, asked of the contract (:meth:`access_status`) and told
        in plain words; an unknown category or grant is :class:`NotFound` (exit 2)."""
        info = self.catalog.require_category(category)
        status = self.access_status(terms, category, member)
        if status == AccessStatus.LIVE:
            return
        error = access_refusal(
            status,
            grant=hex0x(terms.grant_id),
            category=category,
            member=checksum(member),
            grantee=terms.grantee,
            subject=terms.subject,
            valid_from=iso(terms.valid_from),
            valid_until=iso(terms.valid_until),
            max_uses=str(terms.max_uses),
        )
        if status == AccessStatus.NOT_COVERED and info.sensitive:
            # the catalog says why, in words; the verdict is the contract's
            raise _refuse(
                "AccessGrantCategoryNotCovered",
                f"{error.explanation}: it is sensitive and must be named in the grant",  # type: ignore[attr-defined]
            )
        raise error

    def record_access(self, grant: bytes, category: str, request_hash: bytes) -> TxResult:
        """Record that the signer (STAFF of the grantee) accesses ``category`` under ``grant``,
        after :meth:`check_access` for the signer."""
        terms = self.terms(grant)
        self.check_access(terms, category, self._signer())
        return self._send(
            self.contract.functions.recordAccess(terms.as_tuple(), code(category), request_hash)
        )

    def record_open_access(self, category: str, purpose: bytes, request_hash: bytes) -> TxResult:
        """Record an access to an UNCONDITIONAL category (no grant needed; STAFF of any department)."""
        info = self.catalog.require_category(category)
        if info.sharing != SharingClass.UNCONDITIONAL:
            raise _refuse(
                "AccessGrantNotUnconditional",
                f"category {category} is {info.sharing.name}, not UNCONDITIONAL: an access needs a grant",
            )
        self.departments.department_of(self._signer(), ROLE_STAFF, "STAFF member")
        return self._send(
            self.contract.functions.recordOpenAccess(code(category), purpose, request_hash)
        )

    def access_records(
        self,
        subject: str | None = None,
        owner: str | None = None,
        grantee: str | None = None,
        grant: bytes | None = None,
        category: str | None = None,
    ) -> list[AccessRecord]:
        """Access records (``AccessRecorded`` events) matching every filter given, oldest first."""
        filters: dict[str, Any] = {}
        if subject:
            filters["subject"] = validate.address(subject)
        if owner:
            filters["owner"] = self.departments.require(owner)
        if grantee:
            filters["grantee"] = self.departments.require(grantee)
        if category:
            self.catalog.require_category(category)
        times: dict[int, int] = {}
        out = []
        for log in logs(self.connection, self.contract, "AccessRecorded", filters):
            args = log["args"]
            if grant is not None and bytes(args["grantId"]) != grant:
                continue
            if category is not None and code_name(bytes(args["category"])) != category:
                continue
            block = int(log["blockNumber"])
            if block not in times:
                times[block] = int(self.connection.w3.eth.get_block(block)["timestamp"])
            out.append(
                AccessRecord(
                    checksum(args["subject"]),
                    code_name(bytes(args["owner"])),
                    code_name(bytes(args["grantee"])),
                    code_name(bytes(args["category"])),
                    bytes(args["purposeHash"]),
                    checksum(args["member"]),
                    bytes(args["requestHash"]),
                    bytes(args["grantId"]),
                    block,
                    times[block],
                    hex0x(bytes(log["transactionHash"])),
                )
            )
        return out
