"""Gas of governance: DepartmentRegistry (council and admin functions) and Council self-calls.

Two views of each council-only DepartmentRegistry function: the bare call (the registry of the
unit tests, whose council is an EOA: what the function itself costs) and the whole
``Council.execute`` that performs it on a registry governed by the real Council (what the
platform pays; propose and approve are in gas_identity.json). Council.addMember /
removeMember / changeThreshold are only callable by the council itself, so they are measured as
``execute`` of a passed proposal.

Slot counts (stated per row): a department's first slot packs status, region and admin count;
its name and endpoint are strings (one slot up to 31 bytes, else a length slot plus one per 32
bytes); each member has a roles slot and a department-of slot. A Council proposal packs target,
expiry and executed in one slot; ``execute`` updates it.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_governance.py -s``; writes
``benchmarks/results/gas_governance.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from benchmarks.gastable import GasTable
from tests.helpers import ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF, code
from tests.identity.conftest import COUNCIL_THRESHOLD, council_decide

OUT = Path(__file__).resolve().parent / "results" / "gas_governance.json"
DAY = 86_400
LONG_ENDPOINT = "https://node.hrss.hangzhou.gov.cn/govchain/v1"  # 45 bytes: 2 data slots


def test_department_registry_gas(
    departments: Any, depts: Any, council: Any, outsider: Any, accounts: Any
) -> None:
    t = GasTable(OUT)
    reg = departments
    new_code = code("TRANSPORT")
    newcomer_admin = accounts[57]
    r = reg.propose(
        new_code,
        "Transport Bureau",
        330100,
        "http://node.transport/",
        keccak(text="charter"),
        newcomer_admin,
        sender=newcomer_admin,
    )
    t.add(
        "DepartmentRegistry.propose (name, endpoint < 32 bytes, metadata)",
        r,
        new=6,
        upd=1,
        note="status/region/adminCount, metadata, name, endpoint, code list entry, admin's "
        "member slot (department and roles, packed); the code list length updated",
    )
    r = reg.admit(new_code, sender=council)
    t.add("DepartmentRegistry.admit (bare, council EOA)", r, upd=1)
    r = reg.suspend(new_code, sender=council)
    t.add("DepartmentRegistry.suspend (bare)", r, upd=1)
    r = reg.reinstate(new_code, sender=council)
    t.add("DepartmentRegistry.reinstate (bare)", r, upd=1)
    housing = depts["HOUSING"]
    r = reg.replaceAdmin(housing.code, housing.admin, accounts[58], sender=council)
    t.add(
        "DepartmentRegistry.replaceAdmin (bare: old admin out and marked compromised, new in)",
        r,
        new=3,
        upd=2,
        note="old admin's member slot (department and roles) cleared, its compromisedSince set; "
        "the new admin's member slot; the admin count goes -1 +1 (no change)",
    )
    r = reg.retire(new_code, sender=council)
    t.add("DepartmentRegistry.retire (bare)", r, upd=1)

    hrss = depts["HRSS"]
    r = reg.addMember(accounts[59], ROLE_STAFF, sender=hrss.admin)
    t.add("DepartmentRegistry.addMember (an offer, by the department's ADMIN)", r, new=1,
          note="one offer slot (roles, offering ADMIN); + the caller's memberOf and the key's "
          "compromised/department-of checks")  # fmt: skip
    r = reg.acceptMembership(hrss.code, sender=accounts[59])
    t.add("DepartmentRegistry.acceptMembership (the key consents)", r, new=1, upd=1,
          note="the member slot (department and roles, packed) written, offer cleared (refund); the offering ADMIN "
          "and the status re-checked")  # fmt: skip
    r = reg.setMemberRoles(accounts[59], ROLE_STAFF | ROLE_APPROVER, sender=hrss.admin)
    t.add("DepartmentRegistry.setMemberRoles", r, upd=1)
    r = reg.removeMember(accounts[59], sender=hrss.admin)
    t.add("DepartmentRegistry.removeMember", r, upd=1, note="the member slot cleared (refund)")
    r = reg.addMember(accounts[59], ROLE_AUDITOR, sender=hrss.admin)
    t.add("DepartmentRegistry.addMember (the same key again, slots were cleared)", r, new=1)
    r = reg.acceptMembership(hrss.code, sender=accounts[59])
    t.add("DepartmentRegistry.acceptMembership (again)", r, new=1, upd=1)
    r = reg.removeMemberByCouncil(accounts[59], sender=council)
    t.add("DepartmentRegistry.removeMemberByCouncil (bare)", r, upd=1,
          note="the member slot cleared (refund)")  # fmt: skip
    r = reg.markCompromised(accounts[59], sender=council)
    t.add("DepartmentRegistry.markCompromised (bare, a key in no department)", r, new=1)
    r = reg.setEndpoint(LONG_ENDPOINT, sender=hrss.admin)
    t.add(
        f"DepartmentRegistry.setEndpoint ({len(LONG_ENDPOINT)} bytes, was short)",
        r,
        new=2,
        upd=1,
        note="length slot + 2 data slots",
    )
    r = reg.setEndpoint(LONG_ENDPOINT.replace("v1", "v2"), sender=hrss.admin)
    t.add(
        "DepartmentRegistry.setEndpoint (repeat, same length)",
        r,
        upd=1,
        note="only the data slot holding the changed byte",
    )
    r = reg.setMetadataHash(keccak(text="hrss-1"), sender=hrss.admin)
    t.add("DepartmentRegistry.setMetadataHash (first)", r, new=1)
    r = reg.setMetadataHash(keccak(text="hrss-2"), sender=hrss.admin)
    t.add("DepartmentRegistry.setMetadataHash (repeat)", r, upd=1)
    t.write()
    _TABLES.append(t)


_TABLES: list[GasTable] = []


@pytest.fixture(scope="module", autouse=True)
def _deployed(
    departments: Any, depts: Any, council_contract: Any, governed_departments: Any
) -> None:
    """Deploy before the first test: ape reverts what a test itself deploys."""


def test_council_gas(
    council_contract: Any,
    council_members: list[Any],
    governed_departments: Any,
    outsider: Any,
    accounts: Any,
    chain: Any,
) -> None:
    assert _TABLES, "test_department_registry_gas runs first (same table)"
    t = _TABLES[0]
    cc, members, dreg = council_contract, council_members, governed_departments

    def passed(target: Any, data: bytes, approvals: int = COUNCIL_THRESHOLD) -> bytes:
        pid: bytes = council_decide(cc, members, target, data, chain, approvals)
        return pid

    # the first proposal ever writes the counter from zero; a repeat updates it
    data = bytes(dreg.suspend.encode_input(code("FINANCE")))
    first = cc.propose(dreg, data, chain.pending_timestamp + DAY, sender=members[0])
    t.add("Council.propose (first proposal, 36-byte call)", first, new=6,
          note="target/expiry/executed, proposer, data length + 1 data slot (the call's "
          "last 4 bytes are zeros), proposer's approval, proposal counter 0 -> 1")  # fmt: skip
    again = cc.propose(dreg, data, chain.pending_timestamp + 2 * DAY, sender=members[0])
    t.add("Council.propose (repeat)", again, new=5, upd=1)
    pid = again.return_value
    t.add("Council.approve (repeat proposal)", cc.approve(pid, sender=members[1]), new=1,
          note="+ the approver's seat: memberOf on the registry")  # fmt: skip
    t.add("Council.withdrawApproval", cc.withdrawApproval(pid, sender=members[1]), new=1, upd=1,
          note="approval cleared (refund), withdrawn-in-generation written")  # fmt: skip
    t.add("Council.cancel (by its proposer)", cc.cancel(pid, sender=members[0]), upd=1)

    new_code = code("TRANSPORT")
    dreg.propose(
        new_code, "Transport Bureau", 330100, "", b"\0" * 32, accounts[57], sender=accounts[57]
    )
    r = cc.execute(passed(dreg, bytes(dreg.admit.encode_input(new_code))), sender=outsider)
    t.add("Council.execute -> DepartmentRegistry.admit", r, upd=2,
          note="proposal's executed flag + department status; counts approvals over 7 members")  # fmt: skip
    r = cc.execute(passed(dreg, bytes(dreg.suspend.encode_input(new_code))), sender=outsider)
    t.add("Council.execute -> suspend", r, upd=2)
    r = cc.execute(passed(dreg, bytes(dreg.reinstate.encode_input(new_code))), sender=outsider)
    t.add("Council.execute -> reinstate", r, upd=2)
    call = dreg.replaceAdmin.encode_input(new_code, accounts[57], accounts[58])
    r = cc.execute(passed(dreg, bytes(call)), sender=outsider)
    t.add("Council.execute -> replaceAdmin", r, new=3, upd=3)
    r = cc.execute(passed(dreg, bytes(dreg.retire.encode_input(new_code))), sender=outsider)
    t.add("Council.execute -> retire", r, upd=2)

    newcomer = accounts[59]
    r = cc.execute(passed(cc, bytes(cc.addMember.encode_input(newcomer))), sender=outsider)
    t.add("Council.execute -> Council.addMember", r, new=2, upd=3,
          note="member list entry and generation new; list length, next generation, executed")  # fmt: skip
    r = cc.execute(passed(cc, bytes(cc.changeThreshold.encode_input(5))), sender=outsider)
    t.add("Council.execute -> Council.changeThreshold", r, upd=2)
    r = cc.execute(passed(cc, bytes(cc.removeMember.encode_input(newcomer)), 5), sender=outsider)
    t.add("Council.execute -> Council.removeMember (the last member)", r, upd=4,
          note="list entry cleared, length, generation cleared, executed (8 members counted)")  # fmt: skip
    t.write()
