"""The reference city fixture the contract commands are tested on: deployed, staffed, keyed."""

from __future__ import annotations

from govchain.deploy import department_code
from govchain.reference import COUNCIL, DEPARTMENTS, ROLE_ADMIN, ROLE_APPROVER, ROLE_STAFF
from tests.cli.conftest import CityRun


def test_every_department_is_active_with_its_staff_and_keys(city_run: CityRun) -> None:
    city = city_run.platform
    registry = city.connection.contract("DepartmentRegistry")
    assert registry.functions.departmentCount().call() == len(DEPARTMENTS)
    for info in DEPARTMENTS:
        keys = city.departments[info.code]
        dept = department_code(info.code)
        assert registry.functions.isActiveMember(keys.admin.address, dept, ROLE_ADMIN).call()
        assert registry.functions.isActiveMember(keys.staff.address, dept, ROLE_STAFF).call()
        for approver in keys.approvers:
            assert registry.functions.isActiveMember(approver.address, dept, ROLE_APPROVER).call()
    council = city.connection.contract("Council")
    assert council.functions.members().call() == [
        city.departments[c].admin.address for c in COUNCIL
    ]
    shown = city_run.json("keys", "show", "hrss-approver2")
    assert shown["address"] == city.departments["HRSS"].approvers[1].address
