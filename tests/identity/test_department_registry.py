"""DepartmentRegistry: admission, status, members and roles, and the views other contracts use."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from tests.conftest import FOUNDERS
from tests.helpers import (
    ACTIVE,
    NONE,
    PROPOSED,
    RETIRED,
    ROLE_ADMIN,
    ROLE_APPROVER,
    ROLE_AUDITOR,
    ROLE_STAFF,
    SUSPENDED,
    code,
    enrol,
)

NEW = code("EDU")
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def applicant(accounts: Any) -> Any:
    return accounts[57]


@pytest.fixture
def spare(accounts: Any) -> Any:
    return accounts[58]


def _propose(departments: Any, applicant: Any, code_: bytes = NEW, **kw: Any) -> Any:
    args = {
        "name": "Education Bureau",
        "region": 330106,
        "endpoint": "https://edu.example.gov/node",
        "metadata": b"\x01" * 32,
        "admin": applicant,
    }
    args.update(kw)
    return departments.propose(
        code_, args["name"], args["region"], args["endpoint"], args["metadata"], args["admin"],
        sender=applicant,
    )  # fmt: skip


# --- deployment -------------------------------------------------------------------------------


def test_founders_are_active_and_discoverable(
    departments: Any, council: Any, accounts: Any
) -> None:
    assert departments.council() == council.address
    assert departments.departmentCount() == len(FOUNDERS)
    for i, (name, region, title) in enumerate(FOUNDERS):
        assert departments.departmentAt(i) == code(name)
        view = departments.department(code(name))
        assert view.name == title
        assert view.region == region
        assert view.status == ACTIVE
        assert view.adminCount == 1
        assert departments.memberOf(accounts[2 + 6 * i]) == (code(name), ROLE_ADMIN, True)


def _refused_deployment(project: Any, args: list[Any], sender: Any) -> bytes:
    """The revert data of deploying DepartmentRegistry with ``args``, asked by ``eth_call``.

    Not ``ape.reverts`` around ``deploy``: on a refused CREATE ape prints a call trace and
    decodes the init code against whatever contract an earlier test, since reverted to its
    snapshot, left at the same address; under some test orders that decoding fails
    (``InvalidPointer``) and hides the refusal."""
    contract_type = project.DepartmentRegistry.contract_type
    factory = ape.chain.provider.web3.eth.contract(
        abi=[item.model_dump(by_alias=True, mode="json") for item in contract_type.abi],
        bytecode=contract_type.deployment_bytecode.bytecode,
    )
    data = factory.constructor(*args).data_in_transaction
    with pytest.raises(ContractCustomError) as refused:
        ape.chain.provider.web3.eth.call({"from": sender.address, "data": data})
    return bytes.fromhex(str(refused.value.data).removeprefix("0x"))


def test_deployment_refuses_a_zero_council(project: Any, deployer: Any) -> None:
    data = _refused_deployment(project, [ZERO, []], deployer)
    assert data == keccak(text="DepartmentZeroAddress()")[:4]


def test_deployment_refuses_a_founder_key_in_two_departments(
    project: Any, deployer: Any, council: Any
) -> None:
    founders = [
        (code("A"), "A", 110000, "", b"\0" * 32, deployer),
        (code("B"), "B", 110000, "", b"\0" * 32, deployer),
    ]
    founders = [(*f[:5], f[5].address) for f in founders]
    data = _refused_deployment(project, [council.address, founders], deployer)
    assert data == keccak(text="DepartmentMemberExists(address,bytes32)")[:4] + encode(
        ["address", "bytes32"], [deployer.address, code("A")]
    )


# --- propose and admit ------------------------------------------------------------------------


def test_propose_records_a_proposed_department_whose_admin_has_no_rights(
    departments: Any, applicant: Any
) -> None:
    tx = _propose(departments, applicant)
    assert departments.departmentStatus(NEW) == PROPOSED
    assert departments.memberOf(applicant) == (NEW, ROLE_ADMIN, False)
    assert not departments.isActiveMember(applicant, NEW, ROLE_ADMIN)
    [proposed] = tx.events.filter(departments.DepartmentProposed)
    assert (
        proposed.code == NEW and proposed.region == 330106 and proposed.admin == applicant.address
    )
    assert proposed.by == applicant.address
    [endpoint] = tx.events.filter(departments.DepartmentEndpointChanged)
    assert endpoint.endpoint == "https://edu.example.gov/node"
    [added] = tx.events.filter(departments.MemberAdded)
    assert (added.department, added.account, added.roles) == (NEW, applicant.address, ROLE_ADMIN)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=applicant.address):
        departments.addMember(applicant, ROLE_STAFF, sender=applicant)


def test_admit_by_council_activates_the_department(
    departments: Any, applicant: Any, council: Any
) -> None:
    _propose(departments, applicant)
    tx = departments.admit(NEW, sender=council)
    [changed] = tx.events.filter(departments.DepartmentStatusChanged)
    assert (changed.code, changed.to, changed.by) == (NEW, ACTIVE, council.address)
    assert getattr(changed, "from") == PROPOSED
    assert departments.isActiveMember(applicant, NEW, ROLE_ADMIN)


def test_admit_refuses_anyone_but_the_council(
    departments: Any, applicant: Any, outsider: Any
) -> None:
    _propose(departments, applicant)
    with ape.reverts(departments.DepartmentUnauthorizedCouncil, caller=outsider.address):
        departments.admit(NEW, sender=outsider)


def test_admit_refuses_an_unknown_department(departments: Any, council: Any) -> None:
    with ape.reverts(departments.DepartmentUnknown, code=NEW):
        departments.admit(NEW, sender=council)


def test_admit_refuses_an_active_department(departments: Any, council: Any, depts: Any) -> None:
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.admit(depts["HRSS"].code, sender=council)


def test_propose_refuses_a_zero_code(departments: Any, applicant: Any) -> None:
    with ape.reverts(departments.DepartmentInvalidCode, code=b"\0" * 32):
        _propose(departments, applicant, b"\0" * 32)


@pytest.mark.parametrize(
    "raw",
    [
        b"HRSS.X".ljust(32, b"\0"),  # a dot would let namespaces "<code>.<name>" overlap
        b" HRSS".ljust(32, b"\0"),  # not printable
        b"HR\0SS".ljust(32, b"\0"),  # not left-aligned
        b"A" * 30 + b"\0\0",  # no room left for ".<name>"
        bytes(range(1, 33)),  # control bytes
    ],
)
def test_propose_refuses_a_malformed_code(departments: Any, applicant: Any, raw: bytes) -> None:
    with ape.reverts(departments.DepartmentInvalidCode, code=raw):
        _propose(departments, applicant, raw)


def test_propose_takes_the_longest_well_formed_code(departments: Any, applicant: Any) -> None:
    raw = b"A" * 29 + b"\0\0\0"
    _propose(departments, applicant, raw)
    assert departments.departmentStatus(raw) == 1  # Proposed


def test_propose_refuses_an_existing_code(departments: Any, applicant: Any) -> None:
    with ape.reverts(departments.DepartmentAlreadyExists, code=code("HRSS")):
        _propose(departments, applicant, code("HRSS"))


def test_propose_refuses_an_empty_or_long_name(departments: Any, applicant: Any) -> None:
    with ape.reverts(departments.DepartmentInvalidName, length=0, max=128):
        _propose(departments, applicant, name="")
    with ape.reverts(departments.DepartmentInvalidName, length=129, max=128):
        _propose(departments, applicant, name="x" * 129)


@pytest.mark.parametrize("region", [0, 99999, 1000000])
def test_propose_refuses_a_region_that_is_not_six_digits(
    departments: Any, applicant: Any, region: int
) -> None:
    with ape.reverts(departments.DepartmentInvalidRegion, region=region):
        _propose(departments, applicant, region=region)


def test_propose_refuses_a_long_endpoint(departments: Any, applicant: Any) -> None:
    with ape.reverts(departments.DepartmentEndpointTooLong, length=257, max=256):
        _propose(departments, applicant, endpoint="h" * 257)


def test_propose_refuses_an_admin_other_than_the_caller(
    departments: Any, applicant: Any, outsider: Any
) -> None:
    """Nobody binds another's key (or the zero address) to a department by proposing it."""
    for admin in (outsider, ZERO):
        address = getattr(admin, "address", admin)
        with ape.reverts(
            departments.DepartmentUnauthorizedProposer, caller=applicant.address, admin=address
        ):
            departments.propose(
                code("EDU"), "Education Bureau", 330106, "", b"\0" * 32, admin, sender=applicant
            )


def test_propose_refuses_an_admin_key_of_another_department(departments: Any, depts: Any) -> None:
    hrss = depts["HRSS"]
    with ape.reverts(
        departments.DepartmentMemberExists, account=hrss.staff.address, department=hrss.code
    ):
        _propose(departments, hrss.staff)


# --- suspend, reinstate, retire ---------------------------------------------------------------


def test_suspended_department_members_lose_every_right_and_regain_them(
    departments: Any, council: Any, depts: Any, spare: Any
) -> None:
    hrss = depts["HRSS"]
    tx = departments.suspend(hrss.code, sender=council)
    [changed] = tx.events.filter(departments.DepartmentStatusChanged)
    assert (changed.code, changed.to) == (hrss.code, SUSPENDED)
    assert departments.memberOf(hrss.staff) == (hrss.code, ROLE_STAFF, False)
    for member, role in [
        (hrss.staff, ROLE_STAFF),
        (hrss.approvers[0], ROLE_APPROVER),
        (hrss.admin, ROLE_ADMIN),
    ]:
        assert not departments.isActiveMember(member, hrss.code, role)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin):
        departments.addMember(spare, ROLE_STAFF, sender=hrss.admin)
    departments.reinstate(hrss.code, sender=council)
    assert departments.isActiveMember(hrss.staff, hrss.code, ROLE_STAFF)
    assert departments.departmentStatus(hrss.code) == ACTIVE


def test_suspend_and_reinstate_refuse_wrong_status_and_callers(
    departments: Any, council: Any, depts: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"].code
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.reinstate(hrss, sender=council)
    with ape.reverts(departments.DepartmentUnauthorizedCouncil):
        departments.suspend(hrss, sender=outsider)
    with ape.reverts(departments.DepartmentUnauthorizedCouncil):
        departments.reinstate(hrss, sender=outsider)
    departments.suspend(hrss, sender=council)
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.suspend(hrss, sender=council)
    with ape.reverts(departments.DepartmentUnknown):
        departments.suspend(NEW, sender=council)


def test_retire_is_final(departments: Any, council: Any, depts: Any, outsider: Any) -> None:
    dpf = depts["DPF"]
    with ape.reverts(departments.DepartmentUnauthorizedCouncil):
        departments.retire(dpf.code, sender=outsider)
    tx = departments.retire(dpf.code, sender=council)
    [changed] = tx.events.filter(departments.DepartmentStatusChanged)
    assert changed.to == RETIRED
    assert not departments.isActiveMember(dpf.approvers[0], dpf.code, ROLE_APPROVER)
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.retire(dpf.code, sender=council)
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.reinstate(dpf.code, sender=council)
    with ape.reverts(departments.DepartmentUnknown):
        departments.retire(NEW, sender=council)


def test_retiring_a_proposed_department_rejects_it(
    departments: Any, council: Any, applicant: Any
) -> None:
    _propose(departments, applicant)
    departments.retire(NEW, sender=council)
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.admit(NEW, sender=council)


# --- members ----------------------------------------------------------------------------------


def test_admin_adds_a_member_with_roles(departments: Any, depts: Any, spare: Any) -> None:
    civil = depts["CIVIL"]
    tx = departments.addMember(spare, ROLE_STAFF | ROLE_APPROVER, sender=civil.admin)
    [offered] = tx.events.filter(departments.MemberOffered)
    assert (offered.department, offered.account, offered.roles, offered.sender) == (
        civil.code, spare.address, ROLE_STAFF | ROLE_APPROVER, civil.admin.address,
    )  # fmt: skip
    assert departments.memberOf(spare) == (b"\0" * 32, 0, False)  # not without its consent
    assert departments.offerOf(spare, civil.code) == (ROLE_STAFF | ROLE_APPROVER, civil.admin)
    tx = departments.acceptMembership(civil.code, sender=spare)
    assert departments.offerOf(spare, civil.code) == (0, ZERO)
    [added] = tx.events.filter(departments.MemberAdded)
    assert (added.department, added.account, added.roles, added.by) == (
        civil.code, spare.address, ROLE_STAFF | ROLE_APPROVER, civil.admin.address,
    )  # fmt: skip
    assert departments.isActiveMember(spare, civil.code, ROLE_STAFF)
    assert departments.isActiveMember(spare, civil.code, ROLE_APPROVER)
    assert departments.isActiveMember(spare, civil.code, ROLE_STAFF | ROLE_APPROVER)
    assert not departments.isActiveMember(spare, civil.code, ROLE_ADMIN)
    assert not departments.isActiveMember(spare, civil.code, 0)
    assert not departments.isActiveMember(spare, depts["HRSS"].code, ROLE_STAFF)
    assert departments.rolesOf(civil.code, spare) == ROLE_STAFF | ROLE_APPROVER


def test_a_key_counts_only_in_its_own_department_with_the_roles_it_holds(
    departments: Any, depts: Any
) -> None:
    """A key's department and roles share one storage word (``uint256(code) | roles``): a code
    that differs from the key's department in any byte, the last one included, or another
    department's code, grants nothing, and roles changed later are read from the same word."""
    civil, hrss = depts["CIVIL"], depts["HRSS"]
    staff = civil.staff
    assert departments.memberOf(staff) == (civil.code, ROLE_STAFF, True)
    last_byte = civil.code[:31] + b"\x01"  # the roles byte's position: never part of a code
    for other in (last_byte, hrss.code, b"\0" * 32):
        assert not departments.isActiveMember(staff, other, ROLE_STAFF)
        assert departments.activeMembersPrefix(other, ROLE_STAFF, [staff]) == 0
        assert departments.rolesOf(other, staff) == 0
    assert departments.activeMembersPrefix(civil.code, ROLE_STAFF, [staff, hrss.staff]) == 1
    departments.setMemberRoles(staff, ROLE_APPROVER | ROLE_AUDITOR, sender=civil.admin)
    assert departments.memberOf(staff) == (civil.code, ROLE_APPROVER | ROLE_AUDITOR, True)
    assert not departments.isActiveMember(staff, civil.code, ROLE_STAFF)
    assert departments.isActiveMember(staff, civil.code, ROLE_APPROVER | ROLE_AUDITOR)
    departments.removeMember(staff, sender=civil.admin)
    assert departments.memberOf(staff) == (b"\0" * 32, 0, False)
    assert departments.rolesOf(civil.code, staff) == 0


def test_add_member_refuses_non_admins(
    departments: Any, depts: Any, spare: Any, outsider: Any
) -> None:
    civil = depts["CIVIL"]
    for caller in (civil.staff, civil.approvers[0], civil.auditor, outsider):
        with ape.reverts(departments.DepartmentUnauthorizedAdmin, caller=caller.address):
            departments.addMember(spare, ROLE_ADMIN, sender=caller)


def test_add_member_refuses_a_key_of_another_department(departments: Any, depts: Any) -> None:
    hrss = depts["HRSS"]
    with ape.reverts(
        departments.DepartmentMemberExists, account=hrss.staff.address, department=hrss.code
    ):
        departments.addMember(hrss.staff, ROLE_STAFF, sender=depts["CIVIL"].admin)


@pytest.mark.parametrize("roles", [0, 16, 255])
def test_add_member_refuses_invalid_roles(
    departments: Any, depts: Any, spare: Any, roles: int
) -> None:
    with ape.reverts(departments.DepartmentInvalidRoles, roles=roles):
        departments.addMember(spare, roles, sender=depts["CIVIL"].admin)


def test_add_member_refuses_the_zero_address(departments: Any, depts: Any) -> None:
    with ape.reverts(departments.DepartmentZeroAddress):
        departments.addMember(ZERO, ROLE_STAFF, sender=depts["CIVIL"].admin)


def test_set_member_roles_changes_rights_at_once(departments: Any, depts: Any) -> None:
    civil = depts["CIVIL"]
    tx = departments.setMemberRoles(civil.staff, ROLE_AUDITOR, sender=civil.admin)
    [changed] = tx.events.filter(departments.MemberRolesChanged)
    assert (changed.department, changed.account, changed.roles) == (
        civil.code,
        civil.staff.address,
        ROLE_AUDITOR,
    )
    assert not departments.isActiveMember(civil.staff, civil.code, ROLE_STAFF)
    assert departments.isActiveMember(civil.staff, civil.code, ROLE_AUDITOR)


def test_set_member_roles_can_make_and_unmake_admins(departments: Any, depts: Any) -> None:
    civil = depts["CIVIL"]
    departments.setMemberRoles(civil.staff, ROLE_STAFF | ROLE_ADMIN, sender=civil.admin)
    assert departments.department(civil.code).adminCount == 2
    departments.setMemberRoles(civil.admin, ROLE_STAFF, sender=civil.staff)
    assert departments.department(civil.code).adminCount == 1
    with ape.reverts(
        departments.DepartmentLastAdmin, department=civil.code, admin=civil.staff.address
    ):
        departments.setMemberRoles(civil.staff, ROLE_STAFF, sender=civil.staff)


def test_set_member_roles_refuses(departments: Any, depts: Any, spare: Any) -> None:
    civil = depts["CIVIL"]
    with ape.reverts(departments.DepartmentNotMember, account=spare.address, department=civil.code):
        departments.setMemberRoles(spare, ROLE_STAFF, sender=civil.admin)
    with ape.reverts(departments.DepartmentNotMember):
        departments.setMemberRoles(depts["HRSS"].staff, ROLE_STAFF, sender=civil.admin)
    with ape.reverts(departments.DepartmentInvalidRoles, roles=0):
        departments.setMemberRoles(civil.staff, 0, sender=civil.admin)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin):
        departments.setMemberRoles(civil.staff, ROLE_ADMIN, sender=civil.staff)


def test_remove_member_frees_the_key_for_another_department(departments: Any, depts: Any) -> None:
    civil, hrss = depts["CIVIL"], depts["HRSS"]
    tx = departments.removeMember(civil.staff, sender=civil.admin)
    [removed] = tx.events.filter(departments.MemberRemoved)
    assert (removed.department, removed.account, removed.by) == (
        civil.code,
        civil.staff.address,
        civil.admin.address,
    )
    assert departments.memberOf(civil.staff) == (b"\0" * 32, 0, False)
    enrol(departments, hrss.admin, civil.staff, ROLE_STAFF)
    assert departments.isActiveMember(civil.staff, hrss.code, ROLE_STAFF)


def test_remove_member_refuses(departments: Any, depts: Any, outsider: Any) -> None:
    civil = depts["CIVIL"]
    with ape.reverts(
        departments.DepartmentNotMember, account=outsider.address, department=civil.code
    ):
        departments.removeMember(outsider, sender=civil.admin)
    with ape.reverts(departments.DepartmentNotMember):
        departments.removeMember(depts["HRSS"].staff, sender=civil.admin)
    with ape.reverts(
        departments.DepartmentLastAdmin, department=civil.code, admin=civil.admin.address
    ):
        departments.removeMember(civil.admin, sender=civil.admin)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin):
        departments.removeMember(civil.approvers[0], sender=civil.staff)


# --- replace a lost admin key ------------------------------------------------------------------


def test_council_replaces_a_lost_admin_key(
    departments: Any, council: Any, depts: Any, spare: Any
) -> None:
    hrss = depts["HRSS"]
    tx = departments.replaceAdmin(hrss.code, hrss.admin, spare, sender=council)
    [removed] = tx.events.filter(departments.MemberRemoved)
    [added] = tx.events.filter(departments.MemberAdded)
    assert removed.account == hrss.admin.address and added.account == spare.address
    assert added.roles == ROLE_ADMIN and added.by == council.address
    assert departments.memberOf(hrss.admin) == (b"\0" * 32, 0, False)
    assert departments.isActiveMember(spare, hrss.code, ROLE_ADMIN)
    assert departments.department(hrss.code).adminCount == 1


def test_council_adds_an_admin_without_removing_one(
    departments: Any, council: Any, depts: Any, spare: Any
) -> None:
    hrss = depts["HRSS"]
    departments.replaceAdmin(hrss.code, ZERO, spare, sender=council)
    assert departments.department(hrss.code).adminCount == 2


def test_replace_admin_refuses(
    departments: Any, council: Any, depts: Any, spare: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"]
    with ape.reverts(departments.DepartmentUnauthorizedCouncil):
        departments.replaceAdmin(hrss.code, hrss.admin, spare, sender=outsider)
    with ape.reverts(departments.DepartmentUnknown):
        departments.replaceAdmin(NEW, ZERO, spare, sender=council)
    with ape.reverts(
        departments.DepartmentNotMember, account=hrss.staff.address, department=hrss.code
    ):
        departments.replaceAdmin(hrss.code, hrss.staff, spare, sender=council)
    with ape.reverts(departments.DepartmentMemberExists):
        departments.replaceAdmin(hrss.code, hrss.admin, depts["CIVIL"].staff, sender=council)
    with ape.reverts(departments.DepartmentZeroAddress):
        departments.replaceAdmin(hrss.code, hrss.admin, ZERO, sender=council)
    departments.retire(hrss.code, sender=council)
    with ape.reverts(departments.DepartmentInvalidTransition):
        departments.replaceAdmin(hrss.code, hrss.admin, spare, sender=council)


# --- department data --------------------------------------------------------------------------


def test_admin_sets_endpoint_and_metadata(departments: Any, depts: Any) -> None:
    hrss = depts["HRSS"]
    tx = departments.setEndpoint("https://hrss.example.gov/node", sender=hrss.admin)
    [event] = tx.events.filter(departments.DepartmentEndpointChanged)
    assert (event.code, event.endpoint, event.by) == (
        hrss.code,
        "https://hrss.example.gov/node",
        hrss.admin.address,
    )
    tx = departments.setMetadataHash(b"\x07" * 32, sender=hrss.admin)
    [meta] = tx.events.filter(departments.DepartmentMetadataChanged)
    assert meta.metadataHash == b"\x07" * 32
    view = departments.department(hrss.code)
    assert view.endpoint == "https://hrss.example.gov/node"
    assert view.metadataHash == b"\x07" * 32


def test_department_data_refuses(departments: Any, depts: Any) -> None:
    hrss = depts["HRSS"]
    with ape.reverts(departments.DepartmentUnauthorizedAdmin):
        departments.setEndpoint("https://x", sender=hrss.staff)
    with ape.reverts(departments.DepartmentUnauthorizedAdmin):
        departments.setMetadataHash(b"\x07" * 32, sender=hrss.staff)
    with ape.reverts(departments.DepartmentEndpointTooLong):
        departments.setEndpoint("h" * 257, sender=hrss.admin)


def test_views_of_unknown_things(departments: Any, outsider: Any) -> None:
    assert departments.departmentStatus(NEW) == NONE
    assert departments.memberOf(outsider) == (b"\0" * 32, 0, False)
    with ape.reverts(departments.DepartmentUnknown, code=NEW):
        departments.department(NEW)


def test_active_members_prefix_answers_for_a_set_of_signers(
    departments: Any, council: Any, depts: Any, outsider: Any
) -> None:
    """``activeMembersPrefix``: how many leading accounts are active members of an Active
    department with every bit of the role (CaseApprovals checks a decision's signers with it,
    the same rule as ``isActiveMember``)."""
    hrss, dpf = depts["HRSS"], depts["DPF"]
    approvers = [a.address for a in hrss.approvers]
    assert departments.activeMembersPrefix(hrss.code, ROLE_APPROVER, approvers) == len(approvers)
    assert departments.activeMembersPrefix(hrss.code, ROLE_APPROVER, []) == 0
    # the first that is not: staff, an outsider, another department's approver
    for intruder in (hrss.staff, outsider, dpf.approvers[0]):
        mixed = [approvers[0], intruder.address, approvers[1]]
        assert departments.activeMembersPrefix(hrss.code, ROLE_APPROVER, mixed) == 1
        assert not departments.isActiveMember(intruder, hrss.code, ROLE_APPROVER)
    # every bit of the role; no role is no answer
    both = ROLE_APPROVER | ROLE_STAFF
    assert departments.activeMembersPrefix(hrss.code, both, approvers) == 0
    assert departments.activeMembersPrefix(hrss.code, 0, approvers) == 0
    # a department that is not Active has no active members
    departments.suspend(hrss.code, sender=council)
    assert departments.activeMembersPrefix(hrss.code, ROLE_APPROVER, approvers) == 0
    departments.reinstate(hrss.code, sender=council)
    assert departments.activeMembersPrefix(hrss.code, ROLE_APPROVER, approvers) == len(approvers)
