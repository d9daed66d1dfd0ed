"""Client of ``DepartmentRegistry``: departments, their member keys and roles.

Reads: :meth:`Departments.department`, :meth:`Departments.departments`, :meth:`Departments.members`
(current members of a department, found from its ``MemberAdded`` events and checked against
``rolesOf``), :meth:`Departments.member_of`. Writes by a department's ADMIN: offer membership
(:meth:`Departments.add_member`; the key joins when it accepts, :meth:`Departments.accept`),
remove, set roles, set endpoint, set metadata hash; by anyone: propose a new department (the
council admits it, see :mod:`govchain.identity.council`) or withdraw one's own proposal.

Checks before sending: the department named exists (:class:`~govchain.errors.NotFound`, exit 2);
the sender is an ADMIN of an active department; the account to add belongs to no department
yet and is not marked compromised; the account to change or remove is a member of the sender's
department; an offer to accept exists. Everything else is left to the Sender's preflight, whose
custom errors read as plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_typing import ChecksumAddress

from govchain import validate
from govchain.deploy import REGION_MAX, REGION_MIN, department_code
from govchain.errors import InvalidInput, NotFound
from govchain.identity.base import (
    ROLE_ADMIN,
    ZERO32,
    ContractClient,
    Refused,
    Sent,
    code_text,
    hex32,
    role_names,
)


class DepartmentStatus(IntEnum):
    """``IDepartmentRegistry.DepartmentStatus``."""

    NONE = 0
    PROPOSED = 1
    ACTIVE = 2
    SUSPENDED = 3
    RETIRED = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class Department:
    """What a reader needs to discover and contact a department."""

    code: bytes
    name: str
    region: int
    status: DepartmentStatus
    endpoint: str
    metadata_hash: bytes
    admin_count: int

    @property
    def code_text(self) -> str:
        return code_text(self.code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code_text,
            "code_hex": hex32(self.code),
            "name": self.name,
            "region": self.region,
            "status": self.status.label,
            "endpoint": self.endpoint,
            "metadata_hash": hex32(self.metadata_hash),
            "admin_count": self.admin_count,
        }


@dataclass(frozen=True)
class Member:
    """A key of a department and the roles it holds there."""

    account: ChecksumAddress
    roles: int
    role_list: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "roles": self.roles, "role_names": self.role_list}


@dataclass(frozen=True)
class Membership:
    """The department an account belongs to (``None`` if none), its roles, whether active."""

    account: ChecksumAddress
    department: bytes | None
    roles: int
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "department": code_text(self.department) if self.department else None,
            "roles": self.roles,
            "role_names": role_names(self.roles),
            "active": self.active,
        }


def as_code(code: str | bytes) -> bytes:
    """A department code given as text (``HRSS``) or as its 32 bytes."""
    if isinstance(code, bytes):
        if len(code) != 32:
            raise InvalidInput("department code", code.hex(), "expected 32 bytes")
        return code
    return department_code(code)


class Departments(ContractClient):
    """``DepartmentRegistry`` for readers, department ADMINs and applicants."""

    NAME = "DepartmentRegistry"

    # --- reads ---------------------------------------------------------------------------

    def status(self, code: str | bytes) -> DepartmentStatus:
        return DepartmentStatus(self.contract.functions.departmentStatus(as_code(code)).call())

    def exists(self, code: str | bytes) -> bool:
        return self.status(code) != DepartmentStatus.NONE

    def require(self, code: str | bytes) -> bytes:
        """The code's 32 bytes; :class:`NotFound` (exit 2) if no department has it."""
        raw = as_code(code)
        if not self.exists(raw):
            raise NotFound("department", code_text(raw), "see 'govchain dept list'")
        return raw

    def department(self, code: str | bytes) -> Department:
        raw = self.require(code)
        view = self.contract.functions.department(raw).call()
        return Department(
            code=bytes(view[0]),
            name=str(view[1]),
            region=int(view[2]),
            status=DepartmentStatus(view[3]),
            endpoint=str(view[4]),
            metadata_hash=bytes(view[5]),
            admin_count=int(view[6]),
        )

    def departments(self) -> list[Department]:
        """Every department ever proposed, in the order proposed."""
        count = int(self.contract.functions.departmentCount().call())
        codes = [bytes(self.contract.functions.departmentAt(i).call()) for i in range(count)]
        return [self.department(c) for c in codes]

    def roles_of(self, code: str | bytes, account: str) -> int:
        return int(self.contract.functions.rolesOf(as_code(code), validate.address(account)).call())

    def member_of(self, account: str) -> Membership:
        address = validate.address(account)
        dept, roles, active = self.contract.functions.memberOf(address).call()
        raw = bytes(dept)
        return Membership(address, None if raw == ZERO32 else raw, int(roles), bool(active))

    def compromised_since(self, account: str) -> int:
        """When the council marked ``account`` compromised (unix time), 0 if it never did."""
        return int(self.contract.functions.compromisedSince(validate.address(account)).call())

    def offer_of(self, account: str, code: str | bytes) -> tuple[int, ChecksumAddress]:
        """The roles ``code`` offered ``account`` (0 if none) and the ADMIN who offered."""
        roles, admin = self.contract.functions.offerOf(
            validate.address(account), as_code(code)
        ).call()
        return int(roles), validate.address(admin)

    def members(self, code: str | bytes) -> list[Member]:
        """The current members of ``code``: every key its ``MemberAdded`` events name that still
        holds roles there (``rolesOf``), in the order they first joined."""
        raw = self.require(code)
        seen: dict[ChecksumAddress, None] = {}
        for event in self._logs("MemberAdded", department=raw):
            seen.setdefault(validate.address(event["args"]["account"]), None)
        members = []
        for account in seen:
            roles = self.roles_of(raw, account)
            if roles:
                members.append(Member(account, roles, role_names(roles)))
        return members

    def history(self, code: str | bytes) -> list[dict[str, Any]]:
        """The department's status changes, oldest first (from ``DepartmentStatusChanged``)."""
        raw = self.require(code)
        return [
            {
                "from": DepartmentStatus(e["args"]["from"]).label,
                "to": DepartmentStatus(e["args"]["to"]).label,
                "by": e["args"]["by"],
                "block": e["blockNumber"],
                "tx": e["transactionHash"].to_0x_hex(),
            }
            for e in self._logs("DepartmentStatusChanged", code=raw)
        ]

    def _ever_active(self, raw: bytes) -> bool:
        return any(e["to"] == DepartmentStatus.ACTIVE.label for e in self.history(raw))

    # --- checks --------------------------------------------------------------------------

    def admin_department(self, account: str) -> bytes:
        """The active department ``account`` is an ADMIN of; :class:`Refused` if none."""
        member = self.member_of(account)
        if member.department is None:
            raise Refused(f"{member.account} is in no department")
        if member.roles & ROLE_ADMIN == 0:
            raise Refused(
                f"{member.account} is not an ADMIN of {code_text(member.department)} "
                f"(roles: {', '.join(role_names(member.roles)) or 'none'})"
            )
        if not member.active:
            status = self.status(member.department).label
            raise Refused(f"department {code_text(member.department)} is {status}, not Active")
        return member.department

    def _own_member(self, account: str) -> tuple[bytes, ChecksumAddress]:
        sender = self._signer("changing a member")
        dept = self.admin_department(sender.address)
        address = validate.address(account)
        if self.roles_of(dept, address) == 0:
            raise Refused(f"{address} is not a member of {code_text(dept)}")
        return dept, address

    # --- writes (the department's ADMIN) -------------------------------------------------

    def _joinable(self, address: ChecksumAddress) -> None:
        existing = self.member_of(address)
        if existing.department is not None:
            raise Refused(f"{address} already belongs to {code_text(existing.department)}")
        if self.compromised_since(address):
            raise Refused(f"{address} was marked compromised by the council: it can never join")

    def add_member(self, account: str, roles: int) -> Sent:
        """Offer ``account`` membership of the sender's department with ``roles`` (ADMIN
        only); the key joins when it accepts (:meth:`accept`)."""
        sender = self._signer("adding a member")
        self.admin_department(sender.address)
        address = validate.address(account)
        self._joinable(address)
        return Sent.of(self._send(self.contract.functions.addMember(address, roles), "add"))

    def accept(self, code: str | bytes) -> Sent:
        """The sender accepts department ``code``'s offer and joins it with the offered roles."""
        sender = self._signer("accepting a membership")
        raw = self.require(code)
        roles, admin = self.offer_of(sender.address, raw)
        if roles == 0:
            raise Refused(f"{code_text(raw)} offered {sender.address} no membership")
        self._joinable(sender.address)
        if (
            self.roles_of(raw, admin) & ROLE_ADMIN == 0
            or self.status(raw) != DepartmentStatus.ACTIVE
        ):
            raise Refused(
                f"the offer lapsed: {admin} is no longer an ADMIN of an Active {code_text(raw)}"
            )
        function = self.contract.functions.acceptMembership(raw)
        return Sent.of(self._send(function, "accepting a membership"))

    def withdraw_proposal(self, code: str | bytes) -> Sent:
        """The applicant withdraws its Proposed department (its key is released)."""
        self._signer("withdrawing a proposal")
        raw = self.require(code)
        if self.status(raw) != DepartmentStatus.PROPOSED:
            raise Refused(f"department {code_text(raw)} is {self.status(raw).label}, not Proposed")
        function = self.contract.functions.withdrawProposal(raw)
        return Sent.of(self._send(function, "withdrawing a proposal"))

    def _keep_an_admin(self, dept: bytes, address: ChecksumAddress, roles_after: int) -> None:
        drops_admin = self.roles_of(dept, address) & ROLE_ADMIN and not roles_after & ROLE_ADMIN
        if drops_admin and self.department(dept).admin_count <= 1:
            raise Refused(
                f"{address} is the last ADMIN of {code_text(dept)}; add another admin first"
            )

    def remove_member(self, account: str) -> Sent:
        """Remove ``account`` from the sender's department (ADMIN only; not the last ADMIN)."""
        dept, address = self._own_member(account)
        self._keep_an_admin(dept, address, 0)
        return Sent.of(self._send(self.contract.functions.removeMember(address), "remove"))

    def set_member_roles(self, account: str, roles: int) -> Sent:
        """Replace a member's roles (ADMIN only; the department keeps at least one ADMIN)."""
        dept, address = self._own_member(account)
        self._keep_an_admin(dept, address, roles)
        function = self.contract.functions.setMemberRoles(address, roles)
        return Sent.of(self._send(function, "setting roles"))

    def set_endpoint(self, endpoint: str) -> Sent:
        sender = self._signer("setting the endpoint")
        self.admin_department(sender.address)
        return Sent.of(self._send(self.contract.functions.setEndpoint(endpoint), "set endpoint"))

    def set_metadata_hash(self, metadata_hash: bytes) -> Sent:
        sender = self._signer("setting the metadata hash")
        self.admin_department(sender.address)
        raw = validate.bytes32(metadata_hash, "metadata hash")
        return Sent.of(self._send(self.contract.functions.setMetadataHash(raw), "set metadata"))

    # --- applying for admission ----------------------------------------------------------

    def propose(
        self,
        code: str | bytes,
        name: str,
        region: int,
        admin: str | None = None,
        endpoint: str = "",
        metadata_hash: bytes = ZERO32,
    ) -> Sent:
        """Record a new department as Proposed with its first ADMIN key, which signs.

        Checked first: the signer is the admin key (default), the code is unused, the region
        is six digits, the name is not empty, the admin key is in no department.
        """
        signer = self._signer("proposing a department").address
        if admin is not None and validate.address(admin) != signer:
            raise Refused(
                f"a department is proposed by its own first ADMIN key: sign with the key of "
                f"{validate.address(admin)}, not {signer}"
            )
        admin = signer
        raw = as_code(code)
        status = self.status(raw)
        if status == DepartmentStatus.RETIRED and not self._ever_active(raw):
            pass  # a rejected or withdrawn proposal's code is free again
        elif status != DepartmentStatus.NONE:
            raise Refused(f"department {code_text(raw)} exists already")
        if not REGION_MIN <= region <= REGION_MAX:
            raise InvalidInput("region", region, "expected a six-digit GB/T 2260 code")
        if not name.strip():
            raise InvalidInput("department name", name, "must not be empty")
        address = validate.address(admin)
        self._joinable(address)
        function = self.contract.functions.propose(
            raw, name, region, endpoint, metadata_hash, address
        )
        return Sent.of(self._send(function, "proposing a department"))
