"""Small helpers shared by the test suites."""

from __future__ import annotations

from typing import Any

ROLE_STAFF = 1
ROLE_APPROVER = 2
ROLE_ADMIN = 4
ROLE_AUDITOR = 8

# DepartmentStatus enum values
NONE, PROPOSED, ACTIVE, SUSPENDED, RETIRED = range(5)


def code(name: str) -> bytes:
    """A department (or other) code: ASCII, right-padded with zeros to 32 bytes."""
    raw = name.encode()
    assert len(raw) <= 32, name
    return raw.ljust(32, b"\0")


def enrol(departments: Any, admin: Any, account: Any, roles: int) -> Any:
    """``admin`` offers ``account`` membership of its department with ``roles`` and the key
    accepts (a key joins a department only with its consent); returns the accepting receipt."""
    departments.addMember(account, roles, sender=admin)
    dept = departments.memberOf(admin)[0]
    return departments.acceptMembership(dept, sender=account)
