"""The real Council governs the DepartmentRegistry: admission, suspension, reinstatement,
retirement and admin-key replacement each need the council's threshold."""

from __future__ import annotations

from typing import Any

import ape

from tests.helpers import ACTIVE, PROPOSED, RETIRED, ROLE_ADMIN, ROLE_STAFF, SUSPENDED, code, enrol
from tests.identity.conftest import COUNCIL_THRESHOLD, ZERO32, council_decide

EDU = code("EDU")


def _decide(council_contract: Any, members: list[Any], target: Any, data: bytes, chain: Any) -> Any:
    pid = council_decide(council_contract, members, target, data, chain, COUNCIL_THRESHOLD)
    return council_contract.execute(pid, sender=members[0])


def test_council_admits_a_department(
    governed_departments: Any,
    council_contract: Any,
    council_members: list[Any],
    accounts: Any,
    chain: Any,
) -> None:
    reg, applicant = governed_departments, accounts[57]
    reg.propose(
        EDU,
        "Education Bureau",
        330106,
        "https://edu.example/node",
        ZERO32,
        applicant,
        sender=applicant,
    )
    assert reg.departmentStatus(EDU) == PROPOSED
    data = bytes(reg.admit.encode_input(EDU))
    pid = council_decide(council_contract, council_members, reg, data, chain, COUNCIL_THRESHOLD - 1)
    with ape.reverts(council_contract.CouncilThresholdNotMet):
        council_contract.execute(pid, sender=applicant)
    council_contract.approve(pid, sender=council_members[-1])
    tx = council_contract.execute(pid, sender=applicant)
    [changed] = tx.events.filter(reg.DepartmentStatusChanged)
    assert (changed.code, changed.to, changed.by) == (EDU, ACTIVE, council_contract.address)
    # At once discoverable and usable: its admin adds a member.
    enrol(reg, applicant, accounts[58], ROLE_STAFF)
    assert reg.isActiveMember(accounts[58], EDU, ROLE_STAFF)


def test_council_member_alone_cannot_call_the_registry(
    governed_departments: Any, council_members: list[Any]
) -> None:
    with ape.reverts(governed_departments.DepartmentUnauthorizedCouncil):
        governed_departments.suspend(code("PSB"), sender=council_members[0])


def test_suspension_removes_rights_everywhere_and_reinstatement_restores_them(
    project: Any, deployer: Any, governed_departments: Any, council_contract: Any,
    council_members: list[Any], citizens: list[Any], chain: Any,
) -> None:  # fmt: skip
    reg = governed_departments
    attestations = project.AttestationRegistry.deploy(reg, sender=deployer)
    bdb_admin, psb_admin = council_members[0], council_members[1]
    schema = attestations.registerSchema(
        b"\x01" * 32, ROLE_ADMIN, ZERO32, True, sender=bdb_admin
    ).return_value
    attestations.attest(citizens[0], schema, b"\x02" * 32, 0, ZERO32, sender=psb_admin)
    tx = _decide(
        council_contract, council_members, reg, bytes(reg.suspend.encode_input(code("PSB"))), chain
    )
    [changed] = tx.events.filter(reg.DepartmentStatusChanged)
    assert changed.to == SUSPENDED
    with ape.reverts(attestations.AttestationUnauthorized):
        attestations.attest(citizens[1], schema, b"\x03" * 32, 0, ZERO32, sender=psb_admin)
    with ape.reverts(reg.DepartmentUnauthorizedAdmin):
        reg.addMember(citizens[5], ROLE_STAFF, sender=psb_admin)
    # PSB's admin holds no voting seat while PSB is suspended (L-2): the others decide.
    seated = [m for m in council_members if m != psb_admin]
    data = bytes(reg.reinstate.encode_input(code("PSB")))
    pid = council_decide(council_contract, seated, reg, data, chain, COUNCIL_THRESHOLD)
    with ape.reverts(council_contract.CouncilSeatInactive, member=psb_admin.address):
        council_contract.approve(pid, sender=psb_admin)
    council_contract.execute(pid, sender=seated[0])
    assert reg.departmentStatus(code("PSB")) == ACTIVE
    attestations.attest(citizens[1], schema, b"\x03" * 32, 0, ZERO32, sender=psb_admin)


def test_council_retires_a_department(
    governed_departments: Any, council_contract: Any, council_members: list[Any], chain: Any
) -> None:
    reg = governed_departments
    _decide(
        council_contract,
        council_members,
        reg,
        bytes(reg.retire.encode_input(code("FINANCE"))),
        chain,
    )
    assert reg.departmentStatus(code("FINANCE")) == RETIRED


def test_council_replaces_a_lost_admin_key(
    governed_departments: Any,
    council_contract: Any,
    council_members: list[Any],
    accounts: Any,
    chain: Any,
) -> None:
    reg, old, new = governed_departments, council_members[2], accounts[59]
    data = bytes(reg.replaceAdmin.encode_input(code("HRSS"), old, new))
    tx = _decide(council_contract, council_members, reg, data, chain)
    [removed] = tx.events.filter(reg.MemberRemoved)
    [added] = tx.events.filter(reg.MemberAdded)
    assert (removed.account, added.account, added.roles) == (old.address, new.address, ROLE_ADMIN)
    assert reg.isActiveMember(new, code("HRSS"), ROLE_ADMIN)
    assert not reg.isActiveMember(old, code("HRSS"), ROLE_ADMIN)
